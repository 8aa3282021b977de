"""The planned-work calendar: which announced window covers a resource at a given time.

Built once from the windows and the :class:`~correlator.diversity.expand.NetworkIndex`. A window
covers what it names and everything that fails with it, down the layers, as resource keys in the
correlator's own form (``duct:D-036``, ``cable:CB-2``, ``link:L-12``, ``port:NE-3:1/0/1``,
``board:NE-3:2``, ``device:NE-3``, ``site:CO-EAST``):

- a **duct**: the duct, its cables and what they cover;
- a **cable**: the cable, the links riding it and what they cover;
- a **link**: the link and its two ports;
- a **port**: the port, its link and the far-end port (a port taken down takes its link);
- a **board**: the board, its ports and what they cover;
- a **device**: the element, its boards, its ports and what they cover (the links ending on it:
  working on an element takes its links down, and the far end reports it);
- a **site**: the site, its elements, and the ducts and cables whose route passes it (as a what-if
  cut of the site takes them);
- the logical resources of every circuit path the window takes down (``pw:``, ``tunnel:``,
  ``trail:``), so a pseudowire root over a cut span is covered too.

A window covers during :meth:`~correlator.planned.model.PlannedWindow.cover_span`: announced,
started, not yet ended or cancelled. :meth:`PlannedCalendar.covering` is the lookup the ticket
layer uses (an alarm inside an announced window on its resources opens no outage ticket);
:meth:`PlannedCalendar.cover_spans` is the one availability uses (outage inside those spans of the
incident's root is excluded).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from correlator.correlation.topology import Topology
from correlator.diversity.expand import NetworkIndex, rkey, split_key
from correlator.diversity.whatif import WhatIf, what_if
from correlator.domain import PathRole
from correlator.planned.model import PlannedWindow, PlannedWindowRef


class PlannedCalendar:
    def __init__(self, windows: Iterable[PlannedWindow], index: NetworkIndex, topology: Topology | None = None) -> None:
        self.index = index
        self.topology = topology or Topology(index)
        self.windows: dict[str, PlannedWindow] = {w.id: w for w in sorted(windows, key=lambda w: (w.start, w.id))}
        self._site_devices: dict[str, list[str]] = defaultdict(list)
        for dev in index.inventory.devices:
            self._site_devices[dev.site].append(dev.id)
        self._site_cables: dict[str, list[str]] = defaultdict(list)
        self._site_ducts: dict[str, list[str]] = defaultdict(list)
        for duct in index.inventory.ducts:
            for s in dict.fromkeys((duct.a_site, duct.z_site)):
                self._site_ducts[s].append(duct.id)
        for cable in index.inventory.cables:
            sites = [cable.a_site, cable.z_site]
            for d in cable.ducts:
                through = index.inventory.ducts.get(d)
                if through is not None:
                    sites += [through.a_site, through.z_site]
            for s in dict.fromkeys(sites):
                self._site_cables[s].append(cable.id)
        self._covered: dict[str, frozenset[str]] = {}
        self._by_key: dict[str, list[PlannedWindow]] = defaultdict(list)
        for w in self.windows.values():
            keys = self._cover(w.resources)
            self._covered[w.id] = keys
            for key in keys:
                self._by_key[key].append(w)

    # -- coverage --------------------------------------------------------------------------------

    def expand(self, key: str) -> frozenset[str]:
        """Every resource key that fails with ``key`` (itself included), physical ones only."""
        out: set[str] = set()
        self._expand(key, out)
        return frozenset(out)

    def _expand(self, key: str, out: set[str]) -> None:
        if key in out:
            return
        out.add(key)
        topo = self.topology
        kind, rid = split_key(key)
        if kind == "duct":
            for cable in topo.duct_cables.get(rid, ()):
                self._expand(rkey("cable", cable), out)
        elif kind == "cable":
            for link in topo.cable_links.get(rid, ()):
                self._expand(rkey("link", link), out)
        elif kind == "link":
            out.update(topo.link_ports.get(rid, ()))
        elif kind == "port":
            port_link = topo.port_link.get(key)
            if port_link is not None:
                self._expand(rkey("link", port_link), out)
        elif kind == "board":
            for port in topo.board_ports.get(key, ()):
                self._expand(port, out)
        elif kind == "device":
            dev = self.index.inventory.devices.get(rid)
            if dev is not None:
                out.update(rkey("board", f"{rid}:{b.slot}") for b in dev.boards)
                for p in dev.ports:
                    self._expand(rkey("port", f"{rid}:{p.name}"), out)
            for link in topo.device_links.get(rid, ()):
                self._expand(rkey("link", link), out)
        elif kind == "site":
            for dev_id in self._site_devices.get(rid, ()):
                self._expand(rkey("device", dev_id), out)
            for duct in self._site_ducts.get(rid, ()):
                out.add(rkey("duct", duct))
            for cable in self._site_cables.get(rid, ()):
                self._expand(rkey("cable", cable), out)

    def _cover(self, resources: Iterable[str]) -> frozenset[str]:
        physical: set[str] = set()
        for key in resources:
            self._expand(key, physical)
        logical: set[str] = set()
        for cid, role in self._paths_over(physical):
            logical.update(self.topology.path_logical((cid, role)))
        return frozenset(physical | logical)

    def _paths_over(self, keys: set[str]) -> set[tuple[str, PathRole]]:
        index = self.index
        paths: set[tuple[str, PathRole]] = set()
        for key in keys:
            for link in index.resource_links.get(key, ()):
                paths.update(index.link_paths.get(link, ()))
            for cid in index.resource_circuits.get(key, ()):
                paths.update((cid, role) for role in index.circuits[cid].roles())
        return paths

    def covered(self, window_id: str) -> frozenset[str]:
        """Every resource key the window covers."""
        return self._covered[window_id]

    # -- lookups ---------------------------------------------------------------------------------

    def covering(self, resource_key: str, at: datetime) -> PlannedWindowRef | None:
        """The announced window covering ``resource_key`` at ``at`` (the earliest-starting if several)."""
        for w in self._by_key.get(resource_key, ()):
            if w.covers_at(at):
                return w.ref()
        return None

    def covering_all(self, resource_key: str, at: datetime) -> list[PlannedWindowRef]:
        """Every announced window covering ``resource_key`` at ``at``."""
        out = []
        for w in self._by_key.get(resource_key, ()):
            ref = w.ref()
            if ref is not None and w.covers_at(at):
                out.append(ref)
        return out

    def cover_spans(self, resource_key: str, start: datetime, end: datetime) -> list[PlannedWindowRef]:
        """The spans within [start, end) in which some window covers ``resource_key``, clipped to it,
        in time order (they may overlap when windows do)."""
        out = []
        for w in self._by_key.get(resource_key, ()):
            span = w.cover_span()
            if span is None:
                continue
            s, e = max(span[0], start), min(span[1], end)
            if e > s:
                out.append(PlannedWindowRef(w.id, s, e, w.title))
        return sorted(out, key=lambda r: (r.start, r.id))

    def windows_over(self, resource_key: str) -> list[PlannedWindow]:
        """Every window (announced or not, cancelled or not) that would cover ``resource_key``."""
        return list(self._by_key.get(resource_key, ()))

    def keys(self) -> frozenset[str]:
        """Every resource key some window covers."""
        return frozenset(self._by_key)

    def overlapping(self, start: datetime, end: datetime) -> list[PlannedWindow]:
        """Windows whose planned span meets [start, end), cancelled ones too, by start."""
        return [w for w in self.windows.values() if w.start < end and w.end > start]

    # -- impact ----------------------------------------------------------------------------------

    def impact(self, window_id: str) -> WhatIf:
        """What the window takes: circuits that lose service, circuits that lose protection."""
        return self.impact_of(self.windows[window_id].resources)

    def impact_of(self, resources: Iterable[str]) -> WhatIf:
        known = [r for r in dict.fromkeys(resources) if self.index.known(r)]
        return what_if(self.index, known)
