"""The SSH/telnet device simulator as a real separate process, for the CLI session tests.

``cli_sim(devices)`` writes a ``sim.yaml`` for the devices, starts ``python -m agent.sim.ssh`` on
127.0.0.1 (free ports), waits for its ready file and returns a :class:`CliSim` to change what the
devices answer (``state``: the outputs of :mod:`tests.agent.cli.simdata`; ``mode``: normal,
no_prompt, no_banner; ``hang``: a command that never answers) while it runs. Every simulator is
stopped at the end of the test. The devices' password is :data:`PASSWORD` (an environment
variable of the simulator process; the agent side reads it from its own secrets).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.sim.config import output_file_name
from tests.agent.cli import simdata

PASSWORD = "lwCLI-Zq81-s3cret-pw"
"""The simulated elements' CLI password: distinctive, so a test can look for it in any text."""
USER = "lwmon"
HOST = "127.0.0.1"

DEFAULT_DEVICES: dict[str, dict[str, Any]] = {
    "VRP-1": {"platform": "huawei_vrp", "transport": "ssh"},
    "ZTE-1": {"platform": "zte_zxros", "transport": "ssh"},
    "TL1-1": {"platform": "tl1", "transport": "telnet"},
}


@dataclass
class CliSim:
    root: Path
    proc: subprocess.Popen[bytes]
    devices: dict[str, dict[str, Any]]
    ports: dict[str, int]

    @property
    def config(self) -> Path:
        return self.root / "sim.yaml"

    def port(self, device: str) -> int:
        return self.ports[device]

    def outputs_dir(self, device: str) -> Path:
        return self.root / "outputs" / device

    def state(self, device: str, state: str) -> None:
        """Answer from now on with the ``state`` outputs of the device's platform."""
        self.set_outputs(device, simdata.outputs(self.devices[device]["platform"], state))

    def set_outputs(self, device: str, files: Mapping[str, str]) -> None:
        out = self.outputs_dir(device)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")

    def output(self, device: str, command: str, text: str) -> None:
        (self.outputs_dir(device) / output_file_name(command)).write_text(text, encoding="utf-8")

    def hang(self, device: str, command: str) -> None:
        """The device stalls on ``command`` (TL1: its verb) from now on."""
        (self.outputs_dir(device) / (output_file_name(command) + ".hang")).write_text("", encoding="utf-8")

    def mode(self, device: str, mode: str) -> None:
        self.devices[device]["mode"] = mode
        _write_config(self.root, self.devices, self.ports)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def free_port() -> int:
    """A TCP port nothing listens on (bound and released: connecting to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _write_config(root: Path, devices: Mapping[str, Mapping[str, Any]], ports: Mapping[str, int]) -> None:
    doc = {
        "version": 1,
        "devices": [
            {
                "id": dev_id,
                "platform": spec["platform"],
                "transport": spec.get("transport", "ssh"),
                "listen": f"{HOST}:{ports.get(dev_id, 0)}",
                "hostname": spec.get("hostname", dev_id),
                "username": spec.get("username", USER),
                "password": "env:SIM_CLI_PASSWORD",
                "outputs": f"outputs/{dev_id}",
                "mode": spec.get("mode", "normal"),
                "page_lines": spec.get("page_lines", 24),
            }
            for dev_id, spec in devices.items()
        ],
    }
    tmp = root / "sim.yaml.tmp"
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    tmp.replace(root / "sim.yaml")


SimFactory = Callable[..., CliSim]


@pytest.fixture
def cli_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimFactory]:
    started: list[CliSim] = []

    def start(devices: Mapping[str, Mapping[str, Any]] | None = None, state: str = "healthy") -> CliSim:
        specs = {k: dict(v) for k, v in (devices or DEFAULT_DEVICES).items()}
        root = tmp_path_factory.mktemp("cli-sim")
        for dev_id, spec in specs.items():
            out = root / "outputs" / dev_id
            out.mkdir(parents=True)
            for name, text in simdata.outputs(spec["platform"], spec.get("state", state)).items():
                (out / name).write_text(text, encoding="utf-8")
        _write_config(root, specs, {})
        ready = root / "ready.json"
        log = (root / "sim.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent.sim.ssh", "--config", str(root / "sim.yaml"), "--ready-file", str(ready)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SIM_CLI_PASSWORD": PASSWORD},
            cwd=Path(__file__).resolve().parents[3],
        )
        deadline = time.monotonic() + 60
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the CLI simulator did not start: {(root / 'sim.log').read_text()[-2000:]}")
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        ports = {d: int(v["port"]) for d, v in info["devices"].items()}
        _write_config(root, specs, ports)
        sim = CliSim(root, proc, specs, ports)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
