"""SLA clocks of a ticket: due times, outcomes, and the warnings and breaches to emit.

Pure functions of a ticket, the policy's limits and a time; nothing here reads a clock or a store.

==========  ===================  ==============================================  =======================
clock       starts               limit                                           stops when
==========  ===================  ==============================================  =======================
dispatch    ``known_at``         ``ticket_limits.dispatch_minutes``              dispatched (or restored)
accept      ``known_at``         ``ticket_limits.accept_minutes``                accepted (or restored)
restore     ``known_at``         the ticket's ``restore_due_at`` (level/product)  restored
confirm     ``restored_at``      ``ticket_limits.confirm_minutes``               confirmed
==========  ===================  ==============================================  =======================

A warning is due at ``warn_fraction`` of the limit, a breach at 100%. Each is emitted once per
(ticket, clock, kind, due time): the due time is part of the key because it can move (an upgrade to
outage restarts the clocks, a restoration starts a new confirm clock), and a moved deadline deserves
its own warning. A breach makes a not-yet-emitted warning of the same deadline pointless: only the
breach is emitted. A limit passed while nobody was ticking (the daemon was down) is still emitted
as a breach; a warning is not emitted once its step is done.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from correlator.policy import TicketLimits
from correlator.tickets.model import ClockName, ClockSignalKind, Ticket

ClockKey = tuple[str, ClockName, ClockSignalKind, datetime]
"""(ticket id, clock, warning|breach, due time): what makes an emitted signal unique."""


class ClockOutcome(StrEnum):
    running = "running"
    """Not done, limit not reached, warning not reached."""
    at_risk = "at_risk"
    """Not done, past the warning point."""
    breached = "breached"
    """Not done, past the limit."""
    met = "met"
    """Done within the limit."""
    missed = "missed"
    """Done after the limit."""
    not_needed = "not_needed"
    """The step was never done because the service came back first (dispatch, accept)."""


@dataclass(frozen=True, slots=True)
class ClockSpan:
    name: ClockName
    start: datetime
    due: datetime
    stopped_at: datetime | None
    """When the clock stopped: its step was done, or the service was restored first."""
    done: bool
    """The step itself happened (False when it stopped because the service was restored)."""

    @property
    def limit(self) -> timedelta:
        return self.due - self.start

    def warn_at(self, fraction: float) -> datetime:
        return self.start + timedelta(seconds=self.limit.total_seconds() * fraction)

    def outcome(self, now: datetime, fraction: float) -> ClockOutcome:
        if self.stopped_at is not None:
            if not self.done:
                return ClockOutcome.not_needed if self.stopped_at <= self.due else ClockOutcome.missed
            return ClockOutcome.met if self.stopped_at <= self.due else ClockOutcome.missed
        if now >= self.due:
            return ClockOutcome.breached
        if now >= self.warn_at(fraction):
            return ClockOutcome.at_risk
        return ClockOutcome.running


@dataclass(frozen=True, slots=True)
class ClockSignal:
    """A warning or a breach that is due."""

    ticket_id: str
    clock: ClockName
    kind: ClockSignalKind
    at: datetime
    """When it happened: the warning point or the limit."""
    due: datetime

    @property
    def key(self) -> ClockKey:
        return (self.ticket_id, self.clock, self.kind, self.due)


def spans(ticket: Ticket, limits: TicketLimits) -> list[ClockSpan]:
    """The ticket's clocks, in order: dispatch, accept, restore, and confirm once restored."""
    known = ticket.known_at
    restored = ticket.restored_at
    out = [
        ClockSpan(
            ClockName.dispatch,
            known,
            known + timedelta(minutes=limits.dispatch_minutes),
            _first(ticket.dispatched_at, restored),
            ticket.dispatched_at is not None and (restored is None or ticket.dispatched_at <= restored),
        ),
        ClockSpan(
            ClockName.accept,
            known,
            known + timedelta(minutes=limits.accept_minutes),
            _first(ticket.accepted_at, restored),
            ticket.accepted_at is not None and (restored is None or ticket.accepted_at <= restored),
        ),
        ClockSpan(ClockName.restore, known, ticket.restore_due_at, restored, restored is not None),
    ]
    if restored is not None:
        confirmed = ticket.confirmed_at
        out.append(
            ClockSpan(
                ClockName.confirm,
                restored,
                restored + timedelta(minutes=limits.confirm_minutes),
                confirmed,
                confirmed is not None,
            )
        )
    return out


def _first(*times: datetime | None) -> datetime | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def span(ticket: Ticket, limits: TicketLimits, name: ClockName) -> ClockSpan | None:
    return next((s for s in spans(ticket, limits) if s.name is name), None)


def due_signals(
    ticket: Ticket, limits: TicketLimits, now: datetime, emitted: Collection[ClockKey] = ()
) -> list[ClockSignal]:
    """Warnings and breaches due at ``now`` and not in ``emitted``, in time order."""
    out: list[ClockSignal] = []
    fraction = limits.warn_fraction
    for s in spans(ticket, limits):
        breach = ClockSignal(ticket.id, s.name, ClockSignalKind.breach, s.due, s.due)
        warning = ClockSignal(ticket.id, s.name, ClockSignalKind.warning, s.warn_at(fraction), s.due)
        if now >= s.due and (s.stopped_at is None or s.stopped_at > s.due):
            if breach.key not in emitted:
                out.append(breach)
        elif s.stopped_at is None and now >= warning.at and warning.key not in emitted:
            out.append(warning)
    out.sort(key=lambda sig: (sig.at, list(ClockName).index(sig.clock)))
    return out


def next_signal(ticket: Ticket, limits: TicketLimits, emitted: Collection[ClockKey] = ()) -> datetime | None:
    """The next time at which :func:`due_signals` will have something new for this ticket."""
    times: list[datetime] = []
    fraction = limits.warn_fraction
    for s in spans(ticket, limits):
        if s.stopped_at is not None:
            continue  # a stopped clock emits at once (a late breach) or never
        if (ticket.id, s.name, ClockSignalKind.breach, s.due) in emitted:
            continue
        times.append(s.due)
        if (ticket.id, s.name, ClockSignalKind.warning, s.due) not in emitted:
            times.append(s.warn_at(fraction))
    return min(times) if times else None


def restore_met(ticket: Ticket, now: datetime) -> bool | None:
    """The timeliness verdict: True restored within the limit, False missed (restored late, or
    still not restored past the limit), None not decided yet (not restored, limit ahead)."""
    if ticket.restored_at is not None:
        return ticket.restored_at <= ticket.restore_due_at
    if now >= ticket.restore_due_at:
        return False
    return None
