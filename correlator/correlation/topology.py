"""What the correlator needs to know about the network, read once from a :class:`NetworkIndex`.

An adapter, not a second index: the diversity index already expands every circuit path into
resource keys (``kind:id``). This adds the lookups root-cause analysis walks:

- a port's link, the far-end port, the board a port sits on, the ports of a board, the links of an
  element, the elements an element is managed through;
- the links of a cable, the cables of a duct;
- each circuit path as the ordered ports it passes (A-end hand-off, then both ports of each hop, then
  the Z-end hand-off), the paths through a port, the paths through an element;
- the logical resources circuits name: ``pw:<id>``, ``tunnel:<name>``, ``trail:<id>`` -> the
  (circuit, path) that carries them.

Keys are the index's: ``port:DEV:PORT``, ``board:DEV:SLOT``, ``device:DEV``, ``link:ID`` ... Path
data is computed on first use and kept, so a large network costs only what its alarms touch.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from correlator.diversity.expand import NetworkIndex, rkey
from correlator.domain import PathRole

PathId = tuple[str, PathRole]
"""(circuit id, working or protection)."""

LOGICAL_KINDS = ("pw", "tunnel", "trail")


class Topology:
    def __init__(self, index: NetworkIndex) -> None:
        self.index = index
        inv = index.inventory
        self.port_link: dict[str, str] = {}
        self.link_ports: dict[str, tuple[str, str]] = {}
        self.device_links: dict[str, list[str]] = defaultdict(list)
        for exp in index.links.values():
            a, z = (rkey("port", p) for p in exp.ports)
            self.link_ports[exp.link] = (a, z)
            self.port_link[a] = exp.link
            self.port_link[z] = exp.link
            for dev in dict.fromkeys(exp.devices):
                self.device_links[dev].append(exp.link)
        self.port_board: dict[str, str] = {}
        self.board_ports: dict[str, list[str]] = defaultdict(list)
        self.managed_via: dict[str, tuple[str, ...]] = {}
        self.managed_by: dict[str, list[str]] = defaultdict(list)
        """Gateway element -> the elements managed through it."""
        for device in inv.devices:
            self.managed_via[device.id] = tuple(device.managed_via)
            for gateway in dict.fromkeys(device.managed_via):
                self.managed_by[gateway].append(device.id)
            for port in device.ports:
                if port.board is not None:
                    p, b = rkey("port", f"{device.id}:{port.name}"), rkey("board", f"{device.id}:{port.board}")
                    self.port_board[p] = b
                    self.board_ports[b].append(p)
        self.cable_links: dict[str, list[str]] = defaultdict(list)
        self.link_cables: dict[str, tuple[str, ...]] = {}
        for exp in index.links.values():
            self.link_cables[exp.link] = exp.cables
            for c in dict.fromkeys(exp.cables):
                self.cable_links[c].append(exp.link)
        self.duct_cables: dict[str, list[str]] = defaultdict(list)
        self.cable_ducts: dict[str, tuple[str, ...]] = {}
        for cable in inv.cables:
            self.cable_ducts[cable.id] = tuple(dict.fromkeys(cable.ducts))
            for d in self.cable_ducts[cable.id]:
                self.duct_cables[d].append(cable.id)
        self._logical: dict[str, dict[str, tuple[PathId, ...]]] = {kind: {} for kind in LOGICAL_KINDS}
        """Kind -> the id a circuit path names (the inventory's own string) -> the paths naming it."""
        for circuit in inv.circuits:
            if circuit.id not in index.circuits:
                continue
            for role, path in ((PathRole.working, circuit.working), (PathRole.protection, circuit.protection)):
                if path is None:
                    continue
                for kind, value in (("pw", path.pseudowire), ("tunnel", path.tunnel), ("trail", path.trail)):
                    if value:
                        table = self._logical[kind]
                        table[value] = (*table.get(value, ()), (circuit.id, role))
        self._ports_of_path: dict[PathId, tuple[str, ...]] = {}
        self._devices_of_path: dict[PathId, tuple[str, ...]] = {}
        self._links_of_path: dict[PathId, tuple[str | None, ...]] = {}
        self._paths_of_device: dict[str, tuple[PathId, ...]] | None = None
        self._paths_of_port: dict[str, list[PathId]] = {}

    # -- elements ---------------------------------------------------------------------------

    @staticmethod
    def device_of(key: str) -> str:
        """``port:DEV:PORT`` / ``board:DEV:SLOT`` / ``device:DEV`` -> ``DEV``."""
        return key.split(":", 2)[1]

    def far_port(self, port: str) -> str | None:
        link = self.port_link.get(port)
        if link is None:
            return None
        a, z = self.link_ports[link]
        return z if port == a else a

    # -- paths ------------------------------------------------------------------------------

    def roles(self, circuit: str) -> tuple[PathRole, ...]:
        return self.index.circuits[circuit].roles()

    def path_ports(self, pid: PathId) -> tuple[str, ...]:
        """The ports a path passes, in order from the A-end hand-off to the Z-end hand-off."""
        cached = self._ports_of_path.get(pid)
        if cached is not None:
            return cached
        circuit, role = pid
        info = self.index.circuits[circuit]
        a_port, z_port = self._end_ports(circuit)
        out: list[str] = [a_port] if a_port else []
        at = info.end_devices[0]
        for hop in info.path(role) or ():
            pa, pz = self.link_ports[hop]
            exp = self.index.links[hop]
            near, far = (pa, pz) if exp.devices[0] == at else (pz, pa)
            out += [near, far]
            at = exp.devices[1] if exp.devices[0] == at else exp.devices[0]
        if z_port:
            out.append(z_port)
        seq = tuple(out)
        self._ports_of_path[pid] = seq
        return seq

    def path_port_links(self, pid: PathId) -> tuple[str | None, ...]:
        """The link of each port in :meth:`path_ports` (None for a hand-off port)."""
        cached = self._links_of_path.get(pid)
        if cached is None:
            cached = tuple(self.port_link.get(p) for p in self.path_ports(pid))
            self._links_of_path[pid] = cached
        return cached

    def path_devices(self, pid: PathId) -> tuple[str, ...]:
        cached = self._devices_of_path.get(pid)
        if cached is None:
            cached = tuple(self.index.device_sequence(pid[0], pid[1]))
            self._devices_of_path[pid] = cached
        return cached

    def paths_at_port(self, port: str) -> list[PathId]:
        """Every circuit path that passes the port (as a hop end or a hand-off), sorted."""
        cached = self._paths_of_port.get(port)
        if cached is not None:
            return cached
        out: set[PathId] = set()
        link = self.port_link.get(port)
        if link is not None:
            out.update(self.index.link_paths.get(link, ()))
        for cid in self.index.resource_circuits.get(port, ()):
            out.update((cid, role) for role in self.roles(cid))
        paths = sorted(out)
        self._paths_of_port[port] = paths
        return paths

    def trail_of(self, dev: str, resource_id: str) -> tuple[str, tuple[PathId, ...]] | None:
        """The trail a path resource names (``Cpos2/0/0:VC12-JC-1001``, ``VC12-JC-1001``) and its paths,
        if one of its ``:``/``@``/space-separated parts is a circuit's trail through the element; else None."""
        trails = self._logical["trail"]
        last = resource_id.rpartition(":")[2]
        paths = trails.get(last)
        if paths is not None and len(paths) == 1 and dev in self.path_devices(paths[0]):
            return last, paths  # the usual form, PORT:TRAIL
        for token in _tokens(resource_id):
            paths = trails.get(token) if token else None
            if paths:
                through = tuple(p for p in paths if dev in self.path_devices(p))
                if through:
                    return token, through
        return None

    def paths_at_device(self, dev: str) -> tuple[PathId, ...]:
        """Every circuit path that passes the element."""
        if self._paths_of_device is None:
            by_dev: dict[str, set[PathId]] = defaultdict(set)
            for cid, info in self.index.circuits.items():
                for role in info.roles():
                    for d in self.path_devices((cid, role)):
                        by_dev[d].add((cid, role))
            self._paths_of_device = {d: tuple(sorted(p)) for d, p in by_dev.items()}
        return self._paths_of_device.get(dev, ())

    def logical_paths(self, key: str) -> tuple[PathId, ...]:
        """``pw:ID`` / ``tunnel:NAME`` / ``trail:ID`` -> the paths that carry it."""
        kind, _, value = key.partition(":")
        table = self._logical.get(kind)
        return table.get(value, ()) if table is not None else ()

    def path_logical(self, pid: PathId) -> tuple[str, ...]:
        """The logical resources a path names: ``pw:``, ``tunnel:``, ``trail:`` keys."""
        circuit = self.index.inventory.circuits.get(pid[0])
        path = None if circuit is None else circuit.working if pid[1] is PathRole.working else circuit.protection
        if path is None:
            return ()
        pairs = (("pw", path.pseudowire), ("tunnel", path.tunnel), ("trail", path.trail))
        return tuple(rkey(kind, value) for kind, value in pairs if value)

    def _end_ports(self, circuit_id: str) -> tuple[str | None, str | None]:
        c = self.index.inventory.circuits[circuit_id]
        a = rkey("port", f"{c.a_end.device}:{c.a_end.port}") if c.a_end.port else None
        z = rkey("port", f"{c.z_end.device}:{c.z_end.port}") if c.z_end.port else None
        return a, z

    def circuits_touching(self, key: str) -> dict[str, set[PathRole]]:
        """Which paths of which circuits depend on a resource (physical or logical)."""
        out: dict[str, set[PathRole]] = defaultdict(set)
        kind = key.partition(":")[0]
        if kind in LOGICAL_KINDS:
            for cid, role in self.logical_paths(key):
                out[cid].add(role)
            return out
        for link in self.index.resource_links.get(key, ()):
            for cid, role in self.index.link_paths.get(link, ()):
                out[cid].add(role)
        for cid in self.index.resource_circuits.get(key, ()):
            out[cid].update(self.roles(cid))
        return out


def _tokens(resource_id: str) -> Iterator[str]:
    """Where a trail name may be in a path resource id: after the last ``:``, the whole id, any part."""
    yield resource_id.rpartition(":")[2]
    yield resource_id
    yield from re.split(r"[:@ ]+", resource_id)
