"""The operator's planned-work rules (DOMAIN.md "Planned work"), thresholds from ``config/sla.yaml``.

For each window, what it takes (:meth:`~correlator.planned.calendar.PlannedCalendar.impact`) and
which rule it breaks:

- ``notice_too_short``: it takes a customer's service (some circuit loses every path) and was
  announced less than ``planned_work.notice_hours`` ahead (or after it began);
- ``approval_missing``: it lasts longer than ``planned_work.approval_required_over_hours``, or it
  touches an important customer (any path of a circuit of a customer with an important class) and
  ``planned_work.approval_required_for_important`` is set, and it is not approved;
- ``combined_outage``: it overlaps another window in time, and the two together take a circuit's
  service that neither takes alone (each leg of a protected circuit under a different window);
- ``unknown_resource``: it names a resource the inventory no longer has (a runtime window made
  before an inventory change): that part covers nothing.

Cancelled windows are listed but not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from correlator.diversity.expand import NetworkIndex
from correlator.diversity.whatif import Impact, WhatIf
from correlator.domain import ImportantClass
from correlator.planned.calendar import PlannedCalendar
from correlator.planned.model import PlannedWindow
from correlator.policy import SlaPolicy


class PlannedRule(StrEnum):
    notice_too_short = "notice_too_short"
    approval_missing = "approval_missing"
    combined_outage = "combined_outage"
    unknown_resource = "unknown_resource"


@dataclass(frozen=True)
class PlannedFinding:
    rule: PlannedRule
    message: str
    circuits: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    other_window: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "message": self.message,
            "circuits": list(self.circuits),
            "customers": list(self.customers),
            "other_window": self.other_window,
        }


@dataclass(frozen=True)
class CustomerTouched:
    id: str
    name: str
    tier: str
    important_class: str
    loses_service: tuple[str, ...]
    loses_protection: tuple[str, ...]

    @property
    def important(self) -> bool:
        return self.important_class != ImportantClass.none.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer": self.id,
            "name": self.name,
            "tier": self.tier,
            "important_class": self.important_class,
            "important": self.important,
            "loses_service": list(self.loses_service),
            "loses_protection": list(self.loses_protection),
        }


@dataclass(frozen=True)
class WindowCheck:
    window: PlannedWindow
    impact: WhatIf
    customers: tuple[CustomerTouched, ...]
    """Customers it touches, most important first."""
    findings: tuple[PlannedFinding, ...]
    checked: bool = True
    """False for a cancelled window (listed, not checked)."""

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def takes_service(self) -> bool:
        return bool(self.impact.lose_service)

    def as_dict(self) -> dict[str, Any]:
        w = self.window
        return {
            "id": w.id,
            "title": w.title,
            "kind": w.kind.value,
            "source": w.source.value,
            "state": w.state,
            "resources": list(w.resources),
            "start": w.start.isoformat(),
            "end": w.end.isoformat(),
            "announced_at": w.announced_at.isoformat(),
            "notice_hours": round(w.notice.total_seconds() / 3600, 2),
            "duration_hours": round(w.duration.total_seconds() / 3600, 2),
            "approved": w.approved,
            "approved_by": w.approved_by,
            "cancelled_at": w.cancelled_at.isoformat() if w.cancelled_at else None,
            "checked": self.checked,
            "ok": self.ok,
            "takes_service": self.takes_service,
            "lose_service": [i.as_dict() for i in self.impact.lose_service],
            "lose_protection": [i.as_dict() for i in self.impact.lose_protection],
            "customers": [c.as_dict() for c in self.customers],
            "findings": [f.as_dict() for f in self.findings],
        }


def _hours(h: float) -> str:
    return f"{h:g} h"


def _customers(index: NetworkIndex, impact: WhatIf) -> tuple[CustomerTouched, ...]:
    inv, policy = index.inventory, index.policy
    service: dict[str, list[str]] = {}
    protection: dict[str, list[str]] = {}
    for imp in impact.lose_service:
        service.setdefault(imp.customer, []).append(imp.circuit)
    for imp in impact.lose_protection:
        protection.setdefault(imp.customer, []).append(imp.circuit)
    out = []
    for cid in dict.fromkeys([*service, *protection]):
        cust = inv.customers.get(cid)
        out.append(
            CustomerTouched(
                id=cid,
                name=cust.name if cust else cid,
                tier=cust.tier.value if cust else "",
                important_class=cust.important_class.value if cust else ImportantClass.none.value,
                loses_service=tuple(service.get(cid, ())),
                loses_protection=tuple(protection.get(cid, ())),
            )
        )

    def rank(c: CustomerTouched) -> tuple[int, str]:
        cust = inv.customers.get(c.id)
        return (policy.tier_rank(cust.tier) if cust else 99, c.id)

    return tuple(sorted(out, key=rank))


def _list(impacts: tuple[Impact, ...], limit: int = 8) -> str:
    names = [f"{i.circuit} ({i.customer})" for i in impacts]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def check_window(window: PlannedWindow, calendar: PlannedCalendar, policy: SlaPolicy) -> WindowCheck:
    """One window against the rules (overlaps with other windows: :func:`check_windows`)."""
    index = calendar.index
    impact = calendar.impact(window.id) if window.id in calendar.windows else calendar.impact_of(window.resources)
    customers = _customers(index, impact)
    if window.state == "cancelled":
        return WindowCheck(window, impact, customers, (), checked=False)
    rules = policy.planned_work
    findings: list[PlannedFinding] = []

    unknown = [r for r in window.resources if not index.known(r)]
    if unknown:
        findings.append(
            PlannedFinding(
                PlannedRule.unknown_resource,
                f"names {', '.join(unknown)}, which the inventory does not have: that part covers nothing"
                " (update the window's resources)",
            )
        )

    notice_h = window.notice.total_seconds() / 3600
    if impact.lose_service and notice_h < rules.notice_hours:
        when = "after it began" if notice_h < 0 else f"{notice_h:.1f} h ahead"
        findings.append(
            PlannedFinding(
                PlannedRule.notice_too_short,
                f"announced {when}, {_hours(rules.notice_hours)} required: it takes the service of"
                f" {_list(impact.lose_service)}",
                circuits=tuple(i.circuit for i in impact.lose_service),
                customers=tuple(dict.fromkeys(i.customer for i in impact.lose_service)),
            )
        )

    reasons: list[str] = []
    touched: tuple[str, ...] = ()
    duration_h = window.duration.total_seconds() / 3600
    if duration_h > rules.approval_required_over_hours:
        reasons.append(f"it lasts {duration_h:.1f} h (over {_hours(rules.approval_required_over_hours)})")
    important = [c for c in customers if c.important]
    if rules.approval_required_for_important and important:
        touched = tuple(c.id for c in important)
        names = ", ".join(f"{c.id} ({c.important_class})" for c in important)
        reasons.append(f"it touches important customers {names}")
    if reasons and not window.approved:
        findings.append(
            PlannedFinding(
                PlannedRule.approval_missing,
                "not approved, and approval is required first: " + "; ".join(reasons),
                circuits=tuple(i.circuit for i in (*impact.lose_service, *impact.lose_protection)),
                customers=touched,
            )
        )
    return WindowCheck(window, impact, customers, tuple(findings))


def _overlap_findings(calendar: PlannedCalendar, windows: list[PlannedWindow]) -> dict[str, list[PlannedFinding]]:
    out: dict[str, list[PlannedFinding]] = {}
    live = sorted((w for w in windows if w.state != "cancelled"), key=lambda w: (w.start, w.id))

    def end(w: PlannedWindow) -> datetime:
        return w.end if w.cancelled_at is None else min(w.end, w.cancelled_at)

    for i, a in enumerate(live):
        for b in live[i + 1 :]:
            if b.start >= end(a):
                break
            if end(b) <= b.start:
                continue
            alone = {imp.circuit for imp in calendar.impact_of(a.resources).lose_service}
            alone |= {imp.circuit for imp in calendar.impact_of(b.resources).lose_service}
            together = calendar.impact_of((*a.resources, *b.resources)).lose_service
            new = [imp for imp in together if imp.circuit not in alone]
            if not new:
                continue
            for one, other in ((a, b), (b, a)):
                out.setdefault(one.id, []).append(
                    PlannedFinding(
                        PlannedRule.combined_outage,
                        f"overlaps {other.id} ({other.title}); together they take the service of"
                        f" {_list(tuple(new))}, which neither takes alone (move one of them)",
                        circuits=tuple(imp.circuit for imp in new),
                        customers=tuple(dict.fromkeys(imp.customer for imp in new)),
                        other_window=other.id,
                    )
                )
    return out


def check_windows(
    calendar: PlannedCalendar, policy: SlaPolicy, windows: list[PlannedWindow] | None = None
) -> list[WindowCheck]:
    """Every window of the calendar (or the given ones), by start, with overlap findings."""
    chosen = list(calendar.windows.values()) if windows is None else windows
    overlaps = _overlap_findings(calendar, list(calendar.windows.values()))
    out = []
    for w in sorted(chosen, key=lambda w: (w.start, w.id)):
        chk = check_window(w, calendar, policy)
        extra = overlaps.get(w.id, [])
        if extra and chk.checked:
            chk = WindowCheck(chk.window, chk.impact, chk.customers, (*chk.findings, *extra))
        out.append(chk)
    return out
