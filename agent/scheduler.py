"""When each element is polled: one APScheduler interval job per element.

* every ``interval_s`` seconds, each run moved by up to ``jitter_s`` at random, and the first run
  placed at random within ``jitter_s`` of the start, so that thousands of elements do not all
  fire in the same second;
* ``max_instances=1`` and ``coalesce=True``: one element's polls never overlap. If a poll is still
  running when the next is due, the next is skipped (counted in :attr:`PollScheduler.skipped`),
  and runs missed while the loop was busy collapse into one;
* :meth:`PollScheduler.shutdown` stops new polls and waits for the ones in flight.

The scheduler only decides *when*; *what* a poll does is the ``poll`` coroutine it is given (the
daemon passes one that polls, diffs and publishes).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from correlator.inventory.model import Device

log = logging.getLogger(__name__)

PollFn = Callable[[Device], Awaitable[object]]


class PollTiming(Protocol):
    """When to poll: the ``snmp`` and the ``cli`` settings both have these."""

    @property
    def interval_s(self) -> float: ...

    @property
    def jitter_s(self) -> float: ...


class PollScheduler:
    """Interval jobs, one per element. Create and ``start()`` inside the running event loop."""

    def __init__(
        self, poll: PollFn, settings: PollTiming, *, rng: random.Random | None = None, what: str = "poll"
    ) -> None:
        """``what`` names the polls in job names and logs ("poll", "CLI poll")."""
        self._poll = poll
        self.what = what
        self.settings = settings
        self._rng = rng or random.Random()
        self._devices: dict[str, Device] = {}
        self._running: dict[str, asyncio.Task[Any]] = {}
        self._closing = False
        self.skipped: Counter[str] = Counter()
        """Element id -> polls skipped because the previous one was still running."""
        self.completed: Counter[str] = Counter()
        """Element id -> polls finished."""
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": max(1, int(settings.interval_s)),
            },
        )
        self._scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running) and not self._closing

    async def shutdown(self, timeout: float | None = None) -> None:
        """Stop scheduling, wait for the polls in flight (at most ``timeout`` seconds, then cancel them)."""
        if not self._scheduler.running:
            return
        self._closing = True
        self._scheduler.pause()
        await asyncio.sleep(0)  # let jobs submitted just now start, see _closing and return
        pending = [t for t in self._running.values() if not t.done()]
        if pending:
            log.info("waiting for %d poll(s) in flight", len(pending))
            _, not_done = await asyncio.wait(pending, timeout=timeout)
            if not_done:
                log.warning("%d poll(s) still running after %s s; cancelling them", len(not_done), timeout)
        self._scheduler.shutdown(wait=False)

    # -- elements -------------------------------------------------------------------------------

    def add(self, device: Device) -> None:
        """Schedule ``device`` (replacing its job if it is scheduled already)."""
        known = device.id in self._devices
        self._devices[device.id] = device
        if known and self._scheduler.get_job(device.id) is not None:
            return  # the job looks the element up by id: the new definition is used from the next run
        first = datetime.now(UTC) + timedelta(seconds=self._rng.uniform(0, self.settings.jitter_s))
        self._scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=self.settings.interval_s, jitter=self.settings.jitter_s or None, timezone=UTC),
            args=[device.id],
            id=device.id,
            name=f"{self.what} {device.id}",
            next_run_time=first,
            replace_existing=True,
        )

    def add_all(self, devices: Iterable[Device]) -> None:
        for device in devices:
            self.add(device)

    def remove(self, device_id: str) -> None:
        """Stop polling an element (a poll in flight finishes)."""
        self._devices.pop(device_id, None)
        if self._scheduler.get_job(device_id) is not None:
            self._scheduler.remove_job(device_id)

    def devices(self) -> list[str]:
        return sorted(self._devices)

    def in_flight(self) -> list[str]:
        return sorted(d for d, t in self._running.items() if not t.done())

    def next_run(self, device_id: str) -> datetime | None:
        job = self._scheduler.get_job(device_id)
        return job.next_run_time if job is not None else None

    # -- running ----------------------------------------------------------------------------------

    async def _run(self, device_id: str) -> None:
        device = self._devices.get(device_id)
        if device is None or self._closing:
            return
        task = asyncio.current_task()
        if task is not None:
            self._running[device_id] = task
        try:
            await self._poll(device)
        except asyncio.CancelledError:
            raise
        except Exception:  # the poll function should not raise; if it does, the next run still comes
            log.exception("%s job of %s raised", self.what, device_id)
        finally:
            self._running.pop(device_id, None)
            self.completed[device_id] += 1

    def _on_skipped(self, event: JobSubmissionEvent) -> None:
        self.skipped[event.job_id] += 1
        log.info("%s: %s skipped, the previous one is still running", event.job_id, self.what)
