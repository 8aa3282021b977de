"""The feeds stage of the correlator pipeline: changes in, durable outbox, delivery loop out.

The daemon drives it::

    feeds = Feeds(engine, daemon.feeds, SecretResolver(base_dir, daemon.secrets_file), clock,
                  source=daemon.name, metrics=CorrelatorMetrics(index=index, rank=policy.tier_rank))
    feeds.sync(correlator.incidents())              # once at start: the incidents resumed from the store
    task = asyncio.create_task(feeds.run())         # delivery loop: every webhook and Alertmanager
    ...
    with engine.begin() as conn:                    # per batch, in the state change's transaction:
        save_changes_in(conn, changes)
        feeds.on_incident_changes(changes, connection=conn)
        feeds.on_ticket_events(ticket_events, connection=conn)
    ...                                             # (or without connection=: own transaction)
    feeds.stop(); await task                        # graceful: a POST in flight finishes first

``on_incident_changes`` / ``on_ticket_events`` build the :class:`~correlator.feeds.events.FeedEvent`
list, store it in the outbox with a pending delivery per webhook that wants it, fold the changes into
each Alertmanager's alert book, update the metrics' incident view, and wake the senders (after the
caller's commit when a connection is given). They return the stored events (with their ids). They
may be called from any thread; ``stop()`` too. ``run()`` returns once stopped, with its HTTP
clients closed; cancelling its task is a hard stop (an event in flight is sent again after the
restart: at-least-once).

Nothing lost across restarts: everything the senders need is in the store (outbox, delivery state,
alert book); a new ``Feeds`` on the same store goes on where the last one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Connection, Engine, event

from correlator.clock import Clock
from correlator.correlation.model import Incident, IncidentChange
from correlator.feeds.alertmanager import AlertBook, AlertmanagerPusher
from correlator.feeds.events import EventBuilder, FeedEvent, TicketEventLike, TierRank, enum_rank
from correlator.feeds.metrics import CorrelatorMetrics
from correlator.feeds.outbox import DestinationStats, Outbox
from correlator.feeds.settings import FeedsSettings
from correlator.feeds.webhook import WebhookSender
from correlator.secrets import SecretResolver

log = logging.getLogger("linewatch.feeds")

PURGE_EVERY_S = 3600.0
"""How often delivered events older than ``retention_days`` are purged."""


class Feeds:
    def __init__(
        self,
        engine: Engine,
        settings: FeedsSettings,
        secrets: SecretResolver,
        clock: Clock,
        *,
        source: str = "linewatch",
        metrics: CorrelatorMetrics | None = None,
        rank: TierRank = enum_rank,
        rng: random.Random | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.outbox = Outbox(engine, clock)
        self.alert_book = AlertBook(engine)
        self.builder = EventBuilder(source=source, external_url=settings.external_url, rank=rank)
        self.metrics = metrics if metrics is not None else CorrelatorMetrics(clock=clock, rank=rank)
        if self.metrics.clock is None:
            self.metrics.clock = clock
        self.metrics.feeds = self
        rng = rng or random.Random()
        self.senders = [
            WebhookSender(h, secrets.resolve(h.secret), self.outbox, clock, self.metrics, rng, transport)
            for h in settings.webhooks
        ]
        self.pushers = [
            AlertmanagerPusher(
                am,
                self.alert_book,
                clock,
                self.metrics,
                secrets.resolve(am.basic_auth.password)
                if am.basic_auth is not None
                else secrets.resolve(am.bearer_token)
                if am.bearer_token is not None
                else None,
                rng,
                transport,
            )
            for am in settings.alertmanagers
        ]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakes: list[asyncio.Event] = []
        self._stop: asyncio.Event | None = None
        self._stopping = False

    # -- input ----------------------------------------------------------------------------------

    def sync(self, incidents: Iterable[Incident]) -> None:
        """The incidents the correlator resumed with (for the metrics; the store has the rest)."""
        self.metrics.view.sync(incidents)

    def on_incident_changes(
        self, changes: Sequence[IncidentChange], connection: Connection | None = None
    ) -> list[FeedEvent]:
        if not changes:
            return []
        events = self.builder.from_changes(changes) if self.settings.webhooks else []
        routed = [
            (
                ev,
                [
                    h.name
                    for h in self.settings.webhooks
                    if h.wants(ev.kind) and (ev.published or h.include_unpublished)
                ],
            )
            for ev in events
        ]
        stored = self.outbox.enqueue(routed, connection)
        alerts = self.alert_book.apply(
            self.settings.alertmanagers, changes, self.clock.now(), self.settings.external_url, connection
        )
        self.metrics.view.apply(changes)
        self.metrics.events_stored(ev.kind for ev in stored)
        if stored or alerts:
            self._wake_after(connection, alerts=alerts)
        return stored

    def on_ticket_events(
        self, events: Sequence[TicketEventLike], connection: Connection | None = None
    ) -> list[FeedEvent]:
        if not events:
            return []
        built = self.builder.from_ticket_events(events)
        routed = [(ev, [h.name for h in self.settings.webhooks if h.wants(ev.kind)]) for ev in built]
        stored = self.outbox.enqueue(routed, connection)
        self.metrics.ticket_events(events)
        self.metrics.events_stored(ev.kind for ev in stored)
        if stored:
            self._wake_after(connection, alerts=False)
        return stored

    # -- delivery loop --------------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver until :meth:`stop`; one task per destination, plus the outbox purge."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stopping:
            self._stop.set()
        self._wakes = []
        jobs: list[Awaitable[None]] = []
        for sender in self.senders:
            wake = asyncio.Event()
            self._wakes.append(wake)
            jobs.append(self._drive(f"webhook {sender.name}", sender.step, wake))
        for pusher in self.pushers:
            wake = asyncio.Event()
            self._wakes.append(wake)
            jobs.append(self._drive(f"alertmanager {pusher.dest.name}", self._push_step(pusher), wake))
        jobs.append(self._drive("outbox purge", self._purge_step, asyncio.Event()))
        try:
            await asyncio.gather(*jobs)
        finally:
            for closer in [*(s.aclose() for s in self.senders), *(p.aclose() for p in self.pushers)]:
                with contextlib.suppress(Exception):
                    await closer
            self._loop = None

    def stop(self) -> None:
        """Stop the loop after the requests in flight (from any thread)."""
        self._stopping = True
        for sender in self.senders:
            sender.stopping = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)

    async def _drive(self, what: str, step: Callable[[], Awaitable[datetime | None]], wake: asyncio.Event) -> None:
        assert self._stop is not None
        stop = self._stop
        poll = self.settings.poll_interval_s
        while not stop.is_set():
            wake.clear()
            try:
                due = await step()
            except Exception:  # the store or the network misbehaving must not end the feed
                log.exception("feeds: %s failed; trying again in %.1f s", what, poll)
                due = None
            if stop.is_set():
                break
            timeout = poll
            if due is not None:
                timeout = min(poll, max(0.0, (due - self.clock.now()).total_seconds()))
            if timeout <= 0:
                await asyncio.sleep(0)
                continue
            waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()

    def _push_step(self, pusher: AlertmanagerPusher) -> Callable[[], Awaitable[datetime | None]]:
        async def step() -> datetime | None:
            return await pusher.step()

        return step

    async def _purge_step(self) -> datetime | None:
        now = self.clock.now()
        removed = await asyncio.to_thread(self.outbox.purge, now - timedelta(days=self.settings.retention_days))
        if removed:
            log.info("feeds: purged %d delivered events older than %g days", removed, self.settings.retention_days)
        return now + timedelta(seconds=PURGE_EVERY_S)

    def _wake_after(self, connection: Connection | None, alerts: bool) -> None:
        def wake() -> None:
            if alerts:
                for pusher in self.pushers:
                    pusher.wake()
            loop = self._loop
            if loop is not None:
                for w in self._wakes:
                    loop.call_soon_threadsafe(w.set)

        if connection is not None and connection.in_transaction():
            event.listen(connection, "commit", lambda _conn: wake(), once=True)
        else:
            wake()

    # -- what the metrics read ------------------------------------------------------------------

    def outbox_stats(self) -> Mapping[str, DestinationStats]:
        stats = dict(self.outbox.stats())
        for h in self.settings.webhooks:
            stats.setdefault(h.name, DestinationStats())
        return stats

    def alert_counts(self) -> Mapping[tuple[str, str], int]:
        counts = dict(self.alert_book.counts())
        for am in self.settings.alertmanagers:
            for state in ("firing", "resolved"):
                counts.setdefault((am.name, state), 0)
        return counts
