"""Benchmark of the correlator on a generated network: a duct cut and its alarm storm.

    .venv/bin/python bench/correlate/run.py [--elements 10000] [--circuits 100000] [--alarms 50000] [--seed 7]

The network (seeded, built in memory): a G x G grid of central offices, one SDH element (ADM) each;
a duct on every grid edge holding 2 fibre cables (6 on the trunk rows and columns, every 4th), each
cable carrying 4 links (ring systems) between the two ADMs. The other elements are CPEs at their own
premises, each on one access link (own cable, own duct) to an ADM. Half of the circuits run from a
CPE to a data-centre CPE at one of 4 data-centre offices, half between two CPEs a few offices apart;
paths go row-first (working) and column-first (protection, for circuits that turn a corner), over a
random link of each duct; half of those that can be are protected.

The cut: the duct carrying the most circuit paths. Alarms: LOS at both ends of every link in it, and
for the circuit paths over it, in a seeded random order, TU-AIS and LP-RDI at both CPEs and AU-AIS on
the ADM ports along the path (the path resource names the circuit's trail), until --alarms in all.
Events are stamped over 3 s of stream time (LOS first, symptoms after the 2.5 s hold-off) and fed in
observation order with the clock following them, ticking every stream second.

Timed: first event to the settled incident (ingest of every event, then the settle window's tick);
then checked: exactly one published incident, rooted at the cut duct, whose impacted circuits are
exactly what :func:`correlator.diversity.live.evaluate` says of the duct (outage / protection lost).
Prints PASS/FAIL against the targets: < 5 s, < 1 GB peak RSS, >= 5,000 alarms/s; exit status 1 if
one is missed. Not a test: it times things.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from correlator.alarms import AlarmBook, Resolver  # noqa: E402
from correlator.alarmtypes import load_alarm_types  # noqa: E402
from correlator.clock import ManualClock  # noqa: E402
from correlator.correlation import Correlator, ImpactStatus, IncidentState, load_rules  # noqa: E402
from correlator.diversity import NetworkIndex, RouteState, evaluate  # noqa: E402
from correlator.domain import (  # noqa: E402
    CustomerTier,
    DeviceKind,
    DeviceRole,
    ImportantClass,
    Industry,
    MaintenanceLevel,
    ServiceLevel,
    SiteKind,
)
from correlator.inventory.inventory import Inventory  # noqa: E402
from correlator.inventory.model import (  # noqa: E402
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
from correlator.inventory.model import Path as CircuitPath  # noqa: E402
from correlator.policy import SlaPolicy  # noqa: E402
from correlator.service.settings import CorrelatorSettings  # noqa: E402
from correlator.wire import AlarmEvent, Resource  # noqa: E402

TARGET_S = 5.0
TARGET_RSS_MB = 1024.0
TARGET_RATE = 5000.0
T0 = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)
CABLES_NORMAL, CABLES_TRUNK, LINKS_PER_CABLE = 2, 6, 4
N_DC, DC_CPES = 4, 8


NO_FIELDS: set[str] = frozenset()  # type: ignore[assignment]
"""One shared (empty, never mutated) fields-set for the frozen models built without validation:
a set per instance would be a fifth of the inventory's memory."""


def make(model: type[Any], **values: Any) -> Any:
    return model.model_construct(_fields_set=NO_FIELDS, **values)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Net:
    """The generated inventory, plus what the alarm generator needs to know of it."""

    def __init__(self, n_elements: int, n_circuits: int, seed: int) -> None:
        rnd = random.Random(seed)
        self.rnd = rnd
        g = 32
        while g * g > n_elements // 4:
            g -= 1
        self.g = g
        inv = Inventory()
        self.inv = inv
        self.ports: dict[str, list[Port]] = defaultdict(list)
        self.ends: dict[str, End] = {}
        site = lambda x, y: f"CO-{x:02d}-{y:02d}"  # noqa: E731
        adm = lambda x, y: f"ADM-{x:02d}-{y:02d}"  # noqa: E731
        for x in range(g):
            for y in range(g):
                sid = site(x, y)
                inv.sites.items[sid] = make(
                    Site,
                    id=sid,
                    name=sid,
                    kind=SiteKind.central_office,
                    local_network="metro",
                    area="town",
                    address=None,
                )
        # grid ducts, cables, links; parallel links per direction: (x, y, dir) -> [link ids]
        self.parallel: dict[tuple[int, int, str], list[str]] = {}
        self.duct_of_links: dict[str, list[str]] = {}
        for x in range(g):
            for y in range(g):
                for d, (nx, ny) in (("E", (x + 1, y)), ("S", (x, y + 1))):
                    if nx >= g or ny >= g:
                        continue
                    did = f"D-{x:02d}-{y:02d}-{d}"
                    inv.ducts.items[did] = make(Duct, id=did, a_site=site(x, y), z_site=site(nx, ny), length_m=500.0)
                    trunk = (d == "E" and y % 4 == 0) or (d == "S" and x % 4 == 0)
                    links = []
                    for c in range(CABLES_TRUNK if trunk else CABLES_NORMAL):
                        cid = f"CB-{x:02d}-{y:02d}-{d}{c}"
                        inv.cables.items[cid] = make(
                            Cable, id=cid, a_site=site(x, y), z_site=site(nx, ny), ducts=[did], fibre_count=96
                        )
                        for k in range(LINKS_PER_CABLE):
                            lid = f"L-{x:02d}-{y:02d}-{d}{c}{k}"
                            a = self._port(adm(x, y), 1 + "ES".index(d), "stm16")
                            z = self._port(adm(nx, ny), 3 + "ES".index(d), "stm16")
                            inv.links.items[lid] = make(Link, id=lid, a=a, z=z, cables=[cid], layer="optical")
                            links.append(lid)
                    self.parallel[(x, y, d)] = links
                    self.duct_of_links[did] = links
        # CPEs, one access link each; data-centre CPEs at the DC offices
        self.dcs = [(g // 4, g // 4), (3 * g // 4, g // 4), (g // 4, 3 * g // 4), (3 * g // 4, 3 * g // 4)][:N_DC]
        self.cpe_at: dict[str, tuple[int, int]] = {}
        self.access: dict[str, str] = {}
        self.cpe_port: dict[str, str] = {}
        by_office: dict[tuple[int, int], list[str]] = defaultdict(list)
        n_cpe = n_elements - g * g
        dc_cpes: dict[tuple[int, int], list[str]] = defaultdict(list)
        for i in range(n_cpe):
            if i < N_DC * DC_CPES:
                x, y = self.dcs[i // DC_CPES]
            else:
                x, y = rnd.randrange(g), rnd.randrange(g)
            cpe = f"CPE-{i:05d}"
            psite = f"CP-{i:05d}"
            inv.sites.items[psite] = make(
                Site,
                id=psite,
                name=psite,
                kind=SiteKind.customer_premises,
                local_network="metro",
                area="town",
                address=None,
            )
            did, cid, lid = f"DA-{i:05d}", f"CA-{i:05d}", f"LA-{i:05d}"
            inv.ducts.items[did] = make(Duct, id=did, a_site=psite, z_site=site(x, y), length_m=200.0)
            inv.cables.items[cid] = make(Cable, id=cid, a_site=psite, z_site=site(x, y), ducts=[did], fibre_count=8)
            a = self._port(cpe, 0, "stm1")
            z = self._port(adm(x, y), 5, "stm1")
            inv.links.items[lid] = make(Link, id=lid, a=a, z=z, cables=[cid], layer="optical")
            self.cpe_at[cpe], self.access[cpe], self.cpe_port[cpe] = (x, y), lid, a
            (dc_cpes[(x, y)] if i < N_DC * DC_CPES else by_office[(x, y)]).append(cpe)
            inv.devices.items[cpe] = make(Device,
                id=cpe, name=cpe, kind=DeviceKind.cpe, vendor="huawei", platform="AR", role=DeviceRole.customer,
                site=psite, mgmt_address="127.0.0.1", credentials="bench", managed_via=[], snmp=None,
                cli_platform=None, boards=[], ports=self.ports[cpe],
            )  # fmt: skip
        for x in range(g):
            for y in range(g):
                dev = adm(x, y)
                inv.devices.items[dev] = make(Device,
                    id=dev, name=dev, kind=DeviceKind.sdh, vendor="huawei", platform="OSN 3500",
                    role=DeviceRole.aggregation, site=site(x, y), mgmt_address="127.0.0.1", credentials="bench",
                    managed_via=[], snmp=None, cli_platform="tl1",
                    boards=[make(Board, slot=s, type="SL16", protected_by=None) for s in range(1, 6)],
                    ports=self.ports[dev],
                )  # fmt: skip
        # customers and circuits
        n_customers = max(1, n_circuits // 5)
        tiers, levels = list(CustomerTier), [MaintenanceLevel.AAA, MaintenanceLevel.AA, MaintenanceLevel.A,
                                             MaintenanceLevel.I, MaintenanceLevel.II]  # fmt: skip
        services = list(ServiceLevel)
        for i in range(n_customers):
            cu = f"CU-{i:06d}"
            inv.customers.items[cu] = make(Customer,
                id=cu, name=cu, tier=rnd.choice(tiers), industry=Industry.finance,
                important_class=ImportantClass.none, account_manager=None,
            )  # fmt: skip
        plain = [c for c in self.cpe_at if int(c[4:]) >= N_DC * DC_CPES]
        near_dc = {
            dc: [c for c in plain if abs(self.cpe_at[c][0] - dc[0]) + abs(self.cpe_at[c][1] - dc[1]) <= 8]
            for dc in self.dcs
        }
        for i in range(n_circuits):
            if i % 2 == 0:
                dc = self.dcs[rnd.randrange(len(self.dcs))]
                a_cpe = rnd.choice(near_dc[dc])
                z_cpe = rnd.choice(dc_cpes[dc])
            else:
                a_cpe = rnd.choice(plain)
                ax, ay = self.cpe_at[a_cpe]
                zx = min(g - 1, max(0, ax + rnd.randint(-4, 4)))
                zy = min(g - 1, max(0, ay + rnd.randint(-4, 4)))
                z_cpe = rnd.choice(by_office[(zx, zy)] or plain)
            if a_cpe == z_cpe:
                z_cpe = rnd.choice(plain)
            (ax, ay), (zx, zy) = self.cpe_at[a_cpe], self.cpe_at[z_cpe]
            working = [self.access[a_cpe], *self._route(ax, ay, zx, zy, row_first=True), self.access[z_cpe]]
            protection = None
            if ax != zx and ay != zy and rnd.random() < 0.5:
                protection = [self.access[a_cpe], *self._route(ax, ay, zx, zy, row_first=False), self.access[z_cpe]]
            cid = f"CKT-{i:06d}"
            inv.circuits.items[cid] = make(Circuit,
                id=cid, customer=f"CU-{rnd.randrange(n_customers):06d}", product="sdh_private_line",
                bandwidth="2M", maintenance_level=rnd.choice(levels), service_level=rnd.choice(services),
                a_end=self._end(a_cpe), z_end=self._end(z_cpe),
                working=make(CircuitPath, hops=working, trail=f"{cid}-W", pseudowire=None, tunnel=None),
                protection=None if protection is None else make(CircuitPath,
                    hops=protection, trail=f"{cid}-P", pseudowire=None, tunnel=None),
                central_room=None, scope="domestic", disaster_recovery=False, central_node=False, direction=None,
            )  # fmt: skip

    def _end(self, dev: str) -> End:
        """Circuit ends are frozen and equal for every circuit ending on a CPE: one object each."""
        end = self.ends.get(dev)
        if end is None:
            end = self.ends[dev] = make(End, device=dev, port=None)
        return end

    def _port(self, dev: str, slot: int, kind: str) -> str:
        ports = self.ports[dev]
        name = f"{slot}-P{len(ports) + 1}"
        ports.append(make(Port, name=name, board=slot if dev.startswith("ADM") else None, kind=kind,
                                          if_index=len(ports) + 1))  # fmt: skip
        return f"{dev}:{name}"

    def _route(self, x: int, y: int, zx: int, zy: int, row_first: bool) -> list[str]:
        hops: list[str] = []
        legs = [("x", zx), ("y", zy)] if row_first else [("y", zy), ("x", zx)]
        for axis, target in legs:
            while (x if axis == "x" else y) != target:
                if axis == "x":
                    step = 1 if target > x else -1
                    key = (min(x, x + step), y, "E")
                    x += step
                else:
                    step = 1 if target > y else -1
                    key = (x, min(y, y + step), "S")
                    y += step
                hops.append(self.rnd.choice(self.parallel[key]))
        return hops


def storm(net: Net, index: NetworkIndex, n_alarms: int, seed: int) -> tuple[str, list[AlarmEvent]]:
    """The busiest duct and the events of its cut, in observation order."""
    link_load = {lid: len(paths) for lid, paths in index.link_paths.items()}
    duct = max(net.duct_of_links, key=lambda d: (sum(link_load.get(lk, 0) for lk in net.duct_of_links[d]), d))
    rnd = random.Random(seed)
    types = load_alarm_types()
    cut = set(net.duct_of_links[duct])
    events: list[AlarmEvent] = []

    def event(t: float, seen: float, dev: str, rtype: str, rid: str, atype: str) -> AlarmEvent:
        spec = types.get(atype)
        return AlarmEvent(
            event_id=f"b{len(events) + 1:06d}", action="raise", device=dev,  # type: ignore[arg-type]
            resource=Resource(type=rtype, id=rid),  # type: ignore[arg-type]
            alarm_type=atype, severity=spec.severity, layer=spec.layer, raised_at=T0 + timedelta(seconds=t),
            observed_at=T0 + timedelta(seconds=seen), source="trap", agent="bench",  # type: ignore[arg-type]
        )  # fmt: skip

    for lid in sorted(cut):
        link = net.inv.links[lid]
        for ref in (link.a, link.z):
            dev, _, port = ref.partition(":")
            t = rnd.uniform(0, 0.3)
            events.append(event(t, t + 0.2, dev, "port", port, "LOS"))
    candidates: list[tuple[str, str, str]] = []
    paths = sorted({p for lid in cut for p in index.link_paths.get(lid, ())})
    for cid, role in paths:
        circuit = net.inv.circuits[cid]
        path = circuit.working if role.value == "working" else circuit.protection
        assert path is not None and path.trail is not None
        trail = path.trail
        for cpe in (circuit.a_end.device, circuit.z_end.device):
            port = net.cpe_port[cpe].partition(":")[2]
            candidates.append((cpe, f"{port}:{trail}", "TU_AIS"))
            candidates.append((cpe, f"{port}:{trail}", "LP_RDI"))
        for hop in path.hops:
            if hop in cut:
                continue
            link = net.inv.links[hop]
            for ref in (link.a, link.z):
                dev, _, port = ref.partition(":")
                if dev.startswith("ADM"):
                    candidates.append((dev, f"{port}:{trail}", "AU_AIS"))
    rnd.shuffle(candidates)
    need = n_alarms - len(events)
    if len(candidates) < need:
        raise SystemExit(f"the busiest duct gives only {len(candidates) + len(events)} alarms; use a larger network")
    for dev, rid, atype in candidates[:need]:
        t = rnd.uniform(0.05, 0.5)
        events.append(event(t, t + rnd.uniform(0.2, 2.5), dev, "path", rid, atype))
    events.sort(key=lambda e: (e.observed_at, e.event_id))
    return duct, events


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elements", type=int, default=10_000)
    ap.add_argument("--circuits", type=int, default=100_000)
    ap.add_argument("--alarms", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--batch",
        type=float,
        default=CorrelatorSettings().batch_linger_s,
        help="seconds of stream time per ingest_many() in the batched run (default: the daemon's"
        " correlator.batch_linger_s)",
    )
    ap.add_argument(
        "--batch-max",
        type=int,
        default=CorrelatorSettings().batch_max,
        help="events per ingest_many() at most (default: the daemon's correlator.batch_max)",
    )
    ap.add_argument("--only", choices=["batched", "single"], help="run one of the two feeding modes")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    t = time.perf_counter()
    net = Net(args.elements, args.circuits, args.seed)
    inv = net.inv
    policy = SlaPolicy.model_validate(yaml.safe_load((ROOT / "config" / "sla.yaml").read_text()))
    index = NetworkIndex(inv, policy)
    built = time.perf_counter() - t
    c = inv.counts()
    print(
        f"network (seed {args.seed}): {c['devices']} elements ({net.g * net.g} ADMs), {c['ports']} ports,"
        f" {c['links']} links, {c['cables']} cables, {c['ducts']} ducts, {c['circuits']} circuits"
        f" ({sum(1 for x in inv.circuits if x.protection)} protected); built and indexed in {built:.1f} s"
    )
    t = time.perf_counter()
    duct, events = storm(net, index, args.alarms, args.seed)
    expected = {
        cid: ImpactStatus.outage if st is RouteState.outage else ImpactStatus.protection_lost
        for cid, st in evaluate(index, [f"duct:{duct}"]).states.items()
    }
    print(
        f"cut duct:{duct}: {len(net.duct_of_links[duct])} links, {len(expected)} circuits hit"
        f" ({sum(1 for s in expected.values() if s is ImpactStatus.outage)} outage);"
        f" {len(events)} raw alarms generated in {time.perf_counter() - t:.1f} s"
    )

    rules = load_rules()
    types = load_alarm_types()
    verdicts = []
    modes = [("batched", args.batch), ("event by event", 0.0)]
    if args.only:
        modes = [m for m in modes if (m[1] == 0.0) == (args.only == "single")]
    for label, batch in modes:
        result = storm_run(net, policy, index, rules, types, events, duct, expected, batch, args.batch_max)
        verdicts.append(report(label, batch, result, len(events)))
        del result
        gc.unfreeze()
        gc.collect()
    peak = rss_mb()
    good = peak < TARGET_RSS_MB
    target = f"< {TARGET_RSS_MB:.0f} MB"
    print(f"{'peak RSS (whole run)':<40} {f'{peak:.0f} MB':>18}   target {target:<20} {verdict(good)}")
    return 0 if verdicts[0] and good else 1


def verdict(good: bool) -> str:
    return "PASS" if good else "FAIL"


def storm_run(
    net: Net,
    policy: SlaPolicy,
    index: NetworkIndex,
    rules: Any,
    types: Any,
    events: list[AlarmEvent],
    duct: str,
    expected: dict[str, ImpactStatus],
    batch: float,
    batch_max: int,
) -> dict[str, Any]:
    """Feed the storm to a fresh correlator; ``batch`` seconds of stream, at most ``batch_max`` events,
    per ``ingest_many`` (``batch`` 0: one by one)."""
    clock = ManualClock(events[0].observed_at)
    book = AlarmBook(rules.dedup, types, clock, Resolver(net.inv))
    cor = Correlator(net.inv, policy, rules, clock, index, book, alarm_types=types)
    gc.collect()
    gc.freeze()  # start-up done (inventory, index, the correlator's topology): out of the collector's scans
    changes = 0
    step = timedelta(seconds=batch)
    t0, c0 = time.perf_counter(), time.process_time()
    next_tick = clock.now() + timedelta(seconds=1)
    pending: list[AlarmEvent] = []
    end = events[0].observed_at + step
    for e in events:
        if batch and (e.observed_at >= end or len(pending) >= batch_max):
            changes += len(cor.ingest_many(pending))
            pending = []
            end = e.observed_at + step
        if e.observed_at >= next_tick:  # the daemon ticks every second
            clock.set(next_tick)
            changes += len(cor.tick())
            next_tick += timedelta(seconds=1)
        clock.set(max(clock.now(), e.observed_at))
        if batch:
            pending.append(e)
        else:
            changes += len(cor.ingest(e))
    if pending:
        changes += len(cor.ingest_many(pending))
    t_ingest = time.perf_counter() - t0
    while (nxt := cor.next_deadline()) is not None and nxt <= clock.now() + timedelta(seconds=rules.settle_seconds):
        clock.set(nxt)
        changes += len(cor.tick())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    published = [i for i in cor.incidents() if i.state is IncidentState.open]
    inc = published[0] if len(published) == 1 else None
    got = {cid: c.status for cid, c in inc.circuits.items() if c.until is None} if inc else {}
    return {
        "wall": wall,
        "cpu": cpu,
        "ingest": t_ingest,
        "published": len(published),
        "root": inc.root_key if inc else "-",
        "rule": inc.root.rule if inc else "-",
        "evidence": len(inc.root.evidence) if inc else 0,
        "symptoms": len(inc.symptoms) if inc else 0,
        "circuits": len(got),
        "correct": inc is not None and inc.root_key == f"duct:{duct}" and got == expected,
        "changes": changes,
        "alarms": len(book),
    }


def report(label: str, batch: float, r: dict[str, Any], n_events: int) -> bool:
    mode = f"{label} ({batch:g} s of stream per batch)" if batch else label
    print(
        f"{mode}: {r['published']} open incident; root {r['root']} ({r['rule']}), {r['evidence']} evidence,"
        f" {r['symptoms']} symptoms, {r['circuits']} circuits; impacted set correct: {'yes' if r['correct'] else 'NO'};"
        f" {r['changes']} incident changes, {r['alarms']} alarms in the book; {r['cpu']:.2f} s of CPU"
    )
    rate = n_events / r["ingest"]
    rows = [
        (
            "  first event to settled incident",
            f"{r['wall']:.2f} s",
            f"< {TARGET_S:g} s",
            r["wall"] < TARGET_S and r["correct"],
        ),
        ("  sustained ingest rate", f"{rate:,.0f} alarms/s", f">= {TARGET_RATE:,.0f} alarms/s", rate >= TARGET_RATE),
    ]
    for name, value, target, good in rows:
        print(f"{name:<40} {value:>18}   target {target:<20} {verdict(good)}")
    return all(good for *_, good in rows)


if __name__ == "__main__":
    sys.exit(main())
