"""The outputs of one CLI collection of one element -> an :class:`~agent.observation.Observation`.

The observation is the same kind an SNMP poll makes, so CLI-derived alarms go through the same
state differ, and a condition seen by SNMP and by CLI is one alarm: resources are named as the
SNMP profiles name them (``port:<ifName>``, ``optical:<ifName>``, ``pw:PW-<id>``,
``bfd:<peer>@<ifName>``, ``tunnel:<name>``), alarm types are the normalised ones, gauges carry the
profiles' names (``interface_oper_up``, ``optical_rx_dbm``, ``pw_up``, ``bfd_up``, ``tunnel_up``,
``board_oper_up``).

Scopes are ``cli:<key>``. A command missing from ``outputs`` (it timed out, the session broke) is
not a scope: its conditions stay as they were. An output that was understood whole is a complete
scope, an empty table included (it clears). An output that was not (an unknown line, ``Error:
Unrecognized command``, a TL1 ``DENY``, a cut-off answer) is not a scope and adds a problem naming
the element, the command and the first offending line; the records read before that line still
raise what they show, but nothing is cleared and no gauge is set on their strength.

Vendor alarm names go through the vendor alarm-name table; an unknown one is kept as the generic
type with the vendor name in the detail and reported as a problem. Optical power is judged against
the agent's thresholds with the same hysteresis as the SNMP profiles (``active`` are the
conditions raised now on the element). Never raises on device output.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from agent.cli.alarmnames import AlarmNames, VendorAlarmTable, VendorMapping, load_vendor_alarms
from agent.cli.names import PortNamer, alarm_params, first_rendered
from agent.cli.parse import Parsed, Tl1Parser, as_rows
from agent.cli.platform import STATE_RESOURCES, CliCommand, Platform
from agent.observation import Condition, Gauge, Observation
from agent.profiles.optical import Reading, judge
from agent.profiles.runtime import Test
from agent.settings import OpticalThresholds
from correlator.wire import Resource, ResourceType, Severity

__all__ = ["VendorAlarmTable", "load_vendor_alarms", "observe"]

Row = dict[str, str | None]
_INTERFACE_PARAM = re.compile(r"ifname|interface|portname", re.IGNORECASE)
PORT_LIKE = (ResourceType.port, ResourceType.optical)
PARAM_ORDER = (
    ResourceType.port,
    ResourceType.optical,
    ResourceType.path,
    ResourceType.pw,
    ResourceType.bfd,
    ResourceType.tunnel,
    ResourceType.vrf,
    ResourceType.board,
)
"""Where an unmapped vendor alarm's resource is looked for in its parameters, in this order."""


@dataclass
class _Run:
    platform: Platform
    device: str
    table: VendorAlarmTable
    limits: OpticalThresholds
    active: Mapping[tuple[str, str], Condition]
    ports: PortNamer
    obs: Observation
    generic: str
    """The generic type of unmapped vendor alarms (their details merge on one resource)."""
    conditions: dict[tuple[str, str, str], Condition] = field(default_factory=dict)
    gauges: dict[tuple[str, str], Gauge] = field(default_factory=dict)
    admin_down: set[str] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)

    def problem(self, cmd: CliCommand | None, what: str) -> None:
        where = f"{cmd.scope} ({cmd.command!r})" if cmd is not None else "cli"
        text = f"{self.device}: {where}: {what}"
        if text not in self.reported:
            self.reported.add(text)
            self.obs.problems.append(text)

    def add(self, cond: Condition) -> None:
        """One condition per key and scope: two commands seeing one condition both vouch for it
        (the state differ clears it when the last source that saw it reads it gone)."""
        slot = (*cond.key, cond.scope)
        held = self.conditions.get(slot)
        if held is None:
            self.conditions[slot] = cond
        elif held.alarm_type == self.generic and cond.detail not in held.detail:
            self.conditions[slot] = replace(held, detail=f"{held.detail}; {cond.detail}"[:1000])

    def keep(self, resource: Resource, alarm_type: str, scope: str) -> None:
        """A record that could not be judged: a condition raised before stays raised (this scope
        goes on vouching for it)."""
        held = self.active.get((resource.key(), alarm_type))
        if held is not None:
            self.conditions.setdefault((*held.key, scope), replace(held, scope=scope))

    def gauge(self, name: str, resource: Resource, value: float) -> None:
        self.gauges.setdefault((name, resource.key()), Gauge(name, resource, value))

    def severity_of(self, alarm_type: str) -> Severity:
        return self.table.types.get(alarm_type).severity


def _holds(tests: Sequence[Test], row: Row) -> bool:
    return all(t.holds(row.get(t.field)) for t in tests)


def _detail(tests: Sequence[Test], row: Row) -> str:
    return ", ".join(f"{t.field}={row.get(t.field) or '?'}" for t in tests)


def observe(
    platform: Platform,
    device: str,
    outputs: Mapping[str, str],
    alarm_names: VendorAlarmTable,
    *,
    optical: OpticalThresholds | None = None,
    active: Collection[Condition] = (),
    known_ports: Collection[str] = (),
    ctags: Mapping[str, str] | None = None,
) -> Observation:
    """Judge the outputs (command key -> raw text) of one collection of ``device``.

    ``optical``: the agent's receive-power thresholds (default: the documented defaults).
    ``active``: conditions raised now on the element (optical hysteresis). ``known_ports``: the
    element's ifNames from SNMP, when known (CLI names are snapped onto them). ``ctags``: for TL1,
    command key -> the ctag that was sent, to pick its response among other messages.
    """
    obs = Observation(device=device)
    run = _Run(
        platform=platform,
        device=device,
        table=alarm_names,
        limits=optical or OpticalThresholds(),
        active={c.key: c for c in active},
        ports=platform.ports.with_known(known_ports) if known_ports else platform.ports,
        obs=obs,
        generic=alarm_names.section(platform.alarm_names).generic_type if platform.alarm_names in alarm_names else "",
    )
    keys = {c.key for c in platform.commands}
    for key in outputs:
        if key not in keys:
            run.problem(None, f"output for '{key}', which platform {platform.name} has no command for; ignored")
    read: list[tuple[CliCommand, Parsed, list[Row]]] = []
    for cmd in platform.commands:
        text = outputs.get(cmd.key)
        if text is None:
            continue
        parsed = _parse(cmd, text, (ctags or {}).get(cmd.key))
        if parsed.complete:
            obs.scopes.add(cmd.scope)
        else:
            run.problem(cmd, parsed.problem or "output not understood")
        for note in parsed.notes:
            run.problem(cmd, note)
        rows = as_rows(parsed.records, platform.missing_values)
        _name_ports(cmd, rows, run.ports)
        read.append((cmd, parsed, rows))
        if cmd.yields == "interface_state" and cmd.rules.admin_down:
            run.admin_down |= _admin_down(cmd, rows)
    for cmd, parsed, rows in read:
        if cmd.yields in STATE_RESOURCES:
            _state(run, cmd, rows, parsed.complete)
        elif cmd.yields == "alarms":
            _alarms(run, cmd, rows)
        elif cmd.yields == "optical_power":
            _optical(run, cmd, rows, parsed.complete)
    obs.conditions.extend(run.conditions.values())
    obs.gauges.extend(run.gauges.values())
    return obs


def _parse(cmd: CliCommand, text: str, ctag: str | None) -> Parsed:
    try:
        if isinstance(cmd.parser, Tl1Parser):
            return cmd.parser.parse(text, ctag)
        return cmd.parser.parse(text)
    except Exception as exc:  # a misbehaving output never stops the agent
        return Parsed(problem=f"output could not be read ({type(exc).__name__}: {exc})")


def _name_ports(cmd: CliCommand, rows: list[Row], ports: PortNamer) -> None:
    fields = list(cmd.spec.ports)
    if cmd.spec.optical is not None and cmd.spec.optical.port not in fields:
        fields.append(cmd.spec.optical.port)
    for row in rows:
        for f in fields:
            value = row.get(f)
            if value:
                row[f] = ports(value)


def _admin_down(cmd: CliCommand, rows: list[Row]) -> set[str]:
    out = set()
    for row in rows:
        if _holds(cmd.rules.admin_down, row):
            name = first_rendered(cmd.spec.resource, row)
            if name:
                out.add(name)
    return out


# -- state tables ---------------------------------------------------------------------------------


def _state(run: _Run, cmd: CliCommand, rows: list[Row], complete: bool) -> None:
    rtype = STATE_RESOURCES[cmd.yields]
    named: dict[str, int] = {}
    for n, row in enumerate(rows, 1):
        if not _holds(cmd.rules.where, row):
            continue
        name = first_rendered(cmd.spec.resource, row)
        if name is None:
            run.problem(cmd, f"record {n}: no name for the resource (every field of {cmd.spec.resource} is empty)")
            continue
        resource = Resource(type=rtype, id=name[:200])
        first = named.setdefault(resource.key(), n)
        if first != n:
            run.problem(cmd, f"record {n} names the same resource as record {first} ({resource.key()}); ignored")
            continue
        for rule in cmd.rules.alarms:
            blank = [f for f in rule.own if row.get(f) is None]
            if blank:
                run.problem(
                    cmd, f"record {n} ({resource.key()}): no value for {', '.join(blank)}; {rule.name} not judged"
                )
                run.keep(resource, rule.name, cmd.scope)
            elif _holds(rule.tests, row):
                sev = rule.severity or run.severity_of(rule.name)
                run.add(Condition(resource, rule.name, sev, cmd.scope, _detail(rule.tests, row)[:1000]))
        if complete:
            for gauge in cmd.rules.gauges:
                if all(row.get(f) is not None for f in gauge.own):
                    run.gauge(gauge.name, resource, 1.0 if _holds(gauge.tests, row) else 0.0)


# -- vendor alarm tables ----------------------------------------------------------------------------


def _alarms(run: _Run, cmd: CliCommand, rows: list[Row]) -> None:
    spec = cmd.spec.alarm
    assert spec is not None
    try:
        section = run.table.section(run.platform.alarm_names)
    except KeyError as exc:
        run.problem(cmd, str(exc.args[0]))
        run.obs.scopes.discard(cmd.scope)
        return
    for n, row in enumerate(rows, 1):
        name = row.get(spec.name)
        if not name:
            run.problem(cmd, f"record {n}: no alarm name; skipped")
            continue
        mapping = section.lookup(name)
        if mapping is None:
            continue  # deliberately not watched (the table's 'ignore')
        if mapping.generic:
            run.problem(
                cmd,
                f"unmapped vendor alarm '{name}' (kept as {mapping.alarm_type}; add it to config/vendor_alarms.yaml "
                f"platforms.{section.platform}.alarms)",
            )
        severity = _alarm_severity(run, cmd, section, mapping, row.get(spec.severity) if spec.severity else None)
        if not isinstance(severity, Severity):
            continue  # the element lists it as cleared (TL1 CL): not an alarm
        text = (row.get(spec.text) or "") if spec.text else ""
        resource = _alarm_resource(run, cmd, section, mapping, row, text)
        if mapping.only is not None and not mapping.only.search(resource.id):
            continue  # a resource the profiles do not watch either (a VLAN interface's linkDown ...)
        since = " ".join(v for v in (row.get(spec.since or ""), row.get(spec.since_time or "")) if v)
        detail = f"{name}: {text}" if text else name
        if since:
            detail += f" (since {since})"
        run.add(Condition(resource, mapping.alarm_type, severity, cmd.scope, detail[:1000]))


def _alarm_severity(
    run: _Run, cmd: CliCommand, section: AlarmNames, mapping: VendorMapping, text: str | None
) -> Severity | Literal["clear"]:
    if mapping.severity is not None:
        return mapping.severity
    found = section.severity(text)
    if found is not None:
        return found
    default = run.severity_of(mapping.alarm_type)
    if text:
        run.problem(
            cmd,
            f"unknown severity '{text}' (alarm '{mapping.vendor}'; add it to config/vendor_alarms.yaml "
            f"platforms.{section.platform}.severities); {default.value} used",
        )
    return default


def _alarm_resource(
    run: _Run, cmd: CliCommand, section: AlarmNames, mapping: VendorMapping, row: Row, text: str
) -> Resource:
    spec = cmd.spec.alarm
    assert spec is not None
    rtype = mapping.resource
    if not mapping.explicit_resource and spec.resource_kind is not None:
        rtype = section.resource_kind(row.get(spec.resource_kind)) or rtype
    name: str | None = None
    if spec.resource is not None:
        name = row.get(spec.resource)
    else:
        params = _params(run, text)
        order = (rtype,) if not mapping.generic else tuple(t for t in PARAM_ORDER if t in section.params)
        for candidate in order:
            name = first_rendered(section.params.get(candidate, ()), params)
            if name:
                rtype = candidate
                break
    if name and rtype in PORT_LIKE:
        name = run.ports(name)
    if not name:
        if rtype is not ResourceType.device:
            run.problem(
                cmd,
                f"alarm '{mapping.vendor}' names no {rtype.value} (no parameter of "
                f"platforms.{section.platform}.params.{rtype.value} in its text); put on the element",
            )
        return Resource(type=ResourceType.device, id=run.device)
    return Resource(type=rtype, id=name[:200])


def _params(run: _Run, text: str) -> dict[str, str | None]:
    """The alarm text's parameters; interface names as the profiles spell them, '--' as no value."""
    out: dict[str, str | None] = {}
    for key, value in (alarm_params(text) if text else {}).items():
        if value.strip() in run.platform.missing_values:
            out[key] = None
        elif _INTERFACE_PARAM.search(key):
            out[key] = run.ports(value)
        else:
            out[key] = value
    return out


# -- optical power ----------------------------------------------------------------------------------


def _powers(text: str | None) -> list[float] | None:
    """'-7.49dBm', '-2.1|-2.3', '-3.00' -> dBm per lane; None when there is no reading."""
    if text is None:
        return None
    values = []
    for part in text.replace(",", "|").split("|"):
        p = part.strip().removesuffix("dBm").removesuffix("dbm").strip()
        if not p or p in ("-", "--", "N/A"):
            continue
        values.append(float(p))
    return values or None


def _optical(run: _Run, cmd: CliCommand, rows: list[Row], complete: bool) -> None:
    spec = cmd.spec.optical
    assert spec is not None
    lanes: dict[str, tuple[Resource, list[float], list[float], bool, list[str]]] = {}
    for n, row in enumerate(rows, 1):
        port = row.get(spec.port)
        if not port:
            run.problem(cmd, f"record {n}: no port; skipped")
            continue
        try:
            rx = _powers(row.get(spec.rx))
            tx = _powers(row.get(spec.tx)) if spec.tx else None
        except ValueError:
            run.problem(
                cmd, f"record {n} ({port}): power is not a number ({row.get(spec.rx)!r}, {row.get(spec.tx or '')!r})"
            )
            continue
        resource = Resource(type=ResourceType.optical, id=port[:200])
        entry = lanes.setdefault(port, (resource, [], [], True, []))
        judged = entry[3] and _holds(cmd.rules.optical_when, row) and port not in run.admin_down
        entry[1].extend(rx or [])
        entry[2].extend(tx or [])
        entry[4].append(row.get(spec.rx) or "")
        lanes[port] = (resource, entry[1], entry[2], judged, entry[4])
    for resource, rx, tx, judged, raw in lanes.values():
        lit = [v for v in rx if v > spec.no_light_dbm]
        dark = any(v <= spec.no_light_dbm for v in rx)
        if complete and lit:
            run.gauge(spec.rx_gauge, resource, round(min(lit), 2))
        tx_lit = [v for v in tx if v > spec.no_light_dbm]
        if complete and tx_lit:
            run.gauge(spec.tx_gauge, resource, round(min(tx_lit), 2))
        if not judged or not rx:
            continue
        low_active = (resource.key(), spec.low) in run.active
        high_active = (resource.key(), spec.high) in run.active
        raw_text = "|".join(r for r in raw if r)
        weakest = Reading(None, raw_text) if dark else Reading(min(lit), raw_text)
        low = judge(weakest, run.limits, low_active, high_active).low
        if low is not None:
            run.add(Condition(resource, spec.low, run.severity_of(spec.low), cmd.scope, low))
        if lit:
            high = judge(Reading(max(lit), raw_text), run.limits, low_active, high_active).high
            if high is not None:
                run.add(Condition(resource, spec.high, run.severity_of(spec.high), cmd.scope, high))
