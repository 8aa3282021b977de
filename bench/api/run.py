"""API benchmark: request latency of the NOC document and the incident list, and SSE fan-out.

A real uvicorn on loopback serves the API on a SQLite store that the real correlator and ticket book
wrote from the lab's recorded scenarios (tests/data/events, each shifted so they overlap: many open
incidents at once). Then:

1. ``GET /api/v1/noc``, ``/api/v1/incidents``, ``/api/v1/circuits`` ``--requests`` times each, one
   client, keep-alive: p50 / p95 / max latency;
2. ``--clients`` SSE clients on ``/api/v1/events``; ``--events`` incident changes published through the
   pipeline stage; for each, the time until every client has it: p50 / p95 / max.

    .venv/bin/python bench/api/run.py                      # --requests 200 --clients 100 --events 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from correlator.api.server import BackgroundServer  # noqa: E402
from correlator.store.db import make_engine, upgrade  # noqa: E402
from tests.api.conftest import READ, SCENARIOS, Lab, cut_part, scenario  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def show(name: str, ms: list[float]) -> None:
    print(f"  {name:<28} p50 {statistics.median(ms):7.2f} ms   p95 {pct(ms, 95):7.2f} ms   max {max(ms):7.2f} ms")


def build(tmp: Path) -> Lab:
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    first = scenario(SCENARIOS[0])[0].observed_at
    lab = Lab(engine, first)
    for n, name in enumerate(SCENARIOS):
        shift = timedelta(seconds=20 * n)
        events = [
            e.model_copy(
                update={
                    "observed_at": e.observed_at + shift,
                    "raised_at": e.raised_at + shift if e.raised_at else None,
                    "cleared_at": e.cleared_at + shift if e.cleared_at else None,
                    "event_id": f"{e.event_id}-{n}",
                }
            )
            for e in cut_part(scenario(name))
        ]
        lab.feed(events)
    lab.settle(60)
    return lab


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--events", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        lab = build(Path(tmp))
        active = [i for i in lab.cor.incidents() if i.was_open]
        print(
            f"store: {len(SCENARIOS)} scenarios overlapped, {len(active)} open incidents, "
            f"{len(lab.ticket_events)} ticket events ({time.perf_counter() - t0:.1f} s to build)"
        )
        with BackgroundServer(lab.app()) as server, httpx.Client(base_url=server.url, headers=READ, timeout=30) as c:
            print(f"1. request latency, {args.requests} requests each, one keep-alive client")
            for path in ("/api/v1/noc", "/api/v1/incidents", "/api/v1/circuits", "/api/v1/alarms"):
                assert c.get(path).status_code == 200
                ms = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    r = c.get(path)
                    ms.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200
                show(path, ms)

            print(f"2. SSE fan-out: {args.clients} clients, {args.events} incident changes")
            got: list[dict[int, float]] = [{} for _ in range(args.clients)]
            ready = threading.Barrier(args.clients + 1)
            stop = threading.Event()

            def listen(slot: dict[int, float]) -> None:
                with (
                    httpx.Client(timeout=httpx.Timeout(30, read=None)) as lc,
                    lc.stream("GET", f"{server.url}/api/v1/events", headers=READ) as r,
                ):
                    seq = None
                    for line in r.iter_lines():
                        if line.startswith("event: hello"):
                            ready.wait()
                        elif line.startswith("id: "):
                            seq = int(line.rsplit("-", 1)[1])
                        elif line.startswith("event: planned_work") and seq is not None:
                            slot[seq] = time.perf_counter()
                        if stop.is_set() or len(slot) >= args.events:
                            return

            threads = [threading.Thread(target=listen, args=(g,), daemon=True) for g in got]
            for th in threads:
                th.start()
            ready.wait(timeout=60)
            sent: dict[int, float] = {}
            for n in range(args.events):
                t = time.perf_counter()
                ev = lab.broadcaster.publish("planned_work", {"change": "bench", "id": f"B-{n}"})
                sent[ev.seq] = t
                time.sleep(0.05)
            for th in threads:
                th.join(timeout=30)
            stop.set()
            spans = []
            for seq, t in sent.items():
                arrivals = [g[seq] for g in got if seq in g]
                assert len(arrivals) == args.clients, f"event {seq}: {len(arrivals)} of {args.clients} clients"
                spans.append((max(arrivals) - t) * 1000)
            show("last client has the event", spans)
    return 0


if __name__ == "__main__":
    sys.exit(main())
