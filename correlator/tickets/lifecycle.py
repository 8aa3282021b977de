"""The rules of a ticket's life, as pure functions: a ticket in, the changed ticket, the transition
to record and the events to emit out. Nothing here reads a clock or a store; the ticket book
(detection) and the transitions service (engineers) call these and write the results.

Engineers' steps, in order (``dispatch`` may be repeated to hand the ticket to another team before
it is accepted)::

    opened --dispatch--> dispatched --accept--> accepted --restore--> restored --confirm--> confirmed --close--> closed

The book's steps: ``open``; ``restore`` (automatic, from any working state, when the circuit's
outage ends; the engineer still confirms); ``reopen`` (the fault returned soon after restoration:
back to the last working state reached); ``upgrade`` (lost protection became an outage, or
detection confirmed a customer's report); ``report`` (a customer report attached).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from correlator.domain import TicketCause, TicketKind
from correlator.policy import SlaPolicy
from correlator.tickets.errors import BadTransition, IllegalTransition, MissingCause
from correlator.tickets.facts import CircuitFacts, heavy_penalty, priority, restore_limit
from correlator.tickets.model import (
    Ticket,
    TicketAction,
    TicketEvent,
    TicketEventKind,
    TicketState,
    TicketTransition,
    iso,
)

BOOK = "linewatch"
"""The actor of the book's own steps."""

A = TicketAction
S = TicketState
E = TicketEventKind

ALLOWED: dict[TicketState, tuple[TicketAction, ...]] = {
    S.opened: (A.dispatch,),
    S.dispatched: (A.dispatch, A.accept),
    S.accepted: (A.restore,),
    S.restored: (A.confirm,),
    S.confirmed: (A.close,),
    S.closed: (),
}
"""The engineers' actions allowed in each state."""

TARGET: dict[TicketAction, TicketState] = {
    A.dispatch: S.dispatched,
    A.accept: S.accepted,
    A.restore: S.restored,
    A.confirm: S.confirmed,
    A.close: S.closed,
}

EVENT_OF: dict[TicketAction, TicketEventKind] = {
    A.dispatch: E.dispatched,
    A.accept: E.accepted,
    A.restore: E.restored,
    A.confirm: E.confirmed,
    A.close: E.closed,
}


@dataclass
class Step:
    """The outcome of one rule: the ticket as it is now, what to record, what to emit."""

    ticket: Ticket
    new: bool = False
    transitions: list[TicketTransition] = field(default_factory=list)
    events: list[TicketEvent] = field(default_factory=list)

    def then(self, other: Step) -> Step:
        """Two rules applied one after the other: one write (one version step)."""
        return Step(
            ticket=other.ticket.copy(version=self.ticket.version),
            new=self.new,
            transitions=self.transitions + other.transitions,
            events=self.events + other.events,
        )


def ticket_id(circuit: str, known_at: datetime) -> str:
    """``TK-20261201T020000Z-C-009``: the fault's known time (UTC) and the circuit."""
    return f"TK-{known_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{circuit}"


def _bump(t: Ticket, at: datetime, **changes: object) -> Ticket:
    return t.copy(version=t.version + 1, updated_at=at, **changes)


def _tr(
    t: Ticket,
    at: datetime,
    action: TicketAction,
    before: TicketState | None,
    actor: str,
    team: str | None = None,
    note: str | None = None,
    cause: TicketCause | None = None,
    incident: str | None = None,
) -> TicketTransition:
    return TicketTransition(
        ticket_id=t.id,
        seq=0,
        at=at,
        action=action,
        from_state=before,
        to_state=t.state,
        actor=actor,
        team=team,
        note=note,
        cause=cause,
        incident_id=incident,
    )


# -- the book's steps -------------------------------------------------------------------------------


def open_ticket(
    policy: SlaPolicy,
    facts: CircuitFacts,
    kind: TicketKind,
    tid: str,
    *,
    now: datetime,
    detected_at: datetime | None,
    customer_reported_at: datetime | None = None,
    incident: str | None = None,
    root_key: str | None = None,
    planned_work_id: str | None = None,
    note: str | None = None,
    actor: str = BOOK,
) -> Step:
    known = min(t for t in (detected_at, customer_reported_at) if t is not None)
    limit = restore_limit(policy, facts, kind)
    t = Ticket(
        id=tid,
        circuit_id=facts.circuit,
        customer_id=facts.customer,
        kind=kind,
        state=S.opened,
        priority=priority(policy, kind, facts.tier, facts.maintenance_level, facts.service_level),
        tier=facts.tier,
        maintenance_level=facts.maintenance_level,
        service_level=facts.service_level,
        heavy_penalty=heavy_penalty(facts, kind),
        known_at=known,
        opened_at=now,
        restore_limit_minutes=round(limit.total_seconds() / 60),
        restore_due_at=known + limit,
        incident_id=incident,
        root_key=root_key,
        product=facts.product,
        area=facts.area,
        detected_at=detected_at,
        customer_reported_at=customer_reported_at,
        planned_work_id=planned_work_id,
        version=1,
        updated_at=now,
    )
    return Step(
        ticket=t,
        new=True,
        transitions=[_tr(t, now, A.open, None, actor, note=note, incident=incident)],
        events=[TicketEvent.of(E.opened, t, now, note=note, actor=actor, planned_work_id=planned_work_id)],
    )


def auto_restore(t: Ticket, at: datetime, now: datetime, note: str, incident: str | None = None) -> Step:
    """The circuit's outage (or lost protection) ended: restored at the time it ended."""
    if not t.state.working:
        raise IllegalTransition(t.id, t.state.value, "restore", _allowed(t))
    before = t.state
    new = _bump(t, now, state=S.restored, restored_at=at)
    return Step(
        ticket=new,
        transitions=[_tr(new, at, A.restore, before, BOOK, note=note, incident=incident)],
        events=[TicketEvent.of(E.restored, new, at, note=note, actor=BOOK, from_state=before)],
    )


def reopen(t: Ticket, at: datetime, now: datetime, note: str, incident: str | None = None) -> Step:
    """The fault returned at ``at``: back to the last working state the ticket reached. The restore
    deadline stays (the fault was not really repaired); the confirm clock starts again later."""
    if t.state.working:
        raise IllegalTransition(t.id, t.state.value, "reopen", _allowed(t), "it is not restored")
    before = t.state
    state = S.accepted if t.accepted_at is not None else S.dispatched if t.dispatched_at is not None else S.opened
    new = _bump(
        t,
        now,
        state=state,
        restored_at=None,
        confirmed_at=None,
        closed_at=None,
        cause=None,
        reopened_count=t.reopened_count + 1,
    )
    return Step(
        ticket=new,
        transitions=[_tr(new, at, A.reopen, before, BOOK, note=note, incident=incident)],
        events=[TicketEvent.of(E.reopened, new, at, note=note, actor=BOOK, from_state=before)],
    )


def upgrade(
    policy: SlaPolicy,
    facts: CircuitFacts,
    t: Ticket,
    *,
    detected_at: datetime,
    now: datetime,
    incident: str | None,
    root_key: str | None,
    note: str,
) -> Step:
    """The ticket becomes an outage ticket: a protection-lost ticket whose circuit lost its last
    path (its clocks start again from the outage), or a customer's report the network now shows."""
    kind = TicketKind.outage
    known = min(x for x in (detected_at, t.customer_reported_at) if x is not None)
    limit = restore_limit(policy, facts, kind)
    prio = priority(policy, kind, t.tier, t.maintenance_level, t.service_level)
    new = _bump(
        t,
        now,
        kind=kind,
        priority=prio,
        heavy_penalty=heavy_penalty(facts, kind),
        protection_lost_at=t.detected_at if t.kind is TicketKind.protection_lost else t.protection_lost_at,
        detected_at=detected_at,
        known_at=known,
        restore_limit_minutes=round(limit.total_seconds() / 60),
        restore_due_at=known + limit,
        incident_id=incident or t.incident_id,
        root_key=root_key or t.root_key,
    )
    events = [TicketEvent.of(E.upgraded, new, now, note=note, actor=BOOK)]
    if prio != t.priority:
        events.append(TicketEvent.of(E.priority_changed, new, now, actor=BOOK, previous_priority=t.priority))
    return Step(
        ticket=new,
        transitions=[_tr(new, now, A.upgrade, t.state, BOOK, note=note, incident=incident)],
        events=events,
    )


def attach_report(t: Ticket, reported_at: datetime, now: datetime, note: str | None, actor: str) -> Step:
    """A customer report about the fault this ticket covers: kept, and ``known_at`` moves earlier
    (with every deadline) when the customer was first."""
    if t.state is S.closed:
        raise IllegalTransition(t.id, t.state.value, "attach a customer report", [])
    first = reported_at if t.customer_reported_at is None else min(t.customer_reported_at, reported_at)
    changes: dict[str, object] = {"customer_reported_at": first}
    if reported_at < t.known_at:
        earlier = t.known_at - reported_at
        changes["known_at"] = reported_at
        changes["restore_due_at"] = t.restore_due_at - earlier
    new = _bump(t, now, **changes)
    text = note or "customer report"
    return Step(
        ticket=new,
        transitions=[_tr(new, reported_at, A.report, t.state, actor, note=text)],
        events=[TicketEvent.of(E.customer_report, new, reported_at, note=text, actor=actor)],
    )


# -- the engineers' steps ---------------------------------------------------------------------------


def _allowed(t: Ticket) -> list[str]:
    return [a.value for a in ALLOWED[t.state]]


def manual(
    t: Ticket,
    action: TicketAction,
    *,
    at: datetime,
    now: datetime,
    actor: str,
    team: str | None = None,
    note: str | None = None,
    cause: TicketCause | None = None,
) -> Step:
    """An engineer's step (dispatch, accept, restore, confirm, close), checked against the state,
    the team and the order of times."""
    if action not in TARGET:
        raise BadTransition(f"'{action.value}' is not an engineer's action (use one of {', '.join(TARGET)})")
    if action not in ALLOWED[t.state]:
        why = ""
        if t.state is S.restored and action is A.restore:
            why = f"it was restored at {iso(t.restored_at)}"
        raise IllegalTransition(t.id, t.state.value, action.value, _allowed(t), why)
    if at > now:
        raise BadTransition(f"ticket {t.id}: {action.value} at {iso(at)} is in the future (now {iso(now)})")
    team = team.strip() if team else None
    before = t.state
    changes: dict[str, object] = {"state": TARGET[action]}
    prev: tuple[str, datetime | None] = ("the fault was known", t.known_at)
    if action is A.dispatch:
        if not team:
            raise BadTransition(f"dispatching ticket {t.id} needs the team (give --team)")
        if before is S.dispatched and team == t.team:
            why = f"it is dispatched to {team} already"
            raise IllegalTransition(t.id, before.value, action.value, _allowed(t), why)
        changes["team"] = team
        if t.dispatched_at is None:
            changes["dispatched_at"] = at
        else:
            prev = ("its first dispatch", t.dispatched_at)
    elif action is A.accept:
        if team and t.team and team != t.team:
            raise BadTransition(f"ticket {t.id} is dispatched to {t.team}, not {team} (dispatch it to {team} first)")
        changes["accepted_at"] = at
        prev = ("its dispatch", t.dispatched_at)
    elif action is A.restore:
        changes["restored_at"] = at
        prev = ("its acceptance", t.accepted_at)
    elif action is A.confirm:
        if not team and not t.team:
            raise BadTransition(f"confirming ticket {t.id} needs the team (give --team): it was never dispatched")
        if not t.team:
            changes["team"] = team
        changes["confirmed_at"] = at
        prev = ("its restoration", t.restored_at)
    elif action is A.close:
        if cause is None:
            raise MissingCause(t.id, [c.value for c in TicketCause])
        changes["closed_at"] = at
        changes["cause"] = cause
        prev = ("its confirmation", t.confirmed_at)
    if prev[1] is not None and at < prev[1]:
        raise BadTransition(
            f"ticket {t.id}: {action.value} at {iso(at)} is before {prev[0]} at {iso(prev[1])} (give a later --at)"
        )
    if at < t.known_at:
        raise BadTransition(
            f"ticket {t.id}: {action.value} at {iso(at)} is before the fault was known at {iso(t.known_at)}"
            " (give a later --at)"
        )
    new = _bump(t, now, **changes)
    return Step(
        ticket=new,
        transitions=[_tr(new, at, action, before, actor, team=team, note=note, cause=cause)],
        events=[TicketEvent.of(EVENT_OF[action], new, at, note=note, actor=actor, from_state=before, cause=cause)],
    )


def restore_limit_of(t: Ticket) -> timedelta:
    return t.restore_due_at - t.known_at
