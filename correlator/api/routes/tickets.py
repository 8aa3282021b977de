"""``/api/v1/tickets``: fault tickets, their SLA clocks, and the engineers' transitions (operator role).

A transition goes through :class:`correlator.tickets.service.TicketService`: it reads the ticket
fresh, checks the action against its state, and writes with the ticket's version, so a change made
meanwhile by the daemon's ticket book (an automatic restoration) or another engineer is never
overwritten. Its ticket events go to the live clients (and to ``ApiContext.ticket_listeners``).
"""

# No ``from __future__ import annotations`` here: FastAPI resolves the route closures' annotations
# (``Depends(operator)`` names a local) when the routes are declared.

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from correlator.api import models as m
from correlator.api.auth import Principal
from correlator.api.context import ApiContext
from correlator.api.errors import ApiError, not_found, validation_error
from correlator.api.settings import Role
from correlator.api.sla import ticket_deadline
from correlator.domain import TicketKind
from correlator.tickets.book import WORKING
from correlator.tickets.clocks import spans
from correlator.tickets.errors import (
    BadTransition,
    IllegalTransition,
    MissingCause,
    TicketConflict,
    TicketError,
    UnknownTicket,
)
from correlator.tickets.facts import CircuitDirectory
from correlator.tickets.lifecycle import ALLOWED
from correlator.tickets.model import Ticket, TicketEvent, TicketState, TicketTransition
from correlator.tickets.service import TicketService
from correlator.tickets.store import OPEN_STATES, TicketQuery

StateFilter = Literal["open", "working", "all", "opened", "dispatched", "accepted", "restored", "confirmed", "closed"]


def ticket_doc(ctx: ApiContext, t: Ticket) -> m.TicketOut:
    p = ctx.presenter
    now = ctx.clock.now()
    fraction = ctx.config.policy.ticket_limits.warn_fraction
    clocks = [
        m.ClockOut(
            clock=s.name.value,
            start=p.local(s.start),
            due=p.local(s.due),
            warn_at=p.local(s.start + timedelta(seconds=(s.due - s.start).total_seconds() * fraction)),
            stopped_at=p.opt(s.stopped_at),
            outcome=s.outcome(now, fraction).value,
        )
        for s in spans(t, ctx.config.policy.ticket_limits)
    ]
    return m.TicketOut(
        id=t.id,
        circuit=t.circuit_id,
        customer=t.customer_id,
        customer_name=p.customer_name(t.customer_id),
        kind=t.kind.value,
        state=t.state.value,
        priority=t.priority,
        tier=t.tier.value,
        maintenance_level=t.maintenance_level.value,
        service_level=t.service_level.value,
        heavy_penalty=t.heavy_penalty,
        incident=t.incident_id,
        root=t.root_key,
        known_at=p.local(t.known_at),
        detected_at=p.opt(t.detected_at),
        customer_reported_at=p.opt(t.customer_reported_at),
        opened_at=p.local(t.opened_at),
        dispatched_at=p.opt(t.dispatched_at),
        accepted_at=p.opt(t.accepted_at),
        restored_at=p.opt(t.restored_at),
        confirmed_at=p.opt(t.confirmed_at),
        closed_at=p.opt(t.closed_at),
        team=t.team,
        cause=t.cause.value if t.cause is not None else None,
        restore_limit_minutes=t.restore_limit_minutes,
        restore_due_at=p.local(t.restore_due_at),
        planned_work_id=t.planned_work_id,
        reopened_count=t.reopened_count,
        version=t.version,
        clocks=clocks,
        deadline=ticket_deadline(t, p, now),
        allowed_actions=[a.value for a in ALLOWED[t.state]],
    )


def transition_doc(ctx: ApiContext, tr: TicketTransition) -> m.TransitionOut:
    return m.TransitionOut(
        seq=tr.seq,
        at=ctx.presenter.local(tr.at),
        action=tr.action.value,
        from_state=tr.from_state.value if tr.from_state is not None else None,
        to_state=tr.to_state.value,
        actor=tr.actor,
        team=tr.team,
        note=tr.note,
        cause=tr.cause.value if tr.cause is not None else None,
        incident=tr.incident_id,
    )


def detail(ctx: ApiContext, t: Ticket) -> m.TicketDetail:
    history = ctx.tickets.repository.transitions(t.id)
    return m.TicketDetail(**ticket_doc(ctx, t).model_dump(), transitions=[transition_doc(ctx, tr) for tr in history])


def _states(state: StateFilter) -> frozenset[TicketState] | None:
    if state == "open":
        return OPEN_STATES
    if state == "working":
        return frozenset(WORKING)
    if state == "all":
        return None
    return frozenset({TicketState(state)})


def _check_input(body: m.TransitionIn) -> None:
    """Required fields first, each named (the service would refuse them with a sentence)."""
    if body.action == "dispatch" and not (body.team and body.team.strip()):
        raise validation_error("body.team", "dispatch needs the team the ticket goes to", "give team")
    if body.action == "close" and body.cause is None:
        raise validation_error(
            "body.cause",
            "close needs the cause",
            "give cause: operator_network, customer_side, other_operator, force_majeure or planned_work",
        )


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["tickets"], dependencies=[Depends(ctx.auth.require(Role.read_only))])
    operator = ctx.auth.require(Role.operator)

    def emit(events: list[TicketEvent]) -> None:
        ctx.broadcaster.on_ticket_events(events)
        for listener in ctx.ticket_listeners:
            listener(events)

    @r.get("/tickets", response_model=m.TicketList, summary="Tickets, in work order (priority, then known time)")
    def list_tickets(
        state: Annotated[StateFilter, Query(description="open: not closed; working: not restored yet")] = "open",
        circuit: Annotated[str | None, Query()] = None,
        incident: Annotated[str | None, Query()] = None,
        team: Annotated[str | None, Query()] = None,
        kind: Annotated[TicketKind | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> m.TicketList:
        query = TicketQuery(
            states=_states(state),
            kinds=frozenset({kind}) if kind is not None else None,
            circuit=circuit,
            incident=incident,
            team=team,
        )
        found = ctx.tickets.repository.find(query)
        return m.TicketList(tickets=[ticket_doc(ctx, t) for t in found[:limit]], total=len(found))

    @r.get(
        "/tickets/{ticket_id}",
        response_model=m.TicketDetail,
        summary="One ticket: times, SLA clocks, and every transition",
        responses={404: {"model": m.ErrorOut}},
    )
    def get_ticket(ticket_id: str) -> m.TicketDetail:
        t = ctx.tickets.repository.get(ticket_id)
        if t is None:
            raise not_found("ticket", ticket_id, "/api/v1/tickets?state=all")
        return detail(ctx, t)

    @r.post(
        "/tickets/{ticket_id}/transitions",
        response_model=m.TicketDetail,
        summary="Dispatch, accept, restore, confirm or close a ticket (operator role)",
        responses={
            401: {"model": m.ErrorOut},
            403: {"model": m.ErrorOut},
            404: {"model": m.ErrorOut},
            409: {"model": m.ErrorOut, "description": "the action is not allowed in the ticket's state"},
            422: {"model": m.ValidationErrorOut},
        },
    )
    def transition(
        ticket_id: str, body: m.TransitionIn, who: Annotated[Principal, Depends(operator)]
    ) -> m.TicketDetail:
        _check_input(body)
        service = TicketService(
            ctx.tickets.repository,
            ctx.config.policy,
            CircuitDirectory(ctx.config.inventory, ctx.config.policy),
            ctx.clock,
            on_events=emit,
        )
        try:
            result = service.transition(
                ticket_id, body.action, team=body.team, note=body.note, cause=body.cause, at=body.at, actor=who.actor
            )
        except UnknownTicket:
            raise not_found("ticket", ticket_id, "/api/v1/tickets?state=all") from None
        except IllegalTransition as exc:
            allowed = ", ".join(exc.allowed) or "none (the ticket is closed)"
            raise ApiError(409, str(exc), f"use an action allowed now: {allowed}") from None
        except MissingCause as exc:
            raise validation_error("body.cause", str(exc), "give cause") from None
        except BadTransition as exc:
            field = "body.team" if "team" in str(exc) else "body.at"
            raise validation_error(field, str(exc), f"correct {field.removeprefix('body.')}") from None
        except TicketConflict as exc:
            raise ApiError(409, str(exc), "read the ticket again and retry") from None
        except TicketError as exc:
            raise ApiError(409, str(exc), "read the ticket again and retry") from None
        return detail(ctx, result.ticket)

    return r
