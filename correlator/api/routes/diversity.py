"""``/api/v1/diversity/findings``: what the route and equipment diversity audit found."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from correlator.api import models as m
from correlator.api.context import ApiContext
from correlator.api.settings import Role
from correlator.diversity.findings import Rule, Verdict


def findings(
    ctx: ApiContext,
    verdict: Verdict | None = None,
    rule: Rule | None = None,
    circuit: str | None = None,
    customer: str | None = None,
) -> list[m.FindingOut]:
    out: list[m.FindingOut] = []
    for audit in ctx.audit.circuits:
        if verdict is not None and audit.verdict is not verdict:
            continue
        if circuit is not None and audit.circuit != circuit:
            continue
        if customer is not None and audit.customer != customer:
            continue
        for f in audit.findings:
            if rule is None or f.rule is rule:
                out.append(ctx.presenter.finding(audit, f))
    return out


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["diversity"], dependencies=[Depends(ctx.auth.require(Role.read_only))])

    @r.get(
        "/diversity/findings",
        response_model=m.FindingList,
        summary="Diversity findings: each broken rule, the shared element and the hops using it",
    )
    def list_findings(
        verdict: Annotated[Verdict | None, Query(description="the circuit's verdict")] = None,
        rule: Annotated[Rule | None, Query()] = None,
        circuit: Annotated[str | None, Query()] = None,
        customer: Annotated[str | None, Query()] = None,
    ) -> m.FindingList:
        report = ctx.audit
        return m.FindingList(
            findings=findings(ctx, verdict, rule, circuit, customer),
            counts=report.counts(),
            audited=len(report.circuits),
            not_required=report.not_required,
        )

    return r
