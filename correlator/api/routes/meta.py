"""Who am I, and what server is this."""

# No ``from __future__ import annotations`` here: FastAPI resolves the route closures' annotations
# (``Depends(operator)`` names a local) when the routes are declared.

from typing import Annotated

from fastapi import APIRouter, Depends

from correlator.api import models as m
from correlator.api.auth import Principal
from correlator.api.context import ApiContext
from correlator.api.settings import Role


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["meta"])
    reader = ctx.auth.require(Role.read_only)

    @r.get("/whoami", response_model=m.WhoAmI, summary="The caller's token name and role")
    async def whoami(who: Annotated[Principal, Depends(reader)]) -> m.WhoAmI:
        return m.WhoAmI(name=who.name, role=who.role.value, anonymous_read=ctx.auth.anonymous_read)

    @r.get(
        "/info",
        response_model=m.ServerInfo,
        dependencies=[Depends(reader)],
        summary="Server name, version, time and time zone",
    )
    async def info() -> m.ServerInfo:
        return m.ServerInfo(
            name=ctx.config.daemon.name,
            version=ctx.version,
            now=ctx.presenter.local(ctx.clock.now()),
            timezone=ctx.timezone,
            warn_fraction=ctx.config.policy.ticket_limits.warn_fraction,
        )

    return r
