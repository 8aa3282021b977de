"""Planned-work windows in the store (tables ``planned_work`` and ``planned_work_resource``).

Reading returns :class:`~correlator.planned.model.PlannedWindow` whatever the window's source;
writing is for runtime windows only (the inventory ones are written by ``linewatch inventory
import``). Every function works inside the caller's connection and transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, delete, insert, select, update

from correlator.clock import Clock
from correlator.diversity.expand import NetworkIndex
from correlator.domain import PlannedWorkKind, PlannedWorkSource, ResourceKind
from correlator.planned.calendar import PlannedCalendar
from correlator.planned.model import PlannedWindow, PlannedWindowRef
from correlator.store import schema

WORK = cast(Table, schema.PlannedWork.__table__)
RESOURCE = cast(Table, schema.PlannedWorkResource.__table__)

BATCH = 500


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _window(row: Any, resources: list[str]) -> PlannedWindow:
    start, end, announced = _aware(row.start_at), _aware(row.end_at), _aware(row.announced_at)
    assert start is not None and end is not None and announced is not None
    return PlannedWindow(
        id=row.id,
        title=row.title,
        kind=PlannedWorkKind(row.kind),
        resources=tuple(resources),
        start=start,
        end=end,
        announced_at=announced,
        approved=bool(row.approved),
        approved_by=row.approved_by,
        route=row.route,
        steps=tuple(row.steps or ()),
        rollback=row.rollback,
        source=PlannedWorkSource(row.source),
        revision=int(row.revision),
        created_at=_aware(row.created_at),
        created_by=row.created_by,
        updated_at=_aware(row.updated_at),
        updated_by=row.updated_by,
        cancelled_at=_aware(row.cancelled_at),
        cancelled_by=row.cancelled_by,
        cancel_reason=row.cancel_reason,
    )


def load_windows(
    connection: Connection,
    ids: Iterable[str] | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    source: PlannedWorkSource | None = None,
    include_cancelled: bool = True,
) -> list[PlannedWindow]:
    """Windows (optionally: these ids; meeting [start, end); of one source; not cancelled), by start."""
    query = select(WORK).order_by(WORK.c.start_at, WORK.c.id)
    conds = []
    if start is not None:
        conds.append(WORK.c.end_at > start)
    if end is not None:
        conds.append(WORK.c.start_at < end)
    if source is not None:
        conds.append(WORK.c.source == source.value)
    if not include_cancelled:
        conds.append(WORK.c.cancelled_at.is_(None))
    wanted = None if ids is None else sorted(set(ids))
    rows: list[Any] = []
    if wanted is None:
        rows = list(connection.execute(query.where(and_(*conds)) if conds else query))
    else:
        for i in range(0, len(wanted), BATCH):
            chunk = wanted[i : i + BATCH]
            rows += connection.execute(query.where(and_(WORK.c.id.in_(chunk), *conds)))
        rows.sort(key=lambda r: (_aware(r.start_at), r.id))
    resources: dict[str, list[str]] = defaultdict(list)
    found = [r.id for r in rows]
    for i in range(0, len(found), BATCH):
        chunk = found[i : i + BATCH]
        res = (
            select(RESOURCE)
            .where(RESOURCE.c.planned_work_id.in_(chunk))
            .order_by(RESOURCE.c.planned_work_id, RESOURCE.c.seq)
        )
        for r in connection.execute(res):
            resources[r.planned_work_id].append(f"{ResourceKind(r.kind).value}:{r.resource_id}")
    return [_window(r, resources[r.id]) for r in rows]


def load_window(connection: Connection, window_id: str) -> PlannedWindow | None:
    found = load_windows(connection, [window_id])
    return found[0] if found else None


def window_row(w: PlannedWindow) -> dict[str, Any]:
    return {
        "id": w.id,
        "title": w.title,
        "kind": w.kind,
        "start_at": w.start,
        "end_at": w.end,
        "announced_at": w.announced_at,
        "approved": w.approved,
        "approved_by": w.approved_by,
        "route": w.route,
        "steps": list(w.steps),
        "rollback": w.rollback,
        "source": w.source,
        "revision": w.revision,
        "created_at": w.created_at,
        "created_by": w.created_by,
        "updated_at": w.updated_at,
        "updated_by": w.updated_by,
        "cancelled_at": w.cancelled_at,
        "cancelled_by": w.cancelled_by,
        "cancel_reason": w.cancel_reason,
    }


def resource_rows(w: PlannedWindow) -> list[dict[str, Any]]:
    out = []
    for seq, key in enumerate(w.resources):
        kind, _, rid = key.partition(":")
        out.append({"planned_work_id": w.id, "seq": seq, "kind": ResourceKind(kind), "resource_id": rid})
    return out


def insert_window(connection: Connection, w: PlannedWindow) -> None:
    connection.execute(insert(WORK), [window_row(w)])
    rows = resource_rows(w)
    if rows:
        connection.execute(insert(RESOURCE), rows)


def replace_window(connection: Connection, w: PlannedWindow, expected_revision: int) -> bool:
    """Write ``w`` over the stored window if that is still at ``expected_revision``; False if not."""
    values = {k: v for k, v in window_row(w).items() if k != "id"}
    result = connection.execute(
        update(WORK).where(WORK.c.id == w.id, WORK.c.revision == expected_revision).values(**values)
    )
    if result.rowcount != 1:
        return False
    connection.execute(delete(RESOURCE).where(RESOURCE.c.planned_work_id == w.id))
    rows = resource_rows(w)
    if rows:
        connection.execute(insert(RESOURCE), rows)
    return True


def window_ids(connection: Connection, prefix: str) -> list[str]:
    """Ids of stored windows starting with ``prefix``."""
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return [str(i) for i in connection.execute(select(WORK.c.id).where(WORK.c.id.like(like, escape="\\"))).scalars()]


def load_calendar(engine: Engine, index: NetworkIndex) -> PlannedCalendar:
    """Every stored window (inventory and runtime, cancelled ones too) on ``index``'s network."""
    with engine.connect() as conn:
        return PlannedCalendar(load_windows(conn), index)


class StoreCalendar:
    """The calendar of the windows in the store, kept current while a daemon runs.

    Runtime windows are created, changed and cancelled while the correlator runs (CLI, HTTP API),
    and ``linewatch inventory import`` replaces the inventory ones: the windows are read again at
    most every ``refresh_seconds`` of the injected clock (at once after :meth:`invalidate`), and
    the calendar is rebuilt only when they changed. :meth:`covering` is the lookup the ticket book
    uses (:class:`correlator.tickets.planned.PlannedLookup`).
    """

    def __init__(self, engine: Engine, index: NetworkIndex, clock: Clock, refresh_seconds: float = 30.0) -> None:
        self.engine = engine
        self.index = index
        self.clock = clock
        self.refresh = timedelta(seconds=refresh_seconds)
        self._windows: tuple[PlannedWindow, ...] | None = None
        self._calendar: PlannedCalendar | None = None
        self._read_at: datetime | None = None

    def invalidate(self) -> None:
        """Read the windows again at the next lookup (after a create, update or cancel)."""
        self._read_at = None

    def calendar(self) -> PlannedCalendar:
        now = self.clock.now()
        if self._calendar is None or self._read_at is None or now - self._read_at >= self.refresh:
            with self.engine.connect() as conn:
                windows = tuple(load_windows(conn))
            self._read_at = now
            if self._calendar is None or windows != self._windows:
                self._windows = windows
                self._calendar = PlannedCalendar(windows, self.index)
        return self._calendar

    def covering(self, resource_key: str, at: datetime) -> PlannedWindowRef | None:
        return self.calendar().covering(resource_key, at)
