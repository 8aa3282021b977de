"""``/api/v1/planned-work``: announced planned-work windows (割接); create, update, cancel (operator).

Writes go through :class:`correlator.planned.service.PlannedWorkService`: windows from the
inventory files are read-only here (edit the files and re-import), runtime windows are never
deleted, only cancelled, and a change carries the revision it was made from (``expected_revision``)
so two operators never overwrite each other. Every answer carries the window's check against the
operator's rules (notice, approval, overlapping windows) and the circuits it takes.
"""

# No ``from __future__ import annotations`` here: FastAPI resolves the route closures' annotations
# (``Depends(operator)`` names a local) when the routes are declared.

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, Field

from correlator.api import models as m
from correlator.api.auth import Principal
from correlator.api.context import ApiContext
from correlator.api.errors import ApiError, not_found, validation_error
from correlator.api.settings import Role
from correlator.diversity.whatif import CutError, parse_cut
from correlator.domain import PlannedWorkSource
from correlator.planned.checks import WindowCheck, check_windows
from correlator.planned.model import PlannedWindow
from correlator.planned.service import (
    PlannedWorkError,
    PlannedWorkService,
    WindowChanges,
    WindowConflict,
    WindowInvalid,
    WindowNotFound,
    WindowSpec,
)


class WindowUpdate(WindowChanges):
    """The fields to change (others stay), and the revision the change was made from."""

    expected_revision: int | None = Field(
        default=None, ge=1, description="the revision read before the change: refused if the window changed meanwhile"
    )


def window_doc(ctx: ApiContext, check: WindowCheck) -> m.PlannedWorkOut:
    p = ctx.presenter
    w = check.window
    return m.PlannedWorkOut(
        id=w.id,
        title=w.title,
        kind=w.kind.value,
        source=w.source.value,
        state=w.state,
        resources=list(w.resources),
        start=p.local(w.start),
        end=p.local(w.end),
        announced_at=p.local(w.announced_at),
        notice_hours=round(w.notice.total_seconds() / 3600, 2),
        duration_hours=round(w.duration.total_seconds() / 3600, 2),
        approved=w.approved,
        approved_by=w.approved_by,
        route=w.route,
        steps=list(w.steps),
        rollback=w.rollback,
        revision=w.revision,
        created_at=p.opt(w.created_at),
        created_by=w.created_by,
        updated_at=p.opt(w.updated_at),
        updated_by=w.updated_by,
        cancelled_at=p.opt(w.cancelled_at),
        cancelled_by=w.cancelled_by,
        cancel_reason=w.cancel_reason,
        takes_service=[i.circuit for i in check.impact.lose_service],
        takes_protection=[i.circuit for i in check.impact.lose_protection],
        findings=[
            m.PlannedFindingOut(
                rule=f.rule.value,
                message=f.message,
                circuits=list(f.circuits),
                customers=list(f.customers),
                other_window=f.other_window,
            )
            for f in check.findings
        ],
    )


def _service(ctx: ApiContext) -> PlannedWorkService:
    return PlannedWorkService(ctx.engine, ctx.index, ctx.clock)


def _checked(ctx: ApiContext, service: PlannedWorkService, windows: list[PlannedWindow]) -> list[m.PlannedWorkOut]:
    calendar = service.calendar()
    wanted = [calendar.windows[w.id] for w in windows if w.id in calendar.windows]
    return [window_doc(ctx, c) for c in check_windows(calendar, ctx.config.policy, wanted)]


def _check_resources(ctx: ApiContext, resources: list[str] | None) -> None:
    """Each resource must name something in the inventory; the 422 names which one."""
    for i, text in enumerate(resources or []):
        try:
            parse_cut(ctx.index, text)
        except CutError as exc:
            problem = str(exc).replace("cut '", "resource '")
            raise validation_error(
                f"body.resources[{i}]", problem, "use KIND:ID of the inventory, e.g. duct:D-036"
            ) from None


def _check_times(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise validation_error("body.end", "must be after start", "give an end later than start")


def _check_approval(approved: bool | None, approved_by: str | None) -> None:
    if approved is True and not approved_by:
        raise validation_error("body.approved_by", "approved needs who approved it", "give approved_by")


def _refused(exc: PlannedWorkError) -> ApiError:
    text = str(exc)
    if isinstance(exc, WindowInvalid):
        field = "body"
        for name in ("approved_by", "resources", "reason", "end", "start"):
            if name in text or (name == "resources" and "resource" in text):
                field = f"body.{name}"
                break
        return validation_error(field, text, f"correct {field.removeprefix('body.') or 'the request'}")
    if isinstance(exc, WindowConflict):
        return ApiError(409, text, "read the window again (GET /api/v1/planned-work/{id}) and retry")
    return ApiError(409, text, "see the message")


def router(ctx: ApiContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["planned work"], dependencies=[Depends(ctx.auth.require(Role.read_only))])
    operator = ctx.auth.require(Role.operator)
    writes: dict[Any, Any] = {
        401: {"model": m.ErrorOut},
        403: {"model": m.ErrorOut},
        409: {"model": m.ErrorOut, "description": "the window cannot change (inventory-owned, over, cancelled, stale)"},
        422: {"model": m.ValidationErrorOut},
    }

    def announce(w: PlannedWindow, change: str) -> None:
        ctx.broadcaster.publish("planned_work", {"change": change, "id": w.id})

    @r.get("/planned-work", response_model=m.PlannedWorkList, summary="Planned-work windows, by start")
    def list_windows(
        start: Annotated[AwareDatetime | None, Query(description="windows ending after this time")] = None,
        end: Annotated[AwareDatetime | None, Query(description="windows starting before this time")] = None,
        source: Annotated[PlannedWorkSource | None, Query()] = None,
        state: Annotated[Literal["planned", "cancelled", "cut_short"] | None, Query()] = None,
    ) -> m.PlannedWorkList:
        service = _service(ctx)
        windows = service.windows(start=start, end=end, source=source)
        if state is not None:
            windows = [w for w in windows if w.state == state]
        windows.sort(key=lambda w: (w.start, w.id))
        docs = _checked(ctx, service, windows)
        return m.PlannedWorkList(windows=docs, total=len(docs))

    @r.get(
        "/planned-work/{window_id}",
        response_model=m.PlannedWorkOut,
        summary="One window with its check: circuits it takes, rules it breaks",
        responses={404: {"model": m.ErrorOut}},
    )
    def get_window(window_id: str) -> m.PlannedWorkOut:
        service = _service(ctx)
        try:
            w = service.get(window_id)
        except WindowNotFound:
            raise not_found("planned work", window_id, "/api/v1/planned-work") from None
        return _checked(ctx, service, [w])[0]

    @r.post(
        "/planned-work",
        response_model=m.PlannedWorkOut,
        status_code=201,
        summary="Announce a planned-work window (operator role)",
        responses=writes,
    )
    def create_window(body: WindowSpec, who: Annotated[Principal, Depends(operator)]) -> m.PlannedWorkOut:
        _check_times(body.start, body.end)
        _check_resources(ctx, body.resources)
        _check_approval(body.approved, body.approved_by)
        service = _service(ctx)
        try:
            w = service.create(body, by=who.actor)
        except PlannedWorkError as exc:
            raise _refused(exc) from None
        announce(w, "created")
        return _checked(ctx, service, [w])[0]

    @r.patch(
        "/planned-work/{window_id}",
        response_model=m.PlannedWorkOut,
        summary="Change a runtime window: only the fields given change (operator role)",
        responses={404: {"model": m.ErrorOut}, **writes},
    )
    def update_window(
        window_id: str, body: WindowUpdate, who: Annotated[Principal, Depends(operator)]
    ) -> m.PlannedWorkOut:
        _check_times(body.start, body.end)
        _check_resources(ctx, body.resources)
        _check_approval(body.approved, body.approved_by)
        given = body.model_dump(exclude_unset=True, exclude={"expected_revision"})
        changes = WindowChanges.model_validate(given)
        service = _service(ctx)
        try:
            w = service.update(window_id, changes, by=who.actor, expected_revision=body.expected_revision)
        except WindowNotFound:
            raise not_found("planned work", window_id, "/api/v1/planned-work") from None
        except PlannedWorkError as exc:
            raise _refused(exc) from None
        announce(w, "updated")
        return _checked(ctx, service, [w])[0]

    @r.post(
        "/planned-work/{window_id}/cancel",
        response_model=m.PlannedWorkOut,
        summary="Cancel a runtime window; one already running ends now (operator role)",
        responses={404: {"model": m.ErrorOut}, **writes},
    )
    def cancel_window(
        window_id: str, body: m.CancelIn, who: Annotated[Principal, Depends(operator)]
    ) -> m.PlannedWorkOut:
        if not body.reason.strip():
            raise validation_error("body.reason", "is blank", "say why the work is cancelled")
        service = _service(ctx)
        try:
            w = service.cancel(window_id, by=who.actor, reason=body.reason, expected_revision=body.expected_revision)
        except WindowNotFound:
            raise not_found("planned work", window_id, "/api/v1/planned-work") from None
        except PlannedWorkError as exc:
            raise _refused(exc) from None
        announce(w, "cancelled")
        return _checked(ctx, service, [w])[0]

    return r
