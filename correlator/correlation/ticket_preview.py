"""The tickets the ticket issue would open for some incidents: a preview, to be replaced by it.

One ticket per circuit in outage in a published incident (one that has been ``open``; a circuit hurt
by two incidents gets one ticket, on the incident that took it down first), ranked by
customer tier, then maintenance level, then service level (the ranks of the SLA policy), with the
restore deadline from :meth:`~correlator.policy.SlaPolicy.restore_limit` counted from when the
circuit went down. Then, at lower priority, one "protection lost" ticket per protected circuit
down to one route, same ranking. Circuits only degraded get no ticket. A heavy-penalty event
(DOMAIN.md: total outage of a group customer's central node, any fault on a disaster-recovery
service) is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from correlator.correlation.model import ImpactStatus, Incident, IncidentState
from correlator.diversity.expand import NetworkIndex
from correlator.domain import Area, CustomerTier, MaintenanceLevel, ServiceLevel

TICKET_STATUSES = (ImpactStatus.outage, ImpactStatus.protection_lost)


@dataclass(frozen=True, slots=True)
class TicketPreview:
    priority: int
    """1 is worked first."""
    kind: ImpactStatus
    circuit: str
    customer: str
    tier: CustomerTier
    maintenance_level: MaintenanceLevel
    service_level: ServiceLevel
    incident: str
    root: str
    known_at: datetime
    """When the circuit entered this status (the fault is known from then)."""
    restore_minutes: int
    restore_by: datetime
    heavy_penalty: bool


def _area(index: NetworkIndex, circuit: str) -> Area:
    inv = index.inventory
    c = inv.circuits[circuit]
    areas = [site.area for s in inv.circuit_sites(c) if s is not None and (site := inv.sites.get(s)) is not None]
    return Area.countryside if Area.countryside in areas else Area.town


def preview(incidents: Iterable[Incident], index: NetworkIndex) -> list[TicketPreview]:
    """Tickets for the published incidents' outages, then their lost protections, in work order."""
    policy = index.policy
    inv = index.inventory
    found: list[tuple[tuple[int, int, int, int, str, datetime, str], ImpactStatus, str, Incident, datetime]] = []
    for inc in incidents:
        if not inc.was_open or inc.state is IncidentState.merged:
            continue
        first: dict[tuple[str, ImpactStatus], datetime] = {}
        for iv in inc.history:
            if iv.status in TICKET_STATUSES:
                k = (iv.circuit, iv.status)
                if k not in first or iv.start < first[k]:
                    first[k] = iv.start
        for circuit in sorted({c for c, _ in first}):
            if circuit not in index.circuits:
                continue
            status = ImpactStatus.outage if (circuit, ImpactStatus.outage) in first else ImpactStatus.protection_lost
            known = first[(circuit, status)]
            rank = index.circuits[circuit].rank
            order = (0 if status is ImpactStatus.outage else 1, rank[0], rank[1], rank[2], circuit, known, inc.id)
            found.append((order, status, circuit, inc, known))
    found.sort(key=lambda f: f[0])
    first_per_circuit: dict[str, tuple[ImpactStatus, str, Incident, datetime]] = {}
    for _, status, circuit, inc, known in found:  # worst status first, then earliest
        first_per_circuit.setdefault(circuit, (status, circuit, inc, known))
    out: list[TicketPreview] = []
    for n, (status, circuit, inc, known) in enumerate(first_per_circuit.values(), start=1):
        info = index.circuits[circuit]
        c = inv.circuits[circuit]
        limit = policy.restore_limit(info.maintenance_level, _area(index, circuit), c.product, info.tier)
        heavy = c.disaster_recovery or (
            status is ImpactStatus.outage and c.central_node and info.tier is CustomerTier.group
        )
        out.append(
            TicketPreview(
                priority=n,
                kind=status,
                circuit=circuit,
                customer=info.customer,
                tier=info.tier,
                maintenance_level=info.maintenance_level,
                service_level=info.service_level,
                incident=inc.id,
                root=inc.root_key,
                known_at=known,
                restore_minutes=int(limit.total_seconds() // 60),
                restore_by=known + limit,
                heavy_penalty=heavy,
            )
        )
    return out
