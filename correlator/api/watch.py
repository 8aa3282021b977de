"""Re-read the store for changes the broadcaster has not been told about.

When the API runs apart from the correlator (``linewatch api``), nothing calls the broadcaster: this
watcher reads the active incidents every ``api.live.refresh_s`` and announces each one whose state,
last update or impact differs from what was last announced, and each one that left the active set
(closed or merged). Ticket changes are noticed by their ``version`` and planned-work windows by their
``revision``. Inside the daemon the pipeline stage announces changes first, and the watcher finds
nothing new (the broadcaster remembers each incident's last announced version).

The watcher runs while at least one client listens (started by the first, stopped after the last),
so an API nobody watches costs no store reads, whether or not the ASGI server runs lifespan events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from correlator.api.context import ApiContext
from correlator.planned.service import PlannedWorkService
from correlator.tickets.store import OPEN_STATES, TicketQuery

log = logging.getLogger(__name__)


class StoreWatcher:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self._task: asyncio.Task[None] | None = None
        self._listeners = 0
        self._tickets: dict[str, int] | None = None
        self._windows: dict[str, int] | None = None
        self.polls = 0
        self.failures = 0

    # -- one pass (blocking: run in a thread) -------------------------------------------------------

    def poll_once(self) -> int:
        """Announce what changed in the store since the last pass; returns the events sent."""
        self.polls += 1
        return self._incidents() + self._ticket_changes() + self._window_changes()

    def _incidents(self) -> int:
        b = self.ctx.broadcaster
        repo = self.ctx.incidents
        active = repo.load_active()
        sent = 0
        now_ids = set()
        for inc in active:
            now_ids.add(inc.id)
            known = b.known(inc.id)
            if known is not None and known[1] > inc.updated_at:
                continue  # the store is behind what the daemon announced: wait for it
            if b.publish_incident(inc, "updated" if known is not None else "seen", inc.updated_at):
                sent += 1
        for gone in sorted(b.known_ids() - now_ids):
            final = repo.load(gone)
            if final is None:
                b.forget(gone)
                continue
            if final.state.final and b.publish_incident(final, final.state.value, final.updated_at):
                sent += 1
        return sent

    def _ticket_changes(self) -> int:
        tickets = self.ctx.tickets.repository.find(TicketQuery(states=OPEN_STATES))
        versions = {t.id: t.version for t in tickets}
        first = self._tickets is None
        old = self._tickets or {}
        self._tickets = versions
        if first:
            return 0
        sent = 0
        for t in tickets:
            if old.get(t.id) != t.version:
                self.ctx.broadcaster.publish("ticket", {"change": "seen", "ticket_id": t.id, "detail": _ticket_doc(t)})
                sent += 1
        for tid in sorted(set(old) - set(versions)):
            done = self.ctx.tickets.repository.get(tid)
            if done is not None:
                self.ctx.broadcaster.publish(
                    "ticket", {"change": done.state.value, "ticket_id": done.id, "detail": _ticket_doc(done)}
                )
                sent += 1
        return sent

    def _window_changes(self) -> int:
        service = PlannedWorkService(self.ctx.engine, self.ctx.index, self.ctx.clock)
        windows = service.windows()
        revisions = {w.id: w.revision for w in windows}
        first = self._windows is None
        old = self._windows or {}
        self._windows = revisions
        if first:
            return 0
        sent = 0
        for w in windows:
            if old.get(w.id) != w.revision:
                self.ctx.broadcaster.publish(
                    "planned_work", {"change": "cancelled" if w.cancelled else "changed", "id": w.id}
                )
                sent += 1
        return sent

    # -- the loop ---------------------------------------------------------------------------------

    async def run(self) -> None:
        interval = self.ctx.settings.live.refresh_s
        while True:
            try:
                await asyncio.to_thread(self.poll_once)
            except Exception as exc:  # the store may be down for a while: keep trying
                self.failures += 1
                log.warning("API store watcher: reading the store failed: %s", exc)
            await asyncio.sleep(interval)

    def listener_added(self) -> None:
        self._listeners += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name="linewatch-api-watcher")

    def listener_removed(self) -> None:
        self._listeners = max(0, self._listeners - 1)
        if self._listeners == 0 and self._task is not None:
            self._task.cancel()
            self._task = None

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()


def _ticket_doc(t: Any) -> dict[str, Any]:
    doc: dict[str, Any] = t.as_dict()
    return doc
