"""Benchmark of the correlator daemon's intake: AlarmEvents through the in-process queue into the
store, as ``linewatch run`` takes them (publish returns once the batch is committed).

    .venv/bin/python bench/service/run.py [--events 20000] [--publishers 4] [--batch 100] [--store URL]

The lab inventory (config/lab) in a fresh store (SQLite in a temporary directory unless --store
names another, e.g. a PostgreSQL URL). The events: raise and clear of LINK_DOWN / LOS on every lab
port, one second of stream time apart, in rounds until --events; --publishers agents publish
batches of --batch events concurrently (as several agents' shippers would). The daemon runs its
real loop (batching, one transaction per batch for alarms and incidents, ticks), without stages.

Printed: events/s from the first publish to the last commit, publish-to-commit latency per batch
(p50, p99, max), the batches the daemon committed (its batching of the publishers' batches), and
what the store holds afterwards. Not a test: it times things.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from correlator.alarms.tables import AlarmEventRow, AlarmRow  # noqa: E402
from correlator.clock import SystemClock  # noqa: E402
from correlator.configfile.loader import load_config  # noqa: E402
from correlator.service.daemon import CorrelatorService  # noqa: E402
from correlator.service.sources import InProcessSource  # noqa: E402
from correlator.store.db import make_engine, upgrade  # noqa: E402
from correlator.store.importer import import_inventory  # noqa: E402
from correlator.wire import Action, AlarmEvent, Resource, ResourceType, Severity  # noqa: E402

LAB = ROOT / "config" / "lab" / "linewatch.yaml"


def events(cfg_path: Path, n: int) -> list[AlarmEvent]:
    cfg = load_config(cfg_path)
    ports = [(d.id, p.name, p.kind) for d in cfg.inventory.devices for p in d.ports]
    t0 = datetime.now(UTC) - timedelta(seconds=n)
    out: list[AlarmEvent] = []
    i = 0
    while len(out) < n:
        for dev, port, kind in ports:
            if len(out) >= n:
                break
            sonet = kind.startswith("stm")
            alarm = "LOS" if sonet else "LINK_DOWN"
            action = Action.raise_ if (i // len(ports)) % 2 == 0 else Action.clear
            at = t0 + timedelta(seconds=len(out))
            out.append(
                AlarmEvent(
                    event_id=f"bench-{len(out)}",
                    action=action,
                    device=dev,
                    resource=Resource(type=ResourceType.port, id=port),
                    alarm_type=alarm,
                    severity=Severity.critical if sonet else Severity.major,
                    layer="section" if sonet else "ethernet",
                    raised_at=at,
                    cleared_at=at if action is Action.clear else None,
                    observed_at=at,
                    source="poll",
                    agent="bench",
                )
            )
            i += 1
    return out


async def main(args: argparse.Namespace) -> int:
    cfg = load_config(LAB)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        import_inventory(engine, cfg.inventory, cfg.policy)
        engine.dispose()
        stream = events(LAB, args.events)
        source = InProcessSource()
        service = CorrelatorService.build(cfg, source, clock=SystemClock(), store_url=url, freeze=True)
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop))
        await asyncio.sleep(0.5)
        batches = [stream[i : i + args.batch] for i in range(0, len(stream), args.batch)]
        latencies: list[float] = []

        async def publisher(k: int) -> None:
            pub = source.publisher()
            for batch in batches[k :: args.publishers]:
                t = time.perf_counter()
                await pub.publish(batch)
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(publisher(k) for k in range(args.publishers)))
        elapsed = time.perf_counter() - started
        committed = service.committed
        stop.set()
        await task
        engine = make_engine(url)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(AlarmEventRow)).scalar_one()
            alarms = conn.execute(select(func.count()).select_from(AlarmRow)).scalar_one()
        engine.dispose()
    lat = sorted(latencies)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"store: {url.split('://')[0]}  events: {len(stream)}  publishers: {args.publishers} x batches of {args.batch}"
    )
    print(f"throughput: {len(stream) / elapsed:,.0f} events/s ({elapsed:.2f} s, publish to commit)")
    print(
        f"publish-to-commit per batch: p50 {statistics.median(lat) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms,"
        f" max {lat[-1] * 1000:.1f} ms"
    )
    print(f"daemon commits: {committed} (events per commit {len(stream) / max(committed, 1):.0f})")
    print(f"stored: {stored} events, {alarms} alarms")
    return 0 if stored == len(stream) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--store", default=None, help="SQLAlchemy URL (default: SQLite in a temporary directory)")
    sys.exit(asyncio.run(main(parser.parse_args())))
