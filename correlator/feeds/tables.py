"""The store's feed tables, on the same metadata as the inventory (migration ``0006``).

- ``feed_event``: the durable outbox. One row per feed event; ``id`` is the event's sequence number
  (``AUTOINCREMENT`` on SQLite, an identity on PostgreSQL: never reused, even after a purge), the
  payload is the JSON ``data`` of the event.
- ``feed_delivery``: per destination and event, the delivery state: ``pending`` (with ``attempts``,
  ``next_attempt_at`` and the last error, never a secret), ``delivered`` (``delivered_at``) or
  ``dead`` (dead-lettered: kept, shown, re-queueable; never silently dropped).
- ``feed_alert``: per Alertmanager destination, the alerts it should hold: labels, annotations,
  ``starts_at``, ``ends_at`` (set once resolved) and when they were last pushed. A resolved alert
  stays until its resolution has been pushed and ``resolved_retention_s`` has passed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from correlator.store.coltypes import str_enum
from correlator.store.schema import Base, JsonList

DESTINATION_LENGTH = 64
KIND_LENGTH = 64
SUBJECT_LENGTH = 128
ALERT_KEY_LENGTH = 255


class DeliveryState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"


class FeedEventRow(Base):
    __tablename__ = "feed_event"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's declarative attribute

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(DESTINATION_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonList)


class FeedDeliveryRow(Base):
    __tablename__ = "feed_delivery"
    __table_args__ = (Index(None, "destination", "state", "event_id"),)

    destination: Mapped[str] = mapped_column(String(DESTINATION_LENGTH), primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, ForeignKey("feed_event.id"), primary_key=True, index=True)
    state: Mapped[DeliveryState] = mapped_column(str_enum(DeliveryState))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    """The HTTP status of the last attempt (None: no answer)."""
    last_error: Mapped[str | None] = mapped_column(Text)


class FeedAlertRow(Base):
    __tablename__ = "feed_alert"

    destination: Mapped[str] = mapped_column(String(DESTINATION_LENGTH), primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(ALERT_KEY_LENGTH), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(SUBJECT_LENGTH), index=True)
    labels: Mapped[dict[str, str]] = mapped_column(JsonList)
    annotations: Mapped[dict[str, str]] = mapped_column(JsonList)
    generator_url: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    pushed_at: Mapped[datetime | None]
    """When the alert as it stands (``updated_at``) was last accepted by the Alertmanager."""


FEED_TABLES: tuple[str, ...] = ("feed_event", "feed_delivery", "feed_alert")
