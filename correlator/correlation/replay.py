"""Replay a recorded AlarmEvent stream through the correlator and the ticket book, in the stream's own time.

The regression tool for rule changes: the same file, config and rules give byte-identical output.
Events are taken in file order; a :class:`~correlator.clock.ManualClock` follows their
``observed_at`` (never backwards), and between two events, and after the last one, the clock stops
at every deadline the correlator and the ticket book have (settle windows, hold-downs, close delays,
planned-work window ends) and ticks there, until nothing is left to happen. Everything is in memory:
no store is needed. The tickets are the real ones (:class:`~correlator.tickets.book.TicketBook` on an
in-memory store, with the inventory's planned-work windows); their SLA clocks are not run, as nobody
works the tickets in a replay: each ticket shows whether the restoration the stream shows (the
alarms clearing) was within its limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from correlator.alarms.book import AlarmBook
from correlator.alarms.resolve import Resolver
from correlator.alarmtypes import AlarmTypeTable, load_alarm_types
from correlator.clock import ManualClock
from correlator.configfile.loader import LoadedConfig
from correlator.correlation.engine import Correlator
from correlator.correlation.model import ImpactStatus, Incident, IncidentChange, IncidentState
from correlator.correlation.rules import CorrelationRules
from correlator.diversity.expand import NetworkIndex
from correlator.tickets.book import TicketBook
from correlator.tickets.clocks import restore_met
from correlator.tickets.facts import CircuitDirectory
from correlator.tickets.model import Suppression, Ticket, TicketEvent
from correlator.tickets.planned import PlannedLookup
from correlator.tickets.store import MemoryTicketStore, TicketQuery
from correlator.wire import Action, AlarmEvent, WireError, parse_event

MAX_TICKS = 100_000
"""Safety stop for the deadline loop (a deadline that never passes would be a bug)."""


class ReplayError(ValueError):
    """A bad events file; the text names the file and line."""


def read_events(path: Path) -> list[AlarmEvent]:
    """One AlarmEvent per line (blank lines skipped); a bad line raises naming its number."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReplayError(f"{path}: file not found (check the path)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(f"{path}: cannot read: {exc}") from None
    events: list[AlarmEvent] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(parse_event(line))
        except WireError as exc:
            raise ReplayError(f"{path}:{n}: {exc} (one AlarmEvent JSON object per line)") from None
    if not events:
        raise ReplayError(f"{path}: no events (one AlarmEvent JSON object per line)")
    return events


Interval = tuple[datetime, datetime | None]


@dataclass
class ReplayResult:
    source: str
    events: int
    raises: int
    clears: int
    first: datetime
    last: datetime
    end: datetime
    """The clock when the replay stopped (after the last deadline)."""
    incidents: list[Incident]
    """Every incident seen, by id, whatever became of it."""
    tickets: list[Ticket]
    """Every ticket the stream opened, in work order (priority, then known time)."""
    ticket_events: list[TicketEvent]
    suppressions: list[Suppression]
    """Faults that opened no ticket: announced planned work covered their root."""
    outages: dict[str, list[Interval]]
    """Circuit -> its outage intervals (merged across incidents), in time order; end None = ongoing."""
    alarms_standing: int
    alarms_unmapped: int
    changes: int
    change_counts: dict[str, int] = field(default_factory=dict)

    def published(self) -> list[Incident]:
        return [i for i in self.incidents if i.was_open and i.state is not IncidentState.merged]


def replay(
    cfg: LoadedConfig,
    rules: CorrelationRules,
    events: Iterable[AlarmEvent],
    source: str = "",
    alarm_types: AlarmTypeTable | None = None,
    planned: PlannedLookup | None = None,
) -> ReplayResult:
    """``planned``: the planned-work lookup (default: a calendar of the inventory's windows)."""
    types = alarm_types or load_alarm_types()
    events = list(events)
    if not events:
        raise ReplayError(f"{source}: no events")
    first = events[0].observed_at.astimezone(UTC)
    clock = ManualClock(first)
    index = NetworkIndex(cfg.inventory, cfg.policy)
    book = AlarmBook(rules.dedup, types, clock, Resolver(cfg.inventory))
    cor = Correlator(cfg.inventory, cfg.policy, rules, clock, index, book, alarm_types=types)
    if planned is None:
        from correlator.planned.calendar import PlannedCalendar
        from correlator.planned.model import PlannedWindow

        windows = [PlannedWindow.from_inventory(w) for w in cfg.inventory.planned_work]
        planned = PlannedCalendar(windows, index, cor.topology)
    store = MemoryTicketStore()
    tickets = TicketBook(cfg.policy, CircuitDirectory(cfg.inventory, cfg.policy), store, planned, clock_events=False)
    seen: dict[str, Incident] = {}
    counts: dict[str, int] = defaultdict(int)
    ticket_events: list[TicketEvent] = []

    def take(changes: list[IncidentChange]) -> None:
        for ch in changes:
            seen[ch.incident.id] = ch.incident
            counts[ch.kind.value] += 1
        ticket_events.extend(tickets.apply(changes, clock.now()))

    def tick() -> None:
        take(cor.tick())
        ticket_events.extend(tickets.tick(clock.now()))

    def next_deadline() -> datetime | None:
        times = [t for t in (cor.next_deadline(), tickets.next_deadline()) if t is not None and t > clock.now()]
        return min(times) if times else None

    def advance(target: datetime | None) -> None:
        for _ in range(MAX_TICKS):
            nxt = next_deadline()
            if nxt is None or (target is not None and nxt > target):
                break
            clock.set(nxt)
            tick()
        else:
            raise RuntimeError("replay: deadlines keep coming; stopping")
        if target is not None and target > clock.now():
            clock.set(target)

    last = first
    for event in events:
        t = event.observed_at.astimezone(UTC)
        advance(t)
        take(cor.ingest(event))
        tick()
        last = max(last, t)
    advance(None)
    # a last tick well after everything, for deadlines the correlator cannot see (the book's own)
    tail = timedelta(seconds=rules.settle_seconds + rules.dedup.hold_down_s + rules.close_after_seconds + 1)
    clock.set(max(clock.now(), last + tail))
    tick()
    advance(None)

    incidents = [seen[i] for i in sorted(seen)]
    stats = book.stats()
    return ReplayResult(
        source=source,
        events=len(events),
        raises=sum(1 for e in events if e.action is Action.raise_),
        clears=sum(1 for e in events if e.action is Action.clear),
        first=first,
        last=last,
        end=clock.now(),
        incidents=incidents,
        tickets=store.find(TicketQuery()),
        ticket_events=ticket_events,
        suppressions=store.suppressions(),
        outages=outage_intervals(incidents),
        alarms_standing=len(book.active()),
        alarms_unmapped=stats.unmapped,
        changes=sum(counts.values()),
        change_counts=dict(sorted(counts.items())),
    )


def outage_intervals(incidents: Iterable[Incident]) -> dict[str, list[Interval]]:
    """Per circuit, the union of its outage intervals over every incident."""
    raw: dict[str, list[Interval]] = defaultdict(list)
    for inc in incidents:
        if inc.state is IncidentState.merged:
            continue
        for iv in inc.history:
            if iv.status is ImpactStatus.outage:
                raw[iv.circuit].append((iv.start, iv.end))
    out: dict[str, list[Interval]] = {}
    for circuit in sorted(raw):
        spans = sorted(raw[circuit], key=lambda s: s[0])
        merged: list[Interval] = []
        for start, end in spans:
            if merged:
                ps, pe = merged[-1]
                if pe is None or start <= pe:
                    merged[-1] = (ps, None if pe is None or end is None else max(pe, end))
                    continue
            merged.append((start, end))
        out[circuit] = merged
    return out


# -- output ------------------------------------------------------------------------------------


def _t(t: datetime | None) -> str:
    if t is None:
        return "-"
    t = t.astimezone(UTC)
    frac = f".{t.microsecond // 1000:03d}" if t.microsecond else ""
    return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def _dur(start: datetime, end: datetime | None) -> str:
    if end is None:
        return "ongoing"
    secs = (end - start).total_seconds()
    return f"{secs:g}s"


def render_text(r: ReplayResult) -> str:
    lines = [
        f"replay of {r.source}: {r.events} events ({r.raises} raises, {r.clears} clears),"
        f" stream {_t(r.first)} .. {_t(r.last)}, replayed to {_t(r.end)}",
        f"alarms standing at the end: {r.alarms_standing}; unmapped resources: {r.alarms_unmapped};"
        f" incident changes: {r.changes}",
        "",
    ]
    published = r.published()
    lines.append(f"incidents ({len(published)}):")
    for inc in published:
        lines.append(
            f"  {inc.id}  {inc.root.kind} {inc.root.id}  [{inc.state.value}{', flapping' if inc.flapping else ''}]"
            f"  rule {inc.root.rule or '-'}  evidence {len(inc.root.evidence)}  symptoms {len(inc.symptoms)}"
        )
        lines.append(f"    started {_t(inc.started_at)}  cleared {_t(inc.cleared_at)}")
        for cid in sorted(inc.circuits):
            c = inc.circuits[cid]
            lines.append(
                f"    {cid:<10} {c.status.value:<16} {c.customer} ({c.tier.value}, {c.maintenance_level.value},"
                f" {c.service_level.value})  since {_t(c.since)}  until {_t(c.until)}"
            )
    others = [i for i in r.incidents if i not in published]
    if others:
        lines.append("")
        lines.append(
            f"not published ({len(others)}): merged into another incident, or cleared within the settle window"
        )
        for inc in others:
            into = f" into {inc.merged_into}" if inc.merged_into else ""
            lines.append(f"  {inc.id}  {inc.root.kind} {inc.root.id}  [{inc.state.value}{into}]")
    lines.append("")
    by_kind: dict[str, int] = defaultdict(int)
    for tk in r.tickets:
        by_kind[tk.kind.value] += 1
    lines.append(f"tickets ({by_kind['outage']} outage, {by_kind['protection_lost']} protection lost):")
    for n, tk in enumerate(r.tickets, start=1):
        heavy = "  HEAVY PENALTY" if tk.heavy_penalty else ""
        reopened = f", reopened x{tk.reopened_count}" if tk.reopened_count else ""
        verdict = {True: "within limit", False: "LATE", None: "not restored"}[restore_met(tk, r.end)]
        lines.append(
            f"  {n:>3}. {tk.kind.value:<16} {tk.circuit_id:<10} {tk.customer_id} ({tk.tier.value},"
            f" {tk.maintenance_level.value}, {tk.service_level.value})  known {_t(tk.known_at)}"
            f"  restore by {_t(tk.restore_due_at)} ({tk.restore_limit_minutes} min)  {tk.incident_id or '-'}{heavy}"
        )
        lines.append(
            f"       {tk.id}  P{tk.priority}  [{tk.state.value}{reopened}]  restored {_t(tk.restored_at)}  {verdict}"
        )
    if r.suppressions:
        lines.append("")
        lines.append(f"no ticket: announced planned work ({len(r.suppressions)}):")
        for sp in r.suppressions:
            opened = f"  -> {sp.ticket_id} (overran)" if sp.ticket_id else ""
            lines.append(
                f"  {sp.circuit_id:<10} {sp.status.value:<16} {sp.incident_id}  {sp.planned_work_id}"
                f" ({_t(sp.window_start)} .. {_t(sp.window_end)}){opened}"
            )
    lines.append("")
    lines.append(f"outage intervals ({len(r.outages)} circuits):")
    for cid, spans in r.outages.items():
        for start, end in spans:
            lines.append(f"  {cid:<10} {_t(start)} -> {_t(end)}  ({_dur(start, end)})")
    return "\n".join(lines) + "\n"


def to_json(r: ReplayResult) -> dict[str, Any]:
    def inc_json(inc: Incident) -> dict[str, Any]:
        return {
            "id": inc.id,
            "state": inc.state.value,
            "root": {
                "kind": inc.root.kind,
                "id": inc.root.id,
                "rule": inc.root.rule,
                "evidence": list(inc.root.evidence),
            },
            "started_at": _t(inc.started_at),
            "opened_at": _t(inc.opened_at),
            "cleared_at": _t(inc.cleared_at),
            "merged_into": inc.merged_into,
            "published": inc.was_open,
            "flapping": inc.flapping,
            "symptom_count": len(inc.symptoms),
            "symptoms": [
                {"alarm": s.alarm, "rule": s.rule, "parent": s.parent} for _, s in sorted(inc.symptoms.items())
            ],
            "circuits": [
                {
                    "circuit": c.circuit,
                    "status": c.status.value,
                    "customer": c.customer,
                    "tier": c.tier.value,
                    "maintenance_level": c.maintenance_level.value,
                    "service_level": c.service_level.value,
                    "since": _t(c.since),
                    "until": _t(c.until),
                    "paths_down": list(c.paths_down),
                }
                for _, c in sorted(inc.circuits.items())
            ],
        }

    return {
        "source": r.source,
        "events": r.events,
        "raises": r.raises,
        "clears": r.clears,
        "first": _t(r.first),
        "last": _t(r.last),
        "end": _t(r.end),
        "alarms_standing": r.alarms_standing,
        "alarms_unmapped": r.alarms_unmapped,
        "changes": r.change_counts,
        "incidents": [inc_json(i) for i in r.incidents],
        "tickets": [
            {
                "rank": n,
                "id": tk.id,
                "priority": tk.priority,
                "kind": tk.kind.value,
                "state": tk.state.value,
                "circuit": tk.circuit_id,
                "customer": tk.customer_id,
                "tier": tk.tier.value,
                "maintenance_level": tk.maintenance_level.value,
                "service_level": tk.service_level.value,
                "incident": tk.incident_id,
                "root": tk.root_key,
                "detected_at": _t(tk.detected_at),
                "known_at": _t(tk.known_at),
                "opened_at": _t(tk.opened_at),
                "restore_minutes": tk.restore_limit_minutes,
                "restore_by": _t(tk.restore_due_at),
                "restored_at": _t(tk.restored_at),
                "restored_within_limit": restore_met(tk, r.end),
                "reopened_count": tk.reopened_count,
                "heavy_penalty": tk.heavy_penalty,
                "planned_work_id": tk.planned_work_id,
            }
            for n, tk in enumerate(r.tickets, start=1)
        ],
        "ticket_events": [ev.as_dict() for ev in r.ticket_events],
        "suppressed": [sp.as_dict() for sp in r.suppressions],
        "outage_intervals": {cid: [{"from": _t(s), "to": _t(e)} for s, e in spans] for cid, spans in r.outages.items()},
    }
