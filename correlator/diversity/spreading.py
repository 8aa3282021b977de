"""Service spreading: one customer's same-direction circuits must not all ride one route.

DOMAIN.md: "at the long-distance and local aggregation layers, several services of the same
direction must not all share one route". Here:

- the circuits considered are those the policy puts under the diversity rules, grouped by
  customer and direction (the circuit's ``direction``, else its two end sites);
- a *route* at those layers is a link one of whose elements has a role in
  ``diversity.spreading_layer_roles`` (neither being a customer element), and each cable such a
  link rides;
- a circuit rides a route when its *working* path uses it (where its traffic normally runs; the
  protection path is the diversity audit's business);
- a route is flagged when it carries more than ``spreading_max_circuits_per_route`` circuits of one
  group, or (if ``spreading_max_share_percent`` is set) at least that share of a group of at least
  ``spreading_min_group`` circuits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from correlator.diversity.expand import CircuitInfo, NetworkIndex, rkey
from correlator.diversity.findings import Element, Finding, HopRef, Rule
from correlator.domain import DeviceRole, PathRole


@dataclass(frozen=True)
class SpreadingFinding:
    """A route carrying too many of one customer's same-direction circuits."""

    customer: str
    direction: str
    element: Element
    circuits: tuple[str, ...]
    """Most important first."""
    group_size: int
    limit: str
    hops: tuple[tuple[HopRef, ...], ...]
    """For each circuit (same order), the working hops that use the route."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "direction": self.direction,
            "element": {"kind": self.element.kind, "id": self.element.id, "where": self.element.where},
            "circuits": list(self.circuits),
            "count": len(self.circuits),
            "group_size": self.group_size,
            "limit": self.limit,
        }

    def per_circuit(self) -> list[Finding]:
        detail = (
            f"{len(self.circuits)} of {self.customer}'s {self.group_size} circuits towards {self.direction} "
            f"ride this route ({self.limit})"
        )
        return [
            Finding(circuit=c, rule=Rule.spreading, element=self.element, working=h, detail=detail)
            for c, h in zip(self.circuits, self.hops, strict=True)
        ]


def layer_links(index: NetworkIndex) -> frozenset[str]:
    """Links at the spreading layers (see the module text)."""
    roles = set(index.policy.diversity.spreading_layer_roles)
    devices = index.inventory.devices
    out = set()
    for exp in index.links.values():
        rs = [devices[d].role for d in exp.devices if d in devices]
        if any(r in roles for r in rs) and DeviceRole.customer not in rs:
            out.add(exp.link)
    return frozenset(out)


def find_spreading(index: NetworkIndex, circuits: Iterable[CircuitInfo]) -> list[SpreadingFinding]:
    pol = index.policy.diversity
    layer = layer_links(index)
    groups: dict[tuple[str, str], list[CircuitInfo]] = defaultdict(list)
    for info in circuits:
        groups[(info.customer, info.direction)].append(info)
    out: list[SpreadingFinding] = []
    for (customer, direction), members in groups.items():
        n = len(members)
        if n < 2:
            continue
        counts: Counter[str] = Counter()
        for info in members:
            routes: set[str] = set()
            for h in info.working:
                if h in layer:
                    routes.add(rkey("link", h))
                    routes.update(rkey("cable", c) for c in index.links[h].cables)
            counts.update(routes)
        for key, k in counts.items():
            over_count = k > pol.spreading_max_circuits_per_route
            over_share = (
                pol.spreading_max_share_percent is not None
                and n >= pol.spreading_min_group
                and k * 100 >= pol.spreading_max_share_percent * n
            )
            if not (over_count or over_share):
                continue
            limit = (
                f"more than {pol.spreading_max_circuits_per_route} per route"
                if over_count
                else f"at least {pol.spreading_max_share_percent:g}% of the group"
            )
            riding = [
                info
                for info in sorted(members, key=lambda c: c.rank)
                if any(key in index.links[h].resources for h in info.working if h in layer)
            ]
            kind, _, rid = key.partition(":")
            out.append(
                SpreadingFinding(
                    customer=customer,
                    direction=direction,
                    element=Element(kind, rid, index.where(key)),
                    circuits=tuple(i.id for i in riding),
                    group_size=n,
                    limit=limit,
                    hops=tuple(
                        tuple(h for h in index.hops_using(i.id, PathRole.working, key) if h.link in layer)
                        for i in riding
                    ),
                )
            )
    out.sort(key=lambda f: (index.circuits[f.circuits[0]].rank, f.element.kind, f.element.id))
    return out
