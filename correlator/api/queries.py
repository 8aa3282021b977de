"""Read-only queries on the store for the API (blocking: routes run them in the thread pool).

The correlator writes the store; the API only reads it, so it shows the same thing whether it runs
inside the correlator daemon or alone (``linewatch api``) next to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, func, select

from correlator.alarms.model import Alarm, AlarmState
from correlator.alarms.store import ALARM, alarm_of
from correlator.correlation.model import ImpactStatus, Incident, IncidentState
from correlator.correlation.repository import ACTIVE_STATES, IncidentRepository
from correlator.correlation.repository import _incident_of as incident_of
from correlator.correlation.tables import IncidentRow

INCIDENT = cast(Table, IncidentRow.__table__)

ALARM_STATES = ("active", "cleared", "flapping", "standing")
"""``standing``: active or flapping (a problem now)."""

INCIDENT_STATES = ("active", "all", *(s.value for s in IncidentState))
"""``active``: settling, open or cleared (not final)."""


@dataclass(frozen=True)
class AlarmFilter:
    device: str | None = None
    state: str | None = None
    severity: str | None = None
    since: datetime | None = None
    """Alarms seen (an event observed) at or after this time."""
    key: str | None = None
    limit: int = 500


def alarms(engine: Engine, f: AlarmFilter) -> tuple[list[Alarm], int]:
    """The alarms matching ``f``, most recently seen first, and how many match in all."""
    conds: list[Any] = []
    if f.device is not None:
        conds.append(ALARM.c.device == f.device)
    if f.key is not None:
        conds.append(ALARM.c.key == f.key)
    if f.severity is not None:
        conds.append(ALARM.c.severity == f.severity)
    if f.state == "standing":
        conds.append(ALARM.c.state != AlarmState.cleared.value)
    elif f.state is not None:
        conds.append(ALARM.c.state == f.state)
    if f.since is not None:
        conds.append(ALARM.c.last_seen >= f.since)
    query = select(ALARM)
    count = select(func.count()).select_from(ALARM)
    if conds:
        query = query.where(*conds)
        count = count.where(*conds)
    query = query.order_by(ALARM.c.last_seen.desc(), ALARM.c.key).limit(f.limit)
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        rows = [alarm_of(r).alarm for r in conn.execute(query)]
    return rows, total


def alarm_incidents(incidents: Iterable[Incident]) -> dict[str, str]:
    """Alarm key -> the (not final) incident it belongs to, as root evidence or symptom."""
    out: dict[str, str] = {}
    for inc in incidents:
        for key in inc.root.evidence:
            out.setdefault(key, inc.id)
        for key in inc.symptoms:
            out.setdefault(key, inc.id)
    return out


def active_incidents(repository: IncidentRepository) -> list[Incident]:
    return repository.load_active()


def incidents(
    repo: IncidentRepository,
    state: str,
    since: datetime | None,
    limit: int,
    published: bool | None = None,
) -> tuple[list[Incident], int]:
    """Incidents in ``state`` (a state, ``active`` or ``all``) started at or after ``since`` (and
    published or not), newest first, complete with symptoms, circuits and history; and how many
    match in all."""
    engine = repo.engine
    conds: list[Any] = []
    if published is not None:
        conds.append(INCIDENT.c.was_open.is_(published))
    if state == "active":
        conds.append(INCIDENT.c.state.in_(ACTIVE_STATES))
    elif state != "all":
        conds.append(INCIDENT.c.state == state)
    if since is not None:
        conds.append(INCIDENT.c.started_at >= since)
    rows_query = select(INCIDENT)
    count = select(func.count()).select_from(INCIDENT)
    if conds:
        rows_query = rows_query.where(*conds)
        count = count.where(*conds)
    rows_query = rows_query.order_by(INCIDENT.c.started_at.desc(), INCIDENT.c.id).limit(limit)
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        found = [incident_of(r) for r in conn.execute(rows_query)]
        # symptoms, circuits and history of the whole page in a few batched queries
        return repo._complete(conn, found), total


@dataclass(frozen=True)
class CircuitHurt:
    status: ImpactStatus
    since: datetime
    incidents: tuple[str, ...]
    paths_down: tuple[str, ...]


def circuits_hurt(incidents: Iterable[Incident]) -> dict[str, CircuitHurt]:
    """Each circuit hurt now by a published incident: its worst status (outage, then protection
    lost, then degraded), since when, and the incidents. An incident still settling may yet turn out
    to be a symptom of another, so it does not count."""
    out: dict[str, CircuitHurt] = {}
    for inc in incidents:
        if not inc.was_open or inc.state.final:
            continue
        for c in inc.impacted():
            old = out.get(c.circuit)
            if old is None:
                out[c.circuit] = CircuitHurt(c.status, c.status_since, (inc.id,), c.paths_down)
                continue
            ids = tuple(sorted({*old.incidents, inc.id}))
            if c.status.severity < old.status.severity:
                out[c.circuit] = CircuitHurt(c.status, c.status_since, ids, c.paths_down)
            elif c.status is old.status:
                paths = tuple(sorted({*old.paths_down, *c.paths_down}))
                out[c.circuit] = CircuitHurt(old.status, min(old.since, c.status_since), ids, paths)
            else:
                out[c.circuit] = CircuitHurt(old.status, old.since, ids, old.paths_down)
    return out
