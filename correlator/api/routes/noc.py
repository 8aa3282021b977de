"""``GET /api/v1/noc``: everything the NOC wall screen shows, in one document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from correlator.api import models as m
from correlator.api import queries
from correlator.api.context import ApiContext
from correlator.api.errors import ApiError
from correlator.api.routes.diversity import findings
from correlator.api.routes.incidents import present
from correlator.api.settings import Role
from correlator.correlation.model import ImpactStatus, IncidentState
from correlator.diversity.findings import VIOLATION_RULES, Verdict


def summary(ctx: ApiContext, circuits: int = 20) -> m.NocSummary:
    p = ctx.presenter
    now = ctx.clock.now()
    active = queries.active_incidents(ctx.incidents)
    published = [i for i in active if i.was_open]
    opened = p.ranked(i for i in published if i.state is IncidentState.open)
    cleared = p.ranked(i for i in published if i.state is IncidentState.cleared)
    docs = present(ctx, opened + cleared, max_circuits=circuits)
    hurt = queries.circuits_hurt(active)
    risk: list[m.RiskCircuit] = []
    for cid, h in hurt.items():
        if h.status is not ImpactStatus.protection_lost or cid not in ctx.index.circuits:
            continue
        info = ctx.index.circuits[cid]
        risk.append(
            m.RiskCircuit(
                circuit=cid,
                customer=info.customer,
                customer_name=p.customer_name(info.customer),
                tier=info.tier.value,
                maintenance_level=info.maintenance_level.value,
                since=p.local(h.since),
                incident=h.incidents[0],
                paths_down=list(h.paths_down),
            )
        )
    risk.sort(key=lambda r: ctx.index.circuits[r.circuit].rank)
    notes: list[str] = []
    availability: m.AvailabilityFigure | None = None
    try:
        availability = ctx.figures.today()
    except ApiError as exc:
        notes.append(f"availability: {exc.error} ({exc.fix})")
    timeliness: m.TimelinessFigure | None = None
    try:
        timeliness = ctx.figures.timeliness_today()
    except ApiError as exc:
        notes.append(f"timeliness: {exc.error} ({exc.fix})")
    violations = [f for f in findings(ctx, verdict=Verdict.violation) if f.rule in {r.value for r in VIOLATION_RULES}]
    return m.NocSummary(
        now=p.local(now),
        timezone=ctx.timezone,
        warn_fraction=ctx.config.policy.ticket_limits.warn_fraction,
        incidents=docs[: len(opened)],
        recently_cleared=docs[len(opened) :],
        impacted=len({c for i in opened for c in (x.circuit for x in i.impacted())}),
        protection_lost=risk,
        availability=availability,
        timeliness=timeliness,
        diversity_violations=violations,
        diversity_counts=ctx.audit.counts(),
        notes=notes,
    )


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["noc"], dependencies=[Depends(ctx.auth.require(Role.read_only))])

    @r.get(
        "/noc",
        response_model=m.NocSummary,
        summary="The NOC wall screen: ranked incidents with SLA deadlines, single-route risk, today's figures",
    )
    def noc(
        circuits: Annotated[
            int, Query(ge=0, le=100_000, description="circuits listed per incident, most important first")
        ] = 20,
    ) -> m.NocSummary:
        return summary(ctx, circuits)

    return r
