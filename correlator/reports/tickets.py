"""What the reports need of the fault tickets: the tickets of an incident or of circuits, their SLA
clocks and verdicts, their history, the planned-work suppressions, and the timeliness rate.

The only module of :mod:`correlator.reports` that reads the ticket layer
(:mod:`correlator.tickets`); everything is turned into plain view objects for the templates.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Engine

from correlator.policy import SlaPolicy
from correlator.tickets import kpi
from correlator.tickets.clocks import spans
from correlator.tickets.model import Ticket
from correlator.tickets.repository import TicketRepository
from correlator.tickets.store import TicketQuery


@dataclass(frozen=True)
class ClockView:
    name: str
    start: datetime
    due: datetime
    stopped_at: datetime | None
    outcome: str
    """running, at_risk, breached, met, missed, not_needed."""


@dataclass(frozen=True)
class StepView:
    at: datetime
    action: str
    actor: str
    to_state: str
    team: str | None
    note: str | None
    cause: str | None


@dataclass(frozen=True)
class TicketView:
    id: str
    circuit: str
    customer: str
    kind: str
    state: str
    priority: int
    tier: str
    maintenance_level: str
    heavy_penalty: bool
    incident: str | None
    team: str | None
    detected_at: datetime | None
    customer_reported_at: datetime | None
    known_at: datetime
    opened_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    restored_at: datetime | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    restore_limit_minutes: int
    restore_due_at: datetime
    cause: str | None
    planned_work: str | None
    reopened: int
    clocks: tuple[ClockView, ...]
    verdict: str
    """The timeliness verdict: met, missed, pending, excluded."""
    steps: tuple[StepView, ...]

    @property
    def restore_minutes(self) -> float | None:
        if self.restored_at is None:
            return None
        return (self.restored_at - self.known_at).total_seconds() / 60


@dataclass(frozen=True)
class SuppressionView:
    circuit: str
    incident: str
    root: str
    status: str
    planned_work: str
    window_start: datetime
    window_end: datetime
    fault_start: datetime
    overrun_ticket: str | None
    """The ticket opened when the fault outlasted the window."""


@dataclass(frozen=True)
class Timeliness:
    month: str
    met: int
    missed: int
    pending: int
    excluded: int
    rate_percent: float | None
    target_percent: float

    @property
    def meets_target(self) -> bool | None:
        return None if self.rate_percent is None else self.rate_percent >= self.target_percent


class TicketReader:
    def __init__(self, engine: Engine, policy: SlaPolicy) -> None:
        self.repo = TicketRepository(engine)
        self.policy = policy

    def _view(self, t: Ticket, now: datetime) -> TicketView:
        limits = self.policy.ticket_limits
        clocks = tuple(
            ClockView(s.name.value, s.start, s.due, s.stopped_at, s.outcome(now, limits.warn_fraction).value)
            for s in spans(t, limits)
        )
        steps = tuple(
            StepView(
                tr.at,
                tr.action.value,
                tr.actor,
                tr.to_state.value,
                tr.team,
                tr.note,
                tr.cause.value if tr.cause else None,
            )
            for tr in self.repo.transitions(t.id)
        )
        return TicketView(
            id=t.id,
            circuit=t.circuit_id,
            customer=t.customer_id,
            kind=t.kind.value,
            state=t.state.value,
            priority=t.priority,
            tier=t.tier.value,
            maintenance_level=t.maintenance_level.value,
            heavy_penalty=t.heavy_penalty,
            incident=t.incident_id,
            team=t.team,
            detected_at=t.detected_at,
            customer_reported_at=t.customer_reported_at,
            known_at=t.known_at,
            opened_at=t.opened_at,
            dispatched_at=t.dispatched_at,
            accepted_at=t.accepted_at,
            restored_at=t.restored_at,
            confirmed_at=t.confirmed_at,
            closed_at=t.closed_at,
            restore_limit_minutes=t.restore_limit_minutes,
            restore_due_at=t.restore_due_at,
            cause=t.cause.value if t.cause else None,
            planned_work=t.planned_work_id,
            reopened=t.reopened_count,
            clocks=clocks,
            verdict=kpi.judge(t, self.policy, now),
            steps=steps,
        )

    def of_incident(self, incident_id: str, now: datetime) -> list[TicketView]:
        found = self.repo.find(TicketQuery(incident=incident_id))
        return [self._view(t, now) for t in sorted(found, key=lambda t: (t.priority, t.known_at, t.id))]

    def _of_circuits(self, circuits: Collection[str]) -> list[Ticket]:
        out: list[Ticket] = []
        for cid in sorted(set(circuits)):
            out += self.repo.find(TicketQuery(circuit=cid))
        return out

    def of_circuits(self, circuits: Collection[str], start: datetime, end: datetime, now: datetime) -> list[TicketView]:
        """Tickets of the circuits known before ``end`` and not closed before ``start``, or due in the period."""
        chosen = [
            t
            for t in self._of_circuits(circuits)
            if (t.known_at < end and (t.closed_at is None or t.closed_at >= start)) or start <= t.restore_due_at < end
        ]
        return [self._view(t, now) for t in sorted(chosen, key=lambda t: (t.known_at, t.id))]

    def timeliness(self, circuits: Collection[str], month: str, tz: tzinfo, now: datetime) -> Timeliness:
        """The timeliness rate of the circuits' tickets due in ``month`` (:mod:`correlator.tickets.kpi`)."""
        rep = kpi.compute(self._of_circuits(circuits), self.policy, month, tz, now)
        t = rep.overall
        return Timeliness(month, t.met, t.missed, t.pending, t.excluded, t.rate(), rep.target_percent)

    def suppressions(self, incident: str | None = None, circuits: Iterable[str] | None = None) -> list[SuppressionView]:
        found = self.repo.suppressions(circuits=list(circuits) if circuits is not None else None, incident=incident)
        return [
            SuppressionView(
                s.circuit_id,
                s.incident_id,
                s.root_key,
                s.status.value,
                s.planned_work_id,
                s.window_start,
                s.window_end,
                s.fault_start,
                s.ticket_id,
            )
            for s in found
        ]


def as_dict(view: Any) -> dict[str, Any]:
    """A view as JSON-ready data (datetimes as ISO strings)."""
    from dataclasses import asdict

    def conv(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        return v

    return {k: conv(v) for k, v in asdict(view).items()}
