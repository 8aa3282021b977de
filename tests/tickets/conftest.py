"""Fixtures of the ticket tests: the lab correlator with a ticket book behind it, in the stream's time.

:class:`Desk` is the incident-layer harness (``tests/correlator/conftest.py``) with a
:class:`~correlator.tickets.book.TicketBook` fed by every batch of incident changes as the correlator
makes them, ticking at the correlator's and the book's deadlines (settle windows, clock warnings and
breaches, planned-work window ends) on the same :class:`~correlator.clock.ManualClock`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from correlator.alarms import AlarmBook, AlarmRepository, Resolver
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.correlation import Correlator, IncidentChange
from correlator.correlation.repository import IncidentRepository
from correlator.policy import SlaPolicy
from correlator.tickets.book import TicketBook, build_ticket_book
from correlator.tickets.facts import CircuitDirectory
from correlator.tickets.model import Ticket, TicketEvent
from correlator.tickets.planned import PlannedLookup
from correlator.tickets.repository import TicketRepository
from correlator.tickets.service import TicketService
from correlator.tickets.store import MemoryTicketStore, TicketQuery, TicketStore
from correlator.wire import AlarmEvent
from tests.correlator.conftest import Harness, at, lab_network, shipped_rules

__all__ = ["Daemon", "Desk", "FakeCalendar", "Window", "at", "make_desk"]


@dataclass(frozen=True)
class Window:
    id: str
    start: datetime
    end: datetime


class FakeCalendar:
    """An in-memory planned-work lookup: exact resource keys (a test double of the sibling
    ``correlator.planned.calendar``, not of a protocol peer)."""

    def __init__(self, windows: dict[str, list[Window]]) -> None:
        self.windows = windows
        self.asked: list[tuple[str, datetime]] = []

    def covering(self, resource_key: str, at: datetime) -> Window | None:
        self.asked.append((resource_key, at))
        for w in self.windows.get(resource_key, []):
            if w.start <= at < w.end:
                return w
        return None


@dataclass
class Desk(Harness):
    store: TicketStore = field(default_factory=MemoryTicketStore)
    planned: PlannedLookup | None = None
    clock_events: bool = True
    policy: SlaPolicy | None = None
    ticket_events: list[TicketEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        policy = self.policy or self.cfg.policy
        self.policy = policy
        self.directory = CircuitDirectory(self.cfg.inventory, policy)
        self.book = TicketBook(policy, self.directory, self.store, self.planned, clock_events=self.clock_events)
        self.service = TicketService(
            self.store, policy, self.directory, self.clock, on_events=self.ticket_events.extend
        )

    def _take(self, changes: list[IncidentChange]) -> list[IncidentChange]:
        super()._take(changes)
        self.ticket_events += self.book.apply(changes, self.clock.now())
        return changes

    def _tick(self) -> None:
        self._take(self.cor.tick())
        self.ticket_events += self.book.tick(self.clock.now())

    def _next(self) -> datetime | None:
        now = self.clock.now()
        times = [t for t in (self.cor.next_deadline(), self.book.next_deadline()) if t is not None and t > now]
        return min(times) if times else None

    def advance_to(self, when: datetime) -> list[IncidentChange]:
        mark = len(self.changes)
        while (nxt := self._next()) is not None and nxt <= when:
            self.clock.set(nxt)
            self._tick()
        if when > self.clock.now():
            self.clock.set(when)
            self._tick()
        return self.changes[mark:]

    # -- reading -----------------------------------------------------------------------------------

    def tickets(self) -> list[Ticket]:
        return self.store.find(TicketQuery())

    def ticket(self, circuit: str) -> Ticket:
        found = [t for t in self.tickets() if t.circuit_id == circuit]
        assert len(found) == 1, [(t.id, t.kind.value, t.state.value) for t in found]
        return found[0]

    def kinds(self, ticket_id: str | None = None) -> list[str]:
        return [e.kind for e in self.ticket_events if ticket_id is None or e.ticket_id == ticket_id]

    def events_of(self, kind: str) -> list[TicketEvent]:
        return [e for e in self.ticket_events if e.kind == kind]


def make_desk(**kw: Any) -> Desk:
    kw.setdefault("check", False)
    return Desk(shipped_rules(), **kw)


@pytest.fixture
def desk() -> type[Desk]:
    return Desk


def lab_policy() -> SlaPolicy:
    cfg, _ = lab_network()
    return cfg.policy


def policy_with(**tickets: Any) -> SlaPolicy:
    """The lab policy with some ``tickets:`` rules changed."""
    policy = lab_policy()
    return policy.model_copy(update={"tickets": policy.tickets.model_copy(update=tickets)})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def feed_all(desk: Desk, events: Iterable[Any]) -> Desk:
    desk.feed(*events)
    return desk


class Daemon:
    """The correlator daemon's pipeline on a real store: alarms, incidents and tickets saved as it goes,
    the ticket book built as the daemon builds it (``build_ticket_book``)."""

    def __init__(self, engine: Engine, start: datetime, resume: bool = False, book: bool = True) -> None:
        cfg, index = lab_network()
        self.cfg = cfg
        self.engine = engine
        self.clock = ManualClock(start)
        rules = shipped_rules()
        self.alarm_book = AlarmBook(rules.dedup, load_alarm_types(), self.clock, Resolver(cfg.inventory))
        self.alarms = AlarmRepository(engine)
        if resume:
            self.alarm_book.import_state(self.alarms.load(rules.dedup))
        self.incidents = IncidentRepository(engine)
        self.cor = Correlator(cfg.inventory, cfg.policy, rules, self.clock, index, self.alarm_book, self.incidents)
        self.repo = TicketRepository(engine)
        self.events: list[TicketEvent] = []
        self.book: TicketBook | None = None
        if book:
            self.book = build_ticket_book(cfg, engine, self.clock, incidents=self.cor.incidents(), index=index)
        self.service = TicketService(self.repo, cfg.policy, CircuitDirectory(cfg.inventory, cfg.policy), self.clock)
        self._keep(self.cor.tick())

    def _keep(self, changes: list[IncidentChange]) -> None:
        self.alarms.save(self.alarm_book.take_writes())
        if self.book is not None:
            self.events += self.book.apply(changes, self.clock.now())
            self.events += self.book.tick(self.clock.now())

    def _next(self) -> datetime | None:
        now = self.clock.now()
        book = self.book.next_deadline() if self.book is not None else None
        times = [t for t in (self.cor.next_deadline(), book) if t is not None and t > now]
        return min(times) if times else None

    def advance_to(self, when: datetime) -> None:
        while (nxt := self._next()) is not None and nxt <= when:
            self.clock.set(nxt)
            self._keep(self.cor.tick())
        if when > self.clock.now():
            self.clock.set(when)
            self._keep(self.cor.tick())

    def feed(self, events: Iterable[AlarmEvent]) -> None:
        for e in events:
            self.advance_to(e.observed_at)
            self._keep(self.cor.ingest(e))

    def signals(self) -> list[tuple[str, str, str, datetime]]:
        return [(e.ticket_id[-5:], e.clock.value, e.kind, e.at) for e in self.events if e.clock is not None]
