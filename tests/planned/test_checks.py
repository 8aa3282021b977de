"""The notice and approval rules on the lab's three windows, thresholds from config/sla.yaml."""

from __future__ import annotations

from datetime import datetime, timedelta

from correlator.configfile.loader import LoadedConfig
from correlator.diversity.expand import NetworkIndex
from correlator.planned import PlannedCalendar, PlannedRule, check_windows
from correlator.policy import PlannedWorkPolicy, SlaPolicy
from tests.planned.conftest import CST, MakeCalendar, window

T = datetime(2026, 12, 10, 2, 0, tzinfo=CST)
Lab = tuple[LoadedConfig, NetworkIndex]


def with_rules(policy: SlaPolicy, **rules: object) -> SlaPolicy:
    return policy.model_copy(update={"planned_work": PlannedWorkPolicy(**(policy.planned_work.model_dump() | rules))})


def test_the_three_lab_windows(lab: Lab, lab_calendar: PlannedCalendar) -> None:
    checks = {c.window.id: c for c in check_windows(lab_calendar, lab[0].policy)}
    assert list(checks) == ["PW-2026-12-001", "PW-2026-12-002", "PW-2026-12-003"]

    compliant = checks["PW-2026-12-001"]
    assert compliant.ok and compliant.takes_service  # takes C-007, but announced 96 h ahead and approved

    short = checks["PW-2026-12-002"]
    assert [f.rule for f in short.findings] == [PlannedRule.notice_too_short]
    f = short.findings[0]
    assert set(f.circuits) == {"C-006", "C-009", "C-011", "C-012"}
    assert set(f.customers) == {"CUST-PGOV", "CUST-CAR", "CUST-SMB", "CUST-COOP"}
    assert "announced 24.0 h ahead, 72 h required" in f.message

    unapproved = checks["PW-2026-12-003"]
    assert [f.rule for f in unapproved.findings] == [PlannedRule.approval_missing]
    msg = unapproved.findings[0].message
    assert "lasts 32.0 h (over 24 h)" in msg
    assert "CUST-PGOV (provincial_key)" in msg and "CUST-BANK (group_top100)" in msg
    assert "CUST-SMB" not in unapproved.findings[0].customers  # touched, but not an important customer
    assert {c.id for c in unapproved.customers} >= {"CUST-PGOV", "CUST-BANK", "CUST-SMB"}


def test_thresholds_come_from_the_policy(lab: Lab, lab_calendar: PlannedCalendar) -> None:
    relaxed = with_rules(
        lab[0].policy, notice_hours=12, approval_required_over_hours=48, approval_required_for_important=False
    )
    assert all(c.ok for c in check_windows(lab_calendar, relaxed))
    strict = with_rules(lab[0].policy, notice_hours=100)
    one = next(c for c in check_windows(lab_calendar, strict) if c.window.id == "PW-2026-12-001")
    assert [f.rule for f in one.findings] == [PlannedRule.notice_too_short]
    assert "96.0 h ahead, 100 h required" in one.findings[0].message


def test_length_alone_needs_approval(lab: Lab, calendar_of: MakeCalendar) -> None:
    # C-012's countryside spur: only an ordinary, non-important customer; 30 h of work
    cal = calendar_of(window("LONG", ["link:L-IP-RIV-XC"], T, hours=30))
    (chk,) = check_windows(cal, lab[0].policy)
    assert [f.rule for f in chk.findings] == [PlannedRule.approval_missing]
    assert "lasts 30.0 h" in chk.findings[0].message and "important" not in chk.findings[0].message
    approved = calendar_of(window("LONG", ["link:L-IP-RIV-XC"], T, hours=30, approved=True, approved_by="duty"))
    assert check_windows(approved, lab[0].policy)[0].ok


def test_protection_only_work_needs_no_notice_but_approval_for_important_customers(
    lab: Lab, calendar_of: MakeCalendar
) -> None:
    cal = calendar_of(window("SPAN", ["link:L-SDH-CEN-NOR"], T, hours=1, notice_hours=1))
    (chk,) = check_windows(cal, lab[0].policy)
    assert not chk.takes_service
    assert {i.circuit for i in chk.impact.lose_protection} == {"C-001", "C-013"}
    assert [f.rule for f in chk.findings] == [PlannedRule.approval_missing]


def test_announced_after_it_began(lab: Lab, calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("LATE", ["link:L-IP-RIV-XC"], T, hours=1, notice_hours=-0.25))
    (chk,) = check_windows(cal, lab[0].policy)
    assert [f.rule for f in chk.findings] == [PlannedRule.notice_too_short]
    assert "announced after it began" in chk.findings[0].message


def test_two_overlapping_windows_that_together_take_a_protected_circuit(lab: Lab, calendar_of: MakeCalendar) -> None:
    ok = {"approved": True, "approved_by": "duty"}
    working = window("W1", ["link:L-SDH-CEN-NOR"], T, hours=2, **ok)  # C-001 working
    protection = window("W2", ["link:L-SDH-EAS-SOU"], T + timedelta(hours=1), hours=2, **ok)  # C-001 protection
    later = window("W3", ["link:L-SDH-EAS-SOU"], T + timedelta(hours=2), hours=2, **ok)  # after W1 ends
    checks = {c.window.id: c for c in check_windows(calendar_of(working, protection), lab[0].policy)}
    for wid, other in (("W1", "W2"), ("W2", "W1")):
        (f,) = checks[wid].findings
        assert f.rule is PlannedRule.combined_outage and f.other_window == other
        assert "C-001" in f.circuits and "CUST-PGOV" in f.customers
    assert all(c.ok for c in check_windows(calendar_of(working, later), lab[0].policy))


def test_cancelled_windows_are_listed_not_checked(lab: Lab, calendar_of: MakeCalendar) -> None:
    w = window("CXL", ["device:AGG-CEN"], T, notice_hours=1, cancelled_at=T - timedelta(hours=2))
    (chk,) = check_windows(calendar_of(w), lab[0].policy)
    assert not chk.checked and chk.ok
    assert chk.as_dict()["state"] == "cancelled"


def test_a_resource_the_inventory_lost(lab: Lab, calendar_of: MakeCalendar) -> None:
    cal = calendar_of(window("GONE", ["link:L-NO-SUCH", "link:L-IP-RIV-XC"], T, approved=True, approved_by="x"))
    (chk,) = check_windows(cal, lab[0].policy)
    assert [f.rule for f in chk.findings] == [PlannedRule.unknown_resource]
    assert "link:L-NO-SUCH" in chk.findings[0].message


def test_json_shape(lab: Lab, lab_calendar: PlannedCalendar) -> None:
    doc = check_windows(lab_calendar, lab[0].policy)[1].as_dict()
    assert doc["id"] == "PW-2026-12-002"
    assert doc["notice_hours"] == 24.0 and doc["duration_hours"] == 2.0
    assert doc["findings"][0]["rule"] == "notice_too_short"
    assert {c["circuit"] for c in doc["lose_service"]} == {"C-006", "C-009", "C-011", "C-012"}
