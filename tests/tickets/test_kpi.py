"""The monthly timeliness rate: month boundaries in the operator's zone, exclusions, open tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from correlator.domain import CustomerTier, MaintenanceLevel, ServiceLevel, TicketCause, TicketKind
from correlator.tickets.kpi import KpiError, compute, month_bounds, monthly, render_text
from correlator.tickets.model import Ticket, TicketState
from correlator.tickets.store import MemoryTicketStore, TicketWrite
from tests.tickets.conftest import lab_policy

SH = ZoneInfo("Asia/Shanghai")
M = timedelta(minutes=1)
S = timedelta(seconds=1)
# 2026-12-01 00:00 in Shanghai is 2026-11-30 16:00 UTC
DEC = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
_n = iter(range(1, 10_000))


def tk(
    due: datetime,
    restored: datetime | None = None,
    *,
    cause: TicketCause | None = None,
    team: str | None = "JC-IP-1",
    tier: CustomerTier = CustomerTier.local_a,
    kind: TicketKind = TicketKind.outage,
    limit: int = 90,
) -> Ticket:
    known = due - limit * M
    state = TicketState.closed if cause else TicketState.restored if restored else TicketState.accepted
    return Ticket(
        id=f"TK-{next(_n):04d}",
        circuit_id="C-004",
        customer_id="CUST-HOSP",
        kind=kind,
        state=state,
        priority=1322,
        tier=tier,
        maintenance_level=MaintenanceLevel.AA,
        service_level=ServiceLevel.vip2,
        heavy_penalty=False,
        known_at=known,
        opened_at=known,
        restore_limit_minutes=limit,
        restore_due_at=due,
        restored_at=restored,
        team=team,
        cause=cause,
    )


def test_month_bounds_are_local_midnights() -> None:
    assert month_bounds("2026-12", SH) == (DEC, datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    assert month_bounds("2027-01", SH)[0] == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert month_bounds("2026-12", UTC) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    for bad in ("2026-13", "2026/12", "Dec 2026", "26-12"):
        with pytest.raises(KpiError, match="is not YYYY-MM"):
            month_bounds(bad, SH)


def test_a_ticket_counts_in_the_month_its_limit_falls_due_in_the_operators_zone() -> None:
    policy = lab_policy()
    last_of_nov = tk(DEC - S, DEC - 10 * M)  # due 23:59:59 Shanghai on 30 Nov
    first_of_dec = tk(DEC, DEC - 10 * M)  # due 00:00:00 Shanghai on 1 Dec
    last_of_dec = tk(DEC + timedelta(days=31) - S, DEC)
    first_of_jan = tk(DEC + timedelta(days=31), DEC)
    tickets = [last_of_nov, first_of_dec, last_of_dec, first_of_jan]
    now = DEC + timedelta(days=40)
    nov = compute(tickets, policy, "2026-11", SH, now)
    dec = compute(tickets, policy, "2026-12", SH, now)
    jan = compute(tickets, policy, "2027-01", SH, now)
    assert [j.ticket.id for j in nov.judged] == [last_of_nov.id]
    assert [j.ticket.id for j in dec.judged] == [first_of_dec.id, last_of_dec.id]
    assert [j.ticket.id for j in jan.judged] == [first_of_jan.id]
    # the same tickets in UTC months fall differently: the zone matters
    assert [j.ticket.id for j in compute(tickets, policy, "2026-11", UTC, now).judged] == [
        last_of_nov.id,
        first_of_dec.id,
    ]


def test_rate_exclusions_open_tickets_and_the_target() -> None:
    policy = lab_policy()
    due = DEC + timedelta(days=10)
    tickets = [
        *(tk(due + i * M, due + i * M - 5 * M) for i in range(17)),  # 17 met
        tk(due, due, team="JC-IP-2"),  # met exactly at the limit
        tk(due, due + S, team="JC-IP-2", tier=CustomerTier.group),  # missed by a second
        tk(due, None, team="JC-IP-2"),  # still open past its limit: missed
        tk(due + timedelta(days=15), None),  # open, limit not reached yet: pending
        tk(due, due + 60 * M, cause=TicketCause.customer_side),  # late, but the customer's fault
        tk(due, due + 60 * M, cause=TicketCause.other_operator),  # late, another operator's
        tk(due, due + 60 * M, cause=TicketCause.force_majeure),  # late and counted
        tk(due, due + 60 * M, kind=TicketKind.protection_lost),  # not a counted kind
        tk(due, None, kind=TicketKind.customer_report, cause=None),  # customer reports count: missed
    ]
    now = due + timedelta(days=1)
    r = compute(tickets, policy, "2026-12", SH, now)
    o = r.overall
    assert (o.met, o.missed, o.pending, o.excluded, o.counted) == (18, 4, 1, 2, 22)
    assert o.rate() == pytest.approx(100 * 18 / 22)
    assert r.meets_target() is False  # 81.8% < 95%
    assert r.excluded_by_cause == {"customer_side": 1, "other_operator": 1}
    assert {k: (v.met, v.missed) for k, v in r.by_team.items()} == {"JC-IP-1": (17, 2), "JC-IP-2": (1, 2)}
    assert {k: (v.met, v.missed) for k, v in r.by_tier.items()} == {"group": (0, 1), "local_a": (18, 3)}
    assert list(r.by_tier) == ["group", "local_a"]  # by the policy's tier ranks
    doc = r.as_dict()
    assert doc["overall"]["rate_percent"] == 81.82 and doc["overall"]["meets_target"] is False
    assert doc["month_of_ticket"] == "restore_due_at" and doc["target_percent"] == 95
    assert doc["by_team"]["JC-IP-2"]["rate_percent"] == 33.33
    late = [t for t in doc["tickets"] if t["verdict"] == "missed"]
    assert sorted(t["late_by_seconds"] for t in late) == [1, 3600, 86400, 86400]
    text = render_text(r)
    assert "restored within limit: 18/22 = 81.82%  (target 95%: BELOW TARGET)" in text
    assert "excluded: 2 (customer_side 1, other_operator 1)" in text
    assert "NOT RESTORED (accepted)" in text
    # an open ticket judged the second before its limit is pending, at its limit missed
    still_open = [tk(due, None)]
    assert compute(still_open, policy, "2026-12", SH, due - S).overall.pending == 1
    assert compute(still_open, policy, "2026-12", SH, due).overall.missed == 1


def test_a_month_with_all_restored_in_time_meets_the_target_and_an_empty_one_has_no_rate() -> None:
    policy = lab_policy()
    due = DEC + timedelta(days=3)
    r = compute([tk(due, due - M) for _ in range(20)], policy, "2026-12", SH, due + M)
    assert r.overall.rate() == 100.0 and r.meets_target() is True
    empty = compute([], policy, "2026-12", SH, due)
    assert empty.overall.rate() is None and empty.meets_target() is None
    assert "nothing decided yet" in render_text(empty)


def test_monthly_reads_only_the_months_tickets_from_the_store() -> None:
    store = MemoryTicketStore()
    inside = tk(DEC + M, DEC)
    outside = tk(DEC - M, DEC - 2 * M)
    store.write(TicketWrite(inserts=[inside, outside]))
    r = monthly(store, lab_policy(), "2026-12", SH, DEC + timedelta(days=40))
    assert [j.ticket.id for j in r.judged] == [inside.id]
