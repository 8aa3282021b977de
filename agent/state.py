"""The state differ: last known conditions per element in, AlarmEvents (raise/clear) out.

:class:`StateTracker` keeps, per element, the conditions it believes active (keyed by
:attr:`Condition.key`, i.e. resource + alarm type) and the last ``sysUpTime`` it read. Each look at
an element (a poll's :class:`~agent.observation.Observation`, or one condition out of a trap) is
compared with that memory and only *changes* become events:

* poll: a condition not active before is **raised**; an active condition that the observation no
  longer shows is **cleared only if its scope was read completely** (``obs.scopes``), so a table
  that timed out clears nothing; an unchanged condition emits nothing (its stored severity and
  detail follow the latest poll, its ``raised_at`` and ``source`` stay).
* several sources, one alarm: an active condition remembers every scope that saw it
  (:attr:`ActiveCondition.seen_by`; an SNMP table and a CLI command, say ``sonetSectionCurrent``
  and ``cli:alarms``). A look that sees it adds its scope; a look whose complete scope no longer
  sees it removes that scope; the condition **clears when no scope sees it any more**. So the
  same LOS read over SNMP and over TL1 is one alarm, raised by whichever saw it first, and it is
  not flapped when one source stops seeing it before the other: it clears when the last one that
  saw it reads it gone. A source that never saw a condition neither keeps nor clears it; a source
  whose read failed (scope not complete) changes nothing.
* trap: a raise of a condition already active emits nothing, a clear of an active one clears it,
  a clear of one not active emits nothing. A trap-raised condition is an ordinary active
  condition afterwards: the next poll that sees it emits nothing (one alarm, not two), a complete
  poll of its scope that does not see it clears it.
* reboot: when ``obs.uptime_ticks`` is lower than the last value read, the element restarted:
  ``DEVICE_REBOOT`` is raised on the element itself (resource ``device:<id>``) and cleared by the
  next observation that reads ``sysUpTime`` without going back again. A drop that matches the
  32-bit wrap of sysUpTime (about every 497 days) for the time elapsed is a wrap, not a reboot.

Every change batch is handed to a :class:`StateSink` (the persistent store) *before* memory is
updated: if the sink fails, the tracker is left as it was and the next look emits the same changes
again. Time comes only from the injected clock; event ids from an injectable factory.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from agent.observation import Condition, Observation
from correlator.alarmtypes import AlarmTypeTable
from correlator.clock import Clock
from correlator.wire import Action, AlarmEvent, Resource, ResourceType, Source

log = logging.getLogger(__name__)

REBOOT_TYPE = "DEVICE_REBOOT"
REBOOT_SCOPE = "agent:sysUpTime"
"""Scope of the DEVICE_REBOOT condition; no observation covers it, only the reboot rule clears it."""
UPTIME_MODULUS = 2**32
"""TimeTicks is an unsigned 32-bit count of 1/100 s."""

ConditionKey = tuple[str, str]
IdFactory = Callable[[], str]


def new_event_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class ActiveCondition:
    """A condition the agent believes present, with when and how it was first seen."""

    condition: Condition
    raised_at: datetime
    source: Source
    seen_by: frozenset[str] = frozenset()
    """Scopes of the observations that see the condition now. Empty for a condition only a trap
    announced (or one stored by an older agent): then its own ``condition.scope`` decides."""

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes whose complete read without the condition would clear it."""
        return self.seen_by or frozenset((self.condition.scope,))


@dataclass(frozen=True)
class DeviceState:
    """What the agent remembers about one element (insertion order of ``active`` is kept)."""

    active: Mapping[ConditionKey, ActiveCondition] = field(default_factory=dict)
    uptime_ticks: int | None = None
    uptime_read_at: datetime | None = None


class StateSink(Protocol):
    """Where change batches go before memory changes (see :class:`agent.statestore.StateStore`)."""

    def save(self, device: str, state: DeviceState, events: Sequence[AlarmEvent]) -> None:
        """Persist the element's new state and the events of the change, in one transaction."""
        ...


class StateTracker:
    def __init__(
        self,
        agent_id: str,
        alarm_types: AlarmTypeTable,
        clock: Clock,
        *,
        sink: StateSink | None = None,
        initial: Mapping[str, DeviceState] | None = None,
        id_factory: IdFactory = new_event_id,
        uptime_wrap_tolerance_s: float = 30.0,
    ) -> None:
        """``initial`` is the state loaded from the store; ``uptime_wrap_tolerance_s`` is how far a
        sysUpTime reading may stray from the value a 32-bit wrap predicts and still count as a wrap."""
        self._agent = agent_id
        self._types = alarm_types
        self._clock = clock
        self._sink = sink
        self._ids = id_factory
        self._wrap_tolerance_ticks = round(uptime_wrap_tolerance_s * 100)
        self._states: dict[str, DeviceState] = dict(initial or {})
        self._unknown_types: set[tuple[str, str]] = set()

    # -- reading -------------------------------------------------------------------------------

    def devices(self) -> list[str]:
        return sorted(self._states)

    def state(self, device: str) -> DeviceState:
        return self._states.get(device, DeviceState())

    def active(self, device: str) -> list[ActiveCondition]:
        return list(self.state(device).active.values())

    # -- looking -------------------------------------------------------------------------------

    def observe(self, obs: Observation, source: Source = Source.poll) -> list[AlarmEvent]:
        """Diff one observation against the element's last known state; returns the events."""
        now = self._clock.now()
        old = self.state(obs.device)
        active: dict[ConditionKey, ActiveCondition] = dict(old.active)
        seen: dict[ConditionKey, Condition] = {}
        seen_in: dict[ConditionKey, set[str]] = {}
        for cond in obs.conditions:
            if cond.key in seen:
                seen_in[cond.key].add(cond.scope)
            elif self._known_type(obs.device, cond.alarm_type):
                seen[cond.key] = cond
                seen_in[cond.key] = {cond.scope}

        events: list[AlarmEvent] = []
        rebooted = self._rebooted(old, obs.uptime_ticks, now)
        reboot_key = (Resource(type=ResourceType.device, id=obs.device).key(), REBOOT_TYPE)
        if rebooted and reboot_key not in active and self._known_type(obs.device, REBOOT_TYPE):
            cond = self._reboot_condition(obs.device, obs.uptime_ticks or 0, old.uptime_ticks)
            active[reboot_key] = ActiveCondition(cond, now, Source.poll)
            events.append(self._event(obs.device, Action.raise_, cond, now, now, Source.poll))

        for key, held in old.active.items():
            if key == reboot_key or key in seen or not held.scopes & obs.scopes:
                continue
            still = held.scopes - obs.scopes
            if still:  # another source still sees it: this one just stops vouching for it
                active[key] = replace(held, seen_by=still)
                continue
            del active[key]
            events.append(self._event(obs.device, Action.clear, held.condition, held.raised_at, now, source))

        for key, cond in seen.items():
            held_or_none = active.get(key)
            if held_or_none is None:
                active[key] = ActiveCondition(cond, now, source, frozenset(seen_in[key]))
                events.append(self._event(obs.device, Action.raise_, cond, now, now, source))
                continue
            scopes = (held_or_none.seen_by - obs.scopes) | seen_in[key]
            if held_or_none.condition != cond or held_or_none.seen_by != scopes:
                active[key] = replace(held_or_none, condition=cond, seen_by=scopes)

        if obs.uptime_ticks is not None and not rebooted and reboot_key in old.active:
            held = active.pop(reboot_key)
            events.append(self._event(obs.device, Action.clear, held.condition, held.raised_at, now, Source.poll))

        uptime, read_at = (old.uptime_ticks, old.uptime_read_at)
        if obs.uptime_ticks is not None:
            uptime, read_at = obs.uptime_ticks, now
        self._commit(obs.device, DeviceState(active, uptime, read_at), events, old)
        return events

    def trap(self, device: str, action: Action, condition: Condition, source: Source = Source.trap) -> list[AlarmEvent]:
        """Apply one condition change announced by a trap (or any unsolicited source)."""
        if not self._known_type(device, condition.alarm_type):
            return []
        now = self._clock.now()
        old = self.state(device)
        held = old.active.get(condition.key)
        active = dict(old.active)
        if action is Action.raise_:
            if held is not None:
                return []
            active[condition.key] = ActiveCondition(condition, now, source)
            event = self._event(device, Action.raise_, condition, now, now, source)
        else:
            if held is None:
                return []
            del active[condition.key]
            event = self._event(device, Action.clear, held.condition, held.raised_at, now, source)
            if condition.detail:
                event = event.model_copy(update={"detail": condition.detail[:1000]})
        self._commit(device, replace(old, active=active), [event], old)
        return [event]

    # -- helpers -------------------------------------------------------------------------------

    def _commit(self, device: str, new: DeviceState, events: list[AlarmEvent], old: DeviceState) -> None:
        if not events and new == old:
            return
        if self._sink is not None:
            self._sink.save(device, new, events)
        self._states[device] = new

    def _known_type(self, device: str, alarm_type: str) -> bool:
        if alarm_type in self._types.types:
            return True
        if (device, alarm_type) not in self._unknown_types:
            self._unknown_types.add((device, alarm_type))
            log.error(
                "device %s: alarm type '%s' is not in the alarm-type table; condition ignored "
                "(add it to config/alarm_types.yaml or fix the profile)",
                device,
                alarm_type,
            )
        return False

    def _rebooted(self, old: DeviceState, ticks: int | None, now: datetime) -> bool:
        if ticks is None or old.uptime_ticks is None or ticks >= old.uptime_ticks:
            return False
        if old.uptime_read_at is not None:
            elapsed = round((now - old.uptime_read_at).total_seconds() * 100)
            expected = old.uptime_ticks + elapsed
            if expected >= UPTIME_MODULUS and abs(expected - UPTIME_MODULUS - ticks) <= self._wrap_tolerance_ticks:
                return False
        return True

    def _reboot_condition(self, device: str, ticks: int, before: int | None) -> Condition:
        return Condition(
            resource=Resource(type=ResourceType.device, id=device),
            alarm_type=REBOOT_TYPE,
            severity=self._types.get(REBOOT_TYPE).severity,
            scope=REBOOT_SCOPE,
            detail=f"sysUpTime went back from {before} to {ticks} ticks",
        )

    def _event(
        self,
        device: str,
        action: Action,
        cond: Condition,
        raised_at: datetime,
        now: datetime,
        source: Source,
    ) -> AlarmEvent:
        atype = self._types.get(cond.alarm_type)
        return AlarmEvent(
            event_id=self._ids(),
            action=action,
            device=device,
            resource=cond.resource,
            alarm_type=cond.alarm_type,
            severity=cond.severity,
            layer=atype.layer,
            raised_at=raised_at,
            cleared_at=now if action is Action.clear else None,
            observed_at=now,
            source=source,
            agent=self._agent,
            detail=cond.detail[:1000],
        )


def events_by_key(events: Iterable[AlarmEvent]) -> dict[str, list[AlarmEvent]]:
    """Group events by reduction key (handy for logs and tests)."""
    out: dict[str, list[AlarmEvent]] = {}
    for e in events:
        out.setdefault(e.reduction_key, []).append(e)
    return out
