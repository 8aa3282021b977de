"""Publishers: where the agent's AlarmEvents go, and the shipper that drains the outbox into one.

A :class:`Publisher` takes a batch of events and returns only when it has them (written and
fsynced, acknowledged by JetStream, queued). If it fails part-way it raises
:class:`PublishError` saying how many of the batch it did take, in order.

:class:`Shipper` moves events from the state store's outbox (see :mod:`agent.statestore`) to the
publisher, oldest first, and acknowledges them in the outbox only after the publisher returned. A
failure leaves the rest in the outbox and is retried with a growing delay; nothing is lost and the
order is kept. Duplicates are possible after a failure (the publisher took an event but the
acknowledgement did not come back); JetStream drops them by ``Nats-Msg-Id`` (the event id), other
consumers use the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit, urlunsplit

from agent.settings import Publish
from correlator.wire import AlarmEvent

if TYPE_CHECKING:
    from nats.aio.client import Client as NatsClient
    from nats.js.client import JetStreamContext

log = logging.getLogger(__name__)


class PublishError(Exception):
    """The publisher could not take (all of) a batch. ``published`` events of it, in order, went out."""

    def __init__(self, message: str, published: int = 0) -> None:
        super().__init__(message)
        self.published = published


class Publisher(Protocol):
    async def publish(self, events: Sequence[AlarmEvent]) -> None:
        """Return only when every event is taken; raise PublishError otherwise."""
        ...

    async def close(self) -> None: ...


class QueuePublisher:
    """Hands events to an in-process consumer (``linewatch run``) through an asyncio.Queue."""

    def __init__(self, queue: asyncio.Queue[AlarmEvent] | None = None) -> None:
        self.queue: asyncio.Queue[AlarmEvent] = queue if queue is not None else asyncio.Queue()

    async def publish(self, events: Sequence[AlarmEvent]) -> None:
        for event in events:
            await self.queue.put(event)

    async def close(self) -> None:
        return None


class JsonlPublisher:
    """Appends one AlarmEvent JSON per line to a file, fsynced before returning."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _write(self, events: Sequence[AlarmEvent]) -> None:
        data = "".join(e.to_json() + "\n" for e in events).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise PublishError(
                f"cannot append events to {self.path}: {exc.strerror} (check agent.publish.path and the disk)"
            ) from None

    async def publish(self, events: Sequence[AlarmEvent]) -> None:
        if events:
            await asyncio.to_thread(self._write, events)

    async def close(self) -> None:
        return None


def redact_url(url: str) -> str:
    """The URL without user information (a NATS URL may carry a user and password or token)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def ensure_stream(js: JetStreamContext, name: str, subject: str) -> list[str]:
    """Make sure stream ``name`` exists, creating it for ``subject`` if it does not; returns the
    stream's subjects (the caller checks its subject is among them).

    The agent and the correlator may both create the stream at the same moment: the loser's create
    is refused (JetStream answers "subjects overlap" while the winner's create is in flight), so a
    refused create looks again before it fails."""
    from nats.js.errors import APIError, NotFoundError

    try:
        info = await js.stream_info(name)
    except NotFoundError:
        try:
            await js.add_stream(name=name, subjects=[subject])
        except APIError:
            info = await js.stream_info(name)  # created meanwhile by the other side; else NotFoundError
        else:
            log.info("created JetStream stream %s for subjects %s", name, subject)
            return [subject]
    return list(info.config.subjects or [])


class NatsPublisher:
    """Publishes to NATS JetStream: subject ``<subject>.<device>``, ``Nats-Msg-Id`` = event id.

    Connects on first use (an agent starting while NATS is down keeps its events in the outbox),
    makes sure the stream exists with subjects ``<subject>.>``, and awaits JetStream's ack for
    every event.
    """

    def __init__(
        self,
        url: str,
        stream: str,
        subject: str,
        *,
        connect_timeout_s: float = 2.0,
        ack_timeout_s: float = 5.0,
    ) -> None:
        self.url = url
        self.stream = stream
        self.subject = subject
        self._connect_timeout = connect_timeout_s
        self._ack_timeout = ack_timeout_s
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._stream_ok = False

    def subject_for(self, event: AlarmEvent) -> str:
        return f"{self.subject}.{event.device}"

    async def _jetstream(self) -> JetStreamContext:
        import nats

        if self._nc is None or self._js is None or self._nc.is_closed:
            self._stream_ok = False
            try:
                nc = await nats.connect(
                    servers=[self.url],
                    connect_timeout=self._connect_timeout,
                    # the Shipper retries: a refused connect fails fast and a lost connection is made
                    # again on the next publish (with reconnects off, these two only bound the first connect)
                    allow_reconnect=False,
                    max_reconnect_attempts=1,
                    reconnect_time_wait=0.1,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnect,
                    name="linewatch-agent",
                )
            except Exception as exc:
                raise PublishError(
                    f"cannot connect to NATS at {redact_url(self.url)}: {type(exc).__name__} {exc} "
                    "(is the server up? check agent.publish.url)"
                ) from None
            self._nc, self._js = nc, nc.jetstream()
        js = self._js
        if not self._stream_ok:
            wanted = f"{self.subject}.>"
            subjects = await ensure_stream(js, self.stream, wanted)
            if wanted not in subjects:
                raise PublishError(
                    f"JetStream stream {self.stream} exists without subject {wanted} (it has {subjects}); "
                    "add the subject to the stream or set agent.publish.stream to another stream"
                )
            self._stream_ok = True
        return js

    async def _on_error(self, exc: Exception) -> None:
        log.debug("NATS %s: %s %s", redact_url(self.url), type(exc).__name__, exc)

    async def _on_disconnect(self) -> None:
        log.warning("NATS %s: disconnected; events wait in the outbox", redact_url(self.url))

    async def publish(self, events: Sequence[AlarmEvent]) -> None:
        if not events:
            return
        try:
            js = await self._jetstream()
        except PublishError:
            raise
        except Exception as exc:
            raise PublishError(f"JetStream at {redact_url(self.url)}: {type(exc).__name__} {exc}") from None
        for i, event in enumerate(events):
            try:
                await js.publish(
                    self.subject_for(event),
                    event.to_json().encode("utf-8"),
                    timeout=self._ack_timeout,
                    stream=self.stream,
                    headers={"Nats-Msg-Id": event.event_id},
                )
            except Exception as exc:
                self._stream_ok = False
                raise PublishError(
                    f"JetStream at {redact_url(self.url)} did not acknowledge event {event.event_id}: "
                    f"{type(exc).__name__} {exc}".rstrip(),
                    published=i,
                ) from None

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()


def make_publisher(settings: Publish, base_dir: Path) -> Publisher:
    """The publisher that ``agent.publish`` names; a relative JSONL path is relative to ``base_dir``."""
    if settings.kind == "jsonl":
        path = Path(settings.path)
        return JsonlPublisher(path if path.is_absolute() else base_dir / path)
    if settings.kind == "nats":
        return NatsPublisher(settings.url, settings.stream, settings.subject)
    return QueuePublisher()


class Outbox(Protocol):
    def pending(self, limit: int | None = None) -> list[AlarmEvent]: ...

    def ack(self, event_ids: Sequence[str]) -> None: ...


class Shipper:
    """Drains an outbox into a publisher, in order, retrying with a growing delay after failures."""

    def __init__(
        self,
        outbox: Outbox,
        publisher: Publisher,
        *,
        batch_size: int = 100,
        retry_initial_s: float = 1.0,
        retry_max_s: float = 60.0,
        on_flush: Callable[[bool], None] | None = None,
    ) -> None:
        """``on_flush(ok)`` is called after every flush attempt (the daemon refreshes its outbox gauge)."""
        self.outbox = outbox
        self.on_flush = on_flush
        self.publisher = publisher
        self._batch = batch_size
        self._retry_initial = retry_initial_s
        self._retry_max = retry_max_s
        self._wake = asyncio.Event()
        self.shipped = 0
        self.failures = 0
        self.last_error: str | None = None

    def wake(self) -> None:
        """New events are in the outbox."""
        self._wake.set()

    async def flush(self) -> bool:
        """Publish everything pending now; True if the outbox is empty afterwards."""
        ok = await self._flush()
        if self.on_flush is not None:
            self.on_flush(ok)
        return ok

    async def _flush(self) -> bool:
        while True:
            batch = self.outbox.pending(self._batch)
            if not batch:
                return True
            try:
                await self.publisher.publish(batch)
            except PublishError as exc:
                done = batch[: max(0, min(exc.published, len(batch)))]
                if done:
                    self.outbox.ack([e.event_id for e in done])
                    self.shipped += len(done)
                self.failures += 1
                if str(exc) != self.last_error:
                    log.error("publishing events failed, they stay in the outbox: %s", exc)
                self.last_error = str(exc)
                return False
            self.outbox.ack([e.event_id for e in batch])
            self.shipped += len(batch)
            if self.last_error is not None:
                log.info("publishing works again")
                self.last_error = None

    async def run(self) -> None:
        """Flush whenever woken; after a failure retry with exponential back-off. Cancel to stop."""
        delay = self._retry_initial
        while True:
            self._wake.clear()
            ok = await self.flush()
            if ok:
                delay = self._retry_initial
                await self._wake.wait()
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
