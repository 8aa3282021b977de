"""The correlator's metrics after a lab scenario: incidents, circuits, single-route risk, tickets,
SLA clocks, availability and the feeds' outbox, read from the text exposition."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from correlator.feeds import CircuitAvailability, CorrelatorMetrics
from correlator.feeds.view import IncidentView
from tests.correlator.conftest import at, lab_network, read_jsonl
from tests.feeds.conftest import FeedingHarness, TicketEvent, make_feeds, webhook_settings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(metrics: CorrelatorMetrics) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(got: Samples, name: str, **labels: str) -> float:
    return got.get((name, frozenset(labels.items())), 0.0)


def total(got: Samples, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in got.items() if n == name and want <= ls)


class Tickets:
    def __init__(self, counts: Mapping[tuple[str, str], int]) -> None:
        self.counts = dict(counts)

    def open_ticket_counts(self) -> Mapping[tuple[str, str], int]:
        return self.counts


class Availability:
    def circuit_availability(self) -> Iterable[CircuitAvailability]:
        return [
            CircuitAvailability("C-009", "CUST-CAR", "local_c", 0.9931, 0.995),
            CircuitAvailability("C-002", "CUST-BANK", "group", 0.99995, 0.9999),
        ]


class Broken:
    def circuit_availability(self) -> Iterable[CircuitAvailability]:
        raise RuntimeError("the availability store is down")


def test_metrics_through_a_cable_cut_and_its_repair(
    store: Engine, feeding: Callable[..., FeedingHarness], caplog: pytest.LogCaptureFixture
) -> None:
    _, index = lab_network()
    metrics = CorrelatorMetrics(index=index)
    # a webhook nobody runs: its events wait in the outbox, which the metrics show
    h = feeding()
    feeds = make_feeds(store, webhook_settings("http://127.0.0.1:9/hook"), clock=h.clock, metrics=metrics)
    h.feeds = feeds
    metrics.tickets = Tickets({("group", "dispatched"): 1, ("local_c", "open"): 2})
    metrics.availability = Availability()
    events = read_jsonl("sdh-cable-cut")
    clears = next(i for i, e in enumerate(events) if e.action.value == "clear")
    h.feed(*events[:clears])
    h.settle(30)
    feeds.on_ticket_events(
        [
            TicketEvent("clock_warning", "T-1", at(60), {"clock": "dispatch", "tier": "group"}),
            TicketEvent("clock_breach", "T-2", at(61), {"clock": "restore", "tier": "local_c"}),
            TicketEvent("clock_breach", "T-3", at(62), {"clock": "restore", "tier": "local_c"}),
            TicketEvent("opened", "T-4", at(63), {"tier": "group"}),
        ]
    )
    h.clock.advance(timedelta(seconds=90))
    got = samples(metrics)

    assert value(got, "linewatch_incidents_open", tier="group", state="open") == 1  # C-002 is the bank's
    assert total(got, "linewatch_incidents_open") == 1
    lost = {"C-002": "group", "C-004": "local_a", "C-006": "provincial"}
    for circuit, tier in lost.items():
        assert value(got, "linewatch_single_route_risk_circuits", tier=tier) == 1
        assert (
            total(got, "linewatch_single_route_risk_circuit", circuit=circuit, tier=tier, maintenance_level="AAA")
            + total(got, "linewatch_single_route_risk_circuit", circuit=circuit, tier=tier, maintenance_level="AA")
            == 1
        )
    assert total(got, "linewatch_single_route_risk_circuits") == 3
    assert value(got, "linewatch_circuits_impacted", status="outage", tier="local_c") == 3  # C-009, C-010, C-012
    assert value(got, "linewatch_circuits_route_state", state="single_route_risk", tier="group") == 1
    assert value(got, "linewatch_circuits_route_state", state="outage", tier="local_c") == 3
    assert total(got, "linewatch_circuits_route_state", state="ok") == len(index.circuits) - 6
    assert value(got, "linewatch_tickets_open", tier="local_c", state="open") == 2
    assert value(got, "linewatch_sla_warnings_total", clock="dispatch", tier="group") == 1
    assert value(got, "linewatch_sla_breaches_total", clock="restore", tier="local_c") == 2
    assert value(got, "linewatch_circuit_availability_ratio", circuit="C-009", customer="CUST-CAR", tier="local_c") == (
        pytest.approx(0.9931)
    )
    assert value(
        got, "linewatch_circuit_availability_target_ratio", circuit="C-002", customer="CUST-BANK", tier="group"
    )
    stored = len(feeds.outbox.events())
    assert value(got, "linewatch_feed_outbox_pending", destination="noc") == stored > 0
    assert value(got, "linewatch_feed_outbox_oldest_pending_seconds", destination="noc") >= 90
    assert total(got, "linewatch_feed_events_total") == stored
    assert value(got, "linewatch_feed_events_total", kind="ticket.clock_breach") == 2

    # a provider failing costs its own series, never the scrape
    metrics.availability = Broken()
    got = samples(metrics)
    assert total(got, "linewatch_circuit_availability_ratio") == 0
    assert total(got, "linewatch_single_route_risk_circuits") == 3
    assert "the availability provider failed" in caplog.text

    h.run(events[clears:])
    got = samples(metrics)
    assert total(got, "linewatch_incidents_open") == 0
    assert total(got, "linewatch_single_route_risk_circuits") == 0
    assert total(got, "linewatch_single_route_risk_circuit") == 0
    assert total(got, "linewatch_circuits_route_state", state="ok") == len(index.circuits)


def test_view_resumes_from_the_correlators_incidents(feeding: Callable[..., FeedingHarness]) -> None:
    h = feeding()
    h.feed(*read_jsonl("sdh-span-cut")[:4])
    h.settle(30)
    view = IncidentView()
    metrics = CorrelatorMetrics(view=view)
    assert total(samples(metrics), "linewatch_incidents_open") == 0
    view.sync(h.cor.incidents())  # a restart: the daemon hands over what the correlator resumed with
    got = samples(metrics)
    assert total(got, "linewatch_incidents_open", state="open") == 1
    assert total(got, "linewatch_single_route_risk_circuits") == 2  # C-001 and C-013
