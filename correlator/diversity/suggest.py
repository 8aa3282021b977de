"""Propose a protection route over the duct graph that shares no duct and no cable with the working path.

The duct graph has sites as nodes and ducts as edges (a duct is a node of its own between its two
sites, so parallel ducts stay apart). Cables are shared-risk groups: a working cable lies in every
one of its ducts, so a route that avoids the working path's ducts avoids its cables too, and only
cables outside the working path are offered as ones already lying along the route. Duct weights are
their lengths; a duct without a length weighs the mean known length (1 if no duct has one). A route
never passes through a site whose kind is in ``diversity.suggestion_no_transit_site_kinds`` (by
default customer premises and data centres: another customer's building), other than its ends.

In order, the first that exists is proposed:

1. ``route``: a protection route between the circuit's end sites that avoids the working path's
   ducts and its intermediate sites (fully diverse);
2. ``route`` with ``shared_sites``: one that avoids the working ducts but must pass some of the
   working path's sites (the audit would still report ``same_site``);
3. ``pair``: no route avoids the working path as it is, but two duct-disjoint routes exist if the
   working path moves too (Suurballe/Bhandari shortest disjoint pair): both are proposed;
4. ``none``: every route between the end sites needs the ``cut_ducts`` (a single duct out of a
   building, for example), or no duct route joins them at all.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import networkx as nx

from correlator.diversity.expand import NetworkIndex
from correlator.inventory.inventory import Inventory

Node = tuple[str, str]
"""("s", SITE) or ("d", DUCT)."""


@dataclass(frozen=True)
class DuctRoute:
    sites: tuple[str, ...]
    ducts: tuple[str, ...]
    length_m: float | None
    cables_along: tuple[str, ...]
    """Cables already lying in the route's ducts (none of them on the working path)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites": list(self.sites),
            "ducts": list(self.ducts),
            "length_m": self.length_m,
            "cables_along": list(self.cables_along),
        }


@dataclass(frozen=True)
class Suggestion:
    circuit: str
    status: str
    """``route``, ``pair`` or ``none``."""
    protection: DuctRoute | None = None
    working: DuctRoute | None = None
    """For ``pair``: where the working path must move."""
    shared_sites: tuple[str, ...] = ()
    cut_ducts: tuple[str, ...] = ()
    reason: str = ""
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "status": self.status,
            "protection": self.protection.as_dict() if self.protection else None,
            "working": self.working.as_dict() if self.working else None,
            "shared_sites": list(self.shared_sites),
            "cut_ducts": list(self.cut_ducts),
            "reason": self.reason,
            "notes": list(self.notes),
        }


class DuctGraph:
    """Sites and ducts of an inventory, built once."""

    def __init__(self, inv: Inventory) -> None:
        self.inventory = inv
        known = [d.length_m for d in inv.ducts if d.length_m is not None]
        default = statistics.fmean(known) if known else 1.0
        self.graph: nx.Graph = nx.Graph()
        self.length: dict[str, float | None] = {}
        for s in inv.sites:
            self.graph.add_node(("s", s.id))
        for d in inv.ducts:
            w = d.length_m if d.length_m is not None else default
            self.length[d.id] = d.length_m
            self.graph.add_edge(("s", d.a_site), ("d", d.id), w=w / 2)
            self.graph.add_edge(("d", d.id), ("s", d.z_site), w=w / 2)
        self.cables_in: dict[str, list[str]] = defaultdict(list)
        for c in inv.cables:
            for duct_id in c.ducts:
                self.cables_in[duct_id].append(c.id)

    def route(self, nodes: list[Node], avoid_cables: set[str]) -> DuctRoute:
        sites = tuple(n[1] for n in nodes if n[0] == "s")
        ducts = tuple(n[1] for n in nodes if n[0] == "d")
        lengths = [self.length[d] for d in ducts]
        total = sum(x for x in lengths if x is not None) if all(x is not None for x in lengths) else None
        along = dict.fromkeys(c for d in ducts for c in self.cables_in.get(d, ()) if c not in avoid_cables)
        return DuctRoute(sites, ducts, total, tuple(along))


def _shortest(g: nx.Graph, s: Node, t: Node) -> list[Node] | None:
    try:
        path: list[Node] = nx.dijkstra_path(g, s, t, weight="w")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    return path


def disjoint_pair(g: nx.Graph, s: Node, t: Node) -> tuple[list[Node], list[Node]] | None:
    """The shortest pair of duct-disjoint routes (Bhandari's form of Suurballe's algorithm)."""
    d = nx.DiGraph()
    for u, v, w in g.edges(data="w"):
        d.add_edge(u, v, w=w)
        d.add_edge(v, u, w=w)
    first = _shortest(d, s, t)
    if first is None:
        return None
    for u, v in pairwise(first):
        w = d[u][v]["w"]
        d.remove_edge(u, v)
        d[v][u]["w"] = -w
    try:
        second: list[Node] = nx.bellman_ford_path(d, s, t, weight="w")
    except nx.NetworkXNoPath:
        return None
    arcs: Counter[tuple[Node, Node]] = Counter(pairwise(first))
    arcs.update(pairwise(second))
    for u, v in list(arcs):
        if arcs[(u, v)] and arcs.get((v, u)):
            arcs[(u, v)] -= 1
            arcs[(v, u)] -= 1
    succ: dict[Node, list[Node]] = defaultdict(list)
    for (u, v), n in arcs.items():
        succ[u] += [v] * n
    out: list[list[Node]] = []
    for _ in range(2):
        at, walk = s, [s]
        while at != t:
            at = succ[at].pop()
            walk.append(at)
        out.append(walk)
    return out[0], out[1]


def _cut_ducts(g: nx.Graph, s: Node, t: Node) -> list[str]:
    """Ducts on every route between ``s`` and ``t``."""
    path = _shortest(g, s, t)
    if path is None:
        return []
    out = []
    for n in path:
        if n[0] != "d":
            continue
        view = nx.subgraph_view(g, filter_node=lambda x, n=n: x != n)
        if not nx.has_path(view, s, t):
            out.append(n[1])
    return out


def suggest(index: NetworkIndex, graph: DuctGraph, circuit: str) -> Suggestion:
    """A protection route for ``circuit`` (see the module text)."""
    info = index.circuits[circuit]
    a, z = (index.inventory.site_of_device(d) for d in info.end_devices)
    if a is None or z is None or a == z:
        return Suggestion(circuit, "none", reason="the circuit's two ends are in one site: no route to propose")
    w_ducts: set[str] = set()
    w_cables: set[str] = set()
    w_sites: set[str] = set()
    undocumented: list[str] = []
    for h in info.working:
        exp = index.links[h]
        w_ducts.update(exp.ducts)
        w_cables.update(exp.cables)
        w_sites.update(exp.sites)
        undocumented += exp.undocumented
    w_sites -= {a, z}
    notes = tuple(
        f"the working path rides cable {c}, which has no duct data: only its documented ducts are avoided"
        for c in dict.fromkeys(undocumented)
    )
    s, t = ("s", a), ("s", z)
    banned = set(index.policy.diversity.suggestion_no_transit_site_kinds)
    sites = index.inventory.sites
    no_transit = {x.id for x in sites if x.kind in banned} - {a, z}
    g = nx.subgraph_view(graph.graph, filter_node=lambda n: not (n[0] == "s" and n[1] in no_transit))
    strict = nx.subgraph_view(
        g, filter_node=lambda n: not ((n[0] == "d" and n[1] in w_ducts) or (n[0] == "s" and n[1] in w_sites))
    )
    path = _shortest(strict, s, t)
    if path is not None:
        return Suggestion(circuit, "route", protection=graph.route(path, w_cables), notes=notes)
    loose = nx.subgraph_view(g, filter_node=lambda n: not (n[0] == "d" and n[1] in w_ducts))
    path = _shortest(loose, s, t)
    if path is not None:
        r = graph.route(path, w_cables)
        shared = tuple(x for x in r.sites if x in w_sites)
        return Suggestion(
            circuit,
            "route",
            protection=r,
            shared_sites=shared,
            reason=f"no route avoids the working path's sites; this one shares {', '.join(shared)}",
            notes=notes,
        )
    pair = disjoint_pair(g, s, t)
    if pair is not None:
        p1, p2 = (graph.route(p, set()) for p in pair)
        return Suggestion(
            circuit,
            "pair",
            working=p1,
            protection=p2,
            reason="no route avoids the working path as it is: move the working path too (duct-disjoint pair)",
            notes=notes,
        )
    if _shortest(g, s, t) is None:
        return Suggestion(circuit, "none", reason=f"no duct route joins {a} and {z} in the duct inventory", notes=notes)
    cut = _cut_ducts(g, s, t)
    return Suggestion(
        circuit,
        "none",
        cut_ducts=tuple(cut),
        reason=f"every route between {a} and {z} runs through duct {', '.join(cut)}: no second route exists "
        "without new civil works",
        notes=notes,
    )
