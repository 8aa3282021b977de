"""Circuit availability (电路可用率) results: per circuit, per customer, per maintenance level.

availability = 1 - outage / measured period. ``outage`` is counted once however many incidents
overlap, outside the excluded spans; ``excluded`` is the outage time that was taken out (announced
planned work over the fault's root, ticket causes the policy excludes). An outage is one unbroken
stretch of counted outage in the period (one that spans the period's edge counts in both periods);
MTTR is the mean length of those stretches within the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from correlator.availability.period import Period, tz_name


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _min(seconds: float) -> float:
    return round(seconds / 60.0, 2)


def percent(outage: float, period: float) -> float:
    """Availability in percent; a period of no length is fully available."""
    if period <= 0:
        return 100.0
    return max(0.0, 100.0 * (1.0 - outage / period))


@dataclass(frozen=True, slots=True)
class Span:
    """One stretch of outage of a circuit within the period."""

    start: datetime
    end: datetime
    ongoing: bool = False
    """Still down when the measurement stopped."""
    reason: str = ""
    """For an excluded span: ``planned_work:PW-...`` or ``cause:customer_side``; empty otherwise."""
    incidents: tuple[str, ...] = ()
    tickets: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": _iso(self.start),
            "to": _iso(self.end),
            "minutes": _min(self.seconds),
            "ongoing": self.ongoing,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.incidents:
            out["incidents"] = list(self.incidents)
        if self.tickets:
            out["tickets"] = list(self.tickets)
        return out


@dataclass(slots=True)
class CircuitAvailability:
    circuit: str
    customer: str
    customer_name: str
    tier: str
    maintenance_level: str
    service_level: str
    target_percent: float
    period_seconds: float
    outage_seconds: float = 0.0
    excluded_seconds: float = 0.0
    outages: int = 0
    ongoing: bool = False
    spans: tuple[Span, ...] = ()
    """Counted outage stretches (with ``detail``)."""
    excluded: tuple[Span, ...] = ()
    """Excluded outage stretches and why (with ``detail``)."""

    @property
    def availability_percent(self) -> float:
        return percent(self.outage_seconds, self.period_seconds)

    @property
    def met(self) -> bool:
        return self.availability_percent + 1e-9 >= self.target_percent

    @property
    def mttr_seconds(self) -> float | None:
        return self.outage_seconds / self.outages if self.outages else None

    def as_dict(self) -> dict[str, Any]:
        mttr = self.mttr_seconds
        out: dict[str, Any] = {
            "circuit": self.circuit,
            "customer": self.customer,
            "customer_name": self.customer_name,
            "tier": self.tier,
            "maintenance_level": self.maintenance_level,
            "service_level": self.service_level,
            "period_minutes": _min(self.period_seconds),
            "outage_minutes": _min(self.outage_seconds),
            "excluded_minutes": _min(self.excluded_seconds),
            "outages": self.outages,
            "mttr_minutes": None if mttr is None else _min(mttr),
            "availability_percent": round(self.availability_percent, 4),
            "target_percent": self.target_percent,
            "met": self.met,
            "ongoing": self.ongoing,
        }
        if self.spans or self.excluded:
            out["outage_spans"] = [s.as_dict() for s in self.spans]
            out["excluded_spans"] = [s.as_dict() for s in self.excluded]
        return out


@dataclass(slots=True)
class GroupAvailability:
    """Circuits summed: availability weighted by time (sum of outage / sum of period)."""

    key: str
    label: str
    circuits: int = 0
    period_seconds: float = 0.0
    outage_seconds: float = 0.0
    excluded_seconds: float = 0.0
    outages: int = 0
    below_target: list[str] = field(default_factory=list)
    target_percent: float | None = None
    """The maintenance level's target; None for a customer (each circuit has its own)."""

    def add(self, c: CircuitAvailability, met: bool | None = None) -> None:
        """Count ``c`` in (``met``: ``c.met``, when the caller has it already)."""
        self.circuits += 1
        self.period_seconds += c.period_seconds
        self.outage_seconds += c.outage_seconds
        self.excluded_seconds += c.excluded_seconds
        self.outages += c.outages
        if not (c.met if met is None else met):
            self.below_target.append(c.circuit)

    @property
    def availability_percent(self) -> float:
        return percent(self.outage_seconds, self.period_seconds)

    @property
    def met(self) -> bool:
        if self.target_percent is not None and self.availability_percent + 1e-9 < self.target_percent:
            return False
        return not self.below_target

    @property
    def mttr_seconds(self) -> float | None:
        return self.outage_seconds / self.outages if self.outages else None

    def as_dict(self) -> dict[str, Any]:
        mttr = self.mttr_seconds
        return {
            "key": self.key,
            "label": self.label,
            "circuits": self.circuits,
            "period_minutes": _min(self.period_seconds),
            "outage_minutes": _min(self.outage_seconds),
            "excluded_minutes": _min(self.excluded_seconds),
            "outages": self.outages,
            "mttr_minutes": None if mttr is None else _min(mttr),
            "availability_percent": round(self.availability_percent, 4),
            "target_percent": self.target_percent,
            "circuits_below_target": len(self.below_target),
            "below_target": list(self.below_target),
            "met": self.met,
        }


@dataclass
class AvailabilityReport:
    period: Period
    measured_until: datetime
    """The end of the period, or now if the period has not ended yet."""
    exclusions: dict[str, Any]
    circuits: list[CircuitAvailability]
    by_customer: list[GroupAvailability]
    by_level: list[GroupAvailability]
    total: GroupAvailability
    notes: list[str] = field(default_factory=list)

    def circuit(self, circuit_id: str) -> CircuitAvailability:
        for c in self.circuits:
            if c.circuit == circuit_id:
                return c
        raise KeyError(circuit_id)

    def customer(self, customer_id: str) -> GroupAvailability:
        for g in self.by_customer:
            if g.key == customer_id:
                return g
        raise KeyError(customer_id)

    def level(self, level: str) -> GroupAvailability:
        for g in self.by_level:
            if g.key == level:
                return g
        raise KeyError(level)

    def as_dict(self, by: str = "all") -> dict[str, Any]:
        out: dict[str, Any] = {
            "period": {
                "label": self.period.label,
                "from": _iso(self.period.start),
                "to": _iso(self.period.end),
                "timezone": tz_name(self.period.tz),
                "measured_until": _iso(self.measured_until),
            },
            "exclusions": self.exclusions,
            "total": self.total.as_dict(),
            "notes": list(self.notes),
        }
        if by in ("all", "circuit"):
            out["circuits"] = [c.as_dict() for c in self.circuits]
        if by in ("all", "customer"):
            out["customers"] = [g.as_dict() for g in self.by_customer]
        if by in ("all", "level"):
            out["maintenance_levels"] = [g.as_dict() for g in self.by_level]
        return out
