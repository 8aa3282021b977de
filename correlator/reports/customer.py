"""The monthly network operation report of an important customer (重要客户网络运行分析报告).

For one customer and one month in the operator's time zone: its circuits, their outages and
durations, availability against each circuit's target, the single-route periods (protection lost),
the tickets and their timeliness, the route and equipment diversity risks the audit finds, and the
planned work that touched the customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, or_, select

from correlator.availability.compute import compute_availability
from correlator.availability.model import AvailabilityReport, CircuitAvailability, Span
from correlator.availability.period import Period
from correlator.clock import ManualClock
from correlator.correlation.model import ImpactStatus
from correlator.correlation.tables import ImpactHistoryRow, IncidentRow
from correlator.diversity.audit import CircuitAudit, audit
from correlator.diversity.expand import NetworkIndex
from correlator.diversity.findings import Verdict
from correlator.inventory.model import Circuit, Customer
from correlator.planned.calendar import PlannedCalendar
from correlator.planned.checks import WindowCheck, check_windows
from correlator.reports.incident import ReportError
from correlator.reports.tickets import TicketReader, TicketView, Timeliness

HISTORY = cast(Table, ImpactHistoryRow.__table__)
INCIDENT = cast(Table, IncidentRow.__table__)


@dataclass(frozen=True)
class OutageView:
    circuit: str
    start: datetime
    end: datetime
    minutes: float
    ongoing: bool
    roots: tuple[str, ...]
    """``kind:id`` of the incidents' roots (or ``customer report`` tickets)."""
    incidents: tuple[str, ...]
    tickets: tuple[str, ...]


@dataclass(frozen=True)
class SingleRouteView:
    circuit: str
    start: datetime
    end: datetime | None
    minutes: float
    root: str
    incident: str


@dataclass(frozen=True)
class PlannedView:
    check: WindowCheck
    circuits_down: tuple[str, ...]
    circuits_single_route: tuple[str, ...]


@dataclass
class CustomerReport:
    customer: Customer
    period: Period
    generated_at: datetime
    circuits: list[Circuit]
    availability: AvailabilityReport
    outages: list[OutageView]
    excluded: list[tuple[str, Span]]
    single_route: list[SingleRouteView]
    tickets: list[TicketView]
    timeliness: Timeliness | None
    diversity: list[CircuitAudit]
    planned: list[PlannedView]
    notes: list[str] = field(default_factory=list)

    @property
    def important(self) -> bool:
        return self.customer.important_class.value != "none"

    def availability_of(self, circuit: str) -> CircuitAvailability:
        return self.availability.circuit(circuit)

    @property
    def risks(self) -> list[CircuitAudit]:
        return [a for a in self.diversity if a.verdict is not Verdict.diverse]


def _roots(engine: Engine, ids: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    keys = sorted(ids)
    with engine.connect() as conn:
        for i in range(0, len(keys), 500):
            q = select(INCIDENT.c.id, INCIDENT.c.root_kind, INCIDENT.c.root_id).where(
                INCIDENT.c.id.in_(keys[i : i + 500])
            )
            for r in conn.execute(q):
                out[r.id] = f"{r.root_kind}:{r.root_id}"
    return out


def _single_route(engine: Engine, circuits: list[str], period: Period, until: datetime) -> list[SingleRouteView]:
    h = HISTORY.c
    query = (
        select(h.circuit_id, h.from_at, h.to_at, h.incident_id, INCIDENT.c.root_kind, INCIDENT.c.root_id)
        .join(INCIDENT, INCIDENT.c.id == h.incident_id)
        .where(
            h.status == ImpactStatus.protection_lost.value,
            h.circuit_id.in_(circuits),
            h.from_at < until,
            or_(h.to_at.is_(None), h.to_at > period.start),
        )
        .order_by(h.circuit_id, h.from_at)
    )
    out: list[SingleRouteView] = []
    with engine.connect() as conn:
        for r in conn.execute(query):
            start = max(r.from_at, period.start)
            end = None if r.to_at is None else min(r.to_at, until)
            minutes = ((end or until) - start).total_seconds() / 60
            if minutes <= 0 and end is not None:
                continue
            out.append(
                SingleRouteView(
                    r.circuit_id, start, end, round(minutes, 2), f"{r.root_kind}:{r.root_id}", r.incident_id
                )
            )
    return out


def customer_report(
    engine: Engine,
    index: NetworkIndex,
    customer_id: str,
    period: Period,
    now: datetime,
    calendar: PlannedCalendar | None = None,
) -> CustomerReport:
    inv = index.inventory
    customer = inv.customers.get(customer_id)
    if customer is None:
        known = ", ".join(sorted(c.id for c in inv.customers)[:12])
        raise ReportError(f"no customer '{customer_id}' in the inventory (customers: {known})")
    circuits = [c for c in inv.circuits if c.customer == customer_id]
    if not circuits:
        raise ReportError(f"customer '{customer_id}' has no circuit in the inventory: nothing to report")
    ids = [c.id for c in circuits]
    avail = compute_availability(
        engine, period, index.policy, ManualClock(now), calendar=calendar, customer=customer_id, detail=True
    )
    until = avail.measured_until
    incident_ids = {i for c in avail.circuits for s in c.spans for i in s.incidents}
    roots = _roots(engine, incident_ids)
    outages = [
        OutageView(
            circuit=c.circuit,
            start=s.start,
            end=s.end,
            minutes=round(s.seconds / 60, 2),
            ongoing=s.ongoing,
            roots=tuple(
                dict.fromkeys([*(roots.get(i, i) for i in s.incidents), *("customer report" for _ in s.tickets)])
            ),
            incidents=s.incidents,
            tickets=s.tickets,
        )
        for c in avail.circuits
        for s in c.spans
    ]
    outages.sort(key=lambda o: (o.start, o.circuit))
    excluded = sorted(((c.circuit, s) for c in avail.circuits for s in c.excluded), key=lambda x: (x[1].start, x[0]))
    single = _single_route(engine, ids, period, until)

    reader = TicketReader(engine, index.policy)
    tickets = reader.of_circuits(ids, period.start, period.end, now)
    notes = list(avail.notes)
    timeliness = None
    months = period.months()
    if len(months) == 1:
        timeliness = reader.timeliness(ids, months[0].label, period.tz, now)
    else:
        notes.append("the timeliness rate is monthly: ask for one month to see it")

    diversity = [a for a in audit(index).circuits if a.customer == customer_id]

    planned: list[PlannedView] = []
    if calendar is not None:
        windows = [w for w in calendar.overlapping(period.start, period.end) if w.state != "cancelled"]
        checks = {c.window.id: c for c in check_windows(calendar, index.policy, windows)}
        for w in windows:
            chk = checks[w.id]
            down = tuple(i.circuit for i in chk.impact.lose_service if i.circuit in ids)
            single_route = tuple(i.circuit for i in chk.impact.lose_protection if i.circuit in ids)
            if down or single_route:
                planned.append(PlannedView(chk, down, single_route))
    return CustomerReport(
        customer=customer,
        period=period,
        generated_at=now,
        circuits=circuits,
        availability=avail,
        outages=outages,
        excluded=excluded,
        single_route=single,
        tickets=tickets,
        timeliness=timeliness,
        diversity=diversity,
        planned=planned,
        notes=notes,
    )


def as_json(r: CustomerReport) -> dict[str, Any]:
    from correlator.reports.tickets import as_dict

    return {
        "customer": r.customer.model_dump(mode="json"),
        "availability": r.availability.as_dict("all"),
        "outages": [as_dict(o) for o in r.outages],
        "single_route": [as_dict(s) for s in r.single_route],
        "tickets": [as_dict(t) for t in r.tickets],
        "timeliness": as_dict(r.timeliness) if r.timeliness else None,
        "diversity": [a.as_dict() for a in r.diversity],
        "planned_work": [
            p.check.as_dict()
            | {
                "customer_circuits_down": list(p.circuits_down),
                "customer_circuits_single_route": list(p.circuits_single_route),
            }
            for p in r.planned
        ],
        "notes": r.notes,
    }
