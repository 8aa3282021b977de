"""The store's ticket tables, on the same metadata as the inventory (migration ``0004``).

- ``ticket``: one row per ticket; every transition time is a column, ``version`` is bumped by every
  write (optimistic locking between the daemon's ticket book and engineers' CLI/API transitions);
- ``ticket_transition``: every step of every ticket, ``seq`` 1, 2, ... (who, when, from, to, team,
  note, cause), never rewritten;
- ``ticket_clock_event``: the warnings and breaches emitted, once per (ticket, clock, kind, due time),
  so a restart does not emit them again;
- ``ticket_suppression``: the faults that opened no ticket because announced planned work covered the
  incident's root (and the ticket opened if the fault outlasted the window).

No foreign key to the inventory or to the incidents: a ticket may be opened from a customer report
(no incident), and its record outlives the circuit's presence in the inventory.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from correlator.domain import Area, CustomerTier, MaintenanceLevel, ServiceLevel, TicketCause, TicketKind
from correlator.store.coltypes import str_enum
from correlator.store.schema import Base
from correlator.tickets.model import ClockName, ClockSignalKind, TicketAction, TicketState

TICKET_ID_LENGTH = 128
"""``TK-20261201T020000Z-`` plus a circuit id of up to 64 characters, plus a collision suffix."""
INCIDENT_ID_LENGTH = 64
ID_LENGTH = 64


class TicketRow(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        Index(None, "circuit_id", "opened_at"),
        Index(None, "state", "priority"),
    )

    id: Mapped[str] = mapped_column(String(TICKET_ID_LENGTH), primary_key=True)
    incident_id: Mapped[str | None] = mapped_column(String(INCIDENT_ID_LENGTH), index=True)
    circuit_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    customer_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    kind: Mapped[TicketKind] = mapped_column(str_enum(TicketKind))
    state: Mapped[TicketState] = mapped_column(str_enum(TicketState))
    priority: Mapped[int] = mapped_column(Integer)
    tier: Mapped[CustomerTier] = mapped_column(str_enum(CustomerTier))
    maintenance_level: Mapped[MaintenanceLevel] = mapped_column(str_enum(MaintenanceLevel))
    service_level: Mapped[ServiceLevel] = mapped_column(str_enum(ServiceLevel))
    heavy_penalty: Mapped[bool] = mapped_column(Boolean)
    root_key: Mapped[str | None] = mapped_column(Text)
    product: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    area: Mapped[Area] = mapped_column(str_enum(Area))
    detected_at: Mapped[datetime | None]
    customer_reported_at: Mapped[datetime | None]
    known_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    protection_lost_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    restored_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    team: Mapped[str | None] = mapped_column(Text)
    restore_limit_minutes: Mapped[int] = mapped_column(Integer)
    restore_due_at: Mapped[datetime] = mapped_column(index=True)
    cause: Mapped[TicketCause | None] = mapped_column(str_enum(TicketCause))
    planned_work_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    reopened_count: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime | None]


class TicketTransitionRow(Base):
    __tablename__ = "ticket_transition"

    ticket_id: Mapped[str] = mapped_column(String(TICKET_ID_LENGTH), ForeignKey("ticket.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    action: Mapped[TicketAction] = mapped_column(str_enum(TicketAction))
    from_state: Mapped[TicketState | None] = mapped_column(str_enum(TicketState))
    to_state: Mapped[TicketState] = mapped_column(str_enum(TicketState))
    actor: Mapped[str] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[TicketCause | None] = mapped_column(str_enum(TicketCause))
    incident_id: Mapped[str | None] = mapped_column(String(INCIDENT_ID_LENGTH))


class TicketClockEventRow(Base):
    __tablename__ = "ticket_clock_event"

    ticket_id: Mapped[str] = mapped_column(String(TICKET_ID_LENGTH), ForeignKey("ticket.id"), primary_key=True)
    clock: Mapped[ClockName] = mapped_column(str_enum(ClockName), primary_key=True)
    kind: Mapped[ClockSignalKind] = mapped_column(str_enum(ClockSignalKind), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    emitted_at: Mapped[datetime]


class TicketSuppressionRow(Base):
    __tablename__ = "ticket_suppression"

    incident_id: Mapped[str] = mapped_column(String(INCIDENT_ID_LENGTH), primary_key=True)
    circuit_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, index=True)
    root_key: Mapped[str] = mapped_column(Text)
    status: Mapped[TicketKind] = mapped_column(str_enum(TicketKind))
    planned_work_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    fault_start: Mapped[datetime]
    decided_at: Mapped[datetime]
    ticket_id: Mapped[str | None] = mapped_column(String(TICKET_ID_LENGTH))


TICKET_TABLES: tuple[str, ...] = ("ticket", "ticket_transition", "ticket_clock_event", "ticket_suppression")
