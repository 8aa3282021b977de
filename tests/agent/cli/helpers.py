"""Shared bits of the CLI parsing tests: the shipped platforms and table, samples, captures."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from agent.cli.alarmnames import VendorAlarmTable, load_vendor_alarms
from agent.cli.observe import observe
from agent.cli.platform import Platform, load_platforms
from agent.observation import Observation

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "tests" / "data" / "cli"
REAL = Path("/work/shared/real-devices")


@cache
def platforms() -> dict[str, Platform]:
    return load_platforms()


@cache
def table() -> VendorAlarmTable:
    return load_vendor_alarms()


def sample(platform: str, name: str) -> str:
    return (SAMPLES / platform / name).read_text(encoding="utf-8")


def real(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def look(platform: str, outputs: Mapping[str, str], device: str = "NE-1", **kw: Any) -> Observation:
    return observe(platforms()[platform], device, outputs, table(), **kw)


def keys(obs: Observation) -> set[tuple[str, str]]:
    """{(resource key, alarm type)} of the conditions."""
    return {c.key for c in obs.conditions}


def gauges(obs: Observation, name: str) -> dict[str, float]:
    return {g.resource.id: g.value for g in obs.gauges if g.name == name}
