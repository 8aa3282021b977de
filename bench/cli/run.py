"""CLI collection benchmark: linewatch's session pool + collector against a plain netmiko loop.

    .venv/bin/python bench/cli/run.py            # 32 elements, workers 1 / 4 / 8 / 16; about a minute
    .venv/bin/python bench/cli/run.py --quick    # 8 elements, workers 1 / 4

What it does:

1. starts the SSH simulator (``python -m agent.sim.ssh``, one process) with ``--devices`` Huawei
   VRP elements on loopback ports, each answering the six commands of the shipped ``huawei_vrp``
   platform with the healthy outputs of tests/agent/cli/simdata.py;
2. **peer**: a plain netmiko script, the way a NOC engineer would write one: for each element in
   turn ``ConnectHandler(device_type="huawei_vrp")``, the six ``send_command`` calls, ``disconnect``;
3. **linewatch**: :class:`~agent.cli.collector.CliCollector` (sessions in the bounded pool, the
   outputs parsed by the platform's templates into an Observation) polls every element once, with
   ``--workers`` threads each in turn.

Printed per run: wall time, sessions per second, mean session time, CPU-seconds of this process
per session (``getrusage``: parsing and netmiko's work; the simulator's CPU is its own), and how
many elements one agent gets through in a 300 s interval at that rate. The simulator (Python,
asyncssh) shares the machine, so high worker counts measure it as much as the agent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent.cli.collector import CliCollector  # noqa: E402
from agent.cli.observe import load_vendor_alarms  # noqa: E402
from agent.cli.platform import load_platforms  # noqa: E402
from agent.cli.pool import SessionPool  # noqa: E402
from agent.cli.session import Target  # noqa: E402
from agent.cli.targets import CliDevice, commands_of, dialect_for  # noqa: E402
from agent.settings import CliPolling  # noqa: E402
from correlator.alarmtypes import load_alarm_types  # noqa: E402
from correlator.domain import DeviceKind, DeviceRole  # noqa: E402
from correlator.inventory.model import Device  # noqa: E402
from correlator.secrets import Secret  # noqa: E402
from tests.agent.cli.simdata import outputs  # noqa: E402

HOST = "127.0.0.1"
USER = "lwbench"
PASSWORD = "lwbench-Zq81-pw"
INTERVAL_S = 300.0


def start_sim(work: Path, count: int) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    devices = []
    for i in range(count):
        dev = f"VRP-{i:03d}"
        out = work / "outputs" / dev
        out.mkdir(parents=True)
        for name, text in outputs("huawei_vrp", "healthy").items():
            (out / name).write_text(text, encoding="utf-8")
        devices.append(
            {
                "id": dev,
                "platform": "huawei_vrp",
                "listen": f"{HOST}:0",
                "username": USER,
                "password": "env:BENCH_PW",
                "outputs": f"outputs/{dev}",
            }
        )
    (work / "sim.yaml").write_text(yaml.safe_dump({"version": 1, "devices": devices}))
    ready = work / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.sim.ssh", "--config", str(work / "sim.yaml"), "--ready-file", str(ready)],
        cwd=ROOT,
        env={**os.environ, "BENCH_PW": PASSWORD},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the simulator did not start")
        time.sleep(0.05)
    info = json.loads(ready.read_text())
    return proc, {d: int(v["port"]) for d, v in info["devices"].items()}


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def figures(name: str, sessions: int, ok: int, wall: float, busy: float, cpu_s: float) -> dict[str, Any]:
    rate = sessions / wall
    row = {
        "run": name,
        "sessions": sessions,
        "complete": ok,
        "wall_s": round(wall, 2),
        "sessions_per_s": round(rate, 2),
        "mean_session_s": round(busy / sessions, 3),
        "cpu_s_per_session": round(cpu_s / sessions, 4),
        "elements_per_300s": int(rate * INTERVAL_S),
    }
    print(
        f"{name:<22} {sessions:>4} sessions ({ok} complete) in {wall:6.2f} s: {rate:6.2f}/s, "
        f"mean {busy / sessions:5.3f} s, CPU {cpu_s / sessions * 1000:6.1f} ms/session, "
        f"~{row['elements_per_300s']} elements per 300 s"
    )
    return row


def peer(ports: dict[str, int]) -> dict[str, Any]:
    from netmiko import ConnectHandler

    commands = [c.command for c in load_platforms()["huawei_vrp"].commands]
    started, c0, busy, ok = time.perf_counter(), cpu(), 0.0, 0
    for port in ports.values():
        t = time.perf_counter()
        conn = ConnectHandler(device_type="huawei_vrp", host=HOST, port=port, username=USER, password=PASSWORD)
        outs = [conn.send_command(c) for c in commands]
        conn.disconnect()
        ok += all(isinstance(o, str) and o for o in outs)
        busy += time.perf_counter() - t
    return figures("peer: netmiko loop", len(ports), ok, time.perf_counter() - started, busy, cpu() - c0)


async def linewatch(ports: dict[str, int], workers: int) -> dict[str, Any]:
    platform = load_platforms()["huawei_vrp"]
    settings = CliPolling(enabled=True, workers=workers)
    pool = SessionPool(workers)
    collector = CliCollector(
        settings=settings, pool=pool, alarm_names=load_vendor_alarms(), alarm_types=load_alarm_types()
    )
    devices = [
        CliDevice(
            Device(
                id=dev,
                name=dev,
                kind=DeviceKind.ipran,
                vendor="huawei",
                platform="ATN 910C",
                role=DeviceRole.access,
                site="BENCH",
                mgmt_address=ip_address(HOST),
                credentials="bench",
                cli_platform="huawei_vrp",
            ),
            platform,
            Target(dev, HOST, port, "ssh", USER, Secret("env:BENCH_PW", PASSWORD)),
            dialect_for(platform, "ssh"),
            commands_of(platform),
        )
        for dev, port in ports.items()
    ]
    started, c0 = time.perf_counter(), cpu()
    results = await asyncio.gather(*(collector.poll(d) for d in devices))
    wall = time.perf_counter() - started
    await pool.close()
    ok = sum(r.ok for r in results)
    busy = sum(r.duration_s for r in results)
    return figures(f"linewatch, {workers:>2} workers", len(devices), ok, wall, busy, cpu() - c0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=32)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8, 16])
    ap.add_argument("--quick", action="store_true", help="8 elements, workers 1 and 4")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args()
    if args.quick:
        args.devices, args.workers = 8, [1, 4]
    with tempfile.TemporaryDirectory(prefix="lw-bench-cli-") as tmp:
        proc, ports = start_sim(Path(tmp), args.devices)
        try:
            print(f"{args.devices} simulated Huawei VRP elements, 6 commands each, on {os.cpu_count()} CPUs")
            rows = [peer(ports)]
            for workers in args.workers:
                rows.append(asyncio.run(linewatch(ports, workers)))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
