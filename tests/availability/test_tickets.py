"""Availability and the fault tickets: customer-caused exclusion, the customer's report starting the
outage, faults only the customer saw. The tickets come from the real ticket book following the
correlator (and the engineers' actions through the ticket service), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from correlator.domain import TicketKind
from correlator.policy import AvailabilityPolicy
from correlator.tickets.store import TicketQuery
from tests.availability.conftest import T0, LabRun, december, minutes, read_jsonl
from tests.correlator.conftest import lab_network

CPE_OFF = 480.5
"""Minutes C-011 is down in the cpe-power-off stream (02:00:00 to 10:00:30)."""


def cpe_off_with_tickets(engine: Engine) -> LabRun:
    run = LabRun(engine, T0, tickets=True)
    return run.feed(read_jsonl("cpe-power-off")).settle()


def _only_ticket(run: LabRun, circuit: str) -> str:
    assert run.book is not None
    (t,) = [t for t in run.book.store.find(TicketQuery()) if t.circuit_id == circuit]
    return t.id


def test_a_customer_caused_outage_is_excluded(lab_store: Engine) -> None:
    run = cpe_off_with_tickets(lab_store)
    assert minutes(december(lab_store), "C-011") == (CPE_OFF, 0.0, 1)  # until the cause is known
    assert run.service is not None
    tid = _only_ticket(run, "C-011")
    run.service.transition(tid, "confirm", team="JC-IP-1", note="studio switched it off for the night")
    closed = run.service.transition(tid, "close", cause="customer_side").ticket
    assert closed.cause is not None and closed.cause.value == "customer_side"

    report = december(lab_store, detail=True)
    assert minutes(report, "C-011") == (0.0, CPE_OFF, 0)
    c = report.circuit("C-011")
    assert c.availability_percent == 100.0
    assert [s.reason for s in c.excluded] == ["cause:customer_side"]
    assert report.exclusions["excluded_causes"] == ["customer_side", "force_majeure", "planned_work"]

    counted = lab_network()[0].policy.model_copy(update={"availability": AvailabilityPolicy(excluded_causes=[])})
    assert minutes(december(lab_store, policy=counted), "C-011") == (CPE_OFF, 0.0, 1)


def test_an_operator_network_cause_still_counts(lab_store: Engine) -> None:
    run = cpe_off_with_tickets(lab_store)
    assert run.service is not None
    tid = _only_ticket(run, "C-011")
    run.service.transition(tid, "confirm", team="JC-IP-1")
    run.service.transition(tid, "close", cause="operator_network")
    assert minutes(december(lab_store), "C-011") == (CPE_OFF, 0.0, 1)


def test_the_customers_earlier_report_starts_the_outage(lab_store: Engine) -> None:
    run = LabRun(lab_store, T0 - timedelta(minutes=12), tickets=True)
    assert run.service is not None
    run.advance_to(T0 - timedelta(minutes=10))
    first = run.service.report("C-011", at=T0 - timedelta(minutes=10), note="studio: internet down")
    assert first.ticket.kind is TicketKind.customer_report and not first.attached
    run.feed(read_jsonl("cpe-power-off")).settle()
    assert run.book is not None
    (t,) = run.book.store.find(TicketQuery())
    assert t.incident_id is not None and t.customer_reported_at == T0 - timedelta(minutes=10)

    report = december(lab_store, detail=True)
    assert minutes(report, "C-011") == (CPE_OFF + 10, 0.0, 1)
    assert report.circuit("C-011").spans[0].start == T0 - timedelta(minutes=10)
    late = lab_network()[0].policy.model_copy(
        update={"availability": AvailabilityPolicy(customer_report_starts_outage=False)}
    )
    assert minutes(december(lab_store, policy=late), "C-011") == (CPE_OFF, 0.0, 1)


def test_a_fault_only_the_customer_saw_counts_from_report_to_restoration(lab_store: Engine) -> None:
    run = LabRun(lab_store, T0, tickets=True)
    assert run.service is not None
    run.advance_to(T0 + timedelta(days=1, hours=2))
    opened = run.service.report("C-009", at=T0 + timedelta(days=1), note="4S dealer: no internet").ticket
    tid = opened.id
    run.service.transition(tid, "dispatch", team="JC-IP-2", at=T0 + timedelta(days=1, minutes=5))
    run.service.transition(tid, "accept", at=T0 + timedelta(days=1, minutes=20))
    run.service.transition(tid, "restore", at=T0 + timedelta(days=1, hours=1, minutes=30))
    report = december(lab_store, detail=True)
    assert minutes(report, "C-009") == (90.0, 0.0, 1)
    (span,) = report.circuit("C-009").spans
    assert span.tickets == (tid,) and span.incidents == ()
    off = lab_network()[0].policy.model_copy(update={"availability": AvailabilityPolicy(count_customer_reports=False)})
    assert minutes(december(lab_store, policy=off), "C-009") == (0.0, 0.0, 0)


def test_a_customer_report_still_open_runs_to_now(lab_store: Engine) -> None:
    run = LabRun(lab_store, T0, tickets=True)
    assert run.service is not None
    run.advance_to(T0 + timedelta(hours=3))
    run.service.report("C-010", at=T0 + timedelta(hours=1))
    report = december(lab_store, now=T0 + timedelta(hours=3))
    assert minutes(report, "C-010") == (120.0, 0.0, 1) and report.circuit("C-010").ongoing
