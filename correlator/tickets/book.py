"""The ticket book: tickets opened, upgraded, restored and reopened from the correlator's incidents,
and their SLA clocks ticking.

    book = TicketBook(policy, CircuitDirectory(inventory, policy), store, planned=calendar)
    book.sync(correlator.incidents(), now, history=incident_repository)   # once, at start
    events = book.apply(correlator.ingest(event), now)                     # after every batch
    events = book.tick(now)                                                 # at book.next_deadline()

For each circuit an incident change touches, the book looks at the circuit's fault now (over every
incident: two incidents overlapping are one fault) and at the circuit's latest ticket, read fresh
from the store, and decides:

1. a working ticket whose circuit is out of its outage (or lost protection) is **restored**, at the
   time the fault ended (the engineer still confirms);
2. a fault whose every published incident's root is covered by an announced **planned-work** window
   (at the incident's start) opens nothing: the decision is recorded (``ticket_suppression``) and
   emitted (``suppressed``); when the fault outlasts the window a ticket opens at the window's end;
3. a working ticket absorbs the fault: lost protection that became an outage, or a customer's report
   the network now shows, **upgrades** it to an outage ticket;
4. a fault that returns within ``tickets.reopen_within_minutes`` of its ticket's restoration
   **reopens** that ticket;
5. else a new ticket **opens**: ``outage`` for a circuit with no path up, ``protection_lost`` (lower
   priority, if ``tickets.protection_lost_tickets``) for a protected circuit down to one path.

Only published incidents (past their settle window) open tickets; a fault is *detected* at the start
of the circuit's impact, which is usually before the ticket opens. Every decision is a function of
the circuit's fault and the stored ticket, so re-deciding (after a restart, or when another writer
changed the ticket in between: the write is refused and the book reads again) never duplicates.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from correlator.correlation.model import ImpactInterval, ImpactStatus, Incident, IncidentChange
from correlator.diversity.expand import NetworkIndex
from correlator.domain import TicketKind
from correlator.policy import SlaPolicy
from correlator.tickets import clocks, lifecycle
from correlator.tickets.errors import TicketConflict
from correlator.tickets.facts import CircuitDirectory, CircuitFacts, heavy_penalty, priority
from correlator.tickets.impacts import CircuitImpacts, Segment
from correlator.tickets.model import (
    ClockSignalKind,
    Suppression,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketState,
    iso,
)
from correlator.tickets.planned import PlannedLookup, PlannedWindow
from correlator.tickets.store import (
    OPEN_STATES,
    ClockEventRecord,
    StaleTicket,
    TicketQuery,
    TicketStore,
    TicketWrite,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from correlator.clock import Clock
    from correlator.configfile.loader import LoadedConfig

log = logging.getLogger(__name__)

OUTAGE = frozenset({ImpactStatus.outage})
SINGLE_ROUTE_OR_WORSE = frozenset({ImpactStatus.outage, ImpactStatus.protection_lost})
WORKING = frozenset(s for s in TicketState if s.working)
CLOCK_STATES = frozenset({TicketState.opened, TicketState.dispatched, TicketState.accepted, TicketState.restored})
"""States in which some clock may still run (or owe a late breach)."""
MAX_RETRIES = 5


class IntervalSource(Protocol):
    """The store's impact history (:class:`~correlator.correlation.repository.IncidentRepository`)."""

    def intervals(self, circuit: str | None = None, status: ImpactStatus | None = None) -> list[ImpactInterval]: ...


def statuses_of(kind: TicketKind) -> frozenset[ImpactStatus]:
    """The impact statuses a ticket of this kind is about."""
    return SINGLE_ROUTE_OR_WORSE if kind is TicketKind.protection_lost else OUTAGE


def _severity(kind: TicketKind) -> int:
    return 1 if kind is TicketKind.protection_lost else 0


@dataclass
class _Decision:
    steps: list[lifecycle.Step] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    events: list[TicketEvent] = field(default_factory=list)
    revisit: dict[tuple[str, str], datetime] = field(default_factory=dict)


class TicketBook:
    def __init__(
        self,
        policy: SlaPolicy,
        directory: CircuitDirectory,
        store: TicketStore,
        planned: PlannedLookup | None = None,
        *,
        clock_events: bool = True,
        rescan: timedelta = timedelta(seconds=10),
    ) -> None:
        self.policy = policy
        self.directory = directory
        self.store = store
        self.planned = planned
        self.clock_events = clock_events
        """False: no warnings or breaches are emitted (a replay, where nobody works the tickets)."""
        self.impacts = CircuitImpacts()
        self._clock_due: dict[str, datetime] = {}
        """Ticket id -> its next clock signal time, as of the last time the book read it."""
        self._revisit: dict[tuple[str, str], datetime] = {}
        """(reason, circuit) -> when to look at the circuit again: an incident suppressed by planned work
        (the window's end), or ``hold`` (lost protection left when an outage ended, see
        ``tickets.protection_lost_hold_seconds``)."""
        self._pending: list[TicketEvent] = []
        """Events of :meth:`resume`, handed out with the next :meth:`apply` or :meth:`tick`."""
        self._dirty: set[str] = set()
        """Circuits to decide for: those of the last batch until the decision is written (a store
        failure leaves them here, and the next batch or tick decides again)."""
        self.rescan = rescan
        """Read every open ticket at least this often (changes made by other writers)."""
        self._scanned: datetime | None = None
        self._careful = False
        """A write was refused: check new ticket ids against the whole store."""
        self._counts: dict[tuple[str, str], int] = {}
        self._counts_lock = threading.Lock()

    @property
    def reopen_within(self) -> timedelta:
        return timedelta(minutes=self.policy.tickets.reopen_within_minutes)

    # -- feeding -----------------------------------------------------------------------------------

    def apply(self, changes: Iterable[IncidentChange], now: datetime) -> list[TicketEvent]:
        """Fold one batch of the correlator's incident changes in (call right after each batch:
        the changes carry live incidents)."""
        out = self._take_pending()
        self._dirty |= self.impacts.take(changes)
        if self._dirty:
            out += self._reconcile_dirty(now)
        return out

    def _reconcile_dirty(self, now: datetime) -> list[TicketEvent]:
        """Decide for the circuits waiting; if the store fails, they wait for the next call."""
        events = self._reconcile(set(self._dirty), now)
        self._dirty.clear()
        return events

    def resume(self, incidents: Iterable[Incident], now: datetime, history: IntervalSource | None = None) -> None:
        """:meth:`sync` at start; its events come out with the next :meth:`apply` or :meth:`tick`."""
        events = self.sync(incidents, now, history)
        self._pending = [*self._pending, *events]

    def sync(
        self, incidents: Iterable[Incident], now: datetime, history: IntervalSource | None = None
    ) -> list[TicketEvent]:
        """Start (or restart) from the correlator's active incidents and the stored tickets: tickets
        missing for a published fault open, working tickets whose fault ended while nobody watched are
        restored at the time it ended (from ``history``, the stored impact intervals), clocks tick."""
        circuits = self.impacts.load(incidents)
        working = self.store.find(TicketQuery(states=WORKING))
        for t in working:
            circuits.add(t.circuit_id)
            if history is not None and t.incident_id is not None:
                known = self.impacts.spans.get(t.circuit_id, {})
                for iv in history.intervals(circuit=t.circuit_id):
                    if iv.id not in known:
                        self.impacts.put(iv)
        events = self._reconcile(circuits, now) if circuits else []
        return events + self.tick(now)

    def tick(self, now: datetime) -> list[TicketEvent]:
        """Time-driven work: faults that outlast their planned-work window, clock warnings and breaches.

        The open tickets are read from the store when a clock deadline the book knows of is due,
        and at least every ``rescan`` (tickets another writer changed: an engineer's customer report
        through the CLI is timed from then on); a tick with nothing due costs nothing."""
        events = self._take_pending()
        self._dirty |= {c for (_, c), end in self._revisit.items() if end <= now}
        if self._dirty:
            events += self._reconcile_dirty(now)
        due = min(self._clock_due.values(), default=None) if self.clock_events else None
        if self._scanned is None or now - self._scanned >= self.rescan or (due is not None and due <= now):
            events += self._scan(now)
        return events

    def invalidate(self) -> None:
        """Read every open ticket again at the next tick (call after another writer changed tickets,
        e.g. from the API's transitions service ``on_events``)."""
        self._scanned = None

    def _scan(self, now: datetime) -> list[TicketEvent]:
        open_tickets = self.store.find(TicketQuery(states=OPEN_STATES))
        self._scanned = now
        self._count(open_tickets)
        events = self._clocks(now, [t for t in open_tickets if t.state in CLOCK_STATES]) if self.clock_events else []
        keep = {c for (_, c) in self._revisit}
        keep |= {t.circuit_id for t in open_tickets if t.state.working}
        self.impacts.prune(now - self.reopen_within - timedelta(days=1), keep)
        return events

    def _take_pending(self) -> list[TicketEvent]:
        out, self._pending = list(self._pending), []
        return out

    def open_ticket_counts(self) -> dict[tuple[str, str], int]:
        """Open tickets by (tier, state), as of the last write or tick (a snapshot: safe to call from
        the metrics' scrape thread)."""
        with self._counts_lock:
            return dict(self._counts)

    def _count(self, tickets: Iterable[Ticket]) -> None:
        counts: dict[tuple[str, str], int] = {}
        for t in tickets:
            key = (t.tier.value, t.state.value)
            counts[key] = counts.get(key, 0) + 1
        with self._counts_lock:
            self._counts = counts

    def next_deadline(self) -> datetime | None:
        """When :meth:`tick` next has work (as of what the book last read; changes made by others,
        such as a customer report entered through the CLI, are seen at the next tick: a daemon
        should also tick every few seconds)."""
        times = list(self._revisit.values())
        if self.clock_events:
            times += self._clock_due.values()
        return min(times) if times else None

    # -- deciding ----------------------------------------------------------------------------------

    def _reconcile(self, circuits: Collection[str], now: datetime) -> list[TicketEvent]:
        ordered = sorted(circuits)
        self._careful = False
        for _ in range(MAX_RETRIES):
            latest = self.store.latest(ordered)
            known_supp = {(s.incident_id, s.circuit_id): s for s in self.store.suppressions(ordered)}
            write = TicketWrite()
            events: list[TicketEvent] = []
            revisit: dict[tuple[str, str], datetime] = {}
            touched: list[Ticket] = []
            new_ids: set[str] = {t.id for t in latest.values()}
            for circuit in ordered:
                d = self._decide(circuit, latest.get(circuit), now, known_supp, new_ids)
                for step in d.steps:
                    (write.inserts if step.new else write.updates).append(step.ticket)
                    write.transitions += step.transitions
                    events += step.events
                    touched.append(step.ticket)
                write.suppressions += d.suppressions
                events += d.events
                revisit.update(d.revisit)
            try:
                if write:
                    self.store.write(write)
            except StaleTicket as exc:
                log.info("ticket book: %s; reading again", exc)
                self._careful = True  # a new ticket's id may be taken by an older ticket: ask the store
                continue
            if touched:
                with self._counts_lock:
                    self._counts = self.store.open_counts()
            for key in [k for k in self._revisit if k[1] in circuits]:
                del self._revisit[key]
            self._revisit.update(revisit)
            self._refresh_clock_due(touched)
            return events
        raise TicketConflict(f"tickets of {', '.join(ordered[:5])} kept changing under the ticket book")

    def _decide(
        self,
        circuit: str,
        latest: Ticket | None,
        now: datetime,
        known_supp: dict[tuple[str, str], Suppression],
        new_ids: set[str],
    ) -> _Decision:
        d = _Decision()
        facts = self.directory.facts(circuit)
        if facts is None:
            log.warning("ticket book: circuit %s is not in the inventory: no ticket", circuit)
            return d
        cur = latest

        # 1. a working ticket whose fault is over is restored when it ended
        if cur is not None and cur.state.working and cur.incident_id is not None and self.impacts.known(circuit):
            statuses = statuses_of(cur.kind)
            if not self.impacts.down(circuit, statuses):
                since = cur.detected_at or cur.known_at
                end = self.impacts.last_end(circuit, statuses, since)
                if end is not None:
                    what = "outage" if cur.kind is not TicketKind.protection_lost else "loss of protection"
                    step = lifecycle.auto_restore(
                        cur, max(end, since), now, f"the circuit's {what} ended (alarms cleared)", cur.incident_id
                    )
                    d.steps.append(step)
                    cur = step.ticket

        # 2. the fault now
        seg = self.impacts.segment(circuit, OUTAGE)
        kind = TicketKind.outage
        if seg is None and self.policy.tickets.protection_lost_tickets:
            seg = self.impacts.segment(circuit, SINGLE_ROUTE_OR_WORSE)
            kind = TicketKind.protection_lost
        if seg is None:
            return self._merge_steps(d)
        statuses = statuses_of(kind)

        # 3. planned work
        detected, planned_id, incident = self._planned(circuit, seg, statuses, kind, facts, now, known_supp, d)
        if detected is None:
            return self._merge_steps(d)
        root = self.impacts.root(incident) if incident else None
        root_key = root.root_key if root is not None else None

        # 4. a working ticket absorbs the fault
        if cur is not None and cur.state.working:
            if kind is TicketKind.outage and cur.kind is not TicketKind.outage:
                was = "lost protection became an outage" if cur.kind is TicketKind.protection_lost else "detected"
                d.steps.append(
                    lifecycle.upgrade(
                        self.policy,
                        facts,
                        cur,
                        detected_at=detected,
                        now=now,
                        incident=incident,
                        root_key=root_key,
                        note=f"{was}: incident {incident}",
                    )
                )
            return self._merge_steps(d)

        # 5. the fault is one its (restored) ticket already covered; lost protection left when an
        #    outage ended gets its own ticket only if it lasts
        if cur is not None and cur.restored_at is not None and cur.restored_at >= seg.start:
            if _severity(cur.kind) == _severity(kind):
                return self._merge_steps(d)
            if _severity(cur.kind) < _severity(kind):
                hold_until = cur.restored_at + timedelta(seconds=self.policy.tickets.protection_lost_hold_seconds)
                if now < hold_until:
                    d.revisit[("hold", circuit)] = hold_until
                    return self._merge_steps(d)
                detected = max(detected, cur.restored_at)

        # 6. the fault returned soon after restoration: reopen
        if (
            cur is not None
            and cur.restored_at is not None
            and self.reopen_within > timedelta(0)
            and _severity(kind) <= _severity(cur.kind)
            and timedelta(0) <= detected - cur.restored_at <= self.reopen_within
        ):
            gap = int((detected - cur.restored_at).total_seconds())
            step = lifecycle.reopen(
                cur, detected, now, f"the fault returned {gap} s after restoration: incident {incident}", incident
            )
            d.steps.append(step)
            if kind is TicketKind.outage and cur.kind is TicketKind.protection_lost:
                d.steps.append(
                    lifecycle.upgrade(
                        self.policy,
                        facts,
                        step.ticket,
                        detected_at=detected,
                        now=now,
                        incident=incident,
                        root_key=root_key,
                        note=f"lost protection became an outage: incident {incident}",
                    )
                )
            return self._merge_steps(d)

        # 7. a new ticket
        tid = self._free_id(lifecycle.ticket_id(circuit, detected), new_ids)
        note = f"planned work {planned_id} overran its window" if planned_id else None
        d.steps.append(
            lifecycle.open_ticket(
                self.policy,
                facts,
                kind,
                tid,
                now=now,
                detected_at=detected,
                incident=incident,
                root_key=root_key,
                planned_work_id=planned_id,
                note=note,
            )
        )
        if planned_id is not None and incident is not None:
            key = (incident, circuit)
            old = known_supp.get(key)
            if old is not None and old.ticket_id is None:
                d.suppressions = [x for x in d.suppressions if (x.incident_id, x.circuit_id) != key]
                d.suppressions.append(replace(old, ticket_id=tid))
        return self._merge_steps(d)

    def _planned(
        self,
        circuit: str,
        seg: Segment,
        statuses: frozenset[ImpactStatus],
        kind: TicketKind,
        facts: CircuitFacts,
        now: datetime,
        known_supp: dict[tuple[str, str], Suppression],
        d: _Decision,
    ) -> tuple[datetime | None, str | None, str | None]:
        """(detected at, planned work id if it overran, incident) for the ticket to open or update;
        detected None: planned work covers the fault, no ticket (recorded in ``d``)."""
        unplanned: list[tuple[datetime, str]] = []
        overran: list[tuple[datetime, str, str]] = []
        for inc_id in seg.incidents:
            since = max(seg.start, self.impacts.open_start(circuit, statuses, inc_id) or seg.start)
            root = self.impacts.root(inc_id)
            window = (
                self.planned.covering(root.root_key, root.started_at)
                if self.planned is not None and root is not None
                else None
            )
            if window is None:
                unplanned.append((since, inc_id))
            elif now >= window.end:
                overran.append((max(since, window.end), window.id, inc_id))
                self._suppressed(facts, inc_id, window, since, kind, now, known_supp, d)
            else:
                self._suppressed(facts, inc_id, window, since, kind, now, known_supp, d)
                d.revisit[(inc_id, circuit)] = window.end
        if unplanned:
            since, inc_id = min(unplanned)
            return since, None, inc_id
        if overran:
            since, pw, inc_id = min(overran)
            return since, pw, inc_id
        return None, None, None

    def _suppressed(
        self,
        facts: CircuitFacts,
        incident: str,
        window: PlannedWindow,
        since: datetime,
        kind: TicketKind,
        now: datetime,
        known_supp: dict[tuple[str, str], Suppression],
        d: _Decision,
    ) -> None:
        circuit = facts.circuit
        old = known_supp.get((incident, circuit))
        if old is not None and old.planned_work_id == window.id and _severity(old.status) <= _severity(kind):
            return
        root = self.impacts.root(incident)
        assert root is not None
        s = Suppression(
            incident_id=incident,
            circuit_id=circuit,
            root_key=root.root_key,
            status=kind,
            planned_work_id=window.id,
            window_start=window.start,
            window_end=window.end,
            fault_start=since,
            decided_at=now,
            ticket_id=old.ticket_id if old is not None else None,
        )
        known_supp[(incident, circuit)] = s
        d.suppressions.append(s)
        d.events.append(_suppressed_event(self.policy, facts, s))

    def _merge_steps(self, d: _Decision) -> _Decision:
        """Steps on one ticket in one decision are one write (one version step)."""
        merged: list[lifecycle.Step] = []
        for step in d.steps:
            if merged and merged[-1].ticket.id == step.ticket.id:
                merged[-1] = merged[-1].then(step)
            else:
                merged.append(step)
        d.steps = merged
        return d

    def _free_id(self, tid: str, new_ids: set[str]) -> str:
        """``tid``, or ``tid-2``, ``tid-3`` ... if taken (by the circuit's latest ticket, one opened in
        this decision, or, after a refused write, any stored ticket)."""
        base, n = tid, 1
        while tid in new_ids or (self._careful and self.store.get(tid) is not None):
            n += 1
            tid = f"{base}-{n}"
        new_ids.add(tid)
        return tid

    # -- clocks ------------------------------------------------------------------------------------

    def _clocks(self, now: datetime, tickets: list[Ticket]) -> list[TicketEvent]:
        limits = self.policy.ticket_limits
        emitted = {r.key for r in self.store.clock_events([t.id for t in tickets])}
        records: list[ClockEventRecord] = []
        by_key: dict[tuple[object, ...], tuple[Ticket, clocks.ClockSignal]] = {}
        for t in tickets:
            for sig in clocks.due_signals(t, limits, now, emitted):
                records.append(ClockEventRecord(t.id, sig.clock, sig.kind, sig.due, sig.at, now))
                by_key[sig.key] = (t, sig)
        new = self.store.write(TicketWrite(clock_events=records)) if records else []
        emitted |= {r.key for r in new}
        events: list[TicketEvent] = []
        for rec in new:
            t, sig = by_key[rec.key]
            warning = sig.kind is ClockSignalKind.warning
            what = TicketEventKind.clock_warning if warning else TicketEventKind.clock_breach
            events.append(TicketEvent.of(what, t, sig.at, clock=sig.clock, due_at=sig.due))
        events.sort(key=lambda e: (e.at, e.ticket_id))
        self._clock_due = {}
        for t in tickets:
            nxt = clocks.next_signal(t, limits, emitted)
            if nxt is not None:
                self._clock_due[t.id] = nxt
        return events

    def _refresh_clock_due(self, touched: list[Ticket]) -> None:
        if not touched or not self.clock_events:
            return
        limits = self.policy.ticket_limits
        emitted = {r.key for r in self.store.clock_events([t.id for t in touched])}
        for t in touched:
            nxt = clocks.next_signal(t, limits, emitted) if t.state in CLOCK_STATES else None
            if nxt is None:
                self._clock_due.pop(t.id, None)
            else:
                self._clock_due[t.id] = nxt


def _suppressed_event(policy: SlaPolicy, facts: CircuitFacts, s: Suppression) -> TicketEvent:
    return TicketEvent(
        kind=TicketEventKind.suppressed.value,
        ticket_id="",
        at=s.fault_start,
        circuit=facts.circuit,
        customer=facts.customer,
        tier=facts.tier,
        maintenance_level=facts.maintenance_level,
        service_level=facts.service_level,
        ticket_kind=s.status,
        state=None,
        priority=priority(policy, s.status, facts.tier, facts.maintenance_level, facts.service_level),
        heavy_penalty=heavy_penalty(facts, s.status),
        incident=s.incident_id,
        root=s.root_key,
        planned_work_id=s.planned_work_id,
        note=f"announced planned work {s.planned_work_id} covers {s.root_key}: no ticket",
        extra={"window_start": iso(s.window_start), "window_end": iso(s.window_end)},
    )


# -- the daemon's ticket stage ------------------------------------------------------------------------


class StoreCalendar:
    """The planned-work calendar of the store (inventory and runtime windows), rebuilt when it is older
    than ``max_age`` on the injected clock, so a window created or cancelled through the CLI or API
    is seen within that time."""

    def __init__(
        self, engine: Engine, index: NetworkIndex, clock: Clock, max_age: timedelta = timedelta(seconds=10)
    ) -> None:
        self.engine = engine
        self.index = index
        self.clock = clock
        self.max_age = max_age
        self._calendar: PlannedLookup | None = None
        self._built: datetime | None = None

    def covering(self, resource_key: str, at: datetime) -> PlannedWindow | None:
        now = self.clock.now()
        if self._calendar is None or self._built is None or now - self._built >= self.max_age:
            from correlator.planned.store import load_calendar

            self._calendar = load_calendar(self.engine, self.index)
            self._built = now
        return self._calendar.covering(resource_key, at)


def build_ticket_book(
    cfg: LoadedConfig,
    engine: Engine,
    clock: Clock,
    incidents: Iterable[Incident] = (),
    index: NetworkIndex | None = None,
) -> TicketBook:
    """The daemon's ticket book on the store at ``engine``: tickets in the SQL store, planned work
    from the store's calendar, resumed from the correlator's active incidents (its first events come
    out with the first batch or tick)."""
    from correlator.correlation.repository import IncidentRepository
    from correlator.tickets.repository import TicketRepository

    net = index or NetworkIndex(cfg.inventory, cfg.policy)
    book = TicketBook(
        cfg.policy,
        CircuitDirectory(cfg.inventory, cfg.policy),
        TicketRepository(engine),
        StoreCalendar(engine, net, clock),
    )
    book.resume(incidents, clock.now(), history=IncidentRepository(engine))
    return book
