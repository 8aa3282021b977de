"""Incidents in the store: write what changed, load the open ones back after a restart.

:meth:`IncidentRepository.save` writes the :class:`~correlator.correlation.model.IncidentChange`
list of one ``ingest``/``tick`` in one transaction: each changed incident's row (upserted), and only
the symptoms, impacted circuits and impact intervals the changes name (upserted or deleted), so a
storm costs rows per change, not per incident size. :func:`save_changes_in` writes inside a caller's
transaction (with :func:`correlator.alarms.store.save_in`, alarms and incidents commit together).
:meth:`IncidentRepository.load_active` returns every incident that is not final, complete with its
symptoms, circuits and history, for :class:`~correlator.correlation.engine.Correlator` to resume.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, delete, select, tuple_

from correlator.correlation.model import (
    ImpactedCircuit,
    ImpactInterval,
    ImpactStatus,
    Incident,
    IncidentChange,
    IncidentState,
    RootCause,
    Symptom,
)
from correlator.correlation.tables import ImpactHistoryRow, IncidentCircuitRow, IncidentRow, IncidentSymptomRow
from correlator.domain import CustomerTier, MaintenanceLevel, ServiceLevel
from correlator.store.db import check_ready
from correlator.store.upsert import upsert as _upsert

INCIDENT = cast(Table, IncidentRow.__table__)
SYMPTOM = cast(Table, IncidentSymptomRow.__table__)
CIRCUIT = cast(Table, IncidentCircuitRow.__table__)
HISTORY = cast(Table, ImpactHistoryRow.__table__)

BATCH = 1000
ACTIVE_STATES = (IncidentState.settling.value, IncidentState.open.value, IncidentState.cleared.value)


# -- rows ------------------------------------------------------------------------------------------


def incident_row(inc: Incident) -> dict[str, Any]:
    return {
        "id": inc.id,
        "root_kind": inc.root.kind,
        "root_id": inc.root.id,
        "root_rule": inc.root.rule,
        "evidence": list(inc.root.evidence),
        "state": inc.state,
        "started_at": inc.started_at,
        "opened_at": inc.opened_at,
        "settle_until": inc.settle_until,
        "updated_at": inc.updated_at,
        "cleared_at": inc.cleared_at,
        "closed_at": inc.closed_at,
        "merged_into": inc.merged_into,
        "was_open": inc.was_open,
        "flapping": inc.flapping,
        "interval_seq": inc.interval_seq,
    }


def circuit_row(inc_id: str, c: ImpactedCircuit) -> dict[str, Any]:
    return {
        "incident_id": inc_id,
        "circuit_id": c.circuit,
        "customer_id": c.customer,
        "tier": c.tier,
        "maintenance_level": c.maintenance_level,
        "service_level": c.service_level,
        "status": c.status,
        "since": c.since,
        "status_since": c.status_since,
        "until": c.until,
        "paths_down": list(c.paths_down),
    }


def interval_row(iv: ImpactInterval) -> dict[str, Any]:
    return {
        "id": iv.id,
        "circuit_id": iv.circuit,
        "status": iv.status,
        "from_at": iv.start,
        "to_at": iv.end,
        "incident_id": iv.incident,
    }


# -- writing ---------------------------------------------------------------------------------------


def save_changes_in(connection: Connection, changes: Iterable[IncidentChange]) -> None:
    """Write ``changes`` inside the caller's transaction on ``connection``."""
    changes = list(changes)
    if not changes:
        return
    incidents: dict[str, Incident] = {}
    for ch in changes:
        incidents[ch.incident.id] = ch.incident
    _upsert(connection, INCIDENT, ["id"], [incident_row(incidents[i]) for i in sorted(incidents)])
    sym_del: set[tuple[str, str]] = set()
    sym_put: dict[tuple[str, str], dict[str, Any]] = {}
    circuits: dict[tuple[str, str], dict[str, Any]] = {}
    intervals: dict[str, dict[str, Any]] = {}
    for ch in changes:
        inc = ch.incident
        for key in ch.symptoms_removed:
            sym_del.add((inc.id, key))
            sym_put.pop((inc.id, key), None)
        for key in ch.symptoms_added:
            sym = inc.symptoms.get(key)
            if sym is not None:
                sym_put[(inc.id, key)] = {
                    "incident_id": inc.id,
                    "alarm_key": key,
                    "rule": sym.rule,
                    "parent": sym.parent,
                    "active": sym.active,
                }
                sym_del.discard((inc.id, key))
        for cid in ch.circuits_changed:
            c = inc.circuits.get(cid)
            if c is not None:
                circuits[(inc.id, cid)] = circuit_row(inc.id, c)
        if ch.intervals_changed:
            wanted = set(ch.intervals_changed)
            for iv in inc.history:
                if iv.id in wanted:
                    intervals[iv.id] = interval_row(iv)
    dels = sorted(sym_del)
    for i in range(0, len(dels), BATCH):
        chunk = dels[i : i + BATCH]
        connection.execute(delete(SYMPTOM).where(tuple_(SYMPTOM.c.incident_id, SYMPTOM.c.alarm_key).in_(chunk)))
    _upsert(connection, SYMPTOM, ["incident_id", "alarm_key"], [sym_put[k] for k in sorted(sym_put)])
    _upsert(connection, CIRCUIT, ["incident_id", "circuit_id"], [circuits[k] for k in sorted(circuits)])
    _upsert(connection, HISTORY, ["id"], [intervals[k] for k in sorted(intervals)])


class IncidentRepository:
    """The incident tables of one store (migrated to head: raises StoreNotReady naming the fix otherwise)."""

    def __init__(self, engine: Engine) -> None:
        check_ready(engine)
        self.engine = engine

    def save(self, changes: Iterable[IncidentChange]) -> None:
        """Write the changes in one transaction (nothing if it fails)."""
        changes = list(changes)
        if not changes:
            return
        with self.engine.begin() as connection:
            save_changes_in(connection, changes)

    def load_active(self) -> list[Incident]:
        """Every incident not final (settling, open, cleared), complete, by id."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(INCIDENT).where(INCIDENT.c.state.in_(ACTIVE_STATES)).order_by(INCIDENT.c.id)
            ).all()
            return self._complete(connection, [_incident_of(r) for r in rows])

    def load(self, incident_id: str) -> Incident | None:
        """One incident, whatever its state."""
        with self.engine.connect() as connection:
            row = connection.execute(select(INCIDENT).where(INCIDENT.c.id == incident_id)).first()
            if row is None:
                return None
            return self._complete(connection, [_incident_of(row)])[0]

    def intervals(self, circuit: str | None = None, status: ImpactStatus | None = None) -> list[ImpactInterval]:
        """The impact history (of one circuit, of one status), in time order."""
        query = select(HISTORY).order_by(HISTORY.c.circuit_id, HISTORY.c.from_at, HISTORY.c.id)
        conds = []
        if circuit is not None:
            conds.append(HISTORY.c.circuit_id == circuit)
        if status is not None:
            conds.append(HISTORY.c.status == status.value)
        if conds:
            query = query.where(and_(*conds))
        with self.engine.connect() as connection:
            return [_interval_of(r) for r in connection.execute(query)]

    def _complete(self, connection: Connection, incidents: list[Incident]) -> list[Incident]:
        by_id = {inc.id: inc for inc in incidents}
        ids = list(by_id)
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            for r in connection.execute(
                select(SYMPTOM).where(SYMPTOM.c.incident_id.in_(chunk)).order_by(SYMPTOM.c.alarm_key)
            ):
                by_id[r.incident_id].symptoms[r.alarm_key] = Symptom(
                    alarm=r.alarm_key, rule=r.rule, parent=r.parent, active=r.active
                )
            for r in connection.execute(
                select(CIRCUIT).where(CIRCUIT.c.incident_id.in_(chunk)).order_by(CIRCUIT.c.circuit_id)
            ):
                by_id[r.incident_id].circuits[r.circuit_id] = ImpactedCircuit(
                    circuit=r.circuit_id,
                    customer=r.customer_id,
                    tier=CustomerTier(r.tier),
                    maintenance_level=MaintenanceLevel(r.maintenance_level),
                    service_level=ServiceLevel(r.service_level),
                    status=ImpactStatus(r.status),
                    since=_aware(r.since),
                    status_since=_aware(r.status_since),
                    until=_aware(r.until) if r.until is not None else None,
                    paths_down=tuple(r.paths_down),
                )
            for r in connection.execute(
                select(HISTORY).where(HISTORY.c.incident_id.in_(chunk)).order_by(HISTORY.c.from_at, HISTORY.c.id)
            ):
                by_id[r.incident_id].history.append(_interval_of(r))
        return incidents


def _incident_of(r: Any) -> Incident:
    return Incident(
        id=r.id,
        root=RootCause(kind=r.root_kind, id=r.root_id, rule=r.root_rule, evidence=tuple(r.evidence)),
        state=IncidentState(r.state),
        started_at=_aware(r.started_at),
        opened_at=_aware(r.opened_at),
        settle_until=_aware(r.settle_until),
        updated_at=_aware(r.updated_at),
        cleared_at=_aware(r.cleared_at) if r.cleared_at is not None else None,
        closed_at=_aware(r.closed_at) if r.closed_at is not None else None,
        merged_into=r.merged_into,
        was_open=r.was_open,
        flapping=r.flapping,
        interval_seq=r.interval_seq,
    )


def _interval_of(r: Any) -> ImpactInterval:
    return ImpactInterval(
        id=r.id,
        circuit=r.circuit_id,
        status=ImpactStatus(r.status),
        start=_aware(r.from_at),
        end=_aware(r.to_at) if r.to_at is not None else None,
        incident=r.incident_id,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
