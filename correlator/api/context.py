"""What the API serves from: the loaded config, the store, a clock, tokens and the live broadcaster.

Build one with :meth:`ApiContext.build` and hand it to :func:`correlator.api.app.create_app`. The
correlator daemon builds it with its own engine, clock and metrics registry, and adds
``context.broadcaster.stage()`` to its pipeline; ``linewatch api`` builds it alone on the store.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from correlator.api.auth import Authenticator, TokenTable
from correlator.api.figures import Figures
from correlator.api.live import Broadcaster
from correlator.api.present import Presenter
from correlator.clock import Clock, SystemClock
from correlator.configfile.loader import LoadedConfig
from correlator.correlation.repository import IncidentRepository
from correlator.diversity.audit import AuditReport, audit
from correlator.diversity.expand import NetworkIndex
from correlator.secrets import SecretResolver
from correlator.service.settings import ApiSettings
from correlator.store.db import make_engine
from correlator.tickets.model import Ticket, TicketEvent
from correlator.tickets.repository import TicketRepository
from correlator.tickets.store import TicketQuery

HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]
"""``() -> (healthy, details)`` for ``/healthz``: the daemon's own view of its parts."""


def package_version() -> str:
    try:
        return version("linewatch")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that is not installed
        return "0+unknown"


class TicketAccess:
    """The tickets the API shows, read from the store (the daemon's ticket book writes them)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @functools.cached_property
    def repository(self) -> TicketRepository:
        """Made once the store is ready (a store not migrated yet raises StoreNotReady: 503)."""
        return TicketRepository(self.engine)

    def for_incidents(self, incident_ids: Iterable[str]) -> list[Ticket]:
        """Every ticket opened for these incidents, whatever its state."""
        ids = sorted(set(incident_ids))
        if not ids:
            return []
        repo = self.repository
        out: list[Ticket] = []
        for i in ids:
            out += repo.find(TicketQuery(incident=i))
        return out


@dataclass
class ApiContext:
    config: LoadedConfig
    engine: Engine
    clock: Clock
    auth: Authenticator
    index: NetworkIndex
    presenter: Presenter
    broadcaster: Broadcaster
    owns_engine: bool = False
    """The context made the engine (``linewatch api``) and disposes of it when the app stops."""
    registry: Any = None
    """A prometheus_client CollectorRegistry served at ``/metrics`` (the daemon's), or None."""
    health: HealthCheck | None = None
    ticket_listeners: list[Callable[[list[TicketEvent]], object]] = field(default_factory=list)
    """Also told of the ticket events of transitions made through the API (the daemon adds its feeds);
    the live clients always are."""

    @classmethod
    def build(
        cls,
        config: LoadedConfig,
        *,
        engine: Engine | None = None,
        store_url: str | None = None,
        clock: Clock | None = None,
        index: NetworkIndex | None = None,
        broadcaster: Broadcaster | None = None,
        env: dict[str, str] | None = None,
        registry: Any = None,
        health: HealthCheck | None = None,
    ) -> ApiContext:
        """Resolve the tokens (raises :class:`~correlator.api.auth.TokenConfigError` naming the token)
        and connect to the store (``engine``, else ``store_url``, else the config's ``store.url``)."""
        api = config.daemon.api
        resolver = SecretResolver(config.base_dir, config.daemon.secrets_file, env)
        tokens = TokenTable.resolve(api.tokens, resolver)
        auth = Authenticator(tokens, anonymous_read=api.anonymous_read, query_token=api.live.query_token)
        index = index if index is not None and index.inventory is config.inventory else None
        index = index or NetworkIndex(config.inventory, config.policy)
        presenter = Presenter(index, ZoneInfo(config.daemon.timezone))
        owns = engine is None
        if engine is None:
            engine = make_engine(config.store_url(store_url))
        if broadcaster is None:
            broadcaster = Broadcaster(history=api.live.history, client_queue=api.live.client_queue)
        if broadcaster.render_incident is None:
            broadcaster.render_incident = lambda inc: presenter.incident(
                inc, max_circuits=api.live.event_circuits
            ).model_dump(mode="json")
        return cls(
            config=config,
            engine=engine,
            clock=clock or SystemClock(),
            auth=auth,
            index=index,
            presenter=presenter,
            broadcaster=broadcaster,
            owns_engine=owns,
            registry=registry,
            health=health,
        )

    @functools.cached_property
    def incidents(self) -> IncidentRepository:
        """Made once the store is ready (a store not migrated yet raises StoreNotReady: 503)."""
        return IncidentRepository(self.engine)

    @functools.cached_property
    def figures(self) -> Figures:
        return Figures(self.engine, self.index, self.clock, self.presenter, ZoneInfo(self.timezone))

    @functools.cached_property
    def tickets(self) -> TicketAccess:
        return TicketAccess(self.engine)

    @property
    def settings(self) -> ApiSettings:
        return self.config.daemon.api

    @property
    def timezone(self) -> str:
        return self.config.daemon.timezone

    @functools.cached_property
    def audit(self) -> AuditReport:
        """The diversity audit of the inventory (computed once: the inventory does not change while
        the process runs)."""
        return audit(self.index)

    @property
    def version(self) -> str:
        return package_version()
