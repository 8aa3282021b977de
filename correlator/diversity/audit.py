"""The route and equipment diversity audit (DOMAIN.md, "Route and equipment diversity").

For every circuit the SLA policy puts under the rules (``SlaPolicy.must_be_diverse``), the working
and protection paths are expanded down every layer (:mod:`correlator.diversity.expand`) and
compared. Each element both use is a finding, with the hops of each path that use it:

- ``same_cable``, ``same_duct``: any shared cable or duct, wherever it is (a shared drop cable at
  the customer's door counts);
- ``same_site``: a shared *intermediate* site: a room, exchange or manhole both paths pass. The
  end sites (the sites of the A-end and Z-end elements, and the central room's site) are allowed;
- ``dual_device``: a shared *intermediate* element (the A-end and Z-end elements are allowed). A
  shared element always means a shared site too, which is reported as well. The central-room rule
  is also ``dual_device``: a circuit with a ``central_room`` needs at least two access devices
  listed, and its two paths must reach the room through two different ones (the access device of
  a path is the listed device nearest, in hops, to an element at the room's site);
- ``dual_board``: both paths use the same board of an element (any element, the end ones
  included; only the line-side ports of hops count, not the hand-off port). A board with a 1+1
  mate is accepted when ``diversity.mate_board_satisfies_dual_board`` is true;
- ``unverified``: a hop over a cable with no duct data, or a link between two sites listing no
  cable: duct diversity cannot be proved, so the circuit is never "diverse";
- ``no_protection``: the circuit must be diverse but has no protection path (the central-room
  count is still checked).

Shared links and ports are not findings of their own: they always come with a shared cable, or
with a shared element and site.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from correlator.diversity.expand import CircuitInfo, NetworkIndex, rkey, split_key
from correlator.diversity.findings import (
    RULE_ORDER,
    VIOLATION_RULES,
    Element,
    Finding,
    HopRef,
    Rule,
    Verdict,
)
from correlator.diversity.spreading import SpreadingFinding, find_spreading
from correlator.domain import PathRole

W, P = PathRole.working, PathRole.protection


@dataclass(frozen=True)
class CircuitAudit:
    circuit: str
    customer: str
    tier: str
    maintenance_level: str
    service_level: str
    verdict: Verdict
    reasons: tuple[str, ...]
    """Why the policy puts the circuit under the diversity rules."""
    findings: tuple[Finding, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "customer": self.customer,
            "tier": self.tier,
            "maintenance_level": self.maintenance_level,
            "service_level": self.service_level,
            "verdict": self.verdict.value,
            "required_because": list(self.reasons),
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class AuditReport:
    circuits: tuple[CircuitAudit, ...]
    """Audited circuits, most important first."""
    not_required: int
    """Circuits the policy does not put under the diversity rules (not audited)."""
    spreading: tuple[SpreadingFinding, ...] = ()
    by_id: dict[str, CircuitAudit] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id.update({c.circuit: c for c in self.circuits})

    def counts(self) -> dict[str, int]:
        n = Counter(c.verdict for c in self.circuits)
        return {v.value: n.get(v, 0) for v in Verdict}

    def findings(self) -> list[Finding]:
        return [f for c in self.circuits for f in c.findings]

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "audited": len(self.circuits),
            "not_required": self.not_required,
            "circuits": [c.as_dict() for c in self.circuits],
            "spreading": [s.as_dict() for s in self.spreading],
        }


# -- shared elements ---------------------------------------------------------------------------


def _board_ports(index: NetworkIndex, hops: tuple[HopRef, ...], board: str) -> list[str]:
    dev, _, slot = board.partition(":")
    out = []
    for h in hops:
        for ref in index.links[h.link].ports:
            if index.inventory.device_of(ref) != dev:
                continue
            port = index.inventory.port(ref)
            if port is not None and str(port.board) == slot:
                out.append(ref.partition(":")[2])
    return out


def _duct_cables(index: NetworkIndex, hops: tuple[HopRef, ...], duct: str) -> list[str]:
    out: dict[str, None] = {}
    for h in hops:
        for c in index.links[h.link].cables:
            cable = index.inventory.cables.get(c)
            if cable is not None and duct in cable.ducts:
                out[c] = None
    return list(out)


def _is_finding(index: NetworkIndex, info: CircuitInfo, kind: str, rid: str, end_sites: set[str]) -> bool:
    """Is a shared resource against the rules? (End sites and elements, mated boards, links and ports are not.)"""
    if kind in ("cable", "duct"):
        return True
    if kind == "site":
        return rid not in end_sites
    if kind == "device":
        return rid not in info.end_devices
    if kind == "board":
        return not (index.policy.diversity.mate_board_satisfies_dual_board and index.board_is_mated(rid))
    return False


def _shared_finding(index: NetworkIndex, info: CircuitInfo, key: str) -> Finding:
    kind, rid = split_key(key)
    wh, ph = index.hops_using(info.id, W, key), index.hops_using(info.id, P, key)
    where = index.where(key)
    if kind == "cable":
        rule, detail = Rule.same_cable, f"both paths ride cable {rid} ({where})"
    elif kind == "duct":
        wc, pc = _duct_cables(index, wh, rid), _duct_cables(index, ph, rid)
        rule = Rule.same_duct
        detail = (
            f"both paths run through duct {rid} ({where}): working in {', '.join(wc)}, protection in {', '.join(pc)}"
        )
    elif kind == "site":
        rule, detail = Rule.same_site, f"both paths pass site {rid}"
    elif kind == "device":
        rule, detail = Rule.dual_device, f"both paths go through element {rid} ({where})"
    else:
        wp, pp = _board_ports(index, wh, rid), _board_ports(index, ph, rid)
        rule = Rule.dual_board
        detail = f"both paths use board {rid}: working on {', '.join(wp)}, protection on {', '.join(pp)}"
    return Finding(info.id, rule, Element(kind, rid, where), wh, ph, detail)


def _unverified(index: NetworkIndex, info: CircuitInfo) -> list[Finding]:
    hits: dict[str, dict[PathRole, list[HopRef]]] = defaultdict(lambda: defaultdict(list))
    for role in info.roles():
        for i, h in enumerate(info.path(role) or ()):
            exp = index.links[h]
            for c in exp.undocumented:
                hits[rkey("cable", c)][role].append(HopRef(i, h))
            if exp.no_cable_data:
                hits[rkey("link", h)][role].append(HopRef(i, h))
    out = []
    for key, by_role in hits.items():
        kind, rid = split_key(key)
        if kind == "cable":
            detail = f"cable {rid} has no duct data: duct diversity cannot be proved (list its ducts in the inventory)"
        else:
            detail = f"link {rid} joins two sites but lists no cable (list its cables in the inventory)"
        out.append(
            Finding(
                info.id,
                Rule.unverified,
                Element(kind, rid, index.where(key)),
                tuple(by_role.get(W, ())),
                tuple(by_role.get(P, ())),
                detail,
            )
        )
    return out


# -- central room ------------------------------------------------------------------------------


def _entry_device(index: NetworkIndex, info: CircuitInfo, role: PathRole, access: list[str], room: str) -> str | None:
    """The listed access device through which a path reaches the central room."""
    seq = index.device_sequence(info.id, role)
    cands = [i for i, d in enumerate(seq) if d in access]
    if not cands:
        return None
    at_room = [i for i, d in enumerate(seq) if index.inventory.site_of_device(d) == room]
    if at_room:
        best = min(cands, key=lambda i: (min(abs(i - j) for j in at_room), i))
    else:
        best = min(cands, key=lambda i: (min(i, len(seq) - 1 - i), i))
    return seq[best]


def _central_room(index: NetworkIndex, info: CircuitInfo) -> list[Finding]:
    circuit = index.inventory.circuits.get(info.id)
    if circuit is None or circuit.central_room is None:
        return []
    room = circuit.central_room
    access = list(dict.fromkeys(room.access_devices))
    site = Element("site", room.site, index.where(rkey("site", room.site)))
    if len(access) < 2:
        only = access[0]
        key = rkey("device", only)
        return [
            Finding(
                info.id,
                Rule.dual_device,
                Element("device", only, index.where(key)),
                index.hops_using(info.id, W, key),
                index.hops_using(info.id, P, key) if info.protection is not None else (),
                f"central room {room.site} is reached by one access device only ({only}); the rule needs two "
                "different devices (list the second one in central_room.access_devices, or build it)",
            )
        ]
    if info.protection is None:
        return []
    entry = {role: _entry_device(index, info, role, access, room.site) for role in (W, P)}
    out = []
    for role in (W, P):
        if entry[role] is None:
            out.append(
                Finding(
                    info.id,
                    Rule.dual_device,
                    site,
                    detail=f"the {role.value} path reaches central room {room.site} through none of its access "
                    f"devices ({', '.join(access)})",
                )
            )
    ew = entry[W]
    if ew is not None and ew == entry[P]:
        key = rkey("device", ew)
        out.append(
            Finding(
                info.id,
                Rule.dual_device,
                Element("device", ew, index.where(key)),
                index.hops_using(info.id, W, key),
                index.hops_using(info.id, P, key),
                f"both paths reach central room {room.site} through the same access device {ew}",
            )
        )
    return out


# -- the audit ---------------------------------------------------------------------------------


def _order(f: Finding) -> tuple[int, int, str]:
    first = min([h.index for h in f.working] or [h.index for h in f.protection] or [-1])
    return RULE_ORDER[f.rule], first, f.element.key


def audit_circuit(index: NetworkIndex, info: CircuitInfo, extra: tuple[Finding, ...] = ()) -> CircuitAudit:
    """One circuit's verdict and findings (``extra``: its spreading findings)."""
    findings: list[Finding] = []
    if info.protection is None:
        findings.append(
            Finding(
                info.id,
                Rule.no_protection,
                Element("circuit", info.id),
                detail="the circuit must be route-diverse but has no protection path",
            )
        )
    else:
        circuit = index.inventory.circuits.get(info.id)
        end_sites = set(info.end_sites)
        if circuit is not None and circuit.central_room is not None:
            end_sites.add(circuit.central_room.site)
        shared = index.path_resources(info.id, W, with_ends=False) & index.path_resources(info.id, P, with_ends=False)
        for key in shared:
            kind, rid = split_key(key)
            if _is_finding(index, info, kind, rid, end_sites):
                findings.append(_shared_finding(index, info, key))
        findings += _unverified(index, info)
    findings += _central_room(index, info)
    findings.sort(key=_order)
    findings += extra
    rules = {f.rule for f in findings}
    if Rule.no_protection in rules:
        verdict = Verdict.no_protection
    elif rules & VIOLATION_RULES:
        verdict = Verdict.violation
    elif Rule.unverified in rules:
        verdict = Verdict.unverified
    else:
        verdict = Verdict.diverse
    return CircuitAudit(
        circuit=info.id,
        customer=info.customer,
        tier=info.tier.value,
        maintenance_level=info.maintenance_level.value,
        service_level=info.service_level.value,
        verdict=verdict,
        reasons=tuple(index.diversity_reasons(info)),
        findings=tuple(findings),
    )


def audit(index: NetworkIndex) -> AuditReport:
    """Audit every circuit the policy says must be diverse, most important first."""
    required = sorted((c for c in index.circuits.values() if index.must_be_diverse(c)), key=lambda c: c.rank)
    spreading = find_spreading(index, required)
    extra: dict[str, list[Finding]] = defaultdict(list)
    for s in spreading:
        for f in s.per_circuit():
            extra[f.circuit].append(f)
    results = tuple(audit_circuit(index, info, tuple(extra.get(info.id, ()))) for info in required)
    return AuditReport(
        circuits=results,
        not_required=len(index.circuits) - len(required),
        spreading=tuple(spreading),
    )
