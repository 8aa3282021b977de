"""Benchmark of the diversity views on a synthetic network (seeded, built in memory).

    .venv/bin/python bench/diversity/run.py [--circuits 100000] [--cables 20000] [--ducts 5000] [--seed 7]

The network: a square grid of sites (one element each) joined by ducts along the grid, plus
diagonal ducts up to --ducts; a one-duct cable on every grid duct and longer straight cables (2-4
ducts) up to --cables, 1% of them without duct data; one link per cable, its ports spread over four
boards per element (slots 1 and 2 are 1+1 mates). Each protected circuit runs from a site to one
1-6 sites east and south: working east then south, protection south then east; 10% start their
protection on the working path's first link (a shared tail). Customers are "gold" class, so every
circuit is audited; several circuits share a customer and direction, so spreading is exercised.

Prints the figures and PASS/FAIL against the targets: full audit (index + audit) < 30 s, what-if on
one duct < 1 s. Not a test: it times things.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

from correlator.diversity import DuctGraph, NetworkIndex, audit, evaluate, parse_cut, suggest, what_if
from correlator.domain import (
    CustomerTier,
    DeviceKind,
    DeviceRole,
    ImportantClass,
    Industry,
    MaintenanceLevel,
    ServiceLevel,
    SiteKind,
)
from correlator.inventory.inventory import Inventory
from correlator.inventory.model import (
    Board,
    Cable,
    Circuit,
    Customer,
    Device,
    Duct,
    End,
    Link,
    Port,
    Site,
)
from correlator.inventory.model import Path as CircuitPath
from correlator.policy import SlaPolicy

ROOT = Path(__file__).resolve().parents[2]

TARGET_AUDIT_S = 30.0
TARGET_WHATIF_S = 1.0


def site_id(x: int, y: int) -> str:
    return f"S{x:03d}-{y:03d}"


def build(n_circuits: int, n_cables: int, n_ducts: int, seed: int) -> Inventory:
    rnd = random.Random(seed)
    g = int((1 + math.sqrt(1 + 2 * n_ducts)) // 2)  # 2g(g-1) grid ducts <= n_ducts
    inv = Inventory()
    for x in range(g):
        for y in range(g):
            sid = site_id(x, y)
            inv.sites.items[sid] = Site.model_construct(
                id=sid, name=sid, kind=SiteKind.central_office, local_network="metro", area=None, address=None
            )
    duct_of: dict[tuple[str, str], str] = {}

    def add_duct(a: str, z: str) -> None:
        did = f"D{len(inv.ducts) + 1:05d}"
        inv.ducts.items[did] = Duct.model_construct(id=did, a_site=a, z_site=z, length_m=float(rnd.randint(100, 5000)))
        duct_of[(a, z)] = did

    for x in range(g):
        for y in range(g):
            if x + 1 < g:
                add_duct(site_id(x, y), site_id(x + 1, y))
            if y + 1 < g:
                add_duct(site_id(x, y), site_id(x, y + 1))
    while len(inv.ducts) < n_ducts:
        x, y = rnd.randrange(g - 1), rnd.randrange(g - 1)
        if (site_id(x, y), site_id(x + 1, y + 1)) not in duct_of:
            add_duct(site_id(x, y), site_id(x + 1, y + 1))

    # elements: one per site, four boards (1+1 on slots 1/2), ports added as links need them
    ports: dict[str, list[Port]] = defaultdict(list)
    roles = {}
    for x in range(g):
        for y in range(g):
            roles[site_id(x, y)] = DeviceRole.aggregation if x % 5 == 0 or y % 5 == 0 else DeviceRole.access

    def new_port(dev: str) -> str:
        n = len(ports[dev])
        slot = 1 + n % 4
        name = f"{slot}-P{n}"
        ports[dev].append(Port.model_construct(name=name, board=slot, kind="ge", if_index=n + 1))
        return f"NE-{dev}:{name}"

    # cables and links, directional east (+x) or south (+y); by (site, dir): [(span, link)]
    out_links: dict[tuple[int, int, str], list[tuple[int, str]]] = defaultdict(list)

    def add_cable(x: int, y: int, d: str, span: int) -> None:
        dx, dy = (1, 0) if d == "E" else (0, 1)
        sites = [site_id(x + i * dx, y + i * dy) for i in range(span + 1)]
        ducts = [duct_of[(sites[i], sites[i + 1])] for i in range(span)]
        cid = f"CB{len(inv.cables) + 1:06d}"
        undocumented = rnd.random() < 0.01
        inv.cables.items[cid] = Cable.model_construct(
            id=cid, a_site=sites[0], z_site=sites[-1], ducts=[] if undocumented else ducts, fibre_count=None
        )
        lid = f"L{len(inv.links) + 1:06d}"
        inv.links.items[lid] = Link.model_construct(
            id=lid, a=new_port(sites[0]), z=new_port(sites[-1]), cables=[cid], layer="optical"
        )
        out_links[(x, y, d)].append((span, lid))

    for x in range(g):
        for y in range(g):
            if x + 1 < g:
                add_cable(x, y, "E", 1)
            if y + 1 < g:
                add_cable(x, y, "S", 1)
    while len(inv.cables) < n_cables:
        d, span = rnd.choice("ES"), rnd.randint(2, 4)
        x, y = rnd.randrange(g), rnd.randrange(g)
        if (d == "E" and x + span < g) or (d == "S" and y + span < g):
            add_cable(x, y, d, span)

    for sid in inv.sites.items:
        boards = [
            Board.model_construct(slot=1, type="LINE", protected_by=2),
            Board.model_construct(slot=2, type="LINE", protected_by=1),
            Board.model_construct(slot=3, type="LINE", protected_by=None),
            Board.model_construct(slot=4, type="LINE", protected_by=None),
        ]
        inv.devices.items[f"NE-{sid}"] = Device.model_construct(
            id=f"NE-{sid}",
            name=sid,
            kind=DeviceKind.ipran,
            vendor="huawei",
            platform="ATN",
            role=roles[sid],
            site=sid,
            mgmt_address="127.0.0.1",
            credentials="bench",
            managed_via=[],
            snmp=None,
            cli_platform=None,
            boards=boards,
            ports=ports[sid],
        )

    def walk(x: int, y: int, legs: list[tuple[str, int]]) -> list[str]:
        hops = []
        for d, dist in legs:
            while dist > 0:
                span, lid = rnd.choice([c for c in out_links[(x, y, d)] if c[0] <= dist])
                hops.append(lid)
                dist -= span
                x, y = (x + span, y) if d == "E" else (x, y + span)
        return hops

    n_customers = max(1, n_circuits // 5)
    tiers = list(CustomerTier)
    for i in range(n_customers):
        cid = f"CU{i:06d}"
        inv.customers.items[cid] = Customer.model_construct(
            id=cid,
            name=cid,
            tier=rnd.choice(tiers),
            industry=Industry.finance,
            important_class=ImportantClass.gold,
            account_manager=None,
        )
    flows = []
    for _ in range(max(1, n_circuits * 2 // 5)):
        x, y = rnd.randrange(g - 1), rnd.randrange(g - 1)
        dx, dy = rnd.randint(1, min(6, g - 1 - x)), rnd.randint(1, min(6, g - 1 - y))
        flows.append((f"CU{rnd.randrange(n_customers):06d}", x, y, dx, dy))
    levels = [MaintenanceLevel.AAA, MaintenanceLevel.AA, MaintenanceLevel.A]
    for i in range(n_circuits):
        cust, x, y, dx, dy = rnd.choice(flows)
        working = walk(x, y, [("E", dx), ("S", dy)])
        if rnd.random() < 0.1:
            span = next(s for s, lid in out_links[(x, y, "E")] if lid == working[0])
            protection = [working[0], *walk(x + span, y, [("S", dy), ("E", dx - span)])]
        else:
            protection = walk(x, y, [("S", dy), ("E", dx)])
        cid = f"C{i:06d}"
        inv.circuits.items[cid] = Circuit.model_construct(
            id=cid,
            customer=cust,
            product="ipran_l2vpn",
            bandwidth="100M",
            maintenance_level=rnd.choice(levels),
            service_level=rnd.choice(list(ServiceLevel)),
            a_end=End.model_construct(device=f"NE-{site_id(x, y)}", port=None),
            z_end=End.model_construct(device=f"NE-{site_id(x + dx, y + dy)}", port=None),
            working=CircuitPath.model_construct(hops=working, trail=None, pseudowire=None, tunnel=None),
            protection=CircuitPath.model_construct(hops=protection, trail=None, pseudowire=None, tunnel=None),
            central_room=None,
            direction=None,
        )
    return inv


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--circuits", type=int, default=100_000)
    ap.add_argument("--cables", type=int, default=20_000)
    ap.add_argument("--ducts", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    policy = SlaPolicy.model_validate(yaml.safe_load((ROOT / "config" / "sla.yaml").read_text()))
    t0 = time.perf_counter()
    inv = build(args.circuits, args.cables, args.ducts, args.seed)
    t_build = time.perf_counter() - t0
    c = inv.counts()
    print(
        f"synthetic network (seed {args.seed}): {c['sites']} sites, {c['ducts']} ducts, {c['cables']} cables, "
        f"{c['devices']} elements, {c['links']} links, {c['circuits']} protected circuits "
        f"(generated in {t_build:.1f} s)"
    )

    t0 = time.perf_counter()
    index = NetworkIndex(inv, policy)
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = audit(index)
    t_audit = time.perf_counter() - t0
    full = t_index + t_audit
    print(f"index build              {t_index:7.2f} s")
    print(f"audit                    {t_audit:7.2f} s   {report.counts()}, {len(report.spreading)} spreading findings")
    print(f"full audit (index+audit) {full:7.2f} s   target < {TARGET_AUDIT_S:.0f} s  {verdict(full < TARGET_AUDIT_S)}")

    # what-if on the busiest duct (worst case) and on a random one
    per_duct = {d: len(index.resource_links.get(f"duct:{d}", ())) for d in inv.ducts.items}
    busiest = max(per_duct, key=lambda d: per_duct[d])
    rnd = random.Random(args.seed + 1)
    worst = 0.0
    for duct in (busiest, rnd.choice(list(inv.ducts.items))):
        t0 = time.perf_counter()
        r = what_if(index, [parse_cut(index, f"duct:{duct}")])
        dt = time.perf_counter() - t0
        worst = max(worst, dt)
        print(
            f"what-if duct:{duct:<8}    {dt:7.3f} s   {len(r.lose_service)} lose service, "
            f"{len(r.lose_protection)} lose protection ({per_duct[duct]} links in the duct)"
        )
    ok = verdict(worst < TARGET_WHATIF_S)
    print(f"what-if on one duct      {worst:7.3f} s   target < {TARGET_WHATIF_S:.0f} s  {ok}")

    keys = [f"link:{rnd.choice(list(inv.links.items))}" for _ in range(50)]
    t0 = time.perf_counter()
    ev = evaluate(index, keys)
    print(f"live evaluation, 50 links down {time.perf_counter() - t0:7.3f} s   {len(ev.states)} circuits not ok")

    graph_t0 = time.perf_counter()
    graph = DuctGraph(inv)
    t_graph = time.perf_counter() - graph_t0
    failing = [x.circuit for x in report.circuits if x.verdict.value == "violation"][:5]
    t0 = time.perf_counter()
    statuses = [suggest(index, graph, cid).status for cid in failing]
    per = (time.perf_counter() - t0) / max(1, len(failing))
    print(f"duct graph {t_graph:.2f} s; suggestion {per:.3f} s per circuit ({', '.join(statuses)})")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")
    return 0 if full < TARGET_AUDIT_S and worst < TARGET_WHATIF_S else 1


if __name__ == "__main__":
    sys.exit(main())
