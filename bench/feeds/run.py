"""Feeds benchmark: how fast the durable outbox takes events in and the webhook sender drains it.

Measured on the store given (SQLite file by default, ``--store`` for PostgreSQL):

- **enqueue**: incident events (the payload of a real lab incident: the sdh-cable-cut ``opened``
  event, six circuits) stored with their delivery rows, ``--batch`` events per transaction;
- **drain**: a :class:`~correlator.feeds.Feeds` stage delivering them to a webhook receiver on
  loopback (``http.server``, verifying every signature), strictly in order, one POST per event,
  each outcome written to the store;
- **peer**: the same signed POSTs sent by a bare ``httpx`` loop with no store (the HTTP path
  alone), so the outbox's cost shows as the difference.

    .venv/bin/python bench/feeds/run.py                  # 5000 events, SQLite in a temp dir
    .venv/bin/python bench/feeds/run.py --events 20000 --store postgresql+psycopg://postgres@127.0.0.1/test

Prints the figures; checks that every event arrived once, in order, signed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from correlator.clock import SystemClock  # noqa: E402
from correlator.feeds import Feeds, FeedsSettings  # noqa: E402
from correlator.feeds.events import FeedEvent  # noqa: E402
from correlator.feeds.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, verify  # noqa: E402
from correlator.secrets import SecretResolver  # noqa: E402
from correlator.store.db import make_engine, upgrade  # noqa: E402

SECRET = "bench-hmac-key"


class Receiver:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.bad = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = verify(
                    SECRET, body, self.headers.get(TIMESTAMP_HEADER), self.headers.get(SIGNATURE_HEADER), time.time()
                )
                receiver.ids.append(int(self.headers[EVENT_ID_HEADER]))
                receiver.bad += 0 if ok else 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def sample_payload() -> dict[str, Any]:
    from correlator.alarms import AlarmBook, Resolver
    from correlator.alarmtypes import load_alarm_types
    from correlator.clock import ManualClock
    from correlator.configfile.loader import load_config
    from correlator.correlation import Correlator, load_rules
    from correlator.correlation.replay import read_events
    from correlator.diversity import NetworkIndex
    from correlator.feeds.events import EventBuilder

    cfg = load_config(ROOT / "config" / "lab" / "linewatch.yaml")
    rules = load_rules()
    events = read_events(ROOT / "tests" / "data" / "events" / "sdh-cable-cut.jsonl")
    clock = ManualClock(events[0].observed_at)
    cor = Correlator(
        cfg.inventory,
        cfg.policy,
        rules,
        clock,
        NetworkIndex(cfg.inventory, cfg.policy),
        AlarmBook(rules.dedup, load_alarm_types(), clock, Resolver(cfg.inventory)),
    )
    changes = []
    for e in events[:13]:
        clock.set(max(clock.now(), e.observed_at))
        changes += cor.ingest(e)
    clock.set(clock.now().replace(minute=clock.now().minute + 1))
    changes += cor.tick()
    opened = [ev for ev in EventBuilder().from_changes(changes) if ev.kind == "incident.opened"]
    return opened[0].payload


async def peer(url: str, events: list[FeedEvent]) -> float:
    async with httpx.AsyncClient() as client:
        start = time.perf_counter()
        for i, ev in enumerate(events, start=1):
            body = ev.with_id(i).body()
            ts = int(time.time())
            headers = {
                EVENT_ID_HEADER: str(i),
                TIMESTAMP_HEADER: str(ts),
                SIGNATURE_HEADER: signature(SECRET, ts, body),
            }
            resp = await client.post(url, content=body, headers=headers)
            resp.raise_for_status()
        return time.perf_counter() - start


async def drain(feeds: Feeds, n: int) -> float:
    start = time.perf_counter()
    task = asyncio.create_task(feeds.run())
    while True:
        stats = await asyncio.to_thread(feeds.outbox.stats)
        if stats["bench"].delivered >= n:
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    feeds.stop()
    await task
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=100, help="events per enqueue transaction")
    ap.add_argument("--store", help="SQLAlchemy URL (default: a SQLite file in a temp dir); must be empty")
    args = ap.parse_args()

    payload = sample_payload()
    at = datetime.now(UTC)
    events = [
        FeedEvent(kind="incident.updated", at=at, subject=payload["id"], payload=payload, source="bench")
        for _ in range(args.events)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        receiver = Receiver()
        settings = FeedsSettings.model_validate(
            {
                "poll_interval_s": 0.05,
                "webhooks": [{"name": "bench", "url": receiver.url, "secret": "env:BENCH_SECRET"}],
            }
        )
        feeds = Feeds(engine, settings, SecretResolver(Path("."), env={"BENCH_SECRET": SECRET}), SystemClock())

        start = time.perf_counter()
        for i in range(0, len(events), args.batch):
            with engine.begin() as conn:
                feeds.outbox.enqueue([(e, ["bench"]) for e in events[i : i + args.batch]], connection=conn)
        enqueue_s = time.perf_counter() - start
        stored = [e.id for e in feeds.outbox.events(limit=args.events + 1)]

        drain_s = asyncio.run(drain(feeds, args.events))
        in_order = receiver.ids == stored
        bad = receiver.bad
        receiver.ids.clear()
        peer_s = asyncio.run(peer(receiver.url, events))
        engine.dispose()

    size = len(events[0].with_id(1).body())
    print(f"feeds benchmark: {args.events} events of {size} bytes, store {engine.dialect.name}, batch {args.batch}")
    print(f"  enqueue (outbox + delivery rows): {enqueue_s:.2f} s = {args.events / enqueue_s:,.0f} events/s")
    print(f"  drain to a loopback webhook:      {drain_s:.2f} s = {args.events / drain_s:,.0f} events/s")
    print(f"  peer, bare httpx, no store:       {peer_s:.2f} s = {args.events / peer_s:,.0f} events/s")
    print(f"  every event once, in order: {'yes' if in_order else 'NO'}; bad signatures: {bad}")
    print(json.dumps({"enqueue_s": enqueue_s, "drain_s": drain_s, "peer_s": peer_s, "in_order": in_order}))
    return 0 if in_order and bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
