"""The API inside the correlator daemon (``linewatch run`` / ``linewatch correlator``).

The daemon gives its store engine, clock, metrics registry and health; the API adds its routes and
the NOC page to the same HTTP endpoint (``api.host``/``api.port``), and its broadcaster runs as the
last stage of the daemon's pipeline (:class:`~correlator.api.live.ApiStage`), so every committed
incident change and ticket event reaches the live clients at once::

    broadcaster = Broadcaster()                      # one per daemon
    stages.append(broadcaster.stage())               # after tickets and feeds
    app = daemon_app(cfg, engine, clock, broadcaster=broadcaster, registry=registry, health=health)

A token reference that cannot be resolved raises :class:`~correlator.api.auth.TokenConfigError`
naming the token (never its value): the daemon reports it and serves ``/metrics`` and ``/healthz``
without the API rather than not starting the correlator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from correlator.api.app import create_app
from correlator.api.context import ApiContext, HealthCheck
from correlator.api.live import Broadcaster
from correlator.clock import Clock
from correlator.configfile.loader import LoadedConfig
from correlator.diversity.expand import NetworkIndex
from correlator.tickets.model import TicketEvent


def daemon_app(
    cfg: LoadedConfig,
    engine: Engine,
    clock: Clock,
    *,
    broadcaster: Broadcaster,
    registry: Any = None,
    health: HealthCheck | None = None,
    index: NetworkIndex | None = None,
    ticket_listeners: Iterable[Callable[[list[TicketEvent]], object]] = (),
) -> FastAPI:
    """The daemon's HTTP app: the API, the NOC page, ``/metrics`` (``registry``) and ``/healthz``."""
    ctx = ApiContext.build(
        cfg, engine=engine, clock=clock, index=index, broadcaster=broadcaster, registry=registry, health=health
    )
    ctx.ticket_listeners.extend(ticket_listeners)
    return create_app(ctx)


def health_of(as_dict: Callable[[], dict[str, Any]]) -> HealthCheck:
    """Adapts a ``{"status": "ok" | ..., ...}`` health document to the API's ``(ok, body)`` check."""

    def check() -> tuple[bool, dict[str, Any]]:
        body = as_dict()
        return body.get("status") == "ok", body

    return check
