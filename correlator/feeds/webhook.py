"""Deliver feed events to one webhook, strictly in order, signed, from the durable outbox.

Per destination the events go one at a time in id order: an event that fails blocks every later
one for that destination until it is delivered (or dead-lettered), so a receiver never sees event
43 before 42, whatever happens in between. Each POST carries the event's canonical JSON body and
the headers of :mod:`correlator.feeds.signing` (event id, kind, timestamp, HMAC-SHA256 signature).

What an answer means:

- 2xx: delivered.
- no answer (connection refused, reset, timeout), 408, 429 or 5xx: the receiver is down or busy;
  retried after a capped exponential backoff with jitter (:mod:`correlator.feeds.backoff`),
  honouring ``Retry-After``.
- any other 4xx, or a 3xx (redirects are not followed: a signed POST must not wander): the receiver
  refuses this request. With ``on_reject: retry`` (the default) it is retried like the above and
  the destination waits, because the usual causes (a wrong secret or URL, a receiver deployed with
  a bug) are fixed on the receiver's side, after which everything flows again in order; the
  refusal is logged as an error and counted (``result="rejected"``). With ``on_reject:
  dead_letter`` the event is parked at once and the next one goes.
- ``max_attempts`` (default: none, never give up): after that many failed attempts the event is
  dead-lettered.

A dead-lettered event is never lost: it stays in the outbox with its last error, counted in
``linewatch_feed_outbox_dead``, listed by ``linewatch feeds status`` and put back in the queue by
``linewatch feeds requeue`` (it is then sent before any later event still pending).

Delivery is at least once: an event whose answer was lost (a crash after the receiver took it,
before the store recorded it) is sent again after a restart with the same id and body. In a burst
the deliveries are recorded ``record_every`` (50) at a time, and whenever the queue empties, an
attempt fails, the sender stops or its task is cancelled; so a crash of the process re-sends at most
that many, a stop or cancel only the one in flight. Receivers de-duplicate by
``X-Linewatch-Event-Id``. Error texts in logs and in the store name the
destination, the event and the failure, never the secret or the signature.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable
from datetime import datetime

import httpx

from correlator.clock import Clock
from correlator.feeds.backoff import delay_s, parse_retry_after, retry_time
from correlator.feeds.metrics import CorrelatorMetrics
from correlator.feeds.outbox import Outbox, PendingDelivery
from correlator.feeds.settings import Timeouts, Webhook
from correlator.feeds.signing import (
    EVENT_ID_HEADER,
    EVENT_KIND_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
)
from correlator.secrets import Secret

log = logging.getLogger("linewatch.feeds")

USER_AGENT = "linewatch-feeds/1"
WINDOW = 100
"""Pending events read from the store at a time."""


def http_client(
    timeouts: Timeouts,
    verify_tls: bool,
    headers: dict[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=timeouts.connect_s, read=timeouts.read_s, write=timeouts.write_s, pool=timeouts.pool_s
        ),
        verify=verify_tls,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        transport=transport,
        trust_env=False,
    )


def short_error(exc: BaseException) -> str:
    """``ConnectError: [Errno 111] Connection refused``; a timeout names its phase."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def redact(text: str, secrets: Iterable[Secret]) -> str:
    """Belt and braces: no secret value survives in an error text, whatever a library put there."""
    for s in secrets:
        value = s.reveal()
        if value:
            text = text.replace(value, "***")
    return text


class Outcome:
    __slots__ = ("error", "result", "retry_after_s", "status")

    def __init__(self, result: str, status: int | None = None, error: str = "", retry_after_s: float | None = None):
        self.result = result
        """delivered, retry or rejected."""
        self.status = status
        self.error = error
        self.retry_after_s = retry_after_s


class WebhookSender:
    """Delivers one webhook destination's queue; :meth:`step` does what is due and says when to come back."""

    def __init__(
        self,
        hook: Webhook,
        secret: Secret,
        outbox: Outbox,
        clock: Clock,
        metrics: CorrelatorMetrics | None = None,
        rng: random.Random | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.hook = hook
        self.name = hook.name
        self.outbox = outbox
        self.clock = clock
        self.metrics = metrics
        self.rng = rng or random.Random()
        self._secret = secret
        self.client = http_client(hook.timeouts, hook.verify_tls, {"Content-Type": "application/json"}, transport)
        self.stopping = False
        if metrics is not None:
            metrics.destination(hook.name)

    async def step(self) -> datetime | None:
        """Deliver the due events in order until one fails, the queue is empty or :attr:`stopping`.

        Returns when the head of the queue is due again (None: the queue is empty). Deliveries are
        recorded ``record_every`` at a time, and always before returning (also when cancelled)."""
        done: list[tuple[int, datetime, int | None]] = []
        try:
            return await self._run(done)
        finally:
            if done:
                # synchronous on purpose: runs even when the task is being cancelled
                self.outbox.delivered_many(self.name, done)

    async def _run(self, done: list[tuple[int, datetime, int | None]]) -> datetime | None:
        after = 0
        while not self.stopping:
            window = await asyncio.to_thread(self.outbox.pending, self.name, WINDOW, after)
            if not window:
                return None
            for d in window:
                if self.stopping:
                    return self.clock.now()
                now = self.clock.now()
                if d.next_attempt_at > now:
                    return d.next_attempt_at
                outcome = await self.post(d)
                if outcome.result == "delivered":
                    done.append((d.event.id, self.clock.now(), outcome.status))
                    self._count("delivered")
                    if d.attempts:
                        log.info(
                            "webhook %s: event %d delivered after %d attempts", self.name, d.event.id, d.attempts + 1
                        )
                    if len(done) >= self.hook.record_every:
                        await asyncio.to_thread(self.outbox.delivered_many, self.name, list(done))
                        done.clear()
                    after = d.event.id
                    continue
                if done:
                    await asyncio.to_thread(self.outbox.delivered_many, self.name, list(done))
                    done.clear()
                retry_at = await self._failed(d, outcome)
                if retry_at is not None:
                    return retry_at
                after = d.event.id
        return self.clock.now()

    async def _failed(self, d: PendingDelivery, outcome: Outcome) -> datetime | None:
        """Record a failed attempt of the head event; None if the destination may go on (dead-lettered)."""
        now = self.clock.now()
        attempts = d.attempts + 1
        error = redact(outcome.error, [self._secret])
        give_up = (outcome.result == "rejected" and self.hook.on_reject == "dead_letter") or (
            self.hook.max_attempts is not None and attempts >= self.hook.max_attempts
        )
        if give_up:
            await asyncio.to_thread(self.outbox.dead_letter, self.name, d.event.id, attempts, outcome.status, error)
            self._count(outcome.result)
            self._count("dead")
            log.error(
                "webhook %s: event %d (%s) dead-lettered after %d attempts: %s (re-queue it with"
                " `linewatch feeds requeue`)",
                self.name,
                d.event.id,
                d.event.kind,
                attempts,
                error,
            )
            return None
        wait = delay_s(self.hook.backoff, attempts, self.rng, outcome.retry_after_s)
        retry_at = retry_time(now, wait)
        await asyncio.to_thread(self.outbox.failed, self.name, d.event.id, attempts, retry_at, outcome.status, error)
        self._count(outcome.result)
        level = logging.ERROR if outcome.result == "rejected" else logging.WARNING
        log.log(
            level,
            "webhook %s: event %d (%s) attempt %d failed: %s; next attempt in %.1f s (later events wait)",
            self.name,
            d.event.id,
            d.event.kind,
            attempts,
            error,
            wait,
        )
        return retry_at

    async def post(self, d: PendingDelivery) -> Outcome:
        body = d.event.body()
        ts = int(self.clock.now().timestamp())
        headers = {
            EVENT_ID_HEADER: str(d.event.id),
            EVENT_KIND_HEADER: d.event.kind,
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: signature(self._secret.reveal(), ts, body),
        }
        try:
            resp = await self.client.post(self.hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome("retry", None, short_error(exc))
        status = resp.status_code
        if 200 <= status < 300:
            return Outcome("delivered", status)
        reason = f"HTTP {status} {resp.reason_phrase}".strip()
        snippet = resp.text[:200].strip()
        error = f"{reason}: {snippet}" if snippet else reason
        if status in (408, 429) or status >= 500:
            return Outcome("retry", status, error, parse_retry_after(resp.headers.get("Retry-After"), self.clock.now()))
        return Outcome("rejected", status, error)

    def _count(self, result: str) -> None:
        if self.metrics is not None:
            self.metrics.delivery(self.name, result)

    async def aclose(self) -> None:
        await self.client.aclose()
