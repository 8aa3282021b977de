"""Scenario data for the availability tests: recorded alarm streams run through the real correlator
(and, where a test needs tickets, the ticket book) into a store on SQLite or PostgreSQL.

``LabRun`` is the daemon's loop in miniature: AlarmBook -> Correlator (with the store's
IncidentRepository) -> TicketBook, with a ManualClock that stops at every deadline. ``shift`` moves
a recorded stream in time (into or out of a planned-work window, across a month boundary).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from correlator.alarms import AlarmBook, AlarmRepository, Resolver
from correlator.alarmtypes import load_alarm_types
from correlator.availability import AvailabilityReport, Period, compute_availability, month_period, operator_tz
from correlator.clock import ManualClock
from correlator.correlation import Correlator, IncidentChange
from correlator.correlation.repository import IncidentRepository
from correlator.planned.calendar import PlannedCalendar
from correlator.planned.store import load_calendar
from correlator.policy import SlaPolicy
from correlator.store.importer import import_inventory
from correlator.tickets.book import TicketBook
from correlator.tickets.facts import CircuitDirectory
from correlator.tickets.repository import TicketRepository
from correlator.tickets.service import TicketService
from correlator.wire import AlarmEvent
from tests.correlator.conftest import T0, ev, lab_network, read_jsonl, shipped_rules

SHANGHAI = operator_tz("Asia/Shanghai")
DEC = datetime(2026, 12, 1, tzinfo=UTC)
LATER = datetime(2027, 2, 1, tzinfo=UTC)
"""A 'now' after every scenario."""

__all__ = ["DEC", "LATER", "SHANGHAI", "T0", "LabRun", "december", "ev", "lab_store", "read_jsonl", "shift"]


def shift(events: Iterable[AlarmEvent], to: datetime) -> list[AlarmEvent]:
    """The stream moved so that its first raise happens at ``to``."""
    events = list(events)
    first = min(e.raised_at for e in events)
    delta = to - first
    return [
        e.model_copy(
            update={
                "raised_at": e.raised_at + delta,
                "observed_at": e.observed_at + delta,
                "cleared_at": e.cleared_at + delta if e.cleared_at is not None else None,
            }
        )
        for e in events
    ]


class LabRun:
    """The lab's correlator (and ticket book) writing into ``engine``."""

    def __init__(self, engine: Engine, start: datetime, *, tickets: bool = False) -> None:
        cfg, index = lab_network()
        rules = shipped_rules()
        self.engine = engine
        self.policy = cfg.policy
        self.clock = ManualClock(start - timedelta(seconds=1))
        self.alarms = AlarmBook(rules.dedup, load_alarm_types(), self.clock, Resolver(cfg.inventory))
        self.alarm_store = AlarmRepository(engine)
        self.cor = Correlator(
            cfg.inventory, cfg.policy, rules, self.clock, index, self.alarms, IncidentRepository(engine)
        )
        self.book: TicketBook | None = None
        self.service: TicketService | None = None
        if tickets:
            store = TicketRepository(engine)
            directory = CircuitDirectory(cfg.inventory, cfg.policy)
            self.book = TicketBook(
                cfg.policy, directory, store, planned=load_calendar(engine, index), clock_events=False
            )
            self.service = TicketService(store, cfg.policy, directory, self.clock)

    def _take(self, changes: list[IncidentChange]) -> None:
        self.alarm_store.save(self.alarms.take_writes())
        if self.book is not None:
            self.book.apply(changes, self.clock.now())

    def _next(self) -> datetime | None:
        times = [t for t in (self.cor.next_deadline(), self.book.next_deadline() if self.book else None) if t]
        return min(times) if times else None

    def advance_to(self, when: datetime) -> None:
        for _ in range(10_000):
            nxt = self._next()
            if nxt is None or nxt > when or nxt < self.clock.now():
                break
            self.clock.set(nxt)
            self._take(self.cor.tick())
            if self.book is not None:
                self.book.tick(nxt)
            if self._next() == nxt:
                break  # nothing more due at this instant
        if when > self.clock.now():
            self.clock.set(when)
            self._take(self.cor.tick())
            if self.book is not None:
                self.book.tick(when)

    def feed(self, events: Iterable[AlarmEvent]) -> LabRun:
        for e in sorted(events, key=lambda x: (x.observed_at, x.event_id)):
            self.advance_to(e.observed_at)
            self._take(self.cor.ingest(e))
        return self

    def settle(self, seconds: float = 3600) -> LabRun:
        self.advance_to(self.clock.now() + timedelta(seconds=seconds))
        return self


@pytest.fixture
def lab_store(store: Engine) -> Iterator[Engine]:
    """A migrated store (SQLite or PostgreSQL) holding the lab inventory and its planned work."""
    cfg, _ = lab_network()
    import_inventory(store, cfg.inventory, cfg.policy)
    yield store


def calendar(engine: Engine) -> PlannedCalendar:
    return load_calendar(engine, lab_network()[1])


def december(
    engine: Engine,
    *,
    policy: SlaPolicy | None = None,
    now: datetime = LATER,
    period: Period | None = None,
    planned: bool = True,
    **kw: object,
) -> AvailabilityReport:
    """Availability of the lab circuits over December 2026 (Asia/Shanghai), measured at ``now``."""
    return compute_availability(
        engine,
        period or month_period("2026-12", SHANGHAI),
        policy or lab_network()[0].policy,
        ManualClock(now),
        calendar=calendar(engine) if planned else None,
        **kw,  # type: ignore[arg-type]
    )


def minutes(report: AvailabilityReport, circuit: str) -> tuple[float, float, int]:
    """(outage minutes, excluded minutes, outages) of one circuit."""
    c = report.circuit(circuit)
    return round(c.outage_seconds / 60, 3), round(c.excluded_seconds / 60, 3), c.outages
