"""Benchmark of the ticket book: the tickets of a duct cut's storm, opened, ticked and restored.

    .venv/bin/python bench/tickets/run.py [--elements 10000] [--circuits 100000] [--alarms 50000] [--seed 7]
                                          [--stores memory,sqlite,postgresql] [--pg URL]

The network, the cut and its alarm storm are the correlator benchmark's (``bench/correlate/run.py``,
same seed, same sizes): one incident hurting thousands of circuits. The storm is fed to a correlator
(batched, 0.1 s of stream per ``ingest_many``) with a :class:`~correlator.tickets.book.TicketBook`
behind it on each store in turn: in memory (the replay's), SQLite (a file in a temporary folder) and
PostgreSQL (``--pg``, default the test server on 127.0.0.1, a fresh schema dropped afterwards).

Timed, per store: the batch that publishes the incident (one ticket per circuit in outage or down to
one route, opened and written in one transaction); a clock tick with every ticket open (the dispatch
warnings of all of them at once, written once each); a tick with nothing due; a tick that re-reads
every open ticket (what the book does every ``rescan``, 10 s); the repair (the LOS
alarms clear: every ticket restored at the clear time, one transaction); a ``linewatch ticket list``
query of the open tickets. Checked: one ticket per hit circuit, outage vs lost protection as the
diversity evaluation says, every one restored at the repair. Prints figures; there is no peer to
compare with in this run (the old ticket preview only listed tickets in memory). Not a test: it
times things.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from correlator.alarms import AlarmBook, Resolver  # noqa: E402
from correlator.alarmtypes import load_alarm_types  # noqa: E402
from correlator.clock import ManualClock  # noqa: E402
from correlator.correlation import Correlator, ImpactStatus, load_rules  # noqa: E402
from correlator.domain import TicketKind  # noqa: E402
from correlator.tickets.book import TicketBook  # noqa: E402
from correlator.tickets.facts import CircuitDirectory  # noqa: E402
from correlator.tickets.model import TicketState  # noqa: E402
from correlator.tickets.store import OPEN_STATES, MemoryTicketStore, TicketQuery, TicketStore  # noqa: E402
from correlator.wire import Action, AlarmEvent  # noqa: E402


def _correlate_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_correlate", ROOT / "bench" / "correlate" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def sqlite_store() -> Iterator[TicketStore]:
    from correlator.store.db import make_engine, upgrade
    from correlator.tickets.repository import TicketRepository

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        try:
            yield TicketRepository(engine)
        finally:
            engine.dispose()


@contextmanager
def pg_store(url: str) -> Iterator[TicketStore]:
    import psycopg
    from psycopg import sql
    from sqlalchemy import make_url

    from correlator.store.db import make_engine, normalise_url, upgrade
    from correlator.tickets.repository import TicketRepository

    base = normalise_url(url)
    schema = f"bench_{secrets.token_hex(4)}"
    conninfo = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
            upgrade(scoped)
            engine = make_engine(scoped)
            try:
                yield TicketRepository(engine)
            finally:
                engine.dispose()
        finally:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run_store(
    label: str,
    store: TicketStore,
    bench: Any,
    net: Any,
    policy: Any,
    index: Any,
    events: list[AlarmEvent],
    expected: dict[str, ImpactStatus],
) -> None:
    rules, types = load_rules(), load_alarm_types()
    clock = ManualClock(events[0].observed_at)
    alarms = AlarmBook(rules.dedup, types, clock, Resolver(net.inv))
    cor = Correlator(net.inv, policy, rules, clock, index, alarms, alarm_types=types)
    book = TicketBook(policy, CircuitDirectory(net.inv, policy), store)
    gc.collect()
    opened_in = 0.0
    n_events = 0
    step = timedelta(seconds=0.1)
    pending: list[AlarmEvent] = []
    end = events[0].observed_at + step

    def feed(batch: list[AlarmEvent]) -> None:
        nonlocal opened_in, n_events
        book.apply(cor.ingest_many(batch), clock.now())
        n_events += len(batch)

    for e in events:
        if e.observed_at >= end:
            feed(pending)
            pending, end = [], e.observed_at + step
        clock.set(max(clock.now(), e.observed_at))
        pending.append(e)
    feed(pending)
    # the settle window ends: the incident is published and its tickets open
    while (nxt := cor.next_deadline()) is not None and nxt <= clock.now() + timedelta(seconds=rules.settle_seconds):
        clock.set(nxt)
        changes = cor.tick()
        _events_out, took = timed(lambda changes=changes: book.apply(changes, clock.now()))  # type: ignore[misc]
        opened_in += took
    tickets = store.find(TicketQuery())
    got = {t.circuit_id: t.kind for t in tickets}
    want = {
        c: TicketKind.outage if s is ImpactStatus.outage else TicketKind.protection_lost for c, s in expected.items()
    }
    right = got == want and len(tickets) == len(want)
    n_out = sum(1 for k in got.values() if k is TicketKind.outage)
    # every ticket's dispatch warning at once (80% of 15 min after the fault)
    clock.set(min(t.known_at for t in tickets) + timedelta(minutes=12, seconds=1))
    warned, tick_warn = timed(lambda: book.tick(clock.now()))
    _, tick_idle = timed(lambda: book.tick(clock.now()))
    book.invalidate()
    _, tick_scan = timed(lambda: book.tick(clock.now()))
    # the repair: the LOS alarms clear
    repair_at = clock.now() + timedelta(minutes=1)
    clears = [
        e.model_copy(
            update={"action": Action.clear, "cleared_at": repair_at, "observed_at": repair_at, "event_id": f"c-{i}"}
        )
        for i, e in enumerate(ev for ev in events if ev.alarm_type == "LOS")
    ]
    clock.set(repair_at)
    changes = cor.ingest_many(clears)
    restored, restore_s = timed(lambda: book.apply(changes, clock.now()))
    after = store.find(TicketQuery())
    all_restored = all(t.state is TicketState.restored and t.restored_at == repair_at for t in after)
    listed, list_s = timed(lambda: store.find(TicketQuery(states=OPEN_STATES)))
    print(
        f"{label}: {len(tickets)} tickets ({n_out} outage, {len(tickets) - n_out} protection lost), as expected:"
        f" {'yes' if right else 'NO'}; all restored at the repair: {'yes' if all_restored else 'NO'}"
    )
    rows = [
        ("  open the incident's tickets", f"{opened_in:.2f} s", f"{len(tickets) / opened_in:,.0f} tickets/s"),
        ("  tick: every dispatch warning", f"{tick_warn:.2f} s", f"{len(warned)} warnings"),
        ("  tick: nothing due", f"{tick_idle * 1000:.1f} ms", "no store read"),
        ("  tick: re-read every open ticket", f"{tick_scan * 1000:.0f} ms", f"{len(tickets)} tickets (every rescan)"),
        ("  repair: restore every ticket", f"{restore_s:.2f} s", f"{len(restored)} events"),
        ("  list the open tickets", f"{list_s * 1000:.0f} ms", f"{len(listed)} tickets"),
    ]
    for name, value, extra in rows:
        print(f"{name:<36} {value:>10}   {extra}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elements", type=int, default=10_000)
    ap.add_argument("--circuits", type=int, default=100_000)
    ap.add_argument("--alarms", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--stores", default="memory,sqlite,postgresql")
    ap.add_argument(
        "--pg",
        default=os.environ.get("LINEWATCH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL URL (a schema of its own is made and dropped)",
    )
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    bench = _correlate_bench()
    import yaml

    from correlator.diversity import NetworkIndex, RouteState, evaluate
    from correlator.policy import SlaPolicy

    t = time.perf_counter()
    net = bench.Net(args.elements, args.circuits, args.seed)
    policy = SlaPolicy.model_validate(yaml.safe_load((ROOT / "config" / "sla.yaml").read_text()))
    index = NetworkIndex(net.inv, policy)
    duct, events = bench.storm(net, index, args.alarms, args.seed)
    expected = {
        cid: ImpactStatus.outage if st is RouteState.outage else ImpactStatus.protection_lost
        for cid, st in evaluate(index, [f"duct:{duct}"]).states.items()
    }
    print(
        f"network (seed {args.seed}): {len(net.inv.devices)} elements, {len(net.inv.circuits)} circuits;"
        f" cut duct:{duct}: {len(expected)} circuits hit, {len(events)} alarms;"
        f" built in {time.perf_counter() - t:.1f} s"
    )
    for label in args.stores.split(","):
        if label == "memory":
            run_store("memory", MemoryTicketStore(), bench, net, policy, index, events, expected)
        elif label == "sqlite":
            with sqlite_store() as store:
                run_store("sqlite", store, bench, net, policy, index, events, expected)
        elif label == "postgresql":
            try:
                with pg_store(args.pg) as store:
                    run_store("postgresql", store, bench, net, policy, index, events, expected)
            except Exception as exc:
                print(f"postgresql: not run ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        else:
            print(f"unknown store '{label}' (use memory, sqlite, postgresql)")
            return 2
        gc.collect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
