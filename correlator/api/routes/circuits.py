"""``/api/v1/circuits``: every circuit with its current status, single-route risk and availability."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from correlator.api import models as m
from correlator.api import queries
from correlator.api.context import ApiContext
from correlator.api.errors import not_found
from correlator.api.settings import Role
from correlator.correlation.model import ImpactStatus
from correlator.domain import CustomerTier, MaintenanceLevel

ROUTE_STATE = {
    ImpactStatus.outage: "outage",
    ImpactStatus.protection_lost: "single_route_risk",
    ImpactStatus.degraded: "ok",
}


def circuit_docs(ctx: ApiContext, hurt: dict[str, queries.CircuitHurt]) -> list[m.CircuitOut]:
    inv, p, index = ctx.config.inventory, ctx.presenter, ctx.index
    verdicts = {c.circuit: c.verdict.value for c in ctx.audit.circuits}
    out: list[m.CircuitOut] = []
    for info in sorted(index.circuits.values(), key=lambda c: c.rank):
        c = inv.circuits[info.id]
        cust = inv.customers.get(c.customer)
        h = hurt.get(info.id)
        out.append(
            m.CircuitOut(
                id=info.id,
                customer=c.customer,
                customer_name=cust.name if cust is not None else c.customer,
                tier=info.tier.value,
                industry=cust.industry.value if cust is not None else "other",
                important_class=info.important_class.value,
                maintenance_level=info.maintenance_level.value,
                network_grade=ctx.config.policy.network_grade(info.maintenance_level).value,
                service_level=info.service_level.value,
                product=c.product,
                bandwidth=c.bandwidth,
                protected=c.protection is not None,
                disaster_recovery=c.disaster_recovery,
                central_node=c.central_node,
                status=h.status.value if h is not None else "ok",
                route_state=ROUTE_STATE[h.status] if h is not None else "ok",
                status_since=p.local(h.since) if h is not None else None,
                incidents=list(h.incidents) if h is not None else [],
                diversity_verdict=verdicts.get(info.id),
            )
        )
    return out


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["circuits"], dependencies=[Depends(ctx.auth.require(Role.read_only))])

    @r.get("/circuits", response_model=m.CircuitList, summary="Circuits with their status now, most important first")
    def list_circuits(
        status: Annotated[Literal["ok", "degraded", "protection_lost", "outage"] | None, Query()] = None,
        route_state: Annotated[
            Literal["ok", "single_route_risk", "outage"] | None,
            Query(description="single_route_risk: protected circuits down to one path"),
        ] = None,
        customer: Annotated[str | None, Query(description="customer id, e.g. CUST-BANK")] = None,
        tier: Annotated[CustomerTier | None, Query()] = None,
        maintenance_level: Annotated[MaintenanceLevel | None, Query()] = None,
    ) -> m.CircuitList:
        hurt = queries.circuits_hurt(queries.active_incidents(ctx.incidents))
        docs = circuit_docs(ctx, hurt)
        if status is not None:
            docs = [d for d in docs if d.status == status]
        if route_state is not None:
            docs = [d for d in docs if d.route_state == route_state]
        if customer is not None:
            docs = [d for d in docs if d.customer == customer]
        if tier is not None:
            docs = [d for d in docs if d.tier == tier.value]
        if maintenance_level is not None:
            docs = [d for d in docs if d.maintenance_level == maintenance_level.value]
        return m.CircuitList(circuits=docs, total=len(docs))

    @r.get(
        "/circuits/{circuit_id}",
        response_model=m.CircuitDetail,
        summary="One circuit: labels, paths, status now, and its availability for a period",
        responses={404: {"model": m.ErrorOut}, 422: {"model": m.ValidationErrorOut}},
    )
    def get_circuit(
        circuit_id: str,
        start: Annotated[
            AwareDatetime | None, Query(description="availability period start (default: today 00:00)")
        ] = None,
        end: Annotated[AwareDatetime | None, Query(description="availability period end (default: now)")] = None,
    ) -> m.CircuitDetail:
        c = ctx.config.inventory.circuits.get(circuit_id)
        if c is None:
            raise not_found("circuit", circuit_id, "/api/v1/circuits")
        hurt = queries.circuits_hurt(queries.active_incidents(ctx.incidents))
        doc = next(d for d in circuit_docs(ctx, hurt) if d.id == circuit_id)
        availability = ctx.figures.circuit(circuit_id, ctx.figures.period(start, end))
        return m.CircuitDetail(
            **doc.model_dump(),
            a_end=c.a_end.device + (f":{c.a_end.port}" if c.a_end.port else ""),
            z_end=c.z_end.device + (f":{c.z_end.port}" if c.z_end.port else ""),
            working=list(c.working.hops),
            protection=list(c.protection.hops) if c.protection is not None else None,
            availability=availability,
        )

    return r
