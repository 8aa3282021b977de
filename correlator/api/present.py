"""Domain objects to API documents: times in the configured zone, ranking by the SLA policy.

A :class:`Presenter` reads nothing from the store: it turns what it is given (incidents, alarms,
audit findings) into :mod:`correlator.api.models`, so the REST routes and the live updates show an
incident the same way.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from correlator.alarms.model import Alarm
from correlator.api import models as m
from correlator.correlation.model import ImpactedCircuit, ImpactStatus, Incident
from correlator.diversity.audit import CircuitAudit
from correlator.diversity.expand import NetworkIndex
from correlator.diversity.findings import Finding
from correlator.domain import CustomerTier, MaintenanceLevel

RankKey = tuple[int, int, int, str]


class Presenter:
    def __init__(self, index: NetworkIndex, tz: tzinfo) -> None:
        self.index = index
        self.inventory = index.inventory
        self.policy = index.policy
        self.tz = tz

    # -- basics ----------------------------------------------------------------------------------

    def local(self, t: datetime) -> datetime:
        return t.astimezone(self.tz)

    def opt(self, t: datetime | None) -> datetime | None:
        return t.astimezone(self.tz) if t is not None else None

    def customer_name(self, customer: str) -> str | None:
        c = self.inventory.customers.get(customer)
        return c.name if c is not None else None

    def tier_rank(self, tier: CustomerTier) -> int:
        return self.policy.tier_rank(tier)

    def level_rank(self, level: MaintenanceLevel) -> int:
        return self.policy.maintenance_levels[level].rank

    def heavy_penalty(self, circuit: str, status: ImpactStatus | str, tier: CustomerTier) -> bool:
        c = self.inventory.circuits.get(circuit)
        if c is None:
            return False
        return c.disaster_recovery or (status == ImpactStatus.outage and c.central_node and tier is CustomerTier.group)

    # -- alarms ----------------------------------------------------------------------------------

    def alarm(self, a: Alarm, incident: str | None = None) -> m.AlarmOut:
        return m.AlarmOut(
            key=a.key,
            device=a.device,
            resource=m.ResourceOut(type=a.resource.type.value, id=a.resource.id, if_index=a.resource.if_index),
            ref=a.ref,
            alarm_type=a.alarm_type,
            severity=a.severity.value,
            layer=a.layer,
            kind=a.kind,
            state=a.state.value,
            condition=a.condition.value,
            raised_at=self.local(a.raised_at),
            cleared_at=self.opt(a.cleared_at),
            first_seen=self.local(a.first_seen),
            last_seen=self.local(a.last_seen),
            count=a.count,
            changes=a.changes,
            sources=sorted(s.value for s in a.sources),
            flapping_since=self.opt(a.flapping_since),
            detail=a.detail,
            unknown_type=a.unknown_type,
            incident=incident,
        )

    # -- incidents -------------------------------------------------------------------------------

    def impacted(self, c: ImpactedCircuit) -> m.ImpactedCircuitOut:
        return m.ImpactedCircuitOut(
            circuit=c.circuit,
            customer=c.customer,
            customer_name=self.customer_name(c.customer),
            tier=c.tier.value,
            maintenance_level=c.maintenance_level.value,
            service_level=c.service_level.value,
            status=c.status.value,
            since=self.local(c.since),
            status_since=self.local(c.status_since),
            until=self.opt(c.until),
            paths_down=list(c.paths_down),
            heavy_penalty=c.until is None and self.heavy_penalty(c.circuit, c.status, c.tier),
        )

    def circuit_order(self, c: ImpactedCircuit) -> tuple[int, int, int, int, str]:
        """Hurt now before hurt once, worst status, then tier and maintenance level."""
        return (
            0 if c.until is None else 1,
            c.status.severity,
            self.tier_rank(c.tier),
            self.level_rank(c.maintenance_level),
            c.circuit,
        )

    def rank(self, inc: Incident) -> RankKey:
        """NOC order: highest tier hurt now (group first), then maintenance level, then the worst
        status, then the oldest. An incident hurting nothing now sorts last."""
        now = inc.impacted()
        if not now:
            return (10**6, 10**6, 10**6, inc.started_at.isoformat())
        return (
            min(self.tier_rank(c.tier) for c in now),
            min(self.level_rank(c.maintenance_level) for c in now),
            min(c.status.severity for c in now),
            inc.started_at.isoformat(),
        )

    def ranked(self, incidents: Iterable[Incident]) -> list[Incident]:
        return sorted(incidents, key=lambda i: (self.rank(i), i.id))

    def incident(
        self,
        inc: Incident,
        deadline: m.DeadlineOut | None = None,
        tickets: Sequence[str] = (),
        detail: bool = False,
        max_circuits: int | None = None,
    ) -> m.IncidentOut:
        """The incident's document; ``max_circuits`` lists only that many circuits, most important first
        (an incident of a trunk duct may hurt thousands: the wall screen and live updates need the top)."""
        now = inc.impacted()
        top_tier = min((c.tier for c in now), key=self.tier_rank, default=None)
        top_level = min((c.maintenance_level for c in now), key=self.level_rank, default=None)
        if max_circuits is None:
            shown = sorted(inc.circuits.values(), key=self.circuit_order)
        else:
            shown = heapq.nsmallest(max_circuits, inc.circuits.values(), key=self.circuit_order)
        fields = {
            "id": inc.id,
            "state": inc.state.value,
            "published": inc.was_open,
            "root": m.RootOut(
                kind=inc.root.kind,
                id=inc.root.id,
                key=inc.root.key,
                rule=inc.root.rule,
                evidence=list(inc.root.evidence),
            ),
            "started_at": self.local(inc.started_at),
            "opened_at": self.local(inc.opened_at),
            "updated_at": self.local(inc.updated_at),
            "cleared_at": self.opt(inc.cleared_at),
            "closed_at": self.opt(inc.closed_at),
            "merged_into": inc.merged_into,
            "flapping": inc.flapping,
            "tier": top_tier.value if top_tier is not None else None,
            "maintenance_level": top_level.value if top_level is not None else None,
            "heavy_penalty": any(self.heavy_penalty(c.circuit, c.status, c.tier) for c in now),
            "symptom_count": len(inc.symptoms),
            "circuits": [self.impacted(c) for c in shown],
            "circuits_total": len(inc.circuits),
            "outage": sorted(c.circuit for c in now if c.status is ImpactStatus.outage),
            "single_route_risk": sorted(c.circuit for c in now if c.status is ImpactStatus.protection_lost),
            "degraded": sorted(c.circuit for c in now if c.status is ImpactStatus.degraded),
            "deadline": deadline,
            "tickets": list(tickets),
        }
        if not detail:
            return m.IncidentOut(**fields)
        return m.IncidentDetail(
            **fields,
            symptoms=[
                m.SymptomOut(alarm=s.alarm, rule=s.rule, parent=s.parent, active=s.active)
                for _, s in sorted(inc.symptoms.items())
            ],
            history=[
                m.IntervalOut(
                    circuit=iv.circuit, status=iv.status.value, start=self.local(iv.start), end=self.opt(iv.end)
                )
                for iv in inc.history
            ],
        )

    # -- diversity -------------------------------------------------------------------------------

    def finding(self, audit: CircuitAudit, f: Finding) -> m.FindingOut:
        return m.FindingOut(
            circuit=f.circuit,
            customer=audit.customer,
            tier=audit.tier,
            maintenance_level=audit.maintenance_level,
            verdict=audit.verdict.value,
            rule=f.rule.value,
            element=m.ElementOut(kind=f.element.kind, id=f.element.id, where=f.element.where),
            working_hops=[m.HopOut(index=h.index, link=h.link) for h in f.working],
            protection_hops=[m.HopOut(index=h.index, link=h.link) for h in f.protection],
            detail=f.detail,
        )
