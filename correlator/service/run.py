"""The two daemons as processes: ``linewatch correlator`` (correlator + API over NATS JetStream) and
``linewatch run`` (agent + correlator + API in one process, one asyncio loop, in-process queue).

Start-up checks everything first (config, rules, store, profiles, credentials) and raises
:class:`StartupError` with every issue. Under ``linewatch run`` the agent's ``agent.publish`` is not
used: the agent publishes into the correlator in the same process and an event leaves the agent's
durable outbox only once the correlator has committed it.

Stop order (``stop`` set by SIGTERM/SIGINT): the agent first (no new polls, the polls in flight
finish, its outbox is flushed into the still-running correlator), then the correlator (drains,
commits, stops its stages), then the HTTP server. Exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from correlator.configfile.errors import ConfigIssue
from correlator.configfile.loader import LoadedConfig
from correlator.service.daemon import CorrelatorService, ServiceSetupError
from correlator.service.health import Health
from correlator.service.http import AppContext, HttpBindError, HttpServer, build_app
from correlator.service.pipeline import Stage
from correlator.service.sources import EventSource, InProcessSource, NatsSource
from correlator.service.stages import StageSet, build_stages

log = logging.getLogger("correlator.service.run")


class StartupError(Exception):
    """The daemon cannot start. ``issues``: configuration problems (file:line: path: what (fix))."""

    def __init__(self, message: str, issues: Sequence[ConfigIssue] = ()) -> None:
        super().__init__(message)
        self.issues = list(issues)


@dataclass
class Started:
    """What a running daemon exposes (tests and the lab read it)."""

    http: HttpServer | None
    service: CorrelatorService
    health: Health

    @property
    def url(self) -> str | None:
        return self.http.url if self.http is not None else None


def install_signal_handlers(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set ``stop``; a second one is only logged (the stop is under way)."""
    loop = asyncio.get_running_loop()

    def handler(sig: signal.Signals) -> None:
        if stop.is_set():
            log.warning("%s again: already stopping (waiting for the polls in flight and the store)", sig.name)
            return
        log.info("%s: stopping", sig.name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, handler, sig)


async def _start_http(context: AppContext, cfg: LoadedConfig) -> HttpServer | None:
    server = HttpServer(build_app(context), cfg.daemon.api)
    try:
        await server.start()
    except HttpBindError as exc:
        log.error("%s; running WITHOUT the HTTP endpoint (/metrics, /healthz, API)", exc.strerror or exc)
        context.health.set("http", False, str(exc.strerror or exc))
        return None
    return server


def _build_service(
    cfg: LoadedConfig,
    source: EventSource,
    health: Health,
    stages: Sequence[Stage] | None,
    store_url: str | None,
) -> tuple[CorrelatorService, StageSet]:
    try:
        service = CorrelatorService.build(cfg, source, health=health, store_url=store_url, freeze=False)
    except ServiceSetupError as err:
        raise StartupError(str(err), err.issues) from None
    chosen = StageSet(list(stages)) if stages is not None else build_stages(cfg, service)
    service.pipeline.stages = list(chosen.stages)
    return service, chosen


def _freeze() -> None:
    """Everything built so far lives as long as the process: keep it out of the collector's scans."""
    gc.collect()
    gc.freeze()


async def _until(stop: asyncio.Event, *tasks: asyncio.Task[None]) -> asyncio.Task[None] | None:
    """Wait for ``stop``; returns a task that ended first instead (a crash), else None."""
    waiter = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
    for task in tasks:
        if task in done:
            return task
    return None


def _report_crash(task: asyncio.Task[None], what: str) -> None:
    if task.cancelled():
        log.error("the %s was cancelled; stopping everything", what)
        return
    exc = task.exception()
    if exc is None:
        log.error("the %s stopped on its own; stopping everything", what)
    else:
        log.error("the %s failed: %s: %s; stopping everything", what, type(exc).__name__, exc, exc_info=exc)


async def serve_correlator(
    cfg: LoadedConfig,
    stop: asyncio.Event,
    *,
    stages: Sequence[Stage] | None = None,
    store_url: str | None = None,
    on_started: Callable[[Started], None] | None = None,
) -> int:
    """``linewatch correlator``: events from NATS JetStream, /metrics and /healthz (and the API).
    Returns the exit status (0: stopped cleanly)."""
    health = Health()
    source = NatsSource(cfg.daemon.correlator.bus)
    service, built = _build_service(cfg, source, health, stages, store_url)
    _freeze()
    registries = [service.metrics.registry, *built.registries]
    context = AppContext(health, registries, cfg, service.engine, service, extra=dict(built.parts))
    http = await _start_http(context, cfg)
    if on_started is not None:
        on_started(Started(http, service, health))
    task = asyncio.create_task(service.run(stop), name="linewatch-correlator")
    crashed = await _until(stop, task)
    status = 0
    if crashed is not None:
        _report_crash(crashed, "correlator")
        status = 1
    else:
        await task
    if http is not None:
        await http.stop()
    return status


async def serve_all(
    cfg: LoadedConfig,
    stop: asyncio.Event,
    *,
    stages: Sequence[Stage] | None = None,
    store_url: str | None = None,
    on_started: Callable[[Started], None] | None = None,
) -> int:
    """``linewatch run``: agent + correlator + HTTP in this loop. Returns the exit status."""
    from agent.daemon import Agent, AgentSetupError

    health = Health()
    source = InProcessSource()
    try:
        agent = Agent.build(cfg, publisher=source.publisher())
    except AgentSetupError as err:
        raise StartupError("the agent cannot start", err.issues) from None
    agent.publish_label = "the correlator in this process"
    service, built = _build_service(cfg, source, health, stages, store_url)
    _freeze()

    def agent_health() -> tuple[bool, str]:
        shipper = agent.shipper
        if agent.scheduler is None:
            return False, "not running"
        if shipper is not None and shipper.last_error is not None:
            return False, f"{agent.pending} events wait in the outbox: {shipper.last_error}"
        return True, f"{len(agent.devices)} elements polled, {agent.pending} events in the outbox"

    health.probe("agent", agent_health)
    registries: list[CollectorRegistry] = [service.metrics.registry, *built.registries, agent.metrics.registry]
    context = AppContext(health, registries, cfg, service.engine, service, extra={**built.parts, "agent": agent})
    http = await _start_http(context, cfg)
    if on_started is not None:
        on_started(Started(http, service, health))
    correlator_stop = asyncio.Event()
    agent_stop = asyncio.Event()
    correlator_task = asyncio.create_task(service.run(correlator_stop), name="linewatch-correlator")
    agent_task = asyncio.create_task(agent.run(agent_stop, serve_metrics=False), name="linewatch-agent")
    crashed = await _until(stop, correlator_task, agent_task)
    status = 0
    if crashed is not None:
        _report_crash(crashed, "correlator" if crashed is correlator_task else "agent")
        status = 1
    agent_stop.set()
    if not agent_task.done() or crashed is not agent_task:
        try:
            await agent_task
        except Exception:
            log.exception("the agent failed while stopping")
            status = 1
    correlator_stop.set()
    if not correlator_task.done() or crashed is not correlator_task:
        try:
            await correlator_task
        except Exception:
            log.exception("the correlator failed while stopping")
            status = 1
    if http is not None:
        await http.stop()
    log.info("linewatch stopped")
    return status
