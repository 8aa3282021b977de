"""The correlator's Prometheus metrics: incidents, tickets, SLA clocks, route risk, availability, feeds.

One :class:`CorrelatorMetrics` per correlator, in its own :class:`~prometheus_client.CollectorRegistry`
(as :class:`agent.metrics.AgentMetrics` does). Gauges of state are computed at scrape time from
thread-safe snapshots (:class:`~correlator.feeds.view.IncidentView`) and from small provider
protocols, so the metrics work before the ticket book or the availability computation is plugged in
(no provider: no series). Counters count from the process start (Prometheus handles restarts).

Metrics (labels in braces):

- ``linewatch_incidents_open{tier,state}``: incidents not final (settling, open, cleared), by the
  highest tier they hurt now (``none``: no circuit);
- ``linewatch_circuits_impacted{status,tier}``: circuits hurt now by published incidents, by worst
  status;
- ``linewatch_single_route_risk_circuits{tier}``: protected circuits down to one path, and
  ``linewatch_single_route_risk_circuit{circuit,customer,tier,maintenance_level}`` = 1 for each;
- ``linewatch_circuits_route_state{state,tier}``: every circuit ok / single_route_risk / outage
  (when the NetworkIndex is given);
- ``linewatch_tickets_open{tier,state}``: open tickets (from the ticket provider);
- ``linewatch_sla_warnings_total{clock,tier}``, ``linewatch_sla_breaches_total{clock,tier}``: SLA
  clock warnings and breaches (ticket events);
- ``linewatch_circuit_availability_ratio{circuit,customer,tier}`` and
  ``linewatch_circuit_availability_target_ratio{circuit,customer,tier}``: availability over the
  provider's period and the circuit's target, 0..1;
- ``linewatch_feed_events_total{kind}``: feed events stored in the outbox;
- ``linewatch_feed_deliveries_total{destination,result}``: delivery attempts: delivered, retry (no
  answer, 408/429/5xx), rejected (other 4xx, 3xx), dead (dead-lettered);
- ``linewatch_feed_outbox_pending{destination}``, ``linewatch_feed_outbox_dead{destination}``,
  ``linewatch_feed_outbox_oldest_pending_seconds{destination}``: the outbox per destination;
- ``linewatch_feed_alerts{destination,state}``: alerts held for an Alertmanager (firing, resolved
  and still re-sent).

Customer, circuit and tier ids are labels (the inventory bounds them); texts and secrets never are.
SLA events: a ticket event (``correlator.tickets``) of kind ``clock_warning`` or ``clock_breach``
whose ``as_dict()`` holds ``clock`` (dispatch, accept, restore, confirm) and ``tier`` counts one
(see :func:`sla_signal`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from correlator.clock import Clock
from correlator.correlation.model import ImpactStatus, IncidentState
from correlator.diversity.expand import NetworkIndex
from correlator.diversity.live import LiveEvaluation, RouteState, metric_family
from correlator.domain import CustomerTier
from correlator.feeds.events import TicketEventLike, TierRank, enum_rank
from correlator.feeds.outbox import DestinationStats
from correlator.feeds.view import IncidentView

log = logging.getLogger("linewatch.feeds")

PREFIX = "linewatch_"
NO_TIER = "none"
SLA_WARNING = "clock_warning"
SLA_BREACH = "clock_breach"
DELIVERY_RESULTS = ("delivered", "retry", "rejected", "dead")


class TicketCounts(Protocol):
    """The ticket book, as the metrics see it."""

    def open_ticket_counts(self) -> Mapping[tuple[str, str], int]:
        """Open tickets by (tier, state). Called at scrape time from another thread: keep it cheap
        and thread-safe (return a snapshot)."""
        ...


@dataclass(frozen=True, slots=True)
class CircuitAvailability:
    circuit: str
    customer: str
    tier: str
    ratio: float
    """0..1 over the provider's period (e.g. the month to date)."""
    target: float | None = None
    """0..1, the circuit's availability target (from its maintenance level), if known."""


class AvailabilitySource(Protocol):
    def circuit_availability(self) -> Iterable[CircuitAvailability]:
        """Called at scrape time from another thread: return a cached snapshot."""
        ...


class FeedStatsSource(Protocol):
    def outbox_stats(self) -> Mapping[str, DestinationStats]: ...

    def alert_counts(self) -> Mapping[tuple[str, str], int]:
        """(destination, firing|resolved) -> alerts held."""
        ...


def sla_signal(event: TicketEventLike) -> tuple[str, str, str] | None:
    """(``warning`` or ``breach``, clock, tier) of an SLA ticket event, else None."""
    if event.kind not in (SLA_WARNING, SLA_BREACH):
        return None
    data = event.as_dict()
    clock = data.get("clock")
    tier = data.get("tier")
    if not clock or not tier:
        log.warning("ticket event %s of %s has no clock or tier: not counted", event.kind, event.ticket_id)
        return None
    what = "warning" if event.kind == SLA_WARNING else "breach"
    return what, str(getattr(clock, "value", clock)), str(getattr(tier, "value", tier))


class CorrelatorMetrics:
    """The metric families of one correlator, in their own registry."""

    def __init__(
        self,
        view: IncidentView | None = None,
        clock: Clock | None = None,
        registry: CollectorRegistry | None = None,
        index: NetworkIndex | None = None,
        rank: TierRank = enum_rank,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.view = view if view is not None else IncidentView()
        self.clock = clock
        self.index = index
        self.rank = rank
        self.tickets: TicketCounts | None = None
        self.availability: AvailabilitySource | None = None
        self.feeds: FeedStatsSource | None = None
        r = self.registry
        self.sla_warnings = Counter(
            PREFIX + "sla_warnings_total", "SLA clock warnings, by clock and tier.", ["clock", "tier"], registry=r
        )
        self.sla_breaches = Counter(
            PREFIX + "sla_breaches_total", "SLA clock breaches, by clock and tier.", ["clock", "tier"], registry=r
        )
        self.feed_events = Counter(
            PREFIX + "feed_events_total", "Feed events stored in the outbox, by kind.", ["kind"], registry=r
        )
        self.feed_deliveries = Counter(
            PREFIX + "feed_deliveries_total",
            "Feed delivery attempts, by destination and result (delivered, retry, rejected, dead).",
            ["destination", "result"],
            registry=r,
        )
        r.register(_StateCollector(self))

    # -- events from the pipeline ---------------------------------------------------------------

    def ticket_events(self, events: Iterable[TicketEventLike]) -> None:
        for ev in events:
            signal = sla_signal(ev)
            if signal is None:
                continue
            what, clock, tier = signal
            (self.sla_warnings if what == "warning" else self.sla_breaches).labels(clock, tier).inc()

    def events_stored(self, kinds: Iterable[str]) -> None:
        for kind in kinds:
            self.feed_events.labels(kind).inc()

    def delivery(self, destination: str, result: str) -> None:
        self.feed_deliveries.labels(destination, result).inc()

    def destination(self, name: str) -> None:
        """Create a destination's delivery series at zero (so rate() works from the start)."""
        for result in DELIVERY_RESULTS:
            self.feed_deliveries.labels(name, result)

    # -- exposition -----------------------------------------------------------------------------

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def metric_names(self) -> set[str]:
        """Every family this registry exposes (for the dashboard check)."""
        return {m.name for m in self.registry.collect()}


class _StateCollector(Collector):
    def __init__(self, metrics: CorrelatorMetrics) -> None:
        self.m = metrics

    def describe(self) -> Iterable[Any]:
        return []  # collected on demand; nothing to check at registration

    def collect(self) -> Iterator[Any]:
        yield from self._incidents()
        yield from self._circuits()
        yield from _guarded("tickets", self._tickets)
        yield from _guarded("availability", self._availability)
        yield from _guarded("feeds", self._feeds)

    def _incidents(self) -> Iterator[Any]:
        rank = self.m.rank
        fam = GaugeMetricFamily(
            PREFIX + "incidents_open",
            "Incidents not final, by the highest customer tier they hurt now and state.",
            labels=["tier", "state"],
        )
        counts: dict[tuple[str, str], int] = {
            (t, s.value): 0 for t in [*(x.value for x in CustomerTier), NO_TIER] for s in IncidentState if not s.final
        }
        for inc in self.m.view.incidents():
            tiers = {c.tier for c in inc.circuits}
            tier = min(tiers, key=rank).value if tiers else NO_TIER
            counts[(tier, inc.state.value)] = counts.get((tier, inc.state.value), 0) + 1
        for (tier, state), n in counts.items():
            fam.add_metric([tier, state], n)
        yield fam

    def _circuits(self) -> Iterator[Any]:
        worst = self.m.view.circuit_status()
        impacted = GaugeMetricFamily(
            PREFIX + "circuits_impacted",
            "Circuits hurt now by published incidents, by worst status and customer tier.",
            labels=["status", "tier"],
        )
        counts = {(s.value, t.value): 0 for s in ImpactStatus for t in CustomerTier}
        for c in worst.values():
            counts[(c.status.value, c.tier.value)] += 1
        for (status, tier), n in counts.items():
            impacted.add_metric([status, tier], n)
        yield impacted

        risk = GaugeMetricFamily(
            PREFIX + "single_route_risk_circuits",
            "Protected circuits down to one path (one more fault takes them), by customer tier.",
            labels=["tier"],
        )
        per = GaugeMetricFamily(
            PREFIX + "single_route_risk_circuit",
            "1 for each circuit at single-route risk now.",
            labels=["circuit", "customer", "tier", "maintenance_level"],
        )
        by_tier = dict.fromkeys((t.value for t in CustomerTier), 0)
        for cid in sorted(worst):
            c = worst[cid]
            if c.status is not ImpactStatus.protection_lost:
                continue
            by_tier[c.tier.value] += 1
            per.add_metric([c.circuit, c.customer, c.tier.value, c.maintenance_level.value], 1)
        for tier, n in by_tier.items():
            risk.add_metric([tier], n)
        yield risk
        yield per

        if self.m.index is not None:
            states = {
                cid: RouteState.outage if c.status is ImpactStatus.outage else RouteState.single_route_risk
                for cid, c in worst.items()
                if c.status is not ImpactStatus.degraded and cid in self.m.index.circuits
            }
            ev = LiveEvaluation(down=frozenset(), ignored=(), paths_down={}, states=states)
            yield metric_family(self.m.index, ev, PREFIX + "circuits_route_state")

    def _tickets(self) -> Iterator[Any]:
        fam = GaugeMetricFamily(
            PREFIX + "tickets_open", "Open tickets, by customer tier and state.", labels=["tier", "state"]
        )
        if self.m.tickets is not None:
            for (tier, state), n in sorted(self.m.tickets.open_ticket_counts().items()):
                fam.add_metric([str(tier), str(state)], n)
        yield fam

    def _availability(self) -> Iterator[Any]:
        ratio = GaugeMetricFamily(
            PREFIX + "circuit_availability_ratio",
            "Circuit availability over the provider's period (0..1).",
            labels=["circuit", "customer", "tier"],
        )
        target = GaugeMetricFamily(
            PREFIX + "circuit_availability_target_ratio",
            "Circuit availability target from its maintenance level (0..1).",
            labels=["circuit", "customer", "tier"],
        )
        if self.m.availability is not None:
            for a in self.m.availability.circuit_availability():
                ratio.add_metric([a.circuit, a.customer, a.tier], a.ratio)
                if a.target is not None:
                    target.add_metric([a.circuit, a.customer, a.tier], a.target)
        yield ratio
        yield target

    def _feeds(self) -> Iterator[Any]:
        pending = GaugeMetricFamily(
            PREFIX + "feed_outbox_pending", "Feed events waiting for delivery, by destination.", labels=["destination"]
        )
        dead = GaugeMetricFamily(
            PREFIX + "feed_outbox_dead",
            "Dead-lettered feed events (kept until an operator re-queues or discards them).",
            labels=["destination"],
        )
        oldest = GaugeMetricFamily(
            PREFIX + "feed_outbox_oldest_pending_seconds",
            "Age of the oldest feed event waiting for the destination (0: none waiting).",
            labels=["destination"],
        )
        alerts = GaugeMetricFamily(
            PREFIX + "feed_alerts",
            "Alerts held for an Alertmanager, by destination and state (firing, resolved).",
            labels=["destination", "state"],
        )
        if self.m.feeds is not None:
            now = self.m.clock.now() if self.m.clock is not None else None
            for dest, st in sorted(self.m.feeds.outbox_stats().items()):
                pending.add_metric([dest], st.pending)
                dead.add_metric([dest], st.dead)
                age = 0.0
                if st.oldest_pending_at is not None and now is not None:
                    age = max(0.0, (now - st.oldest_pending_at).total_seconds())
                oldest.add_metric([dest], age)
            for (dest, state), n in sorted(self.m.feeds.alert_counts().items()):
                alerts.add_metric([dest, state], n)
        yield pending
        yield dead
        yield oldest
        yield alerts


def _guarded(what: str, produce: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    """A failing provider costs its own series, never the whole scrape."""
    try:
        families = list(produce())
    except Exception:
        log.exception("metrics: the %s provider failed; its series are left out of this scrape", what)
        return
    yield from families
