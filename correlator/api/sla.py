"""The nearest SLA deadline of an incident, for the NOC page's countdown.

An incident's deadline is the earliest due time among the clocks still running on its tickets
(:func:`correlator.tickets.clocks.spans`: dispatch, accept, restore, confirm). A clock already past
its limit stays the nearest (it is overdue: the page shows it red, counting up). A circuit the
incident hurts with no ticket yet (the ticket book has not run, or the API runs on a store without
tickets) gets its restore clock from the SLA policy, counted from when the circuit was first hurt:
the same limit the ticket would carry.

The page turns a countdown amber at ``warn_at`` (``ticket_limits.warn_fraction`` of the limit) and
red at ``due``; it ticks client-side from these server times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from correlator.api import models as m
from correlator.api.present import Presenter
from correlator.correlation.model import ImpactStatus, Incident
from correlator.tickets.clocks import ClockSpan, spans
from correlator.tickets.facts import area_of
from correlator.tickets.model import Ticket, TicketState

TICKETED = (ImpactStatus.outage, ImpactStatus.protection_lost)
DONE = (TicketState.confirmed, TicketState.closed)


def _state(now: datetime, warn_at: datetime, due: datetime) -> str:
    if now >= due:
        return "breached"
    if now >= warn_at:
        return "at_risk"
    return "running"


def _out(
    p: Presenter,
    clock: str,
    circuit: str,
    ticket: str | None,
    start: datetime,
    due: datetime,
    now: datetime,
) -> m.DeadlineOut:
    fraction = p.policy.ticket_limits.warn_fraction
    warn_at = start + timedelta(seconds=(due - start).total_seconds() * fraction)
    return m.DeadlineOut(
        clock=clock,
        circuit=circuit,
        ticket=ticket,
        start=p.local(start),
        due=p.local(due),
        warn_at=p.local(warn_at),
        state=_state(now, warn_at, due),
    )


def running_clocks(ticket: Ticket, p: Presenter) -> list[ClockSpan]:
    """The clocks of a ticket still counting (its step not done, the service not restored first)."""
    if ticket.state in DONE:
        return []
    return [s for s in spans(ticket, p.policy.ticket_limits) if s.stopped_at is None]


def ticket_deadline(ticket: Ticket, p: Presenter, now: datetime) -> m.DeadlineOut | None:
    running = running_clocks(ticket, p)
    if not running:
        return None
    s = min(running, key=lambda s: s.due)
    return _out(p, s.name.value, ticket.circuit_id, ticket.id, s.start, s.due, now)


def incident_deadline(inc: Incident, tickets: Sequence[Ticket], p: Presenter, now: datetime) -> m.DeadlineOut | None:
    """The nearest deadline of ``inc``: its tickets' running clocks, and the policy's restore limit for
    the circuits it hurts that have no ticket."""
    best: m.DeadlineOut | None = None
    covered: set[str] = set()
    for t in tickets:
        covered.add(t.circuit_id)
        d = ticket_deadline(t, p, now)
        if d is not None and (best is None or d.due < best.due):
            best = d
    for c in inc.impacted():
        if c.status not in TICKETED or c.circuit in covered:
            continue
        circuit = p.inventory.circuits.get(c.circuit)
        if circuit is None:
            continue
        limit = p.policy.restore_limit(c.maintenance_level, area_of(p.inventory, c.circuit), circuit.product, c.tier)
        d = _out(p, "restore", c.circuit, None, c.since, c.since + limit, now)
        if best is None or d.due < best.due:
            best = d
    return best


def by_incident(tickets: Iterable[Ticket]) -> dict[str, list[Ticket]]:
    out: dict[str, list[Ticket]] = {}
    for t in tickets:
        if t.incident_id is not None:
            out.setdefault(t.incident_id, []).append(t)
    return out
