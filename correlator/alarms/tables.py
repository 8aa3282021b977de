"""The store's alarm tables, on the same metadata as the inventory (migration ``0002``).

- ``alarm``: one row per reduction key, every :class:`~correlator.alarms.model.Alarm` field plus
  the alarm's kept history (``timeline``, JSON) so a restart resumes exactly;
- ``alarm_event``: the raw event log, append-only, one row per event id (a redelivered event is
  not stored twice), so replays and audits can be rebuilt from it;
- ``alarm_orphan_clear``: clears still waiting for their raise (rows leave when paired or expired).

No foreign key to the inventory: an alarm on an unknown element is kept, and ``ref`` names the
inventory resource as a ``kind:id`` string. Keys and free text are ``TEXT``: the wire format does
not bound them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from correlator.alarms.model import AlarmState
from correlator.store.coltypes import str_enum
from correlator.store.schema import Base, JsonList
from correlator.wire import Action, ResourceType, Severity, Source

EVENT_ID_LENGTH = 64
"""``AlarmEvent.event_id`` is at most 64 characters."""


class AlarmRow(Base):
    __tablename__ = "alarm"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    device: Mapped[str] = mapped_column(Text, index=True)
    resource_type: Mapped[ResourceType] = mapped_column(str_enum(ResourceType))
    resource_id: Mapped[str] = mapped_column(Text)
    if_index: Mapped[int | None] = mapped_column(Integer)
    alarm_type: Mapped[str] = mapped_column(Text)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    layer: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[AlarmState] = mapped_column(str_enum(AlarmState), index=True)
    condition: Mapped[AlarmState] = mapped_column(str_enum(AlarmState))
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)
    changes: Mapped[int] = mapped_column(Integer)
    sources: Mapped[list[str]] = mapped_column(JsonList)
    last_event_id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH))
    ref: Mapped[str | None] = mapped_column(Text, index=True)
    flapping_since: Mapped[datetime | None]
    last_change_at: Mapped[datetime | None]
    detail: Mapped[str] = mapped_column(Text)
    unknown_type: Mapped[bool] = mapped_column(Boolean)
    timeline: Mapped[dict[str, Any]] = mapped_column(JsonList)


class AlarmEventRow(Base):
    __tablename__ = "alarm_event"

    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(Text, index=True)
    action: Mapped[Action] = mapped_column(str_enum(Action))
    device: Mapped[str] = mapped_column(Text)
    resource_type: Mapped[ResourceType] = mapped_column(str_enum(ResourceType))
    resource_id: Mapped[str] = mapped_column(Text)
    if_index: Mapped[int | None] = mapped_column(Integer)
    alarm_type: Mapped[str] = mapped_column(Text)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    layer: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    observed_at: Mapped[datetime]
    source: Mapped[Source] = mapped_column(str_enum(Source))
    agent: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(index=True)
    """The correlator's clock when the event was taken in."""


class AlarmOrphanClearRow(Base):
    __tablename__ = "alarm_orphan_clear"

    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH), ForeignKey("alarm_event.event_id"), primary_key=True)
    key: Mapped[str] = mapped_column(Text, index=True)
    clear_at: Mapped[datetime]
    arrived_at: Mapped[datetime]
    source: Mapped[Source] = mapped_column(str_enum(Source))


ALARM_TABLES: tuple[str, ...] = ("alarm", "alarm_event", "alarm_orphan_clear")
