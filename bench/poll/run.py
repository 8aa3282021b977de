"""Polling benchmark: linewatch's SNMP poll engine against prometheus-snmp-exporter, same targets, same run.

    .venv/bin/python bench/poll/run.py                 # defaults below; about 4 minutes
    .venv/bin/python bench/poll/run.py --quick         # a short smoke run (fewer devices, seconds)

What it does:

1. serves ``--devices`` simulated elements with net-snmp's snmpd (``--snmpd`` processes, each
   listening on several loopback ports, one port = one element). Each element looks like a Huawei
   AR CPE (sysObjectID 1.3.6.1.4.1.2011.2.224.x, so the real ``huawei-ar`` profile of
   config/profiles is detected): 12 Ethernet interfaces (IF-MIB), 4 SFP transceivers in
   ENTITY-MIB with their alias mapping and Huawei optical table: 92 values per poll with the
   system group (what the profile walks, nothing else);
2. runs ONE agent process (a child, so its CPU and memory are its own): the real Poller with the
   real profiles polls every element again and again for ``--seconds``; it prints varbinds/s and
   CPU-seconds per 1,000 varbinds (getrusage of that process);
3. runs a second child that configures ``--fleet`` (10,000) elements: Device objects, SNMP
   sessions, one scheduler job each at ``--interval`` (300 s), polls them all once (they point at
   the same snmpd ports) and reports its RSS; the CPU share at that interval is estimated from the
   measured CPU per varbind: fleet x varbinds-per-element / interval;
4. runs prometheus-snmp-exporter on loopback with a generated snmp.yml module walking the same
   columns (and GETting the same scalars), drives it with concurrent /snmp scrapes of the same
   targets for ``--seconds`` and measures its CPU from /proc/<pid>/stat.

Targets printed with PASS/FAIL: one process >= 9,000 varbinds/s; the fleet at the interval under
0.5 core and RSS under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PORTS = range(13000, 14000)
COMMUNITY = "bench-ro"
SYS_OBJECT_ID = "1.3.6.1.4.1.2011.2.224.62"
INTERFACES = 12
OPTICS = (9, 10, 11, 12)
"""ifIndex of the SFP ports (entPhysicalIndex 100 + ifIndex)."""

TARGET_VBPS = 9000.0
TARGET_CORES = 0.5
TARGET_RSS_MB = 300.0


# -- the simulated element -------------------------------------------------------------------------


def element_values() -> list[tuple[str, str, str]]:
    """(OID, snmpd override type, value) of one element: exactly what the huawei-ar profile walks."""
    out: list[tuple[str, str, str]] = []
    for i in range(1, INTERFACES + 1):
        out += [
            (f"1.3.6.1.2.1.2.2.1.2.{i}", "octet_str", f'"GigabitEthernet0/0/{i}"'),
            (f"1.3.6.1.2.1.2.2.1.3.{i}", "integer", "6"),
            (f"1.3.6.1.2.1.2.2.1.7.{i}", "integer", "1"),
            (f"1.3.6.1.2.1.2.2.1.8.{i}", "integer", "2" if i == 3 else "1"),
            (f"1.3.6.1.2.1.31.1.1.1.1.{i}", "octet_str", f'"GigabitEthernet0/0/{i}"'),
        ]
    for n, i in enumerate(OPTICS):
        ent = 100 + i
        out += [
            (f"1.3.6.1.2.1.47.1.1.1.1.2.{ent}", "octet_str", '"1000Base-X SFP"'),
            (f"1.3.6.1.2.1.47.1.1.1.1.4.{ent}", "integer", "1"),
            (f"1.3.6.1.2.1.47.1.1.1.1.5.{ent}", "integer", "10"),
            (f"1.3.6.1.2.1.47.1.1.1.1.7.{ent}", "octet_str", f'"GigabitEthernet0/0/{i}"'),
            (f"1.3.6.1.2.1.47.1.3.2.1.2.{ent}.0", "object_id", f".1.3.6.1.2.1.2.2.1.1.{i}"),
            (f"1.3.6.1.4.1.2011.5.25.31.1.1.3.1.1.{ent}", "integer", "2"),
            (f"1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8.{ent}", "integer", str(-850 - 700 * n)),
        ]
    return out


VALUES_PER_POLL = len(element_values()) + 1 + 3
"""Cells + sysUpTime (the profile's system table) + sysObjectID, sysDescr, sysUpTime."""

EXPORTER_COLUMNS = {
    "sysUpTime": ("1.3.6.1.2.1.1.3", "gauge", []),
    "ifDescr": ("1.3.6.1.2.1.2.2.1.2", "DisplayString", ["ifIndex"]),
    "ifType": ("1.3.6.1.2.1.2.2.1.3", "gauge", ["ifIndex"]),
    "ifAdminStatus": ("1.3.6.1.2.1.2.2.1.7", "gauge", ["ifIndex"]),
    "ifOperStatus": ("1.3.6.1.2.1.2.2.1.8", "gauge", ["ifIndex"]),
    "ifName": ("1.3.6.1.2.1.31.1.1.1.1", "DisplayString", ["ifIndex"]),
    "entPhysicalDescr": ("1.3.6.1.2.1.47.1.1.1.1.2", "DisplayString", ["entPhysicalIndex"]),
    "entPhysicalContainedIn": ("1.3.6.1.2.1.47.1.1.1.1.4", "gauge", ["entPhysicalIndex"]),
    "entPhysicalClass": ("1.3.6.1.2.1.47.1.1.1.1.5", "gauge", ["entPhysicalIndex"]),
    "entPhysicalName": ("1.3.6.1.2.1.47.1.1.1.1.7", "DisplayString", ["entPhysicalIndex"]),
    "entAliasMappingIdentifier": (
        "1.3.6.1.2.1.47.1.3.2.1.2",
        "DisplayString",
        ["entPhysicalIndex", "entAliasLogicalIndexOrZero"],
    ),
    "hwEntityOpticalMode": ("1.3.6.1.4.1.2011.5.25.31.1.1.3.1.1", "gauge", ["entPhysicalIndex"]),
    "hwEntityOpticalRxPower": ("1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8", "gauge", ["entPhysicalIndex"]),
}
EXPORTER_SCALARS = {
    "sysObjectID": ("1.3.6.1.2.1.1.2", "DisplayString"),
    "sysDescr": ("1.3.6.1.2.1.1.1", "DisplayString"),
    "sysUpTimeScalar": ("1.3.6.1.2.1.1.3", "gauge"),
}


# -- helpers ---------------------------------------------------------------------------------------


def free_ports(count: int, kind: int = socket.SOCK_DGRAM) -> list[int]:
    ports = list(PORTS)
    random.shuffle(ports)
    out: list[int] = []
    for port in ports:
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
        out.append(port)
        if len(out) == count:
            return out
    raise SystemExit(f"not enough free ports in {PORTS.start}-{PORTS.stop - 1}")


def need(tool: str, package: str) -> str:
    found = shutil.which(tool) or (f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None)
    if found is None:
        raise SystemExit(f"{tool} is not installed: apt-get install {package} (listed in scripts/debian-packages.txt)")
    return found


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def snmp_ready(port: int) -> bool:
    from pyasn1.codec.ber import decoder, encoder
    from pysnmp.proto import api

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = p.GetRequestPDU()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_varbinds(pdu, [(p.ObjectIdentifier("1.3.6.1.2.1.1.2.0"), p.Null(""))])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, COMMUNITY)
    p.apiMessage.set_pdu(msg, pdu)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(encoder.encode(msg), (HOST, port))
        try:
            data, _ = sock.recvfrom(65535)
        except TimeoutError:
            return False
    decoder.decode(data, asn1Spec=p.Message())
    return True


# -- the targets -----------------------------------------------------------------------------------


def start_snmpd(work: Path, ports: list[int], processes: int) -> list[subprocess.Popen[bytes]]:
    binary = need("snmpd", "snmpd")
    lines = [f"override .{oid} {kind} {value}" for oid, kind, value in element_values()]
    procs = []
    for n in range(processes):
        mine = ports[n::processes]
        if not mine:
            continue
        home = work / f"snmpd-{n}"
        (home / "persist").mkdir(parents=True)
        conf = home / "snmpd.conf"
        conf.write_text(
            "\n".join(
                [
                    f"[snmp] persistentDir {home / 'persist'}",
                    f"rocommunity {COMMUNITY} {HOST}",
                    f"sysObjectID .{SYS_OBJECT_ID}",
                    "sysDescr Huawei Versatile Routing Platform Software, AR169 (bench element)",
                    "dontLogTCPWrappersConnects yes",
                    *lines,
                ]
            )
            + "\n"
        )
        endpoints = ",".join(f"udp:{HOST}:{p}" for p in mine)
        procs.append(
            subprocess.Popen(
                [
                    *(binary, "-f", "-Lf", "/dev/null", "-C", "-c", str(conf), "-p", str(home / "pid")),
                    *("-I", "-smux,ifTable,ifXTable,interfaces", endpoints),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "MIBS": "", "MIBDIRS": str(home / "no-mibs")},
            )
        )
    deadline = time.monotonic() + 30
    for port in ports:
        while not snmp_ready(port):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit(f"snmpd did not answer on {HOST}:{port}")
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- the agent (child processes) -------------------------------------------------------------------


def _agent_parts(ports: list[int], count: int, concurrency: int, interval: float) -> tuple[Any, Any, list[Any], Any]:
    from agent.poller import Poller, tune_runtime
    from agent.profiles import load_profiles
    from agent.settings import OpticalThresholds, SnmpPolling
    from agent.snmp import SnmpClient
    from correlator.configfile.daemon import CredentialSet, SnmpCredentials
    from correlator.domain import DeviceKind, DeviceRole
    from correlator.inventory.model import Device, Snmp
    from correlator.secrets import SecretResolver

    profiles = load_profiles(ROOT / "config" / "profiles")
    settings = SnmpPolling(interval_s=interval, timeout_s=2, retries=1, concurrency=concurrency, max_repetitions=25)
    client = SnmpClient()
    poller = Poller(
        settings=settings,
        profiles=profiles,
        optical=OpticalThresholds(),
        client=client,
        credentials={"bench": CredentialSet(snmp=SnmpCredentials(version="v2c", community="env:BENCH_COMMUNITY"))},
        resolver=SecretResolver(ROOT, env={"BENCH_COMMUNITY": COMMUNITY}),
    )
    devices = [
        Device(
            id=f"CPE-{n:05d}",
            name=f"bench element {n}",
            kind=DeviceKind.cpe,
            vendor="huawei",
            platform="ar169",
            role=DeviceRole.customer,
            site="SITE-BENCH",
            mgmt_address=HOST,
            credentials="bench",
            snmp=Snmp(port=ports[n % len(ports)]),
        )
        for n in range(count)
    ]
    tune_runtime()
    return poller, client, devices, settings


async def agent_throughput(ports: list[int], seconds: float, concurrency: int) -> dict[str, Any]:
    poller, client, devices, _ = _agent_parts(ports, len(ports), concurrency, 300)
    warm = await poller.poll_many(devices)
    failed = [o for o in warm if not o.reached or o.errors]
    profiles = sorted({o.profile or "-" for o in warm})
    conditions = sorted({c.alarm_type for o in warm for c in o.observation.conditions})
    polls = values = received = errors = 0
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds

    async def keep_polling(element: Any) -> None:
        nonlocal polls, values, received, errors
        while loop.time() < end:
            outcome = await poller.poll_outcome(element)
            polls += 1
            values += outcome.observation.varbinds
            received += outcome.varbinds
            errors += 0 if outcome.reached and not outcome.errors else 1

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    await asyncio.gather(*(keep_polling(d) for d in devices))
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    client.close()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {
        "devices": len(devices),
        "profiles": profiles,
        "conditions": conditions,
        "warmup_failures": len(failed),
        "polls": polls,
        "errors": errors,
        "values": values,
        "received": received,
        "wall_s": wall,
        "cpu_s": cpu,
        "values_per_poll": values / polls if polls else 0,
    }


async def agent_fleet(ports: list[int], fleet: int, interval: float, concurrency: int) -> dict[str, Any]:
    import gc

    from agent.scheduler import PollScheduler

    base = proc_rss_mb(os.getpid())
    poller, client, devices, settings = _agent_parts(ports, fleet, concurrency, interval)

    async def no_poll(_: Any) -> None:  # the schedule is measured, not run: the round below polls
        return None

    scheduler = PollScheduler(no_poll, settings)
    scheduler.start()
    scheduler.add_all(devices)
    configured = proc_rss_mb(os.getpid())
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for element in devices:
        queue.put_nowait(element)
    reached = 0

    async def worker() -> None:  # like the daemon: each outcome is used and dropped
        nonlocal reached
        while not queue.empty():
            outcome = await poller.poll_outcome(queue.get_nowait())
            reached += outcome.reached

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    gc.collect()
    polled = proc_rss_mb(os.getpid())
    sessions = sum(1 for d in devices if client.session(d.id) is not None)
    profiles = sum(1 for d in devices if poller.profile_of(d.id) is not None)
    jobs = len(scheduler.devices())
    await scheduler.shutdown()
    client.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "fleet": fleet,
        "jobs": jobs,
        "sessions": sessions,
        "profiles": profiles,
        "reached": reached,
        "round_s": wall,
        "rss_start_mb": base,
        "rss_configured_mb": configured,
        "rss_after_round_mb": polled,
        "rss_peak_mb": peak,
    }


def child(mode: str, ports: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """Run one measurement in a fresh Python process; returns what it printed (JSON)."""
    cmd = [sys.executable, __file__, "--child", mode, "--ports", ",".join(map(str, ports))]
    cmd += ["--seconds", str(args.seconds), "--fleet", str(args.fleet), "--interval", str(args.interval)]
    cmd += ["--concurrency", str(args.concurrency)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"agent child ({mode}) failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- prometheus-snmp-exporter ----------------------------------------------------------------------


def exporter_config(path: Path) -> None:
    lines = ["linewatch_bench:", "  walk:"]
    lines += [f"  - {oid}" for oid, _, _ in EXPORTER_COLUMNS.values()]
    lines += ["  get:"]
    lines += [f"  - {oid}.0" for oid, _ in EXPORTER_SCALARS.values()]
    lines += ["  metrics:"]
    for name, (oid, kind, indexes) in EXPORTER_COLUMNS.items():
        lines += [f"  - name: {name}", f"    oid: {oid}", f"    type: {kind}", f"    help: {name}"]
        if indexes:
            lines += ["    indexes:"]
            lines += [f"    - labelname: {index}\n      type: gauge" for index in indexes]
    for name, (oid, kind) in EXPORTER_SCALARS.items():
        lines += [f"  - name: {name}", f"    oid: {oid}", f"    type: {kind}", f"    help: {name}"]
    lines += [
        "  version: 2",
        "  max_repetitions: 25",
        "  retries: 1",
        "  timeout: 2s",
        "  auth:",
        f"    community: {COMMUNITY}",
    ]
    path.write_text("\n".join(lines) + "\n")


async def exporter_throughput(ports: list[int], seconds: float, concurrency: int, work: Path) -> dict[str, Any]:
    import httpx

    binary = need("prometheus-snmp-exporter", "prometheus-snmp-exporter")
    config = work / "snmp.yml"
    exporter_config(config)
    (web,) = free_ports(1, socket.SOCK_STREAM)
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--web.listen-address={HOST}:{web}", "--log.level=warn"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://{HOST}:{web}"
    try:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if (await http.get(f"{base}/metrics")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    raise SystemExit(f"prometheus-snmp-exporter did not start: {err[-2000:]}")
                await asyncio.sleep(0.1)

            names = set(EXPORTER_COLUMNS) | set(EXPORTER_SCALARS)

            async def scrape(port: int) -> int:
                reply = await http.get(f"{base}/snmp", params={"target": f"{HOST}:{port}", "module": "linewatch_bench"})
                if reply.status_code != 200:
                    return -1
                return sum(1 for line in reply.text.splitlines() if line.split("{", 1)[0].split(" ", 1)[0] in names)

            warm = await asyncio.gather(*(scrape(p) for p in ports))
            per_scrape = max(warm)
            scrapes = failures = 0
            loop = asyncio.get_running_loop()
            end = loop.time() + seconds

            async def keep_scraping(port: int) -> None:
                nonlocal scrapes, failures
                while loop.time() < end:
                    n = await scrape(port)
                    scrapes += 1
                    failures += 0 if n == per_scrape else 1

            c0, t0 = proc_cpu_seconds(proc.pid), time.perf_counter()
            await asyncio.gather(*(keep_scraping(p) for p in ports[:concurrency]))
            wall, cpu = time.perf_counter() - t0, proc_cpu_seconds(proc.pid) - c0
            rss = proc_rss_mb(proc.pid)
    finally:
        stop([proc])
    return {
        "values_per_scrape": per_scrape,
        "scrapes": scrapes,
        "failures": failures,
        "values": scrapes * per_scrape,
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_mb": rss,
    }


# -- main ------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100, help="simulated elements (loopback ports)")
    parser.add_argument("--snmpd", type=int, default=4, help="snmpd processes serving them")
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring time per contender")
    parser.add_argument("--concurrency", type=int, default=64, help="elements polled / scraped at once")
    parser.add_argument("--fleet", type=int, default=10_000, help="configured elements for the memory figure")
    parser.add_argument("--interval", type=float, default=300.0, help="poll interval of the fleet (s)")
    parser.add_argument("--no-exporter", action="store_true", help="skip prometheus-snmp-exporter")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 elements, 5 s, fleet 1,000")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--child", choices=["throughput", "fleet"], help=argparse.SUPPRESS)
    parser.add_argument("--ports", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        ports = [int(p) for p in args.ports.split(",")]
        if args.child == "throughput":
            result = asyncio.run(agent_throughput(ports, args.seconds, args.concurrency))
        else:
            result = asyncio.run(agent_fleet(ports, args.fleet, args.interval, max(args.concurrency, 200)))
        print(json.dumps(result))
        return

    if args.quick:
        args.devices, args.seconds, args.fleet = 20, 5.0, 1000
    print(
        f"linewatch poll benchmark: {args.devices} elements x {VALUES_PER_POLL} values on {args.snmpd} snmpd, "
        f"{args.seconds:g} s per contender, concurrency {args.concurrency}, fleet {args.fleet} at {args.interval:g} s"
    )
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    ports = free_ports(args.devices)
    with tempfile.TemporaryDirectory(prefix="lw-bench-poll-") as tmp:
        work = Path(tmp)
        targets = start_snmpd(work, ports, args.snmpd)
        try:
            before = sum(proc_cpu_seconds(p.pid) for p in targets)
            agent = child("throughput", ports, args)
            agent["targets_cpu_s"] = sum(proc_cpu_seconds(p.pid) for p in targets) - before
            fleet = child("fleet", ports, args)
            exporter = None
            if not args.no_exporter:
                before = sum(proc_cpu_seconds(p.pid) for p in targets)
                exporter = asyncio.run(exporter_throughput(ports, args.seconds, args.concurrency, work))
                exporter["targets_cpu_s"] = sum(proc_cpu_seconds(p.pid) for p in targets) - before
        finally:
            stop(targets)

    vbps = agent["values"] / agent["wall_s"]
    cpu_per_k = agent["cpu_s"] / agent["values"] * 1000
    per_element = agent["values_per_poll"]
    fleet_vbps = args.fleet * per_element / args.interval
    cores = fleet_vbps * cpu_per_k / 1000
    rss = max(fleet["rss_after_round_mb"], fleet["rss_configured_mb"])
    figures: dict[str, Any] = {"agent": agent, "fleet": fleet, "exporter": exporter}

    print()
    print(f"profile detected: {', '.join(agent['profiles'])}; conditions seen: {', '.join(agent['conditions'])}")
    print(f"linewatch agent (1 process)   {vbps:9.0f} varbinds/s   {cpu_per_k:6.3f} CPU-s per 1,000 varbinds")
    print(
        f"    {agent['polls']} polls, {agent['values']} values ({per_element:.0f} per poll), "
        f"{agent['received']} varbinds received, {agent['errors']} polls with errors; "
        f"agent busy {agent['cpu_s'] / agent['wall_s']:.0%} of one core, snmpd targets "
        f"{agent['targets_cpu_s'] / agent['wall_s']:.0%}, load average {os.getloadavg()[0]:.1f}; "
        f"CPU-bound ceiling {1000 / cpu_per_k:.0f} varbinds/s"
    )
    if exporter is not None:
        e_vbps = exporter["values"] / exporter["wall_s"]
        e_cpu = exporter["cpu_s"] / exporter["values"] * 1000 if exporter["values"] else float("nan")
        e_cores = fleet_vbps * e_cpu / 1000
        figures["exporter_cores_at_interval"] = e_cores
        print(f"prometheus-snmp-exporter      {e_vbps:9.0f} varbinds/s   {e_cpu:6.3f} CPU-s per 1,000 varbinds")
        print(
            f"    {exporter['scrapes']} scrapes x {exporter['values_per_scrape']} values, "
            f"{exporter['failures']} incomplete, RSS {exporter['rss_mb']:.0f} MB, busy "
            f"{exporter['cpu_s'] / exporter['wall_s']:.0%} of one core, snmpd targets "
            f"{exporter['targets_cpu_s'] / exporter['wall_s']:.0%}; at the fleet's rate it would use {e_cores:.2f} core"
        )
    print(
        f"fleet of {fleet['fleet']}: {fleet['jobs']} jobs, {fleet['sessions']} sessions, {fleet['profiles']} profiles; "
        f"{fleet['reached']} polled in {fleet['round_s']:.0f} s (first contact: GET, detection, walks without "
        f"row counts); RSS {fleet['rss_start_mb']:.0f} MB at start, {fleet['rss_configured_mb']:.0f} MB configured, "
        f"{fleet['rss_after_round_mb']:.0f} MB after one round, peak {fleet['rss_peak_mb']:.0f} MB"
    )
    print(f"    {fleet_vbps:.0f} varbinds/s needed at {args.interval:g} s -> {cores:.2f} core (from CPU per varbind)")
    print()
    print(f"{verdict(vbps >= TARGET_VBPS)}  one process >= {TARGET_VBPS:,.0f} varbinds/s: {vbps:,.0f}")
    at = f"{args.fleet:,} elements at {args.interval:g} s"
    print(f"{verdict(cores < TARGET_CORES)}  {at} < {TARGET_CORES} core: {cores:.2f}")
    print(f"{verdict(rss < TARGET_RSS_MB)}  {args.fleet:,} elements RSS < {TARGET_RSS_MB:.0f} MB: {rss:.0f} MB")
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
