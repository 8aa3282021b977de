"""Tickets in the SQL store (SQLite or PostgreSQL): the :class:`~correlator.tickets.store.TicketStore`
the daemon's ticket book and the engineers' transitions share.

Every write is one transaction. A changed ticket is written with ``UPDATE ... WHERE id = :id AND
version = :version - 1``: if another writer got there first, no row matches, the transaction rolls
back and :class:`~correlator.tickets.store.StaleTicket` tells the caller to read again. On
PostgreSQL the row lock the first writer holds makes the second wait and then miss; on SQLite the
database write lock serialises the two. Transition ``seq`` numbers are given inside the transaction,
after the version check, so two writers never give the same one. Clock events are inserted only if
absent (the primary key is the once-only rule) and the write returns the ones that were new.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from correlator.domain import Area, CustomerTier, MaintenanceLevel, ServiceLevel, TicketCause, TicketKind
from correlator.store.db import check_ready
from correlator.store.upsert import dialect_insert as _insert
from correlator.store.upsert import upsert
from correlator.tickets.model import (
    ClockName,
    ClockSignalKind,
    Suppression,
    Ticket,
    TicketAction,
    TicketState,
    TicketTransition,
)
from correlator.tickets.store import ClockEventRecord, StaleTicket, TicketQuery, TicketWrite
from correlator.tickets.tables import TicketClockEventRow, TicketRow, TicketSuppressionRow, TicketTransitionRow

TICKET = cast(Table, TicketRow.__table__)
TRANSITION = cast(Table, TicketTransitionRow.__table__)
CLOCK = cast(Table, TicketClockEventRow.__table__)
SUPPRESSION = cast(Table, TicketSuppressionRow.__table__)

BATCH = 500


def ticket_row(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "incident_id": t.incident_id,
        "circuit_id": t.circuit_id,
        "customer_id": t.customer_id,
        "kind": t.kind,
        "state": t.state,
        "priority": t.priority,
        "tier": t.tier,
        "maintenance_level": t.maintenance_level,
        "service_level": t.service_level,
        "heavy_penalty": t.heavy_penalty,
        "root_key": t.root_key,
        "product": t.product,
        "area": t.area,
        "detected_at": t.detected_at,
        "customer_reported_at": t.customer_reported_at,
        "known_at": t.known_at,
        "opened_at": t.opened_at,
        "protection_lost_at": t.protection_lost_at,
        "dispatched_at": t.dispatched_at,
        "accepted_at": t.accepted_at,
        "restored_at": t.restored_at,
        "confirmed_at": t.confirmed_at,
        "closed_at": t.closed_at,
        "team": t.team,
        "restore_limit_minutes": t.restore_limit_minutes,
        "restore_due_at": t.restore_due_at,
        "cause": t.cause,
        "planned_work_id": t.planned_work_id,
        "reopened_count": t.reopened_count,
        "version": t.version,
        "updated_at": t.updated_at,
    }


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _req(value: datetime | None) -> datetime:
    out = _aware(value)
    assert out is not None
    return out


def ticket_of(r: Any) -> Ticket:
    return Ticket(
        id=r.id,
        incident_id=r.incident_id,
        circuit_id=r.circuit_id,
        customer_id=r.customer_id,
        kind=TicketKind(r.kind),
        state=TicketState(r.state),
        priority=r.priority,
        tier=CustomerTier(r.tier),
        maintenance_level=MaintenanceLevel(r.maintenance_level),
        service_level=ServiceLevel(r.service_level),
        heavy_penalty=r.heavy_penalty,
        root_key=r.root_key,
        product=r.product,
        area=Area(r.area),
        detected_at=_aware(r.detected_at),
        customer_reported_at=_aware(r.customer_reported_at),
        known_at=_req(r.known_at),
        opened_at=_req(r.opened_at),
        protection_lost_at=_aware(r.protection_lost_at),
        dispatched_at=_aware(r.dispatched_at),
        accepted_at=_aware(r.accepted_at),
        restored_at=_aware(r.restored_at),
        confirmed_at=_aware(r.confirmed_at),
        closed_at=_aware(r.closed_at),
        team=r.team,
        restore_limit_minutes=r.restore_limit_minutes,
        restore_due_at=_req(r.restore_due_at),
        cause=TicketCause(r.cause) if r.cause is not None else None,
        planned_work_id=r.planned_work_id,
        reopened_count=r.reopened_count,
        version=r.version,
        updated_at=_aware(r.updated_at),
    )


def _transition_of(r: Any) -> TicketTransition:
    return TicketTransition(
        ticket_id=r.ticket_id,
        seq=r.seq,
        at=_req(r.at),
        action=TicketAction(r.action),
        from_state=TicketState(r.from_state) if r.from_state is not None else None,
        to_state=TicketState(r.to_state),
        actor=r.actor,
        team=r.team,
        note=r.note,
        cause=TicketCause(r.cause) if r.cause is not None else None,
        incident_id=r.incident_id,
    )


def _clock_of(r: Any) -> ClockEventRecord:
    return ClockEventRecord(
        ticket_id=r.ticket_id,
        clock=ClockName(r.clock),
        kind=ClockSignalKind(r.kind),
        due_at=_req(r.due_at),
        at=_req(r.at),
        emitted_at=_req(r.emitted_at),
    )


def _suppression_of(r: Any) -> Suppression:
    return Suppression(
        incident_id=r.incident_id,
        circuit_id=r.circuit_id,
        root_key=r.root_key,
        status=TicketKind(r.status),
        planned_work_id=r.planned_work_id,
        window_start=_req(r.window_start),
        window_end=_req(r.window_end),
        fault_start=_req(r.fault_start),
        decided_at=_req(r.decided_at),
        ticket_id=r.ticket_id,
    )


def _suppression_row(s: Suppression) -> dict[str, Any]:
    return {
        "incident_id": s.incident_id,
        "circuit_id": s.circuit_id,
        "root_key": s.root_key,
        "status": s.status,
        "planned_work_id": s.planned_work_id,
        "window_start": s.window_start,
        "window_end": s.window_end,
        "fault_start": s.fault_start,
        "decided_at": s.decided_at,
        "ticket_id": s.ticket_id,
    }


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


ORDER = (TICKET.c.priority, TICKET.c.known_at, TICKET.c.id)


class TicketRepository:
    """The ticket tables of one store (migrated to head: raises StoreNotReady naming the fix otherwise)."""

    def __init__(self, engine: Engine) -> None:
        check_ready(engine)
        self.engine = engine

    # -- reading -----------------------------------------------------------------------------------

    def get(self, ticket_id: str) -> Ticket | None:
        with self.engine.connect() as c:
            row = c.execute(select(TICKET).where(TICKET.c.id == ticket_id)).first()
            return ticket_of(row) if row is not None else None

    def latest(self, circuits: Collection[str]) -> dict[str, Ticket]:
        out: dict[str, Ticket] = {}
        wanted = sorted(set(circuits))
        if not wanted:
            return out
        with self.engine.connect() as c:
            for chunk in _chunks(wanted):
                rank = (
                    func.row_number()
                    .over(partition_by=TICKET.c.circuit_id, order_by=(TICKET.c.opened_at.desc(), TICKET.c.id.desc()))
                    .label("rank")
                )
                sub = select(TICKET, rank).where(TICKET.c.circuit_id.in_(chunk)).subquery()
                for r in c.execute(select(sub).where(sub.c.rank == 1)):
                    out[r.circuit_id] = ticket_of(r)
        return out

    def find(self, query: TicketQuery) -> list[Ticket]:
        conds: list[Any] = []
        if query.states is not None:
            conds.append(TICKET.c.state.in_(sorted(s.value for s in query.states)))
        if query.kinds is not None:
            conds.append(TICKET.c.kind.in_(sorted(k.value for k in query.kinds)))
        if query.circuit is not None:
            conds.append(TICKET.c.circuit_id == query.circuit)
        if query.incident is not None:
            conds.append(TICKET.c.incident_id == query.incident)
        if query.team is not None:
            conds.append(TICKET.c.team == query.team)
        if query.due_from is not None:
            conds.append(TICKET.c.restore_due_at >= query.due_from)
        if query.due_before is not None:
            conds.append(TICKET.c.restore_due_at < query.due_before)
        if query.opened_from is not None:
            conds.append(TICKET.c.opened_at >= query.opened_from)
        if query.opened_before is not None:
            conds.append(TICKET.c.opened_at < query.opened_before)
        stmt = select(TICKET).order_by(*ORDER)
        if conds:
            stmt = stmt.where(and_(*conds))
        with self.engine.connect() as c:
            return [ticket_of(r) for r in c.execute(stmt)]

    def open_counts(self) -> dict[tuple[str, str], int]:
        stmt = (
            select(TICKET.c.tier, TICKET.c.state, func.count())
            .where(TICKET.c.state != TicketState.closed.value)
            .group_by(TICKET.c.tier, TICKET.c.state)
        )
        with self.engine.connect() as c:
            return {(CustomerTier(r[0]).value, TicketState(r[1]).value): int(r[2]) for r in c.execute(stmt)}

    def transitions(self, ticket_id: str) -> list[TicketTransition]:
        with self.engine.connect() as c:
            rows = c.execute(select(TRANSITION).where(TRANSITION.c.ticket_id == ticket_id).order_by(TRANSITION.c.seq))
            return [_transition_of(r) for r in rows]

    def clock_events(self, ticket_ids: Collection[str]) -> list[ClockEventRecord]:
        out: list[ClockEventRecord] = []
        wanted = sorted(set(ticket_ids))
        with self.engine.connect() as c:
            for chunk in _chunks(wanted):
                rows = c.execute(select(CLOCK).where(CLOCK.c.ticket_id.in_(chunk)))
                out += [_clock_of(r) for r in rows]
        return sorted(out, key=lambda r: (r.at, r.ticket_id))

    def suppressions(self, circuits: Collection[str] | None = None, incident: str | None = None) -> list[Suppression]:
        stmt = select(SUPPRESSION)
        out: list[Suppression] = []
        with self.engine.connect() as c:
            if circuits is None:
                if incident is not None:
                    stmt = stmt.where(SUPPRESSION.c.incident_id == incident)
                out = [_suppression_of(r) for r in c.execute(stmt)]
            else:
                for chunk in _chunks(sorted(set(circuits))):
                    s = stmt.where(SUPPRESSION.c.circuit_id.in_(chunk))
                    if incident is not None:
                        s = s.where(SUPPRESSION.c.incident_id == incident)
                    out += [_suppression_of(r) for r in c.execute(s)]
        return sorted(out, key=lambda s: (s.fault_start, s.circuit_id, s.incident_id))

    # -- writing -----------------------------------------------------------------------------------

    def write(self, batch: TicketWrite) -> list[ClockEventRecord]:
        """One transaction; nothing is written if any ticket is stale (StaleTicket)."""
        with self.engine.begin() as c:
            return write_in(c, batch)


def write_in(c: Connection, batch: TicketWrite) -> list[ClockEventRecord]:
    """Write ``batch`` inside the caller's transaction on ``c`` (raises StaleTicket; the caller's
    transaction must then roll back). Rows go in batches (executemany), so a storm's thousands of
    tickets cost a few statements, not thousands."""
    if batch.inserts:
        rows = [ticket_row(t) for t in batch.inserts]
        try:
            with c.begin_nested():
                for i in range(0, len(rows), BATCH):
                    c.execute(insert(TICKET), rows[i : i + BATCH])
        except IntegrityError:
            ids = [t.id for t in batch.inserts]
            taken = c.execute(select(TICKET.c.id).where(TICKET.c.id.in_(ids[:BATCH]))).scalars().first()
            raise StaleTicket(taken or ids[0]) from None
    if batch.updates:
        # executemany UPDATE: SET from each row's column keys, WHERE on the b_ parameters
        stmt = update(TICKET).where(and_(TICKET.c.id == bindparam("b_id"), TICKET.c.version == bindparam("b_expected")))
        rows = []
        for t in batch.updates:
            row = {k: v for k, v in ticket_row(t).items() if k != "id"}
            row.update(b_id=t.id, b_expected=t.version - 1)
            rows.append(row)
        for i in range(0, len(rows), BATCH):
            chunk = rows[i : i + BATCH]
            res = c.execute(stmt, chunk)
            if res.rowcount != len(chunk):
                raise StaleTicket(_stale_one(c, batch.updates[i : i + BATCH]))
    if batch.transitions:
        _insert_transitions(c, batch.transitions, {t.id for t in batch.inserts})
    new = _insert_clock_events(c, batch.clock_events) if batch.clock_events else []
    upsert(c, SUPPRESSION, ["incident_id", "circuit_id"], [_suppression_row(s) for s in batch.suppressions])
    return new


def _stale_one(c: Connection, tickets: Sequence[Ticket]) -> str:
    """The first ticket of ``tickets`` whose stored version is not the one before its own."""
    stored = dict(
        c.execute(select(TICKET.c.id, TICKET.c.version).where(TICKET.c.id.in_([t.id for t in tickets]))).all()
    )
    for t in tickets:
        if stored.get(t.id) != t.version:  # this write would have made it t.version
            return t.id
    return tickets[0].id


def _insert_transitions(c: Connection, transitions: Sequence[TicketTransition], new_tickets: set[str]) -> None:
    """Give each step its ``seq`` (after the last one stored) and insert them all."""
    known = sorted({tr.ticket_id for tr in transitions} - new_tickets)
    last: dict[str, int] = {}
    for chunk in _chunks(known):
        last.update(
            c.execute(
                select(TRANSITION.c.ticket_id, func.max(TRANSITION.c.seq))
                .where(TRANSITION.c.ticket_id.in_(chunk))
                .group_by(TRANSITION.c.ticket_id)
            ).all()
        )
    rows: list[dict[str, Any]] = []
    for tr in transitions:
        seq = last.get(tr.ticket_id, 0) + 1
        last[tr.ticket_id] = seq
        rows.append(
            {
                "ticket_id": tr.ticket_id,
                "seq": seq,
                "at": tr.at,
                "action": tr.action,
                "from_state": tr.from_state,
                "to_state": tr.to_state,
                "actor": tr.actor,
                "team": tr.team,
                "note": tr.note,
                "cause": tr.cause,
                "incident_id": tr.incident_id,
            }
        )
    for i in range(0, len(rows), BATCH):
        c.execute(insert(TRANSITION), rows[i : i + BATCH])


def _insert_clock_events(c: Connection, records: Sequence[ClockEventRecord]) -> list[ClockEventRecord]:
    """Insert the records not there yet; RETURNING names the rows that went in (a record already
    stored, by this writer earlier or by another, gives no row)."""
    stmt = (
        _insert(c, CLOCK)
        .on_conflict_do_nothing(index_elements=["ticket_id", "clock", "kind", "due_at"])
        .returning(CLOCK.c.ticket_id, CLOCK.c.clock, CLOCK.c.kind, CLOCK.c.due_at)
    )
    by_key = {r.key: r for r in records}
    new: list[ClockEventRecord] = []
    rows = [
        {
            "ticket_id": r.ticket_id,
            "clock": r.clock,
            "kind": r.kind,
            "due_at": r.due_at,
            "at": r.at,
            "emitted_at": r.emitted_at,
        }
        for r in by_key.values()
    ]
    for i in range(0, len(rows), BATCH):
        for row in c.execute(stmt, rows[i : i + BATCH]):
            key = (row.ticket_id, ClockName(row.clock), ClockSignalKind(row.kind), _req(row.due_at))
            rec = by_key.get(key)
            if rec is not None:
                new.append(rec)
    return sorted(new, key=lambda r: (r.at, r.ticket_id, r.clock.value, r.kind.value))
