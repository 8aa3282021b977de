"""Helpers for the alarm-layer tests: an event factory on a fixed time base, a book on a ManualClock."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from correlator.alarms import AlarmBook, AlarmChange, DedupSettings, Resolver
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.configfile.loader import LoadedConfig, load_config
from correlator.wire import Action, AlarmEvent, Resource, ResourceType, Severity, Source
from tests.conftest import LAB

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DEVICE = "SDH-CEN"
PORT = Resource(type=ResourceType.port, id="11-SL16-1", if_index=1101)
KEY = f"{DEVICE}|port:11-SL16-1|LOS"


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def secs(when: datetime | None) -> float | None:
    return None if when is None else (when - T0).total_seconds()


_ids = itertools.count(1)


def event(
    action: str,
    raised: float,
    cleared: float | None = None,
    *,
    observed: float | None = None,
    event_id: str | None = None,
    device: str = DEVICE,
    resource: Resource = PORT,
    alarm_type: str = "LOS",
    severity: Severity = Severity.critical,
    layer: str = "section",
    source: Source = Source.poll,
    detail: str = "",
) -> AlarmEvent:
    """A raise (``action='raise'``) or clear; times are seconds after T0. A clear's observed time
    defaults to its cleared time, a raise's to its raised time."""
    if observed is None:
        observed = cleared if cleared is not None else raised
    return AlarmEvent(
        event_id=event_id or f"ev-{next(_ids)}",
        action=Action(action),
        device=device,
        resource=resource,
        alarm_type=alarm_type,
        severity=severity,
        layer=layer,
        raised_at=t(raised),
        cleared_at=None if cleared is None else t(cleared),
        observed_at=t(observed),
        source=source,
        agent="agent-test",
        detail=detail,
    )


def raise_(at: float, **kw: Any) -> AlarmEvent:
    return event("raise", at, **kw)


def clear(raised: float, cleared: float | None, **kw: Any) -> AlarmEvent:
    return event("clear", raised, cleared, **kw)


def kinds(changes: list[AlarmChange]) -> list[str]:
    return [c.kind.value for c in changes]


@dataclass
class Bench:
    """A book on a ManualClock at T0, with everything it reported."""

    settings: DedupSettings = field(default_factory=DedupSettings)
    resolver: Resolver | None = None
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    book: AlarmBook = field(init=False)
    reported: list[AlarmChange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.book = AlarmBook(self.settings, load_alarm_types(), self.clock, self.resolver)

    def feed(self, *events: AlarmEvent) -> list[AlarmChange]:
        out: list[AlarmChange] = []
        for e in events:
            out += self.book.ingest(e)
        self.reported += out
        return out

    def at(self, seconds: float) -> list[AlarmChange]:
        """Move the clock to T0 + seconds and tick."""
        self.clock.set(t(seconds))
        out = self.book.tick()
        self.reported += out
        return out


MakeBench = Callable[..., Bench]


@pytest.fixture
def bench() -> MakeBench:
    def make(**settings: Any) -> Bench:
        resolver = settings.pop("resolver", None)
        return Bench(settings=DedupSettings(**settings), resolver=resolver)

    return make


@cache
def lab_config() -> LoadedConfig:
    return load_config(LAB)


@pytest.fixture
def lab() -> LoadedConfig:
    return lab_config()
