"""Protection-route suggestions over the duct graph."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from correlator.configfile.loader import load_config
from correlator.diversity import DuctGraph, NetworkIndex, suggest
from correlator.diversity.suggest import disjoint_pair
from tests.diversity.conftest import IndexOf


def test_none_exists_when_a_building_has_one_duct(lab_index: NetworkIndex) -> None:
    graph = DuctGraph(lab_index.inventory)
    s = suggest(lab_index, graph, "C-004")
    assert s.status == "none"
    assert s.cut_ducts == ("D-056",)
    assert "D-056" in s.reason
    assert s.protection is None
    assert suggest(lab_index, graph, "C-013").cut_ducts == ("D-048",)


def test_route_exists_avoiding_the_working_ducts(lab_index: NetworkIndex) -> None:
    inv = lab_index.inventory
    s = suggest(lab_index, DuctGraph(inv), "C-001")
    assert s.status == "route"
    assert s.protection is not None
    working_ducts = {d for h in lab_index.circuits["C-001"].working for d in lab_index.links[h].ducts}
    assert "D-013" in working_ducts
    assert not set(s.protection.ducts) & working_ducts
    assert s.protection.sites[0] == "CP-PGOV-HQ" and s.protection.sites[-1] == "DC-EGOV"
    # the only other way out of Government Square is the north entry to CO-NORTH, a working site
    assert s.protection.ducts[0] == "D-017"
    assert s.shared_sites == ("CO-NORTH",)
    # never through another customer's building
    kinds = {inv.sites[x].kind.value for x in s.protection.sites[1:-1]}
    assert not kinds & {"customer_premises", "data_centre"}
    # consecutive ducts join up
    for i, d in enumerate(s.protection.ducts):
        duct = inv.ducts[d]
        assert {duct.a_site, duct.z_site} == {s.protection.sites[i], s.protection.sites[i + 1]}


def test_unverified_working_path_is_noted(lab_index: NetworkIndex) -> None:
    s = suggest(lab_index, DuctGraph(lab_index.inventory), "C-003")
    assert s.status == "route"
    assert any("CB-LD-N" in n for n in s.notes)


def test_fully_diverse_route(diverse_mini: Path, index_of: IndexOf) -> None:
    index = index_of(diverse_mini)
    graph = DuctGraph(load_config(diverse_mini).inventory)
    s = suggest(index, graph, "CKT-3")  # working CP-1 -D4- A-CO -D8- CP-2
    assert s.status == "route"
    assert s.protection is not None
    assert (s.protection.sites, s.protection.ducts, s.shared_sites) == (("CP-1", "B-CO", "CP-2"), ("D6", "D5"), ())
    assert s.protection.cables_along == ("C5", "C4")
    s1 = suggest(index, graph, "CKT-1")  # working CP-1 -D4- A-CO -D1- MH1 -D2- B-CO -D5- CP-2
    assert s1.status == "route"
    assert s1.protection is not None
    assert s1.protection.ducts == ("D6", "D3", "D8")
    assert set(s1.shared_sites) == {"A-CO", "B-CO"}


def test_disjoint_pair_escapes_the_trap() -> None:
    # the shortest route s-a-b-t blocks every second route; the pair s-a-t + s-b-t exists
    g = nx.Graph()
    for duct, u, v, w in [
        ("sa", "s", "a", 1),
        ("ab", "a", "b", 1),
        ("bt", "b", "t", 1),
        ("at", "a", "t", 3),
        ("sb", "s", "b", 3),
    ]:
        g.add_edge(("s", u), ("d", duct), w=w / 2)
        g.add_edge(("d", duct), ("s", v), w=w / 2)
    pair = disjoint_pair(g, ("s", "s"), ("s", "t"))
    assert pair is not None
    routes = {tuple(n[1] for n in p if n[0] == "d") for p in pair}
    assert routes == {("sa", "at"), ("sb", "bt")}
    g.remove_node(("d", "sb"))
    assert disjoint_pair(g, ("s", "s"), ("s", "t")) is None
