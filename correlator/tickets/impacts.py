"""Each circuit's fault timeline, kept from the correlator's incident changes.

The correlator's impact intervals are per incident; a ticket is per circuit. This keeps a copy of
every interval of every circuit that is hurt (or was, recently) and answers the ticket book's
questions about one circuit:

- :meth:`CircuitImpacts.segment`: the stretch of time the circuit has been continuously in one of
  some statuses until now (two incidents overlapping are one stretch), and which published incidents
  hold it there now;
- :meth:`CircuitImpacts.down`: is it still in one of those statuses (by any incident, published or
  still settling)?;
- :meth:`CircuitImpacts.last_end`: when it left them (the restoration time).

Intervals of a merged incident move to the incident it was merged into (the change says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from correlator.correlation.model import (
    ImpactInterval,
    ImpactStatus,
    Incident,
    IncidentChange,
    IncidentChangeKind,
    IncidentState,
)

WHOLE_INCIDENT = frozenset(
    {
        IncidentChangeKind.opened,
        IncidentChangeKind.merged,
        IncidentChangeKind.cleared,
        IncidentChangeKind.closed,
        IncidentChangeKind.reopened,
    }
)
"""Changes after which every circuit of the incident is looked at again."""


@dataclass(frozen=True, slots=True)
class Span:
    id: str
    incident: str
    status: ImpactStatus
    start: datetime
    end: datetime | None


@dataclass(slots=True)
class IncidentFacts:
    id: str
    root_key: str
    started_at: datetime
    published: bool
    state: IncidentState


@dataclass(frozen=True, slots=True)
class Segment:
    """The circuit's current continuous stretch in some statuses."""

    start: datetime
    incidents: tuple[str, ...]
    """Published incidents with an open interval in the stretch now, earliest first."""


@dataclass
class CircuitImpacts:
    spans: dict[str, dict[str, Span]] = field(default_factory=dict)
    """Circuit -> interval id -> its copy."""
    incidents: dict[str, IncidentFacts] = field(default_factory=dict)

    # -- feeding -------------------------------------------------------------------------------

    def take(self, changes: Iterable[IncidentChange]) -> set[str]:
        """Fold one batch of changes in; returns the circuits to look at again."""
        affected: set[str] = set()
        by_id: dict[str, dict[str, ImpactInterval]] = {}
        for ch in changes:
            inc = ch.incident
            self._note(inc)
            affected.update(ch.circuits_changed)
            if ch.kind in WHOLE_INCIDENT:
                affected.update(inc.circuits)
            if ch.intervals_changed:
                index = by_id.get(inc.id)
                if index is None:
                    index = by_id[inc.id] = {iv.id: iv for iv in inc.history}
                for iv_id in ch.intervals_changed:
                    iv = index.get(iv_id)
                    if iv is not None:
                        self.put(iv)
                        affected.add(iv.circuit)
        return affected

    def load(self, incidents: Iterable[Incident]) -> set[str]:
        """Take whole incidents (after a restart); returns their circuits."""
        out: set[str] = set()
        for inc in incidents:
            self._note(inc)
            for iv in inc.history:
                self.put(iv)
                out.add(iv.circuit)
            out.update(inc.circuits)
        return out

    def put(self, iv: ImpactInterval) -> None:
        self.spans.setdefault(iv.circuit, {})[iv.id] = Span(iv.id, iv.incident, iv.status, iv.start, iv.end)

    def _note(self, inc: Incident) -> None:
        facts = self.incidents.get(inc.id)
        if facts is None:
            self.incidents[inc.id] = IncidentFacts(
                inc.id, inc.root_key, inc.started_at, inc.was_open and inc.state is not IncidentState.merged, inc.state
            )
        else:
            facts.started_at = inc.started_at
            facts.published = inc.was_open and inc.state is not IncidentState.merged
            facts.state = inc.state

    # -- questions -----------------------------------------------------------------------------

    def known(self, circuit: str) -> bool:
        return circuit in self.spans

    def _of(self, circuit: str, statuses: frozenset[ImpactStatus]) -> list[Span]:
        return [s for s in self.spans.get(circuit, {}).values() if s.status in statuses]

    def _published(self, incident: str) -> bool:
        facts = self.incidents.get(incident)
        return facts is not None and facts.published

    def down(self, circuit: str, statuses: frozenset[ImpactStatus]) -> bool:
        """An interval in these statuses is open (any incident, published or still settling)."""
        return any(s.end is None for s in self._of(circuit, statuses))

    def segment(self, circuit: str, statuses: frozenset[ImpactStatus]) -> Segment | None:
        """The continuous stretch in these statuses that is still going, if a published incident
        holds the circuit in it now; None otherwise."""
        spans = sorted(self._of(circuit, statuses), key=lambda s: (s.start, s.id))
        if not any(s.end is None for s in spans):
            return None
        start: datetime | None = None
        reach: datetime | None = None  # end of the stretch so far (None: open)
        for s in spans:
            if start is None or (reach is not None and s.start > reach):
                start, reach = s.start, s.end
            elif reach is not None:
                reach = None if s.end is None else max(reach, s.end)
        assert start is not None
        holding = sorted(
            {s.incident for s in spans if s.end is None and self._published(s.incident)},
            key=lambda i: (self.incidents[i].started_at, i),
        )
        if not holding:
            return None
        return Segment(start=start, incidents=tuple(holding))

    def open_start(self, circuit: str, statuses: frozenset[ImpactStatus], incident: str) -> datetime | None:
        """When the incident's open interval(s) in these statuses on the circuit began."""
        starts = [s.start for s in self._of(circuit, statuses) if s.end is None and s.incident == incident]
        return min(starts) if starts else None

    def last_end(self, circuit: str, statuses: frozenset[ImpactStatus], since: datetime) -> datetime | None:
        """When the circuit last left these statuses, if it is out of them now (intervals ending
        at or after ``since``)."""
        spans = self._of(circuit, statuses)
        if any(s.end is None for s in spans):
            return None
        ends = [s.end for s in spans if s.end is not None and s.end >= since]
        return max(ends) if ends else None

    def root(self, incident: str) -> IncidentFacts | None:
        return self.incidents.get(incident)

    # -- memory --------------------------------------------------------------------------------

    def prune(self, before: datetime, keep: set[str]) -> None:
        """Forget circuits (not in ``keep``) whose every interval ended before ``before``, and final
        incidents no interval names any more."""
        for circuit in [c for c in self.spans if c not in keep]:
            spans = self.spans[circuit].values()
            if all(s.end is not None and s.end < before for s in spans):
                del self.spans[circuit]
        named = {s.incident for spans in self.spans.values() for s in spans.values()}
        for inc_id in [i for i, f in self.incidents.items() if f.state.final and i not in named]:
            del self.incidents[inc_id]
