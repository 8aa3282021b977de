"""The alarm book's public records: an alarm (one reduction key), its state, and the changes the
book reports downstream."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from correlator.wire import Resource, Severity, Source

AlarmKind = Literal["defect", "indication", "state", "meta"]
"""From the alarm-type table (``config/alarm_types.yaml``)."""

KINDS: tuple[AlarmKind, ...] = ("defect", "indication", "state", "meta")

UNKNOWN_TYPE_KIND: AlarmKind = "defect"
"""Kind given to an alarm type missing from the table: kept and treated as a defect on its resource
(a possible root cause, so it is seen), never dropped. The book counts such alarms."""


class AlarmState(StrEnum):
    active = "active"
    cleared = "cleared"
    flapping = "flapping"
    """Too many state changes in the flap window: one standing problem until the hold-down ends."""


@dataclass(slots=True)
class Alarm:
    """One alarm: every raise and clear of one reduction key (device + resource + alarm type).

    Times named ``*_at`` and ``first_seen``/``last_seen`` are event times (the agents'), never the
    correlator's clock. Objects returned by :class:`~correlator.alarms.book.AlarmBook` are the
    book's own and change as events arrive: treat them as read-only; an
    :class:`AlarmChange` carries a snapshot copy.
    """

    key: str
    device: str
    resource: Resource
    alarm_type: str
    severity: Severity
    layer: str
    kind: AlarmKind
    state: AlarmState
    raised_at: datetime
    """Start of the current condition (or of the last one, once cleared)."""
    cleared_at: datetime | None
    """End of the last condition; None while it is active."""
    first_seen: datetime
    """Earliest ``observed_at`` of the alarm's events."""
    last_seen: datetime
    """Latest ``observed_at`` of the alarm's events."""
    count: int
    """Raise events merged into the alarm, duplicates included (a redelivered event id is not counted)."""
    changes: int
    """State changes (raise->clear and clear->raise) in the alarm's history."""
    sources: set[Source]
    last_event_id: str
    ref: str | None
    """The inventory resource (``kind:id``, see :mod:`correlator.alarms.resolve`); None = unmapped."""
    condition: AlarmState = AlarmState.active
    """The condition itself, active or cleared: the same as ``state`` except while flapping."""
    flapping_since: datetime | None = None
    """While flapping: the time of the first state change of the flapping episode."""
    last_change_at: datetime | None = None
    """Event time of the latest state change."""
    detail: str = ""
    """Free text of the latest raise."""
    unknown_type: bool = False
    """The alarm type is not in the alarm-type table (kind is then :data:`UNKNOWN_TYPE_KIND`)."""

    @property
    def is_standing(self) -> bool:
        """Active or flapping: a problem now."""
        return self.state is not AlarmState.cleared

    def snapshot(self) -> Alarm:
        """A copy that later events do not change (written out: ``copy.copy`` is 30x slower)."""
        return Alarm(
            self.key,
            self.device,
            self.resource,
            self.alarm_type,
            self.severity,
            self.layer,
            self.kind,
            self.state,
            self.raised_at,
            self.cleared_at,
            self.first_seen,
            self.last_seen,
            self.count,
            self.changes,
            set(self.sources),
            self.last_event_id,
            self.ref,
            self.condition,
            self.flapping_since,
            self.last_change_at,
            self.detail,
            self.unknown_type,
        )


class AlarmChangeKind(StrEnum):
    raised = "raised"
    cleared = "cleared"
    flapping_started = "flapping_started"
    flapping_ended = "flapping_ended"
    """The alarm is ``active`` or ``cleared`` again, whichever its condition is now."""
    updated = "updated"
    """Same state, but its times, severity or resource mapping changed."""


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """What the book reports downstream. ``at`` is an event time: the raise or clear time, the
    state change that started flapping, or the moment the hold-down expired."""

    kind: AlarmChangeKind
    alarm: Alarm
    at: datetime


@dataclass(frozen=True, slots=True)
class BookStats:
    """Counters of the book since it was created (not persisted)."""

    events: int = 0
    """Events taken in (redeliveries excluded)."""
    redelivered: int = 0
    """Events dropped because their event id had been seen."""
    duplicate_raises: int = 0
    """Raises of an alarm already active (merged)."""
    orphan_clears: int = 0
    """Clears that came before any raise of their alarm."""
    orphan_clears_expired: int = 0
    stale_events: int = 0
    """Events older than the alarm's kept history (``reorder_window_s``): counted, state unchanged."""
    evicted: int = 0
    """Cleared alarms dropped from memory after ``cleared_retention_s``."""
    alarms: int = 0
    unmapped: int = 0
    """Alarms in the book whose resource is not in the inventory."""
    unknown_types: int = 0
    """Alarms in the book whose type is not in the alarm-type table."""
    by_kind: dict[str, int] = field(default_factory=dict)
