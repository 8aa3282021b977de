"""What a cut in the lab takes down: links, elements, boards, and which elements stop answering.

A cut is a resource key as ``linewatch whatif`` takes it (``duct:D-013``, ``cable:CB-WES-CEN``,
``device:CPE-SMB-01``, ``site:MH-28``, ``board:AGG-CEN:3``, ``port:SDH-CEN:6-SLQ1-1``,
``link:L-LD-N``). The links it takes are the inventory's own dependencies
(:attr:`~correlator.diversity.expand.NetworkIndex.resource_links`: a duct takes every link whose
cables run in it, a site every link of its elements and every cable passing it ...). Besides:

* ``device:X`` powers element X off; ``site:S`` powers off every element at S;
* ``board:X:N`` fails that board (its ports go dark, the element reports the board);
* an element is **unreachable** when it is powered off, or when it can no longer reach a
  management root over links that are up: roots are the elements without ``managed_via`` that
  are neither CPEs nor access elements (the gateway NEs and the aggregation routers, which have
  their own management network); an element ``managed_via`` gateways is reachable only through one
  of them (its DCC), so a dead gateway takes its ring's elements with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from correlator.diversity.expand import NetworkIndex, split_key
from correlator.diversity.whatif import parse_cut
from correlator.domain import DeviceKind, DeviceRole

__all__ = ["Faults", "faults_of", "parse_cut"]


@dataclass(frozen=True)
class Faults:
    cuts: tuple[str, ...]
    links_down: frozenset[str]
    devices_down: frozenset[str]
    """Powered off (a device or site cut)."""
    boards_down: frozenset[str]
    """``DEVICE:SLOT`` of failed boards."""
    unreachable: frozenset[str]
    """Elements that do not answer their management address (powered off ones included)."""

    @property
    def healthy(self) -> bool:
        return not self.cuts

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "cuts": list(self.cuts),
            "links_down": sorted(self.links_down),
            "devices_down": sorted(self.devices_down),
            "boards_down": sorted(self.boards_down),
            "unreachable": sorted(self.unreachable),
        }


NO_FAULTS = Faults((), frozenset(), frozenset(), frozenset(), frozenset())


def management_roots(index: NetworkIndex) -> set[str]:
    return {
        d.id
        for d in index.inventory.devices
        if not d.managed_via and d.kind is not DeviceKind.cpe and d.role not in (DeviceRole.access, DeviceRole.customer)
    }


def faults_of(index: NetworkIndex, cuts: Iterable[str]) -> Faults:
    """The effect of ``cuts`` (checked keys, see :func:`parse_cut`)."""
    inv = index.inventory
    cut = tuple(dict.fromkeys(cuts))
    if not cut:
        return NO_FAULTS
    links: set[str] = set()
    devices: set[str] = set()
    boards: set[str] = set()
    for key in cut:
        kind, rid = split_key(key)
        links.update(index.resource_links.get(key, ()))
        if kind == "device":
            devices.add(rid)
        elif kind == "site":
            devices.update(d.id for d in inv.devices if d.site == rid)
        elif kind == "board":
            boards.add(rid)
    for dev in devices:
        links.update(index.resource_links.get(f"device:{dev}", ()))
    return Faults(
        cuts=cut,
        links_down=frozenset(links),
        devices_down=frozenset(devices),
        boards_down=frozenset(boards),
        unreachable=frozenset(_unreachable(index, links, devices)),
    )


def _unreachable(index: NetworkIndex, links_down: set[str], devices_down: set[str]) -> set[str]:
    inv = index.inventory
    graph: nx.Graph = nx.Graph()
    alive = [d.id for d in inv.devices if d.id not in devices_down]
    graph.add_nodes_from(alive)
    for link_id, exp in index.links.items():
        a, z = exp.devices
        if link_id not in links_down and a in graph and z in graph:
            graph.add_edge(a, z)
    roots = management_roots(index) - devices_down
    reach: set[str] = set()
    for root in roots:
        reach |= nx.node_connected_component(graph, root)
    out = set(devices_down)
    for d in inv.devices:
        if d.id in out:
            continue
        if d.managed_via:
            gateways = [g for g in d.managed_via if g in graph and g in reach]
            if not any(g == d.id or nx.has_path(graph, g, d.id) for g in gateways):
                out.add(d.id)
        elif d.id not in reach:
            out.add(d.id)
    return out


def describe_cut(index: NetworkIndex, key: str) -> str:
    kind, rid = split_key(key)
    where = index.where(key)
    return f"{kind} {rid}" + (f" ({where})" if where else "")


def check_cuts(index: NetworkIndex, texts: Iterable[str]) -> list[str]:
    """Parse and check cuts; raises :class:`~correlator.diversity.whatif.CutError` naming the fix."""
    return [parse_cut(index, t) for t in texts]
