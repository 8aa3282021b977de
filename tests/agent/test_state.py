"""StateTracker: observations and traps in, raise/clear AlarmEvents out (pure logic, hand-built input)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from agent.observation import Condition, Observation
from agent.state import REBOOT_TYPE, DeviceState, StateTracker
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.wire import Action, AlarmEvent, Resource, ResourceType, Severity, Source, parse_event

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def port(name: str, if_index: int | None = None) -> Resource:
    return Resource(type=ResourceType.port, id=name, if_index=if_index)


def link_down(name: str, scope: str = "ifTable", detail: str = "") -> Condition:
    return Condition(port(name), "LINK_DOWN", Severity.major, scope, detail)


def los(name: str) -> Condition:
    return Condition(port(name), "LOS", Severity.critical, "sdhAlarmTable")


def obs(
    conditions: Sequence[Condition] = (), scopes: Sequence[str] = ("ifTable",), uptime: int | None = None
) -> Observation:
    return Observation("NE-A", list(conditions), scopes=set(scopes), uptime_ticks=uptime)


class Ids:
    def __init__(self) -> None:
        self._n = itertools.count(1)

    def __call__(self) -> str:
        return f"ev{next(self._n)}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def tracker(clock: ManualClock) -> StateTracker:
    return StateTracker("agent-t", load_alarm_types(), clock, id_factory=Ids())


def brief(events: Sequence[AlarmEvent]) -> list[tuple[str, str, str, str]]:
    return [(e.action.value, e.resource.id, e.alarm_type, e.source.value) for e in events]


def test_new_condition_raises_once_with_every_field(tracker: StateTracker, clock: ManualClock) -> None:
    events = tracker.observe(obs([link_down("GE0/0/1", detail="ifOperStatus down")]))
    assert len(events) == 1
    e = events[0]
    assert e.event_id == "ev1"
    assert e.action is Action.raise_
    assert (e.device, e.resource, e.alarm_type) == ("NE-A", port("GE0/0/1"), "LINK_DOWN")
    assert e.severity is Severity.major
    assert e.layer == "ethernet"  # from config/alarm_types.yaml, not from the condition
    assert e.raised_at == T0 and e.observed_at == T0 and e.cleared_at is None
    assert e.source is Source.poll and e.agent == "agent-t" and e.detail == "ifOperStatus down"
    assert parse_event(e.to_json()) == e  # a valid wire event

    clock.advance(60)
    assert tracker.observe(obs([link_down("GE0/0/1")])) == []


def test_gone_condition_clears_with_original_raise_time(tracker: StateTracker, clock: ManualClock) -> None:
    tracker.observe(obs([link_down("GE0/0/1"), link_down("GE0/0/2")]))
    clock.advance(300)
    events = tracker.observe(obs([link_down("GE0/0/2")]))
    assert brief(events) == [("clear", "GE0/0/1", "LINK_DOWN", "poll")]
    assert events[0].raised_at == T0
    assert events[0].cleared_at == T0 + timedelta(seconds=300) == events[0].observed_at
    assert [a.condition.resource.id for a in tracker.active("NE-A")] == ["GE0/0/2"]


def test_incomplete_scope_clears_nothing(tracker: StateTracker, clock: ManualClock) -> None:
    tracker.observe(obs([link_down("GE0/0/1"), los("11-SL16-1")], scopes=["ifTable", "sdhAlarmTable"]))
    clock.advance(300)
    # the SDH alarm table timed out this time: only ifTable was read completely
    events = tracker.observe(obs([], scopes=["ifTable"]))
    assert brief(events) == [("clear", "GE0/0/1", "LINK_DOWN", "poll")]
    assert [a.condition.alarm_type for a in tracker.active("NE-A")] == ["LOS"]
    # an unreachable element: only the reachability scope, nothing else cleared
    unreachable = Condition(
        Resource(type=ResourceType.device, id="NE-A"), "DEVICE_UNREACHABLE", Severity.critical, "reachability"
    )
    events = tracker.observe(obs([unreachable], scopes=["reachability"]))
    assert brief(events) == [("raise", "NE-A", "DEVICE_UNREACHABLE", "poll")]
    events = tracker.observe(obs([], scopes=["reachability", "sdhAlarmTable"]))
    assert sorted(brief(events)) == [
        ("clear", "11-SL16-1", "LOS", "poll"),
        ("clear", "NE-A", "DEVICE_UNREACHABLE", "poll"),
    ]


def test_trap_then_poll_is_one_alarm_and_poll_clears_it(tracker: StateTracker, clock: ManualClock) -> None:
    events = tracker.trap("NE-A", Action.raise_, link_down("GE0/0/1", detail="linkDown trap"))
    assert brief(events) == [("raise", "GE0/0/1", "LINK_DOWN", "trap")]
    assert tracker.trap("NE-A", Action.raise_, link_down("GE0/0/1")) == []  # repeated trap
    clock.advance(30)
    assert tracker.observe(obs([link_down("GE0/0/1")])) == []  # the poll confirms: no second alarm
    clock.advance(300)
    events = tracker.observe(obs([]))  # a complete ifTable without it
    assert brief(events) == [("clear", "GE0/0/1", "LINK_DOWN", "poll")]
    assert events[0].raised_at == T0


def test_trap_clear(tracker: StateTracker, clock: ManualClock) -> None:
    tracker.observe(obs([link_down("GE0/0/1")]))
    clock.advance(10)
    events = tracker.trap("NE-A", Action.clear, link_down("GE0/0/1", detail="linkUp trap"))
    assert brief(events) == [("clear", "GE0/0/1", "LINK_DOWN", "trap")]
    assert events[0].raised_at == T0 and events[0].cleared_at == T0 + timedelta(seconds=10)
    assert events[0].detail == "linkUp trap"
    assert tracker.trap("NE-A", Action.clear, link_down("GE0/0/1")) == []  # nothing active: nothing
    assert tracker.observe(obs([])) == []  # and the poll has nothing left to clear


def test_trap_raised_condition_outside_any_polled_scope_stays(tracker: StateTracker) -> None:
    vendor = Condition(Resource(type=ResourceType.board, id="3"), "BOARD_FAULT", Severity.critical, "trap:hwEntity")
    tracker.trap("NE-A", Action.raise_, vendor)
    assert tracker.observe(obs([], scopes=["ifTable", "entStateTable"])) == []
    assert [a.condition for a in tracker.active("NE-A")] == [vendor]


def test_poll_updates_scope_of_a_trap_raised_condition(tracker: StateTracker) -> None:
    tracker.trap("NE-A", Action.raise_, link_down("GE0/0/1", scope="trap"))
    assert tracker.observe(obs([link_down("GE0/0/1", scope="ifTable")])) == []
    events = tracker.observe(obs([], scopes=["ifTable"]))
    assert brief(events) == [("clear", "GE0/0/1", "LINK_DOWN", "poll")]


def test_reboot_raises_and_next_successful_look_clears(tracker: StateTracker, clock: ManualClock) -> None:
    assert tracker.observe(obs(uptime=500_000)) == []
    clock.advance(300)
    events = tracker.observe(obs(uptime=6_000))
    assert brief(events) == [("raise", "NE-A", REBOOT_TYPE, "poll")]
    assert events[0].resource.type is ResourceType.device
    assert events[0].severity is Severity.warning and events[0].layer == "device"
    assert "500000" in events[0].detail and "6000" in events[0].detail
    clock.advance(300)
    # an unreachable look (no sysUpTime read) does not clear it
    assert tracker.observe(obs([], scopes=["reachability"], uptime=None)) == []
    clock.advance(300)
    events = tracker.observe(obs(uptime=66_000))
    assert brief(events) == [("clear", "NE-A", REBOOT_TYPE, "poll")]
    assert events[0].raised_at == T0 + timedelta(seconds=300)


def test_uptime_wrap_is_not_a_reboot(tracker: StateTracker, clock: ManualClock) -> None:
    tracker.observe(obs(uptime=2**32 - 10_000))  # 100 s before the 497-day wrap
    clock.advance(300)
    assert tracker.observe(obs(uptime=20_000)) == []  # wrapped: 2**32 - 10000 + 30000 - 2**32
    clock.advance(300)
    events = tracker.observe(obs(uptime=1_000))  # really restarted
    assert brief(events) == [("raise", "NE-A", REBOOT_TYPE, "poll")]


def test_unknown_alarm_type_is_ignored_and_logged(tracker: StateTracker, caplog: pytest.LogCaptureFixture) -> None:
    bad = Condition(port("GE0/0/1"), "NOT_A_TYPE", Severity.major, "ifTable")
    assert brief(tracker.observe(obs([bad, link_down("GE0/0/2")]))) == [("raise", "GE0/0/2", "LINK_DOWN", "poll")]
    assert tracker.observe(obs([bad, link_down("GE0/0/2")])) == []
    assert "NOT_A_TYPE" in caplog.text and "alarm_types.yaml" in caplog.text
    assert [a.condition.resource.id for a in tracker.active("NE-A")] == ["GE0/0/2"]


class FailingSink:
    def __init__(self) -> None:
        self.fail = True
        self.saved: list[tuple[str, DeviceState, list[AlarmEvent]]] = []

    def save(self, device: str, state: DeviceState, events: Sequence[AlarmEvent]) -> None:
        if self.fail:
            raise OSError("disk full")
        self.saved.append((device, state, list(events)))


def test_failed_save_leaves_state_unchanged(clock: ManualClock) -> None:
    sink = FailingSink()
    tracker = StateTracker("agent-t", load_alarm_types(), clock, sink=sink, id_factory=Ids())
    with pytest.raises(OSError):
        tracker.observe(obs([link_down("GE0/0/1")]))
    assert tracker.active("NE-A") == []
    sink.fail = False
    events = tracker.observe(obs([link_down("GE0/0/1")]))
    assert brief(events) == [("raise", "GE0/0/1", "LINK_DOWN", "poll")]
    assert sink.saved[0][2] == events and list(sink.saved[0][1].active) == [link_down("GE0/0/1").key]


def test_initial_state_is_not_raised_again_and_vanished_is_cleared(clock: ManualClock) -> None:
    first = StateTracker("agent-t", load_alarm_types(), clock, id_factory=Ids())
    first.observe(obs([link_down("GE0/0/1"), link_down("GE0/0/2")], uptime=1000))
    restarted = StateTracker(
        "agent-t", load_alarm_types(), clock, initial={"NE-A": first.state("NE-A")}, id_factory=Ids()
    )
    clock.advance(600)
    events = restarted.observe(obs([link_down("GE0/0/2")], uptime=61_000))
    assert brief(events) == [("clear", "GE0/0/1", "LINK_DOWN", "poll")]
    assert events[0].raised_at == T0
