"""Planned-work windows at run time: create, update, cancel (the CLI and the HTTP API use this).

Windows written in the inventory files belong to those files (``linewatch inventory import``
replaces them); this service refuses to change them and says where to edit instead. Runtime
windows are never deleted, only cancelled, so the record of what was announced stays.

Rules, each refused with a message that names the window and the fix:

- resources are ``KIND:ID`` of something in the inventory (the same form as ``linewatch whatif``);
- ``end`` after ``start``; a new window, or a change, may not lie wholly in the past;
- a window that has begun keeps its start (extend or shorten its end instead); a window that is
  over, or cancelled, is not changed any more;
- approving needs ``approved_by``; a change of times or resources withdraws the approval unless the
  same change approves it again (the plan that was approved is not the plan any more);
- ``announced_at`` defaults to now (the service's clock);
- updates carry the revision they were made from (optional for the CLI, sent by the API): a window
  changed meanwhile by someone else is refused rather than overwritten.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from typing import Annotated, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from correlator.clock import Clock
from correlator.diversity.expand import NetworkIndex
from correlator.diversity.whatif import CutError, parse_cut
from correlator.domain import PlannedWorkKind, PlannedWorkSource
from correlator.planned.calendar import PlannedCalendar
from correlator.planned.checks import WindowCheck, check_windows
from correlator.planned.model import PlannedWindow
from correlator.planned.store import insert_window, load_window, load_windows, replace_window, window_ids
from correlator.store.db import begin_exclusive, check_ready

PLANNED_LOCK = 0x6C77_0005
"""Lock key: runtime window writes run one after the other."""

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
WindowId = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class PlannedWorkError(Exception):
    """A request the service refuses; the text names the window and the fix."""


class WindowNotFound(PlannedWorkError):
    pass


class WindowConflict(PlannedWorkError):
    """The request does not fit the window's state (inventory-owned, over, cancelled, changed meanwhile)."""


class WindowInvalid(PlannedWorkError):
    """The request itself is wrong (bad resource, times, missing approver)."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("resources", check_fields=False)
    @classmethod
    def _resources(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("at least one resource (KIND:ID, e.g. duct:D-036)")
        seen: set[str] = set()
        for r in v:
            if r in seen:
                raise ValueError(f"resource '{r}' is listed twice")
            seen.add(r)
        return v


class WindowSpec(_Request):
    """A new runtime window."""

    id: WindowId | None = Field(default=None, description="default: PWR-<start date>-<n>")
    title: Text
    kind: PlannedWorkKind
    resources: list[str] = Field(description="KIND:ID, e.g. duct:D-036, port:NE-3:1/0/1")
    start: AwareDatetime
    end: AwareDatetime
    announced_at: AwareDatetime | None = Field(default=None, description="default: now")
    approved: bool = False
    approved_by: Text | None = None
    route: Text | None = None
    steps: list[Text] = Field(default_factory=list)
    rollback: Text | None = None


class WindowChanges(_Request):
    """Fields to change on a runtime window; fields not given stay as they are."""

    title: Text | None = None
    kind: PlannedWorkKind | None = None
    resources: list[str] | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    announced_at: AwareDatetime | None = None
    approved: bool | None = None
    approved_by: Text | None = None
    route: str | None = Field(default=None, description="'' clears it")
    steps: list[Text] | None = None
    rollback: str | None = Field(default=None, description="'' clears it")


R = TypeVar("R", WindowSpec, WindowChanges)


def parse_request(model: type[R], data: dict[str, object]) -> R:
    """Validate a request (CLI options, API body) into ``model``; errors as one readable line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "request"
            parts.append(f"{where}: {err['msg']}")
        raise WindowInvalid("; ".join(parts)) from None


class PlannedWorkService:
    def __init__(self, engine: Engine, index: NetworkIndex, clock: Clock, tz: tzinfo = UTC) -> None:
        """``tz``: the operator's zone, for the date in generated ids."""
        check_ready(engine)
        self.engine = engine
        self.index = index
        self.clock = clock
        self.tz = tz

    # -- reading ---------------------------------------------------------------------------------

    def windows(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        source: PlannedWorkSource | None = None,
        include_cancelled: bool = True,
    ) -> list[PlannedWindow]:
        with self.engine.connect() as conn:
            return load_windows(conn, start=start, end=end, source=source, include_cancelled=include_cancelled)

    def get(self, window_id: str) -> PlannedWindow:
        with self.engine.connect() as conn:
            w = load_window(conn, window_id)
        if w is None:
            raise WindowNotFound(f"no planned work '{window_id}' (`linewatch planned list` shows them)")
        return w

    def calendar(self) -> PlannedCalendar:
        """Every stored window, inventory and runtime, on this service's network."""
        return PlannedCalendar(self.windows(), self.index)

    def check(self, window_id: str) -> WindowCheck:
        calendar = self.calendar()
        if window_id not in calendar.windows:
            raise WindowNotFound(f"no planned work '{window_id}' (`linewatch planned list` shows them)")
        checks = check_windows(calendar, self.index.policy, [calendar.windows[window_id]])
        return checks[0]

    # -- writing ---------------------------------------------------------------------------------

    def create(self, spec: WindowSpec, by: str) -> PlannedWindow:
        now = self.clock.now()
        resources = self._resources(spec.resources, spec.id or "the new window")
        start, end = spec.start.astimezone(UTC), spec.end.astimezone(UTC)
        name = spec.id or "the new window"
        self._times(name, start, end, now)
        if spec.approved and not spec.approved_by:
            raise WindowInvalid(f"{name}: approved needs approved_by (who approved it)")
        window = PlannedWindow(
            id=spec.id or "",
            title=spec.title.strip(),
            kind=spec.kind,
            resources=resources,
            start=start,
            end=end,
            announced_at=(spec.announced_at or now).astimezone(UTC),
            approved=spec.approved,
            approved_by=spec.approved_by if spec.approved else None,
            route=spec.route,
            steps=tuple(spec.steps),
            rollback=spec.rollback,
            source=PlannedWorkSource.runtime,
            revision=1,
            created_at=now,
            created_by=by,
            updated_at=now,
            updated_by=by,
        )
        with begin_exclusive(self.engine, PLANNED_LOCK) as conn:
            if not window.id:
                window = replace(window, id=self._new_id(conn, start.astimezone(self.tz)))
            elif load_window(conn, window.id) is not None:
                raise WindowConflict(f"planned work '{window.id}' already exists: choose another id")
            try:
                insert_window(conn, window)
            except IntegrityError:
                raise WindowConflict(f"planned work '{window.id}' already exists: choose another id") from None
        return window

    def update(
        self, window_id: str, changes: WindowChanges, by: str, expected_revision: int | None = None
    ) -> PlannedWindow:
        now = self.clock.now()
        given = changes.model_fields_set
        with begin_exclusive(self.engine, PLANNED_LOCK) as conn:
            old = load_window(conn, window_id)
            old = self._changeable(window_id, old, now, expected_revision)
            start = changes.start.astimezone(UTC) if changes.start is not None else old.start
            end = changes.end.astimezone(UTC) if changes.end is not None else old.end
            if start != old.start and old.start <= now:
                raise WindowConflict(
                    f"planned work '{window_id}' began at {old.start.isoformat()}: its start cannot move"
                    " (change its end to extend or shorten it, or cancel it)"
                )
            self._times(window_id, start, end, now)
            resources = old.resources
            if changes.resources is not None:
                resources = self._resources(changes.resources, window_id)
            plan_changed = start != old.start or end != old.end or set(resources) != set(old.resources)
            if changes.approved is True:
                approved = True
                approved_by = changes.approved_by or (old.approved_by if old.approved and not plan_changed else None)
            elif changes.approved is False:
                approved, approved_by = False, None
            else:
                approved = old.approved and not plan_changed
                approved_by = (changes.approved_by or old.approved_by) if approved else None
            if approved and not approved_by:
                raise WindowInvalid(f"{window_id}: approved needs approved_by (who approved it)")
            new = replace(
                old,
                title=changes.title.strip() if changes.title is not None else old.title,
                kind=changes.kind or old.kind,
                resources=resources,
                start=start,
                end=end,
                announced_at=changes.announced_at.astimezone(UTC) if changes.announced_at else old.announced_at,
                approved=approved,
                approved_by=approved_by,
                route=_clearable(changes.route, old.route, "route" in given),
                steps=tuple(changes.steps) if changes.steps is not None else old.steps,
                rollback=_clearable(changes.rollback, old.rollback, "rollback" in given),
                revision=old.revision + 1,
                updated_at=now,
                updated_by=by,
            )
            if not replace_window(conn, new, old.revision):
                raise WindowConflict(f"planned work '{window_id}' was changed meanwhile: read it again and retry")
        return new

    def cancel(self, window_id: str, by: str, reason: str, expected_revision: int | None = None) -> PlannedWindow:
        """Cancel a runtime window; one that is running ends now (the work stopped early)."""
        now = self.clock.now()
        if not reason.strip():
            raise WindowInvalid(f"{window_id}: give the reason for cancelling")
        with begin_exclusive(self.engine, PLANNED_LOCK) as conn:
            old = self._changeable(window_id, load_window(conn, window_id), now, expected_revision)
            new = replace(
                old,
                cancelled_at=now,
                cancelled_by=by,
                cancel_reason=reason.strip(),
                revision=old.revision + 1,
                updated_at=now,
                updated_by=by,
            )
            if not replace_window(conn, new, old.revision):
                raise WindowConflict(f"planned work '{window_id}' was changed meanwhile: read it again and retry")
        return new

    # -- checks ----------------------------------------------------------------------------------

    def _changeable(
        self, window_id: str, old: PlannedWindow | None, now: datetime, expected_revision: int | None
    ) -> PlannedWindow:
        if old is None:
            raise WindowNotFound(f"no planned work '{window_id}' (`linewatch planned list` shows them)")
        if old.source is PlannedWorkSource.inventory:
            raise WindowConflict(
                f"planned work '{window_id}' comes from the inventory files: edit it there and run"
                " `linewatch inventory import`"
            )
        if old.cancelled_at is not None:
            raise WindowConflict(
                f"planned work '{window_id}' was cancelled at {old.cancelled_at.isoformat()}: create a new window"
            )
        if old.end <= now:
            raise WindowConflict(f"planned work '{window_id}' ended at {old.end.isoformat()}: it is the record now")
        if expected_revision is not None and expected_revision != old.revision:
            raise WindowConflict(
                f"planned work '{window_id}' is at revision {old.revision}, not {expected_revision}:"
                " it was changed meanwhile; read it again and retry"
            )
        return old

    def _resources(self, given: list[str], name: str) -> tuple[str, ...]:
        keys = []
        for text in given:
            try:
                keys.append(parse_cut(self.index, text))
            except CutError as exc:
                raise WindowInvalid(f"{name}: {exc}".replace("cut '", "resource '")) from None
        return tuple(keys)

    @staticmethod
    def _times(name: str, start: datetime, end: datetime, now: datetime) -> None:
        if end <= start:
            raise WindowInvalid(f"{name}: end {end.isoformat()} must be after start {start.isoformat()}")
        if end <= now:
            raise WindowInvalid(
                f"{name}: the window would be over already (end {end.isoformat()}); planned work is announced ahead"
            )

    @staticmethod
    def _new_id(conn: Connection, start: datetime) -> str:
        prefix = f"PWR-{start:%Y%m%d}-"
        used = set(window_ids(conn, prefix))
        n = 1
        while f"{prefix}{n:03d}" in used:
            n += 1
        return f"{prefix}{n:03d}"


def _clearable(value: str | None, old: str | None, given: bool) -> str | None:
    if not given:
        return old
    if value is None or not value.strip():
        return None
    return value
