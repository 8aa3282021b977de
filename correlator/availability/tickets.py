"""What availability needs of the fault tickets (table ``ticket``, migration ``0004``).

Three facts, each behind its switch in ``config/sla.yaml`` ``availability:``:

- a customer's report earlier than detection starts the outage at the report
  (``customer_report_starts_outage``), per (incident, circuit);
- a ticket closed with an excluded cause (``excluded_causes``: customer side, force majeure ...)
  takes its (incident, circuit) outage out;
- a fault only the customer reported (a ``customer_report`` ticket the network never confirmed)
  counts from the report to the ticket's restoration (``count_customer_reports``).

The table is read with SQLAlchemy Core through the shared metadata, by column name; a store without
it (or an older schema) gives no facts, and the report says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, inspect

from correlator.availability.rawsql import Dialect, fetch_batches
from correlator.domain import TicketKind
from correlator.policy import AvailabilityPolicy
from correlator.store.schema import Base

TICKET_TABLE = "ticket"
NEEDED = (
    "id",
    "incident_id",
    "circuit_id",
    "kind",
    "known_at",
    "customer_reported_at",
    "restored_at",
    "closed_at",
    "cause",
)

Pair = tuple[str, str]
"""(incident id, circuit id)."""


@dataclass(frozen=True, slots=True)
class ReportedFault:
    """A customer report that availability counts on its own (no outage detected for it)."""

    ticket: str
    start: float
    end: float | None
    excluded_cause: str | None


@dataclass
class TicketFacts:
    available: bool
    report_start: dict[Pair, float] = field(default_factory=dict)
    """Epoch seconds of the earliest customer report of an (incident, circuit) outage."""
    report_tickets: dict[Pair, str] = field(default_factory=dict)
    excluded: dict[Pair, tuple[str, str]] = field(default_factory=dict)
    """(cause, ticket id) of an (incident, circuit) whose outage is not counted."""
    reported: dict[str, list[tuple[str, ReportedFault]]] = field(default_factory=lambda: defaultdict(list))
    """Circuit -> (incident, customer-report ticket linked to it): counted if that incident shows no
    outage on the circuit."""
    standalone: dict[str, list[ReportedFault]] = field(default_factory=lambda: defaultdict(list))
    """Circuit -> customer-report tickets with no incident."""
    tickets: int = 0

    def circuits(self) -> set[str]:
        """Circuits some fact is about: they take the careful path of the computation."""
        out = {c for _, c in self.report_start} | {c for _, c in self.excluded}
        return out | set(self.standalone) | set(self.reported)


def ticket_table() -> Table | None:
    return Base.metadata.tables.get(TICKET_TABLE)


def read_ticket_facts(
    connection: Connection,
    start: datetime,
    end: datetime,
    policy: AvailabilityPolicy,
    *,
    circuits: set[str] | None = None,
) -> TicketFacts:
    """Facts of the tickets alive in [start, end) (known before ``end``, not closed before ``start``)."""
    table = ticket_table()
    if table is None or any(c not in table.c for c in NEEDED) or not inspect(connection).has_table(TICKET_TABLE):
        return TicketFacts(available=False)
    d = Dialect(connection)
    sql = (
        f"SELECT id, incident_id, circuit_id, kind, {d.epoch('known_at')}, {d.epoch('customer_reported_at')},"
        f" {d.epoch('restored_at')}, cause FROM {TICKET_TABLE}"
        f" WHERE known_at < {d.placeholder} AND (closed_at IS NULL OR closed_at > {d.placeholder})"
    )
    facts = TicketFacts(available=True)
    excluded = {str(cause) for cause in policy.excluded_causes}
    for rows in fetch_batches(connection, sql, (d.time(end), d.time(start))):
        for row in rows:
            if circuits is not None and row[2] not in circuits:
                continue
            facts.tickets += 1
            _take(facts, row, excluded, policy)
    return facts


def _take(facts: TicketFacts, row: tuple[Any, ...], excluded: set[str], policy: AvailabilityPolicy) -> None:
    tid, incident, circuit, kind, known, reported, restored, cause = row
    bad = cause if cause in excluded else None
    if incident is not None:
        pair = (incident, circuit)
        if bad is not None:
            facts.excluded[pair] = (bad, tid)
        if reported is not None and policy.customer_report_starts_outage:
            old = facts.report_start.get(pair)
            if old is None or reported < old:
                facts.report_start[pair] = reported
                facts.report_tickets[pair] = tid
    if kind != TicketKind.customer_report.value or not policy.count_customer_reports:
        return
    begin = reported if reported is not None else known
    fault = ReportedFault(tid, begin, restored, bad)
    if incident is None:
        facts.standalone[circuit].append(fault)
    else:
        facts.reported[circuit].append((incident, fault))
