"""A thread-safe summary of the correlator's live incidents, for metrics scraped from another thread.

The correlator's incident objects change under the event loop; a Prometheus scrape runs in the
HTTP server's thread. :class:`IncidentView` keeps, per incident not yet final, only what the
metrics need (state, circuits hurt now with their labels and status), replaced whole on every
change and read as a copy under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from correlator.correlation.model import ImpactStatus, Incident, IncidentChange, IncidentState
from correlator.domain import CustomerTier, MaintenanceLevel


@dataclass(frozen=True, slots=True)
class CircuitHurt:
    circuit: str
    customer: str
    tier: CustomerTier
    maintenance_level: MaintenanceLevel
    status: ImpactStatus


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    id: str
    state: IncidentState
    published: bool
    circuits: tuple[CircuitHurt, ...]


def summarise(inc: Incident) -> IncidentSummary:
    return IncidentSummary(
        id=inc.id,
        state=inc.state,
        published=inc.was_open,
        circuits=tuple(
            CircuitHurt(c.circuit, c.customer, c.tier, c.maintenance_level, c.status)
            for c in sorted(inc.impacted(), key=lambda c: c.circuit)
        ),
    )


class IncidentView:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._incidents: dict[str, IncidentSummary] = {}

    def sync(self, incidents: Iterable[Incident]) -> None:
        """Start from the correlator's incidents not yet final (after a restart)."""
        fresh = {inc.id: summarise(inc) for inc in incidents if not inc.state.final}
        with self._lock:
            self._incidents = fresh

    def apply(self, changes: Iterable[IncidentChange]) -> None:
        latest: dict[str, Incident] = {}
        for ch in changes:
            latest[ch.incident.id] = ch.incident
        if not latest:
            return
        summaries = {i: summarise(inc) for i, inc in latest.items()}
        with self._lock:
            for inc_id, summary in summaries.items():
                if summary.state.final:
                    self._incidents.pop(inc_id, None)
                else:
                    self._incidents[inc_id] = summary

    def incidents(self) -> list[IncidentSummary]:
        with self._lock:
            return list(self._incidents.values())

    def circuit_status(self) -> dict[str, CircuitHurt]:
        """Each circuit hurt now, with its worst status over every live incident.

        Single-route risk is a circuit whose worst status is ``protection_lost`` (the incident book
        already makes two incidents on the two paths of one circuit an outage). Only published
        incidents count: one still settling may yet turn out to be a symptom of another."""
        worst: dict[str, CircuitHurt] = {}
        for summary in self.incidents():
            if not summary.published:
                continue
            for c in summary.circuits:
                old = worst.get(c.circuit)
                if old is None or c.status.severity < old.status.severity:
                    worst[c.circuit] = c
        return worst
