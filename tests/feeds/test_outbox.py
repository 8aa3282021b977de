"""The durable outbox on SQLite and PostgreSQL, and the retry delays."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from correlator.clock import ManualClock
from correlator.feeds.backoff import delay_s, parse_retry_after
from correlator.feeds.events import FeedEvent
from correlator.feeds.outbox import Outbox
from correlator.feeds.settings import Backoff
from correlator.store.db import StoreNotReady, make_engine

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def ev(n: int) -> FeedEvent:
    return FeedEvent(kind="ticket.opened", at=T0, subject=f"T-{n}", payload={"n": n})


def test_ids_grow_are_never_reused_and_purge_keeps_what_is_not_delivered(store: Engine) -> None:
    clock = ManualClock(T0)
    box = Outbox(store, clock)
    first = box.enqueue([(ev(i), ["a", "b"]) for i in range(3)] + [(ev(9), [])])
    assert [e.subject for e in first] == ["T-0", "T-1", "T-2"]  # no destination: not stored
    ids = [e.id for e in first]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [p.event.id for p in box.pending("a")] == ids
    assert box.pending("a", after=ids[0])[0].event.id == ids[1]

    for i in ids:
        box.delivered("a", i, clock.now(), 200)
    box.delivered("b", ids[0], clock.now(), 204)
    box.dead_letter("b", ids[1], 3, 400, "HTTP 400 Bad Request")
    stats = box.stats()
    assert stats["a"].delivered == 3 and stats["a"].pending == 0 and stats["a"].oldest_pending_at is None
    assert (stats["b"].delivered, stats["b"].dead, stats["b"].pending) == (1, 1, 1)
    assert stats["b"].oldest_pending_at == T0

    clock.advance(timedelta(days=8))
    assert box.purge(clock.now() - timedelta(days=7)) == 1  # only the event every destination has
    assert [e.id for e in box.events()] == ids[1:]
    more = box.enqueue([(ev(3), ["a"])])
    assert more[0].id > ids[-1]
    box.delivered("b", ids[2], clock.now(), 200)
    box.delivered("a", more[0].id, clock.now(), 200)
    clock.advance(timedelta(days=8))
    assert box.purge(clock.now() - timedelta(days=7)) == 2  # the dead-lettered one stays
    assert [e.id for e in box.events()] == [ids[1]]
    assert box.enqueue([(ev(4), ["a"])])[0].id > more[0].id  # not reused after a purge of the highest


def test_dead_letters_are_kept_until_requeued_or_discarded(store: Engine) -> None:
    clock = ManualClock(T0)
    box = Outbox(store, clock)
    ids = [e.id for e in box.enqueue([(ev(i), ["a"]) for i in range(3)])]
    box.dead_letter("a", ids[0], 1, 422, "HTTP 422: bad field")
    box.dead_letter("a", ids[1], 1, 422, "HTTP 422: bad field")
    assert [d.event.id for d in box.dead()] == ids[:2]
    assert [p.event.id for p in box.pending("a")] == ids[2:]
    assert box.requeue("a", [ids[0]]) == 1
    assert [p.event.id for p in box.pending("a")] == [ids[0], ids[2]]  # ahead of the later one
    assert box.pending("a")[0].attempts == 0
    assert box.discard("a", [ids[1]]) == 1
    assert box.dead() == []


def test_failed_attempts_are_recorded_and_errors_cut(store: Engine) -> None:
    clock = ManualClock(T0)
    box = Outbox(store, clock)
    [e] = box.enqueue([(ev(1), ["a"])])
    box.failed("a", e.id, 4, T0 + timedelta(seconds=8), 503, "x" * 2000)
    [p] = box.pending("a")
    assert (p.attempts, p.next_attempt_at, p.last_status) == (4, T0 + timedelta(seconds=8), 503)
    assert p.last_error is not None and len(p.last_error) == 500
    assert p.event.payload == {"n": 1} and p.event.at == T0


def test_an_unmigrated_store_is_refused_with_the_fix(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(StoreNotReady, match="linewatch db upgrade"):
        Outbox(engine, ManualClock(T0))
    engine.dispose()


def test_backoff_doubles_caps_and_jitters_within_bounds() -> None:
    policy = Backoff(base_s=1, max_s=60, jitter=0.2)
    rng = random.Random(7)
    for attempt, raw in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (500, 60)]:
        for _ in range(20):
            d = delay_s(policy, attempt, rng)
            assert raw * 0.8 <= d <= raw
    exact = Backoff(base_s=0.5, max_s=10, jitter=0)
    assert [delay_s(exact, n, rng) for n in range(1, 7)] == [0.5, 1, 2, 4, 8, 10]


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = Backoff(base_s=1, max_s=30, jitter=0)
    rng = random.Random(1)
    assert delay_s(policy, 1, rng, retry_after_s=12) == 12
    assert delay_s(policy, 1, rng, retry_after_s=3600) == 30
    assert delay_s(policy, 5, rng, retry_after_s=2) == 16
    assert parse_retry_after("120", T0) == 120
    assert parse_retry_after("Tue, 01 Dec 2026 02:01:30 GMT", T0) == 90
    assert parse_retry_after("soon", T0) is None and parse_retry_after(None, T0) is None
