"""Engineers' actions on tickets, for the CLI now and the HTTP API: transitions and customer reports.

    service = TicketService(store, policy, CircuitDirectory(inventory, policy), clock)
    result = service.transition("TK-...", "dispatch", team="JC-Line-1", note="fibre team")
    result = service.report("C-007", at=reported, note="customer called: line down")

Each call reads the ticket fresh from the store, checks the action against its state, and writes
with the ticket's version: if the daemon's ticket book (or another engineer) changed the ticket in
between, the write is refused and the call reads and checks again (an action that is no longer
allowed then fails with an error that says why, e.g. "it was restored at ..." automatically).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from correlator.clock import Clock
from correlator.domain import TicketCause, TicketKind
from correlator.policy import SlaPolicy
from correlator.tickets import lifecycle
from correlator.tickets.errors import BadTransition, TicketConflict, TicketError, UnknownCircuit, UnknownTicket
from correlator.tickets.facts import CircuitDirectory
from correlator.tickets.model import MANUAL_ACTIONS, Ticket, TicketAction, TicketEvent, TicketState
from correlator.tickets.store import StaleTicket, TicketStore, TicketWrite

MAX_RETRIES = 5


@dataclass(frozen=True)
class TransitionResult:
    ticket: Ticket
    events: list[TicketEvent]
    attached: bool = False
    """A customer report: True if it joined an existing ticket, False if it opened one."""


def parse_action(action: str | TicketAction) -> TicketAction:
    try:
        act = TicketAction(action)
    except ValueError:
        act = None
    if act is None or act not in MANUAL_ACTIONS:
        choices = ", ".join(a.value for a in MANUAL_ACTIONS)
        raise BadTransition(f"unknown action '{action}' (use one of {choices})")
    return act


def parse_cause(cause: str | TicketCause | None) -> TicketCause | None:
    if cause is None or isinstance(cause, TicketCause):
        return cause
    try:
        return TicketCause(cause)
    except ValueError:
        raise BadTransition(f"unknown cause '{cause}' (use one of {', '.join(c.value for c in TicketCause)})") from None


class TicketService:
    def __init__(
        self,
        store: TicketStore,
        policy: SlaPolicy,
        directory: CircuitDirectory,
        clock: Clock,
        on_events: Callable[[list[TicketEvent]], None] | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.directory = directory
        self.clock = clock
        self.on_events = on_events
        """Called with the events of every successful write (the API hands them to the feeds)."""

    def _emit(self, events: list[TicketEvent]) -> None:
        if self.on_events is not None and events:
            self.on_events(events)

    def _write(self, step: lifecycle.Step) -> None:
        self.store.write(
            TicketWrite(
                inserts=[step.ticket] if step.new else [],
                updates=[] if step.new else [step.ticket],
                transitions=step.transitions,
            )
        )

    def transition(
        self,
        ticket_id: str,
        action: str | TicketAction,
        *,
        team: str | None = None,
        note: str | None = None,
        cause: str | TicketCause | None = None,
        at: datetime | None = None,
        actor: str = "cli",
    ) -> TransitionResult:
        """dispatch | accept | restore | confirm | close one ticket (``at`` defaults to now)."""
        act = parse_action(action)
        why = parse_cause(cause)
        if at is not None and at.tzinfo is None:
            raise BadTransition(f"ticket {ticket_id}: the time {at.isoformat()} has no time zone (add +08:00 or Z)")
        for _ in range(MAX_RETRIES):
            t = self.store.get(ticket_id)
            if t is None:
                raise UnknownTicket(ticket_id)
            now = self.clock.now()
            step = lifecycle.manual(t, act, at=at or now, now=now, actor=actor, team=team, note=note or None, cause=why)
            try:
                self._write(step)
            except StaleTicket:
                continue
            self._emit(step.events)
            return TransitionResult(step.ticket, step.events)
        raise TicketConflict(f"ticket {ticket_id} kept changing while {act.value} was being recorded: try again")

    def report(
        self,
        circuit: str,
        *,
        at: datetime | None = None,
        note: str | None = None,
        actor: str = "cli",
    ) -> TransitionResult:
        """A customer reported a fault on ``circuit`` at ``at``: it joins the ticket of the fault the
        circuit has now (or had until its restoration after ``at``), moving ``known_at`` earlier if
        the customer was first; otherwise a ``customer_report`` ticket opens."""
        facts = self.directory.facts(circuit)
        if facts is None:
            raise UnknownCircuit(circuit)
        if at is not None and at.tzinfo is None:
            raise BadTransition(f"the report time {at.isoformat()} has no time zone (add +08:00 or Z)")
        for _ in range(MAX_RETRIES):
            now = self.clock.now()
            when = at or now
            if when > now:
                raise BadTransition(f"the report time {when.isoformat()} is in the future (now {now.isoformat()})")
            latest = self.store.latest([circuit]).get(circuit)
            if latest is not None and _covers(latest, when):
                step = lifecycle.attach_report(latest, when, now, note, actor)
                attached = True
            else:
                tid = lifecycle.ticket_id(circuit, when)
                n = 1
                while self.store.get(tid) is not None:
                    n += 1
                    tid = f"{lifecycle.ticket_id(circuit, when)}-{n}"
                step = lifecycle.open_ticket(
                    self.policy,
                    facts,
                    TicketKind.customer_report,
                    tid,
                    now=now,
                    detected_at=None,
                    customer_reported_at=when,
                    note=note or "customer report",
                    actor=actor,
                )
                attached = False
            try:
                self._write(step)
            except StaleTicket:
                continue
            self._emit(step.events)
            return TransitionResult(step.ticket, step.events, attached=attached)
        raise TicketConflict(f"the tickets of {circuit} kept changing while the report was being recorded: try again")

    def show(self, ticket_id: str) -> Ticket:
        t = self.store.get(ticket_id)
        if t is None:
            raise UnknownTicket(ticket_id)
        return t


def _covers(t: Ticket, reported_at: datetime) -> bool:
    """Is a report at ``reported_at`` about the fault ``t`` covers? Yes while it is being worked on,
    and when it was restored after the report (the customer called before the repair) and not closed."""
    if t.state.working:
        return True
    return t.state is not TicketState.closed and t.restored_at is not None and reported_at <= t.restored_at


__all__ = ["TicketError", "TicketService", "TransitionResult", "parse_action", "parse_cause"]
