"""Fixtures shared by the agent tests.

``snmpsim_server`` (session scope) starts real SNMP agents on loopback::

    def test_walk(snmpsim_server):
        host, port = snmpsim_server(Path("tests/data/snmp"))
        # community "sdh-after" answers from tests/data/snmp/sdh-after.snmprec, SNMPv2c

It is a factory: ``snmpsim_server(data_dir) -> (host, port)`` runs one
``snmpsim-command-responder`` per data directory (the same directory twice gives the same
server), on 127.0.0.1 and a free UDP port in 12000-12999. snmpsim answers, for each
``<name>.snmprec`` under the directory, the community ``<name>`` (the file's path relative to the
directory, without the extension). The call returns once the agent answers a GET; every server is
stopped at the end of the session. snmpsim needs sorted recordings (it binary-searches them).

Without snmpsim the tests using it are skipped, or fail when the environment variable CI is "true".
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.agent.snmp.peers import HOST, launch_snmpsim, snmpsim_binary, stop_process
from tests.conftest import need

SNMPSIM_PORTS = range(12000, 13000)

SnmpsimServer = Callable[[Path], tuple[str, int]]


@pytest.fixture(scope="session")
def snmpsim_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpsimServer]:
    found = snmpsim_binary()
    running: dict[Path, tuple[str, int]] = {}
    processes: list[subprocess.Popen[bytes]] = []

    def start(data_dir: Path) -> tuple[str, int]:
        data_dir = data_dir.resolve()
        if data_dir in running:
            return running[data_dir]
        if found is None:
            need("snmpsim-command-responder is not installed", "pip install snmpsim into .venv")
        assert found is not None
        records = sorted(data_dir.rglob("*.snmprec"))
        if not records:
            raise ValueError(f"{data_dir} holds no .snmprec file")
        community = str(records[0].relative_to(data_dir).with_suffix(""))
        work = tmp_path_factory.mktemp("snmpsim")
        proc, port = launch_snmpsim(found, data_dir, community, work / "cache", work / "snmpsim.log", SNMPSIM_PORTS)
        processes.append(proc)
        running[data_dir] = (HOST, port)
        return HOST, port

    yield start
    for proc in processes:
        stop_process(proc)
