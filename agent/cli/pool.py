"""Blocking CLI sessions in a bounded pool of worker threads, driven from the asyncio loop.

* At most ``workers`` sessions run at once (a ThreadPoolExecutor of that size, and a slot taken
  before a session is handed to it, so a queue of elements waits for a free worker instead of
  piling up threads). Waiting for a slot is not counted against the session's time limit.
* One session per element at a time: a second :meth:`SessionPool.run` for an element whose session
  is still running (a hung one that outlived its limit included) fails at once with
  :class:`ElementBusy` instead of opening another connection.
* Every session has a hard time limit. When it passes, the pool aborts the session
  (:meth:`~agent.cli.session.SessionHandle.abort` closes its sockets, which makes the blocked read
  in the worker fail), waits ``grace_s`` for the worker to finish, and returns the session's own
  result (classified as a timeout); if the worker is still blocked it raises :class:`SessionHung`.
  A hung element never blocks the loop or the other elements: its worker slot is given back only
  when its thread really ends, and the others use the remaining workers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from agent.cli.session import SessionHandle

log = logging.getLogger(__name__)

T = TypeVar("T")


class ElementBusy(Exception):
    """The element's previous session is still running."""


class SessionHung(Exception):
    """The session outlived its limit and its worker did not end after the abort."""


class SessionPool:
    def __init__(self, workers: int, *, grace_s: float = 5.0, name: str = "linewatch-cli") -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.grace_s = grace_s
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._running: dict[str, SessionHandle] = {}
        self._closed = False
        self.waiting = 0
        """Sessions waiting for a free worker now."""

    @property
    def active(self) -> int:
        """Sessions running in a worker now (hung ones included)."""
        return len(self._running)

    def busy(self, device: str) -> bool:
        return device in self._running

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._loop, self._slots = loop, asyncio.Semaphore(self.workers)
        return self._slots

    async def run(self, device: str, fn: Callable[[SessionHandle], T], *, limit_s: float) -> T:
        """Run ``fn(handle)`` in a worker for ``device``, at most ``limit_s`` seconds."""
        if self._closed:
            raise RuntimeError("the session pool is closed")
        if device in self._running:
            raise ElementBusy(device)
        slots = self._semaphore()
        handle = SessionHandle()
        self._running[device] = handle  # reserve the element before waiting for a worker
        self.waiting += 1
        try:
            await slots.acquire()
        except BaseException:
            self._running.pop(device, None)
            raise
        finally:
            self.waiting -= 1
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._executor, fn, handle)
        except BaseException:
            slots.release()
            self._running.pop(device, None)
            raise

        def finished(_: object) -> None:
            slots.release()
            if self._running.get(device) is handle:
                del self._running[device]

        future.add_done_callback(finished)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout=limit_s)
        except TimeoutError:
            log.debug("%s: session over its %g s limit; aborting it", device, limit_s)
            handle.abort()
        except asyncio.CancelledError:
            handle.abort()
            raise
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout=self.grace_s)
        except TimeoutError:
            raise SessionHung(device) from None

    async def close(self) -> None:
        """Abort every running session and stop the workers (does not wait for hung ones)."""
        self._closed = True
        for handle in list(self._running.values()):
            handle.abort()
        self._executor.shutdown(wait=False, cancel_futures=True)
