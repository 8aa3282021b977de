"""Availability of every circuit over a period, from the impact history in the store.

One pass over a sorted stream, never a query per circuit:

1. the circuits (``circuit`` joined with ``customer``): labels and targets;
2. the incidents whose root an announced planned-work window covers in the period: the covered
   resource keys of the windows meeting the period (:class:`~correlator.planned.calendar.
   PlannedCalendar`) looked up in the incident root index, and the spans in which each is covered;
3. the ticket facts (:mod:`correlator.availability.tickets`): customer report times, excluded
   causes, faults only the customer reported;
4. the ``outage`` rows of ``impact_history`` overlapping the period, grouped by circuit, times as
   epoch seconds computed by the database, in batches of driver tuples (a server-side cursor on
   PostgreSQL, :mod:`correlator.availability.rawsql`). Each circuit's intervals are clipped to the
   period (an open one ends at the period's end, or now), stretched back to an earlier customer
   report, cut by the exclusions, and merged: two incidents overlapping on one circuit count once.

A protected circuit is in ``outage`` only while no path is healthy (the correlator writes
``protection_lost`` otherwise, over every incident together), so one leg down costs nothing.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, select

from correlator.availability.model import AvailabilityReport, CircuitAvailability, GroupAvailability, Span
from correlator.availability.period import Period
from correlator.availability.rawsql import Dialect, fetch_batches
from correlator.availability.tickets import ReportedFault, TicketFacts, read_ticket_facts
from correlator.clock import Clock
from correlator.correlation.model import ImpactStatus
from correlator.correlation.tables import ImpactHistoryRow, IncidentRow
from correlator.planned.calendar import PlannedCalendar
from correlator.policy import SlaPolicy
from correlator.store import schema
from correlator.store.db import check_ready

HISTORY = cast(Table, ImpactHistoryRow.__table__)
INCIDENT = cast(Table, IncidentRow.__table__)
CIRCUIT = cast(Table, schema.Circuit.__table__)
CUSTOMER = cast(Table, schema.Customer.__table__)

STREAM_BATCH = 50_000
ID_BATCH = 500


class AvailabilityError(ValueError):
    """A request that cannot be answered (unknown customer, a period not begun); names the fix."""


@dataclass(frozen=True, slots=True)
class CircuitLabels:
    id: str
    customer: str
    customer_name: str
    tier: str
    maintenance_level: str
    service_level: str


def load_circuits(
    connection: Connection, customer: str | None = None, circuits: Collection[str] | None = None
) -> dict[str, CircuitLabels]:
    """The circuits of the store (all, one customer's, or the given ones), by id."""
    d = Dialect(connection)
    ci, cu = CIRCUIT.name, CUSTOMER.name
    base = (
        f"SELECT {ci}.id, {ci}.customer_id, {cu}.name, {cu}.tier, {ci}.maintenance_level, {ci}.service_level"
        f" FROM {ci} JOIN {cu} ON {cu}.id = {ci}.customer_id"
    )
    queries: list[tuple[str, list[Any]]] = []
    if circuits is not None:
        ids = sorted(set(circuits))
        for i in range(0, len(ids), ID_BATCH):
            chunk = ids[i : i + ID_BATCH]
            queries.append((f"{base} WHERE {ci}.id IN ({d.marks(len(chunk))})", list(chunk)))
    elif customer is not None:
        queries.append((f"{base} WHERE {ci}.customer_id = {d.placeholder}", [customer]))
    else:
        queries.append((base, []))
    rows: list[tuple[Any, ...]] = []
    for sql, args in queries:
        for batch in fetch_batches(connection, sql, args):
            rows += batch
    if customer is not None and circuits is not None:
        rows = [r for r in rows if r[1] == customer]
    rows.sort(key=lambda r: r[0])
    return {r[0]: CircuitLabels(*r) for r in rows}


# -- exclusions ------------------------------------------------------------------------------------

Excl = tuple[float, float, str]
"""(start, end, reason) in epoch seconds."""


def planned_exclusions(
    connection: Connection, calendar: PlannedCalendar, start: datetime, end: datetime
) -> dict[str, list[Excl]]:
    """Incident -> the spans in [start, end) in which an announced window covered its root."""
    keys: set[str] = set()
    for w in calendar.overlapping(start, end):
        span = w.cover_span()
        if span is not None and span[0] < end and span[1] > start:
            keys |= calendar.covered(w.id)
    if not keys:
        return {}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        kind, _, rid = key.partition(":")
        by_kind[kind].append(rid)
    roots: dict[str, str] = {}
    for kind, ids in sorted(by_kind.items()):
        ids.sort()
        for i in range(0, len(ids), ID_BATCH):
            query = select(INCIDENT.c.id, INCIDENT.c.root_id).where(
                INCIDENT.c.root_kind == kind, INCIDENT.c.root_id.in_(ids[i : i + ID_BATCH])
            )
            for inc, rid in connection.execute(query):
                roots[inc] = f"{kind}:{rid}"
    out: dict[str, list[Excl]] = {}
    for inc, root in roots.items():
        refs = calendar.cover_spans(root, start, end)
        if refs:
            out[inc] = [(r.start.timestamp(), r.end.timestamp(), f"{PLANNED}{r.id}") for r in refs]
    return out


# -- one circuit -----------------------------------------------------------------------------------

Piece = tuple[float, float, str, bool]
"""(start, end, incident or ticket id, open) in epoch seconds."""

TICKET = "ticket:"
"""Prefix of a piece that comes from a ticket (a customer report), not from an incident."""
PLANNED = "planned_work:"
"""Prefix of the reason of an excluded span under a planned-work window."""


def _subtract(s: float, e: float, spans: list[Excl]) -> tuple[list[tuple[float, float]], list[Excl]]:
    """[s, e) minus the spans: (kept parts, excluded parts)."""
    kept: list[tuple[float, float]] = []
    gone: list[Excl] = []
    at = s
    for xs, xe, why in sorted(spans):
        if xe <= at or xs >= e:
            continue
        if xs > at:
            kept.append((at, xs))
        gone.append((max(xs, at), min(xe, e), why))
        at = max(at, xe)
        if at >= e:
            break
    if at < e:
        kept.append((at, e))
    return kept, gone


def _union(pieces: list[Piece]) -> list[tuple[float, float, set[str], bool]]:
    pieces.sort()
    out: list[tuple[float, float, set[str], bool]] = []
    for s, e, who, open_ in pieces:
        if out and s <= out[-1][1]:
            ps, pe, names, po = out[-1]
            names.add(who)
            if e > pe:
                out[-1] = (ps, e, names, open_)
            elif e == pe:
                out[-1] = (ps, pe, names, po or open_)
        else:
            out.append((s, e, {who}, open_))
    return out


def _measure(parts: Iterable[tuple[float, float]]) -> float:
    total = 0.0
    end = float("-inf")
    for s, e in sorted(parts):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(round(t, 3), UTC)


def _incidents(names: set[str]) -> tuple[str, ...]:
    return tuple(sorted(n for n in names if not n.startswith(TICKET)))


def _tickets(names: set[str]) -> tuple[str, ...]:
    return tuple(sorted(n.removeprefix(TICKET) for n in names if n.startswith(TICKET)))


class _Accumulator:
    def __init__(
        self,
        circuits: dict[str, CircuitLabels],
        policy: SlaPolicy,
        p0: float,
        m1: float,
        planned: dict[str, list[Excl]],
        facts: TicketFacts,
        detail: bool,
    ) -> None:
        self.circuits = circuits
        self.targets = {k.value: v.availability_target_percent for k, v in policy.maintenance_levels.items()}
        self.p0, self.m1 = p0, m1
        self.planned = planned
        self.facts = facts
        self.special = facts.circuits()
        """Circuits with ticket facts: they take the careful path."""
        self.detail = detail
        self.results: dict[str, CircuitAvailability] = {}
        self.unknown: set[str] = set()
        self.windows_used: set[str] = set()
        """Planned-work windows that took some outage out."""

    def result(self, cid: str) -> CircuitAvailability:
        got = self.results.get(cid)
        if got is None:
            info = self.circuits[cid]
            got = self.results[cid] = CircuitAvailability(
                circuit=cid,
                customer=info.customer,
                customer_name=info.customer_name,
                tier=info.tier,
                maintenance_level=info.maintenance_level,
                service_level=info.service_level,
                target_percent=self.targets.get(info.maintenance_level, 100.0),
                period_seconds=self.m1 - self.p0,
            )
        return got

    def finish(self, cid: str, ivs: list[tuple[float, float | None, str]]) -> None:
        """One circuit's outage intervals (start, end or None, incident), in any order."""
        if cid not in self.circuits:
            self.unknown.add(cid)
            return
        planned = self.planned
        if self.detail or cid in self.special:
            self._careful(cid, ivs)
            return
        # the common case: clip and merge, nothing to take out
        p0, m1 = self.p0, self.m1
        ivs.sort()
        total = 0.0
        count = 0
        cur_s = cur_e = 0.0
        cur_open = False
        for s, end, inc in ivs:
            if inc in planned:
                self._careful(cid, ivs)
                return
            open_ = end is None
            e = m1 if end is None or end > m1 else end
            if s < p0:
                s = p0
            if e <= s:
                continue
            if count == 0 or s > cur_e:
                if count:
                    total += cur_e - cur_s
                count += 1
                cur_s, cur_e, cur_open = s, e, open_
            elif e > cur_e:
                cur_e, cur_open = e, open_
            elif e == cur_e and open_:
                cur_open = True
        if count:
            total += cur_e - cur_s
        res = self.result(cid)
        res.outage_seconds = round(total, 3)
        res.outages = count
        res.ongoing = count > 0 and cur_open and cur_e >= m1

    def _careful(self, cid: str, ivs: list[tuple[float, float | None, str]]) -> None:
        p0, m1, facts, planned = self.p0, self.m1, self.facts, self.planned
        pieces: list[Piece] = []
        raw: list[tuple[float, float]] = []
        gone: list[tuple[float, float, str, str]] = []
        seen_incidents: set[str] = set()
        for s, end, inc in ivs:
            seen_incidents.add(inc)
            open_ = end is None
            e = m1 if end is None or end > m1 else end
            pair = (inc, cid)
            rs = facts.report_start.get(pair)
            if rs is not None and rs < s:
                s = rs
            if s < p0:
                s = p0
            if e <= s:
                continue
            raw.append((s, e))
            bad = facts.excluded.get(pair)
            if bad is not None:
                gone.append((s, e, f"cause:{bad[0]}", inc))
                continue
            spans = planned.get(inc)
            if spans:
                kept, cut = _subtract(s, e, spans)
                pieces += [(ks, ke, inc, open_ and ke == e) for ks, ke in kept]
                gone += [(xs, xe, why, inc) for xs, xe, why in cut]
                self.windows_used.update(why.removeprefix(PLANNED) for _, _, why in cut)
            else:
                pieces.append((s, e, inc, open_))
        faults: list[ReportedFault] = list(facts.standalone.get(cid, ()))
        faults += [fault for inc, fault in facts.reported.get(cid, ()) if inc not in seen_incidents]
        for f in faults:
            s = max(f.start, p0)
            e = m1 if f.end is None or f.end > m1 else f.end
            if e <= s:
                continue
            raw.append((s, e))
            if f.excluded_cause is not None:
                gone.append((s, e, f"cause:{f.excluded_cause}", TICKET + f.ticket))
            else:
                pieces.append((s, e, TICKET + f.ticket, f.end is None))
        res = self.result(cid)
        islands = _union(pieces)
        counted = sum(e - s for s, e, _, _ in islands)
        res.outage_seconds = round(counted, 3)
        res.excluded_seconds = round(max(0.0, _measure(raw) - counted), 3) if gone else 0.0
        res.outages = len(islands)
        res.ongoing = any(o and e >= m1 for _, e, _, o in islands)
        if self.detail:
            res.spans = tuple(
                Span(_dt(s), _dt(e), ongoing=o and e >= m1, incidents=_incidents(names), tickets=_tickets(names))
                for s, e, names, o in islands
            )
            res.excluded = tuple(
                Span(_dt(s), _dt(e), reason=why, incidents=_incidents({who}), tickets=_tickets({who}))
                for s, e, why, who in sorted(gone)
            )


# -- the whole period ------------------------------------------------------------------------------


def compute_availability(
    engine: Engine,
    period: Period,
    policy: SlaPolicy,
    clock: Clock,
    *,
    calendar: PlannedCalendar | None = None,
    customer: str | None = None,
    circuits: Collection[str] | None = None,
    detail: bool = False,
) -> AvailabilityReport:
    """Availability of the circuits (all, one customer's, or the given ones) over ``period``.

    ``calendar``: the planned-work windows and the network (None: no planned-work exclusion).
    ``detail``: keep each circuit's outage and excluded spans (for reports).
    """
    check_ready(engine)
    with _no_gc():
        return _compute(engine, period, policy, clock, calendar, customer, circuits, detail)


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic collector paused: the computation makes a few hundred thousand objects and no
    cycle, and a collection pass over a large inventory index would cost more than the work."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _compute(
    engine: Engine,
    period: Period,
    policy: SlaPolicy,
    clock: Clock,
    calendar: PlannedCalendar | None,
    customer: str | None,
    circuits: Collection[str] | None,
    detail: bool,
) -> AvailabilityReport:
    now = clock.now()
    if now <= period.start:
        raise AvailabilityError(f"period {period.describe()} has not begun yet: choose a period before now")
    measured = min(period.end, now)
    settings = policy.availability
    with engine.connect() as conn, conn.begin():
        labels = load_circuits(conn, customer, circuits)
        if customer is not None and not labels:
            raise AvailabilityError(
                f"customer '{customer}' has no circuit in the store (check the id; `linewatch inventory import`"
                " puts the inventory in the store)"
            )
        if circuits is not None:
            missing = sorted(set(circuits) - set(labels))
            if missing:
                raise AvailabilityError(
                    f"circuit {', '.join(missing)} is not in the store (check the id; `linewatch inventory import`"
                    " puts the inventory in the store)"
                )
        planned: dict[str, list[Excl]] = {}
        if calendar is not None and settings.exclude_planned_work:
            planned = planned_exclusions(conn, calendar, period.start, measured)
        wanted = set(labels) if (customer is not None or circuits is not None) else None
        facts = read_ticket_facts(conn, period.start, measured, settings, circuits=wanted)
        acc = _Accumulator(labels, policy, period.start.timestamp(), measured.timestamp(), planned, facts, detail)
        _stream(conn, acc, period.start, measured, None if wanted is None else sorted(wanted))
    for cid in sorted(facts.circuits()):
        if cid not in acc.results and cid in labels:
            acc.finish(cid, [])
    return _report(period, measured, policy, labels, acc, facts, calendar is not None)


def _stream(conn: Connection, acc: _Accumulator, start: datetime, end: datetime, ids: list[str] | None) -> None:
    """The outage rows overlapping [start, end), grouped by circuit, into ``acc``."""
    d = Dialect(conn)
    h = HISTORY.name
    base = (
        f"SELECT circuit_id, incident_id, {d.epoch('from_at')}, {d.epoch('to_at')} FROM {h}"
        f" WHERE status = {d.placeholder} AND from_at < {d.placeholder}"
        f" AND (to_at IS NULL OR to_at > {d.placeholder})"
    )
    params: list[Any] = [ImpactStatus.outage.value, d.time(end), d.time(start)]
    queries: list[tuple[str, list[Any]]] = []
    if ids is None:
        queries.append((f"{base} ORDER BY {d.order_by_text('circuit_id')}", params))
    else:
        for i in range(0, len(ids), ID_BATCH):
            chunk = ids[i : i + ID_BATCH]
            queries.append((f"{base} AND circuit_id IN ({d.marks(len(chunk))}) ORDER BY circuit_id", params + chunk))
    finish = acc.finish
    for sql, args in queries:
        current: str | None = None
        ivs: list[tuple[float, float | None, str]] = []
        for rows in fetch_batches(conn, sql, args, STREAM_BATCH, stream=ids is None):
            for cid, inc, s, e in rows:
                if cid != current:
                    if current is not None:
                        finish(current, ivs)
                    current = cid
                    ivs = []
                ivs.append((s, e, inc))
        if current is not None:
            finish(current, ivs)


def _report(
    period: Period,
    measured: datetime,
    policy: SlaPolicy,
    labels: dict[str, CircuitLabels],
    acc: _Accumulator,
    facts: TicketFacts,
    with_calendar: bool,
) -> AvailabilityReport:
    settings = policy.availability
    circuits = [acc.result(cid) for cid in labels]
    by_customer: dict[str, GroupAvailability] = {}
    levels = {k.value: v for k, v in policy.maintenance_levels.items()}
    by_level: dict[str, GroupAvailability] = {}
    total = GroupAvailability("all", "all circuits")
    for c in circuits:
        met = c.met
        g = by_customer.get(c.customer)
        if g is None:
            g = by_customer[c.customer] = GroupAvailability(c.customer, c.customer_name)
        g.add(c, met)
        lg = by_level.get(c.maintenance_level)
        if lg is None:
            lv = levels.get(c.maintenance_level)
            lg = by_level[c.maintenance_level] = GroupAvailability(
                c.maintenance_level,
                lv.label if lv else c.maintenance_level,
                target_percent=lv.availability_target_percent if lv else None,
            )
        lg.add(c, met)
        total.add(c, met)
    tier_rank = {k.value: v.rank for k, v in policy.customer_tiers.items()}
    cust_tier = {c.customer: c.tier for c in circuits}
    level_rank = {k: v.rank for k, v in levels.items()}
    notes = []
    if acc.unknown:
        shown = ", ".join(sorted(acc.unknown)[:10])
        notes.append(
            f"{len(acc.unknown)} circuit(s) in the impact history are not in the inventory any more and are not"
            f" reported: {shown}{' ...' if len(acc.unknown) > 10 else ''}"
        )
    if not facts.available:
        notes.append("the store has no ticket table: customer report times and ticket-cause exclusions are not applied")
    if settings.exclude_planned_work and not with_calendar:
        notes.append("no planned-work calendar given: planned work is not excluded")
    windows = sorted(acc.windows_used)
    if windows:
        shown = ", ".join(windows[:10]) + (f" and {len(windows) - 10} more" if len(windows) > 10 else "")
        notes.append(f"planned work excluded from outage: {shown}")
    return AvailabilityReport(
        period=period,
        measured_until=measured,
        exclusions={
            "planned_work": settings.exclude_planned_work and with_calendar,
            "excluded_causes": [str(c) for c in settings.excluded_causes] if facts.available else [],
            "customer_report_starts_outage": settings.customer_report_starts_outage and facts.available,
            "count_customer_reports": settings.count_customer_reports and facts.available,
        },
        circuits=circuits,
        by_customer=sorted(by_customer.values(), key=lambda g: (tier_rank.get(cust_tier[g.key], 99), g.key)),
        by_level=sorted(by_level.values(), key=lambda g: (level_rank.get(g.key, 99), g.key)),
        total=total,
        notes=notes,
    )
