"""What the diversity audit says: verdicts, rules, shared elements and where each path uses them.

Hop positions are 0-based, like the inventory paths they point at (``working.hops[2]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """One audited circuit's verdict.

    ``no_protection`` wins over the rest (there is no second route to compare); then a
    ``violation`` (something shared, or an equipment rule broken) wins over ``unverified`` (a hop
    lacks cable or duct data, so duct diversity cannot be proved); ``diverse`` is the only clean
    verdict. Spreading findings are listed but do not change the verdict: they concern a group of
    the customer's circuits, not the circuit's own two routes.
    """

    diverse = "diverse"
    violation = "violation"
    unverified = "unverified"
    no_protection = "no_protection"


class Rule(StrEnum):
    """The rule a finding breaks (DOMAIN.md, route and equipment diversity)."""

    same_cable = "same_cable"
    same_duct = "same_duct"
    same_site = "same_site"
    dual_device = "dual_device"
    dual_board = "dual_board"
    spreading = "spreading"
    unverified = "unverified"
    no_protection = "no_protection"


VIOLATION_RULES = frozenset({Rule.same_cable, Rule.same_duct, Rule.same_site, Rule.dual_device, Rule.dual_board})
RULE_ORDER = {r: i for i, r in enumerate([Rule.no_protection, *(r for r in Rule if r is not Rule.no_protection)])}


@dataclass(frozen=True)
class HopRef:
    """One hop of a path: its 0-based position and its link."""

    index: int
    link: str

    def __str__(self) -> str:
        return f"#{self.index} {self.link}"


@dataclass(frozen=True)
class Element:
    """A resource: ``kind`` is site, duct, cable, device, board, link or port; ``where`` is for people."""

    kind: str
    id: str
    where: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Finding:
    """One broken rule of one circuit, the element that breaks it and the hops that use it."""

    circuit: str
    rule: Rule
    element: Element
    working: tuple[HopRef, ...] = ()
    protection: tuple[HopRef, ...] = ()
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "rule": self.rule.value,
            "element": {"kind": self.element.kind, "id": self.element.id, "where": self.element.where},
            "working_hops": [{"index": h.index, "link": h.link} for h in self.working],
            "protection_hops": [{"index": h.index, "link": h.link} for h in self.protection],
            "detail": self.detail,
        }


def hops_text(hops: tuple[HopRef, ...]) -> str:
    return ", ".join(str(h) for h in hops)
