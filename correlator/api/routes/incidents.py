"""``/api/v1/incidents``: incidents with their root cause, symptoms and impacted circuits."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from correlator.api import models as m
from correlator.api import queries
from correlator.api.context import ApiContext
from correlator.api.errors import not_found
from correlator.api.settings import Role
from correlator.api.sla import by_incident, incident_deadline
from correlator.correlation.model import Incident

StateFilter = Literal["active", "all", "settling", "open", "cleared", "closed", "merged"]


def present(
    ctx: ApiContext, incidents: list[Incident], detail: bool = False, max_circuits: int | None = None
) -> list[m.IncidentOut]:
    """Incidents as documents, with their tickets and nearest SLA deadline."""
    now = ctx.clock.now()
    tickets = by_incident(ctx.tickets.for_incidents([i.id for i in incidents]))
    out: list[m.IncidentOut] = []
    for inc in incidents:
        mine = tickets.get(inc.id, [])
        deadline = incident_deadline(inc, mine, ctx.presenter, now) if not inc.state.final else None
        out.append(
            ctx.presenter.incident(inc, deadline, sorted(t.id for t in mine), detail=detail, max_circuits=max_circuits)
        )
    return out


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["incidents"], dependencies=[Depends(ctx.auth.require(Role.read_only))])

    @r.get(
        "/incidents",
        response_model=m.IncidentList,
        summary="Incidents: the active ones by NOC rank (tier, then maintenance level), others newest first",
    )
    def list_incidents(
        state: Annotated[StateFilter, Query(description="active: settling, open or cleared (not final)")] = "active",
        published: Annotated[
            bool | None, Query(description="true: only incidents past their settle window (what the NOC sees)")
        ] = None,
        since: Annotated[
            AwareDatetime | None, Query(description="started at or after this time (ISO 8601 with offset)")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=2000)] = 200,
    ) -> m.IncidentList:
        incidents, total = queries.incidents(ctx.incidents, state, since, limit, published)
        if state == "active":
            incidents = ctx.presenter.ranked(incidents)
        return m.IncidentList(incidents=present(ctx, incidents), total=total)

    @r.get(
        "/incidents/{incident_id}",
        response_model=m.IncidentDetail,
        summary="One incident: root cause, symptoms, impacted circuits, impact history, deadline",
        responses={404: {"model": m.ErrorOut}},
    )
    def get_incident(incident_id: str) -> m.IncidentOut:
        inc = ctx.incidents.load(incident_id)
        if inc is None:
            raise not_found("incident", incident_id, "/api/v1/incidents?state=all")
        return present(ctx, [inc], detail=True)[0]

    return r
