"""What a root cause does to customer circuits.

A root cause takes resources down (``down`` alarm types in ``config/correlation.yaml``, or an
inferred link, cable or duct). The physical ones (site, duct, cable, device, board, port, link) go
through :func:`correlator.diversity.live.evaluate`, which knows every circuit path's resources and
the 1+1 board mates; the logical ones a circuit names (``pw:``, ``tunnel:``, ``trail:``) go through
:class:`~correlator.correlation.topology.Topology`. The result is which paths of which circuits are
down; whether that is an outage or lost protection depends on every incident together (two faults
on the two paths of one circuit are an outage), which :mod:`correlator.correlation.incidents` does.
"""

from __future__ import annotations

from collections.abc import Iterable

from correlator.correlation.rules import CorrelationRules
from correlator.correlation.topology import LOGICAL_KINDS, Topology
from correlator.diversity.expand import RESOURCE_KINDS
from correlator.diversity.live import evaluate
from correlator.domain import PathRole

INFERRED_KINDS = frozenset({"link", "cable", "duct"})

Hits = dict[str, frozenset[PathRole]]
"""Circuit -> its paths that are down."""


class ImpactCalc:
    def __init__(self, topo: Topology, rules: CorrelationRules) -> None:
        self.topo = topo
        self.down_types = frozenset(rules.impact.down)
        self.degraded_types = frozenset(rules.impact.degraded)

    def down_keys(
        self,
        root_key: str,
        inferred: bool,
        evidence_types: Iterable[str],
        repaired: frozenset[str] = frozenset(),
    ) -> frozenset[str]:
        """The resources a root cause takes down: itself, if inferred or evidenced by a down type.

        A cut cable or duct is down as a whole (its links that report nothing are taken as cut too),
        except the links of it already ``repaired`` (failed with the cut, up again since).
        """
        kind = root_key.partition(":")[0]
        if kind not in RESOURCE_KINDS and kind not in LOGICAL_KINDS:
            return frozenset()
        if (inferred and kind in INFERRED_KINDS) or any(t in self.down_types for t in evidence_types):
            if repaired and kind in ("cable", "duct"):
                links = self.topo.index.resource_links.get(root_key, ())
                return frozenset(f"link:{link}" for link in links if link not in repaired)
            return frozenset({root_key})
        return frozenset()

    def hits(self, down: Iterable[str]) -> Hits:
        """Each circuit's paths that are down with these resources down."""
        keys = set(down)
        physical = [k for k in keys if k.partition(":")[0] in RESOURCE_KINDS]
        out: dict[str, set[PathRole]] = {}
        if physical:
            for cid, roles in evaluate(self.topo.index, physical).paths_down.items():
                out.setdefault(cid, set()).update(roles)
        for k in keys:
            if k.partition(":")[0] in LOGICAL_KINDS:
                for cid, role in self.topo.logical_paths(k):
                    out.setdefault(cid, set()).add(role)
        return {cid: frozenset(r) for cid, r in out.items()}

    def degraded_circuits(self, refs: Iterable[str]) -> set[str]:
        """Circuits with a path over any of these resources."""
        out: set[str] = set()
        for ref in refs:
            out.update(self.topo.circuits_touching(ref))
        return out
