"""Arrival order does not matter: any permutation of one alarm's raise/clear events ends in the same
alarm (the specified behaviour: events are placed by their own times).

Every order of small histories is tried; larger ones with seeded random shuffles (the standard
library's ``random``, so each run tries the same orders).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from correlator.alarms import Alarm, AlarmChangeKind, AlarmState
from correlator.wire import AlarmEvent, Source
from tests.correlator.alarms.conftest import KEY, Bench, MakeBench, clear, raise_

SEEDS = range(40)
SHUFFLES = 30


def history(rng: random.Random) -> list[AlarmEvent]:
    """1-4 conditions of one alarm with duplicate raises and clears; the last may stay open."""
    events: list[AlarmEvent] = []
    now = 0
    conditions = rng.randint(1, 4)
    for i in range(conditions):
        start = now + rng.randint(1, 400)
        length = rng.randint(1, 400)
        gap_after = rng.randint(2, 400)
        events.append(raise_(start, source=rng.choice(list(Source))))
        if rng.random() < 0.4:
            events.append(raise_(start + rng.randint(0, length - 1), observed=start + length, source=Source.trap))
        last = i == conditions - 1
        if not (last and rng.random() < 0.4):
            events.append(clear(start, start + length, observed=start + length + rng.randint(0, 30)))
            if rng.random() < 0.3:
                events.append(clear(start, start + length + rng.randint(1, gap_after - 1), source=Source.trap))
        now = start + length + gap_after
    return events


def final(alarm: Alarm | None) -> dict[str, Any]:
    assert alarm is not None
    return {
        "state": alarm.state,
        "condition": alarm.condition,
        "raised_at": alarm.raised_at,
        "cleared_at": alarm.cleared_at,
        "count": alarm.count,
        "changes": alarm.changes,
        "first_seen": alarm.first_seen,
        "last_seen": alarm.last_seen,
        "sources": alarm.sources,
    }


def orders(events: list[AlarmEvent], rng: random.Random) -> list[list[AlarmEvent]]:
    if len(events) <= 6:
        return [list(p) for p in itertools.permutations(events)]
    out = []
    for _ in range(SHUFFLES):
        shuffled = list(events)
        rng.shuffle(shuffled)
        out.append(shuffled)
    return out


def run(bench: MakeBench, events: list[AlarmEvent], **settings: Any) -> Bench:
    b = bench(**settings)
    b.feed(*events)
    return b


@pytest.mark.parametrize("seed", SEEDS)
def test_any_order_ends_in_the_same_alarm(bench: MakeBench, seed: int) -> None:
    rng = random.Random(seed)
    events = history(rng)
    no_flapping = {"flap_threshold": 10_000}
    expected = final(run(bench, events, **no_flapping).book.get(KEY))
    for order in orders(events, rng):
        b = run(bench, order, **no_flapping)
        assert final(b.book.get(KEY)) == expected, [e.event_id for e in order]
        # the last raised/cleared reported agrees with where the alarm ended
        last = [c for c in b.reported if c.kind in (AlarmChangeKind.raised, AlarmChangeKind.cleared)][-1]
        assert last.alarm.state is expected["state"]


@pytest.mark.parametrize("seed", SEEDS)
def test_any_order_ends_in_the_same_state_after_flapping_settles(bench: MakeBench, seed: int) -> None:
    """With flapping on, what is reported on the way differs by order; once the hold-down has
    passed, the alarm is the same."""
    rng = random.Random(seed)
    events = history(rng)
    horizon = max(max(e.raised_at, e.cleared_at or e.raised_at, e.observed_at) for e in events)
    expected: dict[str, Any] | None = None
    for order in [events, *orders(events, rng)]:
        b = run(bench, order)
        b.clock.set(horizon)
        b.clock.advance(b.settings.hold_down_s)
        b.reported += b.book.tick()
        got = final(b.book.get(KEY))
        assert got["state"] is got["condition"] is not AlarmState.flapping
        expected = expected or got
        assert got == expected, [e.event_id for e in order]
        started = [c for c in b.reported if c.kind is AlarmChangeKind.flapping_started]
        ended = [c for c in b.reported if c.kind is AlarmChangeKind.flapping_ended]
        assert len(started) == len(ended) <= 1
