"""What a ticket needs to know about its circuit, and the rules that rank and time it.

- :class:`CircuitDirectory`: a circuit's customer, labels, product, area and heavy-penalty flags,
  from the inventory and the SLA policy;
- :func:`priority`: customer tier, then maintenance level, then service level (the policy's ranks),
  outage before lost protection;
- :func:`heavy_penalty`: DOMAIN.md's heavy-penalty events;
- :func:`restore_limit`: the product's limit for the tier, else the maintenance level's, else the
  public-service promise for the area; the policy's own limit for lost protection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from correlator.domain import Area, CustomerTier, MaintenanceLevel, ServiceLevel, TicketKind
from correlator.inventory.inventory import Inventory
from correlator.policy import SlaPolicy


@dataclass(frozen=True, slots=True)
class CircuitFacts:
    circuit: str
    customer: str
    tier: CustomerTier
    maintenance_level: MaintenanceLevel
    service_level: ServiceLevel
    product: str | None
    area: Area
    disaster_recovery: bool
    central_node: bool


class CircuitDirectory:
    """Circuit facts from the inventory (read once per circuit, then kept)."""

    def __init__(self, inventory: Inventory, policy: SlaPolicy) -> None:
        self.inventory = inventory
        self.policy = policy
        self._cache: dict[str, CircuitFacts | None] = {}

    def facts(self, circuit_id: str) -> CircuitFacts | None:
        """None when the circuit is not in the inventory."""
        if circuit_id not in self._cache:
            self._cache[circuit_id] = self._build(circuit_id)
        return self._cache[circuit_id]

    def _build(self, circuit_id: str) -> CircuitFacts | None:
        inv = self.inventory
        c = inv.circuits.get(circuit_id)
        if c is None:
            return None
        cust = inv.customers.get(c.customer)
        return CircuitFacts(
            circuit=c.id,
            customer=c.customer,
            tier=cust.tier if cust is not None else CustomerTier.local_c,
            maintenance_level=c.maintenance_level,
            service_level=c.service_level,
            product=c.product,
            area=area_of(inv, circuit_id),
            disaster_recovery=c.disaster_recovery,
            central_node=c.central_node,
        )


def area_of(inv: Inventory, circuit_id: str) -> Area:
    """Countryside when either end's site is in the countryside (the longer public-service promise)."""
    c = inv.circuits[circuit_id]
    areas = [site.area for s in inv.circuit_sites(c) if s is not None and (site := inv.sites.get(s)) is not None]
    return Area.countryside if Area.countryside in areas else Area.town


def _dense(ranks: dict[str, int], key: str) -> int:
    """Position (1, 2, ...) of ``key``'s rank among the distinct ranks: one digit per label."""
    distinct = sorted(set(ranks.values()))
    return distinct.index(ranks[key]) + 1


KIND_ORDER: dict[TicketKind, int] = {
    TicketKind.outage: 1,
    TicketKind.customer_report: 1,
    TicketKind.protection_lost: 2,
}


def priority(
    policy: SlaPolicy, kind: TicketKind, tier: CustomerTier, level: MaintenanceLevel, service: ServiceLevel
) -> int:
    """``1111`` (an outage of a group customer's AAA VIP-1 circuit) ... ``2574``: kind, tier, level,
    service level; each digit the label's position among the policy's distinct ranks. Lower first."""
    tiers = {t.value: p.rank for t, p in policy.customer_tiers.items()}
    levels = {m.value: p.rank for m, p in policy.maintenance_levels.items()}
    services = {s.value: p.rank for s, p in policy.service_levels.items()}
    return (
        KIND_ORDER[kind] * 1000
        + _dense(tiers, tier.value) * 100
        + _dense(levels, level.value) * 10
        + _dense(services, service.value)
    )


def heavy_penalty(facts: CircuitFacts, kind: TicketKind) -> bool:
    """A total outage of a group-level customer's central node, or any fault on a disaster-recovery
    circuit (DOMAIN.md): both must stand out."""
    if facts.disaster_recovery:
        return True
    return kind is not TicketKind.protection_lost and facts.central_node and facts.tier is CustomerTier.group


def restore_limit(policy: SlaPolicy, facts: CircuitFacts, kind: TicketKind) -> timedelta:
    if kind is TicketKind.protection_lost:
        return timedelta(hours=policy.tickets.protection_lost_restore_hours)
    return policy.restore_limit(facts.maintenance_level, facts.area, facts.product, facts.tier)
