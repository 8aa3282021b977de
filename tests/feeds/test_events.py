"""Feed events built from a lab scenario's incident changes and from ticket events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from correlator.correlation import IncidentChangeKind
from correlator.feeds.events import SCHEMA, EventBuilder, FeedEvent, parse_document
from tests.correlator.conftest import read_jsonl
from tests.feeds.conftest import FeedingHarness, TicketEvent


def test_incident_events_of_a_cable_cut(feeding: Callable[..., FeedingHarness]) -> None:
    h = feeding()
    h.run(read_jsonl("sdh-cable-cut"))
    builder = EventBuilder(source="lab", external_url="https://noc.example/lw/")
    events = builder.from_changes(h.changes)
    kinds = [e.kind for e in events]
    assert kinds[0] == "incident.created" and kinds[-1] == "incident.closed"
    assert {"incident.opened", "incident.cleared"} <= set(kinds)
    assert all(k.removeprefix("incident.") in set(IncidentChangeKind) for k in kinds)
    published = [e for e in events if e.subject == h.only().id]
    created = next(e for e in published if e.kind == "incident.created")
    data = created.payload
    assert data["root"] == {
        "kind": "cable",
        "id": "CB-WES-CEN",
        "key": "cable:CB-WES-CEN",
        "rule": "shared-cable",
        "evidence": data["root"]["evidence"],
    }
    assert data["url"] == f"https://noc.example/lw/incidents/{h.only().id}"
    circuits = {c["circuit"]: c for c in data["circuits"]}
    assert set(circuits) == {"C-002", "C-004", "C-006", "C-009", "C-010", "C-012"}
    assert circuits["C-002"]["tier"] == "group" and circuits["C-002"]["maintenance_level"] == "AAA"
    assert circuits["C-009"]["until"] is not None  # data is the incident as it stands: repaired
    assert data["state"] == "closed" and data["outage"] == [] and data["single_route_risk"] == []
    assert data["change"]["circuits_changed"]  # the creation hurt circuits
    assert created.published  # the incident object is live: it has been published since


def test_single_route_risk_while_one_path_is_down(feeding: Callable[..., FeedingHarness]) -> None:
    h = feeding()
    events = read_jsonl("sdh-cable-cut")
    h.feed(*events[:5])
    h.settle(30)
    opened = [e for e in EventBuilder().from_changes(h.changes) if e.kind == "incident.opened"]
    assert len(opened) == 1
    data = opened[0].payload
    assert data["single_route_risk"] == ["C-002", "C-004", "C-006"]
    assert data["outage"] == ["C-009", "C-010", "C-012"]
    assert data["tier"] == "group"
    assert {c["circuit"]: c["status"] for c in data["circuits"]}["C-004"] == "protection_lost"


def test_repeated_updates_of_one_incident_in_a_batch_fold_into_one(feeding: Callable[..., FeedingHarness]) -> None:
    h = feeding()
    h.feed(*read_jsonl("sdh-cable-cut"))
    updates = [c for c in h.changes if c.kind is IncidentChangeKind.updated]
    assert len(updates) >= 2
    events = EventBuilder().from_changes(updates)
    assert len(events) == len({c.incident.id for c in updates})
    change = events[0].payload["change"]
    assert change["symptoms_added"] == sum(len(c.symptoms_added) for c in updates if c.incident.id == events[0].subject)


class Clock(StrEnum):
    restore = "restore"


def test_ticket_events_become_json_whatever_as_dict_holds() -> None:
    at = datetime(2026, 12, 1, 2, 0, 30, 123456, tzinfo=UTC)
    ev = TicketEvent("clock_warning", "T-7", at, {"clock": Clock.restore, "due": at, "circuits": ("C-1", "C-2")})
    [fe] = EventBuilder(source="lab").from_ticket_events([ev])
    assert fe.kind == "ticket.clock_warning" and fe.subject == "T-7"
    assert fe.payload == {
        "kind": "clock_warning",
        "ticket_id": "T-7",
        "at": "2026-12-01T02:00:30.123Z",
        "clock": "restore",
        "due": "2026-12-01T02:00:30.123Z",
        "circuits": ["C-1", "C-2"],
    }
    json.dumps(fe.payload)


def test_body_is_canonical_versioned_and_stable() -> None:
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    ev = FeedEvent(kind="ticket.opened", at=at, subject="T-1", payload={"b": 1, "a": "é"}, id=42, source="lab")
    body = ev.body()
    assert body == ev.with_id(42).body()
    assert body.startswith(b'{"at":"2026-12-01T02:00:00.000Z","data":{"a":"\xc3\xa9","b":1},"id":42')
    doc = parse_document(body)
    assert doc["schema"] == SCHEMA and doc["id"] == 42 and doc["kind"] == "ticket.opened"
    with pytest.raises(ValueError, match=r"unknown schema 'linewatch\.feed_event/2'"):
        parse_document(body.replace(b"feed_event/1", b"feed_event/2"))


def test_the_ticket_books_own_events_fit_the_feeds_and_the_sla_metrics() -> None:
    from correlator.domain import CustomerTier, MaintenanceLevel, ServiceLevel
    from correlator.feeds import CorrelatorMetrics, TicketEventLike
    from correlator.tickets.model import ClockName, TicketEvent, TicketKind, TicketState

    at = datetime(2026, 12, 1, 2, 45, tzinfo=UTC)
    ev: TicketEventLike = TicketEvent(
        kind="clock_breach",
        ticket_id="TK-1",
        at=at,
        circuit="C-001",
        customer="CUST-PGOV",
        tier=CustomerTier.provincial,
        maintenance_level=MaintenanceLevel.AAA,
        service_level=ServiceLevel.vip1,
        ticket_kind=TicketKind.outage,
        state=TicketState.dispatched,
        priority=1,
        heavy_penalty=False,
        clock=ClockName.accept,
        due_at=at,
    )
    [fe] = EventBuilder().from_ticket_events([ev])
    assert fe.kind == "ticket.clock_breach" and fe.payload["clock"] == "accept" and fe.payload["tier"] == "provincial"
    json.dumps(fe.payload)
    metrics = CorrelatorMetrics()
    metrics.ticket_events([ev])
    breaches = {"clock": "accept", "tier": "provincial"}
    assert metrics.registry.get_sample_value("linewatch_sla_breaches_total", breaches) == 1
