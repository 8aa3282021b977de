"""The YAML schema of device profiles (``config/profiles/*.yaml``), as pydantic models.

A profile file holds ``tables:`` (named SNMP table definitions, shared by every profile) and/or
``profiles:`` (which tables a kind of element is polled for, and how it is recognised). See
``agent/profiles/FORMAT.md`` for the format with examples; this module only says what is valid.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from correlator.domain import DeviceKind
from correlator.wire import ResourceType, Severity

Oid = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)+$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
"""A column, table, state or index-part name: a letter, then letters, digits or ``_``."""
Field_ = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")]
"""A field reference: ``column``, ``indexPart`` or ``joinAlias.column``."""
ProfileId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
MetricName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]

TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_template(text: str) -> str:
    for field in TEMPLATE_FIELD.findall(text):
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?", field):
            raise ValueError(f"'{{{field}}}' in '{text}' is not a field name (use {{column}} or {{alias.column}})")
    if text.count("{") != text.count("}"):
        raise ValueError(f"unbalanced braces in '{text}'")
    return text


Template = Annotated[str, StringConstraints(min_length=1)]


class ValueMap(Strict):
    """How one column's raw value is read. Exactly one key.

    - ``enum``: INTEGER -> state name (``{1: up, 2: down}``).
    - ``bitmask``: INTEGER that is a sum of flags (SONET-MIB ``...CurrentStatus``) -> the set of
      flag names present (``{2: sonetSectionLOS, 4: sonetSectionLOF}``).
    - ``bits``: SNMP BITS (OCTET STRING, bit 0 = most significant bit of the first octet) -> the
      set of named bits set (``{2: critical, 3: major}``).
    - ``integer``: a number; ``text``: a UTF-8 string; ``inet_address``: 4 or 16 octets -> text.
    - ``oid_suffix``: an OBJECT IDENTIFIER under the given prefix -> the part after it
      (``entAliasMappingIdentifier`` ``1.3.6.1.2.1.2.2.1.1.16`` -> ``16``).
    """

    enum: dict[int, Name] | None = None
    bitmask: dict[int, Name] | None = None
    bits: dict[int, Name] | None = None
    integer: Literal[True] | None = None
    text: Literal[True] | None = None
    inet_address: Literal[True] | None = None
    oid_suffix: Oid | None = None

    @model_validator(mode="after")
    def _one(self) -> ValueMap:
        given = [k for k, v in self.__dict__.items() if v is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of enum, bitmask, bits, integer, text, inet_address, oid_suffix"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.bitmask is not None:
            for flag in self.bitmask:
                if flag <= 0 or flag & (flag - 1):
                    raise ValueError(f"bitmask flag {flag} is not a power of two")
        if self.bits is not None:
            for pos in self.bits:
                if not 0 <= pos < 256:
                    raise ValueError(f"bit position {pos} is out of range 0..255")
        return self

    @property
    def kind(self) -> str:
        return next(k for k, v in self.__dict__.items() if v is not None)

    def states(self) -> set[str] | None:
        """The state names this map can produce, or None if it produces free values."""
        for mapping in (self.enum, self.bitmask, self.bits):
            if mapping is not None:
                return set(mapping.values())
        return None


class IndexPart(Strict):
    """One component of a table's INDEX, in order."""

    name: Name
    type: Literal["integer", "string", "implied_string", "ipv4", "oid"] = "integer"
    """``string``: length-prefixed octets; ``implied_string``: the rest (last part only);
    ``oid``: the rest as a dotted OID (last part only)."""


class Cond(Strict):
    """A test of one field. In YAML a plain list means ``{in: [...]}``."""

    in_: list[str | int] | None = Field(default=None, alias="in")
    not_: list[str | int] | None = Field(default=None, alias="not")
    regex: str | None = None
    if_missing: bool = False
    """The result when the field has no value (not in the row, or the join found nothing)."""

    @model_validator(mode="before")
    @classmethod
    def _list(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"in": data}
        return data

    @model_validator(mode="after")
    def _one(self) -> Cond:
        given = [n for n, v in (("in", self.in_), ("not", self.not_), ("regex", self.regex)) if v is not None]
        if len(given) != 1:
            raise ValueError("give one of: a list of values, {not: [...]}, {regex: ...}")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"bad regex '{self.regex}': {exc}") from None
        return self


Conds = dict[Field_, Cond]


class Join(Strict):
    """Look up a row of another table of the same element, to name or gate this one."""

    as_: Name = Field(alias="as")
    table: Name
    index: Template | None = None
    """Template giving the other table's index, e.g. ``"{ifIndex}"``."""
    index_prefix: Template | None = None
    """Template giving the first part of the other table's index (the first matching row is used)."""
    by: Name | None = None
    """With ``index``: find the row whose column ``by`` equals the template's value instead."""
    optional: bool = False
    """If true, this table is still evaluated when the joined table was not read completely."""

    @model_validator(mode="after")
    def _one(self) -> Join:
        if (self.index is None) == (self.index_prefix is None):
            raise ValueError("give exactly one of index, index_prefix")
        if self.by is not None and self.index is None:
            raise ValueError("'by' goes with 'index' (the value to look for)")
        _check_template(self.index or self.index_prefix or "")
        return self


class ResourceRule(Strict):
    type: ResourceType
    name: list[Template] = Field(min_length=1)
    """Templates tried in order; the first whose fields all have a non-empty value names the resource."""
    if_index: list[Template] = Field(default_factory=list)
    """Templates tried in order for the resource's ifIndex (an integer); none: no ifIndex."""

    @field_validator("name", "if_index")
    @classmethod
    def _templates(cls, value: list[str]) -> list[str]:
        for t in value:
            _check_template(t)
        return value


class AlarmRule(Strict):
    raise_: str = Field(alias="raise", min_length=1, description="a type of config/alarm_types.yaml")
    when: Conds = Field(min_length=1)
    severity: Severity | None = None
    """Overrides the alarm type's default severity for this vendor/table."""


class GaugeRule(Strict):
    name: MetricName
    when: Conds = Field(min_length=1)
    """The gauge is 1 when every test holds, else 0."""


class SensorColumns(Strict):
    type: Name
    """Column whose state (after ``values``) is ``watts`` or ``dBm``; other types are not power."""
    scale: Name
    """Column whose state is a key of ``exponents`` (yocto ... yotta)."""
    precision: Name
    """Column giving the number of decimal places of the value."""
    status: Name | None = None
    """Column whose state must be ``ok`` for a reading to count."""


Unit = Literal["dbm", "deci_dbm", "centi_dbm", "milli_dbm", "microwatt", "tenth_microwatt", "milliwatt", "sensor"]


class OpticalRule(Strict):
    """Receive power of a transceiver, compared with the agent's optical thresholds."""

    value: Name
    unit: Unit
    """Raw unit; ``sensor`` reads the ENTITY-SENSOR style type/scale/precision columns."""
    multiplier: float = Field(default=1.0, gt=0)
    """Correction applied to the raw value before the unit (a platform that reports 0.1 µW ...)."""
    absent: list[int] = Field(default_factory=list)
    """Raw values meaning "no module / no reading": no gauge, no alarm."""
    no_light: list[int] = Field(default_factory=list)
    """Raw values meaning "no light received": OPTICAL_RX_LOW with detail 'no light', no gauge."""
    sensor: SensorColumns | None = None
    exponents: dict[Name, int] = Field(default_factory=dict)
    when: Conds = Field(default_factory=dict)
    """Extra tests for raising (not for the gauge), e.g. ``port.ifAdminStatus: {in: [up], if_missing: true}``."""
    gauge: MetricName = "optical_rx_dbm"
    low: str = "OPTICAL_RX_LOW"
    high: str = "OPTICAL_RX_HIGH"

    @model_validator(mode="after")
    def _sensor(self) -> OpticalRule:
        if (self.unit == "sensor") != (self.sensor is not None):
            raise ValueError("unit 'sensor' needs a 'sensor:' block, and only it")
        if self.sensor is not None and not self.exponents:
            raise ValueError("unit 'sensor' needs 'exponents' (scale state -> power of ten)")
        return self


class TrapRule(Strict):
    """A notification that decides some of this table's alarms for one row.

    The row is built from the varbinds (those under this table's columns, or under ``index_from``,
    give the index), then ``set`` overrides and ``assume`` fills missing columns (raw values), then
    the table's alarm rules for ``alarms`` are evaluated: a rule that holds is a raise, one that
    does not is a clear.
    """

    name: Name
    oid: Oid
    alarms: list[str] = Field(min_length=1)
    set: dict[Name, int] = Field(default_factory=dict)
    assume: dict[Name, int] = Field(default_factory=dict)
    index_from: list[Oid] = Field(default_factory=list)
    source: str = ""
    """Where the OID comes from (MIB and RFC / vendor document), for the operator."""


class TableDef(Strict):
    """One SNMP table (or a group of same-indexed columns of several tables)."""

    description: str = ""
    columns: dict[Name, Oid] = Field(min_length=1)
    index: list[IndexPart] = Field(default_factory=lambda: [IndexPart(name="index", type="oid")])
    values: dict[Name, ValueMap] = Field(default_factory=dict)
    joins: list[Join] = Field(default_factory=list)
    where: Conds = Field(default_factory=dict)
    """Which rows are resources at all (rows failing it give no condition and no gauge)."""
    resource: ResourceRule | None = None
    """None for a table read only to name or gate others (ENTITY-MIB ...)."""
    alarms: list[AlarmRule] = Field(default_factory=list)
    gauges: list[GaugeRule] = Field(default_factory=list)
    optical: OpticalRule | None = None
    traps: list[TrapRule] = Field(default_factory=list)
    uptime: Name | None = None
    """Column holding sysUpTime (TimeTicks); its value becomes Observation.uptime_ticks."""

    @model_validator(mode="after")
    def _shape(self) -> TableDef:
        for i, part in enumerate(self.index):
            if part.type in ("implied_string", "oid") and i != len(self.index) - 1:
                raise ValueError(f"index part '{part.name}' of type {part.type} must be the last one")
        if (self.alarms or self.gauges or self.optical) and self.resource is None:
            raise ValueError("a table with alarms, gauges or optical needs a 'resource:' rule")
        return self


class TableUse(BaseModel):
    """A profile's use of a library table, optionally overriding parts of it for this profile.

    Override keys are table keys (``values``, ``optical``, ``alarms`` ...). A mapping key is merged
    one level deep (``values: {pwOperStatus: {...}}`` replaces the decoding of that column only);
    any other key replaces the library's value.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    use: Name

    def overrides(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class MatchRule(Strict):
    sys_object_id: list[Oid] = Field(default_factory=list)
    """sysObjectID prefixes (whole arcs); the longest matching prefix is the most specific."""
    sys_descr: list[str] = Field(default_factory=list)
    """Regular expressions searched in sysDescr."""

    @model_validator(mode="after")
    def _some(self) -> MatchRule:
        if not self.sys_object_id and not self.sys_descr:
            raise ValueError("give sys_object_id prefixes and/or sys_descr patterns")
        for pattern in self.sys_descr:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regex '{pattern}': {exc}") from None
        return self


class Fallback(Strict):
    kinds: list[DeviceKind] = Field(min_length=1)
    """Used for an element of these kinds when no profile matches."""
    default: bool = False
    """Used when no profile matches and the element's kind is not known (exactly one profile)."""


class ProfileDef(Strict):
    id: ProfileId
    kind: DeviceKind | None = None
    vendor: str | None = None
    description: str = ""
    abstract: bool = False
    """A base for others (``extends``); never detected."""
    extends: ProfileId | None = None
    """Inherit kind, vendor and tables; this profile's tables are added (same name: replaced)."""
    match: MatchRule | None = None
    fallback: Fallback | None = None
    priority: int = 0
    """Breaks ties between equally specific matches (higher wins)."""
    tables: list[Name | TableUse] = Field(default_factory=list)


class ProfileFile(Strict):
    version: Literal[1] = 1
    tables: dict[Name, TableDef] = Field(default_factory=dict)
    profiles: list[ProfileDef] = Field(default_factory=list)
