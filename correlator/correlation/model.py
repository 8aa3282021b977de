"""Incidents: one root cause, its symptoms, and the customer circuits it hurts.

An incident is known by its root cause (``kind:id``: ``link:L-1``, ``cable:CB-2``, ``duct:D-7``,
``device:CPE-9``, ``port:NE-1:11-SL16-1``, ``pw:PW-20021`` ...). Its id is derived from that key and
the time its first evidence was seen, so a replay of the same stream gives the same ids.

States: ``settling`` (just opened, waiting ``settle_seconds`` for its root cause), ``open``,
``cleared`` (every root alarm cleared; re-opens if the root returns within ``close_after_seconds``),
``closed`` (final), ``merged`` (final: its alarms turned out to be symptoms of another incident's
root; ``merged_into`` names it).

Times: ``started_at`` is when the fault began by the alarms' own clocks; ``opened_at`` is the
correlator's clock when the incident was created. Impact intervals run on the alarms' event times.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from correlator.domain import CustomerTier, MaintenanceLevel, ServiceLevel


class IncidentState(StrEnum):
    settling = "settling"
    open = "open"
    cleared = "cleared"
    closed = "closed"
    merged = "merged"

    @property
    def final(self) -> bool:
        return self in (IncidentState.closed, IncidentState.merged)


class ImpactStatus(StrEnum):
    """What an incident does to a circuit, worst first."""

    outage = "outage"
    """No path of the circuit is up."""
    protection_lost = "protection_lost"
    """A protected circuit is down to one path: carrying traffic, one more fault takes it."""
    degraded = "degraded"
    """A path runs over a resource with a degrading alarm (low light, RDI, BFD down ...)."""

    @property
    def severity(self) -> int:
        return {"outage": 0, "protection_lost": 1, "degraded": 2}[self.value]


class IncidentChangeKind(StrEnum):
    created = "created"
    """A new incident, settling."""
    opened = "opened"
    """The settle window passed: the incident is published."""
    updated = "updated"
    """Symptoms, root evidence or impact changed."""
    merged = "merged"
    """Absorbed by another incident (``merged_into``)."""
    cleared = "cleared"
    reopened = "reopened"
    closed = "closed"


@dataclass(frozen=True, slots=True)
class RootCause:
    kind: str
    """link, cable, duct, device, board, port, pw, tunnel, bfd, vrf ..."""
    id: str
    rule: str
    """The rule that inferred it (``""``: the alarm itself, nothing above it)."""
    evidence: tuple[str, ...]
    """Keys of the alarms that are the root (not symptoms of anything else), sorted; alarms that
    cleared stay in the record."""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class Symptom:
    alarm: str
    rule: str
    """The rule that made it a symptom (``held``: its root cleared a moment ago, see IncidentBook)."""
    parent: str
    """The alarm it is a symptom of."""
    active: bool = True
    """False once the alarm has cleared (the incident keeps the record)."""


@dataclass(slots=True)
class ImpactedCircuit:
    circuit: str
    customer: str
    tier: CustomerTier
    maintenance_level: MaintenanceLevel
    service_level: ServiceLevel
    status: ImpactStatus
    since: datetime
    """When the incident first hurt the circuit."""
    status_since: datetime
    """When the current status began."""
    until: datetime | None = None
    """When the incident stopped hurting it (None: still hurting)."""
    paths_down: tuple[str, ...] = ()
    """The circuit's paths this incident takes down (working, protection)."""


@dataclass(slots=True)
class ImpactInterval:
    """One stretch of one status of one circuit caused by one incident (the impact history)."""

    id: str
    circuit: str
    status: ImpactStatus
    start: datetime
    end: datetime | None
    incident: str


@dataclass(slots=True)
class Incident:
    id: str
    root: RootCause
    state: IncidentState
    started_at: datetime
    opened_at: datetime
    settle_until: datetime
    updated_at: datetime
    cleared_at: datetime | None = None
    closed_at: datetime | None = None
    merged_into: str | None = None
    was_open: bool = False
    """It has been published (``open``) at least once."""
    flapping: bool = False
    """One of its root alarms is flapping."""
    symptoms: dict[str, Symptom] = field(default_factory=dict)
    circuits: dict[str, ImpactedCircuit] = field(default_factory=dict)
    history: list[ImpactInterval] = field(default_factory=list)
    interval_seq: int = 0

    @property
    def root_key(self) -> str:
        return self.root.key

    def impacted(self, status: ImpactStatus | None = None) -> list[ImpactedCircuit]:
        """Circuits it hurts now (``until`` unset), optionally of one status."""
        return [c for c in self.circuits.values() if c.until is None and (status is None or c.status is status)]


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """One change of one incident, after an ``ingest`` or ``tick``.

    ``incident`` is the correlator's live object: read it before the next call, copy what you keep.
    The delta fields say what changed, so a store writes only that.
    """

    kind: IncidentChangeKind
    incident: Incident
    at: datetime
    symptoms_added: tuple[str, ...] = ()
    """Symptoms added or whose rule/parent changed."""
    symptoms_removed: tuple[str, ...] = ()
    circuits_changed: tuple[str, ...] = ()
    intervals_changed: tuple[str, ...] = ()
    """Ids of impact intervals opened, closed or moved (merge)."""
    merged_into: str | None = None


def incident_id(root_key: str, first: datetime) -> str:
    """``INC-20261201T020304Z-1a2b3c4d``: the first evidence time and a hash of the root cause."""
    stamp = first.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    digest = hashlib.sha1(f"{root_key}|{first.astimezone(UTC).isoformat()}".encode()).hexdigest()[:8]
    return f"INC-{stamp}-{digest}"
