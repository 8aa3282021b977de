"""The fault analysis report of one incident (故障分析报告, the group-level customer fault report).

What the store knows of the incident, put in the order an operator writes it up: summary, timeline,
root cause and its evidence, symptoms, impacted circuits and customers, tickets with their SLA
clocks, planned work, cause attribution, duration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, cast

from sqlalchemy import Engine, Table, select

from correlator.alarms.tables import AlarmRow
from correlator.correlation.model import ImpactStatus, Incident
from correlator.correlation.repository import IncidentRepository
from correlator.diversity.expand import NetworkIndex
from correlator.domain import CustomerTier
from correlator.planned.calendar import PlannedCalendar
from correlator.planned.model import PlannedWindowRef
from correlator.reports.tickets import SuppressionView, TicketReader, TicketView

ALARM = cast(Table, AlarmRow.__table__)


class ReportError(ValueError):
    """A report that cannot be made (unknown incident or customer); the text names the fix."""


@dataclass(frozen=True)
class AlarmView:
    key: str
    device: str
    resource: str
    alarm_type: str
    severity: str
    raised_at: datetime | None
    cleared_at: datetime | None
    role: str
    """root (evidence) or the rule that made it a symptom."""
    parent: str = ""


@dataclass(frozen=True)
class ImpactView:
    circuit: str
    customer: str
    customer_name: str
    tier: str
    important_class: str
    maintenance_level: str
    service_level: str
    worst: str
    since: datetime
    until: datetime | None
    outage_minutes: float
    protection_lost_minutes: float
    paths_down: tuple[str, ...]
    heavy_penalty: bool


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    detail: str = ""


@dataclass
class IncidentReport:
    incident: Incident
    root_where: str
    generated_at: datetime
    tz: tzinfo
    evidence: list[AlarmView]
    symptoms: list[AlarmView]
    circuits: list[ImpactView]
    tickets: list[TicketView]
    suppressions: list[SuppressionView]
    planned: list[PlannedWindowRef]
    timeline: list[TimelineEntry]
    causes: list[str]
    customers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duration_minutes(self) -> float | None:
        end = self.incident.cleared_at
        return None if end is None else (end - self.incident.started_at).total_seconds() / 60

    @property
    def heavy_penalty(self) -> bool:
        return any(c.heavy_penalty for c in self.circuits) or any(t.heavy_penalty for t in self.tickets)

    @property
    def outage_circuits(self) -> list[ImpactView]:
        return [c for c in self.circuits if c.worst == ImpactStatus.outage.value]


def _union_minutes(spans: list[tuple[datetime, datetime]]) -> float:
    total = 0.0
    end: datetime | None = None
    for s, e in sorted(spans):
        if end is not None and e <= end:
            continue
        start = s if end is None or s > end else end
        total += (e - start).total_seconds()
        end = e
    return total / 60


def _alarms(engine: Engine, keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for i in range(0, len(keys), 500):
            for r in conn.execute(select(ALARM).where(ALARM.c.key.in_(keys[i : i + 500]))):
                out[r.key] = r
    return out


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _alarm_view(key: str, row: Any, role: str, parent: str = "") -> AlarmView:
    if row is None:
        device, _, rest = key.partition("|")
        resource, _, atype = rest.rpartition("|")
        return AlarmView(key, device, resource, atype, "", None, None, role, parent)
    return AlarmView(
        key,
        row.device,
        f"{row.resource_type} {row.resource_id}",
        row.alarm_type,
        str(row.severity),
        _aware(row.raised_at),
        _aware(row.cleared_at),
        role,
        parent,
    )


def incident_report(
    engine: Engine,
    index: NetworkIndex,
    incident_id: str,
    tz: tzinfo,
    now: datetime,
    calendar: PlannedCalendar | None = None,
) -> IncidentReport:
    inc = IncidentRepository(engine).load(incident_id)
    if inc is None:
        raise ReportError(f"no incident '{incident_id}' in the store (the incident list of the API or the NOC page)")
    if inc.merged_into:
        raise ReportError(f"incident '{incident_id}' was merged into {inc.merged_into}: report on that one")
    inv = index.inventory
    policy = index.policy
    rows = _alarms(engine, [*inc.root.evidence, *inc.symptoms])
    evidence = [_alarm_view(k, rows.get(k), "root") for k in inc.root.evidence]
    symptoms = [_alarm_view(k, rows.get(k), s.rule, s.parent) for k, s in sorted(inc.symptoms.items())]
    evidence.sort(key=lambda a: (a.raised_at or inc.started_at, a.key))
    symptoms.sort(key=lambda a: (a.raised_at or inc.started_at, a.key))

    by_circuit: dict[str, list[Any]] = {}
    for iv in inc.history:
        by_circuit.setdefault(iv.circuit, []).append(iv)
    end_of_open = inc.cleared_at or now
    circuits: list[ImpactView] = []
    for cid, ivs in by_circuit.items():
        ic = inc.circuits.get(cid)
        c = inv.circuits.get(cid)
        cust = inv.customers.get(c.customer) if c else None
        statuses = {iv.status for iv in ivs}
        worst = min(statuses, key=lambda s: s.severity)
        outage = _union_minutes([(iv.start, iv.end or end_of_open) for iv in ivs if iv.status is ImpactStatus.outage])
        prot = _union_minutes(
            [(iv.start, iv.end or end_of_open) for iv in ivs if iv.status is ImpactStatus.protection_lost]
        )
        heavy = False
        if c is not None:
            central = worst is ImpactStatus.outage and c.central_node and cust is not None
            heavy = c.disaster_recovery or (central and cust is not None and cust.tier is CustomerTier.group)
        circuits.append(
            ImpactView(
                circuit=cid,
                customer=c.customer if c else (ic.customer if ic else ""),
                customer_name=cust.name if cust else "",
                tier=cust.tier.value if cust else (ic.tier.value if ic else ""),
                important_class=cust.important_class.value if cust else "",
                maintenance_level=c.maintenance_level.value if c else (ic.maintenance_level.value if ic else ""),
                service_level=c.service_level.value if c else "",
                worst=worst.value,
                since=min(iv.start for iv in ivs),
                until=None if any(iv.end is None for iv in ivs) else max(iv.end for iv in ivs if iv.end is not None),
                outage_minutes=round(outage, 2),
                protection_lost_minutes=round(prot, 2),
                paths_down=ic.paths_down if ic else (),
                heavy_penalty=heavy,
            )
        )
    rank = {k.value: v.rank for k, v in policy.customer_tiers.items()}
    lrank = {k.value: v.rank for k, v in policy.maintenance_levels.items()}
    circuits.sort(
        key=lambda v: (v.worst != "outage", rank.get(v.tier, 99), lrank.get(v.maintenance_level, 99), v.circuit)
    )

    reader = TicketReader(engine, policy)
    tickets = reader.of_incident(inc.id, now)
    suppressions = reader.suppressions(incident=inc.id)
    planned = calendar.covering_all(inc.root_key, inc.started_at) if calendar is not None else []

    timeline: list[TimelineEntry] = []
    first = evidence[0] if evidence else None
    timeline.append(
        TimelineEntry(
            inc.started_at,
            "fault began",
            f"{first.alarm_type} on {first.device} {first.resource}" if first else inc.root_key,
        )
    )
    timeline.append(
        TimelineEntry(inc.opened_at, "incident opened", f"root {inc.root_key} ({inc.root.rule or 'alarm'})")
    )
    for cid, ivs in by_circuit.items():
        for iv in ivs:
            timeline.append(TimelineEntry(iv.start, f"{cid} {iv.status.value.replace('_', ' ')}", ""))
            if iv.end is not None:
                timeline.append(TimelineEntry(iv.end, f"{cid} {iv.status.value.replace('_', ' ')} ended", ""))
    for t in tickets:
        for step in t.steps:
            detail = ", ".join(
                x for x in (f"team {step.team}" if step.team else "", step.note or "", step.cause or "") if x
            )
            timeline.append(
                TimelineEntry(step.at, f"ticket {t.id} {step.action}", f"{step.actor}; {detail}".rstrip("; "))
            )
    for s in suppressions:
        timeline.append(
            TimelineEntry(s.fault_start, f"{s.circuit}: no ticket", f"announced planned work {s.planned_work}")
        )
    for a in evidence:
        if a.cleared_at is not None:
            timeline.append(TimelineEntry(a.cleared_at, "root alarm cleared", f"{a.alarm_type} on {a.device}"))
    if inc.cleared_at is not None:
        timeline.append(TimelineEntry(inc.cleared_at, "incident cleared", "every root alarm cleared"))
    if inc.closed_at is not None:
        timeline.append(TimelineEntry(inc.closed_at, "incident closed", ""))
    timeline.sort(key=lambda e: e.at)

    customers: dict[str, dict[str, Any]] = {}
    for view in circuits:
        d = customers.setdefault(
            view.customer,
            {
                "id": view.customer,
                "name": view.customer_name,
                "tier": view.tier,
                "important_class": view.important_class,
                "outage": [],
                "protection_lost": [],
            },
        )
        d["outage" if view.worst == "outage" else "protection_lost"].append(view.circuit)
    causes = sorted({t.cause for t in tickets if t.cause})
    return IncidentReport(
        incident=inc,
        root_where=index.where(inc.root_key),
        generated_at=now,
        tz=tz,
        evidence=evidence,
        symptoms=symptoms,
        circuits=circuits,
        tickets=tickets,
        suppressions=suppressions,
        planned=planned,
        timeline=timeline,
        causes=causes,
        customers=list(customers.values()),
    )


def as_json(r: IncidentReport) -> dict[str, Any]:
    from correlator.reports.tickets import as_dict

    inc = r.incident
    return {
        "incident": {
            "id": inc.id,
            "root": inc.root_key,
            "root_where": r.root_where,
            "rule": inc.root.rule,
            "state": inc.state.value,
            "started_at": inc.started_at.isoformat(),
            "opened_at": inc.opened_at.isoformat(),
            "cleared_at": inc.cleared_at.isoformat() if inc.cleared_at else None,
            "closed_at": inc.closed_at.isoformat() if inc.closed_at else None,
            "duration_minutes": None if r.duration_minutes is None else round(r.duration_minutes, 2),
            "flapping": inc.flapping,
            "heavy_penalty": r.heavy_penalty,
        },
        "evidence": [as_dict(a) for a in r.evidence],
        "symptoms": [as_dict(a) for a in r.symptoms],
        "circuits": [as_dict(c) for c in r.circuits],
        "customers": r.customers,
        "tickets": [as_dict(t) for t in r.tickets],
        "suppressions": [as_dict(s) for s in r.suppressions],
        "planned_work": [as_dict(p) for p in r.planned],
        "timeline": [as_dict(e) for e in r.timeline],
        "causes": r.causes,
    }
