"""Fixtures of the planned-work tests: the lab network, windows built in code, a calendar."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from correlator.configfile.loader import LoadedConfig
from correlator.diversity.expand import NetworkIndex
from correlator.domain import PlannedWorkKind
from correlator.planned import PlannedCalendar, PlannedWindow
from tests.correlator.conftest import lab_network

CST = timezone(timedelta(hours=8))
"""The lab operator's zone (Asia/Shanghai has no daylight saving)."""


def window(
    wid: str,
    resources: Iterable[str],
    start: datetime,
    hours: float = 2,
    notice_hours: float = 96,
    **kw: Any,
) -> PlannedWindow:
    """A window of ``hours`` from ``start``, announced ``notice_hours`` ahead."""
    start = start.astimezone(UTC)
    return PlannedWindow(
        id=wid,
        title=kw.pop("title", f"work {wid}"),
        kind=kw.pop("kind", PlannedWorkKind.other),
        resources=tuple(resources),
        start=start,
        end=start + timedelta(hours=hours),
        announced_at=start - timedelta(hours=notice_hours),
        **kw,
    )


@pytest.fixture
def lab() -> tuple[LoadedConfig, NetworkIndex]:
    return lab_network()


@pytest.fixture
def lab_windows(lab: tuple[LoadedConfig, NetworkIndex]) -> list[PlannedWindow]:
    cfg, _ = lab
    return [PlannedWindow.from_inventory(w) for w in cfg.inventory.planned_work]


@pytest.fixture
def lab_calendar(lab: tuple[LoadedConfig, NetworkIndex], lab_windows: list[PlannedWindow]) -> PlannedCalendar:
    return PlannedCalendar(lab_windows, lab[1])


MakeCalendar = Callable[..., PlannedCalendar]


@pytest.fixture
def calendar_of(lab: tuple[LoadedConfig, NetworkIndex]) -> MakeCalendar:
    def make(*windows: PlannedWindow) -> PlannedCalendar:
        return PlannedCalendar(windows, lab[1])

    return make
