"""The correlator daemon's own Prometheus metrics (how the daemon runs), in a registry of its own.

The domain metrics (incidents by tier, circuits hurt, tickets, SLA clocks, feeds) are the feeds'
(:mod:`correlator.feeds.metrics`, ``linewatch_*``); these are the daemon's (``linewatch_correlator_*``).

==============================================  ===============  =======================================
metric                                          labels           meaning
==============================================  ===============  =======================================
linewatch_correlator_events_total               action           AlarmEvents taken in (raise / clear)
linewatch_correlator_events_redelivered_total                    events dropped as already taken in
linewatch_correlator_events_invalid_total                        bus messages that are no AlarmEvent
linewatch_correlator_batches_total                               batches folded into the incidents
linewatch_correlator_batch_events                                events per batch (histogram)
linewatch_correlator_lag_seconds                                 clock minus the newest event's
                                                                 observation time, at its batch
linewatch_correlator_event_lag_seconds                           the same per batch (histogram)
linewatch_correlator_commit_seconds                              one store transaction (histogram)
linewatch_correlator_commit_failures_total                       store transactions that failed
linewatch_correlator_incident_changes_total     kind             created / opened / updated / ...
linewatch_correlator_incidents                  state            incidents settling / open / cleared
linewatch_correlator_alarms_standing                             alarms active or flapping
linewatch_correlator_alarms_unmapped                             alarms whose resource is unknown
linewatch_correlator_stage_failures_total       stage            pipeline stage errors
linewatch_correlator_last_commit_timestamp_seconds               wall time of the last commit
==============================================  ===============  =======================================
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from correlator.correlation.model import Incident, IncidentChange, IncidentState
from correlator.wire import AlarmEvent

PREFIX = "linewatch_correlator_"
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LIVE_STATES = (IncidentState.settling, IncidentState.open, IncidentState.cleared)


class CorrelatorMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.events = Counter(PREFIX + "events_total", "AlarmEvents taken in, by action.", ["action"], registry=r)
        self.redelivered = Counter(
            PREFIX + "events_redelivered_total", "Events dropped because their id was already taken in.", registry=r
        )
        self.invalid = Counter(
            PREFIX + "events_invalid_total", "Bus messages that are not a readable AlarmEvent (dropped).", registry=r
        )
        self.batches = Counter(PREFIX + "batches_total", "Batches folded into the incidents.", registry=r)
        self.batch_events = Histogram(PREFIX + "batch_events", "Events per batch.", registry=r, buckets=BATCH_BUCKETS)
        self.lag = Gauge(
            PREFIX + "lag_seconds",
            "Correlator clock minus the observation time of the newest event of the last batch.",
            registry=r,
        )
        self.event_lag = Histogram(
            PREFIX + "event_lag_seconds",
            "Per batch: correlator clock minus the newest event's observation time.",
            registry=r,
            buckets=LAG_BUCKETS,
        )
        self.commit = Histogram(
            PREFIX + "commit_seconds",
            "One store transaction (alarms and incidents).",
            registry=r,
            buckets=COMMIT_BUCKETS,
        )
        self.commit_failures = Counter(
            PREFIX + "commit_failures_total", "Store transactions that failed (retried).", registry=r
        )
        self.incident_changes = Counter(
            PREFIX + "incident_changes_total", "Incident changes, by kind.", ["kind"], registry=r
        )
        self.incidents = Gauge(PREFIX + "incidents", "Incidents not final, by state.", ["state"], registry=r)
        self.alarms_standing = Gauge(PREFIX + "alarms_standing", "Alarms active or flapping.", registry=r)
        self.alarms_unmapped = Gauge(
            PREFIX + "alarms_unmapped", "Alarms whose resource is not in the inventory.", registry=r
        )
        self.stage_failures = Counter(
            PREFIX + "stage_failures_total", "Pipeline stage errors, by stage.", ["stage"], registry=r
        )
        self.last_commit = Gauge(
            PREFIX + "last_commit_timestamp_seconds", "Wall-clock time of the last successful commit.", registry=r
        )
        for action in ("raise", "clear"):
            self.events.labels(action)
        for state in LIVE_STATES:
            self.incidents.labels(state.value).set(0)

    def batch(self, events: Iterable[AlarmEvent], lag_s: float | None) -> None:
        n = 0
        for e in events:
            self.events.labels(e.action.value).inc()
            n += 1
        self.batches.inc()
        self.batch_events.observe(n)
        if lag_s is not None:
            self.lag.set(lag_s)
            self.event_lag.observe(max(0.0, lag_s))

    def changes(self, changes: Iterable[IncidentChange]) -> None:
        for ch in changes:
            self.incident_changes.labels(ch.kind.value).inc()

    def state(self, incidents: Iterable[Incident], standing: int, unmapped: int) -> None:
        states: Tally[str] = Tally(inc.state.value for inc in incidents)
        for state in LIVE_STATES:
            self.incidents.labels(state.value).set(states.get(state.value, 0))
        self.alarms_standing.set(standing)
        self.alarms_unmapped.set(unmapped)
