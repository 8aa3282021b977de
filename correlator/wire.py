"""The wire contract between agents and the correlator: the AlarmEvent, JSON on the wire.

This is the one module both sides import. Its schema is versioned: ``schema`` names the major
version, and a reader refuses a major version it does not know instead of guessing. Adding an
optional field is a minor change that needs no new major version.

An event is a *change* of one condition on one resource of one element: ``raise`` when the agent
first sees it, ``clear`` when it goes away. The reduction key (element + resource + alarm type)
is what makes two events the same alarm, whichever source (poll, trap, CLI) saw them.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

SCHEMA = "linewatch.alarm_event/1"


class Action(StrEnum):
    raise_ = "raise"
    clear = "clear"


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"
    warning = "warning"
    info = "info"


class Source(StrEnum):
    poll = "poll"
    trap = "trap"
    cli = "cli"


class ResourceType(StrEnum):
    """What on the element the condition is about."""

    device = "device"
    board = "board"
    port = "port"
    path = "path"  # an SDH path / VC on a port (AU-4, TU-12)
    optical = "optical"  # a transceiver's receive side
    bfd = "bfd"
    tunnel = "tunnel"
    pw = "pw"
    vrf = "vrf"


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ResourceType
    id: str = Field(min_length=1, description="port name, board slot, PW id, tunnel name, VRF name ...")
    if_index: int | None = Field(default=None, ge=1)

    def key(self) -> str:
        return f"{self.type.value}:{self.id}"


Text = Annotated[str, Field(max_length=1000)]


class AlarmEvent(BaseModel):
    """One raise or clear of one condition, as an agent saw it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: str = Field(default=SCHEMA, alias="schema")
    event_id: str = Field(min_length=1, max_length=64)
    action: Action
    device: str = Field(min_length=1, description="element id in the inventory")
    resource: Resource
    alarm_type: str = Field(min_length=1, description="normalised name (config/alarm_types.yaml)")
    severity: Severity
    layer: str = Field(min_length=1)
    raised_at: AwareDatetime = Field(description="when the condition began (as far as known)")
    cleared_at: AwareDatetime | None = None
    observed_at: AwareDatetime = Field(description="when the agent saw this change")
    source: Source
    agent: str = Field(min_length=1)
    detail: Text = ""

    @property
    def reduction_key(self) -> str:
        return reduction_key(self.device, self.resource, self.alarm_type)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def reduction_key(device: str, resource: Resource, alarm_type: str) -> str:
    """What makes two events the same alarm: element, resource and normalised type."""
    return f"{device}|{resource.key()}|{alarm_type}"


class WireError(ValueError):
    """A message that is not a valid AlarmEvent; the text says what and where."""


def parse_event(data: str | bytes | dict[str, Any]) -> AlarmEvent:
    """Decode one event, refusing unknown major versions with a clear error."""
    if isinstance(data, str | bytes):
        try:
            obj = json.loads(data)
        except json.JSONDecodeError as exc:
            raise WireError(f"not JSON: {exc}") from None
    else:
        obj = data
    if not isinstance(obj, dict):
        raise WireError("an AlarmEvent must be a JSON object")
    schema = obj.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise WireError(f"unknown schema '{schema}', this linewatch reads '{SCHEMA}' (upgrade the reader)")
    try:
        return AlarmEvent.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(event)"
        raise WireError(f"invalid AlarmEvent: {where}: {first['msg']}") from None
