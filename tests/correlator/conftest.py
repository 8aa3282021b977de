"""Fixtures of the incident-layer tests: the lab network, and a harness that feeds a correlator.

The harness runs the real pipeline (AlarmBook + Resolver + Correlator) on the lab inventory with a
ManualClock; ``feed`` builds AlarmEvents from short rows and sets the clock to their observation
time; ``settle`` moves the clock on, ticking at every deadline, like ``linewatch replay`` does.
After every step it can check that the incremental analysis equals one made from scratch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from correlator.alarms import AlarmBook, Resolver
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.configfile.loader import LoadedConfig, load_config
from correlator.correlation import (
    CorrelationRules,
    Correlator,
    ImpactStatus,
    Incident,
    IncidentChange,
    IncidentState,
    load_rules,
)
from correlator.correlation.engine import IncidentStore
from correlator.diversity import NetworkIndex
from correlator.wire import AlarmEvent, Resource
from tests.conftest import LAB, ROOT

EVENTS = ROOT / "tests" / "data" / "events"
T0 = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)
_ids = itertools.count(1)


@cache
def lab_network() -> tuple[LoadedConfig, NetworkIndex]:
    cfg = load_config(LAB)
    return cfg, NetworkIndex(cfg.inventory, cfg.policy)


@cache
def shipped_rules() -> CorrelationRules:
    return load_rules()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ev(
    t: float,
    device: str,
    rtype: str,
    rid: str,
    alarm_type: str,
    action: str = "raise",
    delay: float = 0.2,
) -> AlarmEvent:
    """One event: raised (or cleared) ``t`` seconds after T0, observed ``delay`` later."""
    types = load_alarm_types()
    spec = types.get(alarm_type)
    when = at(t)
    return AlarmEvent(
        event_id=f"t-{next(_ids)}",
        action=action,  # type: ignore[arg-type]
        device=device,
        resource=Resource(type=rtype, id=rid),  # type: ignore[arg-type]
        alarm_type=alarm_type,
        severity=spec.severity,
        layer=spec.layer,
        raised_at=when,
        cleared_at=when if action == "clear" else None,
        observed_at=when + timedelta(seconds=delay),
        source="trap",
        agent="test-agent",
    )


def clear(t: float, device: str, rtype: str, rid: str, alarm_type: str, delay: float = 0.2) -> AlarmEvent:
    return ev(t, device, rtype, rid, alarm_type, action="clear", delay=delay)


def read_jsonl(name: str) -> list[AlarmEvent]:
    from correlator.correlation.replay import read_events

    return read_events(EVENTS / f"{name}.jsonl")


@dataclass
class Harness:
    rules: CorrelationRules
    repository: IncidentStore | None = None
    check: bool = True
    """After every event, compare the incremental analysis with one made from scratch."""
    book: AlarmBook | None = None
    start: datetime = T0
    changes: list[IncidentChange] = field(default_factory=list)
    seen: dict[str, Incident] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cfg, index = lab_network()
        self.cfg, self.index = cfg, index
        self.clock = ManualClock(self.start)
        if self.book is None:
            self.book = AlarmBook(self.rules.dedup, load_alarm_types(), self.clock, Resolver(cfg.inventory))
        self.cor = Correlator(
            cfg.inventory, cfg.policy, self.rules, self.clock, index, self.book, repository=self.repository
        )

    def _take(self, changes: list[IncidentChange]) -> list[IncidentChange]:
        for ch in changes:
            self.seen[ch.incident.id] = ch.incident
        self.changes += changes
        return changes

    def feed(self, *events: AlarmEvent) -> list[IncidentChange]:
        out: list[IncidentChange] = []
        for e in events:
            self.advance_to(e.observed_at)
            out += self._take(self.cor.ingest(e))
            if self.check:
                assert self.cor.rca.decisions() == self.cor.rca.full_check(), f"incremental != full after {e}"
        return out

    def advance_to(self, when: datetime) -> list[IncidentChange]:
        out: list[IncidentChange] = []
        while (nxt := self.cor.next_deadline()) is not None and nxt <= when:
            self.clock.set(nxt)
            out += self._take(self.cor.tick())
        if when > self.clock.now():
            self.clock.set(when)
            out += self._take(self.cor.tick())
        return out

    def settle(self, seconds: float = 10) -> list[IncidentChange]:
        """Let ``seconds`` pass after the clock, ticking at every deadline."""
        return self.advance_to(self.clock.now() + timedelta(seconds=seconds))

    def run(self, events: Iterable[AlarmEvent], tail: float = 3600) -> Harness:
        self.feed(*events)
        self.settle(tail)
        return self

    # -- reading the outcome --------------------------------------------------------------------

    def published(self) -> list[Incident]:
        """Every incident that has been open (published), merged ones excluded, by id."""
        return sorted(
            (i for i in self.seen.values() if i.was_open and i.state is not IncidentState.merged), key=lambda i: i.id
        )

    def live(self) -> list[Incident]:
        return self.cor.incidents()

    def only(self) -> Incident:
        incs = self.published()
        assert len(incs) == 1, [(i.id, i.root_key) for i in incs]
        return incs[0]

    def statuses(self, inc: Incident) -> dict[str, ImpactStatus]:
        """Each circuit's status now (its last one if the incident is over)."""
        return {cid: c.status for cid, c in sorted(inc.circuits.items())}

    def worst(self, inc: Incident) -> dict[str, ImpactStatus]:
        """Each circuit's worst status over the incident's history."""
        out: dict[str, ImpactStatus] = {}
        for iv in inc.history:
            if iv.circuit not in out or iv.status.severity < out[iv.circuit].severity:
                out[iv.circuit] = iv.status
        return dict(sorted(out.items()))

    def roots(self) -> list[str]:
        return [i.root_key for i in self.published()]


MakeHarness = Callable[..., Harness]


@pytest.fixture
def harness() -> MakeHarness:
    def make(rules: CorrelationRules | None = None, **kw: Any) -> Harness:
        return Harness(rules or shipped_rules(), **kw)

    return make


@pytest.fixture
def rules() -> CorrelationRules:
    return shipped_rules()


def event_file(name: str) -> Path:
    return EVENTS / f"{name}.jsonl"
