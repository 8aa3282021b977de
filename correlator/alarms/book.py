"""The alarm book: raw raise/clear events in, alarms and their changes out (dedup stage).

One alarm per reduction key (device + resource + alarm type, :func:`correlator.wire.reduction_key`):

- **duplicates**: a redelivered event (an event id already seen) is dropped; a raise of an alarm
  already active is merged (``count`` + 1, ``last_seen``), with no change reported;
- **pairing**: a clear ends the active condition (``cleared_at`` = the event's ``cleared_at``, else
  its ``observed_at``);
- **clear before raise**: a clear for an alarm the book has never seen raised is remembered for
  ``clear_before_raise_s``; when a raise with ``raised_at`` at or before that clear arrives, the
  alarm is created cleared and both ``raised`` and ``cleared`` are reported, so downstream sees
  the interval;
- **out of order**: events are placed by their own times (:mod:`correlator.alarms.timeline`), so
  the final state does not depend on arrival order; a late raise older than a newer clear does not
  resurrect the alarm;
- **flapping**: ``flap_threshold`` state changes within ``flap_window_s`` (event time) turn the
  alarm ``flapping`` (one ``flapping_started``); further toggles report nothing; once
  ``hold_down_s`` pass without a state change (:meth:`AlarmBook.tick`, on the injected clock)
  ``flapping_ended`` is reported and the alarm takes its condition's current state.

The book never reads the wall clock: the injected clock only bounds memories (orphan clears,
event ids, retention of cleared alarms) and ends hold-downs. It never raises on an event: unknown
alarm types and resources that are not in the inventory are kept and counted.
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from correlator.alarms.model import (
    UNKNOWN_TYPE_KIND,
    Alarm,
    AlarmChange,
    AlarmChangeKind,
    AlarmKind,
    AlarmState,
    BookStats,
)
from correlator.alarms.resolve import Resolver
from correlator.alarms.settings import DedupSettings
from correlator.alarms.timeline import FALL, RISE, Edge, Timeline, View
from correlator.alarmtypes import AlarmTypeTable
from correlator.clock import Clock
from correlator.wire import Action, AlarmEvent, Source

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OrphanClear:
    """A clear waiting for its raise."""

    key: str
    event_id: str
    clear_at: datetime
    observed_at: datetime
    arrived_at: datetime
    """The book's clock when it arrived (expiry runs on the clock)."""
    source: Source


@dataclass(slots=True)
class AlarmRecord:
    """An alarm with its kept history: what the store needs to resume it exactly."""

    alarm: Alarm
    timeline: Timeline


@dataclass(slots=True)
class BookState:
    """Everything :meth:`AlarmBook.import_state` needs to resume: alarms, waiting clears, and the
    recently seen event ids (so a redelivery after a restart is still dropped)."""

    alarms: list[AlarmRecord] = field(default_factory=list)
    orphans: list[OrphanClear] = field(default_factory=list)
    seen: list[tuple[str, datetime]] = field(default_factory=list)
    """(event id, when the book took it in)."""


@dataclass(slots=True)
class AlarmWrites:
    """What changed since the last :meth:`AlarmBook.take_writes`: for the store, in one transaction."""

    alarms: list[AlarmRecord] = field(default_factory=list)
    events: list[tuple[AlarmEvent, datetime]] = field(default_factory=list)
    """Events taken in (redeliveries excluded), with the book's clock when taken in."""
    orphans_added: list[OrphanClear] = field(default_factory=list)
    orphans_removed: list[str] = field(default_factory=list)
    """Event ids of waiting clears that were paired or expired."""

    def __bool__(self) -> bool:
        return bool(self.alarms or self.events or self.orphans_added or self.orphans_removed)


@dataclass(slots=True)
class _Entry:
    alarm: Alarm
    timeline: Timeline
    view: View


@dataclass(slots=True)
class _Counters:
    events: int = 0
    redelivered: int = 0
    duplicate_raises: int = 0
    orphan_clears: int = 0
    orphan_clears_expired: int = 0
    stale_events: int = 0
    evicted: int = 0


class AlarmBook:
    """Raw events to alarms. Single-threaded; call :meth:`tick` periodically (e.g. every second)."""

    def __init__(
        self,
        settings: DedupSettings,
        alarm_types: AlarmTypeTable,
        clock: Clock,
        resolver: Resolver | None = None,
    ) -> None:
        self.settings = settings
        self._types = alarm_types
        self._clock = clock
        self._resolver = resolver
        self._flap_window = timedelta(seconds=settings.flap_window_s)
        self._hold_down = timedelta(seconds=settings.hold_down_s)
        self._orphan_memory = timedelta(seconds=settings.clear_before_raise_s)
        self._reorder = timedelta(seconds=settings.reorder_window_s)
        self._id_memory = timedelta(seconds=settings.event_id_memory_s)
        self._retention = timedelta(seconds=settings.cleared_retention_s)
        self._entries: dict[str, _Entry] = {}
        self._orphans: dict[str, list[OrphanClear]] = {}
        self._orphan_queue: deque[OrphanClear] = deque()
        self._seen: dict[str, datetime] = {}
        self._seen_queue: deque[tuple[datetime, str]] = deque()
        self._flapping: set[str] = set()
        self._evict_heap: list[tuple[datetime, str]] = []
        self._dirty: dict[str, _Entry] = {}
        self._writes = AlarmWrites()
        self._counters = _Counters()
        self._warned_types: set[str] = set()

    # -- queries ---------------------------------------------------------------------------------

    def get(self, key: str) -> Alarm | None:
        entry = self._entries.get(key)
        return entry.alarm if entry else None

    def all(self) -> list[Alarm]:
        """Every alarm in the book (active, flapping, and cleared ones still retained), by key."""
        return [self._entries[k].alarm for k in sorted(self._entries)]

    def active(self) -> list[Alarm]:
        """Alarms standing now: active or flapping (a flapping alarm is one standing problem), by key."""
        entries = self._entries
        return [
            entries[k].alarm for k in sorted(k for k, e in entries.items() if e.alarm.state is not AlarmState.cleared)
        ]

    def unmapped(self) -> list[Alarm]:
        """Alarms whose resource is not in the inventory (kept, never dropped), by key."""
        return [a for a in self.all() if a.ref is None]

    def waiting_clears(self) -> list[OrphanClear]:
        """Clears that came before their raise and are still remembered."""
        return [o for key in sorted(self._orphans) for o in self._orphans[key]]

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> BookStats:
        c = self._counters
        by_kind: dict[str, int] = {}
        unmapped = unknown = 0
        for entry in self._entries.values():
            a = entry.alarm
            by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
            unmapped += a.ref is None
            unknown += a.unknown_type
        return BookStats(
            events=c.events,
            redelivered=c.redelivered,
            duplicate_raises=c.duplicate_raises,
            orphan_clears=c.orphan_clears,
            orphan_clears_expired=c.orphan_clears_expired,
            stale_events=c.stale_events,
            evicted=c.evicted,
            alarms=len(self._entries),
            unmapped=unmapped,
            unknown_types=unknown,
            by_kind=by_kind,
        )

    # -- ingest ----------------------------------------------------------------------------------

    def ingest(self, event: AlarmEvent) -> list[AlarmChange]:
        """Take in one event; returns the changes it causes (often none)."""
        now = self._clock.now()
        if event.event_id in self._seen:
            self._counters.redelivered += 1
            return []
        self._seen[event.event_id] = now
        self._seen_queue.append((now, event.event_id))
        self._writes.events.append((event, now))
        self._counters.events += 1
        key = event.reduction_key
        entry = self._entries.get(key)
        if event.action is Action.clear:
            t = event.cleared_at or event.observed_at
            if entry is None:
                self._remember_orphan(OrphanClear(key, event.event_id, t, event.observed_at, now, event.source))
                return []
            return self._apply(entry, event, (t, FALL))
        if entry is None:
            return self._create(key, event, now)
        self._counters.duplicate_raises += entry.view.open
        return self._apply(entry, event, (event.raised_at, RISE))

    def ingest_many(self, events: list[AlarmEvent]) -> list[AlarmChange]:
        out: list[AlarmChange] = []
        for event in events:
            out.extend(self.ingest(event))
        return out

    def _remember_orphan(self, orphan: OrphanClear) -> None:
        self._orphans.setdefault(orphan.key, []).append(orphan)
        self._orphan_queue.append(orphan)
        self._writes.orphans_added.append(orphan)
        self._counters.orphan_clears += 1

    def _take_orphans(self, key: str, now: datetime) -> list[OrphanClear]:
        waiting = self._orphans.pop(key, [])
        kept = []
        for o in waiting:
            self._writes.orphans_removed.append(o.event_id)
            if now - o.arrived_at < self._orphan_memory:
                kept.append(o)
            else:
                self._counters.orphan_clears_expired += 1
        return kept

    def _kind_of(self, alarm_type: str) -> tuple[AlarmKind, bool]:
        known = self._types.types.get(alarm_type)
        if known is not None:
            return known.kind, False
        if alarm_type not in self._warned_types:
            self._warned_types.add(alarm_type)
            log.warning(
                "alarm type '%s' is not in the alarm-type table: kept as a %s (add it to config/alarm_types.yaml)",
                alarm_type,
                UNKNOWN_TYPE_KIND,
            )
        return UNKNOWN_TYPE_KIND, True

    def _create(self, key: str, event: AlarmEvent, now: datetime) -> list[AlarmChange]:
        orphans = self._take_orphans(key, now) if key in self._orphans else []
        timeline = Timeline()
        if orphans:
            timeline.edges = sorted([(event.raised_at, RISE), *((o.clear_at, FALL) for o in orphans)])
            seen = [event.observed_at, *(o.observed_at for o in orphans)]
            first_seen, last_seen = min(seen), max(seen)
        else:
            timeline.edges = [(event.raised_at, RISE)]
            first_seen = last_seen = event.observed_at
        view = timeline.walk(self._flap_window)
        kind, unknown = self._kind_of(event.alarm_type)
        alarm = Alarm(
            key=key,
            device=event.device,
            resource=event.resource,
            alarm_type=event.alarm_type,
            severity=event.severity,
            layer=event.layer,
            kind=kind,
            state=AlarmState.active,
            raised_at=event.raised_at,
            cleared_at=None,
            first_seen=first_seen,
            last_seen=last_seen,
            count=1,
            changes=0,
            sources={event.source, *(o.source for o in orphans)},
            last_event_id=event.event_id,
            ref=self._resolver.resolve(event.device, event.resource) if self._resolver else None,
            detail=event.detail,
            unknown_type=unknown,
        )
        entry = _Entry(alarm, timeline, view)
        self._entries[key] = entry
        self._sync(entry)
        self._dirty[key] = entry
        raised = alarm.snapshot()
        if not orphans:
            return [AlarmChange(AlarmChangeKind.raised, raised, raised.raised_at)]
        raised.state = raised.condition = AlarmState.active
        raised.cleared_at = None
        raised.changes = min(1, alarm.changes)
        out = [AlarmChange(AlarmChangeKind.raised, raised, raised.raised_at)]
        if self._starts_flapping(entry, 0):
            out.append(self._flapping_started(entry))
        elif not view.open:
            out.append(self._change(AlarmChangeKind.cleared, entry))
        if alarm.state is AlarmState.cleared:
            self._schedule_eviction(entry)
        return out

    def _apply(self, entry: _Entry, event: AlarmEvent, edge: Edge) -> list[AlarmChange]:
        a = entry.alarm
        a.last_event_id = event.event_id
        a.sources.add(event.source)
        a.first_seen = min(a.first_seen, event.observed_at)
        a.last_seen = max(a.last_seen, event.observed_at)
        meta_changed = False
        if edge[1] == RISE:
            a.count += 1
            if edge[0] >= a.raised_at:  # not a raise older than the current (or last) condition
                if event.detail:
                    a.detail = event.detail
                if event.severity is not a.severity:
                    a.severity = event.severity
                    meta_changed = True
        if a.ref is None and self._resolver is not None:
            a.ref = self._resolver.resolve(event.device, event.resource)
            if a.ref is not None:
                a.resource = event.resource
                meta_changed = True
        self._dirty[a.key] = entry
        tl = entry.timeline
        if tl.stale(edge[0]):
            self._counters.stale_events += 1
            return (
                [self._change(AlarmChangeKind.updated, entry)] if meta_changed and a.state is AlarmState.active else []
            )
        old = entry.view
        old_state, old_raised, old_cleared = a.state, a.raised_at, a.cleared_at
        old_open, old_start, old_end, old_transitions = old.open, old.start, old.end, old.transitions
        if tl.add(edge):  # in time order: one step
            old.step(edge, self._flap_window)
            new = old
        else:  # out of order: walk the history again
            new = tl.walk(self._flap_window)
            entry.view = new
        tl.fold(self._reorder, self._flap_window)
        self._sync(entry)
        if old_state is AlarmState.flapping:
            return []
        if self._starts_flapping(entry, old_transitions):
            return [self._flapping_started(entry)]
        out: list[AlarmChange] = []
        if new.open and not old_open:
            out.append(self._change(AlarmChangeKind.raised, entry))
        elif old_open and not new.open:
            out.append(self._change(AlarmChangeKind.cleared, entry))
            self._schedule_eviction(entry)
        elif not new.open and old_cleared is not None and a.raised_at != old_raised and a.raised_at >= old_cleared:
            # a whole condition after the one we knew: its clear had overtaken its raise
            raised = a.snapshot()
            raised.state = raised.condition = AlarmState.active
            raised.cleared_at = None
            out += [
                AlarmChange(AlarmChangeKind.raised, raised, a.raised_at),
                self._change(AlarmChangeKind.cleared, entry),
            ]
            self._schedule_eviction(entry)
        elif meta_changed or (new.start, new.end) != (old_start, old_end):
            out.append(self._change(AlarmChangeKind.updated, entry))
        return out

    def _sync(self, entry: _Entry) -> None:
        """Copy the view's state onto the alarm (flapping stays flapping)."""
        a, v = entry.alarm, entry.view
        a.condition = AlarmState.active if v.open else AlarmState.cleared
        if v.start is not None:
            a.raised_at = v.start
        a.cleared_at = None if v.open else v.end
        a.changes = v.transitions
        a.last_change_at = v.last_transition
        if a.state is not AlarmState.flapping:
            a.state = a.condition

    def _starts_flapping(self, entry: _Entry, old_transitions: int) -> bool:
        v = entry.view
        return (
            entry.alarm.state is not AlarmState.flapping
            and v.transitions > old_transitions
            and len(v.recent) >= self.settings.flap_threshold
        )

    def _flapping_started(self, entry: _Entry) -> AlarmChange:
        a, v = entry.alarm, entry.view
        a.state = AlarmState.flapping
        a.flapping_since = v.recent[0]
        self._flapping.add(a.key)
        assert v.last_transition is not None
        return AlarmChange(AlarmChangeKind.flapping_started, a.snapshot(), v.last_transition)

    def _change(self, kind: AlarmChangeKind, entry: _Entry) -> AlarmChange:
        a = entry.alarm
        if kind is AlarmChangeKind.raised:
            at = a.raised_at
        elif kind is AlarmChangeKind.cleared:
            at = a.cleared_at or a.last_seen
        else:
            at = a.last_seen
        return AlarmChange(kind, a.snapshot(), at)

    # -- time ------------------------------------------------------------------------------------

    def tick(self) -> list[AlarmChange]:
        """Time-driven work on the clock's ``now()``: hold-down expiry (``flapping_ended``), expiry
        of waiting clears and of remembered event ids, and retention of cleared alarms."""
        now = self._clock.now()
        out: list[AlarmChange] = []
        for key in sorted(self._flapping):
            entry = self._entries[key]
            last = entry.view.last_transition
            if last is not None and now - last < self._hold_down:
                continue
            a = entry.alarm
            a.state = a.condition
            a.flapping_since = None
            self._flapping.discard(key)
            self._dirty[key] = entry
            at = now if last is None else last + self._hold_down
            out.append(AlarmChange(AlarmChangeKind.flapping_ended, a.snapshot(), at))
            if a.state is AlarmState.cleared:
                self._schedule_eviction(entry)
        self._expire_orphans(now)
        while self._seen_queue and now - self._seen_queue[0][0] >= self._id_memory:
            _, event_id = self._seen_queue.popleft()
            self._seen.pop(event_id, None)
        self._evict(now)
        return out

    def _expire_orphans(self, now: datetime) -> None:
        while self._orphan_queue and now - self._orphan_queue[0].arrived_at >= self._orphan_memory:
            o = self._orphan_queue.popleft()
            waiting = self._orphans.get(o.key)
            if waiting is None or o not in waiting:
                continue  # already paired
            waiting.remove(o)
            if not waiting:
                del self._orphans[o.key]
            self._writes.orphans_removed.append(o.event_id)
            self._counters.orphan_clears_expired += 1

    def _schedule_eviction(self, entry: _Entry) -> None:
        a = entry.alarm
        heapq.heappush(self._evict_heap, (max(a.last_seen, a.cleared_at or a.last_seen), a.key))

    def _evict(self, now: datetime) -> None:
        heap = self._evict_heap
        while heap and now - heap[0][0] >= self._retention:
            _, key = heapq.heappop(heap)
            entry = self._entries.get(key)
            if entry is None or entry.alarm.state is not AlarmState.cleared:
                continue
            a = entry.alarm
            latest = max(a.last_seen, a.cleared_at or a.last_seen)
            if now - latest < self._retention:
                heapq.heappush(heap, (latest, key))
                continue
            del self._entries[key]
            self._counters.evicted += 1

    # -- persistence -----------------------------------------------------------------------------

    def take_writes(self) -> AlarmWrites:
        """What changed since the last call (alarms, events taken in, waiting clears), for
        :meth:`correlator.alarms.store.AlarmRepository.save`.

        The alarm records are the book's own objects, not copies (a copy of every changed alarm
        would double the cost of a storm): save them before the book takes the next event.
        """
        writes = self._writes
        writes.alarms = [AlarmRecord(e.alarm, e.timeline) for e in self._dirty.values()]
        self._dirty = {}
        self._writes = AlarmWrites()
        return writes

    def export_state(self) -> BookState:
        return BookState(
            alarms=[
                AlarmRecord(e.alarm.snapshot(), _copy_timeline(e.timeline))
                for e in (self._entries[k] for k in sorted(self._entries))
            ],
            orphans=self.waiting_clears(),
            seen=[(event_id, at) for at, event_id in self._seen_queue if event_id in self._seen],
        )

    def import_state(self, state: BookState) -> None:
        """Resume from ``state`` (:meth:`export_state` or the store's ``load()``); the book must be empty."""
        if self._entries or self._orphans or self._seen:
            raise ValueError("import_state needs an empty AlarmBook (create a new one to resume from the store)")
        for rec in state.alarms:
            a = rec.alarm.snapshot()
            timeline = _copy_timeline(rec.timeline)
            entry = _Entry(a, timeline, timeline.walk(self._flap_window))
            self._entries[a.key] = entry
            if a.state is AlarmState.flapping:
                self._flapping.add(a.key)
            elif a.state is AlarmState.cleared:
                self._schedule_eviction(entry)
        for o in sorted(state.orphans, key=lambda o: (o.arrived_at, o.event_id)):
            self._orphans.setdefault(o.key, []).append(o)
            self._orphan_queue.append(o)
        for event_id, at in sorted(state.seen, key=lambda s: (s[1], s[0])):
            self._seen[event_id] = at
            self._seen_queue.append((at, event_id))


def _copy_timeline(tl: Timeline) -> Timeline:
    return Timeline(
        edges=list(tl.edges),
        folded_until=tl.folded_until,
        base_open=tl.base_open,
        base_start=tl.base_start,
        base_end=tl.base_end,
        base_transitions=tl.base_transitions,
        base_last_transition=tl.base_last_transition,
    )
