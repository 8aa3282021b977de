"""Feeds: what the correlator finds, pushed to the NOC's tools (issue 8), and its metrics.

- :class:`Feeds` (:mod:`.stage`): the pipeline stage the daemon drives:
  ``on_incident_changes(changes, connection=None)``, ``on_ticket_events(events, connection=None)``,
  ``await run()`` (the delivery loop), ``stop()``; its module docstring shows the wiring.
- :mod:`.events`: :class:`FeedEvent`, versioned JSON (``linewatch.feed_event/1``) built from
  incident changes and ticket events.
- :mod:`.outbox`: the durable outbox in the store (migration ``0006``), per-destination delivery
  state; :mod:`.webhook`: signed, strictly ordered delivery with backoff (:mod:`.signing`,
  :mod:`.backoff`); :mod:`.alerts` and :mod:`.alertmanager`: one Alertmanager alert per impacted
  circuit per incident, pushed to ``/api/v2/alerts`` and re-sent.
- :mod:`.metrics`: :class:`CorrelatorMetrics`, the correlator's Prometheus metrics (fed by the
  incident view :mod:`.view` and small provider protocols).
- :mod:`.settings`: the ``feeds:`` section of the daemon config.
"""

from correlator.feeds.events import SCHEMA, EventBuilder, FeedEvent, TicketEventLike
from correlator.feeds.metrics import AvailabilitySource, CircuitAvailability, CorrelatorMetrics, TicketCounts
from correlator.feeds.outbox import Outbox
from correlator.feeds.settings import FeedsSettings
from correlator.feeds.stage import Feeds

__all__ = [
    "SCHEMA",
    "AvailabilitySource",
    "CircuitAvailability",
    "CorrelatorMetrics",
    "EventBuilder",
    "FeedEvent",
    "Feeds",
    "FeedsSettings",
    "Outbox",
    "TicketCounts",
    "TicketEventLike",
]
