"""SLA clocks to the second: each of dispatch, accept, restore, confirm met, warned and breached,
each signal emitted once; and the same through the ticket book on a ManualClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from correlator.domain import CustomerTier, MaintenanceLevel, ServiceLevel, TicketKind
from correlator.policy import TicketLimits
from correlator.tickets.clocks import ClockOutcome, due_signals, next_signal, restore_met, span, spans
from correlator.tickets.model import ClockName, ClockSignalKind, Ticket, TicketState
from tests.correlator.conftest import clear, ev
from tests.tickets.conftest import lab_policy, make_desk

K = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)
LIMITS = TicketLimits(dispatch_minutes=15, accept_minutes=30, confirm_minutes=15, warn_fraction=0.8)
S = timedelta(seconds=1)
M = timedelta(minutes=1)


def ticket(**kw: object) -> Ticket:
    base: dict[str, object] = {
        "id": "TK-1",
        "circuit_id": "C-001",
        "customer_id": "CUST-PGOV",
        "kind": TicketKind.outage,
        "state": TicketState.opened,
        "priority": 1211,
        "tier": CustomerTier.provincial,
        "maintenance_level": MaintenanceLevel.AAA,
        "service_level": ServiceLevel.vip1,
        "heavy_penalty": False,
        "known_at": K,
        "opened_at": K + 5 * S,
        "restore_limit_minutes": 60,
        "restore_due_at": K + 60 * M,
    }
    base.update(kw)
    return Ticket(**base)  # type: ignore[arg-type]


def kinds(t: Ticket, now: datetime, emitted: set[tuple[object, ...]] | None = None) -> list[tuple[str, str]]:
    return [(s.clock.value, s.kind.value) for s in due_signals(t, LIMITS, now, emitted or set())]  # type: ignore[arg-type]


# (clock, limit, a ticket with that step done at the given time, the fields that stop the clock)
CASES = [
    (ClockName.dispatch, 15 * M, lambda at: {"dispatched_at": at, "state": TicketState.dispatched}),
    (ClockName.accept, 30 * M, lambda at: {"dispatched_at": K, "accepted_at": at, "state": TicketState.accepted}),
    (ClockName.restore, 60 * M, lambda at: {"dispatched_at": K, "accepted_at": K, "restored_at": at}),
]


@pytest.mark.parametrize(("clock", "limit", "done"), CASES, ids=[c[0].value for c in CASES])
def test_a_clock_warns_at_80_percent_and_breaches_at_100_to_the_second(
    clock: ClockName, limit: timedelta, done
) -> None:  # type: ignore[no-untyped-def]
    warn = K + limit * 0.8
    t = ticket()
    s = span(t, LIMITS, clock)
    assert s is not None and s.due == K + limit and s.warn_at(LIMITS.warn_fraction) == warn
    mine = [k for k in kinds(t, warn - S) if k[0] == clock.value]
    assert mine == []
    assert (clock.value, "warning") in kinds(t, warn)
    assert (clock.value, "breach") not in kinds(t, K + limit - S)
    assert (clock.value, "breach") in kinds(t, K + limit)
    assert (clock.value, "warning") not in kinds(t, K + limit)  # the breach supersedes a warning not sent
    assert s.outcome(warn - S, 0.8) is ClockOutcome.running
    assert s.outcome(warn, 0.8) is ClockOutcome.at_risk
    assert s.outcome(K + limit, 0.8) is ClockOutcome.breached
    # met: done one second before the limit, after the warning
    met = ticket(**done(K + limit - S))
    ms = span(met, LIMITS, clock)
    assert ms is not None and ms.outcome(K + 10 * limit, 0.8) is ClockOutcome.met
    assert (clock.value, "breach") not in kinds(met, K + 10 * limit)
    # done exactly at the limit is met; a second later is missed
    assert span(ticket(**done(K + limit)), LIMITS, clock).outcome(K + 2 * limit, 0.8) is ClockOutcome.met  # type: ignore[union-attr]
    late = ticket(**done(K + limit + S))
    assert span(late, LIMITS, clock).outcome(K + 2 * limit, 0.8) is ClockOutcome.missed  # type: ignore[union-attr]
    # never ticked while it ran (the daemon was down): the breach is still owed, the warning is not
    assert (clock.value, "breach") in kinds(late, K + 2 * limit)
    assert (clock.value, "warning") not in kinds(late, K + 2 * limit)


def test_confirm_clock_starts_at_restoration() -> None:
    r = K + 40 * M
    t = ticket(dispatched_at=K, accepted_at=K, restored_at=r, state=TicketState.restored)
    s = span(t, LIMITS, ClockName.confirm)
    assert s is not None and (s.start, s.due, s.warn_at(0.8)) == (r, r + 15 * M, r + 12 * M)
    assert [k for k in kinds(t, r + 12 * M - S) if k[0] == "confirm"] == []
    assert kinds(t, r + 12 * M) == [("confirm", "warning")]
    assert kinds(t, r + 15 * M) == [("confirm", "breach")]
    done = ticket(dispatched_at=K, accepted_at=K, restored_at=r, confirmed_at=r + 15 * M, state=TicketState.confirmed)
    assert span(done, LIMITS, ClockName.confirm).outcome(r + 60 * M, 0.8) is ClockOutcome.met  # type: ignore[union-attr]
    assert kinds(done, r + 60 * M) == []


def test_each_signal_once_and_the_next_deadline() -> None:
    t = ticket()
    first = due_signals(t, LIMITS, K + 12 * M)
    assert [(s.clock, s.kind, s.at) for s in first] == [(ClockName.dispatch, ClockSignalKind.warning, K + 12 * M)]
    emitted = {s.key for s in first}
    assert due_signals(t, LIMITS, K + 12 * M, emitted) == []
    assert next_signal(t, LIMITS, emitted) == K + 15 * M  # dispatch breach
    emitted |= {s.key for s in due_signals(t, LIMITS, K + 15 * M, emitted)}
    assert next_signal(t, LIMITS, emitted) == K + 24 * M  # accept warning
    emitted |= {s.key for s in due_signals(t, LIMITS, K + 30 * M, emitted)}
    assert next_signal(t, LIMITS, emitted) == K + 48 * M  # restore warning (AAA: 60 min)


def test_restored_before_dispatch_makes_dispatch_and_accept_not_needed() -> None:
    t = ticket(restored_at=K + 5 * M, state=TicketState.restored)
    by = {s.name: s.outcome(K + 2 * 60 * M, 0.8) for s in spans(t, LIMITS)}
    assert by[ClockName.dispatch] is ClockOutcome.not_needed
    assert by[ClockName.accept] is ClockOutcome.not_needed
    assert by[ClockName.restore] is ClockOutcome.met
    assert restore_met(t, K) is True
    assert restore_met(ticket(), K + 60 * M - S) is None
    assert restore_met(ticket(), K + 60 * M) is False


def test_public_service_and_product_limits_come_from_the_policy() -> None:
    from correlator.domain import Area
    from correlator.tickets.facts import CircuitFacts, restore_limit

    policy = lab_policy()

    def facts(level: MaintenanceLevel, area: Area, product: str | None, tier: CustomerTier) -> CircuitFacts:
        return CircuitFacts("C", "X", tier, level, ServiceLevel.ordinary, product, area, False, False)

    out = TicketKind.outage
    assert restore_limit(policy, facts(MaintenanceLevel.AA, Area.town, None, CustomerTier.local_a), out) == 90 * M
    assert restore_limit(policy, facts(MaintenanceLevel.A, Area.town, None, CustomerTier.local_a), out) == 180 * M
    assert restore_limit(policy, facts(MaintenanceLevel.III, Area.town, None, CustomerTier.local_a), out) == 240 * M
    ordinary = MaintenanceLevel.ordinary
    assert restore_limit(policy, facts(ordinary, Area.town, None, CustomerTier.local_c), out) == 48 * 60 * M
    assert restore_limit(policy, facts(ordinary, Area.countryside, None, CustomerTier.local_c), out) == 72 * 60 * M
    assert restore_limit(policy, facts(ordinary, Area.town, "voice_trunk", CustomerTier.group), out) == 20 * 60 * M
    assert restore_limit(policy, facts(MaintenanceLevel.AAA, Area.town, "voice_trunk", CustomerTier.local_b), out) == (
        24 * 60 * M
    )
    lost = TicketKind.protection_lost
    assert restore_limit(policy, facts(MaintenanceLevel.AAA, Area.town, None, CustomerTier.group), lost) == 24 * 60 * M


# -- through the book, on the injected clock --------------------------------------------------------

C007_LINK = [("AGG-EAS", "GigabitEthernet0/3/0"), ("ATN-SOU", "GigabitEthernet0/2/1")]


def test_the_book_emits_every_clock_signal_at_its_second() -> None:
    """C-007 (level A, 180 min) down on its own at 02:00:00: nobody works the ticket."""
    d = make_desk()
    d.feed(*(ev(0, dev, "port", port, "LINK_DOWN") for dev, port in C007_LINK))
    d.settle(4 * 3600)
    c007 = d.ticket("C-007")
    got = [(e.clock.value, e.kind, e.at) for e in d.ticket_events if e.ticket_id == c007.id and e.clock is not None]
    assert got == [
        ("dispatch", "clock_warning", K + 12 * M),
        ("dispatch", "clock_breach", K + 15 * M),
        ("accept", "clock_warning", K + 24 * M),
        ("accept", "clock_breach", K + 30 * M),
        ("restore", "clock_warning", K + 144 * M),
        ("restore", "clock_breach", K + 180 * M),
    ]
    breach = next(e for e in d.ticket_events if e.kind == "clock_breach" and e.ticket_id == c007.id)
    doc = breach.as_dict()
    assert doc["event"] == "clock_breach" and doc["clock"] == "dispatch" and doc["due_at"] == "2026-12-01T02:15:00Z"
    assert doc["circuit"] == "C-007" and doc["tier"] == "local_b" and doc["kind"] == "outage"


def test_steps_done_in_time_stop_their_clocks() -> None:
    """Dispatched at 02:11:59 and accepted at 02:23:00 (before their warnings), the alarms clear at
    02:50 (restored automatically, well within 180 min), confirmed one second before its limit."""
    d = make_desk()
    d.feed(*(ev(0, dev, "port", port, "LINK_DOWN") for dev, port in C007_LINK))
    d.advance_to(K + 11 * M + 59 * S)
    tid = d.ticket("C-007").id
    assert [e for e in d.ticket_events if e.ticket_id == tid and e.clock is not None] == []
    d.service.transition(tid, "dispatch", team="JC-IP-1")
    d.advance_to(K + 23 * M)
    d.service.transition(tid, "accept")
    d.feed(*(clear(50 * 60, dev, "port", port, "LINK_DOWN") for dev, port in C007_LINK))
    d.advance_to(K + 62 * M)
    t = d.store.get(tid)
    assert t is not None and t.state is TicketState.restored and t.restored_at == K + 50 * M
    d.advance_to(K + 64 * M + 59 * S)
    d.service.transition(tid, "confirm")
    d.advance_to(K + 5 * 60 * M)
    got = [(e.clock.value, e.kind, e.at) for e in d.ticket_events if e.ticket_id == tid and e.clock is not None]
    assert got == [("confirm", "clock_warning", K + 62 * M)]  # 80% of 15 min after 02:50
    t = d.store.get(tid)
    assert t is not None
    outcomes = {s.name.value: s.outcome(K + 5 * 60 * M, 0.8).value for s in spans(t, LIMITS)}
    assert outcomes == {"dispatch": "met", "accept": "met", "restore": "met", "confirm": "met"}
    times = (t.dispatched_at, t.accepted_at, t.restored_at, t.confirmed_at)
    assert times == (K + 11 * M + 59 * S, K + 23 * M, K + 50 * M, K + 64 * M + 59 * S)
