"""Tickets in the store, on SQLite and on the PostgreSQL server (``store`` fixture): the tables, a round
trip, optimistic locking between the daemon's book and engineers' transitions, and restarts that
neither duplicate tickets nor emit a clock signal twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, inspect

from correlator.domain import TicketCause, TicketKind
from correlator.store.db import make_engine
from correlator.store.errors import StoreNotReady
from correlator.tickets import lifecycle
from correlator.tickets.errors import IllegalTransition
from correlator.tickets.facts import CircuitDirectory
from correlator.tickets.model import ClockName, ClockSignalKind, Suppression, TicketAction, TicketState
from correlator.tickets.repository import TicketRepository
from correlator.tickets.service import TicketService
from correlator.tickets.store import ClockEventRecord, StaleTicket, TicketQuery, TicketWrite
from correlator.wire import AlarmEvent
from tests.correlator.conftest import T0, at, clear, ev, lab_network
from tests.tickets.conftest import Daemon

M = timedelta(minutes=1)
S = timedelta(seconds=1)
LINK = [("AGG-EAS", "GigabitEthernet0/3/0"), ("ATN-SOU", "GigabitEthernet0/2/1")]
REQUIRED = {
    "id",
    "incident_id",
    "circuit_id",
    "customer_id",
    "kind",
    "state",
    "priority",
    "tier",
    "maintenance_level",
    "service_level",
    "heavy_penalty",
    "detected_at",
    "customer_reported_at",
    "known_at",
    "opened_at",
    "dispatched_at",
    "accepted_at",
    "restored_at",
    "confirmed_at",
    "closed_at",
    "team",
    "restore_limit_minutes",
    "restore_due_at",
    "cause",
    "planned_work_id",
    "reopened_count",
    "version",
}


def down(t: float) -> list[AlarmEvent]:
    return [ev(t, dev, "port", port, "LINK_DOWN") for dev, port in LINK]


def up(t: float) -> list[AlarmEvent]:
    return [clear(t, dev, "port", port, "LINK_DOWN") for dev, port in LINK]


def test_the_ticket_tables_hold_what_availability_reads(store: Engine) -> None:
    insp = inspect(store)
    assert {c["name"] for c in insp.get_columns("ticket")} >= REQUIRED
    assert {c["name"] for c in insp.get_columns("ticket_transition")} >= {
        "ticket_id",
        "seq",
        "at",
        "from_state",
        "to_state",
        "team",
        "note",
        "actor",
    }
    assert {tuple(ix["column_names"]) for ix in insp.get_indexes("ticket")} >= {
        ("circuit_id", "opened_at"),
        ("restore_due_at",),
    }
    assert set(insp.get_pk_constraint("ticket_clock_event")["constrained_columns"]) == {
        "ticket_id",
        "clock",
        "kind",
        "due_at",
    }


def test_an_unmigrated_store_is_refused(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        with pytest.raises(StoreNotReady, match="linewatch db upgrade"):
            TicketRepository(engine)
    finally:
        engine.dispose()


def test_round_trip_queries_transitions_clock_events_and_suppressions(store: Engine) -> None:
    cfg, _ = lab_network()
    repo = TicketRepository(store)
    directory = CircuitDirectory(cfg.inventory, cfg.policy)
    facts = directory.facts("C-003")
    assert facts is not None
    opened = lifecycle.open_ticket(
        cfg.policy,
        facts,
        TicketKind.outage,
        "TK-20261201T020000.5Z-C-003",
        now=at(5.3),
        detected_at=at(0.5),
        customer_reported_at=at(0.25),
        incident="INC-1",
        root_key="cable:CB-X",
    )
    repo.write(TicketWrite(inserts=[opened.ticket], transitions=opened.transitions))
    t = opened.ticket
    assert repo.get(t.id) == t  # every column, aware UTC times to the microsecond
    assert t.heavy_penalty and t.known_at == at(0.25) and t.area.value == "town" and t.product == "sdh_private_line"
    step = lifecycle.manual(t, TicketAction.dispatch, at=at(60), now=at(61), actor="cli:x", team="HY-SDH", note="n")
    repo.write(TicketWrite(updates=[step.ticket], transitions=step.transitions))
    later = lifecycle.open_ticket(
        cfg.policy, facts, TicketKind.protection_lost, "TK-2", now=at(100), detected_at=at(90)
    )
    c009 = directory.facts("C-009")
    assert c009 is not None
    other = lifecycle.open_ticket(cfg.policy, c009, TicketKind.outage, "TK-3", now=at(7), detected_at=at(1))
    repo.write(TicketWrite(inserts=[later.ticket, other.ticket], transitions=later.transitions + other.transitions))
    assert {c: x.id for c, x in repo.latest(["C-003", "C-009", "C-404"]).items()} == {"C-003": "TK-2", "C-009": "TK-3"}
    assert [x.id for x in repo.find(TicketQuery())] == [t.id, "TK-3", "TK-2"]  # by priority
    assert [x.id for x in repo.find(TicketQuery(states=frozenset({TicketState.dispatched})))] == [t.id]
    assert [x.id for x in repo.find(TicketQuery(team="HY-SDH", circuit="C-003", incident="INC-1"))] == [t.id]
    assert [x.id for x in repo.find(TicketQuery(kinds=frozenset({TicketKind.protection_lost})))] == ["TK-2"]
    assert [x.id for x in repo.find(TicketQuery(due_from=at(0), due_before=at(3600 * 2)))] == [t.id]
    assert [x.id for x in repo.find(TicketQuery(due_from=at(3600 * 3), due_before=at(3600 * 5)))] == ["TK-3"]
    steps = repo.transitions(t.id)
    assert [(s.seq, s.action, s.from_state, s.to_state, s.team, s.note, s.actor) for s in steps] == [
        (1, TicketAction.open, None, TicketState.opened, None, None, "linewatch"),
        (2, TicketAction.dispatch, TicketState.opened, TicketState.dispatched, "HY-SDH", "n", "cli:x"),
    ]
    rec = ClockEventRecord(t.id, ClockName.dispatch, ClockSignalKind.warning, at(900.25), at(720.25), at(721))
    assert repo.write(TicketWrite(clock_events=[rec])) == [rec]
    assert repo.write(TicketWrite(clock_events=[rec])) == []  # once only
    assert repo.clock_events([t.id]) == [rec]
    sup = Suppression("INC-2", "C-007", "link:L", TicketKind.outage, "PW-1", at(0), at(3600), at(10), at(15))
    repo.write(TicketWrite(suppressions=[sup]))
    repo.write(TicketWrite(suppressions=[replace(sup, ticket_id="TK-9")]))
    assert [(x.circuit_id, x.ticket_id) for x in repo.suppressions(["C-007"])] == [("C-007", "TK-9")]
    assert repo.suppressions(incident="INC-404") == []


def test_a_stale_write_is_refused_and_writes_nothing(store: Engine) -> None:
    cfg, _ = lab_network()
    repo = TicketRepository(store)
    facts = CircuitDirectory(cfg.inventory, cfg.policy).facts("C-007")
    assert facts is not None
    opened = lifecycle.open_ticket(cfg.policy, facts, TicketKind.outage, "TK-1", now=at(6), detected_at=at(0))
    repo.write(TicketWrite(inserts=[opened.ticket], transitions=opened.transitions))
    a = lifecycle.manual(opened.ticket, TicketAction.dispatch, at=at(60), now=at(60), actor="a", team="A")
    b = lifecycle.manual(opened.ticket, TicketAction.dispatch, at=at(61), now=at(61), actor="b", team="B")
    repo.write(TicketWrite(updates=[a.ticket], transitions=a.transitions))
    with pytest.raises(StaleTicket, match="TK-1 was changed by another writer"):
        repo.write(TicketWrite(updates=[b.ticket], transitions=b.transitions))
    with pytest.raises(StaleTicket):  # an insert of an id that exists rolls back the whole write
        repo.write(TicketWrite(inserts=[opened.ticket], transitions=b.transitions))
    stored = repo.get("TK-1")
    assert stored is not None and (stored.team, stored.version) == ("A", 2)
    assert [s.actor for s in repo.transitions("TK-1")] == ["linewatch", "a"]


def test_a_restart_neither_duplicates_tickets_nor_emits_a_clock_signal_twice(store: Engine) -> None:
    d = Daemon(store, T0)
    d.feed(down(0))
    d.advance_to(at(12 * 60 + 30))
    tid = d.repo.find(TicketQuery(circuit="C-007"))[0].id
    assert [x for x in d.signals() if x[0] == "C-007"] == [("C-007", "dispatch", "clock_warning", at(12 * 60))]
    opened_before = [e.ticket_id for e in d.events if e.kind == "opened"]
    tickets_before = d.repo.find(TicketQuery())

    # the process stops; a new one starts from the store, at the same moment
    again = Daemon(store, d.clock.now(), resume=True)
    assert again.events == []  # nothing opened again, no warning again
    assert again.repo.find(TicketQuery()) == tickets_before
    again.advance_to(at(15 * 60 - 1))
    assert again.signals() == []
    again.advance_to(at(15 * 60))
    assert [x for x in again.signals() if x[0] == "C-007"] == [("C-007", "dispatch", "clock_breach", at(15 * 60))]
    # and carries on: the repair restores the same ticket
    again.feed(up(1200))
    again.advance_to(at(1300))
    t = again.repo.get(tid)
    assert t is not None and (t.state, t.restored_at) == (TicketState.restored, at(1200))
    assert sorted(opened_before) == sorted(x.id for x in again.repo.find(TicketQuery()))


def test_a_fault_that_ended_while_the_book_was_away_is_restored_at_its_end(store: Engine) -> None:
    d = Daemon(store, T0)
    d.feed(down(0))
    d.advance_to(at(60))
    tid = d.repo.find(TicketQuery(circuit="C-007"))[0].id
    # the ticket stage is away (it failed) while the alarms clear and the incident closes
    away = Daemon(store, d.clock.now(), resume=True, book=False)
    away.feed(up(600))
    away.advance_to(at(3600))
    assert away.cor.incidents() == []
    assert d.repo.get(tid).state is TicketState.opened  # type: ignore[union-attr]
    # the next start: the book finds the outage in the stored impact history
    back = Daemon(store, away.clock.now(), resume=True)
    t = back.repo.get(tid)
    assert t is not None and (t.state, t.restored_at) == (TicketState.restored, at(600))
    # restored at 02:10, before its dispatch limit: only the confirm clock ran out (02:25) meanwhile
    assert [(e.kind, e.clock, e.at) for e in back.events if e.ticket_id == tid] == [
        ("restored", None, at(600)),
        ("clock_breach", ClockName.confirm, at(600 + 15 * 60)),
    ]


class RacingRepository(TicketRepository):
    """The store, with another writer getting in once between a read and the write that follows it."""

    def __init__(self, engine: Engine, race: object) -> None:
        super().__init__(engine)
        self.race = race
        self.raced = False

    def write(self, batch: TicketWrite) -> list[ClockEventRecord]:
        if not self.raced and (batch.updates or batch.inserts):
            self.raced = True
            self.race()  # type: ignore[operator]
        return super().write(batch)


def test_an_engineers_step_made_while_the_book_writes_is_kept(store: Engine) -> None:
    d = Daemon(store, T0)
    d.feed(down(0))
    d.advance_to(at(60))
    tid = d.repo.find(TicketQuery(circuit="C-007"))[0].id
    d.service.transition(tid, "dispatch", team="JC-IP-1")
    assert d.book is not None
    # the CLI accepts the ticket just after the book read it to restore it
    cli = TicketService(TicketRepository(store), d.cfg.policy, d.service.directory, d.clock)
    d.book.store = RacingRepository(store, lambda: cli.transition(tid, "accept", actor="cli:zhao"))
    d.feed(up(600))
    d.advance_to(at(700))
    t = d.repo.get(tid)
    assert t is not None
    assert (t.state, t.accepted_at, t.restored_at) == (TicketState.restored, at(600.2), at(600))
    steps = d.repo.transitions(tid)
    assert [(s.action.value, s.actor) for s in steps] == [
        ("open", "linewatch"),
        ("dispatch", "cli"),
        ("accept", "cli:zhao"),
        ("restore", "linewatch"),
    ]
    assert [s.seq for s in steps] == [1, 2, 3, 4] and t.version == 4


def test_the_book_restoring_while_an_engineer_restores_makes_the_engineer_re_check(store: Engine) -> None:
    d = Daemon(store, T0)
    d.feed(down(0))
    d.advance_to(at(60))
    tid = d.repo.find(TicketQuery(circuit="C-007"))[0].id
    d.service.transition(tid, "dispatch", team="JC-IP-1")
    d.service.transition(tid, "accept")
    d.advance_to(at(700))
    # the engineer's restore reads the ticket; the alarms clear and the book restores it first
    racing = RacingRepository(store, lambda: d.feed(up(650)))
    engineer = TicketService(racing, d.cfg.policy, d.service.directory, d.clock)
    with pytest.raises(IllegalTransition, match="it was restored at 2026-12-01T02:10:50Z"):
        engineer.transition(tid, "restore", at=at(700))
    t = d.repo.get(tid)
    assert t is not None and (t.restored_at, t.state) == (at(650), TicketState.restored)
    assert [s.actor for s in d.repo.transitions(tid) if s.action is TicketAction.restore] == ["linewatch"]
    # closing still needs a cause, and the cause is kept
    d.service.transition(tid, "confirm", at=d.clock.now())
    d.service.transition(tid, "close", cause=TicketCause.other_operator)
    closed = d.repo.get(tid)
    assert closed is not None and closed.cause is TicketCause.other_operator
