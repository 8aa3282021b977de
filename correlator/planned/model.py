"""A planned-work window as the calendar, the checks and availability read it.

One shape for both kinds of window: the ones written in the inventory files
(:class:`correlator.inventory.model.PlannedWork`, imported into the store) and the ones created at
run time through :class:`~correlator.planned.service.PlannedWorkService`. Times are aware UTC.

When a window covers: from ``start`` (or from ``announced_at``, if the announcement came later) to
``end``; a window cancelled before its start covers nothing, one cancelled while it runs ends at the
cancellation. An alarm raised before the window was announced is never covered by it: announced
planned work is not an unplanned outage, unannounced work is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from correlator.domain import PlannedWorkKind, PlannedWorkSource
from correlator.inventory.model import PlannedWork


@dataclass(frozen=True, slots=True)
class PlannedWindowRef:
    """What a lookup returns: the window and the span in which it covers."""

    id: str
    start: datetime
    end: datetime
    title: str = ""


@dataclass(frozen=True)
class PlannedWindow:
    id: str
    title: str
    kind: PlannedWorkKind
    resources: tuple[str, ...]
    """``kind:id`` keys as the correlator names resources (``duct:D-036``, ``port:NE-3:1/0/1``)."""
    start: datetime
    end: datetime
    announced_at: datetime
    approved: bool = False
    approved_by: str | None = None
    route: str | None = None
    steps: tuple[str, ...] = ()
    rollback: str | None = None
    source: PlannedWorkSource = PlannedWorkSource.inventory
    revision: int = 1
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None

    @classmethod
    def from_inventory(cls, work: PlannedWork) -> PlannedWindow:
        return cls(
            id=work.id,
            title=work.title,
            kind=work.kind,
            resources=tuple(work.resources),
            start=work.start.astimezone(UTC),
            end=work.end.astimezone(UTC),
            announced_at=work.announced_at.astimezone(UTC),
            approved=work.approved,
            approved_by=work.approved_by,
            route=work.route,
            steps=tuple(work.steps),
            rollback=work.rollback,
        )

    # -- derived ---------------------------------------------------------------------------

    @property
    def duration(self) -> timedelta:
        """As planned (a cancellation does not shorten it)."""
        return self.end - self.start

    @property
    def notice(self) -> timedelta:
        """How far ahead it was announced (negative: announced after it began)."""
        return self.start - self.announced_at

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def state(self) -> str:
        """``cancelled`` (before it began), ``cut_short`` (cancelled while running), or ``planned``."""
        if self.cancelled_at is None:
            return "planned"
        return "cancelled" if self.cancelled_at <= self.start else "cut_short"

    def cover_span(self) -> tuple[datetime, datetime] | None:
        """The span in which the window covers its resources; None if it covers nothing."""
        start = max(self.start, self.announced_at)
        end = self.end if self.cancelled_at is None else min(self.end, self.cancelled_at)
        return (start, end) if end > start else None

    def covers_at(self, at: datetime) -> bool:
        span = self.cover_span()
        return span is not None and span[0] <= at < span[1]

    def ref(self) -> PlannedWindowRef | None:
        span = self.cover_span()
        return None if span is None else PlannedWindowRef(self.id, span[0], span[1], self.title)

    def phase(self, now: datetime) -> str:
        """``upcoming``, ``running``, ``over``, ``cancelled`` at ``now``."""
        if self.cancelled_at is not None and self.cancelled_at <= now:
            return "cancelled" if self.cancelled_at <= self.start else "over"
        if now < self.start:
            return "upcoming"
        return "running" if now < self.end else "over"
