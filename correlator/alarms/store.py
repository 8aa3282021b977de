"""Alarms in the store: save what the book changed, load it back to resume after a restart.

:meth:`AlarmRepository.save` writes one :class:`~correlator.alarms.book.AlarmWrites` (from
:meth:`AlarmBook.take_writes`) in one transaction: the raw events (append-only; an event id already
stored is skipped, so a redelivery is never stored twice), the clears waiting for their raise, and
the changed alarms (upserted by key, with their kept history). :meth:`AlarmRepository.load` gives
the :class:`~correlator.alarms.book.BookState` a new book imports, so a restarted correlator has the
same alarms, and dropping a redelivered event still works across the restart.

The incident layer may write its own rows in the same transaction with :func:`save_in`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, or_, select

from correlator.alarms.book import AlarmRecord, AlarmWrites, BookState, OrphanClear
from correlator.alarms.model import KINDS, Alarm, AlarmKind, AlarmState
from correlator.alarms.settings import DedupSettings
from correlator.alarms.tables import AlarmEventRow, AlarmOrphanClearRow, AlarmRow
from correlator.alarms.timeline import Timeline
from correlator.store.db import check_ready
from correlator.store.upsert import dialect_insert as _insert
from correlator.store.upsert import upsert
from correlator.wire import AlarmEvent, Resource, Source

ALARM = cast(Table, AlarmRow.__table__)
EVENT = cast(Table, AlarmEventRow.__table__)
ORPHAN = cast(Table, AlarmOrphanClearRow.__table__)

BATCH = 1000
"""Rows per executemany."""


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), BATCH):
        yield rows[i : i + BATCH]


# -- rows ----------------------------------------------------------------------------------------


def alarm_row(rec: AlarmRecord) -> dict[str, Any]:
    a = rec.alarm
    return {
        "key": a.key,
        "device": a.device,
        "resource_type": a.resource.type,
        "resource_id": a.resource.id,
        "if_index": a.resource.if_index,
        "alarm_type": a.alarm_type,
        "severity": a.severity,
        "layer": a.layer,
        "kind": a.kind,
        "state": a.state,
        "condition": a.condition,
        "raised_at": a.raised_at,
        "cleared_at": a.cleared_at,
        "first_seen": a.first_seen,
        "last_seen": a.last_seen,
        "count": a.count,
        "changes": a.changes,
        "sources": sorted(s.value for s in a.sources),
        "last_event_id": a.last_event_id,
        "ref": a.ref,
        "flapping_since": a.flapping_since,
        "last_change_at": a.last_change_at,
        "detail": a.detail,
        "unknown_type": a.unknown_type,
        "timeline": rec.timeline.to_dict(),
    }


def alarm_of(row: Any) -> AlarmRecord:
    kind = row.kind if row.kind in KINDS else "defect"
    alarm = Alarm(
        key=row.key,
        device=row.device,
        resource=Resource(type=row.resource_type, id=row.resource_id, if_index=row.if_index),
        alarm_type=row.alarm_type,
        severity=row.severity,
        layer=row.layer,
        kind=cast(AlarmKind, kind),
        state=AlarmState(row.state),
        raised_at=row.raised_at,
        cleared_at=row.cleared_at,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        count=row.count,
        changes=row.changes,
        sources={Source(s) for s in row.sources},
        last_event_id=row.last_event_id,
        ref=row.ref,
        condition=AlarmState(row.condition),
        flapping_since=row.flapping_since,
        last_change_at=row.last_change_at,
        detail=row.detail,
        unknown_type=row.unknown_type,
    )
    return AlarmRecord(alarm, Timeline.from_dict(row.timeline))


def event_row(event: AlarmEvent, received_at: datetime) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "key": event.reduction_key,
        "action": event.action,
        "device": event.device,
        "resource_type": event.resource.type,
        "resource_id": event.resource.id,
        "if_index": event.resource.if_index,
        "alarm_type": event.alarm_type,
        "severity": event.severity,
        "layer": event.layer,
        "raised_at": event.raised_at,
        "cleared_at": event.cleared_at,
        "observed_at": event.observed_at,
        "source": event.source,
        "agent": event.agent,
        "detail": event.detail,
        "received_at": received_at,
    }


def event_of(row: Any) -> AlarmEvent:
    return AlarmEvent(
        event_id=row.event_id,
        action=row.action,
        device=row.device,
        resource=Resource(type=row.resource_type, id=row.resource_id, if_index=row.if_index),
        alarm_type=row.alarm_type,
        severity=row.severity,
        layer=row.layer,
        raised_at=row.raised_at,
        cleared_at=row.cleared_at,
        observed_at=row.observed_at,
        source=row.source,
        agent=row.agent,
        detail=row.detail,
    )


def orphan_row(o: OrphanClear) -> dict[str, Any]:
    return {
        "event_id": o.event_id,
        "key": o.key,
        "clear_at": o.clear_at,
        "arrived_at": o.arrived_at,
        "source": o.source,
    }


# -- writing -------------------------------------------------------------------------------------


def save_in(connection: Connection, writes: AlarmWrites) -> None:
    """Write ``writes`` inside the caller's transaction on ``connection``."""
    events = [event_row(e, at) for e, at in writes.events]
    for chunk in _chunks(events):
        connection.execute(_insert(connection, EVENT).on_conflict_do_nothing(index_elements=["event_id"]), chunk)
    orphans = [orphan_row(o) for o in writes.orphans_added]
    for chunk in _chunks(orphans):
        connection.execute(_insert(connection, ORPHAN).on_conflict_do_nothing(index_elements=["event_id"]), chunk)
    removed = list(dict.fromkeys(writes.orphans_removed))
    for i in range(0, len(removed), BATCH):
        connection.execute(delete(ORPHAN).where(ORPHAN.c.event_id.in_(removed[i : i + BATCH])))
    alarms = [alarm_row(r) for r in writes.alarms]
    upsert(connection, ALARM, ["key"], alarms, BATCH)


class AlarmRepository:
    """The alarm tables of one store (migrated to head: raises StoreNotReady naming the fix otherwise)."""

    def __init__(self, engine: Engine) -> None:
        check_ready(engine)
        self.engine = engine

    def save(self, writes: AlarmWrites) -> None:
        """Write everything in ``writes`` in one transaction (nothing if it fails)."""
        if not writes:
            return
        with self.engine.begin() as connection:
            save_in(connection, writes)

    def load(self, settings: DedupSettings | None = None) -> BookState:
        """The state to resume from: every alarm not cleared, cleared ones still within
        ``cleared_retention_s`` of the newest, the waiting clears, and the event ids taken in within
        ``event_id_memory_s`` of the newest."""
        s = settings or DedupSettings()
        with self.engine.connect() as connection:
            newest_seen = connection.execute(select(func.max(ALARM.c.last_seen))).scalar()
            query = select(ALARM).order_by(ALARM.c.key)
            if newest_seen is not None:
                cutoff = _aware(newest_seen) - timedelta(seconds=s.cleared_retention_s)
                query = query.where(or_(ALARM.c.state != AlarmState.cleared.value, ALARM.c.last_seen >= cutoff))
            alarms = [alarm_of(row) for row in connection.execute(query)]
            orphans = [
                OrphanClear(
                    key=row.key,
                    event_id=row.event_id,
                    clear_at=row.clear_at,
                    observed_at=row.observed_at,
                    arrived_at=row.arrived_at,
                    source=Source(row.source),
                )
                for row in connection.execute(
                    select(ORPHAN, EVENT.c.observed_at)
                    .join(EVENT, EVENT.c.event_id == ORPHAN.c.event_id)
                    .order_by(ORPHAN.c.arrived_at, ORPHAN.c.event_id)
                )
            ]
            newest_in = connection.execute(select(func.max(EVENT.c.received_at))).scalar()
            seen: list[tuple[str, datetime]] = []
            if newest_in is not None:
                since = _aware(newest_in) - timedelta(seconds=s.event_id_memory_s)
                seen = [
                    (row.event_id, row.received_at)
                    for row in connection.execute(
                        select(EVENT.c.event_id, EVENT.c.received_at)
                        .where(EVENT.c.received_at >= since)
                        .order_by(EVENT.c.received_at, EVENT.c.event_id)
                    )
                ]
        return BookState(alarms=alarms, orphans=orphans, seen=seen)

    def events(self, key: str | None = None) -> list[AlarmEvent]:
        """The raw event log (all of it, or one alarm's), in the order the correlator took it in."""
        query = select(EVENT).order_by(EVENT.c.received_at, EVENT.c.event_id)
        if key is not None:
            query = query.where(EVENT.c.key == key)
        with self.engine.connect() as connection:
            return [event_of(row) for row in connection.execute(query)]

    def alarms(self) -> list[Alarm]:
        """Every stored alarm, cleared ones included, by key."""
        with self.engine.connect() as connection:
            return [alarm_of(row).alarm for row in connection.execute(select(ALARM).order_by(ALARM.c.key))]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
