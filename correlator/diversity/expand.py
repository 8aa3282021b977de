"""Expand circuits down every layer, once, into indexes shared by the audit, what-if and live state.

A path is a list of link hops. Each link is expanded once into everything it depends on, as
``kind:id`` resource keys (the same form planned work and what-if cuts use):

- ``link:ID``; its two ``port:DEVICE:PORT`` and the ``board:DEVICE:SLOT`` each port sits on;
- its two ``device:ID`` and their ``site:ID``;
- each ``cable:ID`` it rides, each ``duct:ID`` of those cables, and every ``site:ID`` the cable
  route passes (duct ends, cable ends: manholes and rooms).

A cable with no duct list is *undocumented*; a link between two sites with no cables has *no
cable data*. Both make a path unverified. A circuit's hand-off ports (``a_end.port``,
``z_end.port``) and their boards are used by both of its paths.

The indexes go both ways: link → resources, resource → links, link → (circuit, path), so the
circuits a cut touches are a few dictionary lookups (:mod:`correlator.diversity.live`), and a
path's resources are the union of its hops' precomputed sets (:mod:`correlator.diversity.audit`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from correlator.diversity.findings import HopRef
from correlator.domain import (
    CustomerTier,
    ImportantClass,
    MaintenanceLevel,
    PathRole,
    ResourceKind,
    ServiceLevel,
)
from correlator.inventory.inventory import Inventory, Table
from correlator.inventory.model import Circuit
from correlator.policy import SlaPolicy

RESOURCE_KINDS: tuple[str, ...] = tuple(k.value for k in ResourceKind)


def rkey(kind: str, rid: str) -> str:
    """``("duct", "D-013")`` -> ``"duct:D-013"``."""
    return f"{kind}:{rid}"


def split_key(key: str) -> tuple[str, str]:
    """``"board:AGG-CEN:3"`` -> ``("board", "AGG-CEN:3")``."""
    kind, _, rid = key.partition(":")
    return kind, rid


@dataclass(frozen=True)
class LinkExpansion:
    """Everything one link depends on."""

    link: str
    devices: tuple[str, str]
    ports: tuple[str, str]
    boards: tuple[str, ...]
    """``DEVICE:SLOT`` of the link's ports that sit on a board."""
    cables: tuple[str, ...]
    ducts: tuple[str, ...]
    sites: tuple[str, ...]
    """Device sites and every site along the cable route, A to Z."""
    undocumented: tuple[str, ...]
    """Cables of the link with no duct data."""
    no_cable_data: bool
    """The link joins two sites but lists no cable."""
    resources: frozenset[str]


@dataclass(frozen=True)
class CircuitInfo:
    """What the diversity views need of one circuit, with its ranking key."""

    id: str
    customer: str
    tier: CustomerTier
    important_class: ImportantClass
    maintenance_level: MaintenanceLevel
    service_level: ServiceLevel
    working: tuple[str, ...]
    protection: tuple[str, ...] | None
    end_devices: tuple[str, str]
    end_sites: tuple[str, ...]
    end_resources: frozenset[str]
    """Hand-off ports (and their boards): used by every path of the circuit."""
    cross_local_network: bool
    direction: str
    """Service-spreading direction: the circuit's ``direction``, else its two end sites, sorted."""
    rank: tuple[int, int, int, str]
    """(tier rank, maintenance level rank, service level rank, id): most important first."""

    def path(self, role: PathRole) -> tuple[str, ...] | None:
        return self.working if role is PathRole.working else self.protection

    def roles(self) -> tuple[PathRole, ...]:
        return (PathRole.working,) if self.protection is None else (PathRole.working, PathRole.protection)


def _board_key(inv: Inventory, port_ref: str) -> str | None:
    port = inv.port(port_ref)
    if port is None or port.board is None:
        return None
    return f"{inv.device_of(port_ref)}:{port.board}"


def _cable_sites(inv: Inventory, cable_id: str) -> list[str]:
    cable = inv.cables.get(cable_id)
    if cable is None:
        return []
    sites = [cable.a_site]
    for d in cable.ducts:
        duct = inv.ducts.get(d)
        if duct is not None:
            sites += [duct.a_site, duct.z_site]
    sites.append(cable.z_site)
    return sites


def expand_link(inv: Inventory, link_id: str) -> LinkExpansion:
    link = inv.links[link_id]
    da, dz = inv.link_devices(link)
    boards = tuple(b for b in (_board_key(inv, link.a), _board_key(inv, link.z)) if b is not None)
    sa, sz = inv.site_of_device(da), inv.site_of_device(dz)
    sites: dict[str, None] = {}
    if sa:
        sites[sa] = None
    ducts: dict[str, None] = {}
    undocumented: list[str] = []
    for c in link.cables:
        cable = inv.cables.get(c)
        if cable is None:
            continue
        if not cable.ducts:
            undocumented.append(c)
        for d in cable.ducts:
            ducts[d] = None
        for s in _cable_sites(inv, c):
            sites[s] = None
    if sz:
        sites[sz] = None
    no_cable_data = not link.cables and sa != sz
    res = {rkey("link", link.id), rkey("port", link.a), rkey("port", link.z), rkey("device", da), rkey("device", dz)}
    res.update(rkey("board", b) for b in boards)
    res.update(rkey("cable", c) for c in link.cables)
    res.update(rkey("duct", d) for d in ducts)
    res.update(rkey("site", s) for s in sites)
    return LinkExpansion(
        link=link.id,
        devices=(da, dz),
        ports=(link.a, link.z),
        boards=boards,
        cables=tuple(link.cables),
        ducts=tuple(ducts),
        sites=tuple(sites),
        undocumented=tuple(undocumented),
        no_cable_data=no_cable_data,
        resources=frozenset(res),
    )


class NetworkIndex:
    """The inventory expanded once; every diversity view reads it, none changes it."""

    def __init__(self, inv: Inventory, policy: SlaPolicy) -> None:
        self.inventory = inv
        self.policy = policy
        self.links: dict[str, LinkExpansion] = {lk.id: expand_link(inv, lk.id) for lk in inv.links}
        self.resource_links: dict[str, list[str]] = defaultdict(list)
        for exp in self.links.values():
            for r in exp.resources:
                self.resource_links[r].append(exp.link)
        self.circuits: dict[str, CircuitInfo] = {}
        self.link_paths: dict[str, list[tuple[str, PathRole]]] = defaultdict(list)
        self.resource_circuits: dict[str, list[str]] = defaultdict(list)
        """End resources (hand-off ports, their boards) -> circuits: both paths depend on them."""
        for c in inv.circuits:
            info = self._circuit_info(c)
            self.circuits[c.id] = info
            for role in info.roles():
                for hop in info.path(role) or ():
                    self.link_paths[hop].append((c.id, role))
            for r in info.end_resources:
                self.resource_circuits[r].append(c.id)
        self.board_mates: dict[str, frozenset[str]] = self._board_mates()
        self.tier_counts: dict[CustomerTier, int] = {t: 0 for t in CustomerTier}
        for info in self.circuits.values():
            self.tier_counts[info.tier] += 1

    # -- construction ----------------------------------------------------------------------

    def _circuit_info(self, c: Circuit) -> CircuitInfo:
        inv, policy = self.inventory, self.policy
        cust = inv.customers.get(c.customer)
        tier = cust.tier if cust else CustomerTier.local_c
        important = cust.important_class if cust else ImportantClass.none
        end_sites = tuple(s for s in inv.circuit_sites(c) if s is not None)
        end_res: set[str] = set()
        for end in (c.a_end, c.z_end):
            if end.port is not None:
                ref = f"{end.device}:{end.port}"
                end_res.add(rkey("port", ref))
                board = _board_key(inv, ref)
                if board is not None:
                    end_res.add(rkey("board", board))
        known_hops = tuple(h for h in c.working.hops if h in self.links)
        prot = tuple(h for h in c.protection.hops if h in self.links) if c.protection is not None else None
        return CircuitInfo(
            id=c.id,
            customer=c.customer,
            tier=tier,
            important_class=important,
            maintenance_level=c.maintenance_level,
            service_level=c.service_level,
            working=known_hops,
            protection=prot,
            end_devices=(c.a_end.device, c.z_end.device),
            end_sites=end_sites,
            end_resources=frozenset(end_res),
            cross_local_network=inv.cross_local_network(c),
            direction=c.direction or "<->".join(sorted(end_sites)),
            rank=(
                policy.tier_rank(tier),
                policy.maintenance_levels[c.maintenance_level].rank,
                policy.service_levels[c.service_level].rank,
                c.id,
            ),
        )

    def _board_mates(self) -> dict[str, frozenset[str]]:
        mates: dict[str, set[str]] = defaultdict(set)
        for dev in self.inventory.devices:
            for b in dev.boards:
                if b.protected_by is not None:
                    one, other = f"{dev.id}:{b.slot}", f"{dev.id}:{b.protected_by}"
                    mates[one].add(other)
                    mates[other].add(one)
        return {k: frozenset(v) for k, v in mates.items()}

    # -- lookups -----------------------------------------------------------------------------

    def path_resources(self, circuit: str, role: PathRole, with_ends: bool = True) -> frozenset[str]:
        """Every resource one path depends on: its hops' and (``with_ends``) the hand-off ports'."""
        info = self.circuits[circuit]
        hops = info.path(role) or ()
        out: set[str] = set(info.end_resources) if with_ends else set()
        for h in hops:
            out |= self.links[h].resources
        return frozenset(out)

    def device_sequence(self, circuit: str, role: PathRole) -> list[str]:
        """The elements a path passes, from the A-end element (one more than hops)."""
        info = self.circuits[circuit]
        at = info.end_devices[0]
        seq = [at]
        for h in info.path(role) or ():
            da, dz = self.links[h].devices
            at = dz if at == da else da
            seq.append(at)
        return seq

    def hops_using(self, circuit: str, role: PathRole, key: str) -> tuple[HopRef, ...]:
        hops = self.circuits[circuit].path(role) or ()
        return tuple(HopRef(i, h) for i, h in enumerate(hops) if key in self.links[h].resources)

    def must_be_diverse(self, info: CircuitInfo) -> bool:
        return self.policy.must_be_diverse(info.important_class, info.maintenance_level, info.cross_local_network)

    def diversity_reasons(self, info: CircuitInfo) -> list[str]:
        """Why the policy puts the circuit under the diversity rules."""
        req = self.policy.diversity.required_for
        out = []
        if info.important_class in req.important_classes:
            out.append(f"important class {info.important_class.value}")
        if info.maintenance_level in req.maintenance_levels:
            out.append(f"maintenance level {info.maintenance_level.value}")
        if req.cross_local_network and info.cross_local_network:
            out.append("crosses local networks")
        return out

    def board_is_mated(self, board: str) -> bool:
        return bool(self.board_mates.get(board))

    def known(self, key: str) -> bool:
        """Does ``kind:id`` name something in the inventory?"""
        kind, rid = split_key(key)
        inv = self.inventory
        if kind == "port":
            return inv.port(rid) is not None
        if kind == "board":
            dev_id, _, slot = rid.partition(":")
            dev = inv.devices.get(dev_id)
            return dev is not None and any(str(b.slot) == slot for b in dev.boards)
        tables: dict[str, Table[Any]] = {
            "site": inv.sites,
            "duct": inv.ducts,
            "cable": inv.cables,
            "device": inv.devices,
            "link": inv.links,
        }
        table = tables.get(kind)
        return table is not None and rid in table.items

    def where(self, key: str) -> str:
        """A short human description of where a resource is."""
        kind, rid = split_key(key)
        inv = self.inventory
        if kind == "site":
            site = inv.sites.get(rid)
            return f"{site.name} ({site.kind.value})" if site else ""
        if kind in ("duct", "cable"):
            obj = inv.ducts.get(rid) if kind == "duct" else inv.cables.get(rid)
            return f"{obj.a_site}–{obj.z_site}" if obj else ""
        if kind == "device":
            dev = inv.devices.get(rid)
            return f"{dev.name} at {dev.site}" if dev else ""
        if kind == "board":
            dev_id, _, slot = rid.partition(":")
            dev = inv.devices.get(dev_id)
            if dev is None:
                return ""
            board = next((b for b in dev.boards if str(b.slot) == slot), None)
            btype = f" ({board.type})" if board else ""
            mate = "1+1 mate" if self.board_is_mated(rid) else "no mate"
            return f"slot {slot}{btype} of {dev_id} at {dev.site}, {mate}"
        if kind == "link":
            exp = self.links.get(rid)
            return f"{exp.devices[0]}–{exp.devices[1]}" if exp else ""
        if kind == "port":
            return f"on {inv.device_of(rid)}"
        return ""

    def circuits_of(self, ids: Iterable[str]) -> list[CircuitInfo]:
        """The circuits, most important first (tier, maintenance level, service level, id)."""
        return sorted((self.circuits[i] for i in ids), key=lambda c: c.rank)
