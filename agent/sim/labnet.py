"""The lab network as the simulators see it: every element's interfaces, trails, PWs, tunnels, BFD
sessions and VRFs, derived once from the inventory and the simulator catalogue
(``config/lab/simulator.yaml``), and their state under a set of faults.

Where things live (what a real network of this shape would show):

* **interfaces**: every inventory port (ifIndex from the inventory, ifName = the port name), and
  on SDH/MSTP elements one path interface per trail per port it uses, named ``<port>:<trail>``;
* **trails** (SDH/MSTP circuit paths with a ``trail``): a path interface on both line ports of
  every transit element and on the hand-off port of an SDH end element;
* **pseudowires**: on both PEs (the first and the last IPRAN element of the path);
* **TE tunnels**: on the head end (the first IPRAN element of the path), over the path's
  IPRAN-to-IPRAN hops; **BFD**: one session per IPRAN-to-IPRAN link at each end;
* **VRFs**: one per L3VPN customer on every PE of its circuits.

A port is *dark* (no light: LOS on STM-N, link down on Ethernet) when its link is down, the far
element is powered off, or the far port's board (or its own) failed. A trail shows AIS at a port
whose signal comes through a failure further away (the adjacent failure shows as LOS there).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.sim.faults import Faults
from correlator.configfile.errors import ConfigError
from correlator.configfile.validate import validate
from correlator.configfile.yamlsrc import load_yaml
from correlator.diversity.expand import NetworkIndex
from correlator.domain import DeviceKind, PathRole
from correlator.inventory.model import Device, Port

Mib = Literal[
    "if", "sonet", "entity", "ent_state", "ent_sensor", "hw_optical", "hw_pw", "pw_std", "bfd", "mpls_te", "l3vpn"
]

SONET_KINDS = frozenset({"stm1", "stm4", "stm16", "stm64", "stm256"})
ETHERNET_KINDS = frozenset({"fe", "ge", "xge", "25ge", "40ge", "50ge", "100ge", "400ge"})
PATH_IF_BASE = 100000
"""ifIndex of the first trail (path) interface of an element."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Platform(Strict):
    sys_object_id: str = Field(pattern=r"^[0-9]+(\.[0-9]+)+$")
    sys_descr: str
    mibs: list[Mib] = Field(min_length=1)


class Optical(Strict):
    rx_dbm: dict[str, float]
    spread_db: float = Field(default=1.5, ge=0)
    no_light_dbm: float = -40.0


class Uptime(Strict):
    min: float = Field(default=20, ge=0)
    max: float = Field(default=400, ge=0)


class Addressing(Strict):
    loopbacks: ipaddress.IPv4Network = ipaddress.IPv4Network("10.255.0.0/24")
    links: ipaddress.IPv4Network = ipaddress.IPv4Network("10.1.0.0/16")
    route_distinguisher_as: int = 65000


class Catalogue(Strict):
    version: int = Field(ge=1, le=1)
    engine_port: int = Field(
        default=16161,
        ge=1,
        le=65535,
        description="UDP port of each element's simulated SNMP engine, on the element's own address "
        "(the relay on snmp.port forwards to it); below the ephemeral range, so no client socket takes it",
    )
    platforms: dict[str, Platform]
    optical: Optical
    uptime_days: Uptime = Uptime()
    addressing: Addressing = Addressing()


DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent.parent / "config" / "lab" / "simulator.yaml"


def load_catalogue(path: Path = DEFAULT_CATALOGUE) -> Catalogue:
    src, issues = load_yaml(path)
    if src is None:
        raise ConfigError(issues)
    cat, more = validate(src, Catalogue)
    if issues or more or cat is None:
        raise ConfigError(issues + more)
    assert isinstance(cat, Catalogue)
    return cat


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) fixed by ``parts`` (the same lab always looks the same)."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# -- structure ------------------------------------------------------------------------------------


@dataclass
class SimPort:
    port: Port
    if_index: int
    link: str | None = None
    far: tuple[str, str] | None = None
    """(element, port) at the other end of the link."""
    hand_off: bool = False
    """A circuit's end port (to the customer's equipment), not on a link."""

    @property
    def name(self) -> str:
        return self.port.name

    @property
    def kind(self) -> str:
        return self.port.kind

    @property
    def board(self) -> int | None:
        return self.port.board

    @property
    def in_service(self) -> bool:
        return self.link is not None or self.hand_off

    @property
    def optical(self) -> bool:
        return self.link is not None and (self.kind in SONET_KINDS or self.kind in ETHERNET_KINDS)


@dataclass
class TrailPoint:
    """One path interface of a trail on an element: the signal it receives comes from ``side``."""

    trail: str
    port: str
    if_index: int
    low_order: bool
    """VC-12/VC-3 (sonetVT) rather than VC-4 (sonetPath)."""
    circuit: str
    role: PathRole
    position: int
    """The element's index in the path's element sequence."""
    side: Literal["left", "right"]

    @property
    def name(self) -> str:
        return f"{self.port}:{self.trail}"


@dataclass
class PathRef:
    circuit: str
    role: PathRole
    hops: tuple[str, ...]
    elements: tuple[str, ...]
    """The element sequence, one longer than ``hops``."""


@dataclass
class SimPw:
    name: str
    vcid: int
    path: PathRef
    pes: tuple[str, str]
    ac_port: dict[str, str] = field(default_factory=dict)
    """PE -> its attachment-circuit port (towards the customer)."""


@dataclass
class SimTunnel:
    name: str
    head: str
    tail: str
    index: int
    hops: tuple[str, ...]
    """IPRAN-to-IPRAN hops of the paths riding it."""
    transit: tuple[str, ...]


@dataclass
class SimBfd:
    link: str
    port: str
    if_index: int
    peer: str
    peer_address: str


@dataclass
class SimVrf:
    name: str
    rd: str
    pws: list[str] = field(default_factory=list)


@dataclass
class SimDevice:
    device: Device
    platform: Platform
    ports: dict[str, SimPort] = field(default_factory=dict)
    trails: list[TrailPoint] = field(default_factory=list)
    pws: list[SimPw] = field(default_factory=list)
    tunnels: list[SimTunnel] = field(default_factory=list)
    bfd: list[SimBfd] = field(default_factory=list)
    vrfs: dict[str, SimVrf] = field(default_factory=dict)
    loopback: str | None = None

    @property
    def id(self) -> str:
        return self.device.id


class LabNetworkError(ValueError):
    """The inventory and the simulator catalogue do not fit (a platform is missing ...)."""


class LabNetwork:
    """The whole lab, structure only (no state). Build with :meth:`build`."""

    def __init__(self, index: NetworkIndex, catalogue: Catalogue) -> None:
        self.index = index
        self.catalogue = catalogue
        self.inventory = index.inventory
        self.devices: dict[str, SimDevice] = {}
        self.paths: list[PathRef] = []
        self.pws: dict[str, SimPw] = {}
        self.tunnels: dict[tuple[str, str], SimTunnel] = {}

    @classmethod
    def build(cls, index: NetworkIndex, catalogue: Catalogue) -> LabNetwork:
        net = cls(index, catalogue)
        missing = sorted({d.platform for d in index.inventory.devices if d.platform not in catalogue.platforms})
        if missing:
            raise LabNetworkError(
                f"the simulator catalogue has no platform {', '.join(repr(m) for m in missing)} "
                "(add it under platforms: in config/lab/simulator.yaml)"
            )
        net._ports()
        net._paths()
        net._trails()
        net._ipran()
        return net

    def kind(self, device: str) -> DeviceKind:
        return self.devices[device].device.kind

    def _ports(self) -> None:
        inv = self.inventory
        hand_offs = {
            f"{end.device}:{end.port}" for c in inv.circuits for end in (c.a_end, c.z_end) if end.port is not None
        }
        for dev in inv.devices:
            sd = SimDevice(dev, self.catalogue.platforms[dev.platform])
            used = {p.if_index for p in dev.ports if p.if_index is not None}
            spare = max(used, default=0) + 1
            for p in dev.ports:
                if_index = p.if_index
                if if_index is None:
                    while spare in used:
                        spare += 1
                    if_index = spare
                    used.add(spare)
                sd.ports[p.name] = SimPort(p, if_index, hand_off=f"{dev.id}:{p.name}" in hand_offs)
            self.devices[dev.id] = sd
        for link in inv.links:
            da, pa = link.a.split(":", 1)
            dz, pz = link.z.split(":", 1)
            for (dev_id, port_name), far in (((da, pa), (dz, pz)), ((dz, pz), (da, pa))):
                found = self.devices[dev_id].ports.get(port_name)
                if found is not None:
                    found.link, found.far = link.id, far
        for i, dev in enumerate(d for d in inv.devices if d.kind is DeviceKind.ipran):
            self.devices[dev.id].loopback = str(self.catalogue.addressing.loopbacks.network_address + 1 + i)

    def _paths(self) -> None:
        for info in self.index.circuits.values():
            for role in info.roles():
                hops = tuple(info.path(role) or ())
                elements = tuple(self.index.device_sequence(info.id, role))
                self.paths.append(PathRef(info.id, role, hops, elements))

    def port_on(self, device: str, link: str) -> str | None:
        for sp in self.devices[device].ports.values():
            if sp.link == link:
                return sp.name
        return None

    def _trails(self) -> None:
        inv = self.inventory
        next_if: dict[str, int] = defaultdict(lambda: PATH_IF_BASE)
        circuits = {c.id: c for c in inv.circuits}
        for path in self.paths:
            c = circuits[path.circuit]
            spec = c.working if path.role is PathRole.working else c.protection
            trail = spec.trail if spec is not None else None
            if not trail:
                continue
            low = not trail.upper().startswith("VC4")
            n = len(path.elements) - 1
            for j, dev in enumerate(path.elements):
                sd = self.devices[dev]
                if sd.device.kind not in (DeviceKind.sdh, DeviceKind.mstp):
                    continue
                points: list[tuple[str, Literal["left", "right"]]] = []
                if 0 < j < n:
                    left = self.port_on(dev, path.hops[j - 1])
                    right = self.port_on(dev, path.hops[j])
                    if left:
                        points.append((left, "left"))
                    if right:
                        points.append((right, "right"))
                else:
                    end = c.a_end if j == 0 else c.z_end
                    if end.device == dev and end.port is not None and end.port in sd.ports:
                        points.append((end.port, "right" if j == 0 else "left"))
                for port, side in points:
                    if_index = next_if[dev]
                    next_if[dev] += 1
                    sd.trails.append(TrailPoint(trail, port, if_index, low, c.id, path.role, j, side))

    def _ipran(self) -> None:
        inv = self.inventory
        circuits = {c.id: c for c in inv.circuits}
        addresses = self.catalogue.addressing.links.subnets(new_prefix=30)
        for link in inv.links:
            da, dz = inv.link_devices(link)
            if self.kind(da) is not DeviceKind.ipran or self.kind(dz) is not DeviceKind.ipran:
                continue
            net = next(addresses)
            a_addr, z_addr = str(net.network_address + 1), str(net.network_address + 2)
            for dev, peer, peer_addr in ((da, dz, z_addr), (dz, da, a_addr)):
                port = self.port_on(dev, link.id)
                if port is not None:
                    sp = self.devices[dev].ports[port]
                    self.devices[dev].bfd.append(SimBfd(link.id, port, sp.if_index, peer, peer_addr))
        tunnel_no: dict[str, int] = defaultdict(int)
        for path in self.paths:
            c = circuits[path.circuit]
            spec = c.working if path.role is PathRole.working else c.protection
            if spec is None or not spec.pseudowire:
                continue
            ipran = [d for d in path.elements if self.kind(d) is DeviceKind.ipran]
            if not ipran:
                continue
            head, tail = ipran[0], ipran[-1]
            name = spec.pseudowire
            digits = "".join(ch for ch in name if ch.isdigit())
            pw = SimPw(name, int(digits) if digits else len(self.pws) + 1, path, (head, tail))
            for pe in dict.fromkeys((head, tail)):
                j = path.elements.index(pe)
                # the attachment circuit is on the customer's side of the PE
                if pe == head:
                    ac_hop = path.hops[j - 1] if j > 0 else None
                else:
                    ac_hop = path.hops[j] if j < len(path.hops) else None
                port = self.port_on(pe, ac_hop) if ac_hop else None
                if port is not None:
                    pw.ac_port[pe] = port
                self.devices[pe].pws.append(pw)
            self.pws[name] = pw
            if c.product.endswith("l3vpn"):
                for pe in dict.fromkeys((head, tail)):
                    vrfs = self.devices[pe].vrfs
                    if c.customer not in vrfs:
                        rd = f"{self.catalogue.addressing.route_distinguisher_as}:{100 + len(vrfs)}"
                        vrfs[c.customer] = SimVrf(c.customer, rd)
                    vrfs[c.customer].pws.append(name)
            tunnel = spec.tunnel
            if tunnel and head != tail:
                internal = tuple(
                    h for h in path.hops if all(self.kind(d) is DeviceKind.ipran for d in self.index.links[h].devices)
                )
                key = (head, tunnel)
                if key not in self.tunnels:
                    tunnel_no[head] += 1
                    t = SimTunnel(tunnel, head, tail, tunnel_no[head], internal, tuple(ipran[1:-1]))
                    self.tunnels[key] = t
                    self.devices[head].tunnels.append(t)

    # -- state under faults -------------------------------------------------------------------

    def port_dark(self, device: str, port: str, faults: Faults) -> bool:
        sp = self.devices[device].ports[port]
        if sp.board is not None and f"{device}:{sp.board}" in faults.boards_down:
            return True
        if sp.link is None:
            return False
        if sp.link in faults.links_down:
            return True
        assert sp.far is not None
        far_dev, far_port = sp.far
        if far_dev in faults.devices_down:
            return True
        far = self.devices[far_dev].ports.get(far_port)
        return far is not None and far.board is not None and f"{far_dev}:{far.board}" in faults.boards_down

    def hop_down(self, hop: str, faults: Faults) -> bool:
        exp = self.index.links[hop]
        if hop in faults.links_down or any(d in faults.devices_down for d in exp.devices):
            return True
        return any(f"{dev}:{self._board_of(dev, port)}" in faults.boards_down for dev, port in self._hop_ports(hop))

    def _hop_ports(self, hop: str) -> Iterable[tuple[str, str]]:
        exp = self.index.links[hop]
        for ref in exp.ports:
            dev, port = ref.split(":", 1)
            yield dev, port

    def _board_of(self, device: str, port: str) -> int | None:
        sp = self.devices[device].ports.get(port)
        return sp.board if sp is not None else None

    def path_up(self, path: PathRef, faults: Faults) -> bool:
        if any(d in faults.devices_down for d in path.elements):
            return False
        return not any(self.hop_down(h, faults) for h in path.hops)

    def trail_ais(self, point: TrailPoint, path: PathRef, faults: Faults) -> bool:
        """The path interface receives AIS: a failure beyond the adjacent hop on its side."""
        j = point.position
        hops, elements = path.hops, path.elements
        if point.side == "left":
            if j == 0:
                return False
            if self.hop_down(hops[j - 1], faults):
                return False  # LOS at the port itself
            return any(self.hop_down(hops[k], faults) for k in range(j - 1)) or any(
                elements[i] in faults.devices_down for i in range(j - 1)
            )
        if j >= len(hops):
            return False
        if self.hop_down(hops[j], faults):
            return False
        return any(self.hop_down(hops[k], faults) for k in range(j + 1, len(hops))) or any(
            elements[i] in faults.devices_down for i in range(j + 2, len(elements))
        )

    def path_of(self, point: TrailPoint) -> PathRef:
        for p in self.paths:
            if p.circuit == point.circuit and p.role is point.role:
                return p
        raise KeyError(f"{point.circuit} {point.role.value}")

    def tunnel_up(self, tunnel: SimTunnel, faults: Faults) -> bool:
        if tunnel.tail in faults.devices_down or any(d in faults.devices_down for d in tunnel.transit):
            return False
        return not any(self.hop_down(h, faults) for h in tunnel.hops)

    def pw_up(self, pw: SimPw, faults: Faults) -> bool:
        return self.path_up(pw.path, faults)

    def rx_dbm(self, device: str, port: SimPort) -> float:
        opt = self.catalogue.optical
        nominal = opt.rx_dbm.get(port.kind, -8.0)
        return round(nominal + (2 * stable_fraction(device, port.name) - 1) * opt.spread_db, 1)
