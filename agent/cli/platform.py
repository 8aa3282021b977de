"""CLI platforms: what the agent sends to one kind of element and how the answers are read.

A platform (``config/cli/platforms/<name>.yaml``, format in ``config/cli/FORMAT.md``) names the
netmiko device type, the commands that turn paging off, the prompt if netmiko's default does not
fit, for TL1 the login (ACT-USER) and what ends a response, and its commands. Each command has a
key (its scope is ``cli:<key>``), the text sent, the templates that read its output, what it
yields (an alarm table, interface / PW / BFD / tunnel / board state, optical power) and the rules
that make conditions and gauges of the records, as data.

:func:`load_platforms` validates every file as a whole and raises
:class:`~correlator.configfile.errors.ConfigError` with every issue as ``file:line: path: what
(fix)``: unknown netmiko device types, templates that are missing or do not compile, fields a rule
names that the templates do not capture, alarm types not in ``config/alarm_types.yaml``, regular
expressions that do not compile, duplicate keys.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from agent.cli.names import PortNamer, template_fields
from agent.cli.parse import CountCheck, Parser, TemplateError, TextFsmParser, Tl1Parser, fields_of, load_template
from agent.profiles.model import Cond, MetricName, Strict
from agent.profiles.runtime import Test
from agent.settings import SHIPPED_CONFIG
from correlator.alarmtypes import DEFAULT_PATH as ALARM_TYPES_PATH
from correlator.alarmtypes import AlarmTypeTable, load_alarm_types
from correlator.configfile.errors import ConfigError, ConfigIssue, PathKey
from correlator.configfile.validate import validate
from correlator.configfile.yamlsrc import YamlSource, load_yaml
from correlator.wire import ResourceType, Severity

DEFAULT_PATH = SHIPPED_CONFIG / "cli" / "platforms"

FieldName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
"""A field of a parsed record: a TextFSM Value name (``INTERFACE``) or a TL1 field (``AID``)."""
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
PlatformName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]

Yields = Literal["alarms", "interface_state", "pw_state", "bfd_state", "tunnel_state", "board_state", "optical_power"]

STATE_RESOURCES: Mapping[str, ResourceType] = {
    "interface_state": ResourceType.port,
    "pw_state": ResourceType.pw,
    "bfd_state": ResourceType.bfd,
    "tunnel_state": ResourceType.tunnel,
    "board_state": ResourceType.board,
}
"""What each state command's records are: one resource of this type per record."""

PLACEHOLDERS = frozenset({"tid", "ctag"})
LOGIN_PLACEHOLDERS = frozenset({"tid", "ctag", "username", "password"})


# -- the YAML schema ----------------------------------------------------------------------------


class AlarmRuleDef(Strict):
    raise_: str = Field(alias="raise", description="a type of config/alarm_types.yaml")
    when: dict[FieldName, Cond] = Field(min_length=1)
    severity: Severity | None = None


class GaugeDef(Strict):
    name: MetricName
    when: dict[FieldName, Cond] = Field(min_length=1)


class AlarmFields(Strict):
    """Which fields of an alarm record say what (``yields: alarms``)."""

    name: FieldName = Field(description="the vendor alarm name, looked up in config/vendor_alarms.yaml")
    severity: FieldName | None = None
    since: FieldName | None = None
    since_time: FieldName | None = Field(default=None, description="a separate time field (TL1 OCRTM)")
    text: FieldName | None = Field(
        default=None, description="the description; its Key=value parameters name the resource"
    )
    resource: FieldName | None = Field(default=None, description="a field that names the resource itself (TL1 AID)")
    resource_kind: FieldName | None = Field(
        default=None, description="a field whose value gives the resource type (TL1 AIDTYPE, see resource_kinds)"
    )


class OpticalFields(Strict):
    """Which fields of a transceiver record say what (``yields: optical_power``)."""

    port: FieldName
    rx: FieldName
    tx: FieldName | None = None
    no_light_dbm: float = Field(default=-40.0, description="a reading at or below this is 'no light'")
    when: dict[FieldName, Cond] = Field(
        default_factory=dict, description="records judged against the thresholds (gauges are set for all)"
    )
    low: str = "OPTICAL_RX_LOW"
    high: str = "OPTICAL_RX_HIGH"
    rx_gauge: MetricName = "optical_rx_dbm"
    tx_gauge: MetricName = "optical_tx_dbm"


class CountDef(Strict):
    regex: str = Field(description="a line announcing how many records follow; its numeric groups are summed")
    required: bool = Field(default=False, description="refuse an output without that line")


class CommandDef(Strict):
    key: Key
    command: str = Field(min_length=1, description="the text sent; {tid} and {ctag} are filled in by the session")
    description: str = ""
    parser: Literal["textfsm", "tl1"] = "textfsm"
    templates: list[str] = Field(default_factory=list, description="own file names or ntc:<file>, tried in order")
    yields: Yields
    required: list[FieldName] = Field(default_factory=list, description="fields every record must have")
    ports: list[FieldName] = Field(default_factory=list, description="fields holding interface names")
    where: dict[FieldName, Cond] = Field(default_factory=dict, description="which records are resources at all")
    resource: list[str] = Field(default_factory=list, description="name templates, first that renders wins")
    alarms: list[AlarmRuleDef] = Field(default_factory=list)
    gauges: list[GaugeDef] = Field(default_factory=list)
    admin_down: dict[FieldName, Cond] = Field(
        default_factory=dict, description="interface_state: records of administratively down ports"
    )
    alarm: AlarmFields | None = None
    optical: OpticalFields | None = None
    count: CountDef | None = None
    allow_empty: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> CommandDef:
        if self.parser == "textfsm" and not self.templates:
            raise ValueError("a textfsm command needs 'templates'")
        if self.parser == "tl1" and (self.templates or self.yields != "alarms"):
            raise ValueError("a tl1 command yields alarms and has no templates")
        if self.yields == "alarms" and self.alarm is None:
            raise ValueError("yields: alarms needs 'alarm' (which fields hold the name, severity, text ...)")
        if self.yields == "optical_power" and self.optical is None:
            raise ValueError("yields: optical_power needs 'optical' (which fields hold the port and the powers)")
        if self.yields in STATE_RESOURCES:
            if not self.resource:
                raise ValueError(f"yields: {self.yields} needs 'resource' (name templates)")
            if not (self.alarms or self.gauges):
                raise ValueError(f"yields: {self.yields} needs 'alarms' or 'gauges'")
        elif self.alarms or self.gauges or self.resource:
            raise ValueError(f"'alarms', 'gauges' and 'resource' are for state commands, not yields: {self.yields}")
        if self.admin_down and self.yields != "interface_state":
            raise ValueError("'admin_down' is for yields: interface_state")
        return self


class InterfaceNames(Strict):
    strip: list[str] = Field(default_factory=list, description="regexes removed from a name ('\\(10G\\)$')")
    expand: dict[str, str] = Field(
        default_factory=dict, description="short prefix -> ifName prefix (GE -> GigabitEthernet)"
    )


class PlatformDef(Strict):
    version: Literal[1]
    name: PlatformName
    description: str = ""
    device_type: str = Field(description="netmiko device_type over SSH")
    telnet_device_type: str | None = Field(default=None, description="netmiko device_type over telnet")
    paging_off: list[str] = Field(default_factory=list, description="sent once after login")
    prompt: str | None = Field(default=None, description="regex of the prompt, if netmiko's own does not fit")
    login: list[str] = Field(
        default_factory=list, description="sent after connecting ({username} {password} {tid} {ctag})"
    )
    logout: list[str] = Field(default_factory=list)
    expect: str | None = Field(default=None, description="regex the session reads up to after a command (TL1 ';')")
    alarm_names: str | None = Field(default=None, description="section of config/vendor_alarms.yaml (default: name)")
    interface_names: InterfaceNames = InterfaceNames()
    missing_values: list[str] = Field(default_factory=lambda: ["", "-", "--", "N/A"])
    error_patterns: list[str] = Field(default_factory=list, description="a line that says the command was refused")
    commands: list[dict[str, Any]] = Field(min_length=1, description="each validated as a CommandDef on its own")


# -- the runtime objects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One alarm or gauge rule, compiled."""

    name: str
    """The alarm type raised, or the gauge set."""
    tests: tuple[Test, ...]
    severity: Severity | None = None
    own: tuple[str, ...] = ()
    """Fields the rule cannot be judged without (tested, and no explicit ``if_missing``)."""


def _own(conds: Mapping[str, Cond]) -> tuple[str, ...]:
    return tuple(k for k, c in conds.items() if "if_missing" not in c.model_fields_set)


@dataclass(frozen=True)
class Rules:
    """A command's tests, compiled once."""

    where: tuple[Test, ...] = ()
    alarms: tuple[Rule, ...] = ()
    gauges: tuple[Rule, ...] = ()
    admin_down: tuple[Test, ...] = ()
    optical_when: tuple[Test, ...] = ()

    @classmethod
    def of(cls, spec: CommandDef) -> Rules:
        def tests(conds: Mapping[str, Cond]) -> tuple[Test, ...]:
            return tuple(Test.of(k, v) for k, v in conds.items())

        return cls(
            where=tests(spec.where),
            alarms=tuple(Rule(r.raise_, tests(r.when), r.severity, _own(r.when)) for r in spec.alarms),
            gauges=tuple(Rule(g.name, tests(g.when), None, _own(g.when)) for g in spec.gauges),
            admin_down=tests(spec.admin_down),
            optical_when=tests(spec.optical.when) if spec.optical is not None else (),
        )


@dataclass(frozen=True)
class CliCommand:
    """One command of a platform, ready to send and to read."""

    key: str
    command: str
    scope: str
    """``cli:<key>``: the scope of the conditions it yields."""
    yields: str
    description: str
    spec: CommandDef = field(repr=False)
    parser: Parser = field(repr=False)
    rules: Rules = field(repr=False, default_factory=Rules)

    def render(self, **values: str) -> str:
        """The text to send, with ``{tid}`` / ``{ctag}`` filled in (missing ones become '')."""
        return _fill(self.command, values)


def _fill(text: str, values: Mapping[str, str]) -> str:
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(str(values.get(name, "")))
    return "".join(out)


@dataclass(frozen=True)
class Platform:
    name: str
    description: str
    device_type: str
    telnet_device_type: str | None
    paging_off: list[str]
    prompt: str | None
    login: list[str]
    logout: list[str]
    expect: str | None
    alarm_names: str
    commands: list[CliCommand]
    ports: PortNamer = field(repr=False)
    missing_values: frozenset[str] = field(repr=False)
    source: Path = field(repr=False)

    def command(self, key: str) -> CliCommand:
        for c in self.commands:
            if c.key == key:
                return c
        raise KeyError(f"platform {self.name} has no command '{key}' (has {', '.join(c.key for c in self.commands)})")

    def device_type_for(self, transport: Literal["ssh", "telnet"]) -> str:
        if transport == "ssh":
            return self.device_type
        if self.telnet_device_type is None:
            raise ValueError(f"platform {self.name} has no telnet_device_type (add one to {self.source})")
        return self.telnet_device_type

    def login_commands(self, **values: str) -> list[str]:
        """``login`` with ``{username}``, ``{password}``, ``{tid}``, ``{ctag}`` filled in (never log these)."""
        return [_fill(c, values) for c in self.login]

    def logout_commands(self, **values: str) -> list[str]:
        return [_fill(c, values) for c in self.logout]


# -- loading ------------------------------------------------------------------------------------


@cache
def _netmiko_types() -> frozenset[str]:
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    return frozenset(CLASS_MAPPER)


def _regex(src: YamlSource, path: PathKey, pattern: str, issues: list[ConfigIssue]) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error as exc:
        issues.append(src.issue(path, f"regex '{pattern}' does not compile: {exc}", "fix the regular expression"))
        return None


def _placeholders(
    src: YamlSource, path: PathKey, text: str, allowed: frozenset[str], issues: list[ConfigIssue]
) -> None:
    try:
        names = {n for _, n, _, _ in string.Formatter().parse(text) if n is not None}
    except ValueError as exc:
        issues.append(src.issue(path, f"'{text}': {exc}", "write literal braces as {{ and }}"))
        return
    unknown = sorted(names - allowed)
    if unknown:
        issues.append(
            src.issue(path, f"unknown placeholder(s) {', '.join(unknown)}", f"use {', '.join(sorted(allowed))}")
        )


def _check_fields(src: YamlSource, base: PathKey, spec: CommandDef, known: set[str], issues: list[ConfigIssue]) -> None:
    listing = ", ".join(sorted(known)) or "(none)"

    def need(path: PathKey, name: str | None) -> None:
        if name is not None and name not in known:
            issues.append(src.issue((*base, *path), f"field '{name}' is not captured", f"the templates give {listing}"))

    for i, name in enumerate(spec.required):
        need(("required", i), name)
    for i, name in enumerate(spec.ports):
        need(("ports", i), name)
    for name in spec.where:
        need(("where", name), name)
    for name in spec.admin_down:
        need(("admin_down", name), name)
    for i, template in enumerate(spec.resource):
        for name in template_fields(template):
            need(("resource", i), name)
    for i, rule in enumerate(spec.alarms):
        for name in rule.when:
            need(("alarms", i, "when", name), name)
    for i, gauge in enumerate(spec.gauges):
        for name in gauge.when:
            need(("gauges", i, "when", name), name)
    if spec.alarm is not None:
        for attr, value in spec.alarm.model_dump().items():
            need(("alarm", attr), value)
    if spec.optical is not None:
        o = spec.optical
        need(("optical", "port"), o.port)
        need(("optical", "rx"), o.rx)
        need(("optical", "tx"), o.tx)
        for name in o.when:
            need(("optical", "when", name), name)


def _build_command(
    src: YamlSource,
    base: PathKey,
    spec: CommandDef,
    errors: list[re.Pattern[str]],
    types: AlarmTypeTable,
    issues: list[ConfigIssue],
) -> CliCommand | None:
    before = len(issues)
    parser: Parser | None = None
    if spec.parser == "tl1":
        parser = Tl1Parser(allow_empty=spec.allow_empty)
    else:
        templates = []
        for i, ref in enumerate(spec.templates):
            try:
                templates.append(load_template(ref, (src.path.parent,)))
            except TemplateError as exc:
                issues.append(src.issue((*base, "templates", i), str(exc), "fix the name (own file or ntc:<file>)"))
        count = None
        if spec.count is not None:
            pattern = _regex(src, (*base, "count", "regex"), spec.count.regex, issues)
            count = CountCheck(pattern, spec.count.required) if pattern is not None else None
        if templates and len(templates) == len(spec.templates):
            parser = TextFsmParser(
                templates, error_patterns=errors, required=spec.required, count=count, allow_empty=spec.allow_empty
            )
    if parser is not None:
        _check_fields(src, base, spec, fields_of(parser), issues)
    for i, rule in enumerate(spec.alarms):
        if rule.raise_ not in types.types:
            issues.append(
                src.issue(
                    (*base, "alarms", i, "raise"),
                    f"unknown alarm type '{rule.raise_}'",
                    "use a type of config/alarm_types.yaml",
                )
            )
    if spec.optical is not None:
        for attr in ("low", "high"):
            name = getattr(spec.optical, attr)
            if name not in types.types:
                issues.append(
                    src.issue(
                        (*base, "optical", attr),
                        f"unknown alarm type '{name}'",
                        "use a type of config/alarm_types.yaml",
                    )
                )
    _placeholders(src, (*base, "command"), spec.command, PLACEHOLDERS, issues)
    if parser is None or len(issues) > before:
        return None
    return CliCommand(
        key=spec.key,
        command=spec.command,
        scope=f"cli:{spec.key}",
        yields=spec.yields,
        description=spec.description,
        spec=spec,
        parser=parser,
        rules=Rules.of(spec),
    )


def _build(src: YamlSource, pdef: PlatformDef, types: AlarmTypeTable, issues: list[ConfigIssue]) -> Platform | None:
    before = len(issues)
    known = _netmiko_types()
    for attr in ("device_type", "telnet_device_type"):
        value = getattr(pdef, attr)
        if value is not None and value not in known:
            close = sorted(k for k in known if k.split("_")[0] == value.split("_")[0])[:8]
            issues.append(
                src.issue(
                    (attr,),
                    f"netmiko has no device_type '{value}'",
                    f"use one of {', '.join(close) or 'netmiko CLASS_MAPPER'}",
                )
            )
    if pdef.prompt is not None:
        _regex(src, ("prompt",), pdef.prompt, issues)
    if pdef.expect is not None:
        _regex(src, ("expect",), pdef.expect, issues)
    for i, text in enumerate(pdef.login):
        _placeholders(src, ("login", i), text, LOGIN_PLACEHOLDERS, issues)
    for i, text in enumerate(pdef.logout):
        _placeholders(src, ("logout", i), text, LOGIN_PLACEHOLDERS, issues)
    strip = [
        p for i, p in enumerate(pdef.interface_names.strip) if _regex(src, ("interface_names", "strip", i), p, issues)
    ]
    errors = [
        rx
        for i, p in enumerate(pdef.error_patterns)
        if (rx := _regex(src, ("error_patterns", i), p, issues)) is not None
    ]
    commands: list[CliCommand] = []
    seen: dict[str, int] = {}
    for i in range(len(pdef.commands)):
        spec, more = validate(src, CommandDef, ("commands", i))
        issues.extend(more)
        if spec is None:
            continue
        if spec.key in seen:
            issues.append(
                src.issue(
                    ("commands", i, "key"),
                    f"duplicate command key '{spec.key}' (first is commands[{seen[spec.key]}])",
                    "keys are scopes: make them unique",
                )
            )
            continue
        seen[spec.key] = i
        cmd = _build_command(src, ("commands", i), spec, errors, types, issues)
        if cmd is not None:
            commands.append(cmd)
    if len(issues) > before:
        return None
    return Platform(
        name=pdef.name,
        description=pdef.description,
        device_type=pdef.device_type,
        telnet_device_type=pdef.telnet_device_type,
        paging_off=list(pdef.paging_off),
        prompt=pdef.prompt,
        login=list(pdef.login),
        logout=list(pdef.logout),
        expect=pdef.expect,
        alarm_names=pdef.alarm_names or pdef.name,
        commands=commands,
        ports=PortNamer(strip, pdef.interface_names.expand),
        missing_values=frozenset(v.strip() for v in pdef.missing_values),
        source=src.path,
    )


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(path.glob("*.yaml"))
    elif path.is_file():
        yield path


def load_platforms(path: Path | None = None, alarm_types: Path | AlarmTypeTable | None = None) -> dict[str, Platform]:
    """Every platform of ``path`` (a directory of ``*.yaml`` or one file; default: the shipped ones).

    Raises :class:`ConfigError` listing every issue of every file.
    """
    root = path if path is not None else DEFAULT_PATH
    types = (
        alarm_types if isinstance(alarm_types, AlarmTypeTable) else load_alarm_types(alarm_types or ALARM_TYPES_PATH)
    )
    issues: list[ConfigIssue] = []
    files = list(_files(root))
    if not files:
        raise ConfigError(
            [ConfigIssue(str(root), 0, "(file)", "no platform files (*.yaml)", "check the CLI platforms path")]
        )
    out: dict[str, Platform] = {}
    origins: dict[str, str] = {}
    for file in files:
        src, more = load_yaml(file)
        issues.extend(more)
        if src is None:
            continue
        if not isinstance(src.data, dict):
            issues.append(src.issue((), "a platform file must be a YAML mapping", "start with version: 1 and name:"))
            continue
        pdef, more = validate(src, PlatformDef)
        issues.extend(more)
        if pdef is None:
            continue
        if pdef.name in origins:
            issues.append(
                src.issue(("name",), f"platform '{pdef.name}' is already defined in {origins[pdef.name]}", "rename one")
            )
            continue
        origins[pdef.name] = f"{src.name}:{src.line_of(('name',))}"
        platform = _build(src, pdef, types, issues)
        if platform is not None:
            out[platform.name] = platform
    if issues:
        raise ConfigError(issues)
    return out
