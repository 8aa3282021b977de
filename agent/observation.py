"""What one look at one element saw: the conditions present and the gauges read.

This is the seam between *reading* an element (SNMP poll, trap, CLI) and *diffing* its state. A
profile turns raw rows into an :class:`Observation`; the state differ compares it with the last
known conditions and emits AlarmEvents only on change.

``scopes`` says which parts of the element were read completely in this look (a table, a CLI
command). Conditions are only cleared inside a complete scope: a table that timed out or came back
truncated must not clear what it could not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from correlator.wire import Resource, Severity


@dataclass(frozen=True)
class Condition:
    """One alarm condition present on one resource (the reduction key without the element)."""

    resource: Resource
    alarm_type: str
    severity: Severity
    scope: str
    """The table or command that saw it (``ifTable``, ``sonetSectionCurrentTable``, ``cli:alarm``)."""
    detail: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource.key(), self.alarm_type)


@dataclass(frozen=True)
class Gauge:
    """A reading for the agent's Prometheus metrics (interface state, optical power ...)."""

    name: str
    resource: Resource
    value: float


@dataclass
class Observation:
    device: str
    conditions: list[Condition] = field(default_factory=list)
    gauges: list[Gauge] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)
    """Scopes read completely; conditions of other scopes are left as they were."""
    uptime_ticks: int | None = None
    varbinds: int = 0
    problems: list[str] = field(default_factory=list)
    """Malformed or missing data seen while reading (logged and counted, never fatal)."""
