"""What happens to incident changes once the correlator made them: a list of stages, in order.

A :class:`Batch` carries one batch's :class:`~correlator.correlation.model.IncidentChange` list and
the ticket events that earlier stages made of it, so a later stage sees both (the ticket book opens
tickets from incident changes; the feeds publish incidents and tickets; the API pushes both to the
NOC page). A time-driven batch (``tick=True``, every ``correlator.tick_interval_s``) has no incident
changes; stages with clocks of their own (ticket deadlines) act on it.

Each stage has a ``name`` and up to four hooks (only ``process`` is required; a stage without
``start``, ``write`` or ``stop`` simply has nothing to do there):

* ``write(batch, connection)``: inside the batch's store transaction (alarms + incidents), in the
  committing thread, in a SAVEPOINT of its own. What it writes commits with the incidents or not at
  all (a feed's outbox rows). The daemon may call it again if the transaction is retried.
* ``process(batch)``: after the commit, in the event loop, stage after stage.

Alertmanager's notify pipeline is the model: each stage has one job, and a stage that fails is
logged and counted (``linewatch_correlator_stage_failures_total{stage}``) without stopping the
others or the correlator (its SAVEPOINT is rolled back, the batch commits without its part). A stage
that is not built yet is simply not in the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from correlator.correlation.model import Incident, IncidentChange

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """One step of the pipeline."""

    at: datetime
    """The correlator's clock when the batch was made."""
    incident_changes: list[IncidentChange] = field(default_factory=list)
    ticket_events: list[Any] = field(default_factory=list)
    """What the ticket stage made of the changes (and of its own clocks on a tick)."""
    tick: bool = False
    """A time-driven batch: no new input, stages run their clocks."""

    def __bool__(self) -> bool:
        return bool(self.incident_changes or self.ticket_events or self.tick)


@runtime_checkable
class Stage(Protocol):
    """``name`` and ``process``; optionally ``async start()``, ``write(batch, connection)`` and
    ``async stop()`` (see :class:`BaseStage`)."""

    name: str

    async def process(self, batch: Batch) -> None: ...


class BaseStage:
    """No-op hooks; a stage overrides what it needs."""

    name = "stage"

    async def start(self) -> None:
        return None

    def write(self, batch: Batch, connection: Connection) -> None:
        return None

    async def process(self, batch: Batch) -> None:
        return None

    async def stop(self) -> None:
        return None


async def _maybe_await(value: object) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class Pipeline:
    """The stages in order; failures are isolated per stage and reported through ``on_failure``."""

    def __init__(self, stages: Sequence[Stage], on_failure: Callable[[str], None] | None = None) -> None:
        self.stages = list(stages)
        self._on_failure = on_failure
        self._started: list[Stage] = []

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    async def start(self) -> None:
        for stage in self.stages:
            try:
                starter = getattr(stage, "start", None)
                if callable(starter):
                    await _maybe_await(starter())
            except Exception:
                log.exception("stage %s failed to start; it is left out", stage.name)
                self._failed(stage.name)
                continue
            self._started.append(stage)

    def write(self, batch: Batch, connection: Connection) -> None:
        """Every started stage's writes, each in a SAVEPOINT (called in the committing thread)."""
        if not batch.incident_changes and not batch.ticket_events:
            return
        for stage in self._started:
            writer = getattr(stage, "write", None)
            if not callable(writer):
                continue
            try:
                with connection.begin_nested():
                    writer(batch, connection)
            except Exception:
                log.exception(
                    "stage %s failed to write a batch (%d incident changes); the batch is stored without its part",
                    stage.name,
                    len(batch.incident_changes),
                )
                self._failed(stage.name)

    async def process(self, batch: Batch) -> None:
        if not batch:
            return
        for stage in self._started:
            try:
                await stage.process(batch)
            except Exception:
                log.exception(
                    "stage %s failed on a batch (%d incident changes, %d ticket events); the next stages still run",
                    stage.name,
                    len(batch.incident_changes),
                    len(batch.ticket_events),
                )
                self._failed(stage.name)

    async def stop(self) -> None:
        for stage in reversed(self._started):
            try:
                stopper = getattr(stage, "stop", None)
                if callable(stopper):
                    await _maybe_await(stopper())
            except Exception:
                log.exception("stage %s failed to stop cleanly", stage.name)
                self._failed(stage.name)
        self._started = []

    def _failed(self, name: str) -> None:
        if self._on_failure is not None:
            self._on_failure(name)


class CallbackStage(BaseStage):
    """A stage from a plain callable (sync or async) run after each commit: the API's push
    notifier, a test's recorder."""

    def __init__(self, name: str, on_batch: Callable[[Batch], object]) -> None:
        self.name = name
        self._on_batch = on_batch

    async def process(self, batch: Batch) -> None:
        await _maybe_await(self._on_batch(batch))


class TicketStage(BaseStage):
    """The ticket book: incident changes in, ticket events out (added to the batch for the stages
    after it). Wraps an object with ``apply(changes, now)`` and ``tick(now)``, each returning the
    ticket events (sync or async); the book keeps its own store."""

    name = "tickets"

    def __init__(self, book: Any) -> None:
        self.book = book

    async def process(self, batch: Batch) -> None:
        events: list[Any] = []
        if batch.incident_changes:
            events += list(await _maybe_await(self.book.apply(batch.incident_changes, batch.at)) or [])
        if batch.tick:
            events += list(await _maybe_await(self.book.tick(batch.at)) or [])
        batch.ticket_events.extend(events)

    async def stop(self) -> None:
        closer = getattr(self.book, "close", None)
        if callable(closer):
            await _maybe_await(closer())


class FeedStage(BaseStage):
    """The feeds (:class:`correlator.feeds.Feeds`): incident changes into the outbox inside the batch's
    transaction, ticket events after the tickets stage, and the delivery loop as a background task."""

    name = "feeds"

    def __init__(self, feeds: Any, incidents: Callable[[], Iterable[Incident]] | None = None) -> None:
        self.feeds = feeds
        self._incidents = incidents
        self._task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        if self._incidents is not None:
            self.feeds.sync(self._incidents())
        self._task = asyncio.create_task(self.feeds.run(), name="linewatch-feeds")

    def write(self, batch: Batch, connection: Connection) -> None:
        if batch.incident_changes:
            self.feeds.on_incident_changes(batch.incident_changes, connection=connection)

    async def process(self, batch: Batch) -> None:
        if batch.ticket_events:
            await asyncio.to_thread(self.feeds.on_ticket_events, list(batch.ticket_events))

    async def stop(self) -> None:
        self.feeds.stop()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(task, timeout=30)
        except TimeoutError:
            log.error("the feeds did not stop within 30 s; cancelled (an event in flight goes again at the next start)")
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
