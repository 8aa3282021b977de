"""The alarm book, scenario by scenario: each step's reported changes and the alarm it leaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import ValidationError

from correlator.alarms import AlarmChangeKind, AlarmState, DedupSettings
from correlator.wire import AlarmEvent, Resource, ResourceType, Severity, Source
from tests.correlator.alarms.conftest import KEY, PORT, MakeBench, clear, kinds, raise_, secs, t


@dataclass(frozen=True)
class Tick:
    """Move the clock to T0 + ``at`` seconds and call tick()."""

    at: float


Step = AlarmEvent | Tick


@dataclass(frozen=True)
class Scenario:
    id: str
    steps: list[tuple[Step, list[str]]]
    """Each step with the change kinds it must report."""
    final: dict[str, Any]
    """Expected alarm fields at the end (times in seconds after T0); {} = no alarm."""
    settings: dict[str, Any] = field(default_factory=dict)


def R(at: float, **kw: Any) -> AlarmEvent:
    return raise_(at, **kw)


def C(raised: float, cleared: float | None, **kw: Any) -> AlarmEvent:
    return clear(raised, cleared, **kw)


SCENARIOS = [
    Scenario(
        "raise",
        [(R(0), ["raised"])],
        {"state": "active", "raised_at": 0, "cleared_at": None, "count": 1, "changes": 1},
    ),
    Scenario(
        "second raise of an active alarm merges",
        [(R(0), ["raised"]), (R(5, observed=7), [])],
        {"state": "active", "raised_at": 0, "count": 2, "changes": 1, "first_seen": 0, "last_seen": 7},
    ),
    Scenario(
        "same event id delivered twice is dropped",
        [(R(0, event_id="x1"), ["raised"]), (R(0, event_id="x1"), []), (C(0, 9, event_id="x2"), ["cleared"])],
        {"state": "cleared", "count": 1, "changes": 2, "cleared_at": 9},
    ),
    Scenario(
        "clear pairs with the raise (cleared_at from the event)",
        [(R(0), ["raised"]), (C(0, 20, observed=25), ["cleared"])],
        {"state": "cleared", "raised_at": 0, "cleared_at": 20, "last_seen": 25, "changes": 2},
    ),
    Scenario(
        "clear without cleared_at ends at its observed time",
        [(R(0), ["raised"]), (C(0, None, observed=30), ["cleared"])],
        {"state": "cleared", "cleared_at": 30},
    ),
    Scenario(
        "a second clear is a duplicate",
        [(R(0), ["raised"]), (C(0, 20), ["cleared"]), (C(0, 21, source=Source.trap), [])],
        {"state": "cleared", "cleared_at": 20, "sources": {"poll", "trap"}},
    ),
    Scenario(
        "clear before raise: both reported, alarm ends cleared",
        [(C(0, 20), []), (R(0, observed=2), ["raised", "cleared"])],
        {"state": "cleared", "raised_at": 0, "cleared_at": 20, "count": 1, "changes": 2, "first_seen": 2},
    ),
    Scenario(
        "clear before raise at the same instant",
        [(C(20, 20), []), (R(20), ["raised", "cleared"])],
        {"state": "cleared", "raised_at": 20, "cleared_at": 20},
    ),
    Scenario(
        "a raise after the waiting clear's time is a new condition",
        [(C(0, 20), []), (R(30), ["raised"])],
        {"state": "active", "raised_at": 30, "cleared_at": None, "changes": 1},
    ),
    Scenario(
        "late raise (t=10) after the clear (t=20) of a condition raised at t=0",
        [(R(0), ["raised"]), (C(0, 20), ["cleared"]), (R(10), [])],
        {"state": "cleared", "raised_at": 0, "cleared_at": 20, "count": 2, "changes": 2},
    ),
    Scenario(
        "an old raise after a newer clear does not resurrect the alarm (it only dates the condition earlier)",
        [(R(100), ["raised"]), (C(100, 200), ["cleared"]), (R(50, observed=250), ["updated"])],
        {"state": "cleared", "raised_at": 50, "cleared_at": 200, "last_seen": 250, "changes": 2},
    ),
    Scenario(
        "a raise newer than the clear raises again",
        [(R(0), ["raised"]), (C(0, 20), ["cleared"]), (R(30), ["raised"])],
        {"state": "active", "raised_at": 30, "cleared_at": None, "changes": 3},
    ),
    Scenario(
        "clear of a later condition before its raise, on a cleared alarm",
        [(R(0), ["raised"]), (C(0, 100), ["cleared"]), (C(400, 500), []), (R(400), ["raised", "cleared"])],
        {"state": "cleared", "raised_at": 400, "cleared_at": 500, "changes": 4},
    ),
    Scenario(
        "an earlier raise of an active alarm moves its start",
        [(R(10), ["raised"]), (R(4, observed=12, source=Source.trap), ["updated"])],
        {"state": "active", "raised_at": 4, "count": 2, "sources": {"poll", "trap"}},
    ),
    Scenario(
        "the earliest clear of a condition ends it",
        [(R(0), ["raised"]), (C(0, 20), ["cleared"]), (C(0, 15, observed=40), ["updated"])],
        {"state": "cleared", "cleared_at": 15},
    ),
    Scenario(
        "a late clear inside an active condition splits it",
        [(R(0), ["raised"]), (R(10), []), (C(0, 5, observed=11), ["updated"])],
        {"state": "active", "raised_at": 10, "changes": 3},
    ),
    Scenario(
        "severity change of an active alarm",
        [(R(0), ["raised"]), (R(1, severity=Severity.minor), ["updated"])],
        {"state": "active", "severity": "minor", "count": 2},
    ),
    Scenario(
        "flapping: the 4th change in the window starts it; toggles then report nothing",
        [
            (R(0), ["raised"]),
            (C(0, 10), ["cleared"]),
            (R(20), ["raised"]),
            (C(20, 30), ["flapping_started"]),
            (R(40), []),
            (C(40, 50), []),
            (R(60), []),
            (Tick(600), []),
            (Tick(659), []),
            (Tick(660), ["flapping_ended"]),
        ],
        {"state": "active", "raised_at": 60, "changes": 7, "flapping_since": None, "count": 4},
    ),
    Scenario(
        "flapping ends cleared when the condition is cleared",
        [
            (R(0), ["raised"]),
            (C(0, 1), ["cleared"]),
            (R(2), ["raised"]),
            (C(2, 3), ["flapping_started"]),
            (Tick(100), []),
            (Tick(603), ["flapping_ended"]),
            (Tick(10_000), []),
        ],
        {"state": "cleared", "cleared_at": 3},
    ),
    Scenario(
        "a change during the hold-down restarts it",
        [
            (R(0), ["raised"]),
            (C(0, 1), ["cleared"]),
            (R(2), ["raised"]),
            (C(2, 3), ["flapping_started"]),
            (R(500), []),
            (Tick(700), []),
            (Tick(1100), ["flapping_ended"]),
        ],
        {"state": "active", "raised_at": 500},
    ),
    Scenario(
        "changes spread wider than the window are not flapping",
        [
            (R(0), ["raised"]),
            (C(0, 200), ["cleared"]),
            (R(400), ["raised"]),
            (C(400, 600), ["cleared"]),
            (R(800), ["raised"]),
        ],
        {"state": "active", "changes": 5},
    ),
    Scenario(
        "flapping threshold and window are settings",
        [(R(0), ["raised"]), (C(0, 100), ["flapping_started"]), (Tick(150), ["flapping_ended"])],
        {"state": "cleared"},
        settings={"flap_threshold": 2, "flap_window_s": 200, "hold_down_s": 50},
    ),
    Scenario(
        "flapping decided on event times, whatever the arrival order",
        [
            (C(20, 30), []),
            (C(0, 10), []),
            (R(20), ["raised", "cleared"]),
            (R(0), ["flapping_started"]),
            (Tick(629), []),
            (Tick(630), ["flapping_ended"]),
        ],
        {"state": "cleared", "raised_at": 20, "cleared_at": 30, "changes": 4},
    ),
    Scenario(
        "a waiting clear expires: the raise that comes later stands",
        [(C(0, 20), []), (Tick(3599), []), (Tick(3600), []), (R(0), ["raised"])],
        {"state": "active", "raised_at": 0, "cleared_at": None},
    ),
    Scenario(
        "a waiting clear older than its memory is not used even without a tick",
        [(C(0, 20), []), (R(0), ["raised", "cleared"])],
        {"state": "cleared"},
        settings={"clear_before_raise_s": 1},
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(bench: MakeBench, scenario: Scenario) -> None:
    b = bench(**scenario.settings)
    for i, (step, expected) in enumerate(scenario.steps):
        got = b.at(step.at) if isinstance(step, Tick) else b.feed(step)
        assert kinds(got) == expected, f"step {i}: {step}"
    alarm = b.book.get(KEY)
    if not scenario.final:
        assert alarm is None
        return
    assert alarm is not None
    for name, want in scenario.final.items():
        value = getattr(alarm, name)
        if name in ("raised_at", "cleared_at", "first_seen", "last_seen", "flapping_since"):
            value = secs(value)
        elif name == "sources":
            value = {s.value for s in value}
        elif hasattr(value, "value"):
            value = value.value
        assert value == want, f"{name}: {value!r} != {want!r}"


# -- what the changes carry --------------------------------------------------------------------


def test_clear_before_raise_reports_the_interval(bench: MakeBench) -> None:
    b = bench()
    b.feed(C(5, 20))
    raised, cleared = b.feed(R(5))
    assert (raised.kind, secs(raised.at), raised.alarm.state, raised.alarm.cleared_at) == (
        AlarmChangeKind.raised,
        5,
        AlarmState.active,
        None,
    )
    assert (cleared.kind, secs(cleared.at), cleared.alarm.state, secs(cleared.alarm.cleared_at)) == (
        AlarmChangeKind.cleared,
        20,
        AlarmState.cleared,
        20,
    )


def test_changes_carry_snapshots(bench: MakeBench) -> None:
    b = bench()
    (raised,) = b.feed(R(0))
    b.feed(R(1), C(0, 10))
    assert raised.alarm.state is AlarmState.active
    assert raised.alarm.count == 1
    live = b.book.get(KEY)
    assert live is not None and live.state is AlarmState.cleared and live.count == 2


def test_flapping_alarm_is_one_standing_problem(bench: MakeBench) -> None:
    b = bench()
    b.feed(R(0), C(0, 10), R(20), C(20, 30))
    (alarm,) = b.book.active()
    assert alarm.state is AlarmState.flapping
    assert alarm.condition is AlarmState.cleared
    assert secs(alarm.flapping_since) == 0
    assert [c.kind for c in b.reported].count(AlarmChangeKind.flapping_started) == 1
    for i in range(10):
        b.feed(R(40 + 20 * i), C(40 + 20 * i, 50 + 20 * i))
    assert [c.kind for c in b.reported].count(AlarmChangeKind.flapping_started) == 1
    assert len(b.book.active()) == 1
    b.at(230 + 599)
    assert len(b.book.active()) == 1
    (ended,) = b.at(230 + 600)
    assert ended.kind is AlarmChangeKind.flapping_ended
    assert secs(ended.at) == 230 + 600  # last change (230) + hold-down, not the tick time
    assert ended.alarm.state is AlarmState.cleared
    assert b.book.active() == []


def test_severity_layer_kind_from_event_and_table(bench: MakeBench) -> None:
    b = bench()
    b.feed(R(0, alarm_type="MS_AIS", severity=Severity.major, layer="line"))
    alarm = b.book.get(KEY.replace("LOS", "MS_AIS"))
    assert alarm is not None
    assert (alarm.severity, alarm.layer, alarm.kind, alarm.unknown_type) == (
        Severity.major,
        "line",
        "indication",
        False,
    )


def test_unknown_alarm_type_is_kept_as_a_defect(bench: MakeBench) -> None:
    b = bench()
    assert kinds(b.feed(R(0, alarm_type="VENDOR_THING", layer="board"))) == ["raised"]
    alarm = b.book.get(KEY.replace("LOS", "VENDOR_THING"))
    assert alarm is not None and alarm.kind == "defect" and alarm.unknown_type
    assert b.book.stats().unknown_types == 1


def test_reduction_key_separates_resources_and_types(bench: MakeBench) -> None:
    b = bench()
    other_port = Resource(type=ResourceType.port, id="12-SL16-1")
    b.feed(R(0), R(0, resource=other_port), R(0, alarm_type="LOF"), R(0, device="SDH-NOR"))
    assert len(b.book.all()) == 4
    assert {a.key for a in b.book.active()} == {
        KEY,
        "SDH-CEN|port:12-SL16-1|LOS",
        "SDH-CEN|port:11-SL16-1|LOF",
        "SDH-NOR|port:11-SL16-1|LOS",
    }


def test_stats_count_what_happened(bench: MakeBench) -> None:
    b = bench()
    b.feed(C(0, 5), R(0, event_id="a"), R(0, event_id="a"), R(10), R(11), C(10, 20))
    s = b.book.stats()
    assert (s.events, s.redelivered, s.orphan_clears, s.duplicate_raises, s.alarms) == (5, 1, 1, 1, 1)
    assert s.unmapped == 1  # no resolver: nothing is mapped
    assert s.by_kind == {"defect": 1}


# -- memories on the clock -----------------------------------------------------------------------


def test_event_ids_are_forgotten_after_their_memory(bench: MakeBench) -> None:
    b = bench(event_id_memory_s=100)
    b.feed(R(0, event_id="same"))
    b.at(99)
    assert b.feed(R(0, event_id="same")) == []
    assert b.book.get(KEY).count == 1  # type: ignore[union-attr]
    b.at(100)
    b.feed(R(0, event_id="same"))
    assert b.book.get(KEY).count == 2  # type: ignore[union-attr]


def test_waiting_clears_are_listed_and_expire(bench: MakeBench) -> None:
    b = bench(clear_before_raise_s=60)
    b.feed(C(0, 20, event_id="orphan"))
    assert [o.event_id for o in b.book.waiting_clears()] == ["orphan"]
    assert b.book.get(KEY) is None
    b.at(59)
    assert len(b.book.waiting_clears()) == 1
    b.at(60)
    assert b.book.waiting_clears() == []
    assert b.book.stats().orphan_clears_expired == 1
    writes = b.book.take_writes()
    assert writes.orphans_removed == ["orphan"]


def test_cleared_alarms_leave_the_book_after_retention(bench: MakeBench) -> None:
    b = bench(cleared_retention_s=1000)
    b.feed(R(0), C(0, 100), R(0, alarm_type="LOF"))
    b.at(1099)
    assert b.book.get(KEY) is not None
    b.at(1100)
    assert b.book.get(KEY) is None
    assert [a.alarm_type for a in b.book.all()] == ["LOF"]  # active alarms stay however old
    assert b.book.stats().evicted == 1


def test_retention_counts_from_the_latest_event(bench: MakeBench) -> None:
    b = bench(cleared_retention_s=1000)
    b.feed(R(0), C(0, 100), C(0, 101, observed=900))
    b.at(1500)
    assert b.book.get(KEY) is not None
    b.at(1900)
    assert b.book.get(KEY) is None


# -- long histories ----------------------------------------------------------------------------------


def test_long_history_is_folded_and_stays_right(bench: MakeBench) -> None:
    """A port that toggles every 10 minutes for two days: 576 changes, history kept small."""
    b = bench(reorder_window_s=3600)
    for i in range(288):
        b.feed(R(600 * i), C(600 * i, 600 * i + 300))
    alarm = b.book.get(KEY)
    assert alarm is not None
    assert (alarm.state, alarm.changes, alarm.count) == (AlarmState.cleared, 576, 288)
    assert (secs(alarm.raised_at), secs(alarm.cleared_at)) == (600 * 287, 600 * 287 + 300)
    timeline = b.book.export_state().alarms[0].timeline
    assert len(timeline.edges) <= 64 + 2
    assert timeline.folded_until is not None
    # an event older than the kept history is counted but cannot change the state
    b.feed(R(600 * 10 + 400))
    assert b.book.stats().stale_events == 1
    assert b.book.get(KEY).state is AlarmState.cleared  # type: ignore[union-attr]
    # within the kept history it still counts
    assert kinds(b.feed(R(600 * 287 + 200))) == []
    assert kinds(b.feed(R(600 * 288))) == ["raised"]


# -- settings -------------------------------------------------------------------------------------------


def test_settings_defaults_are_the_documented_ones() -> None:
    s = DedupSettings()
    assert (s.flap_threshold, s.flap_window_s, s.hold_down_s, s.clear_before_raise_s) == (4, 300, 600, 3600)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"flap_treshold": 3}, "Extra inputs are not permitted"),
        ({"flap_threshold": 1}, "greater than or equal to 2"),
        ({"flap_window_s": 4000}, "reorder_window_s .* must be at least flap_window_s"),
    ],
)
def test_bad_settings_are_refused(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DedupSettings(**given)


def test_import_state_needs_an_empty_book(bench: MakeBench) -> None:
    b = bench()
    b.feed(R(0))
    with pytest.raises(ValueError, match="empty AlarmBook"):
        b.book.import_state(b.book.export_state())


def test_export_import_round_trip_in_memory(bench: MakeBench) -> None:
    b = bench()
    b.feed(R(0), C(0, 10), R(20), C(20, 30), C(0, 50, alarm_type="LOF"), R(0, alarm_type="LOS", event_id="e-last"))
    state = b.book.export_state()
    other = bench()
    other.book.import_state(state)
    assert other.book.all() == b.book.all()
    assert other.book.waiting_clears() == b.book.waiting_clears()
    assert other.feed(R(0, event_id="e-last")) == []  # the seen event id came along
    assert kinds(other.at(30 + 600)) == ["flapping_ended"]


def test_port_resource_if_index_does_not_split_the_alarm(bench: MakeBench) -> None:
    b = bench()
    b.feed(R(0, resource=PORT), R(1, resource=Resource(type=ResourceType.port, id=PORT.id)))
    assert len(b.book.all()) == 1
    assert b.book.get(KEY).count == 2  # type: ignore[union-attr]


def test_times_of_changes(bench: MakeBench) -> None:
    b = bench()
    (r,) = b.feed(R(3, observed=4))
    (c,) = b.feed(C(3, 9, observed=12))
    assert (r.at, c.at) == (t(3), t(9))
