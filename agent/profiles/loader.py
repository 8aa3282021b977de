"""Load ``config/profiles/*.yaml`` into a :class:`ProfileSet`, validating everything as a whole.

Every problem is reported at once, as ``file:line: path: what (fix)``: YAML and schema errors,
unknown alarm types, unknown columns, states that a column's value map does not define, joins to
tables a profile does not poll, ``extends`` cycles, missing fallbacks.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.profiles.model import Cond, ProfileDef, TableDef, TableUse
from agent.profiles.profile import Profile, Table
from agent.profiles.runtime import FIELD
from correlator.alarmtypes import DEFAULT_PATH, AlarmTypeTable, load_alarm_types
from correlator.configfile.errors import ConfigError, ConfigIssue, PathKey, display_name
from correlator.configfile.validate import validate
from correlator.configfile.yamlsrc import YamlSource, load_yaml
from correlator.domain import DeviceKind

Issue = Callable[[PathKey, str, str], None]


@dataclass
class _TableOrigin:
    name: str
    spec: TableDef
    raw: dict[str, Any]
    src: YamlSource
    path: PathKey


@dataclass
class _ProfileOrigin:
    spec: ProfileDef
    src: YamlSource
    path: PathKey


@dataclass
class _Use:
    """One table in a profile's effective list."""

    name: str
    overrides: dict[str, Any]
    src: YamlSource
    path: PathKey


class ProfileSet:
    """Every loaded profile, with detection by sysObjectID / sysDescr and a fallback per kind."""

    def __init__(
        self, profiles: list[Profile], fallbacks: Mapping[DeviceKind, Profile], default: Profile, source: Path
    ) -> None:
        self._profiles = {p.id: p for p in profiles}
        self._fallbacks = dict(fallbacks)
        self._default = default
        self.source = source

    def __iter__(self) -> Iterator[Profile]:
        return iter(self._profiles.values())

    def __len__(self) -> int:
        return len(self._profiles)

    def get(self, profile_id: str) -> Profile:
        try:
            return self._profiles[profile_id]
        except KeyError:
            known = ", ".join(sorted(self._profiles))
            raise KeyError(f"unknown profile '{profile_id}' (known: {known})") from None

    def fallback(self, kind: DeviceKind | None = None) -> Profile:
        return self._fallbacks.get(kind, self._default) if kind is not None else self._default

    def detect(self, sys_object_id: str, sys_descr: str, kind: DeviceKind | None = None) -> Profile:
        """The most specific matching profile; always returns one (the generic fallback at worst).

        Specificity: the longest matching sysObjectID prefix, then a matching sysDescr pattern,
        then ``priority``. A profile of ``kind`` (the inventory's kind) is preferred to one of
        another kind; ties end on the profile id so the choice never depends on file order.
        """
        oid = (sys_object_id or "").strip().lstrip(".")
        descr = sys_descr or ""
        best: tuple[tuple[int, int, int, int], Profile] | None = None
        for profile in self._profiles.values():
            spec = profile.specificity(oid, descr)
            if spec is None:
                continue
            rank = (1 if kind is not None and profile.kind == kind else 0, spec[0], spec[1], profile.priority)
            if best is None or rank > best[0] or (rank == best[0] and profile.id < best[1].id):
                best = (rank, profile)
        return best[1] if best is not None else self.fallback(kind)


# -- loading ----------------------------------------------------------------------------------


def load_profiles(directory: Path, alarm_types: Path | AlarmTypeTable | None = None) -> ProfileSet:
    """Load every ``*.yaml`` in ``directory``; raise ConfigError listing every issue."""
    types = alarm_types if isinstance(alarm_types, AlarmTypeTable) else load_alarm_types(alarm_types or DEFAULT_PATH)
    issues: list[ConfigIssue] = []
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        issues.append(ConfigIssue(str(directory), 0, "(directory)", "no profile files (*.yaml)", "check profiles_dir"))
        raise ConfigError(issues)
    tables: dict[str, _TableOrigin] = {}
    profiles: dict[str, _ProfileOrigin] = {}
    for path in files:
        src, more = load_yaml(path)
        issues.extend(more)
        if src is not None:
            _read_file(src, tables, profiles, issues)
    built = _build(directory, tables, profiles, types, issues)
    if issues or built is None:
        raise ConfigError(issues)
    return built


def _read_file(
    src: YamlSource, tables: dict[str, _TableOrigin], profiles: dict[str, _ProfileOrigin], issues: list[ConfigIssue]
) -> None:
    data = src.data
    if not isinstance(data, dict):
        issues.append(src.issue((), "a profile file must be a YAML mapping", "start with tables: and/or profiles:"))
        return
    for key in data:
        if key not in ("version", "tables", "profiles"):
            issues.append(src.issue((key,), f"unknown field '{key}'", "use version, tables, profiles"))
    if data.get("version", 1) != 1:
        issues.append(src.issue(("version",), f"unknown version {data.get('version')!r}", "use version: 1"))
    raw_tables = data.get("tables") or {}
    if not isinstance(raw_tables, dict):
        issues.append(src.issue(("tables",), "tables must be a mapping of table name to definition", ""))
        raw_tables = {}
    for name, raw in raw_tables.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            issues.append(src.issue(("tables", name), f"table name '{name}' is not valid", "use letters and digits"))
            continue
        spec, more = validate(src, TableDef, ("tables", name))
        issues.extend(more)
        if name in tables:
            first = tables[name]
            where = f"{first.src.name}:{first.src.line_of(first.path)}"
            issues.append(src.issue(("tables", name), f"table '{name}' is already defined at {where}", "rename one"))
            continue
        if spec is not None:
            tables[name] = _TableOrigin(name, spec, raw, src, ("tables", name))
    raw_profiles = data.get("profiles") or []
    if not isinstance(raw_profiles, list):
        issues.append(src.issue(("profiles",), "profiles must be a list", "write each profile as '- id: ...'"))
        raw_profiles = []
    for i in range(len(raw_profiles)):
        spec_p, more = validate(src, ProfileDef, ("profiles", i))
        issues.extend(more)
        if spec_p is None:
            continue
        if spec_p.id in profiles:
            first_p = profiles[spec_p.id]
            where = f"{first_p.src.name}:{first_p.src.line_of(first_p.path)}"
            issues.append(src.issue(("profiles", i, "id"), f"profile '{spec_p.id}' is already defined at {where}", ""))
            continue
        profiles[spec_p.id] = _ProfileOrigin(spec_p, src, ("profiles", i))


def _effective(
    pid: str, profiles: Mapping[str, _ProfileOrigin], issues: list[ConfigIssue], seen: tuple[str, ...] = ()
) -> tuple[DeviceKind | None, str | None, list[_Use]]:
    origin = profiles[pid]
    spec = origin.spec
    kind: DeviceKind | None = None
    vendor: str | None = None
    uses: list[_Use] = []
    if spec.extends is not None:
        if spec.extends in seen or spec.extends == pid:
            chain = " -> ".join((*seen, pid, spec.extends))
            issues.append(origin.src.issue((*origin.path, "extends"), f"extends cycle: {chain}", "break the cycle"))
        elif spec.extends not in profiles:
            issues.append(
                origin.src.issue((*origin.path, "extends"), f"unknown profile '{spec.extends}'", "fix the id")
            )
        else:
            kind, vendor, uses = _effective(spec.extends, profiles, issues, (*seen, pid))
    uses = list(uses)
    for j, entry in enumerate(spec.tables):
        name = entry if isinstance(entry, str) else entry.use
        overrides = entry.overrides() if isinstance(entry, TableUse) else {}
        use = _Use(name, overrides, origin.src, (*origin.path, "tables", j))
        uses = [u for u in uses if u.name != name] + [use]
    return spec.kind or kind, spec.vendor or vendor, uses


def _merged(use: _Use, base: _TableOrigin, issues: list[ConfigIssue]) -> TableDef | None:
    if not use.overrides:
        return base.spec
    merged = copy.deepcopy(base.raw)
    for key, value in use.overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    data = copy.deepcopy(use.src.data)
    node = data
    for part in use.path[:-1]:
        node = node[part]
    node[use.path[-1]] = merged
    spec, more = validate(YamlSource(use.src.path, data, use.src.lines), TableDef, use.path)
    issues.extend(more)
    return spec


def _build(
    directory: Path,
    tables: Mapping[str, _TableOrigin],
    profiles: Mapping[str, _ProfileOrigin],
    types: AlarmTypeTable,
    issues: list[ConfigIssue],
) -> ProfileSet | None:
    built: list[Profile] = []
    fallbacks: dict[DeviceKind, tuple[Profile, _ProfileOrigin]] = {}
    default: list[tuple[Profile, _ProfileOrigin]] = []
    library = {n: t.spec for n, t in tables.items()}
    for table_origin in tables.values():
        _check_table(table_origin.name, table_origin.spec, library, types, _issuer(table_origin, issues))
    for pid, origin in profiles.items():
        kind, vendor, uses = _effective(pid, profiles, issues)
        spec = origin.spec
        if spec.abstract:
            continue
        where = origin.src.issue
        if kind is None:
            issues.append(where((*origin.path, "kind"), "kind is missing (here or in the profile it extends)", ""))
            continue
        if not vendor:
            issues.append(where((*origin.path, "vendor"), "vendor is missing (here or in the profile it extends)", ""))
            continue
        if not uses:
            issues.append(where((*origin.path, "tables"), "the profile polls no table", "list its tables"))
            continue
        specs: dict[str, TableDef] = {}
        for use in uses:
            base = tables.get(use.name)
            if base is None:
                known = ", ".join(sorted(tables))
                fix = f"define it or use one of: {known}"
                issues.append(use.src.issue(use.path, f"unknown table '{use.name}'", fix))
                continue
            merged = _merged(use, base, issues)
            if merged is not None:
                specs[use.name] = merged
        ok = True
        for use in uses:
            if use.name not in specs:
                ok = False
                continue
            issuer = _issuer(tables[use.name], issues) if not use.overrides else _use_issuer(use, tables, issues)
            before = len(issues)
            _check_table(use.name, specs[use.name], specs, types, issuer, profile=pid)
            ok = ok and len(issues) == before
        if not ok:
            continue
        profile = Profile(
            id=pid,
            kind=kind,
            vendor=vendor,
            description=spec.description,
            match=spec.match,
            priority=spec.priority,
            tables=[Table(name, s, types) for name, s in specs.items()],
            types=types,
        )
        built.append(profile)
        if spec.fallback is not None:
            for fk in spec.fallback.kinds:
                if fk in fallbacks:
                    other = fallbacks[fk][0].id
                    issues.append(
                        where((*origin.path, "fallback"), f"kind '{fk.value}' already falls back to '{other}'", "")
                    )
                fallbacks.setdefault(fk, (profile, origin))
            if spec.fallback.default:
                default.append((profile, origin))
    if not issues:
        here = display_name(directory)
        for fk in DeviceKind:
            if fk not in fallbacks:
                fix = f"add 'fallback: {{kinds: [{fk.value}]}}' to a generic profile"
                issues.append(ConfigIssue(here, 0, "(profiles)", f"no fallback profile for kind '{fk.value}'", fix))
        if len(default) != 1:
            names = ", ".join(p.id for p, _ in default) or "none"
            what = f"exactly one fallback must be 'default: true' (found: {names})"
            issues.append(ConfigIssue(here, 0, "(profiles)", what, "mark the one for elements of unknown kind"))
    if issues:
        return None
    return ProfileSet(built, {k: v[0] for k, v in fallbacks.items()}, default[0][0], directory)


def _issuer(origin: _TableOrigin, issues: list[ConfigIssue]) -> Issue:
    def issue(path: PathKey, message: str, fix: str) -> None:
        issues.append(origin.src.issue((*origin.path, *path), message, fix))

    return issue


def _use_issuer(use: _Use, tables: Mapping[str, _TableOrigin], issues: list[ConfigIssue]) -> Issue:
    base = tables[use.name]

    def issue(path: PathKey, message: str, fix: str) -> None:
        if path and path[0] in use.overrides:
            issues.append(use.src.issue((*use.path, *path), message, fix))
        else:
            issues.append(base.src.issue((*base.path, *path), message, fix))

    return issue


# -- cross-checks of one table ----------------------------------------------------------------


def _fields_of(spec: TableDef) -> set[str]:
    return {*spec.columns, *(p.name for p in spec.index), "index"}


def _check_table(
    name: str,
    spec: TableDef,
    others: Mapping[str, TableDef],
    types: AlarmTypeTable,
    issue: Issue,
    profile: str | None = None,
) -> None:
    own = _fields_of(spec)
    aliases: dict[str, str] = {}
    for column in spec.values:
        if column not in spec.columns:
            issue(("values", column), f"'{column}' is not a column of table '{name}'", "add it to columns")

    def field_ok(ref: str, path: PathKey, bound: Mapping[str, str]) -> bool:
        if "." not in ref:
            if ref not in own:
                fix = f"use a column or index part of '{name}': {', '.join(sorted(own))}"
                issue(path, f"unknown field '{ref}'", fix)
                return False
            return True
        alias, _, column = ref.partition(".")
        if alias not in bound:
            issue(path, f"unknown join alias '{alias}' in '{ref}'", "declare it under joins: (before its use)")
            return False
        other = others.get(bound[alias])
        if other is not None and column not in _fields_of(other):
            issue(path, f"'{column}' is not a field of table '{bound[alias]}'", "fix the column name")
            return False
        return True

    def template_ok(text: str, path: PathKey, bound: Mapping[str, str]) -> None:
        for ref in FIELD.findall(text):
            field_ok(ref, path, bound)

    for i, join in enumerate(spec.joins):
        path: PathKey = ("joins", i)
        if join.table not in others:
            if profile is None:
                issue((*path, "table"), f"unknown table '{join.table}'", "define the table")
            elif not join.optional:
                what = f"profile '{profile}' does not poll table '{join.table}'"
                issue((*path, "table"), what, "add the table to the profile, or mark the join optional: true")
        template_ok(join.index or join.index_prefix or "", path, aliases)
        if join.by is not None and join.table in others and join.by not in _fields_of(others[join.table]):
            issue((*path, "by"), f"'{join.by}' is not a field of table '{join.table}'", "fix the column name")
        aliases[join.as_] = join.table

    def states_of(ref: str) -> set[str] | None:
        if "." in ref:
            alias, _, column = ref.partition(".")
            other = others.get(aliases.get(alias, ""))
            vmap = other.values.get(column) if other is not None else None
        else:
            vmap = spec.values.get(ref)
        return vmap.states() if vmap is not None else None

    def conds_ok(conds: Mapping[str, Cond], path: PathKey) -> None:
        for ref, cond in conds.items():
            if not field_ok(ref, (*path, ref), aliases):
                continue
            states = states_of(ref)
            listed = cond.in_ if cond.in_ is not None else cond.not_
            if states is not None and listed is not None:
                wrong = [str(v) for v in listed if str(v) not in states]
                if wrong:
                    what = f"{', '.join(wrong)}: not a state of {ref} (states: {', '.join(sorted(states))})"
                    issue((*path, ref), what, "use a state name of its value map")

    def alarm_ok(alarm: str, path: PathKey) -> bool:
        if alarm not in types.types:
            issue(path, f"unknown alarm type '{alarm}'", "use a type of config/alarm_types.yaml")
            return False
        return True

    conds_ok(spec.where, ("where",))
    if spec.resource is not None:
        for i, text in enumerate(spec.resource.name):
            template_ok(text, ("resource", "name", i), aliases)
        for i, text in enumerate(spec.resource.if_index):
            template_ok(text, ("resource", "if_index", i), aliases)
    for i, rule in enumerate(spec.alarms):
        alarm_ok(rule.raise_, ("alarms", i, "raise"))
        conds_ok(rule.when, ("alarms", i, "when"))
    for i, gauge in enumerate(spec.gauges):
        conds_ok(gauge.when, ("gauges", i, "when"))
    if spec.optical is not None:
        opt = spec.optical
        field_ok(opt.value, ("optical", "value"), aliases)
        alarm_ok(opt.low, ("optical", "low"))
        alarm_ok(opt.high, ("optical", "high"))
        conds_ok(opt.when, ("optical", "when"))
        if opt.sensor is not None:
            for key in ("type", "scale", "precision", "status"):
                ref = getattr(opt.sensor, key)
                if ref is not None:
                    field_ok(ref, ("optical", "sensor", key), aliases)
            scales = states_of(opt.sensor.scale)
            if scales is not None:
                for state in scales - set(opt.exponents):
                    issue(("optical", "exponents"), f"no exponent for scale '{state}'", "add it (power of ten)")
    rule_alarms = {r.raise_ for r in spec.alarms}
    for i, trap in enumerate(spec.traps):
        for j, alarm in enumerate(trap.alarms):
            if alarm_ok(alarm, ("traps", i, "alarms", j)) and alarm not in rule_alarms:
                issue(
                    ("traps", i, "alarms", j),
                    f"table '{name}' has no alarm rule raising {alarm}",
                    "add the rule under alarms:",
                )
        for key in ("set", "assume"):
            for column in getattr(trap, key):
                if column not in spec.columns:
                    issue(("traps", i, key, column), f"'{column}' is not a column of table '{name}'", "")
    if spec.uptime is not None and spec.uptime not in spec.columns:
        issue(("uptime",), f"'{spec.uptime}' is not a column of table '{name}'", "")
