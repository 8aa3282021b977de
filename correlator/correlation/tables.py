"""The store's incident tables, on the same metadata as the inventory (migration ``0003``).

- ``incident``: one row per incident (root cause, state, times, evidence alarm keys);
- ``incident_symptom``: its symptom alarms and the rule that made each one a symptom;
- ``incident_circuit``: the circuits it hurts, with the labels that rank them and the status;
- ``impact_history``: (circuit, status, from, to, incident) intervals, the record availability is
  computed from; an open interval has no ``to_at``. Intervals of a merged incident move to the
  incident it was merged into.

No foreign key to the inventory or the alarm tables: a circuit or alarm may leave the inventory (or
the book) while the record of what it suffered stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from correlator.correlation.model import ImpactStatus, IncidentState
from correlator.domain import CustomerTier, MaintenanceLevel, ServiceLevel
from correlator.store.coltypes import str_enum
from correlator.store.schema import Base, JsonList

INCIDENT_ID_LENGTH = 64
INTERVAL_ID_LENGTH = 96
CIRCUIT_ID_LENGTH = 64


class IncidentRow(Base):
    __tablename__ = "incident"
    __table_args__ = (Index(None, "root_kind", "root_id"),)

    id: Mapped[str] = mapped_column(String(INCIDENT_ID_LENGTH), primary_key=True)
    root_kind: Mapped[str] = mapped_column(String(32))
    root_id: Mapped[str] = mapped_column(Text)
    root_rule: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JsonList)
    state: Mapped[IncidentState] = mapped_column(str_enum(IncidentState), index=True)
    started_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    settle_until: Mapped[datetime]
    updated_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    merged_into: Mapped[str | None] = mapped_column(String(INCIDENT_ID_LENGTH))
    was_open: Mapped[bool] = mapped_column(Boolean)
    flapping: Mapped[bool] = mapped_column(Boolean)
    interval_seq: Mapped[int] = mapped_column(Integer)


class IncidentSymptomRow(Base):
    __tablename__ = "incident_symptom"

    incident_id: Mapped[str] = mapped_column(String(INCIDENT_ID_LENGTH), ForeignKey("incident.id"), primary_key=True)
    alarm_key: Mapped[str] = mapped_column(Text, primary_key=True)
    rule: Mapped[str] = mapped_column(Text)
    parent: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    """False once the alarm has cleared (the incident keeps the record)."""


class IncidentCircuitRow(Base):
    __tablename__ = "incident_circuit"

    incident_id: Mapped[str] = mapped_column(String(INCIDENT_ID_LENGTH), ForeignKey("incident.id"), primary_key=True)
    circuit_id: Mapped[str] = mapped_column(String(CIRCUIT_ID_LENGTH), primary_key=True, index=True)
    customer_id: Mapped[str] = mapped_column(String(CIRCUIT_ID_LENGTH))
    tier: Mapped[CustomerTier] = mapped_column(str_enum(CustomerTier))
    maintenance_level: Mapped[MaintenanceLevel] = mapped_column(str_enum(MaintenanceLevel))
    service_level: Mapped[ServiceLevel] = mapped_column(str_enum(ServiceLevel))
    status: Mapped[ImpactStatus] = mapped_column(str_enum(ImpactStatus))
    since: Mapped[datetime]
    status_since: Mapped[datetime]
    until: Mapped[datetime | None]
    paths_down: Mapped[list[str]] = mapped_column(JsonList)


class ImpactHistoryRow(Base):
    __tablename__ = "impact_history"
    __table_args__ = (Index(None, "circuit_id", "from_at"),)

    id: Mapped[str] = mapped_column(String(INTERVAL_ID_LENGTH), primary_key=True)
    circuit_id: Mapped[str] = mapped_column(String(CIRCUIT_ID_LENGTH))
    status: Mapped[ImpactStatus] = mapped_column(str_enum(ImpactStatus))
    from_at: Mapped[datetime]
    to_at: Mapped[datetime | None]
    incident_id: Mapped[str] = mapped_column(String(INCIDENT_ID_LENGTH), ForeignKey("incident.id"), index=True)


INCIDENT_TABLES: tuple[str, ...] = ("incident", "incident_symptom", "incident_circuit", "impact_history")
