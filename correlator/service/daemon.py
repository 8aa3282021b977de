"""The correlator daemon (``linewatch correlator``, and the correlator half of ``linewatch run``).

One loop, one asyncio task::

    source.receive() -> Correlator.ingest_many()
        -> store: alarms + incidents + the stages' writes (feed outbox), one transaction
        -> delivery.ack() -> pipeline after the commit (tickets, feeds, API notifier ...)
    every tick_interval_s, or at Correlator.next_deadline(): Correlator.tick() -> store -> pipeline

* **Batches**: the source hands out up to ``correlator.batch_max`` events, gathered for
  ``batch_linger_s`` after the first, and they are folded into the incidents at once.
* **Store**: the alarm book's writes and the incident changes of a batch commit in one
  transaction; only then is the batch acknowledged (the agent's outbox or the JetStream message).
  A store that fails is retried with a growing delay (up to ``store_retry_max_s``), and no new
  input is taken meanwhile: nothing is half-written, nothing is lost, memory does not grow.
* **Resume**: at start the alarm book is loaded from the store and the correlator resumes the
  incidents that are not final; a redelivered event id is dropped, so a restart has no duplicates.
* **Stop** (:meth:`CorrelatorService.run` returns when ``stop`` is set): intake stops, what was
  already handed over is drained and committed, the stages stop, the source and store close.

Everything built here lives as long as the process, so :func:`gc.freeze` is called once it is
built (see :mod:`correlator.correlation.engine`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Engine

from correlator.alarms.book import AlarmBook, AlarmWrites
from correlator.alarms.model import Alarm
from correlator.alarms.resolve import Resolver
from correlator.alarms.store import AlarmRepository, save_in
from correlator.alarmtypes import AlarmTypeTable, load_alarm_types
from correlator.clock import Clock, SystemClock
from correlator.configfile.errors import ConfigError, ConfigIssue, PathKey
from correlator.configfile.loader import LoadedConfig
from correlator.configfile.yamlsrc import issue_in, load_yaml
from correlator.correlation.engine import Correlator
from correlator.correlation.model import Incident, IncidentChange
from correlator.correlation.repository import IncidentRepository, save_changes_in
from correlator.correlation.rules import CorrelationRules, load_rules
from correlator.diversity.expand import NetworkIndex
from correlator.service.health import Health
from correlator.service.metrics import CorrelatorMetrics
from correlator.service.pipeline import Batch, Pipeline, Stage
from correlator.service.settings import CorrelatorSettings
from correlator.service.sources import Delivery, EventSource
from correlator.store.db import display_url, make_engine
from correlator.store.errors import StoreNotReady

log = logging.getLogger("correlator.service")


class ServiceSetupError(Exception):
    """The correlator cannot start: configuration issues (``issues``) or a store that is not ready."""

    def __init__(self, message: str, issues: list[ConfigIssue] | None = None) -> None:
        super().__init__(message)
        self.issues = issues or []


class _DeferredIncidents:
    """The correlator's incident store: loads from the repository, but keeps writes for the daemon,
    which commits them with the alarm book's writes in one transaction."""

    def __init__(self, repository: IncidentRepository) -> None:
        self.repository = repository
        self.pending: list[IncidentChange] = []

    def load_active(self) -> list[Incident]:
        return self.repository.load_active()

    def save(self, changes: Iterable[IncidentChange]) -> None:
        self.pending.extend(changes)

    def take(self) -> list[IncidentChange]:
        out, self.pending = self.pending, []
        return out


def load_correlation(cfg: LoadedConfig) -> tuple[AlarmTypeTable, CorrelationRules]:
    """The alarm-type table and the correlation rules the config names; ConfigError with every issue."""
    settings = cfg.daemon.correlator
    base = cfg.base_dir
    src, _ = load_yaml(cfg.path)
    issues: list[ConfigIssue] = []

    def issue(path: PathKey, message: str, fix: str) -> None:
        issues.append(issue_in(src, cfg.path, path, message, fix))

    if settings.alarm_types is not None:
        types_path, where = base / settings.alarm_types, ("correlator", "alarm_types")
    else:
        types_path, where = cfg.daemon.agent.alarm_types_path(base), ("agent", "alarm_types")
    types: AlarmTypeTable | None = None
    try:
        types = load_alarm_types(types_path)
    except OSError as exc:
        issue(where, f"cannot read {types_path}: {exc.strerror}", "fix the path")
    except (ValidationError, ValueError) as exc:
        issue(where, f"{types_path} is not a valid alarm-type table: {exc}", "fix the file")
    rules: CorrelationRules | None = None
    if types is not None:
        rules_path = settings.rules_path(base)
        if not rules_path.is_file():
            issue(("correlator", "rules"), f"correlation rules {rules_path} not found", "fix the path")
        else:
            try:
                rules = load_rules(rules_path, types)
            except ConfigError as err:
                issues += err.issues
    if issues or types is None or rules is None:
        raise ConfigError(issues)
    return types, rules


class CorrelatorService:
    """The correlator daemon over one event source. Build with :meth:`build`, then ``await run(stop)``."""

    def __init__(
        self,
        cfg: LoadedConfig,
        settings: CorrelatorSettings,
        engine: Engine,
        book: AlarmBook,
        incidents: _DeferredIncidents,
        correlator: Correlator,
        source: EventSource,
        pipeline: Pipeline,
        metrics: CorrelatorMetrics,
        clock: Clock,
        health: Health,
    ) -> None:
        self.cfg = cfg
        self.settings = settings
        self.engine = engine
        self.book = book
        self._incidents = incidents
        self.correlator = correlator
        self.source = source
        self.pipeline = pipeline
        self.metrics = metrics
        self.clock = clock
        self.health = health
        self.running = False
        self.committed = 0
        """Batches committed since start (ingest and tick)."""
        self._store_error: str | None = None
        self._next_tick = 0.0

    # -- building -------------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        cfg: LoadedConfig,
        source: EventSource,
        *,
        stages: Sequence[Stage] = (),
        clock: Clock | None = None,
        store_url: str | None = None,
        metrics: CorrelatorMetrics | None = None,
        health: Health | None = None,
        freeze: bool = True,
    ) -> CorrelatorService:
        """Load rules, open the store, resume the alarm book and the incidents. Raises
        :class:`ServiceSetupError` naming every problem and its fix."""
        try:
            types, rules = load_correlation(cfg)
        except ConfigError as err:
            raise ServiceSetupError("configuration not valid", err.issues) from None
        clock = clock or SystemClock()
        url = cfg.store_url(store_url)
        engine = make_engine(url)
        try:
            alarms = AlarmRepository(engine)
            repository = IncidentRepository(engine)
        except StoreNotReady as exc:
            engine.dispose()
            raise ServiceSetupError(str(exc)) from None
        except Exception as exc:
            engine.dispose()
            raise ServiceSetupError(
                f"the store at {display_url(url)} cannot be used: {type(exc).__name__}: {_first_line(exc)}"
                " (check store.url and that the database is up)"
            ) from None
        book = AlarmBook(rules.dedup, types, clock, Resolver(cfg.inventory))
        deferred = _DeferredIncidents(repository)
        index = NetworkIndex(cfg.inventory, cfg.policy)
        try:
            book.import_state(alarms.load(rules.dedup))
            correlator = Correlator(cfg.inventory, cfg.policy, rules, clock, index, book, deferred, alarm_types=types)
        except Exception as exc:
            engine.dispose()
            raise ServiceSetupError(
                f"cannot resume from the store at {display_url(url)}: {type(exc).__name__}: {_first_line(exc)}"
                " (check store.url, that the database is up, and `linewatch db upgrade`)"
            ) from None
        metrics = metrics or CorrelatorMetrics()
        pipeline = Pipeline(stages, on_failure=lambda name: metrics.stage_failures.labels(name).inc())
        service = cls(
            cfg,
            cfg.daemon.correlator,
            engine,
            book,
            deferred,
            correlator,
            source,
            pipeline,
            metrics,
            clock,
            health or Health(),
        )
        log.info(
            "correlator built: %d elements, %d circuits, %d alarms and %d incidents resumed from %s",
            len(cfg.inventory.devices),
            len(cfg.inventory.circuits),
            len(book),
            len(correlator.incidents()),
            display_url(url),
        )
        if freeze:
            gc.collect()
            gc.freeze()
        return service

    # -- the loop -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Take events until ``stop`` is set; then drain, commit and close."""
        s = self.settings
        self.running = True
        self.health.set("correlator", True, "running")
        self.health.set("store", True, display_url(self.engine.url))
        try:
            await self.pipeline.start()
            await self.source.start()
            log.info(
                "correlator running: events from %s, stages [%s], batches of up to %d, tick every %g s",
                self.source.describe,
                ", ".join(self.pipeline.names) or "none",
                s.batch_max,
                s.tick_interval_s,
            )
            # what resuming changed (incidents re-evaluated against the standing alarms) goes out first
            await self._tick(force=True)
            while not stop.is_set():
                await self._step(stop)
            log.info("stopping: no new events; draining what was handed over")
            self.source.stop_intake()
            while True:
                delivery = await self.source.receive(s.batch_max, 0, 0)
                if delivery is None:
                    break
                await self._ingest(delivery, stop=None)
        finally:
            self.running = False
            self.health.set("correlator", False, "stopped")
            await self.pipeline.stop()
            await self.source.close()
            self.engine.dispose()
            log.info("correlator stopped: %d batches committed", self.committed)

    async def _step(self, stop: asyncio.Event) -> None:
        s = self.settings
        self._refresh_source_health()
        wait = max(0.0, self._next_tick - time.monotonic())
        deadline = self.correlator.next_deadline()
        if deadline is not None:
            wait = min(wait, max(0.0, (deadline - self.clock.now()).total_seconds()))
        delivery = await self.source.receive(s.batch_max, wait, s.batch_linger_s)
        if delivery is not None:
            await self._ingest(delivery, stop)
        due = deadline is not None and deadline <= self.clock.now()
        if due or time.monotonic() >= self._next_tick:
            await self._tick(stop=stop)

    def _refresh_source_health(self) -> None:
        ok, detail = self.source.healthy()
        self.health.set("bus", ok, detail)

    async def _ingest(self, delivery: Delivery, stop: asyncio.Event | None) -> None:
        if delivery.invalid:
            self.metrics.invalid.inc(delivery.invalid)
        events = delivery.events
        if not events:
            await delivery.ack()
            return
        before = self.book.stats().redelivered
        try:
            changes = self.correlator.ingest_many(events)
        except Exception:
            # a bug in the analysis must not take the daemon down; the events are still stored below
            log.exception("the correlator failed on a batch of %d events; they are stored, not analysed", len(events))
            changes = []
        to_save = self._incidents.take()
        dropped = self.book.stats().redelivered - before
        if dropped:
            self.metrics.redelivered.inc(dropped)
        newest = max(e.observed_at for e in events)
        lag = (self.clock.now() - newest).total_seconds()
        self.metrics.batch(events, lag)
        batch = Batch(self.clock.now(), changes)
        if not await self._persist(self.book.take_writes(), to_save, stop, batch):
            await delivery.reject("the store could not be written; the events are delivered again")
            return
        await delivery.ack()
        await self._publish(batch)

    async def _tick(self, stop: asyncio.Event | None = None, force: bool = False) -> None:
        self._next_tick = time.monotonic() + self.settings.tick_interval_s
        try:
            changes = self.correlator.tick()
        except Exception:
            log.exception("the correlator's tick failed; trying again at the next one")
            changes = []
        to_save = self._incidents.take()
        writes = self.book.take_writes()
        batch = Batch(self.clock.now(), changes, tick=True)
        if (writes or to_save) and not await self._persist(writes, to_save, stop, batch):
            return
        await self._publish(batch)
        if force:
            self._update_state_metrics()

    async def _publish(self, batch: Batch) -> None:
        if batch.incident_changes:
            self.metrics.changes(batch.incident_changes)
            for ch in batch.incident_changes:
                inc = ch.incident
                if ch.kind.value in ("opened", "cleared", "reopened", "closed", "merged"):
                    log.info(
                        "incident %s %s: root %s (rule %s), %d circuits hurt, %d symptoms",
                        inc.id,
                        ch.kind.value,
                        inc.root_key,
                        inc.root.rule or "-",
                        len(inc.impacted()),
                        len(inc.symptoms),
                    )
            self._update_state_metrics()
        await self.pipeline.process(batch)

    def _update_state_metrics(self) -> None:
        stats = self.book.stats()
        self.metrics.state(self.correlator.incidents(), len(self.book.active()), stats.unmapped)

    # -- the store ------------------------------------------------------------------------------

    def _commit(self, writes: AlarmWrites, changes: list[IncidentChange], batch: Batch | None) -> None:
        with self.engine.begin() as connection:
            save_in(connection, writes)
            save_changes_in(connection, changes)
            if batch is not None:
                self.pipeline.write(batch, connection)

    async def _persist(
        self, writes: AlarmWrites, changes: list[IncidentChange], stop: asyncio.Event | None, batch: Batch | None
    ) -> bool:
        """Commit, retrying with a growing delay while the store fails. False: given up (stopping)."""
        if not writes and not changes:
            return True
        delay = 0.5
        while True:
            started = time.perf_counter()
            try:
                await asyncio.to_thread(self._commit, writes, changes, batch)
            except Exception as exc:
                self.metrics.commit_failures.inc()
                message = f"{type(exc).__name__}: {_first_line(exc)}"
                if message != self._store_error:
                    log.error("cannot write to the store (%s); no new events are taken until it works again", message)
                self._store_error = message
                self.health.set("store", False, message)
                if stop is None or stop.is_set():
                    log.error(
                        "stopping with %d alarm changes and %d incident changes not stored; the events are"
                        " not acknowledged and come again at the next start",
                        len(writes.alarms),
                        len(changes),
                    )
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, self.settings.store_retry_max_s)
                continue
            self.metrics.commit.observe(time.perf_counter() - started)
            self.metrics.last_commit.set(time.time())
            self.committed += 1
            if self._store_error is not None:
                log.info("the store works again")
                self._store_error = None
            self.health.set("store", True, display_url(self.engine.url))
            return True

    # -- queries for the API ----------------------------------------------------------------------

    def incidents(self) -> list[Incident]:
        return self.correlator.incidents()

    def standing_alarms(self) -> list[Alarm]:
        return self.book.active()

    def now(self) -> datetime:
        return self.clock.now()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
