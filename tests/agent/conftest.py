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

import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    get_cmd,
)

from tests.conftest import need

SNMPSIM_PORTS = range(12000, 13000)
SnmpsimServer = Callable[[Path], tuple[str, int]]


def _free_udp_port(host: str) -> int:
    ports = list(SNMPSIM_PORTS)
    random.shuffle(ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free UDP port in {SNMPSIM_PORTS.start}-{SNMPSIM_PORTS.stop - 1}")


async def _answers(host: str, port: int, community: str) -> bool:
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((host, port), timeout=0.5, retries=0)
        error, status, _, _ = await get_cmd(
            engine,
            CommunityData(community, mpModel=1),
            target,
            ContextData(),
            ObjectType(ObjectIdentity("1.3.6.1.2.1.1.3.0")),
            lookupMib=False,
        )
        return error is None and not status
    finally:
        engine.close_dispatcher()


@pytest.fixture(scope="session")
def snmpsim_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpsimServer]:
    binary = Path(sys.executable).parent / "snmpsim-command-responder"
    found = str(binary) if binary.exists() else shutil.which("snmpsim-command-responder")
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
        host = "127.0.0.1"
        work = tmp_path_factory.mktemp("snmpsim")
        log = work / "snmpsim.log"
        last_error = ""
        for _attempt in range(3):
            port = _free_udp_port(host)
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [
                        found,
                        f"--data-dir={data_dir}",
                        f"--agent-udpv4-endpoint={host}:{port}",
                        f"--cache-dir={work / 'cache'}",
                        "--log-level=error",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
                )
            processes.append(proc)
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if asyncio.run(_answers(host, port, community)):
                    running[data_dir] = (host, port)
                    return host, port
            last_error = log.read_text(errors="replace")[-2000:]
            proc.kill()
            proc.wait()
        raise RuntimeError(f"snmpsim did not answer for {data_dir}: {last_error}")

    yield start
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
