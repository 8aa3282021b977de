"""The FastAPI app: the HTTP API under ``/api/v1``, its OpenAPI document, and the NOC page.

    ctx = ApiContext.build(loaded_config)            # tokens resolved, store engine, broadcaster
    app = create_app(ctx)                            # serve with uvicorn (correlator.api.server)
    pipeline_stages.append(ctx.broadcaster.stage())  # in the correlator daemon: live updates

- ``/openapi.json``: the OpenAPI document (no token needed: it lists routes, not data);
- ``/docs``: Swagger UI served from the package (fastapi-offline), no CDN; no ReDoc;
- ``/noc/``: the NOC page (static files of :mod:`correlator.web`; its data calls need a token);
- ``/metrics`` and ``/healthz`` when the context carries a registry and a health check (the daemon).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import OperationalError

from correlator.api import errors
from correlator.api.context import ApiContext
from correlator.api.routes import alarms, circuits, diversity, events, incidents, meta, noc, planned, tickets
from correlator.api.watch import StoreWatcher
from correlator.store.errors import StoreNotReady
from correlator.web import mount as mount_page

log = logging.getLogger(__name__)

DESCRIPTION = """\
linewatch's correlator: which customer circuit an alarm hurts, how badly, by what root cause, with
which deadline.

**Authentication**: `Authorization: Bearer <token>` with a token from `api.tokens` of the daemon
config. Role `read_only` may use every GET route; `operator` may also move tickets and create,
update or cancel planned work. 401: no token or an unknown one; 403: the token's role is too low.
`/api/v1/events` also takes `?access_token=` (EventSource cannot send headers).

**Errors** are JSON `{"error": what is wrong, "fix": what to do}`; a 422 also lists each bad field.

**Times** are ISO 8601 with the offset of the configured time zone.
"""


def create_app(ctx: ApiContext) -> FastAPI:
    watcher = StoreWatcher(ctx)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await watcher.stop()
            if ctx.owns_engine:
                ctx.engine.dispose()

    app = FastAPIOffline(
        title="linewatch",
        version=ctx.version,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        static_url="/docs/static",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.watcher = watcher
    errors.install(app)
    _store_errors(app)

    routers = [
        meta.router(ctx),
        noc.router(ctx),
        incidents.router(ctx),
        alarms.router(ctx),
        circuits.router(ctx),
        diversity.router(ctx),
        tickets.router(ctx),
        planned.router(ctx),
        events.router(ctx, watcher),
    ]
    for router in routers:
        app.include_router(router)
    app.state.api_routes = api_routes(routers)
    mount_page(app)
    _daemon_routes(app, ctx)
    return app


def api_routes(routers: list[APIRouter]) -> list[tuple[str, str]]:
    """(method, path) of every API route, sorted: what ``/openapi.json`` must list."""
    out: set[tuple[str, str]] = set()
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                out.update((method, route.path) for method in route.methods or () if method != "HEAD")
    return sorted(out, key=lambda mp: (mp[1], mp[0]))


def _store_errors(app: FastAPI) -> None:
    @app.exception_handler(StoreNotReady)
    async def _not_ready(_request: Request, exc: StoreNotReady) -> JSONResponse:
        return errors.error_response(503, str(exc), "migrate the store: linewatch db upgrade --config CFG")

    @app.exception_handler(OperationalError)
    async def _store_down(request: Request, exc: OperationalError) -> JSONResponse:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        log.error("API %s %s: the store cannot be used: %s", request.method, request.url.path, reason)
        return errors.error_response(
            503, f"the store cannot be used: {reason}", "check store.url and that the database is up, then retry"
        )


def _daemon_routes(app: FastAPI, ctx: ApiContext) -> None:
    if ctx.registry is not None:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        registry = ctx.registry

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    if ctx.health is not None:
        health = ctx.health

        @app.get("/healthz", include_in_schema=False)
        async def healthz() -> JSONResponse:
            ok, body = health()
            return JSONResponse(body, status_code=200 if ok else 503)
