"""One condition seen by two sources (an SNMP table and a CLI command) is one alarm: raised once,
not flapped when one source stops seeing it first, cleared when the last one that saw it reads it
gone; and the rule survives a restart (the state store keeps which scopes see each condition)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.observation import Condition, Observation
from agent.state import StateTracker
from agent.statestore import FILE_NAME, StateStore
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.wire import Action, AlarmEvent, Resource, ResourceType, Severity, Source

SNMP, TL1 = "sonetSectionCurrent", "cli:alarms"
LOS = Condition(Resource(type=ResourceType.port, id="11-SL16-1"), "LOS", Severity.critical, SNMP)


def seen(scope: str, *conds: Condition) -> Observation:
    return Observation(
        device="SDH-1",
        conditions=[Condition(c.resource, c.alarm_type, c.severity, scope) for c in conds],
        scopes={scope},
    )


def failed(scope: str) -> Observation:
    """A look whose scope was not read completely (timeout, unparsed output)."""
    return Observation(device="SDH-1", problems=[f"{scope}: timeout"])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 21, 14, 0, tzinfo=UTC))


@pytest.fixture
def tracker(clock: ManualClock) -> StateTracker:
    return StateTracker("agent-1", load_alarm_types(), clock)


def brief(events: list[AlarmEvent]) -> list[tuple[str, str, str]]:
    return [(e.action.value, e.resource.key(), e.source.value) for e in events]


def test_snmp_first_then_cli_is_one_alarm_cleared_by_the_last_source(tracker: StateTracker) -> None:
    assert brief(tracker.observe(seen(SNMP, LOS))) == [("raise", "port:11-SL16-1", "poll")]
    assert tracker.observe(seen(TL1, LOS), Source.cli) == []
    assert tracker.observe(seen(SNMP), Source.poll) == [], "TL1 still sees it"
    assert tracker.observe(failed(TL1), Source.cli) == [], "a failed CLI read clears nothing"
    assert tracker.observe(seen(SNMP)) == []
    events = tracker.observe(seen(TL1), Source.cli)
    assert brief(events) == [("clear", "port:11-SL16-1", "cli")]
    assert events[0].action is Action.clear


def test_cli_first_then_snmp_and_a_disagreement_does_not_flap(tracker: StateTracker) -> None:
    assert brief(tracker.observe(seen(TL1, LOS), Source.cli)) == [("raise", "port:11-SL16-1", "cli")]
    assert tracker.observe(seen(SNMP, LOS)) == []
    # SNMP stops seeing it while TL1 goes on seeing it: no clear, no re-raise, poll after poll
    for _ in range(3):
        assert tracker.observe(seen(SNMP)) == []
        assert tracker.observe(seen(TL1, LOS), Source.cli) == []
    (held,) = tracker.active("SDH-1")
    assert held.seen_by == {TL1} and held.source is Source.cli
    assert brief(tracker.observe(seen(TL1), Source.cli)) == [("clear", "port:11-SL16-1", "cli")]


def test_a_source_that_never_saw_it_does_not_clear_it(tracker: StateTracker) -> None:
    tracker.observe(seen(TL1, LOS), Source.cli)
    assert tracker.observe(seen(SNMP)) == []
    assert [a.condition.key for a in tracker.active("SDH-1")] == [LOS.key]


def test_the_scopes_that_see_a_condition_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    types = load_alarm_types()
    store = StateStore.open(tmp_path, clock)
    tracker = StateTracker("agent-1", types, clock, sink=store, initial=store.load())
    tracker.observe(seen(SNMP, LOS))
    tracker.observe(seen(TL1, LOS), Source.cli)
    store.close()

    store = StateStore.open(tmp_path, clock)
    assert store.recovery is None
    tracker = StateTracker("agent-1", types, clock, sink=store, initial=store.load())
    (held,) = tracker.active("SDH-1")
    assert held.seen_by == {SNMP, TL1}
    assert tracker.observe(seen(SNMP)) == []
    assert brief(tracker.observe(seen(TL1), Source.cli)) == [("clear", "port:11-SL16-1", "cli")]
    store.close()


def test_a_state_file_of_an_older_agent_still_loads(tmp_path: Path, clock: ManualClock) -> None:
    """Conditions stored without ``seen_by`` belong to their own scope, as before."""
    store = StateStore.open(tmp_path, clock)
    tracker = StateTracker("agent-1", load_alarm_types(), clock, sink=store, initial=store.load())
    tracker.observe(seen(SNMP, LOS))
    store.close()
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:
        (text,) = conn.execute("SELECT condition FROM active").fetchone()
        data = json.loads(text)
        assert data.pop("seen_by") == [SNMP]
        conn.execute("UPDATE active SET condition = ?", (json.dumps(data),))
    store = StateStore.open(tmp_path, clock)
    assert store.recovery is None
    tracker = StateTracker("agent-1", load_alarm_types(), clock, sink=store, initial=store.load())
    (held,) = tracker.active("SDH-1")
    assert held.seen_by == frozenset() and held.scopes == {SNMP}
    assert brief(tracker.observe(seen(SNMP))) == [("clear", "port:11-SL16-1", "poll")]
    store.close()
