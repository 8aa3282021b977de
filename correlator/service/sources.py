"""Where the correlator daemon takes AlarmEvents from, and how it says "stored".

A source hands out :class:`Delivery` objects: some events and an ``ack`` to call once the store has
committed them (or ``reject`` when the daemon stops before it could). Two sources:

* :class:`InProcessSource` with :class:`InProcessPublisher` (``linewatch run``): the agent's
  :class:`~agent.publish.Shipper` publishes into an asyncio queue and its ``publish`` returns only
  after the correlator *committed* the events, so the agent's durable outbox drops an event only
  once it is in the store: a crash loses nothing.
* :class:`NatsSource` (``linewatch correlator`` alone): a durable JetStream pull consumer on
  ``SUBJECT.>``; each message is acknowledged after the commit. A message not acknowledged (the
  correlator stopped or crashed first) is delivered again after ``ack_wait_s``; the alarm book drops
  an event id it already has (also across a restart: the ids are in the store), so nothing is
  counted twice. A message that is not an AlarmEvent is logged, counted and terminated (never
  redelivered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agent.publish import PublishError, ensure_stream, redact_url
from correlator.service.settings import Bus
from correlator.wire import AlarmEvent, WireError, parse_event

if TYPE_CHECKING:
    from nats.aio.client import Client as NatsClient
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    events: list[AlarmEvent]
    _ack: Callable[[], Any] | None = None
    _reject: Callable[[str], Any] | None = None
    invalid: int = 0
    """Messages of this delivery that were not AlarmEvents (already dropped)."""

    async def ack(self) -> None:
        if self._ack is not None:
            result = self._ack()
            if asyncio.iscoroutine(result):
                await result

    async def reject(self, why: str) -> None:
        if self._reject is not None:
            result = self._reject(why)
            if asyncio.iscoroutine(result):
                await result


class EventSource(Protocol):
    describe: str

    async def start(self) -> None: ...

    async def receive(self, max_events: int, timeout: float, linger: float) -> Delivery | None:
        """Wait up to ``timeout`` for events; after the first, gather more for ``linger`` seconds."""
        ...

    def stop_intake(self) -> None:
        """Take no new events from the producers; what was already handed over can still be received."""
        ...

    async def close(self) -> None: ...

    def healthy(self) -> tuple[bool, str]: ...


# -- in process (linewatch run) -----------------------------------------------------------------


@dataclass
class _Handoff:
    events: list[AlarmEvent]
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class InProcessPublisher:
    """The agent's publisher under ``linewatch run``: returns when the correlator committed the events."""

    def __init__(self, source: InProcessSource) -> None:
        self._source = source

    async def publish(self, events: Sequence[AlarmEvent]) -> None:
        if not events:
            return
        handoff = _Handoff(list(events))
        self._source.put(handoff)
        try:
            await handoff.done
        except PublishError:
            raise
        except Exception as exc:
            raise PublishError(f"the correlator did not store the events: {exc}") from None

    async def close(self) -> None:
        return None


class InProcessSource:
    describe = "in-process queue"

    def __init__(self) -> None:
        self._queue: asyncio.Queue[_Handoff] = asyncio.Queue()
        self._open = True

    def publisher(self) -> InProcessPublisher:
        return InProcessPublisher(self)

    def put(self, handoff: _Handoff) -> None:
        if not self._open:
            handoff.done.set_exception(
                PublishError("the correlator is stopping; the events stay in the agent's outbox")
            )
            return
        self._queue.put_nowait(handoff)

    async def start(self) -> None:
        return None

    async def receive(self, max_events: int, timeout: float, linger: float) -> Delivery | None:
        taken: list[_Handoff] = []
        try:
            if timeout > 0:
                first = await asyncio.wait_for(self._queue.get(), timeout=timeout)
            else:
                first = self._queue.get_nowait()
        except (TimeoutError, asyncio.QueueEmpty):
            return None
        taken.append(first)
        count = len(first.events)
        deadline = time.monotonic() + linger
        while count < max_events:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), timeout=left)
                except TimeoutError:
                    break
            taken.append(item)
            count += len(item.events)

        def ack() -> None:
            for h in taken:
                if not h.done.done():
                    h.done.set_result(None)

        def reject(why: str) -> None:
            for h in taken:
                if not h.done.done():
                    h.done.set_exception(PublishError(why))

        return Delivery([e for h in taken for e in h.events], ack, reject)

    def stop_intake(self) -> None:
        self._open = False

    async def close(self) -> None:
        self._open = False
        while True:
            try:
                h = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if not h.done.done():
                h.done.set_exception(PublishError("the correlator stopped; the events stay in the agent's outbox"))

    def healthy(self) -> tuple[bool, str]:
        return True, f"{self._queue.qsize()} batches waiting"


# -- NATS JetStream (linewatch correlator) --------------------------------------------------------


class NatsSource:
    """A durable pull consumer; connects (and reconnects) with back-off, never gives up."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.describe = f"NATS JetStream {redact_url(bus.url)} stream {bus.stream} consumer {bus.durable}"
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._sub: Any = None
        self._open = True
        self._delay = 0.5
        self._next_try = 0.0
        self.last_error: str | None = None

    @property
    def filter_subject(self) -> str:
        return f"{self.bus.subject}.>"

    async def start(self) -> None:
        await self._connect()

    async def _connect(self) -> bool:
        import nats
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        if self._sub is not None and self._nc is not None and self._nc.is_connected:
            return True
        now = time.monotonic()
        if now < self._next_try:
            return False
        await self._drop()
        bus = self.bus
        try:
            nc = await nats.connect(
                servers=[bus.url],
                connect_timeout=bus.connect_timeout_s,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                error_cb=self._on_error,
                name="linewatch-correlator",
            )
            js = nc.jetstream()
            subjects = await ensure_stream(js, bus.stream, self.filter_subject)
            if self.filter_subject not in subjects:
                await nc.close()
                raise RuntimeError(
                    f"stream {bus.stream} exists without subject {self.filter_subject} (it has {subjects}); "
                    "add the subject or set correlator.bus.stream to another stream"
                )
            config = ConsumerConfig(
                durable_name=bus.durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=bus.ack_wait_s,
                filter_subject=self.filter_subject,
                max_ack_pending=-1,
            )
            sub = await js.pull_subscribe(self.filter_subject, durable=bus.durable, stream=bus.stream, config=config)
        except Exception as exc:
            message = f"{type(exc).__name__} {exc}".strip()
            if message != self.last_error:
                log.error(
                    "cannot consume from NATS at %s (%s); retrying, events wait in the stream",
                    redact_url(bus.url),
                    message,
                )
            self.last_error = message
            self._next_try = now + self._delay
            self._delay = min(self._delay * 2, bus.retry_max_s)
            await self._drop()
            return False
        self._nc, self._js, self._sub = nc, js, sub
        self._delay = 0.5
        if self.last_error is not None:
            log.info("consuming from NATS again (%s)", self.describe)
        else:
            log.info("consuming from %s, subjects %s", self.describe, self.filter_subject)
        self.last_error = None
        return True

    async def _on_error(self, exc: Exception) -> None:
        log.debug("NATS %s: %s %s", redact_url(self.bus.url), type(exc).__name__, exc)

    async def _drop(self) -> None:
        nc, self._nc, self._js, self._sub = self._nc, None, None, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()

    async def receive(self, max_events: int, timeout: float, linger: float) -> Delivery | None:
        from nats.errors import TimeoutError as NatsTimeout

        if not self._open:
            return None
        if not await self._connect():
            await asyncio.sleep(min(timeout, max(0.0, self._next_try - time.monotonic())))
            return None
        sub = self._sub
        wait = max(min(timeout, self.bus.fetch_timeout_s), 0.001)
        try:
            msgs: list[Msg] = await sub.fetch(batch=max_events, timeout=wait)
        except (NatsTimeout, TimeoutError):
            return None
        except Exception as exc:
            self.last_error = f"{type(exc).__name__} {exc}".strip()
            log.error("NATS fetch failed (%s); reconnecting", self.last_error)
            await self._drop()
            return None
        events: list[AlarmEvent] = []
        good: list[Msg] = []
        invalid = 0
        for msg in msgs:
            try:
                events.append(parse_event(msg.data))
            except WireError as exc:
                invalid += 1
                log.error("dropped message %s on %s: not an AlarmEvent: %s", _seq(msg), msg.subject, str(exc)[:300])
                with contextlib.suppress(Exception):
                    await msg.term()
                continue
            good.append(msg)

        async def ack() -> None:
            for m in good:
                try:
                    await m.ack()
                except Exception as exc:  # the message comes again; the book drops the repeat
                    log.warning("could not acknowledge message %s (%s); it will be redelivered", _seq(m), exc)

        async def reject(why: str) -> None:
            for m in good:
                with contextlib.suppress(Exception):
                    await m.nak()

        return Delivery(events, ack, reject, invalid)

    def stop_intake(self) -> None:
        self._open = False

    async def close(self) -> None:
        self._open = False
        sub = self._sub
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        await self._drop()

    def healthy(self) -> tuple[bool, str]:
        if self._sub is not None and self._nc is not None and self._nc.is_connected:
            return True, self.describe
        return False, f"not connected: {self.last_error or 'connecting'}"


def _seq(msg: Msg) -> str:
    try:
        return str(msg.metadata.sequence.stream)
    except Exception:
        return "?"
