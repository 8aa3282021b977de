"""Availability from recorded alarm streams run into the store, on SQLite and PostgreSQL.

Lab planned work (config/lab/inventory/planned_work.yaml, Asia/Shanghai):
PW-2026-12-002 covers device AGG-CEN from 2026-12-14 17:00 to 19:00 UTC, announced 24 h ahead.
The board-fault stream takes AGG-CEN board 3 down for 15 minutes: C-006 (both paths on the board),
C-009, C-011 and C-012 lose service, C-002 and C-004 lose protection.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from correlator.availability import AvailabilityError, month_period, operator_tz, period_of
from correlator.clock import ManualClock
from correlator.planned.service import PlannedWorkService, WindowSpec, parse_request
from correlator.policy import AvailabilityPolicy
from tests.availability.conftest import SHANGHAI, T0, LabRun, december, ev, minutes, read_jsonl, shift
from tests.correlator.conftest import lab_network

BOARD_OUT = ("C-006", "C-009", "C-011", "C-012")
PW2_START = datetime(2026, 12, 14, 17, 0, tzinfo=UTC)
PW2_END = datetime(2026, 12, 14, 19, 0, tzinfo=UTC)


def board_fault(engine: Engine, at: datetime) -> None:
    events = shift(read_jsonl("board-fault"), at)
    LabRun(engine, events[0].observed_at).feed(events).settle()


# -- planned work -----------------------------------------------------------------------------------


def test_a_restore_inside_the_planned_window_costs_nothing(lab_store: Engine) -> None:
    board_fault(lab_store, PW2_START + timedelta(minutes=30))
    report = december(lab_store)
    for cid in BOARD_OUT:
        assert minutes(report, cid) == (0.0, 15.0, 0), cid
        assert report.circuit(cid).availability_percent == 100.0
    assert minutes(report, "C-002") == (0.0, 0.0, 0)  # lost protection only
    assert "planned work excluded from outage: PW-2026-12-002" in report.notes


def test_a_restore_after_the_window_counts_the_overrun(lab_store: Engine) -> None:
    board_fault(lab_store, PW2_END - timedelta(minutes=10))  # 18:50 .. 19:05
    report = december(lab_store, detail=True)
    for cid in BOARD_OUT:
        assert minutes(report, cid) == (5.0, 10.0, 1), cid
    c = report.circuit("C-006")
    assert [(s.start, s.end) for s in c.spans] == [(PW2_END, PW2_END + timedelta(minutes=5))]
    assert [(s.start, s.end, s.reason) for s in c.excluded] == [
        (PW2_END - timedelta(minutes=10), PW2_END, "planned_work:PW-2026-12-002")
    ]


def test_the_same_alarms_outside_the_window_count(lab_store: Engine) -> None:
    board_fault(lab_store, datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
    report = december(lab_store)
    for cid in BOARD_OUT:
        assert minutes(report, cid) == (15.0, 0.0, 1), cid
    c = report.circuit("C-006")
    assert c.mttr_seconds == 900.0
    assert c.availability_percent == pytest.approx(100 * (1 - 15 / (31 * 24 * 60)))
    assert c.met  # AA: 99.95 % allows 22.3 minutes a month
    assert report.notes == []


def test_a_fault_the_window_does_not_cover_counts_inside_it(lab_store: Engine) -> None:
    """The window is on AGG-CEN; the studio's CPE losing power during it is the customer's own outage."""
    events = shift(read_jsonl("cpe-power-off"), PW2_START + timedelta(minutes=20))
    LabRun(lab_store, events[0].observed_at).feed(events).settle()
    assert minutes(december(lab_store), "C-011") == (480.5, 0.0, 1)


def test_each_exclusion_can_be_turned_off(lab_store: Engine) -> None:
    board_fault(lab_store, PW2_START + timedelta(minutes=30))
    policy = lab_network()[0].policy
    off = policy.model_copy(update={"availability": AvailabilityPolicy(exclude_planned_work=False)})
    assert minutes(december(lab_store, policy=off), "C-006") == (15.0, 0.0, 1)
    assert minutes(december(lab_store, planned=False), "C-006") == (15.0, 0.0, 1)


def test_a_window_announced_during_the_outage_excludes_only_from_its_announcement(lab_store: Engine) -> None:
    start = datetime(2026, 12, 17, 2, 0, tzinfo=UTC)
    events = shift(read_jsonl("board-fault"), start)
    run = LabRun(lab_store, events[0].observed_at)
    run.feed(events[:5])  # the fault is on
    run.advance_to(start + timedelta(minutes=5))
    index = lab_network()[1]
    svc = PlannedWorkService(lab_store, index, ManualClock(start + timedelta(minutes=5)))
    svc.create(
        parse_request(
            WindowSpec,
            {
                "id": "EMERGENCY-1",
                "title": "emergency board swap",
                "kind": "other",
                "resources": ["board:AGG-CEN:3"],
                "start": start - timedelta(minutes=10),
                "end": start + timedelta(hours=1),
            },
        ),
        "cli:duty",
    )
    run.feed(events[5:]).settle()
    assert minutes(december(lab_store), "C-006") == (5.0, 10.0, 1)


# -- protection ------------------------------------------------------------------------------------


def protection_leg(start: float, end: float) -> list:  # type: ignore[type-arg]
    """LOS on both ends of L-SDH-EAS-SOU (C-001's protection path) from T0+start to T0+end."""
    return [
        ev(start, "SDH-EAS", "port", "12-SL16-1", "LOS"),
        ev(start, "SDH-SOU", "port", "1-CXL16-1", "LOS"),
        ev(end, "SDH-EAS", "port", "12-SL16-1", "LOS", action="clear"),
        ev(end, "SDH-SOU", "port", "1-CXL16-1", "LOS", action="clear"),
    ]


def test_a_protected_circuit_with_one_leg_down_has_no_outage(lab_store: Engine) -> None:
    events = read_jsonl("sdh-span-cut")  # the working span of C-001 (and C-013), ten minutes
    LabRun(lab_store, events[0].observed_at).feed(events).settle()
    report = december(lab_store)
    assert minutes(report, "C-001") == (0.0, 0.0, 0)
    assert minutes(report, "C-013") == (0.0, 0.0, 0)
    assert report.circuit("C-001").availability_percent == 100.0


def test_both_legs_down_is_an_outage_counted_once(lab_store: Engine) -> None:
    """Working span cut 02:00-02:10, protection span cut 02:03-02:08: two incidents, each records
    the overlap as outage of C-001; it is five minutes, not ten."""
    events = read_jsonl("sdh-span-cut") + protection_leg(180, 480)
    LabRun(lab_store, events[0].observed_at).feed(events).settle()
    report = december(lab_store, detail=True)
    assert minutes(report, "C-001") == (5.0, 0.0, 1)
    (span,) = report.circuit("C-001").spans
    assert (span.start, span.end) == (T0 + timedelta(minutes=3), T0 + timedelta(minutes=8))
    assert len(span.incidents) == 2  # both incidents hold the circuit down
    assert minutes(report, "C-013") == (0.0, 0.0, 0)  # its protection is elsewhere


def test_an_unplanned_fault_on_the_other_leg_during_planned_work_counts(lab_store: Engine) -> None:
    """PW-2026-12-001 works on C-001's protection span (announced); the working span is cut by a
    digger meanwhile: the outage is the digger's, and counts."""
    pw1 = datetime(2026, 12, 7, 16, 30, tzinfo=UTC)
    planned_leg = shift(protection_leg(0, 3 * 3600), pw1 + timedelta(minutes=30))
    digger = shift(read_jsonl("sdh-span-cut"), pw1 + timedelta(hours=1))
    events = planned_leg + digger
    LabRun(lab_store, min(e.observed_at for e in events)).feed(events).settle()
    report = december(lab_store)
    assert minutes(report, "C-001") == (10.0, 0.0, 1)
    assert minutes(report, "C-007") == (0.0, 0.0, 0)  # C-007 rides L-IP-EAS-SOU, untouched here


# -- overlapping incidents, open outages, month boundaries -------------------------------------------


def test_two_incidents_overlapping_on_one_circuit_count_once(lab_store: Engine) -> None:
    """The studio's CPE is off 02:00-10:00:30; AGG-CEN board 3 fails 03:00-03:15 meanwhile: C-011
    has two overlapping outage intervals of two incidents, and one outage of 480.5 minutes."""
    events = read_jsonl("cpe-power-off") + shift(read_jsonl("board-fault"), T0 + timedelta(hours=1))
    LabRun(lab_store, T0).feed(events).settle()
    report = december(lab_store, detail=True)
    assert minutes(report, "C-011") == (480.5, 0.0, 1)
    assert len(report.circuit("C-011").spans[0].incidents) == 2
    assert minutes(report, "C-009") == (15.0, 0.0, 1)


def test_an_open_outage_runs_to_now_or_to_the_period_end(lab_store: Engine) -> None:
    raises = [e for e in read_jsonl("cpe-power-off") if e.action.value == "raise"]
    LabRun(lab_store, T0).feed(raises).settle(600)
    now = T0 + timedelta(hours=2)
    report = december(lab_store, now=now)
    c = report.circuit("C-011")
    assert minutes(report, "C-011") == (120.0, 0.0, 1) and c.ongoing
    assert report.measured_until == now and c.period_seconds == (now - month_period("2026-12", SHANGHAI).start).seconds
    later = december(lab_store)  # measured after the month: down until its last minute
    c = later.circuit("C-011")
    end = month_period("2026-12", SHANGHAI).end
    assert c.outage_seconds == (end - T0).total_seconds() and c.ongoing
    assert not c.met


def test_an_outage_across_local_midnight_of_a_month_end(lab_store: Engine) -> None:
    """20:00 +08:00 on 30 November to 04:00:30 +08:00 on 1 December: split by the operator's month."""
    events = shift(read_jsonl("cpe-power-off"), datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    LabRun(lab_store, events[0].observed_at).feed(events).settle()
    nov, dec = (december(lab_store, period=month_period(m, SHANGHAI)) for m in ("2026-11", "2026-12"))
    assert minutes(nov, "C-011") == (240.0, 0.0, 1)
    assert minutes(dec, "C-011") == (240.5, 0.0, 1)
    assert nov.circuit("C-011").period_seconds == 30 * 86400
    utc = operator_tz("UTC")
    nov_utc, dec_utc = (december(lab_store, period=month_period(m, utc)) for m in ("2026-11", "2026-12"))
    assert minutes(nov_utc, "C-011") == (480.5, 0.0, 1)
    assert minutes(dec_utc, "C-011") == (0.0, 0.0, 0)
    both = period_of("2026-11-01", "2026-12-31", SHANGHAI)
    assert [p.label for p in both.months()] == ["2026-11", "2026-12"]
    assert minutes(december(lab_store, period=both), "C-011") == (480.5, 0.0, 1)


# -- groups and filters ----------------------------------------------------------------------------


def test_per_customer_and_per_level_against_targets(lab_store: Engine) -> None:
    events = read_jsonl("cpe-power-off") + shift(read_jsonl("board-fault"), T0 + timedelta(hours=1))
    LabRun(lab_store, T0).feed(events).settle()
    report = december(lab_store)
    month = 31 * 24 * 60
    smb = report.customer("CUST-SMB")
    assert (smb.circuits, round(smb.outage_seconds / 60, 1), smb.below_target, smb.met) == (1, 480.5, ["C-011"], False)
    pgov = report.customer("CUST-PGOV")  # C-001 untouched, C-006 15 minutes
    assert pgov.circuits == 2 and pgov.availability_percent == pytest.approx(100 * (1 - 15 / (2 * month)))
    level = report.level("III")
    assert level.target_percent == 99.7 and not level.met and level.below_target == ["C-011"]
    aa = report.level("AA")
    assert aa.met and aa.outages == 1 and aa.mttr_seconds == 900
    assert report.total.circuits == 13 and report.total.outages == 4
    assert [g.key for g in report.by_level] == ["AAA", "AA", "A", "I", "II", "III", "ordinary"]
    assert report.by_customer[0].key == "CUST-BANK"  # group tier first


def test_filters_and_errors(lab_store: Engine) -> None:
    LabRun(lab_store, T0).feed(read_jsonl("board-fault")).settle()
    one = december(lab_store, customer="CUST-CAR")
    assert [c.circuit for c in one.circuits] == ["C-009", "C-010"] and one.total.outages == 1
    two = december(lab_store, circuits=["C-006", "C-001"])
    assert [c.circuit for c in two.circuits] == ["C-001", "C-006"]
    with pytest.raises(AvailabilityError, match="customer 'CUST-NOPE' has no circuit"):
        december(lab_store, customer="CUST-NOPE")
    with pytest.raises(AvailabilityError, match="circuit C-999 is not in the store"):
        december(lab_store, circuits=["C-999"])
    with pytest.raises(AvailabilityError, match="has not begun yet"):
        december(lab_store, now=datetime(2026, 11, 1, tzinfo=UTC))
