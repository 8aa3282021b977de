"""The durable outbox: feed events and their delivery state per destination, in the store.

:meth:`Outbox.enqueue` stores events with one ``pending`` delivery row per destination that wants
them. Given the caller's ``connection`` it writes inside the caller's transaction, so a state change
and the events announcing it commit together or not at all; without one it commits its own.

Senders read a destination's pending events in id order (:meth:`Outbox.pending`) and record each
outcome: :meth:`delivered`, :meth:`failed` (attempts, when to try next, the last HTTP status and a
short error text that never holds a secret) or :meth:`dead_letter`. A dead-lettered event stays in
the store with its error, counted and listed, until :meth:`requeue` puts it back or :meth:`purge`
removes it after an operator decided so; nothing is dropped silently. :meth:`purge` removes only
events every destination has delivered, once they are older than the retention.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, bindparam, delete, exists, func, insert, select, update

from correlator.clock import Clock
from correlator.feeds.events import FeedEvent
from correlator.feeds.tables import DeliveryState, FeedDeliveryRow, FeedEventRow
from correlator.store.db import check_ready

EVENT = cast(Table, FeedEventRow.__table__)
DELIVERY = cast(Table, FeedDeliveryRow.__table__)

ERROR_LENGTH = 500
"""Stored error texts are cut to this length."""


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    destination: str
    event: FeedEvent
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class DestinationStats:
    pending: int = 0
    dead: int = 0
    delivered: int = 0
    oldest_pending_at: datetime | None = None
    """When the oldest pending event was stored (None: nothing pending)."""
    last_error: str | None = None
    """The error of the head of the queue, if its last attempt failed."""


class Outbox:
    """The feed tables of one store (migrated to head)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        check_ready(engine)
        self.engine = engine
        self.clock = clock

    # -- writing events -------------------------------------------------------------------------

    def enqueue(
        self, routed: Iterable[tuple[FeedEvent, Sequence[str]]], connection: Connection | None = None
    ) -> list[FeedEvent]:
        """Store each event with a pending delivery for each of its destinations; events with no
        destination are not stored. Returns the stored events with their ids, in order."""
        items = [(ev, list(dict.fromkeys(dests))) for ev, dests in routed if dests]
        if not items:
            return []
        if connection is not None:
            return self._enqueue(connection, items)
        with self.engine.begin() as conn:
            return self._enqueue(conn, items)

    def _enqueue(self, conn: Connection, items: list[tuple[FeedEvent, list[str]]]) -> list[FeedEvent]:
        now = self.clock.now()
        rows = [
            {
                "kind": ev.kind,
                "subject": ev.subject,
                "at": ev.at,
                "created_at": now,
                "source": ev.source,
                "payload": ev.payload,
            }
            for ev, _ in items
        ]
        result = conn.execute(insert(EVENT).returning(EVENT.c.id, sort_by_parameter_order=True), rows)
        ids = [int(r[0]) for r in result]
        stored = [ev.with_id(i) for (ev, _), i in zip(items, ids, strict=True)]
        deliveries = [
            {
                "destination": dest,
                "event_id": ev.id,
                "state": DeliveryState.pending,
                "attempts": 0,
                "next_attempt_at": now,
                "delivered_at": None,
                "last_status": None,
                "last_error": None,
            }
            for ev, (_, dests) in zip(stored, items, strict=True)
            for dest in dests
        ]
        conn.execute(insert(DELIVERY), deliveries)
        return stored

    # -- reading the queue ----------------------------------------------------------------------

    def pending(self, destination: str, limit: int = 100, after: int = 0) -> list[PendingDelivery]:
        """The destination's pending events with ids above ``after``, oldest first."""
        query = (
            select(DELIVERY, EVENT.c.kind, EVENT.c.subject, EVENT.c.at, EVENT.c.source, EVENT.c.payload)
            .join(EVENT, EVENT.c.id == DELIVERY.c.event_id)
            .where(
                DELIVERY.c.destination == destination,
                DELIVERY.c.state == DeliveryState.pending.value,
                DELIVERY.c.event_id > after,
            )
            .order_by(DELIVERY.c.event_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_pending_of(r) for r in conn.execute(query)]

    def dead(self, destination: str | None = None) -> list[PendingDelivery]:
        """Dead-lettered deliveries (of one destination), oldest first."""
        query = (
            select(DELIVERY, EVENT.c.kind, EVENT.c.subject, EVENT.c.at, EVENT.c.source, EVENT.c.payload)
            .join(EVENT, EVENT.c.id == DELIVERY.c.event_id)
            .where(DELIVERY.c.state == DeliveryState.dead.value)
            .order_by(DELIVERY.c.destination, DELIVERY.c.event_id)
        )
        if destination is not None:
            query = query.where(DELIVERY.c.destination == destination)
        with self.engine.connect() as conn:
            return [_pending_of(r) for r in conn.execute(query)]

    def stats(self) -> dict[str, DestinationStats]:
        """Counts per destination and state, the oldest pending event's age and the head's error."""
        counts: dict[str, dict[str, int]] = {}
        oldest: dict[str, datetime] = {}
        errors: dict[str, str | None] = {}
        with self.engine.connect() as conn:
            for dest, state, n in conn.execute(
                select(DELIVERY.c.destination, DELIVERY.c.state, func.count()).group_by(
                    DELIVERY.c.destination, DELIVERY.c.state
                )
            ):
                counts.setdefault(dest, {})[str(getattr(state, "value", state))] = int(n)
            head = (
                select(DELIVERY.c.destination, func.min(DELIVERY.c.event_id).label("head"))
                .where(DELIVERY.c.state == DeliveryState.pending.value)
                .group_by(DELIVERY.c.destination)
                .subquery()
            )
            for dest, created, error in conn.execute(
                select(head.c.destination, EVENT.c.created_at, DELIVERY.c.last_error)
                .join(EVENT, EVENT.c.id == head.c.head)
                .join(DELIVERY, and_(DELIVERY.c.destination == head.c.destination, DELIVERY.c.event_id == head.c.head))
            ):
                oldest[dest] = created
                errors[dest] = error
        return {
            dest: DestinationStats(
                pending=c.get("pending", 0),
                dead=c.get("dead", 0),
                delivered=c.get("delivered", 0),
                oldest_pending_at=oldest.get(dest),
                last_error=errors.get(dest),
            )
            for dest, c in sorted(counts.items())
        }

    # -- recording outcomes ---------------------------------------------------------------------

    def delivered(self, destination: str, event_id: int, at: datetime, status: int | None) -> None:
        self._set(
            destination,
            event_id,
            state=DeliveryState.delivered,
            attempts=DELIVERY.c.attempts + 1,
            delivered_at=at,
            last_status=status,
            last_error=None,
        )

    def delivered_many(self, destination: str, done: Sequence[tuple[int, datetime, int | None]]) -> None:
        """Record several deliveries (event id, when, HTTP status) in one transaction."""
        if not done:
            return
        stmt = (
            update(DELIVERY)
            .where(DELIVERY.c.destination == bindparam("d"), DELIVERY.c.event_id == bindparam("e"))
            .values(
                state=DeliveryState.delivered,
                attempts=DELIVERY.c.attempts + 1,
                delivered_at=bindparam("t"),
                last_status=bindparam("s"),
                last_error=None,
            )
        )
        with self.engine.begin() as conn:
            conn.execute(stmt, [{"d": destination, "e": e, "t": t, "s": s} for e, t, s in done])

    def failed(
        self, destination: str, event_id: int, attempts: int, retry_at: datetime, status: int | None, error: str
    ) -> None:
        """One more failed attempt; the event stays at the head of the destination's queue."""
        self._set(
            destination,
            event_id,
            attempts=attempts,
            next_attempt_at=retry_at,
            last_status=status,
            last_error=error[:ERROR_LENGTH],
        )

    def dead_letter(self, destination: str, event_id: int, attempts: int, status: int | None, error: str) -> None:
        """Park the event: later ones go on; it stays listed (``dead``) until re-queued."""
        self._set(
            destination,
            event_id,
            state=DeliveryState.dead,
            attempts=attempts,
            last_status=status,
            last_error=error[:ERROR_LENGTH],
        )

    def _set(self, destination: str, event_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(DELIVERY)
                .where(DELIVERY.c.destination == destination, DELIVERY.c.event_id == event_id)
                .values(**values)
            )

    def requeue(self, destination: str, event_ids: Iterable[int] | None = None) -> int:
        """Dead-lettered deliveries back to pending (all of the destination's, or the given ids);
        they go out before any later event. Returns how many."""
        query = update(DELIVERY).where(
            DELIVERY.c.destination == destination, DELIVERY.c.state == DeliveryState.dead.value
        )
        if event_ids is not None:
            query = query.where(DELIVERY.c.event_id.in_(list(event_ids)))
        with self.engine.begin() as conn:
            result = conn.execute(
                query.values(state=DeliveryState.pending, attempts=0, next_attempt_at=self.clock.now())
            )
            return int(result.rowcount)

    def discard(self, destination: str, event_ids: Iterable[int]) -> int:
        """An operator's decision: dead-lettered deliveries of these ids are dropped for good (the
        event itself goes with :meth:`purge` once no destination needs it). Returns how many."""
        ids = list(event_ids)
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(DELIVERY).where(
                    DELIVERY.c.destination == destination,
                    DELIVERY.c.state == DeliveryState.dead.value,
                    DELIVERY.c.event_id.in_(ids),
                )
            )
            return int(result.rowcount)

    def purge(self, before: datetime) -> int:
        """Remove events stored before ``before`` whose every delivery is done; returns how many."""
        old = select(EVENT.c.id).where(EVENT.c.created_at < before)
        undelivered = exists().where(
            DELIVERY.c.event_id == EVENT.c.id, DELIVERY.c.state != DeliveryState.delivered.value
        )
        with self.engine.begin() as conn:
            done = [int(r[0]) for r in conn.execute(old.where(~undelivered).order_by(EVENT.c.id))]
            for i in range(0, len(done), 1000):
                chunk = done[i : i + 1000]
                conn.execute(delete(DELIVERY).where(DELIVERY.c.event_id.in_(chunk)))
                conn.execute(delete(EVENT).where(EVENT.c.id.in_(chunk)))
            return len(done)

    def events(self, after: int = 0, limit: int = 1000) -> list[FeedEvent]:
        """Stored events with ids above ``after``, in order (for tools and tests)."""
        query = select(EVENT).where(EVENT.c.id > after).order_by(EVENT.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_event_of(r) for r in conn.execute(query)]


def _event_of(r: Any) -> FeedEvent:
    return FeedEvent(kind=r.kind, at=r.at, subject=r.subject, payload=dict(r.payload), id=int(r.id), source=r.source)


def _pending_of(r: Any) -> PendingDelivery:
    return PendingDelivery(
        destination=r.destination,
        event=FeedEvent(
            kind=r.kind, at=r.at, subject=r.subject, payload=dict(r.payload), id=int(r.event_id), source=r.source
        ),
        attempts=int(r.attempts),
        next_attempt_at=r.next_attempt_at,
        last_status=r.last_status,
        last_error=r.last_error,
    )
