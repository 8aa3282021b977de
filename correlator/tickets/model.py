"""Fault tickets: what they hold, their states, and the events the ticket book emits.

A :class:`Ticket` is opened for one customer circuit: in outage (``outage``), a protected circuit
down to one route (``protection_lost``, lower priority), or a fault the customer reported first
(``customer_report``). Its life is ``opened -> dispatched -> accepted -> restored -> confirmed ->
closed``; "restored" is set automatically when the circuit's outage ends (the engineer still
confirms); a fault that returns soon after restoration reopens the ticket.

Times: ``detected_at`` is when the network showed the fault (the start of the circuit's impact),
``customer_reported_at`` when the customer reported it, ``known_at`` the earlier of the two: every
clock counts from it (DOMAIN.md "from the moment a fault is known"). ``opened_at`` is the book's own
clock when it opened the ticket (after the incident's settle window). All times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from correlator.domain import Area, CustomerTier, MaintenanceLevel, ServiceLevel, TicketCause, TicketKind

__all__ = [
    "ClockName",
    "ClockSignalKind",
    "Suppression",
    "Ticket",
    "TicketAction",
    "TicketCause",
    "TicketEvent",
    "TicketEventKind",
    "TicketKind",
    "TicketState",
    "TicketTransition",
    "iso",
]


class TicketState(StrEnum):
    opened = "opened"
    dispatched = "dispatched"
    accepted = "accepted"
    restored = "restored"
    confirmed = "confirmed"
    closed = "closed"

    @property
    def working(self) -> bool:
        """The fault is still being worked on (not restored yet)."""
        return self in (TicketState.opened, TicketState.dispatched, TicketState.accepted)


class TicketAction(StrEnum):
    """What moved a ticket: the engineers' actions, and the book's own."""

    open = "open"
    dispatch = "dispatch"
    accept = "accept"
    restore = "restore"
    confirm = "confirm"
    close = "close"
    reopen = "reopen"
    """The book: the fault returned within ``tickets.reopen_within_minutes`` of restoration."""
    upgrade = "upgrade"
    """The book: a protection-lost ticket's circuit lost its last path, or a customer's report was
    confirmed by detection: the ticket is an outage ticket now."""
    report = "report"
    """A customer report attached to the ticket (``known_at`` may move earlier)."""


MANUAL_ACTIONS: tuple[TicketAction, ...] = (
    TicketAction.dispatch,
    TicketAction.accept,
    TicketAction.restore,
    TicketAction.confirm,
    TicketAction.close,
)
"""The actions an engineer gives through the CLI or the API."""


class ClockName(StrEnum):
    dispatch = "dispatch"
    accept = "accept"
    restore = "restore"
    confirm = "confirm"


class ClockSignalKind(StrEnum):
    warning = "warning"
    """``ticket_limits.warn_fraction`` of the limit is used."""
    breach = "breach"
    """The limit has passed and the step is not done."""


class TicketEventKind(StrEnum):
    opened = "opened"
    dispatched = "dispatched"
    accepted = "accepted"
    restored = "restored"
    confirmed = "confirmed"
    closed = "closed"
    reopened = "reopened"
    upgraded = "upgraded"
    priority_changed = "priority_changed"
    customer_report = "customer_report"
    clock_warning = "clock_warning"
    clock_breach = "clock_breach"
    suppressed = "suppressed"
    """No ticket: an announced planned-work window covers the incident's root (``ticket_id`` is "")."""


@dataclass(slots=True)
class Ticket:
    id: str
    circuit_id: str
    customer_id: str
    kind: TicketKind
    state: TicketState
    priority: int
    """``KTLS``: kind (1 outage or customer report, 2 protection lost), then the dense ranks of the
    customer tier, maintenance level and service level in the SLA policy. Lower is worked first."""
    tier: CustomerTier
    maintenance_level: MaintenanceLevel
    service_level: ServiceLevel
    heavy_penalty: bool
    known_at: datetime
    opened_at: datetime
    restore_limit_minutes: int
    restore_due_at: datetime
    incident_id: str | None = None
    """The incident that opened it (None: opened from a customer report and not detected since)."""
    root_key: str | None = None
    product: str | None = None
    area: Area = Area.town
    detected_at: datetime | None = None
    customer_reported_at: datetime | None = None
    protection_lost_at: datetime | None = None
    """When a ticket opened for lost protection was upgraded to an outage: its original detection."""
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    restored_at: datetime | None = None
    confirmed_at: datetime | None = None
    closed_at: datetime | None = None
    team: str | None = None
    cause: TicketCause | None = None
    planned_work_id: str | None = None
    """The planned-work window it is tied to (a window that overran: the ticket opened at its end)."""
    reopened_count: int = 0
    version: int = 1
    """Bumped by every write: a writer holding an older version is refused (optimistic locking)."""
    updated_at: datetime | None = None

    def copy(self, **changes: Any) -> Ticket:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = iso(value) if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True, slots=True)
class TicketTransition:
    """One step of a ticket's life, kept forever: who did what, when, from which state to which."""

    ticket_id: str
    seq: int
    """1, 2, ... per ticket, in the order the steps were recorded."""
    at: datetime
    action: TicketAction
    from_state: TicketState | None
    """None for the opening."""
    to_state: TicketState
    actor: str
    """``linewatch`` for the book's own steps; ``cli:USER`` or the API's caller otherwise."""
    team: str | None = None
    note: str | None = None
    cause: TicketCause | None = None
    incident_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": iso(self.at),
            "action": self.action.value,
            "from": self.from_state.value if self.from_state else None,
            "to": self.to_state.value,
            "actor": self.actor,
            "team": self.team,
            "note": self.note,
            "cause": self.cause.value if self.cause else None,
            "incident": self.incident_id,
        }


@dataclass(frozen=True, slots=True)
class Suppression:
    """No ticket for a circuit hurt by an incident whose root an announced planned-work window covers."""

    incident_id: str
    circuit_id: str
    root_key: str
    status: TicketKind
    """outage or protection_lost: the ticket that was not opened."""
    planned_work_id: str
    window_start: datetime
    window_end: datetime
    fault_start: datetime
    decided_at: datetime
    ticket_id: str | None = None
    """The ticket opened when the fault outlasted the window (overrun), if it did."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident_id,
            "circuit": self.circuit_id,
            "root": self.root_key,
            "status": self.status.value,
            "planned_work_id": self.planned_work_id,
            "window_start": iso(self.window_start),
            "window_end": iso(self.window_end),
            "fault_start": iso(self.fault_start),
            "decided_at": iso(self.decided_at),
            "ticket_id": self.ticket_id,
        }


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One thing that happened to a ticket, for the feeds (webhook, Alertmanager, NOC page).

    ``at`` is when it happened: the transition time, the moment a clock's warning or limit was
    reached (not when the book noticed). ``as_dict()`` is JSON-able: ``event`` (the kind), the
    ticket's identity and labels, and the fields relevant to the kind.
    """

    kind: str
    ticket_id: str
    at: datetime
    circuit: str
    customer: str
    tier: CustomerTier
    maintenance_level: MaintenanceLevel
    service_level: ServiceLevel
    ticket_kind: TicketKind
    state: TicketState | None
    priority: int | None
    heavy_penalty: bool
    incident: str | None = None
    root: str | None = None
    known_at: datetime | None = None
    restore_due_at: datetime | None = None
    team: str | None = None
    note: str | None = None
    actor: str | None = None
    from_state: TicketState | None = None
    cause: TicketCause | None = None
    clock: ClockName | None = None
    due_at: datetime | None = None
    planned_work_id: str | None = None
    previous_priority: int | None = None
    reopened_count: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def of(cls, kind: TicketEventKind, ticket: Ticket, at: datetime, **more: Any) -> TicketEvent:
        return cls(
            kind=kind.value,
            ticket_id=ticket.id,
            at=at,
            circuit=ticket.circuit_id,
            customer=ticket.customer_id,
            tier=ticket.tier,
            maintenance_level=ticket.maintenance_level,
            service_level=ticket.service_level,
            ticket_kind=ticket.kind,
            state=ticket.state,
            priority=ticket.priority,
            heavy_penalty=ticket.heavy_penalty,
            incident=ticket.incident_id,
            root=ticket.root_key,
            known_at=ticket.known_at,
            restore_due_at=ticket.restore_due_at,
            team=ticket.team,
            reopened_count=ticket.reopened_count,
            **more,
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "event": self.kind,
            "ticket_id": self.ticket_id,
            "at": iso(self.at),
            "incident": self.incident,
            "root": self.root,
            "circuit": self.circuit,
            "customer": self.customer,
            "tier": self.tier.value,
            "maintenance_level": self.maintenance_level.value,
            "service_level": self.service_level.value,
            "kind": self.ticket_kind.value,
            "state": self.state.value if self.state else None,
            "priority": self.priority,
            "heavy_penalty": self.heavy_penalty,
        }
        optional: dict[str, Any] = {
            "known_at": iso(self.known_at),
            "restore_due_at": iso(self.restore_due_at),
            "team": self.team,
            "note": self.note,
            "actor": self.actor,
            "from_state": self.from_state.value if self.from_state else None,
            "cause": self.cause.value if self.cause else None,
            "clock": self.clock.value if self.clock else None,
            "due_at": iso(self.due_at),
            "planned_work_id": self.planned_work_id,
            "previous_priority": self.previous_priority,
            "reopened_count": self.reopened_count,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        out.update(self.extra)
        return out


def iso(t: datetime | None) -> str | None:
    """UTC, second precision unless there is a fraction (then milliseconds), ``Z``."""
    if t is None:
        return None
    t = t.astimezone(UTC)
    frac = f".{t.microsecond // 1000:03d}" if t.microsecond else ""
    return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"
