"""Tickets as text (one line in a list, a page in ``show``) and as JSON, with their clocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from correlator.policy import TicketLimits
from correlator.tickets import clocks
from correlator.tickets.model import Suppression, Ticket, TicketTransition, iso
from correlator.tickets.store import ClockEventRecord


def _t(t: datetime | None) -> str:
    return iso(t) or "-"


def clocks_json(t: Ticket, limits: TicketLimits, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "clock": s.name.value,
            "start": iso(s.start),
            "due": iso(s.due),
            "warn_at": iso(s.warn_at(limits.warn_fraction)),
            "stopped_at": iso(s.stopped_at),
            "outcome": s.outcome(now, limits.warn_fraction).value,
        }
        for s in clocks.spans(t, limits)
    ]


def ticket_json(
    t: Ticket,
    limits: TicketLimits,
    now: datetime,
    transitions: Iterable[TicketTransition] | None = None,
    clock_events: Iterable[ClockEventRecord] | None = None,
) -> dict[str, Any]:
    out = t.as_dict()
    out["clocks"] = clocks_json(t, limits, now)
    verdict = clocks.restore_met(t, now)
    out["restored_within_limit"] = verdict
    if transitions is not None:
        out["transitions"] = [tr.as_dict() for tr in transitions]
    if clock_events is not None:
        out["clock_events"] = [
            {"clock": r.clock.value, "kind": r.kind.value, "at": iso(r.at), "due": iso(r.due_at)} for r in clock_events
        ]
    return out


def clock_summary(t: Ticket, limits: TicketLimits, now: datetime) -> str:
    """The clock that matters now: the first one still running (or the restore verdict)."""
    for s in clocks.spans(t, limits):
        if s.stopped_at is None:
            outcome = s.outcome(now, limits.warn_fraction)
            left = int((s.due - now).total_seconds() // 60)
            word = f"{left} min left" if left >= 0 else f"{-left} min over"
            return f"{s.name.value} {outcome.value} ({word})"
    verdict = clocks.restore_met(t, now)
    return "restored within limit" if verdict else "restored late"


def ticket_line(t: Ticket, limits: TicketLimits, now: datetime) -> str:
    heavy = "  HEAVY PENALTY" if t.heavy_penalty else ""
    reopened = f"  reopened x{t.reopened_count}" if t.reopened_count else ""
    return (
        f"P{t.priority} {t.id}  {t.kind.value:<15} {t.state.value:<10} {t.circuit_id:<10} {t.customer_id}"
        f" ({t.tier.value}, {t.maintenance_level.value}, {t.service_level.value})  team {t.team or '-'}"
        f"  known {_t(t.known_at)}  restore by {_t(t.restore_due_at)} ({t.restore_limit_minutes} min)"
        f"  [{clock_summary(t, limits, now)}]{reopened}{heavy}"
    )


def ticket_page(
    t: Ticket,
    limits: TicketLimits,
    now: datetime,
    transitions: Iterable[TicketTransition],
    clock_events: Iterable[ClockEventRecord],
) -> str:
    lines = [
        f"ticket {t.id}  [{t.state.value}]  {t.kind.value}  priority P{t.priority}"
        + ("  HEAVY PENALTY" if t.heavy_penalty else ""),
        f"  circuit {t.circuit_id}  customer {t.customer_id}  tier {t.tier.value}  maintenance level"
        f" {t.maintenance_level.value}  service level {t.service_level.value}  product {t.product or '-'}"
        f"  area {t.area.value}",
        f"  incident {t.incident_id or '-'}  root {t.root_key or '-'}  planned work {t.planned_work_id or '-'}",
        f"  detected {_t(t.detected_at)}  customer report {_t(t.customer_reported_at)}  known {_t(t.known_at)}"
        f"  opened {_t(t.opened_at)}"
        + (f"  protection lost {_t(t.protection_lost_at)}" if t.protection_lost_at else ""),
        f"  team {t.team or '-'}  cause {t.cause.value if t.cause else '-'}  reopened {t.reopened_count}"
        f"  version {t.version}",
        f"  restore limit {t.restore_limit_minutes} min, due {_t(t.restore_due_at)}",
        "clocks:",
    ]
    for s in clocks.spans(t, limits):
        lines.append(
            f"  {s.name.value:<9} start {_t(s.start)}  warn {_t(s.warn_at(limits.warn_fraction))}  due {_t(s.due)}"
            f"  stopped {_t(s.stopped_at)}  {s.outcome(now, limits.warn_fraction).value}"
        )
    lines.append("transitions:")
    for tr in transitions:
        extra = "".join(
            f"  {k} {v}"
            for k, v in (
                ("team", tr.team),
                ("cause", tr.cause.value if tr.cause else None),
                ("incident", tr.incident_id),
            )
            if v
        )
        note = f'  "{tr.note}"' if tr.note else ""
        lines.append(
            f"  {tr.seq:>3}. {_t(tr.at)}  {tr.action.value:<8} {tr.from_state.value if tr.from_state else '-'}"
            f" -> {tr.to_state.value}  by {tr.actor}{extra}{note}"
        )
    events = list(clock_events)
    lines.append(f"clock events ({len(events)}):")
    for r in events:
        lines.append(f"  {_t(r.at)}  {r.clock.value} {r.kind.value} (due {_t(r.due_at)})")
    return "\n".join(lines) + "\n"


def suppression_line(s: Suppression) -> str:
    opened = f"  -> ticket {s.ticket_id} (overran)" if s.ticket_id else ""
    return (
        f"  {s.circuit_id:<10} {s.status.value:<15} {s.incident_id}  root {s.root_key}  planned work"
        f" {s.planned_work_id} ({_t(s.window_start)} .. {_t(s.window_end)})  fault from {_t(s.fault_start)}{opened}"
    )
