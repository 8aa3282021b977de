"""The vendor alarm-name table (``config/vendor_alarms.yaml``): vendor spellings -> normalised types.

Per platform section: how the element spells severities, which vendor alarm names mean which
normalised type (``R_LOS`` -> ``LOS``, ``hwPWVcDown`` -> ``PW_DOWN``), which names are deliberately
not watched (``ignore``), which ``Key=value`` parameters of an alarm text name its resource, and
(TL1) which AID types are which kind of resource. The correlator never sees a vendor spelling: a
name the table does not know becomes the generic type (``VENDOR_ALARM``) with the vendor name in
the detail, and is reported as a problem so that someone adds it.

:func:`load_vendor_alarms` checks the file whole: every target type (and the generic one) must be
in ``config/alarm_types.yaml``, a type's resource must be derivable (its layer in
``resource_types`` or the entry says ``resource``), names are unique ignoring case, and regexes
compile. Errors are ``file:line: path: what (fix)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field

from agent.cli.names import template_fields
from agent.profiles.model import Strict
from agent.settings import SHIPPED_CONFIG
from correlator.alarmtypes import DEFAULT_PATH as ALARM_TYPES_PATH
from correlator.alarmtypes import AlarmTypeTable, load_alarm_types
from correlator.configfile.errors import ConfigError, ConfigIssue
from correlator.configfile.validate import validate
from correlator.configfile.yamlsrc import YamlSource, load_yaml
from correlator.wire import ResourceType, Severity

DEFAULT_PATH = SHIPPED_CONFIG / "vendor_alarms.yaml"

SeverityOrClear = Severity | Literal["clear"]


class VendorAlarmDef(Strict):
    type: str = Field(description="normalised type (config/alarm_types.yaml)")
    severity: Severity | None = Field(default=None, description="overrides the severity the element reports")
    resource: ResourceType | None = Field(default=None, description="overrides the resource type of the type's layer")
    only: str | None = Field(
        default=None, description="regex the resource id must match; other resources are not watched"
    )
    description: str = ""


class PlatformAlarmsDef(Strict):
    description: str = ""
    severities: dict[str, SeverityOrClear] = Field(
        min_length=1, description="the element's severity spelling -> severity ('clear': not an alarm)"
    )
    params: dict[ResourceType, list[str]] = Field(
        default_factory=dict, description="per resource type: name templates over the alarm text's Key=value"
    )
    resource_kinds: dict[str, ResourceType] = Field(
        default_factory=dict, description="a resource-kind field's value (TL1 AIDTYPE) -> resource type"
    )
    ignore: list[str] = Field(default_factory=list, description="vendor names deliberately not watched")
    alarms: dict[str, VendorAlarmDef] = Field(default_factory=dict)


class VendorAlarmsFile(Strict):
    version: Literal[1]
    generic_type: str = Field(default="VENDOR_ALARM", description="type of a vendor name the table does not know")
    resource_types: dict[str, ResourceType] = Field(
        min_length=1, description="layer of a normalised type -> the resource type its alarms are on"
    )
    platforms: dict[str, PlatformAlarmsDef] = Field(min_length=1)


@dataclass(frozen=True)
class VendorMapping:
    """What one vendor alarm name means."""

    vendor: str
    alarm_type: str
    severity: Severity | None
    resource: ResourceType
    only: re.Pattern[str] | None = None
    generic: bool = False
    explicit_resource: bool = False
    """The entry names its resource type (else it follows the type's layer or a resource-kind field)."""


@dataclass(frozen=True)
class AlarmNames:
    """One platform's section of the table."""

    platform: str
    generic_type: str
    generic_resource: ResourceType
    severities: Mapping[str, SeverityOrClear]
    params: Mapping[ResourceType, tuple[str, ...]]
    resource_kinds: Mapping[str, ResourceType]
    ignored: frozenset[str]
    alarms: Mapping[str, VendorMapping] = field(repr=False)

    def lookup(self, vendor_name: str) -> VendorMapping | None:
        """The mapping of a vendor name (case-insensitive); None when the name is ignored.

        An unknown name maps to the generic type (``generic=True``): keep it, report it.
        """
        key = vendor_name.strip().lower()
        if key in self.ignored:
            return None
        found = self.alarms.get(key)
        if found is not None:
            return found
        return VendorMapping(vendor_name.strip(), self.generic_type, None, self.generic_resource, generic=True)

    def severity(self, text: str | None) -> SeverityOrClear | None:
        """The element's severity spelling as a severity; None when unknown or not given."""
        if text is None:
            return None
        return self.severities.get(text.strip().lower())

    def resource_kind(self, text: str | None) -> ResourceType | None:
        if text is None:
            return None
        return self.resource_kinds.get(text.strip().lower())


class VendorAlarmTable:
    """Every platform's vendor alarm names (see the module docstring)."""

    def __init__(self, sections: Mapping[str, AlarmNames], types: AlarmTypeTable, source: Path) -> None:
        self._sections = dict(sections)
        self.types = types
        self.source = source

    def __contains__(self, platform: str) -> bool:
        return platform in self._sections

    def platforms(self) -> list[str]:
        return sorted(self._sections)

    def missing(self, sections: Iterable[str]) -> list[str]:
        """The sections of ``sections`` (the platforms' ``alarm_names``) this table lacks: check at load."""
        return sorted({s for s in sections if s not in self._sections})

    def section(self, platform: str) -> AlarmNames:
        try:
            return self._sections[platform]
        except KeyError:
            known = ", ".join(sorted(self._sections))
            raise KeyError(
                f"no section '{platform}' in the vendor alarm-name table {self.source} (has {known}; add it)"
            ) from None


def _check_templates(src: YamlSource, pname: str, spec: PlatformAlarmsDef, issues: list[ConfigIssue]) -> None:
    for rtype, templates in spec.params.items():
        for i, t in enumerate(templates):
            if t.count("{") != t.count("}") or not template_fields(t):
                issues.append(
                    src.issue(
                        ("platforms", pname, "params", rtype.value, i),
                        f"'{t}' is not a name template",
                        "write parameters in braces, e.g. '{ifName}' or 'PW-{VcId}'",
                    )
                )


def _section(
    src: YamlSource,
    doc: VendorAlarmsFile,
    pname: str,
    spec: PlatformAlarmsDef,
    types: AlarmTypeTable,
    issues: list[ConfigIssue],
) -> AlarmNames:
    base = ("platforms", pname)
    severities: dict[str, SeverityOrClear] = {}
    for text, sev in spec.severities.items():
        low = str(text).strip().lower()
        if low in severities:
            issues.append(
                src.issue((*base, "severities", text), f"severity '{text}' is listed twice (ignoring case)", "keep one")
            )
        severities[low] = sev
    kinds = {str(k).strip().lower(): v for k, v in spec.resource_kinds.items()}
    ignored = {n.strip().lower() for n in spec.ignore}
    alarms: dict[str, VendorMapping] = {}
    for name, entry in spec.alarms.items():
        path = (*base, "alarms", name)
        low = str(name).strip().lower()
        if low in alarms:
            issues.append(src.issue(path, f"alarm name '{name}' is listed twice (ignoring case)", "keep one"))
            continue
        if low in ignored:
            issues.append(src.issue(path, f"'{name}' is both mapped and in 'ignore'", "remove it from one"))
        atype = types.types.get(entry.type)
        if atype is None:
            issues.append(
                src.issue(
                    (*path, "type"),
                    f"unknown alarm type '{entry.type}'",
                    "use a type of config/alarm_types.yaml (or add it there)",
                )
            )
            continue
        resource = entry.resource or doc.resource_types.get(atype.layer)
        if resource is None:
            issues.append(
                src.issue(
                    (*path, "type"),
                    f"type '{entry.type}' is of layer '{atype.layer}', which resource_types does not map",
                    "add the layer to resource_types or give 'resource'",
                )
            )
            continue
        only = None
        if entry.only is not None:
            try:
                only = re.compile(entry.only)
            except re.error as exc:
                issues.append(src.issue((*path, "only"), f"regex '{entry.only}' does not compile: {exc}", "fix it"))
                continue
        alarms[low] = VendorMapping(
            str(name), entry.type, entry.severity, resource, only, False, entry.resource is not None
        )
    _check_templates(src, pname, spec, issues)
    generic = types.types.get(doc.generic_type)
    generic_resource = doc.resource_types.get(generic.layer, ResourceType.device) if generic else ResourceType.device
    return AlarmNames(
        platform=pname,
        generic_type=doc.generic_type,
        generic_resource=generic_resource,
        severities=severities,
        params={k: tuple(v) for k, v in spec.params.items()},
        resource_kinds=kinds,
        ignored=frozenset(ignored),
        alarms=alarms,
    )


def load_vendor_alarms(path: Path | None = None, alarm_types: Path | AlarmTypeTable | None = None) -> VendorAlarmTable:
    """Load and check the vendor alarm-name table (default: the shipped ``config/vendor_alarms.yaml``)."""
    file = path if path is not None else DEFAULT_PATH
    types = (
        alarm_types if isinstance(alarm_types, AlarmTypeTable) else load_alarm_types(alarm_types or ALARM_TYPES_PATH)
    )
    src, issues = load_yaml(file)
    if src is None:
        raise ConfigError(issues)
    if not isinstance(src.data, dict):
        raise ConfigError([*issues, src.issue((), "the file must be a YAML mapping", "start with version: 1")])
    doc, more = validate(src, VendorAlarmsFile)
    issues.extend(more)
    if doc is None:
        raise ConfigError(issues)
    if doc.generic_type not in types.types:
        issues.append(
            src.issue(
                ("generic_type",), f"unknown alarm type '{doc.generic_type}'", "add it to config/alarm_types.yaml"
            )
        )
    layers = {t.layer for t in types.types.values()}
    for layer in doc.resource_types:
        if layer not in layers:
            issues.append(
                src.issue(
                    ("resource_types", layer),
                    f"no alarm type has layer '{layer}'",
                    f"use one of {', '.join(sorted(layers))}",
                )
            )
    sections = {name: _section(src, doc, name, spec, types, issues) for name, spec in doc.platforms.items()}
    if issues:
        raise ConfigError(issues)
    return VendorAlarmTable(sections, types, file)
