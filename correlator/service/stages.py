"""The stages the correlator daemon runs after the correlator, built from the daemon config.

In order: the ticket book (incident changes -> tickets, SLA clocks), then the feeds (webhooks,
Alertmanager, the domain metrics), then the API's broadcaster (live updates to the NOC page). A
stage whose module is not part of this linewatch is not in the list; the daemon runs without it
and says so at start.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from correlator.service.pipeline import FeedStage, Stage, TicketStage

if TYPE_CHECKING:
    from correlator.configfile.loader import LoadedConfig
    from correlator.service.daemon import CorrelatorService

log = logging.getLogger(__name__)


@dataclass
class StageSet:
    stages: list[Stage] = field(default_factory=list)
    registries: list[CollectorRegistry] = field(default_factory=list)
    """Metric registries the stages own (served on /metrics with the daemon's)."""
    parts: dict[str, Any] = field(default_factory=dict)
    """The objects behind the stages by name (``tickets``: the book, ``feeds``), for the API."""


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _ticket_book(cfg: LoadedConfig, service: CorrelatorService) -> Any | None:
    if not _available("correlator.tickets.book"):
        log.info("no ticket book in this linewatch (correlator.tickets.book): running without the tickets stage")
        return None
    from correlator.tickets import book as tickets_book

    build = getattr(tickets_book, "build_ticket_book", None)
    if build is None:
        log.warning("correlator.tickets.book has no build_ticket_book(cfg, engine, clock): tickets stage left out")
        return None
    return build(cfg, service.engine, service.clock, incidents=service.correlator.incidents())


def build_stages(cfg: LoadedConfig, service: CorrelatorService) -> StageSet:
    out = StageSet()
    book = _ticket_book(cfg, service)
    if book is not None:
        out.stages.append(TicketStage(book))
        out.parts["tickets"] = book
    if _available("correlator.feeds.stage"):
        from correlator.feeds.metrics import CorrelatorMetrics as FeedMetrics
        from correlator.feeds.stage import Feeds
        from correlator.secrets import SecretResolver

        daemon = cfg.daemon
        feeds_settings = getattr(daemon, "feeds", None)
        if feeds_settings is not None:
            policy = cfg.policy
            metrics = FeedMetrics(clock=service.clock, index=service.correlator.index, rank=policy.tier_rank)
            if book is not None and hasattr(book, "open_ticket_counts"):
                metrics.tickets = book
            feeds = Feeds(
                service.engine,
                feeds_settings,
                SecretResolver(cfg.base_dir, daemon.secrets_file),
                service.clock,
                source=daemon.name,
                metrics=metrics,
                rank=policy.tier_rank,
            )
            out.stages.append(FeedStage(feeds, service.correlator.incidents))
            out.registries.append(metrics.registry)
            out.parts["feeds"] = feeds
    else:
        log.info("no feeds in this linewatch (correlator.feeds): running without the feeds stage")
    # last: the API's live updates (NOC page, SSE clients) see the batch with its ticket events
    from correlator.api.live import Broadcaster

    live = cfg.daemon.api.live
    broadcaster = Broadcaster(history=live.history, client_queue=live.client_queue)
    out.stages.append(broadcaster.stage())
    out.parts["broadcaster"] = broadcaster
    return out
