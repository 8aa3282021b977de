"""Engineers' steps on tickets: the lifecycle, every time kept, clear errors for what is not allowed;
customer reports that join a ticket or open one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from correlator.domain import TicketCause, TicketKind
from correlator.tickets.errors import (
    BadTransition,
    IllegalTransition,
    MissingCause,
    TicketError,
    UnknownCircuit,
    UnknownTicket,
)
from correlator.tickets.model import TicketState
from tests.correlator.conftest import at, clear, ev
from tests.tickets.conftest import Desk, make_desk

M = timedelta(minutes=1)
LINK = [("AGG-EAS", "GigabitEthernet0/3/0"), ("ATN-SOU", "GigabitEthernet0/2/1")]


def c007_down(d: Desk, t: float = 0) -> str:
    d.feed(*(ev(t, dev, "port", port, "LINK_DOWN") for dev, port in LINK))
    d.settle(60)
    return d.ticket("C-007").id


def test_the_whole_life_every_time_and_who_kept() -> None:
    d = make_desk(clock_events=False)
    tid = c007_down(d)
    svc = d.service
    d.advance_to(at(10 * 60))
    svc.transition(tid, "dispatch", team="JC-IP-1", note="fibre team east", actor="cli:wangli", at=at(5 * 60))
    svc.transition(tid, "accept", team="JC-IP-1", actor="cli:zhao")
    d.advance_to(at(40 * 60))
    svc.transition(tid, "restore", note="spliced at MH-16", at=at(38 * 60), actor="cli:zhao")
    svc.transition(tid, "confirm", note="customer confirms", actor="cli:wangli")
    r = svc.transition(tid, "close", cause="operator_network", note="duct damaged by road works", actor="cli:wangli")
    t = r.ticket
    assert t.state is TicketState.closed and t.cause is TicketCause.operator_network and t.team == "JC-IP-1"
    assert (t.dispatched_at, t.accepted_at, t.restored_at, t.confirmed_at, t.closed_at) == (
        at(5 * 60),
        at(10 * 60),
        at(38 * 60),
        at(40 * 60),
        at(40 * 60),
    )
    steps = d.store.transitions(tid)
    assert [(s.seq, s.action.value, s.from_state.value if s.from_state else None, s.to_state.value) for s in steps] == [
        (1, "open", None, "opened"),
        (2, "dispatch", "opened", "dispatched"),
        (3, "accept", "dispatched", "accepted"),
        (4, "restore", "accepted", "restored"),
        (5, "confirm", "restored", "confirmed"),
        (6, "close", "confirmed", "closed"),
    ]
    assert [s.actor for s in steps] == ["linewatch", "cli:wangli", "cli:zhao", "cli:zhao", "cli:wangli", "cli:wangli"]
    assert steps[1].note == "fibre team east" and steps[1].team == "JC-IP-1"
    assert steps[5].cause is TicketCause.operator_network
    assert d.kinds(tid) == ["opened", "dispatched", "accepted", "restored", "confirmed", "closed"]
    closed = d.ticket_events[-1].as_dict()
    assert closed["cause"] == "operator_network" and closed["state"] == "closed" and closed["from_state"] == "confirmed"
    # the restore made by hand stands: the alarms clearing later change nothing
    d.feed(*(clear(45 * 60, dev, "port", port, "LINK_DOWN") for dev, port in LINK))
    d.settle(60)
    assert d.store.get(tid).restored_at == at(38 * 60)  # type: ignore[union-attr]


def test_illegal_transitions_name_the_ticket_its_state_and_what_is_allowed() -> None:
    d = make_desk(clock_events=False)
    tid = c007_down(d)
    svc = d.service
    with pytest.raises(IllegalTransition) as err:
        svc.transition(tid, "accept")
    assert str(err.value) == f"ticket {tid} is opened: cannot accept (allowed now: dispatch)"
    with pytest.raises(IllegalTransition, match="is opened: cannot close"):
        svc.transition(tid, "close", cause="operator_network")
    svc.transition(tid, "dispatch", team="A")
    with pytest.raises(IllegalTransition, match=r"is dispatched: cannot dispatch: it is dispatched to A already"):
        svc.transition(tid, "dispatch", team="A")
    svc.transition(tid, "dispatch", team="B", note="handed over")  # to another team: allowed
    with pytest.raises(BadTransition, match="is dispatched to B, not A"):
        svc.transition(tid, "accept", team="A")
    with pytest.raises(IllegalTransition, match=r"cannot confirm \(allowed now: dispatch, accept\)"):
        svc.transition(tid, "confirm")
    svc.transition(tid, "accept")
    # the alarms clear: the book restores it; the engineer's own restore is then refused, saying why
    d.feed(*(clear(600, dev, "port", port, "LINK_DOWN") for dev, port in LINK))
    d.settle(60)
    with pytest.raises(IllegalTransition) as err:
        svc.transition(tid, "restore")
    assert str(err.value) == (
        f"ticket {tid} is restored: cannot restore: it was restored at 2026-12-01T02:10:00Z (allowed now: confirm)"
    )
    svc.transition(tid, "confirm")
    with pytest.raises(MissingCause) as missing:
        svc.transition(tid, "close")
    assert "closing ticket" in str(missing.value) and "--cause" in str(missing.value)
    assert "customer_side" in str(missing.value)
    with pytest.raises(BadTransition, match="unknown cause 'weather'"):
        svc.transition(tid, "close", cause="weather")
    svc.transition(tid, "close", cause="customer_side")
    with pytest.raises(IllegalTransition, match=r"is closed: cannot dispatch \(allowed now: none"):
        svc.transition(tid, "dispatch", team="A")
    # nothing refused was written
    assert [s.action.value for s in d.store.transitions(tid)] == [
        "open",
        "dispatch",
        "dispatch",
        "accept",
        "restore",
        "confirm",
        "close",
    ]


def test_bad_input_is_refused_clearly() -> None:
    d = make_desk(clock_events=False)
    tid = c007_down(d)
    svc = d.service
    with pytest.raises(UnknownTicket, match="no ticket 'TK-NOPE'"):
        svc.transition("TK-NOPE", "dispatch", team="A")
    with pytest.raises(BadTransition, match="unknown action 'fix'"):
        svc.transition(tid, "fix")
    with pytest.raises(BadTransition, match="unknown action 'reopen'"):
        svc.transition(tid, "reopen")  # the book's own step
    with pytest.raises(BadTransition, match="needs the team"):
        svc.transition(tid, "dispatch")
    with pytest.raises(BadTransition, match="is in the future"):
        svc.transition(tid, "dispatch", team="A", at=d.clock.now() + M)
    with pytest.raises(BadTransition, match="before the fault was known"):
        svc.transition(tid, "dispatch", team="A", at=at(-60))
    with pytest.raises(BadTransition, match="has no time zone"):
        svc.transition(tid, "dispatch", team="A", at=at(0).replace(tzinfo=None))
    svc.transition(tid, "dispatch", team="A", at=at(30))
    with pytest.raises(
        BadTransition, match="accept at 2026-12-01T02:00:20Z is before its dispatch at 2026-12-01T02:00:30Z"
    ):
        svc.transition(tid, "accept", at=at(20))
    assert isinstance(UnknownTicket("x"), TicketError)


def test_confirm_of_a_ticket_never_dispatched_needs_the_team() -> None:
    d = make_desk(clock_events=False)
    tid = c007_down(d)
    d.feed(*(clear(120, dev, "port", port, "LINK_DOWN") for dev, port in LINK))
    d.settle(60)
    with pytest.raises(BadTransition, match="needs the team"):
        d.service.transition(tid, "confirm")
    t = d.service.transition(tid, "confirm", team="NOC-desk").ticket
    assert t.team == "NOC-desk" and t.dispatched_at is None


def test_a_customer_report_before_detection_moves_every_deadline_earlier() -> None:
    d = make_desk(clock_events=False)
    tid = c007_down(d, t=600)  # detected at 02:10
    before = d.store.get(tid)
    assert before is not None and before.known_at == at(600)
    r = d.service.report("C-007", at=at(480), note="store manager called: line down since 02:08")
    assert r.attached and r.ticket.id == tid
    t = r.ticket
    assert (t.customer_reported_at, t.detected_at, t.known_at) == (at(480), at(600), at(480))
    assert t.restore_due_at == before.restore_due_at - 2 * M
    assert t.kind is TicketKind.outage and t.state is TicketState.opened
    assert d.kinds(tid)[-1] == "customer_report"
    # a later report changes no deadline (the first one counts)
    later = d.service.report("C-007", at=at(650)).ticket
    assert (later.customer_reported_at, later.known_at) == (at(480), at(480))


def test_a_report_without_detection_opens_a_ticket_that_detection_then_joins() -> None:
    d = make_desk(clock_events=False)
    d.advance_to(at(300))
    r = d.service.report("C-007", at=at(60), note="no traffic since 02:01", actor="cli:desk")
    t = r.ticket
    assert not r.attached
    assert (t.kind, t.known_at, t.customer_reported_at, t.detected_at, t.incident_id) == (
        TicketKind.customer_report,
        at(60),
        at(60),
        None,
        None,
    )
    assert t.id == "TK-20261201T020100Z-C-007" and t.priority == 1433 and t.restore_due_at == at(60) + 180 * M
    # the network sees it at 02:06: the same ticket, now an outage ticket with its incident
    d.feed(*(ev(360, dev, "port", port, "LINK_DOWN") for dev, port in LINK))
    d.settle(60)
    u = d.ticket("C-007")
    assert u.id == t.id
    assert (u.kind, u.known_at, u.detected_at, u.incident_id is not None) == (TicketKind.outage, at(60), at(360), True)
    assert u.restore_due_at == at(60) + 180 * M  # still from the customer's report
    # and it is restored when the alarms clear
    d.feed(*(clear(900, dev, "port", port, "LINK_DOWN") for dev, port in LINK))
    d.settle(60)
    assert d.store.get(t.id).restored_at == at(900)  # type: ignore[union-attr]


def test_a_report_after_restoration_opens_a_new_ticket_and_unknown_circuits_are_refused() -> None:
    d = make_desk(clock_events=False)
    tid = c007_down(d)
    d.feed(*(clear(600, dev, "port", port, "LINK_DOWN") for dev, port in LINK))
    d.settle(60)
    # a report about the time before the restoration joins the restored ticket
    assert d.service.report("C-007", at=at(300)).ticket.id == tid
    # one after it is a new fault as far as we know
    d.advance_to(at(3600))
    r = d.service.report("C-007", at=at(3000))
    assert not r.attached and r.ticket.kind is TicketKind.customer_report and r.ticket.id != tid
    with pytest.raises(UnknownCircuit, match="no circuit 'C-999'"):
        d.service.report("C-999")
    with pytest.raises(BadTransition, match="in the future"):
        d.service.report("C-008", at=at(7200))
