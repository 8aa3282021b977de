"""StateStore: the agent's state and outbox in a real SQLite file, across restarts and damage."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.observation import Condition, Observation
from agent.state import StateTracker
from agent.statestore import FILE_NAME, StateStore
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.wire import Action, Resource, ResourceType, Severity, Source

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def down(name: str) -> Condition:
    return Condition(Resource(type=ResourceType.port, id=name, if_index=7), "LINK_DOWN", Severity.major, "ifTable", "x")


def look(*names: str, uptime: int = 1000) -> Observation:
    return Observation("NE-A", [down(n) for n in names], scopes={"ifTable"}, uptime_ticks=uptime)


def tracker(store: StateStore, clock: ManualClock, prefix: str) -> StateTracker:
    counter = itertools.count(1)
    return StateTracker(
        "agent-t",
        load_alarm_types(),
        clock,
        sink=store,
        initial=store.load(),
        id_factory=lambda: f"{prefix}{next(counter)}",
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def test_restart_neither_reraises_nor_loses_a_clear(tmp_path: Path, clock: ManualClock) -> None:
    store = StateStore.open(tmp_path, clock)
    assert store.persistent and store.recovery is None
    first = tracker(store, clock, "a")
    assert len(first.observe(look("GE1", "GE2"))) == 2
    first.trap("NE-A", Action.raise_, down("GE3"))
    store.close()

    clock.advance(3600)
    store = StateStore.open(tmp_path, clock)
    second = tracker(store, clock, "b")
    assert second.state("NE-A") == first.state("NE-A")  # conditions, raise times, sources, uptime
    assert [a.source for a in second.active("NE-A")] == [Source.poll, Source.poll, Source.trap]
    # GE2 went away while the agent was down: cleared at the first complete look, with its raise time
    events = second.observe(look("GE1", "GE3", uptime=361_000))
    assert [(e.action, e.resource.id, e.raised_at) for e in events] == [(Action.clear, "GE2", T0)]
    store.close()


def test_outbox_keeps_events_until_acknowledged_in_order(tmp_path: Path, clock: ManualClock) -> None:
    store = StateStore.open(tmp_path, clock)
    t = tracker(store, clock, "e")
    t.observe(look("GE1"))
    t.observe(look("GE1", "GE2"))
    t.observe(look("GE2"))
    assert [e.event_id for e in store.pending()] == ["e1", "e2", "e3"]
    assert [(e.action, e.resource.id) for e in store.pending()] == [
        (Action.raise_, "GE1"),
        (Action.raise_, "GE2"),
        (Action.clear, "GE1"),
    ]
    store.ack(["e1"])
    store.close()

    store = StateStore.open(tmp_path, clock)  # unacknowledged events survive a restart
    assert [e.event_id for e in store.pending()] == ["e2", "e3"]
    assert [e.event_id for e in store.pending(limit=1)] == ["e2"]
    store.ack(["e2", "e3"])
    assert store.pending() == [] and store.pending_count() == 0
    store.close()


def test_a_failed_batch_changes_nothing(tmp_path: Path, clock: ManualClock) -> None:
    store = StateStore.open(tmp_path, clock)
    # an id factory gone wrong: every event gets the same id, so the second batch cannot be queued
    t = StateTracker("agent-t", load_alarm_types(), clock, sink=store, id_factory=lambda: "same-id-1")
    t.observe(look("GE1"))
    with pytest.raises(sqlite3.IntegrityError):
        t.observe(look("GE1", "GE2"))
    assert [a.condition.resource.id for a in t.active("NE-A")] == ["GE1"]
    store.close()
    store = StateStore.open(tmp_path, clock)
    assert [a.condition.resource.id for a in store.load()["NE-A"].active.values()] == ["GE1"]
    assert [e.event_id for e in store.pending()] == ["same-id-1"]
    store.close()


def test_file_is_wal(tmp_path: Path, clock: ManualClock) -> None:
    store = StateStore.open(tmp_path, clock)
    with sqlite3.connect(tmp_path / FILE_NAME) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"this is not an sqlite file at all" * 100), id="garbage"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:1500]), id="truncated"),
        pytest.param(
            lambda p: sqlite3.connect(p).executescript("DROP TABLE meta; CREATE TABLE meta (k TEXT);").close(),
            id="foreign-schema",
        ),
        pytest.param(
            lambda p: sqlite3.connect(p).executescript("UPDATE active SET condition = '{bad json';").close(),
            id="bad-row",
        ),
    ],
)
def test_unreadable_file_is_moved_aside_and_agent_starts_empty(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture, damage: object
) -> None:
    store = StateStore.open(tmp_path, clock)
    tracker(store, clock, "a").observe(look("GE1"))
    store.close()
    path = tmp_path / FILE_NAME
    damage(path)  # type: ignore[operator]
    before = path.read_bytes()

    store = StateStore.open(tmp_path, clock)
    assert store.recovery is not None and store.recovery.moved_to is not None
    assert store.recovery.moved_to.read_bytes() == before  # kept for inspection, not deleted
    assert store.recovery.moved_to.name.startswith(f"{FILE_NAME}.unreadable-20250301T080000Z")
    assert store.persistent and store.load() == {} and store.pending() == []
    assert "unreadable" in caplog.text and "EMPTY state" in caplog.text and str(store.recovery.moved_to) in caplog.text
    # and the fresh file works
    assert len(tracker(store, clock, "b").observe(look("GE1"))) == 1
    store.close()


def test_state_dir_that_cannot_exist_falls_back_to_memory(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    store = StateStore.open(blocker / "state", clock)
    assert not store.persistent and store.recovery is not None
    assert "IN MEMORY ONLY" in caplog.text
    assert len(tracker(store, clock, "m").observe(look("GE1"))) == 1
    assert len(store.pending()) == 1
    store.close()
