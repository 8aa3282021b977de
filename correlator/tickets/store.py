"""Where tickets are kept: the protocol the book and the transitions service write through, and an
in-memory store for replays and tests (:class:`~correlator.tickets.repository.TicketRepository` is
the SQL one).

The store is the source of truth. Every writer reads what it changes fresh from the store, then
writes one :class:`TicketWrite` all-or-nothing; each changed ticket carries its new ``version`` and
the store refuses the write (:class:`StaleTicket`) if the stored version is not the one before it,
so an engineer's transition made through the CLI while the daemon runs is never overwritten: the
loser re-reads and decides again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from correlator.tickets.clocks import ClockKey
from correlator.tickets.model import (
    ClockName,
    ClockSignalKind,
    Suppression,
    Ticket,
    TicketKind,
    TicketState,
    TicketTransition,
)


class TicketStoreError(RuntimeError):
    pass


class StaleTicket(TicketStoreError):
    """Another writer changed the ticket since it was read (or created a ticket with its id)."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} was changed by another writer since it was read")
        self.ticket_id = ticket_id


@dataclass(frozen=True, slots=True)
class ClockEventRecord:
    """A warning or breach that has been emitted (kept so a restart does not emit it again)."""

    ticket_id: str
    clock: ClockName
    kind: ClockSignalKind
    due_at: datetime
    at: datetime
    """When the warning point or the limit was reached."""
    emitted_at: datetime
    """The book's clock when it emitted the signal."""

    @property
    def key(self) -> ClockKey:
        return (self.ticket_id, self.clock, self.kind, self.due_at)


@dataclass
class TicketWrite:
    """One all-or-nothing write."""

    inserts: list[Ticket] = field(default_factory=list)
    """New tickets (version 1)."""
    updates: list[Ticket] = field(default_factory=list)
    """Changed tickets with their version already bumped: stored only where the stored version is
    one less."""
    transitions: list[TicketTransition] = field(default_factory=list)
    """Steps to record; ``seq`` is given by the store (1, 2, ... per ticket, in list order)."""
    clock_events: list[ClockEventRecord] = field(default_factory=list)
    """Recorded only if not recorded yet; :meth:`TicketStore.write` returns those that were new."""
    suppressions: list[Suppression] = field(default_factory=list)
    """Upserted by (incident, circuit)."""

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates or self.transitions or self.clock_events or self.suppressions)


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """A filter for :meth:`TicketStore.find`; every given field must match."""

    states: frozenset[TicketState] | None = None
    kinds: frozenset[TicketKind] | None = None
    circuit: str | None = None
    incident: str | None = None
    team: str | None = None
    due_from: datetime | None = None
    """``restore_due_at`` at or after."""
    due_before: datetime | None = None
    opened_from: datetime | None = None
    opened_before: datetime | None = None

    def matches(self, t: Ticket) -> bool:
        return (
            (self.states is None or t.state in self.states)
            and (self.kinds is None or t.kind in self.kinds)
            and (self.circuit is None or t.circuit_id == self.circuit)
            and (self.incident is None or t.incident_id == self.incident)
            and (self.team is None or t.team == self.team)
            and (self.due_from is None or t.restore_due_at >= self.due_from)
            and (self.due_before is None or t.restore_due_at < self.due_before)
            and (self.opened_from is None or t.opened_at >= self.opened_from)
            and (self.opened_before is None or t.opened_at < self.opened_before)
        )


OPEN_STATES = frozenset(s for s in TicketState if s is not TicketState.closed)


class TicketStore(Protocol):
    def get(self, ticket_id: str) -> Ticket | None: ...

    def latest(self, circuits: Collection[str]) -> dict[str, Ticket]:
        """Each circuit's most recently opened ticket (any state)."""
        ...

    def find(self, query: TicketQuery) -> list[Ticket]:
        """Matching tickets, by priority, then known time, then id."""
        ...

    def transitions(self, ticket_id: str) -> list[TicketTransition]: ...

    def clock_events(self, ticket_ids: Collection[str]) -> list[ClockEventRecord]: ...

    def suppressions(
        self, circuits: Collection[str] | None = None, incident: str | None = None
    ) -> list[Suppression]: ...

    def open_counts(self) -> dict[tuple[str, str], int]:
        """Tickets not closed, by (tier, state)."""
        ...

    def write(self, batch: TicketWrite) -> list[ClockEventRecord]:
        """All or nothing; raises :class:`StaleTicket`; returns the clock events that were new."""
        ...


def sort_key(t: Ticket) -> tuple[int, datetime, str]:
    return (t.priority, t.known_at, t.id)


class MemoryTicketStore:
    """Everything in dictionaries; copies in and out, so callers never share a live object."""

    def __init__(self) -> None:
        self._tickets: dict[str, Ticket] = {}
        self._transitions: dict[str, list[TicketTransition]] = {}
        self._clock: dict[ClockKey, ClockEventRecord] = {}
        self._suppressions: dict[tuple[str, str], Suppression] = {}

    def get(self, ticket_id: str) -> Ticket | None:
        t = self._tickets.get(ticket_id)
        return t.copy() if t is not None else None

    def latest(self, circuits: Collection[str]) -> dict[str, Ticket]:
        wanted = set(circuits)
        out: dict[str, Ticket] = {}
        for t in self._tickets.values():
            if t.circuit_id in wanted:
                best = out.get(t.circuit_id)
                if best is None or (t.opened_at, t.id) > (best.opened_at, best.id):
                    out[t.circuit_id] = t
        return {c: t.copy() for c, t in out.items()}

    def find(self, query: TicketQuery) -> list[Ticket]:
        return sorted((t.copy() for t in self._tickets.values() if query.matches(t)), key=sort_key)

    def all(self) -> list[Ticket]:
        return self.find(TicketQuery())

    def transitions(self, ticket_id: str) -> list[TicketTransition]:
        return list(self._transitions.get(ticket_id, ()))

    def open_counts(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for t in self._tickets.values():
            if t.state is not TicketState.closed:
                key = (t.tier.value, t.state.value)
                counts[key] = counts.get(key, 0) + 1
        return counts

    def clock_events(self, ticket_ids: Collection[str]) -> list[ClockEventRecord]:
        wanted = set(ticket_ids)
        return sorted((r for r in self._clock.values() if r.ticket_id in wanted), key=lambda r: (r.at, r.ticket_id))

    def suppressions(self, circuits: Collection[str] | None = None, incident: str | None = None) -> list[Suppression]:
        wanted = set(circuits) if circuits is not None else None
        return sorted(
            (
                s
                for s in self._suppressions.values()
                if (wanted is None or s.circuit_id in wanted) and (incident is None or s.incident_id == incident)
            ),
            key=lambda s: (s.fault_start, s.circuit_id, s.incident_id),
        )

    def write(self, batch: TicketWrite) -> list[ClockEventRecord]:
        for t in batch.inserts:
            if t.id in self._tickets:
                raise StaleTicket(t.id)
        for t in batch.updates:
            stored = self._tickets.get(t.id)
            if stored is None or stored.version != t.version - 1:
                raise StaleTicket(t.id)
        for t in (*batch.inserts, *batch.updates):
            self._tickets[t.id] = t.copy()
        for tr in batch.transitions:
            steps = self._transitions.setdefault(tr.ticket_id, [])
            steps.append(replace(tr, seq=len(steps) + 1))
        new: list[ClockEventRecord] = []
        for rec in batch.clock_events:
            if rec.key not in self._clock:
                self._clock[rec.key] = rec
                new.append(rec)
        for s in batch.suppressions:
            self._suppressions[(s.incident_id, s.circuit_id)] = s
        return new


def by_id(tickets: Iterable[Ticket]) -> dict[str, Ticket]:
    return {t.id: t for t in tickets}
