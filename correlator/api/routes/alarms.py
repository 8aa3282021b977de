"""``GET /api/v1/alarms``: deduplicated alarms (one per reduction key), filtered."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from correlator.api import models as m
from correlator.api import queries
from correlator.api.context import ApiContext
from correlator.api.settings import Role
from correlator.wire import Severity


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["alarms"], dependencies=[Depends(ctx.auth.require(Role.read_only))])

    @r.get("/alarms", response_model=m.AlarmList, summary="Alarms, most recently seen first")
    def list_alarms(
        device: Annotated[str | None, Query(description="network element id, e.g. SDH-CEN")] = None,
        state: Annotated[
            Literal["active", "cleared", "flapping", "standing"] | None,
            Query(description="standing: active or flapping"),
        ] = None,
        severity: Annotated[Severity | None, Query()] = None,
        since: Annotated[
            AwareDatetime | None,
            Query(description="seen at or after this time (ISO 8601 with offset, e.g. 2026-12-01T10:00:00+08:00)"),
        ] = None,
        key: Annotated[str | None, Query(description="one alarm by its reduction key DEVICE|RESOURCE|TYPE")] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> m.AlarmList:
        flt = queries.AlarmFilter(
            device=device,
            state=state,
            severity=severity.value if severity is not None else None,
            since=since,
            key=key,
            limit=limit,
        )
        rows, total = queries.alarms(ctx.engine, flt)
        owner = queries.alarm_incidents(queries.active_incidents(ctx.incidents)) if rows else {}
        return m.AlarmList(
            alarms=[ctx.presenter.alarm(a, owner.get(a.key)) for a in rows],
            total=total,
            limit=limit,
        )

    return r
