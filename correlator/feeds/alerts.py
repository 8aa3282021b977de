"""The Alertmanager alerts of an incident: one per circuit it hurts now (pure, no I/O).

Labels (the alert's identity, what a NOC routes and silences on): ``alertname`` by impact status
(``LinewatchCircuitOutage``, ``LinewatchProtectionLost`` for a protected circuit down to one path,
i.e. single-route risk, ``LinewatchCircuitDegraded``), ``customer``, ``tier``,
``maintenance_level``, ``service_level``, ``circuit``, ``incident``, ``severity`` (per status, from
the destination's ``severity`` map) and the destination's ``extra_labels``. A circuit whose status
changes gets a new alert (new ``alertname``) and the old one ends.

Annotations (may change without changing the alert): ``summary``, ``description`` (root cause kind
and id, the rule that found it, symptom count, paths down), ``root_cause``, ``root_cause_kind``,
``root_cause_id``, ``symptom_count``, ``route_state`` and ``paths_down``.

Only published incidents (opened at least once) have alerts. An incident's alerts end when it is
merged or closed, and when it clears if the destination's ``end_on`` is ``cleared`` (the default);
with ``end_on: closed`` they stay firing through the close delay, in case the fault comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from correlator.correlation.model import ImpactedCircuit, ImpactStatus, Incident, IncidentState
from correlator.feeds.events import incident_url, iso
from correlator.feeds.settings import Alertmanager

ALERTNAMES: dict[ImpactStatus, str] = {
    ImpactStatus.outage: "LinewatchCircuitOutage",
    ImpactStatus.protection_lost: "LinewatchProtectionLost",
    ImpactStatus.degraded: "LinewatchCircuitDegraded",
}
ROUTE_STATE: dict[ImpactStatus, str] = {
    ImpactStatus.outage: "outage",
    ImpactStatus.protection_lost: "single_route_risk",
    ImpactStatus.degraded: "degraded",
}
SUMMARY: dict[ImpactStatus, str] = {
    ImpactStatus.outage: "Outage of circuit {circuit}",
    ImpactStatus.protection_lost: "Circuit {circuit} at single-route risk (protection lost)",
    ImpactStatus.degraded: "Circuit {circuit} degraded",
}


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    """``<incident>|<circuit>|<alertname>``: one row per alert and destination."""
    incident: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    generator_url: str | None


def alert_key(incident: str, circuit: str, status: ImpactStatus) -> str:
    return f"{incident}|{circuit}|{ALERTNAMES[status]}"


def circuit_alert(inc: Incident, c: ImpactedCircuit, dest: Alertmanager, external_url: str | None) -> Alert:
    labels = {
        **dest.extra_labels,
        "alertname": ALERTNAMES[c.status],
        "customer": c.customer,
        "tier": c.tier.value,
        "maintenance_level": c.maintenance_level.value,
        "service_level": c.service_level.value,
        "circuit": c.circuit,
        "incident": inc.id,
        "severity": dest.severity[c.status],
    }
    rule = f" (rule {inc.root.rule})" if inc.root.rule else ""
    paths = ", ".join(c.paths_down) or "-"
    description = (
        f"Root cause: {inc.root.kind} {inc.root.id}{rule}. Incident {inc.id}, {len(inc.symptoms)} symptom"
        f"{'' if len(inc.symptoms) == 1 else 's'}. Circuit {c.circuit} of customer {c.customer}"
        f" ({c.tier.value}, maintenance level {c.maintenance_level.value}, {c.service_level.value}):"
        f" {ROUTE_STATE[c.status].replace('_', ' ')} since {iso(c.status_since)}; paths down: {paths}."
    )
    annotations = {
        "summary": SUMMARY[c.status].format(circuit=c.circuit) + f" ({c.customer}, {c.tier.value})",
        "description": description,
        "root_cause": inc.root.key,
        "root_cause_kind": inc.root.kind,
        "root_cause_id": inc.root.id,
        "symptom_count": str(len(inc.symptoms)),
        "route_state": ROUTE_STATE[c.status],
        "paths_down": paths,
    }
    return Alert(
        key=alert_key(inc.id, c.circuit, c.status),
        incident=inc.id,
        labels=labels,
        annotations=annotations,
        starts_at=c.status_since,
        generator_url=incident_url(external_url, inc.id),
    )


def incident_alerts(inc: Incident, dest: Alertmanager, external_url: str | None) -> dict[str, Alert] | None:
    """The alerts the incident should have now, by key; None: leave its alerts as they are (a
    cleared incident under ``end_on: closed``)."""
    if not inc.was_open or inc.state.final:
        return {}
    if inc.state is IncidentState.cleared:
        return None if dest.end_on == "closed" else {}
    if inc.state is not IncidentState.open:
        return {}
    alerts = [circuit_alert(inc, c, dest, external_url) for c in inc.impacted()]
    return {a.key: a for a in sorted(alerts, key=lambda a: a.key)}


def end_time(inc: Incident, key: str, at: datetime) -> datetime:
    """When an alert that is no longer wanted ended: its circuit's ``until`` if set; for an incident
    cleared, closed or merged, its clear (or close) time or else the change time; for a circuit
    still hurt with another status, when that status began."""
    _, circuit, _ = key.split("|", 2)
    c = inc.circuits.get(circuit)
    if c is not None and c.until is not None:
        return c.until
    if inc.state is not IncidentState.open:
        return inc.cleared_at or inc.closed_at or at
    if c is not None:
        return max(c.status_since, c.since)
    return at
