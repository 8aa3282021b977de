"""A device profile: what to walk on an element, and how the rows become conditions and gauges."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from agent.observation import Condition, Gauge, Observation
from agent.profiles.model import AlarmRule, MatchRule, TableDef, TrapRule
from agent.profiles.optical import OpticalError, Reading, judge, read_power
from agent.profiles.runtime import CompiledTable, RowView, TableData, Template, Test, render_value, resolve_joins
from agent.settings import OpticalThresholds
from agent.snmprec import Rows, Value
from correlator.alarmtypes import AlarmTypeTable
from correlator.domain import DeviceKind
from correlator.wire import Action, Resource, Severity

ResourceIndex = dict[str, dict[str, Resource]]
"""Table name -> row index -> the resource that row names (see :meth:`Profile.resources`)."""


@dataclass(frozen=True)
class TableSpec:
    """What the poll engine walks for one table: every column OID (no leading dot), in one scope."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class _Rule:
    alarm: str
    tests: tuple[Test, ...]
    severity: Severity
    own: tuple[str, ...]
    """Own columns the rule reads (a missing or unreadable one means the row cannot be judged)."""


@dataclass(frozen=True)
class _Gauge:
    name: str
    tests: tuple[Test, ...]
    own: tuple[str, ...]


@dataclass(frozen=True)
class _Trap:
    table: str
    spec: TrapRule


class Table:
    """A table as one profile uses it: compiled, with rules bound to alarm types."""

    def __init__(self, name: str, spec: TableDef, types: AlarmTypeTable) -> None:
        self.compiled = CompiledTable(name, spec)
        self.name = name
        self.spec = spec
        columns = set(spec.columns)

        def own(tests: tuple[Test, ...]) -> tuple[str, ...]:
            return tuple(t.field for t in tests if t.field in columns and not t.if_missing)

        self.rules: list[_Rule] = []
        for rule in spec.alarms:
            tests = tuple(Test.of(k, v) for k, v in rule.when.items())
            self.rules.append(_Rule(rule.raise_, tests, _severity(rule, types), own(tests)))
        self.gauges = [
            _Gauge(g.name, tests, own(tests))
            for g in spec.gauges
            for tests in [tuple(Test.of(k, v) for k, v in g.when.items())]
        ]
        self.names = [Template.of(t) for t in spec.resource.name] if spec.resource else []
        self.if_index = [Template.of(t) for t in spec.resource.if_index] if spec.resource else []
        self.optical_tests = tuple(Test.of(k, v) for k, v in spec.optical.when.items()) if spec.optical else ()
        self.optical_severity = {
            name: types.get(name).severity for name in ((spec.optical.low, spec.optical.high) if spec.optical else ())
        }

    def spec_for_walk(self) -> TableSpec:
        return TableSpec(self.name, tuple(dict.fromkeys(self.spec.columns.values())))

    def resource_of(self, row: RowView) -> Resource | None:
        rule = self.spec.resource
        if rule is None:
            return None
        name = next((n for n in (t.render(row) for t in self.names) if n), None)
        if name is None:
            return None
        if_index = None
        for template in self.if_index:
            text = template.render(row)
            if text is not None and text.isdigit() and int(text) >= 1:
                if_index = int(text)
                break
        return Resource(type=rule.type, id=name[:200], if_index=if_index)


def _severity(rule: AlarmRule, types: AlarmTypeTable) -> Severity:
    return rule.severity if rule.severity is not None else types.get(rule.raise_).severity


def _detail(tests: tuple[Test, ...], row: RowView) -> str:
    parts = []
    for test in tests:
        value = row.get(test.field)
        parts.append(f"{test.field}={'?' if value is None else render_value(value)}")
    return ", ".join(parts)


@dataclass(frozen=True)
class _Optical:
    reading: Reading | None
    may_raise: bool
    unreadable: bool


@dataclass
class _Run:
    """The state of one evaluation."""

    device: str
    table: Table
    active: Mapping[tuple[str, str], Condition]
    obs: Observation
    conditions: dict[tuple[str, str], Condition] = field(default_factory=dict)
    gauges: dict[tuple[str, str], Gauge] = field(default_factory=dict)
    limits: OpticalThresholds = field(default_factory=OpticalThresholds)
    optical: dict[str, tuple[Resource, list[_Optical]]] = field(default_factory=dict)
    named: dict[str, str] = field(default_factory=dict)

    def problem(self, index: str, what: str) -> None:
        self.obs.problems.append(f"{self.table.name}[{index}]: {what}")

    def keep_active(self, resource: Resource, alarm: str) -> None:
        """The row could not be judged: a condition raised before stays raised."""
        previous = self.active.get((resource.key(), alarm))
        if previous is not None:
            self.conditions.setdefault(previous.key, previous)

    def add(self, resource: Resource, alarm: str, severity: Severity, detail: str) -> None:
        cond = Condition(resource, alarm, severity, self.table.name, detail[:1000])
        self.conditions.setdefault(cond.key, cond)


class Profile:
    """How one kind of element is polled and judged. Built by :func:`agent.profiles.load_profiles`."""

    def __init__(
        self,
        id: str,
        kind: DeviceKind,
        vendor: str,
        description: str,
        match: MatchRule | None,
        priority: int,
        tables: list[Table],
        types: AlarmTypeTable,
    ) -> None:
        self.id = id
        self.kind = kind
        self.vendor = vendor
        self.description = description
        self.match = match
        self.priority = priority
        self._tables = tables
        self._by_name = {t.name: t for t in tables}
        self._types = types
        self._traps = {trap.oid: _Trap(t.name, trap) for t in tables for trap in t.spec.traps}
        self._descr = [re.compile(p) for p in match.sys_descr] if match else []

    def __repr__(self) -> str:
        return f"Profile({self.id!r}, kind={self.kind.value}, vendor={self.vendor!r})"

    # -- detection ----------------------------------------------------------------------------

    def specificity(self, sys_object_id: str, sys_descr: str) -> tuple[int, int] | None:
        """(OID arcs matched, sysDescr matched) if this profile matches, else None."""
        if self.match is None:
            return None
        arcs = 0
        if self.match.sys_object_id:
            hits = [p for p in self.match.sys_object_id if sys_object_id == p or sys_object_id.startswith(p + ".")]
            if not hits:
                return None
            arcs = max(p.count(".") + 1 for p in hits)
        descr = 0
        if self._descr:
            if not any(p.search(sys_descr) for p in self._descr):
                return None
            descr = 1
        return arcs, descr

    # -- what to poll -------------------------------------------------------------------------

    def tables(self) -> list[TableSpec]:
        """The tables to bulk-walk, each with every column OID it reads."""
        return [t.spec_for_walk() for t in self._tables]

    def table(self, name: str) -> Table:
        return self._by_name[name]

    def traps(self) -> dict[str, str]:
        """Notification OID -> name, for the notifications this profile maps."""
        return {oid: trap.spec.name for oid, trap in self._traps.items()}

    # -- judging a poll -----------------------------------------------------------------------

    def _readable(self, complete: set[str], obs: Observation) -> list[Table]:
        out = []
        for table in self._tables:
            if table.name not in complete:
                continue
            missing = [j.table for j in table.compiled.joins if not j.optional and j.table not in complete]
            if missing:
                obs.problems.append(
                    f"{table.name}: not judged, joined table(s) {', '.join(sorted(set(missing)))} not read completely"
                )
                continue
            out.append(table)
        return out

    def evaluate(
        self,
        device: str,
        rows: Mapping[str, Rows],
        complete: set[str],
        optical: OpticalThresholds,
        active: Collection[Condition] = (),
    ) -> Observation:
        """Judge one poll of ``device``.

        ``rows``: table name -> Rows (index suffix -> {column OID: value}). ``complete``: the tables
        read completely; only they are judged and named in ``Observation.scopes`` (a table whose
        required join is not complete is left out too). ``active``: the conditions raised now on
        this element, for the optical hysteresis and to keep a condition of a row that could not
        be read this time. Never raises on device data: every skipped row or value is a line in
        ``Observation.problems`` (``table[index]: what``).
        """
        obs = Observation(device=device)
        obs.varbinds = sum(
            len(r)
            for table_rows in rows.values()
            if isinstance(table_rows, Mapping)
            for r in table_rows.values()
            if isinstance(r, Mapping)
        )
        by_key = {c.key: c for c in active}
        data = self._data(rows)
        for table in self._readable(set(complete), obs):
            if table.name not in data:
                obs.problems.append(f"{table.name}: marked complete but its rows are missing or not a mapping")
                continue
            obs.scopes.add(table.name)
            run = _Run(device, table, by_key, obs, limits=optical)
            self._judge_table(run, data)
            obs.conditions.extend(run.conditions.values())
            obs.gauges.extend(run.gauges.values())
        return obs

    def _data(self, rows: Mapping[str, Rows]) -> dict[str, TableData]:
        data = {}
        for name, table_rows in rows.items():
            table = self._by_name.get(name)
            if table is not None and isinstance(table_rows, Mapping):
                data[name] = TableData(table.compiled, table_rows)
        return data

    def _judge_table(self, run: _Run, data: Mapping[str, TableData]) -> None:
        table = run.table
        own = data.get(table.name)
        if own is None:
            return
        for index in own.rows:
            row = own.view(index)
            if row is None:
                run.problem(index, f"row is not a mapping of column OID to value ({type(own.rows[index]).__name__})")
                continue
            if table.spec.uptime is not None:
                ticks = row.fields.get(table.spec.uptime)
                if isinstance(ticks, int) and not isinstance(ticks, bool) and ticks >= 0:
                    run.obs.uptime_ticks = ticks
                elif table.spec.uptime in row.bad or ticks is not None:
                    run.problem(index, f"{table.spec.uptime}: not TimeTicks ({ticks!r:.40})")
            if table.spec.resource is None:
                for column, note in row.bad.items():
                    run.problem(index, f"{column}: {note}")
                continue
            self._judge_row(run, row, data)
        self._finish_optical(run)

    def _judge_row(self, run: _Run, row: RowView, data: Mapping[str, TableData]) -> None:
        table = run.table
        if row.index_problem is not None:
            run.problem(row.index, row.index_problem)
            return
        if not all(test.holds(row.get(test.field)) for test in table.compiled.where_own):
            return
        resolve_joins(row, data)
        if not all(test.holds(row.get(test.field)) for test in table.compiled.where_joined):
            return
        for column, note in row.bad.items():
            run.problem(row.index, f"{column}: {note}")
        resource = table.resource_of(row)
        if resource is None:
            run.problem(row.index, "no name for the resource (every naming field is missing or unreadable)")
            return
        first = run.named.setdefault(resource.key(), row.index)
        if first != row.index and table.spec.optical is None:
            run.problem(row.index, f"names the same resource as row {first} ({resource.key()}); ignored")
            return
        missing_reported: set[str] = set()
        for rule in table.rules:
            unreadable = [c for c in rule.own if c not in row.fields]
            if unreadable:
                for column in unreadable:
                    if column not in row.bad and column not in missing_reported:
                        run.problem(row.index, f"{column}: missing")
                        missing_reported.add(column)
                run.keep_active(resource, rule.alarm)
                continue
            if all(test.holds(row.get(test.field)) for test in rule.tests):
                run.add(resource, rule.alarm, rule.severity, _detail(rule.tests, row))
        for gauge in table.gauges:
            if all(c in row.fields for c in gauge.own):
                value = 1.0 if all(t.holds(row.get(t.field)) for t in gauge.tests) else 0.0
                run.gauges.setdefault((gauge.name, resource.key()), Gauge(gauge.name, resource, value))
        if table.spec.optical is not None:
            self._read_optical(run, row, resource)

    def _read_optical(self, run: _Run, row: RowView, resource: Resource) -> None:
        rule = run.table.spec.optical
        assert rule is not None
        readings = run.optical.setdefault(resource.key(), (resource, []))[1]
        try:
            reading = read_power(rule, row)
        except OpticalError as exc:
            run.problem(row.index, str(exc))
            run.keep_active(resource, rule.low)
            run.keep_active(resource, rule.high)
            readings.append(_Optical(None, False, True))
            return
        if reading is not None:
            may_raise = all(t.holds(row.get(t.field)) for t in run.table.optical_tests)
            readings.append(_Optical(reading, may_raise, False))

    def _finish_optical(self, run: _Run) -> None:
        """One verdict per optical resource (several lanes or sensors: the weakest and the strongest count)."""
        rule = run.table.spec.optical
        if rule is None:
            return
        for resource, readings in run.optical.values():
            powers = [o.reading.dbm for o in readings if o.reading is not None and o.reading.dbm is not None]
            if powers:
                run.gauges.setdefault((rule.gauge, resource.key()), Gauge(rule.gauge, resource, round(min(powers), 2)))
            if any(o.unreadable for o in readings):
                continue
            judged = [o.reading for o in readings if o.reading is not None and o.may_raise]
            if not judged:
                continue
            dark = next((r for r in judged if r.dbm is None), None)
            lit = [r for r in judged if r.dbm is not None]
            weakest = dark or min(lit, key=lambda r: r.dbm if r.dbm is not None else 0.0)
            low_active = (resource.key(), rule.low) in run.active
            high_active = (resource.key(), rule.high) in run.active
            low = judge(weakest, run.limits, low_active, high_active).low
            if low is not None:
                run.add(resource, rule.low, run.table.optical_severity[rule.low], low)
            if lit:
                strongest = max(lit, key=lambda r: r.dbm if r.dbm is not None else 0.0)
                high = judge(strongest, run.limits, low_active, high_active).high
                if high is not None:
                    run.add(resource, rule.high, run.table.optical_severity[rule.high], high)

    # -- names for the trap receiver ----------------------------------------------------------

    def resources(self, rows: Mapping[str, Rows], complete: Collection[str] | None = None) -> ResourceIndex:
        """Table -> index -> resource, as the poll names them. Keep the latest and pass it to :meth:`map_trap`."""
        data = self._data(rows)
        out: ResourceIndex = {}
        for table in self._tables:
            if table.spec.resource is None or (complete is not None and table.name not in complete):
                continue
            own = data.get(table.name)
            if own is None:
                continue
            names: dict[str, Resource] = {}
            for index in own.rows:
                row = own.view(index)
                if row is None or row.index_problem is not None:
                    continue
                if not all(test.holds(row.get(test.field)) for test in table.compiled.where_own):
                    continue
                resolve_joins(row, data)
                if not all(test.holds(row.get(test.field)) for test in table.compiled.where_joined):
                    continue
                resource = table.resource_of(row)
                if resource is not None:
                    names[index] = resource
            out[table.name] = names
        return out

    # -- notifications ------------------------------------------------------------------------

    def map_trap(
        self,
        device: str,
        trap_oid: str,
        varbinds: Mapping[str, Value],
        names: Mapping[int, str] | None = None,
        resources: Mapping[str, Mapping[str, Resource]] | None = None,
    ) -> list[tuple[Action, Condition]]:
        """The raises and clears one notification means, named as the poll names them.

        The notification is turned into a row of the table it belongs to (the varbinds' instance
        is the row index; the trap's ``assume``/``set`` fill in the state it implies), and that
        table's alarm rules decide: a rule that holds is a raise, else a clear. So a trap and the
        following poll give the same resource and alarm type (the same reduction key).

        The resource is, in order: ``resources[table][index]`` (from :meth:`resources` of the last
        poll), then for a ``port`` table ``names[ifIndex]`` (the last known ifIndex -> name map),
        then the table's naming rule applied to the varbinds (``ifName``/``ifDescr`` if the device
        sent them), then its fallback (``ifIndex.<n>`` ...). With ``resources`` given, a row the
        poll does not count as a resource (a VLAN interface, say) is ignored. Unknown
        notifications, and ones whose varbinds carry no row index, give an empty list.
        """
        trap = self._traps.get(trap_oid.strip().lstrip("."))
        if trap is None:
            return []
        table = self._by_name[trap.table]
        found = _trap_row(table, trap.spec, varbinds)
        if found is None:
            return []
        index, raw = found
        row = table.compiled.decode_row(index, raw)
        if row.index_problem is not None:
            return []
        known = (resources or {}).get(table.name)
        if known is not None and index not in known:
            return []  # the last poll did not count this row as a resource (filtered by 'where')
        present = [t for t in table.compiled.where if t.field in row.fields]
        if not all(t.holds(row.get(t.field)) for t in present):
            return []
        resource = _trap_resource(table, row, index, names or {}, resources or {})
        if resource is None:
            return []
        out: list[tuple[Action, Condition]] = []
        for alarm in trap.spec.alarms:
            rules = [r for r in table.rules if r.alarm == alarm]
            held = next((r for r in rules if all(t.holds(row.get(t.field)) for t in r.tests)), None)
            if held is not None:
                detail = f"{trap.spec.name}: {_detail(held.tests, row)}"
                out.append((Action.raise_, Condition(resource, alarm, held.severity, table.name, detail)))
            else:
                severity = rules[0].severity if rules else self._types.get(alarm).severity
                out.append((Action.clear, Condition(resource, alarm, severity, table.name, trap.spec.name)))
        return out


def _trap_row(table: Table, trap: TrapRule, varbinds: Mapping[str, Value]) -> tuple[str, dict[str, Value]] | None:
    oids = table.compiled.oid_of
    index: str | None = None
    raw: dict[str, Value] = {}
    for oid, value in varbinds.items():
        oid = oid.strip().lstrip(".")
        for prefix in (*oids.values(), *trap.index_from):
            if oid.startswith(prefix + "."):
                suffix = oid[len(prefix) + 1 :]
                if index is None:
                    index = suffix
                if suffix == index and prefix in table.compiled.column_of:
                    raw[prefix] = value
                break
    if index is None:
        return None
    for column, number in trap.assume.items():
        raw.setdefault(oids[column], number)
    for column, number in trap.set.items():
        raw[oids[column]] = number
    return index, raw


def _trap_resource(
    table: Table,
    row: RowView,
    index: str,
    names: Mapping[int, str],
    resources: Mapping[str, Mapping[str, Resource]],
) -> Resource | None:
    known = resources.get(table.name, {}).get(index)
    if known is not None:
        return known
    rule = table.spec.resource
    if rule is None:
        return None
    if rule.type.value == "port" and index.isdigit() and int(index) in names and int(index) >= 1:
        return Resource(type=rule.type, id=names[int(index)], if_index=int(index))
    return table.resource_of(row)
