"""The calendar: what a window covers across layers, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from correlator.correlation import ImpactStatus
from correlator.planned import PlannedCalendar, PlannedWindow
from tests.correlator.conftest import Harness, read_jsonl, shipped_rules
from tests.planned.conftest import CST, MakeCalendar, window

T = datetime(2026, 12, 10, 2, 0, tzinfo=CST)


def covered(cal: PlannedCalendar, wid: str) -> set[str]:
    return set(cal.covered(wid))


# -- across layers ------------------------------------------------------------------------------


def test_duct_window_covers_cables_links_ports_and_the_paths_logical_resources(lab_calendar: PlannedCalendar) -> None:
    keys = covered(lab_calendar, "PW-2026-12-001")  # duct D-036 (+ the cable and links it names)
    assert {
        "duct:D-036",
        "cable:CB-EAS-SOU",
        "link:L-SDH-EAS-SOU",
        "link:L-IP-EAS-SOU",
        "port:SDH-EAS:12-SL16-1",
        "port:SDH-SOU:1-CXL16-1",
        "port:AGG-EAS:GigabitEthernet0/3/0",
        "port:ATN-SOU:GigabitEthernet0/2/1",
        "trail:VC4-JC-0101-P",  # C-001's protection trail rides L-SDH-EAS-SOU
    } <= keys
    # what the duct does not carry
    assert not keys & {"duct:D-035", "cable:CB-CEN-NOR", "link:L-SDH-CEN-NOR", "device:SDH-EAS", "board:SDH-EAS:12"}


def test_a_duct_alone_covers_what_rides_it(calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("W", ["duct:D-036"], T))
    keys = covered(cal, "W")
    assert {"cable:CB-EAS-SOU", "link:L-SDH-EAS-SOU", "link:L-IP-EAS-SOU", "port:SDH-SOU:1-CXL16-1"} <= keys


def test_cable_covers_links_and_ports_not_its_ducts(calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("W", ["cable:CB-EAS-SOU"], T))
    keys = covered(cal, "W")
    assert {"link:L-SDH-EAS-SOU", "link:L-IP-EAS-SOU", "port:AGG-EAS:GigabitEthernet0/3/0"} <= keys
    assert "duct:D-036" not in keys


def test_link_covers_its_two_ports_only(calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("W", ["link:L-IP-WES-CEN"], T))
    physical = {k for k in covered(cal, "W") if k.split(":")[0] in ("link", "port", "cable", "device", "board")}
    assert physical == {"link:L-IP-WES-CEN", "port:ATN-WES:GigabitEthernet0/2/0", "port:AGG-CEN:GigabitEthernet0/3/0"}


def test_device_covers_boards_ports_and_links_ending_on_it(calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("W", ["device:AGG-CEN"], T))
    keys = covered(cal, "W")
    assert {
        "device:AGG-CEN",
        "board:AGG-CEN:3",
        "board:AGG-CEN:9",
        "port:AGG-CEN:GigabitEthernet0/3/0",
        "link:L-IP-WES-CEN",
        "port:ATN-WES:GigabitEthernet0/2/0",  # the far end reports the link down
        "pw:PW-20021",
    } <= keys
    assert not keys & {"device:ATN-WES", "device:AGG-EAS", "cable:CB-WES-CEN"}


def test_board_covers_its_ports_and_their_links(calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("W", ["board:AGG-CEN:3"], T))
    keys = covered(cal, "W")
    assert {"port:AGG-CEN:GigabitEthernet0/3/0", "port:AGG-CEN:GigabitEthernet0/3/1", "link:L-IP-WES-CEN"} <= keys
    assert not keys & {"port:AGG-CEN:GigabitEthernet0/2/0", "board:AGG-CEN:2", "device:AGG-CEN"}


def test_port_covers_its_link_and_far_port(calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("W", ["port:AGG-CEN:GigabitEthernet0/3/0"], T))
    keys = covered(cal, "W")
    assert {"link:L-IP-WES-CEN", "port:ATN-WES:GigabitEthernet0/2/0"} <= keys
    assert "port:AGG-CEN:GigabitEthernet0/3/1" not in keys


def test_site_covers_its_elements(calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("W", ["site:CO-CENTRAL"], T))
    keys = covered(cal, "W")
    assert {"device:SDH-CEN", "device:AGG-CEN", "board:AGG-CEN:3", "link:L-SDH-CEN-NOR"} <= keys


# -- when -----------------------------------------------------------------------------------------


def test_covering_is_start_inclusive_end_exclusive(calendar_of: MakeCalendar) -> None:
    w = window("W", ["device:AGG-CEN"], T, hours=2)
    cal = calendar_of(w)
    key = "board:AGG-CEN:3"
    assert cal.covering(key, w.start - timedelta(seconds=1)) is None
    ref = cal.covering(key, w.start)
    assert ref is not None and (ref.id, ref.start, ref.end) == ("W", w.start, w.end)
    assert cal.covering(key, w.end - timedelta(seconds=1)) is not None
    assert cal.covering(key, w.end) is None
    assert cal.covering("board:AGG-EAS:1", w.start) is None


def test_a_window_not_announced_yet_covers_nothing_until_announced(calendar_of: MakeCalendar) -> None:
    late = window("LATE", ["link:L-IP-WES-CEN"], T, hours=2, notice_hours=-0.5)  # announced 30 min after start
    cal = calendar_of(late)
    assert cal.covering("link:L-IP-WES-CEN", T + timedelta(minutes=10)) is None
    ref = cal.covering("link:L-IP-WES-CEN", T + timedelta(minutes=40))
    assert ref is not None and ref.start == late.announced_at


def test_cancelled_windows_cover_nothing_and_a_cut_short_one_until_cancelled(calendar_of: MakeCalendar) -> None:
    before = window("CXL", ["link:L-IP-WES-CEN"], T, cancelled_at=T - timedelta(hours=1))
    during = window("CUT", ["link:L-SDH-CEN-NOR"], T, hours=4, cancelled_at=T + timedelta(hours=1))
    cal = calendar_of(before, during)
    assert before.state == "cancelled" and during.state == "cut_short"
    assert cal.covering("link:L-IP-WES-CEN", T + timedelta(minutes=5)) is None
    assert cal.covering("link:L-SDH-CEN-NOR", T + timedelta(minutes=59)) is not None
    assert cal.covering("link:L-SDH-CEN-NOR", T + timedelta(minutes=61)) is None
    assert [w.id for w in cal.windows_over("link:L-IP-WES-CEN")] == ["CXL"]  # still known, covering nothing


def test_overlapping_windows_and_spans_clipped_to_a_period(calendar_of: MakeCalendar) -> None:
    a = window("A", ["cable:CB-WES-CEN"], T, hours=2)
    b = window("B", ["device:AGG-CEN"], T + timedelta(hours=1), hours=2)
    cal = calendar_of(a, b)
    key = "link:L-IP-WES-CEN"  # on both
    assert {r.id for r in cal.covering_all(key, T + timedelta(minutes=90))} == {"A", "B"}
    assert cal.covering(key, T + timedelta(minutes=90)).id == "A"  # type: ignore[union-attr]
    spans = cal.cover_spans(key, T + timedelta(minutes=30), T + timedelta(hours=2, minutes=30))
    assert [(s.id, s.start, s.end) for s in spans] == [
        ("A", T + timedelta(minutes=30), T + timedelta(hours=2)),
        ("B", T + timedelta(hours=1), T + timedelta(hours=2, minutes=30)),
    ]


# -- affected circuits ----------------------------------------------------------------------------


def test_affected_circuits_of_the_lab_windows(lab_calendar: PlannedCalendar) -> None:
    one = lab_calendar.impact("PW-2026-12-001")
    assert [i.circuit for i in one.lose_service] == ["C-007"]  # unprotected, down for the splice
    assert {i.circuit for i in one.lose_protection} == {"C-001", "C-002", "C-003", "C-004"}
    two = lab_calendar.impact("PW-2026-12-002")
    assert {i.circuit for i in two.lose_service} == {"C-006", "C-009", "C-011", "C-012"}  # C-006: shared board


# -- the correlator's own keys --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "resources"),
    [
        ("sdh-span-cut", ["cable:CB-CEN-NOR"]),
        ("duct-cut", ["duct:D-013"]),
        ("board-fault", ["device:AGG-CEN"]),
        ("flapping-port", ["device:ATN-RIV"]),
        ("cpe-power-off", ["site:CP-SMB-01"]),
        ("ipran-agg-port-down", ["board:AGG-CEN:3"]),
    ],
)
def test_calendar_covers_the_roots_the_correlator_names(
    calendar_of: MakeCalendar, scenario: str, resources: list[str]
) -> None:
    """Replay a recorded stream; a window over the right resource covers the incident's root key."""
    events = read_jsonl(scenario)
    h = Harness(shipped_rules(), start=events[0].observed_at).run(events)
    inc = h.only()
    assert any(iv.status is ImpactStatus.outage or iv.status is ImpactStatus.protection_lost for iv in inc.history)
    start = inc.started_at - timedelta(minutes=5)
    cal = calendar_of(window("W", resources, start, hours=1))
    ref = cal.covering(inc.root_key, inc.started_at)
    assert ref is not None and ref.id == "W", inc.root_key
    assert cal.covering(inc.root_key, start + timedelta(hours=2)) is None


def test_refs_are_utc(calendar_of: MakeCalendar) -> None:
    w = window("W", ["link:L-IP-WES-CEN"], T)
    ref = calendar_of(w).covering("link:L-IP-WES-CEN", T)
    assert ref is not None and ref.start.utcoffset() == timedelta(0) and ref.start.tzinfo is UTC


def test_windows_from_the_inventory_keep_their_fields(lab_windows: list[PlannedWindow]) -> None:
    w = next(x for x in lab_windows if x.id == "PW-2026-12-003")
    assert w.duration == timedelta(hours=32)
    assert not w.approved and w.start == datetime(2026, 12, 19, 14, 0, tzinfo=UTC)
    assert w.resources[0] == "duct:D-005"
