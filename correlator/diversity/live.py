"""Live route state of every circuit, given the resources that are down now.

A pure function for the correlator: resources down (``kind:id`` strings, any of site, duct, cable,
device, board, port, link) in, each circuit's state out:

- ``ok``: every path up;
- ``single_route_risk``: a protected circuit with exactly one path down: still carrying traffic,
  but one more fault takes it (until both paths are up again);
- ``outage``: every path down (for an unprotected circuit, its only path).

A path is down when any resource it depends on is down (:mod:`correlator.diversity.expand`). A
board with a 1+1 mate (``protected_by``, either way round) only counts as down when its mate is
down too. The lookups go resource → links → paths, so the cost follows the size of the cut, not of
the network; a what-if (:mod:`correlator.diversity.whatif`) is this evaluation of a hypothetical
cut. Unknown kinds are ignored and listed (a bad alarm must not stop the correlator).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from prometheus_client.core import GaugeMetricFamily

from correlator.diversity.expand import RESOURCE_KINDS, NetworkIndex, split_key
from correlator.domain import CustomerTier, PathRole


class RouteState(StrEnum):
    ok = "ok"
    single_route_risk = "single_route_risk"
    outage = "outage"


@dataclass(frozen=True)
class LiveEvaluation:
    down: frozenset[str]
    """The resources taken as down (after the board-mate rule)."""
    ignored: tuple[str, ...]
    """Inputs not taken as down: unknown kinds, and boards whose 1+1 mate is up."""
    paths_down: dict[str, frozenset[PathRole]]
    """Circuits with at least one path down, and which."""
    states: dict[str, RouteState]
    """Circuits not ``ok``; every other circuit is ``ok``."""

    def state(self, circuit: str) -> RouteState:
        return self.states.get(circuit, RouteState.ok)


def effective_down(index: NetworkIndex, down: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    keys = set(down)
    eff: set[str] = set()
    ignored: list[str] = []
    for key in sorted(keys):
        kind, rid = split_key(key)
        if kind not in RESOURCE_KINDS or not rid:
            ignored.append(key)
            continue
        if kind == "board":
            mates = index.board_mates.get(rid, frozenset())
            if mates and not all(f"board:{m}" in keys for m in mates):
                ignored.append(key)
                continue
        eff.add(key)
    return frozenset(eff), tuple(ignored)


def evaluate(index: NetworkIndex, down: Iterable[str]) -> LiveEvaluation:
    """Each circuit's route state with ``down`` resources down."""
    eff, ignored = effective_down(index, down)
    hit: dict[str, set[PathRole]] = defaultdict(set)
    for key in eff:
        for link in index.resource_links.get(key, ()):
            for cid, role in index.link_paths.get(link, ()):
                hit[cid].add(role)
        for cid in index.resource_circuits.get(key, ()):
            hit[cid].update(index.circuits[cid].roles())
    states: dict[str, RouteState] = {}
    for cid, roles in hit.items():
        info = index.circuits[cid]
        states[cid] = RouteState.outage if len(roles) >= len(info.roles()) else RouteState.single_route_risk
    return LiveEvaluation(
        down=eff,
        ignored=ignored,
        paths_down={c: frozenset(r) for c, r in hit.items()},
        states=states,
    )


def summary(index: NetworkIndex, ev: LiveEvaluation) -> dict[tuple[RouteState, CustomerTier], int]:
    """Circuits by route state and customer tier (every pair present, zeros included)."""
    out = {(s, t): 0 for s in RouteState for t in CustomerTier}
    not_ok = dict.fromkeys(CustomerTier, 0)
    for cid, state in ev.states.items():
        tier = index.circuits[cid].tier
        out[(state, tier)] += 1
        not_ok[tier] += 1
    for t in CustomerTier:
        out[(RouteState.ok, t)] = index.tier_counts[t] - not_ok[t]
    return out


def metric_family(
    index: NetworkIndex, ev: LiveEvaluation, name: str = "linewatch_circuits_route_state"
) -> GaugeMetricFamily:
    """The summary as a Prometheus gauge family (labels ``state``, ``tier``) for a custom collector."""
    fam = GaugeMetricFamily(name, "Circuits by live route state and customer tier", labels=["state", "tier"])
    for (state, tier), n in summary(index, ev).items():
        fam.add_metric([state.value, tier.value], n)
    return fam
