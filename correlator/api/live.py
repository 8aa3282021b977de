"""Live updates for the NOC page and other clients: an in-process broadcaster behind ``/api/v1/events``.

The correlator daemon calls the broadcaster as a pipeline stage (:class:`ApiStage`, or directly
:meth:`Broadcaster.on_incident_changes` / :meth:`Broadcaster.on_ticket_events`) after each commit;
every connected client gets each change as a server-sent event::

    id: 3f2a9c-17
    event: incident
    data: {"change": "opened", "at": "...", "incident": {... as GET /api/v1/incidents/{id} ...}}

Event kinds: ``hello`` (first, with the server's time), ``incident`` (``change``, ``at``, ``id``,
``incident``: the document of ``GET /api/v1/incidents/{id}`` without symptoms and history),
``ticket`` (``change``, ``ticket_id``, ``detail``: the ticket book's event), ``planned_work``
(``change``, ``id``) and ``resync`` (the client missed events: it must re-read what it shows). Ids are
``<process epoch>-<sequence>``; a client reconnecting with ``Last-Event-ID`` gets the events it
missed from a bounded history, or a ``resync`` when they are gone (or the server restarted).

:meth:`Broadcaster.publish` may be called from any thread: each client's queue lives on the
event loop that serves it and is fed with ``call_soon_threadsafe``. A client that falls more than
``api.live.client_queue`` events behind has its queue replaced by one ``resync``.

The broadcaster also remembers the last version of each incident it announced, so the store
watcher (:mod:`correlator.api.watch`), which re-reads the store for an API running apart from the
correlator, announces only what the daemon has not.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from correlator.correlation.model import Incident, IncidentChange

IncidentRenderer = Callable[[Incident], dict[str, Any]]

Fingerprint = tuple[str, datetime, bool, tuple[tuple[str, str, datetime | None], ...]]


def fingerprint(inc: Incident) -> Fingerprint:
    """What makes two readings of one incident the same for a client: state, last update, impact."""
    return (
        inc.state.value,
        inc.updated_at,
        inc.was_open,
        tuple(sorted((c.circuit, c.status.value, c.until) for c in inc.circuits.values())),
    )


@dataclass(frozen=True, slots=True)
class LiveEvent:
    id: str
    seq: int
    kind: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        body = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"), default=str)
        return f"id: {self.id}\nevent: {self.kind}\ndata: {body}\n\n".encode()


class Subscription:
    """One client's queue, on the loop that serves it."""

    def __init__(self, owner: Broadcaster, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self._owner = owner
        self._loop = loop
        self._max = maxsize
        self._queue: asyncio.Queue[LiveEvent] = asyncio.Queue()
        self.overflows = 0
        self.closed = False

    def offer(self, event: LiveEvent) -> None:
        """Runs on the subscription's loop."""
        if self.closed:
            return
        if self._queue.qsize() >= self._max:
            while not self._queue.empty():
                self._queue.get_nowait()
            self.overflows += 1
            self._queue.put_nowait(self._owner.resync_event("the client fell behind"))
            return
        self._queue.put_nowait(event)

    def deliver(self, event: LiveEvent) -> None:
        """From any thread."""
        try:
            self._loop.call_soon_threadsafe(self.offer, event)
        except RuntimeError:  # the loop is closed: the client is gone
            self.closed = True

    async def next(self, timeout: float) -> LiveEvent | None:
        """The next event, or None after ``timeout`` seconds without one."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        self.closed = True
        self._owner.unsubscribe(self)


class Broadcaster:
    def __init__(
        self,
        render_incident: IncidentRenderer | None = None,
        history: int = 512,
        client_queue: int = 1000,
    ) -> None:
        self.render_incident = render_incident
        self.epoch = secrets.token_hex(3)
        self._lock = threading.Lock()
        self._seq = 0
        self._history: deque[LiveEvent] = deque(maxlen=history)
        self._subs: list[Subscription] = []
        self._client_queue = client_queue
        self._known: dict[str, Fingerprint] = {}
        self.published = 0

    # -- publishing -------------------------------------------------------------------------------

    def publish(self, kind: str, data: dict[str, Any]) -> LiveEvent:
        with self._lock:
            self._seq += 1
            event = LiveEvent(f"{self.epoch}-{self._seq}", self._seq, kind, data)
            self._history.append(event)
            subs = list(self._subs)
            self.published += 1
        for sub in subs:
            sub.deliver(event)
        return event

    def resync_event(self, reason: str) -> LiveEvent:
        """Not kept in the history: it is for one client."""
        with self._lock:
            seq = self._seq
        return LiveEvent(f"{self.epoch}-{seq}", seq, "resync", {"reason": reason})

    def publish_incident(self, inc: Incident, change: str, at: datetime) -> LiveEvent | None:
        """Announce one incident's current state (skipped when it is what was last announced)."""
        fp = fingerprint(inc)
        with self._lock:
            if self._known.get(inc.id) == fp:
                return None
            self._known[inc.id] = fp
            if inc.state.final:
                self._known.pop(inc.id, None)
        data: dict[str, Any] = {"change": change, "at": at.isoformat(), "id": inc.id}
        if self.render_incident is not None:
            data["incident"] = self.render_incident(inc)
        return self.publish("incident", data)

    def on_incident_changes(self, changes: Iterable[IncidentChange]) -> int:
        """Pipeline stage: the incidents one commit changed (read now: the objects are the
        correlator's live ones). One event per incident, with its last change's kind."""
        last: dict[str, IncidentChange] = {}
        for ch in changes:
            last.pop(ch.incident.id, None)
            last[ch.incident.id] = ch
        sent = 0
        for ch in last.values():
            if self.publish_incident(ch.incident, ch.kind.value, ch.at) is not None:
                sent += 1
        return sent

    def on_ticket_events(self, events: Iterable[Any]) -> int:
        """Pipeline stage: ticket events (``correlator.tickets`` TicketEvent: ``as_dict()``)."""
        sent = 0
        for ev in events:
            as_dict = getattr(ev, "as_dict", None)
            detail = as_dict() if callable(as_dict) else dict(ev)
            kind = str(getattr(ev, "kind", detail.get("event", "")))
            ticket_id = str(getattr(ev, "ticket_id", detail.get("ticket_id", "")))
            self.publish("ticket", {"change": kind, "ticket_id": ticket_id, "detail": detail})
            sent += 1
        return sent

    def known(self, incident_id: str) -> Fingerprint | None:
        with self._lock:
            return self._known.get(incident_id)

    def known_ids(self) -> set[str]:
        with self._lock:
            return set(self._known)

    def forget(self, incident_id: str) -> None:
        with self._lock:
            self._known.pop(incident_id, None)

    # -- subscribing --------------------------------------------------------------------------------

    def subscribe(self, last_event_id: str | None = None) -> Subscription:
        """A new client on the running loop; with ``last_event_id``, the events it missed first."""
        loop = asyncio.get_running_loop()
        sub = Subscription(self, loop, self._client_queue)
        with self._lock:
            backlog = self._backlog(last_event_id)
            self._subs.append(sub)
        for event in backlog:
            sub.offer(event)
        return sub

    def _backlog(self, last_event_id: str | None) -> list[LiveEvent]:
        if not last_event_id:
            return []
        epoch, _, seq_text = last_event_id.partition("-")
        if epoch != self.epoch or not seq_text.isdigit():
            return [LiveEvent(f"{self.epoch}-{self._seq}", self._seq, "resync", {"reason": "the server restarted"})]
        seq = int(seq_text)
        oldest = self._history[0].seq if self._history else self._seq + 1
        if seq + 1 < oldest:
            return [LiveEvent(f"{self.epoch}-{self._seq}", self._seq, "resync", {"reason": "events were missed"})]
        return [e for e in self._history if e.seq > seq]

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._subs)

    def stage(self) -> ApiStage:
        return ApiStage(self)


class ApiStage:
    """The broadcaster as a stage of the correlator daemon's pipeline
    (:class:`correlator.service.pipeline.Stage`): after each commit, its incident changes and ticket
    events go to every connected client."""

    name = "api"

    def __init__(self, broadcaster: Broadcaster) -> None:
        self.broadcaster = broadcaster

    async def start(self) -> None:
        return None

    async def process(self, batch: Any) -> None:
        changes = getattr(batch, "incident_changes", None) or []
        events = getattr(batch, "ticket_events", None) or []
        if changes:
            self.broadcaster.on_incident_changes(changes)
        if events:
            self.broadcaster.on_ticket_events(events)

    async def stop(self) -> None:
        return None
