"""The correlator: AlarmEvents in, incidents with their root cause and customer impact out.

    book = AlarmBook(rules.dedup, alarm_types, clock, Resolver(inventory))
    correlator = Correlator(inventory, policy, rules, clock, NetworkIndex(inventory, policy), book)
    for event in events:
        changes = correlator.ingest(event)   # list[IncidentChange]
    changes = correlator.ingest_many(batch)  # or a batch at once, as a bus consumer fetches them
    changes = correlator.tick()              # call every second or so: settle windows, hold-downs

A daemon should call ``gc.freeze()`` once the inventory, the index and the correlator are built:
they live as long as the process, and the collector then leaves them out of its scans.

A pipeline of small stages, each with one job: the :class:`~correlator.alarms.AlarmBook` (dedup,
pairing, flapping) -> :class:`~correlator.correlation.rca.Rca` (root cause vs symptom, rules from
``config/correlation.yaml``) -> :class:`~correlator.correlation.incidents.IncidentBook` (incidents,
settle window, merges, impact on circuits) -> an optional
:class:`~correlator.correlation.repository.IncidentRepository` (the store). Time comes from the
injected clock (settle windows, closing) and from the events (impact intervals).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from correlator.alarms.book import AlarmBook
from correlator.alarms.model import AlarmChange
from correlator.alarmtypes import AlarmTypeTable, load_alarm_types
from correlator.clock import Clock
from correlator.correlation.incidents import IncidentBook
from correlator.correlation.model import Incident, IncidentChange
from correlator.correlation.rca import Rca
from correlator.correlation.rules import CorrelationRules
from correlator.correlation.topology import Topology
from correlator.diversity.expand import NetworkIndex
from correlator.inventory.inventory import Inventory
from correlator.policy import SlaPolicy
from correlator.wire import AlarmEvent


class IncidentStore(Protocol):
    """Where incidents are kept across restarts (:class:`~correlator.correlation.repository.IncidentRepository`)."""

    def load_active(self) -> list[Incident]: ...

    def save(self, changes: Iterable[IncidentChange]) -> None: ...


class Correlator:
    def __init__(
        self,
        inventory: Inventory,
        policy: SlaPolicy,
        rules: CorrelationRules,
        clock: Clock,
        index: NetworkIndex,
        alarm_book: AlarmBook,
        repository: IncidentStore | None = None,
        alarm_types: AlarmTypeTable | None = None,
    ) -> None:
        if index.inventory is not inventory:
            raise ValueError("the NetworkIndex was built from another inventory: build it from this one")
        self.inventory = inventory
        self.policy = policy
        self.rules = rules
        self.clock = clock
        self.index = index
        self.alarm_book = alarm_book
        self.repository = repository
        self.topology = Topology(index)
        self.rca = Rca(self.topology, rules, alarm_types or load_alarm_types())
        self.incident_book = IncidentBook(self.topology, self.rca, rules)
        self._pending: list[IncidentChange] = []
        self._resume()

    def _resume(self) -> None:
        """Start from what the store and the alarm book hold: same open incidents, no duplicates."""
        now = self.clock.now()
        if self.repository is not None:
            self.incident_book.restore(self.repository.load_active())
        standing = self.alarm_book.active()
        if not standing and not self.incident_book.incidents:
            return
        self.rca.apply_alarms(standing)
        changes = self.incident_book.resync(now, now)
        if self.repository is not None and changes:
            self.repository.save(changes)
        self._pending = changes

    # -- the pipeline ---------------------------------------------------------------------------

    def ingest(self, event: AlarmEvent) -> list[IncidentChange]:
        """Take in one raw event; returns the incident changes it causes (often an update)."""
        return self.apply(self.alarm_book.ingest(event))

    def ingest_many(self, events: Iterable[AlarmEvent]) -> list[IncidentChange]:
        """Take in a batch of events (as a bus consumer fetches them) and fold all their alarm
        changes into the incidents at once: the same end state as one by one, with one analysis
        pass and one incident update for the batch. The clock should be at the batch's last
        observation time."""
        changes: list[AlarmChange] = []
        for event in events:
            changes += self.alarm_book.ingest(event)
        return self.apply(changes)

    def apply(self, changes: list[AlarmChange]) -> list[IncidentChange]:
        """Fold alarm changes (from the book) into the incidents."""
        out, self._pending = self._pending, []
        if changes:
            # the analysis keeps the book's own alarm objects (current by construction), not the
            # changes' snapshots: one copy of each alarm in memory, not two
            book = self.alarm_book
            delta = self.rca.apply_alarms([book.get(c.alarm.key) or c.alarm for c in changes])
            if delta:
                at = max(c.at for c in changes)
                out += self.incident_book.apply(delta, at, self.clock.now())
        if self.repository is not None and out:
            self.repository.save(out)
        return out

    def tick(self) -> list[IncidentChange]:
        """Time-driven work at the clock's now: hold-down expiry, settle windows, closing."""
        out = self.apply(self.alarm_book.tick())
        more = self.incident_book.tick(self.clock.now())
        if self.repository is not None and more:
            self.repository.save(more)
        return out + more

    def next_deadline(self) -> datetime | None:
        """The next clock time at which :meth:`tick` has work: a settle window, a hold of a symptom or
        a close delay ending, or a flapping alarm's hold-down ending (from its last state change)."""
        now = self.clock.now()
        times = self.incident_book.deadlines()
        hold = timedelta(seconds=self.alarm_book.settings.hold_down_s)
        for key in self.rca.flapping:
            node = self.rca.nodes.get(key)
            last = node.alarm.last_change_at if node is not None else None
            if last is not None:
                times.append(last + hold)
        later = [t for t in times if t > now]
        return min(later) if later else None

    # -- queries --------------------------------------------------------------------------------

    def incidents(self) -> list[Incident]:
        """Incidents not yet final (settling, open, cleared), by id."""
        return self.incident_book.active()

    def incident(self, incident_id: str) -> Incident | None:
        return self.incident_book.incidents.get(incident_id)

    def incident_of(self, alarm_key: str) -> Incident | None:
        """The incident an alarm belongs to now, if any."""
        inc_id = self.incident_book.alarm_inc.get(alarm_key)
        return self.incident_book.incidents.get(inc_id) if inc_id else None
