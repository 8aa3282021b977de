"""What if this duct, cable, site, element, board, port or link were cut?

The live evaluation (:mod:`correlator.diversity.live`) of a hypothetical cut: circuits that would
lose service (every path down) and circuits that would lose protection (a protected circuit left
on one path), each most important first (customer tier, maintenance level, service level, id),
with the hops each cut path loses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from correlator.diversity.expand import RESOURCE_KINDS, NetworkIndex
from correlator.diversity.findings import HopRef
from correlator.diversity.live import RouteState, evaluate
from correlator.domain import PathRole


class CutError(ValueError):
    """A --cut that names no kind linewatch knows, or nothing in the inventory."""


def parse_cut(index: NetworkIndex, text: str) -> str:
    """``"duct:D-013"`` -> the same key, checked; raises :class:`CutError` with the fix."""
    kinds = ", ".join(RESOURCE_KINDS)
    kind, sep, rid = text.strip().partition(":")
    if not sep or not rid:
        raise CutError(f"cut '{text}' is not KIND:ID (KIND one of {kinds}; e.g. duct:D-013)")
    if kind not in RESOURCE_KINDS:
        raise CutError(f"cut '{text}': kind '{kind}' is not one of {kinds}")
    key = f"{kind}:{rid}"
    if not index.known(key):
        hint = {"board": " (write board:DEVICE:SLOT)", "port": " (write port:DEVICE:PORT)"}.get(kind, "")
        raise CutError(f"cut '{text}': no {kind} '{rid}' in the inventory{hint}")
    return key


@dataclass(frozen=True)
class CutPath:
    role: PathRole
    hops: tuple[HopRef, ...]
    """Hops whose link depends on a cut resource."""
    ends: tuple[str, ...]
    """Cut hand-off resources (the circuit's end ports and their boards)."""


@dataclass(frozen=True)
class Impact:
    circuit: str
    customer: str
    tier: str
    maintenance_level: str
    service_level: str
    state: RouteState
    protected: bool
    paths: tuple[CutPath, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "customer": self.customer,
            "tier": self.tier,
            "maintenance_level": self.maintenance_level,
            "service_level": self.service_level,
            "state": self.state.value,
            "protected": self.protected,
            "paths_cut": [
                {
                    "role": p.role.value,
                    "hops": [{"index": h.index, "link": h.link} for h in p.hops],
                    "ends": list(p.ends),
                }
                for p in self.paths
            ],
        }


@dataclass(frozen=True)
class WhatIf:
    cuts: tuple[str, ...]
    ignored: tuple[str, ...]
    lose_service: tuple[Impact, ...]
    lose_protection: tuple[Impact, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "cuts": list(self.cuts),
            "ignored": list(self.ignored),
            "counts": {"lose_service": len(self.lose_service), "lose_protection": len(self.lose_protection)},
            "lose_service": [i.as_dict() for i in self.lose_service],
            "lose_protection": [i.as_dict() for i in self.lose_protection],
        }


def what_if(index: NetworkIndex, cuts: Iterable[str]) -> WhatIf:
    """Impact of cutting ``cuts`` (checked keys, see :func:`parse_cut`), ranked."""
    cut = tuple(dict.fromkeys(cuts))
    ev = evaluate(index, cut)
    impacts: dict[RouteState, list[Impact]] = {RouteState.outage: [], RouteState.single_route_risk: []}
    for info in index.circuits_of(ev.states):
        roles = ev.paths_down[info.id]
        paths = []
        for role in info.roles():
            if role not in roles:
                continue
            hops = tuple(
                HopRef(i, h) for i, h in enumerate(info.path(role) or ()) if index.links[h].resources & ev.down
            )
            paths.append(CutPath(role, hops, tuple(sorted(info.end_resources & ev.down))))
        state = ev.states[info.id]
        impacts[state].append(
            Impact(
                circuit=info.id,
                customer=info.customer,
                tier=info.tier.value,
                maintenance_level=info.maintenance_level.value,
                service_level=info.service_level.value,
                state=state,
                protected=info.protection is not None,
                paths=tuple(paths),
            )
        )
    return WhatIf(
        cuts=cut,
        ignored=ev.ignored,
        lose_service=tuple(impacts[RouteState.outage]),
        lose_protection=tuple(impacts[RouteState.single_route_risk]),
    )
