"""The daemon's HTTP endpoint (``api.host``/``api.port``): FastAPI served by uvicorn in the daemon's loop.

``/metrics`` (Prometheus text format: the correlator's metrics, and the agent's under ``linewatch
run``), ``/healthz`` (200 when every part is healthy, 503 naming the failing part), and the HTTP API
and NOC page of :mod:`correlator.api` (built from the :class:`AppContext`: the config, the store
engine, the running correlator, the health, and the API's broadcaster, a pipeline stage).

:class:`HttpServer` binds the socket itself (a clear error naming ``api.port`` when it cannot, port
0 picks a free one) and runs uvicorn without its signal handling: the daemon owns SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from correlator.service.health import Health
from correlator.service.settings import ApiSettings

if TYPE_CHECKING:
    import uvicorn
    from sqlalchemy import Engine

    from correlator.configfile.loader import LoadedConfig
    from correlator.service.daemon import CorrelatorService

log = logging.getLogger("correlator.service.http")


class _Union(Collector):
    """Every metric of several registries, as one (each registry keeps its own names)."""

    def __init__(self, registries: Sequence[CollectorRegistry]) -> None:
        self.registries = list(registries)

    def collect(self) -> Iterator[Metric]:
        for registry in self.registries:
            yield from registry.collect()


@dataclass
class AppContext:
    """What the routes may use. Everything runs in the daemon's event loop: read, never block it."""

    health: Health
    registries: list[CollectorRegistry] = field(default_factory=list)
    cfg: LoadedConfig | None = None
    engine: Engine | None = None
    correlator: CorrelatorService | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def registry(self) -> CollectorRegistry:
        union = CollectorRegistry(auto_describe=False)
        union.register(_Union(self.registries))
        return union


def build_app(context: AppContext) -> FastAPI:
    api = _api_app(context)
    if api is not None:
        return api
    app = FastAPI(title="linewatch", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.linewatch = context
    registry = context.registry()

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        body = context.health.as_dict()
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    return app


def _api_app(context: AppContext) -> FastAPI | None:
    """The HTTP API and the NOC page (:mod:`correlator.api`) with /metrics and /healthz, when the
    context has the config, the store and the correlator. None (metrics and health only) when an API
    token cannot be resolved: the reason is logged and shown in /healthz, the correlator runs on."""
    if context.cfg is None or context.engine is None or context.correlator is None:
        return None
    from correlator.api.auth import TokenConfigError
    from correlator.api.daemon import daemon_app, health_of
    from correlator.api.live import Broadcaster

    broadcaster = context.extra.get("broadcaster")
    if not isinstance(broadcaster, Broadcaster):  # no pipeline stage: the API re-reads the store
        live = context.cfg.daemon.api.live
        broadcaster = Broadcaster(history=live.history, client_queue=live.client_queue)
    feeds = context.extra.get("feeds")
    listeners = [feeds.on_ticket_events] if feeds is not None and hasattr(feeds, "on_ticket_events") else []
    service = context.correlator
    try:
        app = daemon_app(
            context.cfg,
            context.engine,
            service.clock,
            broadcaster=broadcaster,
            registry=context.registry(),
            health=health_of(context.health.as_dict),
            index=service.correlator.index,
            ticket_listeners=listeners,
        )
    except TokenConfigError as exc:
        log.error("%s: serving /metrics and /healthz WITHOUT the API (fix api.tokens and restart)", exc)
        context.health.set("api", False, str(exc))
        return None
    app.state.linewatch = context
    return app


class HttpBindError(OSError):
    """The API address cannot be bound; the message names the setting to change."""


def bind(settings: ApiSettings) -> socket.socket:
    """A listening TCP socket on ``api.host``:``api.port``."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else ~40 ms a response (delayed ACK)
        if family == socket.AF_INET6:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((settings.host, settings.port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise HttpBindError(
            exc.errno,
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror} "
            "(another process has the port? change api.host / api.port)",
        ) from None
    return sock


class HttpServer:
    """uvicorn serving one app on a socket bound by :func:`bind`, as a task of the running loop."""

    def __init__(self, app: FastAPI, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        if self._sock is None:
            return self.settings.port
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        return self.settings.url(self.port)

    async def start(self) -> str:
        """Bind and serve; returns the base URL. Raises HttpBindError."""
        import uvicorn

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:  # the daemon handles SIGTERM/SIGINT
                yield

        self._sock = bind(self.settings)
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        server = _Server(config)
        self._server = server
        self._task = asyncio.create_task(server.serve(sockets=[self._sock]), name="linewatch-http")
        for _ in range(200):
            if server.started or self._task.done():
                break
            await asyncio.sleep(0.01)
        if self._task.done():
            exc = self._task.exception()
            raise HttpBindError(0, f"the HTTP server did not start: {exc}")
        log.info("HTTP on %s (/metrics, /healthz)", self.url)
        return self.url

    async def stop(self) -> None:
        server, task = self._server, self._task
        self._server = self._task = None
        if server is not None:
            server.should_exit = True
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout=10)
            except TimeoutError:
                task.cancel()
            except Exception:
                log.exception("the HTTP server stopped with an error")
        if self._sock is not None:
            self._sock.close()
            self._sock = None
