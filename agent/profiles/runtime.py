"""Compiled table definitions: decoding raw SNMP values, parsing indexes, joins, templates and tests.

Everything here works on one table row at a time and never raises on device data: what cannot be
read becomes a *problem* (a short text) and the value is treated as missing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from agent.profiles.model import Cond, Join, TableDef, ValueMap
from agent.snmprec import Rows, Value

Decoded = str | int | float | bytes | frozenset[str]
"""A field after decoding: a state name, a set of flag names, a number, text or raw octets."""

FIELD = re.compile(r"\{([^{}]*)\}")


def render_value(value: Decoded) -> str | None:
    """A field as text for a name or a detail; None if it has no usable text."""
    if isinstance(value, frozenset):
        return "+".join(sorted(value)) if value else "none"
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return text.strip("\x00").strip()
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()


# -- values -----------------------------------------------------------------------------------


def _kind_of(value: Value) -> str:
    return type(value).__name__


def _is_int(value: Value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bits_named(raw: bytes, names: Mapping[int, str]) -> tuple[frozenset[str] | None, str | None]:
    need = max(names) // 8 + 1 if names else 1
    if len(raw) > need and any(raw[need:]):
        return None, f"BITS value is {len(raw)} octets ({raw.hex()}), at most {need} expected"
    found: set[str] = set()
    unknown: list[int] = []
    for octet_no, octet in enumerate(raw[:need]):
        for bit in range(8):
            if octet & (0x80 >> bit):
                pos = octet_no * 8 + bit
                if pos in names:
                    found.add(names[pos])
                else:
                    unknown.append(pos)
    note = f"unknown bit(s) {', '.join(map(str, unknown))} set" if unknown else None
    return frozenset(found), note


def decode(spec: ValueMap | None, value: Value) -> tuple[Decoded | None, str | None]:
    """(decoded value or None, problem or None). A value can decode with a note (unknown flag bits)."""
    if spec is None:
        return value, None
    if spec.enum is not None:
        if not _is_int(value):
            return None, f"expected an INTEGER, got {_kind_of(value)} {value!r:.40}"
        assert isinstance(value, int)
        state = spec.enum.get(value)
        if state is None:
            return None, f"value {value} is not one of {', '.join(f'{k}={v}' for k, v in spec.enum.items())}"
        return state, None
    if spec.bitmask is not None:
        if not _is_int(value) or (isinstance(value, int) and value < 0):
            return None, f"expected a non-negative INTEGER bit mask, got {_kind_of(value)} {value!r:.40}"
        assert isinstance(value, int)
        found = frozenset(name for flag, name in spec.bitmask.items() if value & flag)
        rest = value & ~sum(spec.bitmask)
        note = f"unknown flag bits 0x{rest:x} in {value}" if rest else None
        return found, note
    if spec.bits is not None:
        if not isinstance(value, bytes):
            return None, f"expected BITS (OCTET STRING), got {_kind_of(value)} {value!r:.40}"
        return _bits_named(value, spec.bits)
    if spec.integer is not None:
        if not _is_int(value):
            return None, f"expected a number, got {_kind_of(value)} {value!r:.40}"
        return value, None
    if spec.text is not None:
        if isinstance(value, str):
            return value, None
        if not isinstance(value, bytes):
            return None, f"expected text, got {_kind_of(value)} {value!r:.40}"
        try:
            return value.decode("utf-8"), None
        except UnicodeDecodeError:
            return None, f"not UTF-8 text: {value[:24].hex()}"
    if spec.inet_address is not None:
        if isinstance(value, str):
            return value, None
        if isinstance(value, bytes) and len(value) in (4, 16):
            return str(ipaddress.ip_address(value)), None
        return None, f"expected a 4 or 16 octet address, got {_kind_of(value)} {value!r:.40}"
    prefix = spec.oid_suffix
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]+(\.[0-9]+)*", value):
        return None, f"expected an OBJECT IDENTIFIER, got {_kind_of(value)} {value!r:.40}"
    if prefix is not None and value.startswith(prefix + "."):
        return value[len(prefix) + 1 :], None
    return None, None  # points somewhere else (a private table): no value, not an error


# -- indexes ----------------------------------------------------------------------------------


def parse_index(parts: Iterable[tuple[str, str]], suffix: str) -> tuple[dict[str, Decoded], str | None]:
    """Split an index suffix into named parts; (parts, problem)."""
    try:
        arcs = [int(a) for a in suffix.split(".")] if suffix else []
    except ValueError:
        return {}, f"index '{suffix[:60]}' is not numeric"
    out: dict[str, Decoded] = {}
    pos = 0
    for name, kind in parts:
        if kind == "oid":
            if pos >= len(arcs):
                return {}, f"index '{suffix}' is too short for part '{name}'"
            out[name] = ".".join(map(str, arcs[pos:]))
            pos = len(arcs)
        elif kind == "implied_string":
            out[name] = _octets_text(arcs[pos:])
            pos = len(arcs)
        elif kind == "string":
            if pos >= len(arcs) or pos + 1 + arcs[pos] > len(arcs):
                return {}, f"index '{suffix}' is too short for string part '{name}'"
            length = arcs[pos]
            out[name] = _octets_text(arcs[pos + 1 : pos + 1 + length])
            pos += 1 + length
        elif kind == "ipv4":
            if pos + 4 > len(arcs):
                return {}, f"index '{suffix}' is too short for address part '{name}'"
            out[name] = ".".join(map(str, arcs[pos : pos + 4]))
            pos += 4
        else:
            if pos >= len(arcs):
                return {}, f"index '{suffix}' is too short for part '{name}'"
            out[name] = arcs[pos]
            pos += 1
    if pos != len(arcs):
        return {}, f"index '{suffix}' has {len(arcs) - pos} arc(s) more than the table's index"
    return out, None


def _octets_text(arcs: list[int]) -> str:
    if any(a > 255 for a in arcs):
        return ".".join(map(str, arcs))
    raw = bytes(arcs)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex()


# -- templates and tests ----------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    text: str
    fields: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Template:
        return cls(text, tuple(FIELD.findall(text)))

    def render(self, row: RowView) -> str | None:
        out = self.text
        for name in self.fields:
            value = row.get(name)
            text = None if value is None else render_value(value)
            if not text:
                return None
            out = out.replace("{" + name + "}", text)
        return out


@dataclass(frozen=True)
class Test:
    field: str
    values: frozenset[str] | None
    negate: bool
    regex: re.Pattern[str] | None
    if_missing: bool

    @classmethod
    def of(cls, name: str, cond: Cond) -> Test:
        listed = cond.in_ if cond.in_ is not None else cond.not_
        return cls(
            field=name,
            values=None if listed is None else frozenset(str(v) for v in listed),
            negate=cond.not_ is not None,
            regex=re.compile(cond.regex) if cond.regex is not None else None,
            if_missing=cond.if_missing,
        )

    def holds(self, value: Decoded | None) -> bool:
        if value is None:
            return self.if_missing
        if isinstance(value, frozenset):
            texts: set[str] = set(value)
        else:
            text = render_value(value)
            if text is None:
                return self.if_missing
            texts = {text}
        if self.regex is not None:
            return any(self.regex.search(t) for t in texts)
        assert self.values is not None
        hit = bool(texts & self.values)
        return not hit if self.negate else hit


# -- tables and rows --------------------------------------------------------------------------


@dataclass
class CompiledJoin:
    alias: str
    table: str
    template: Template
    prefix: bool
    by: str | None
    optional: bool

    @classmethod
    def of(cls, join: Join) -> CompiledJoin:
        text = join.index if join.index is not None else join.index_prefix
        assert text is not None
        return cls(join.as_, join.table, Template.of(text), join.index_prefix is not None, join.by, join.optional)


class CompiledTable:
    """One table definition ready to decode rows."""

    def __init__(self, name: str, spec: TableDef) -> None:
        self.name = name
        self.spec = spec
        self.oid_of = dict(spec.columns)
        self.column_of = {oid: col for col, oid in spec.columns.items()}
        self.index_parts = [(p.name, p.type) for p in spec.index]
        self.joins = [CompiledJoin.of(j) for j in spec.joins]
        self.where = [Test.of(k, v) for k, v in spec.where.items()]
        self.where_own = [t for t in self.where if "." not in t.field]
        """Tests on the row itself: checked before the (costlier) joins."""
        self.where_joined = [t for t in self.where if "." in t.field]

    def decode_row(self, index: str, raw: Mapping[str, Value]) -> RowView:
        """Decode one raw row (column OID -> value); problems are kept in the view."""
        row = RowView(self, index)
        parts, problem = parse_index(self.index_parts, index)
        if problem is not None:
            row.index_problem = problem
        row.fields.update(parts)
        row.fields["index"] = index
        for oid, value in raw.items():
            column = self.column_of.get(oid)
            if column is None:
                continue
            decoded, note = decode(self.spec.values.get(column), value)
            if note is not None:
                row.bad[column] = note
            if decoded is not None:
                row.fields[column] = decoded
        return row


@dataclass
class RowView:
    """A decoded row with its joined rows; ``get`` resolves ``column``, ``part`` and ``alias.column``."""

    table: CompiledTable
    index: str
    fields: dict[str, Decoded] = field(default_factory=dict)
    bad: dict[str, str] = field(default_factory=dict)
    joined: dict[str, RowView] = field(default_factory=dict)
    index_problem: str | None = None

    def get(self, name: str) -> Decoded | None:
        if "." in name:
            alias, _, column = name.partition(".")
            other = self.joined.get(alias)
            return None if other is None else other.fields.get(column)
        return self.fields.get(name)


class TableData:
    """The rows of one table read in one poll, decoded on demand (for joins)."""

    def __init__(self, table: CompiledTable, rows: Rows) -> None:
        self.table = table
        self.rows = rows
        self._views: dict[str, RowView] = {}
        self._by: dict[str, dict[str, str]] = {}
        self._prefix: dict[str, str] | None = None

    def view(self, index: str) -> RowView | None:
        cached = self._views.get(index)
        if cached is not None:
            return cached
        raw = self.rows.get(index)
        if raw is None or not isinstance(raw, Mapping):
            return None
        view = self.table.decode_row(index, raw)
        self._views[index] = view
        return view

    def find(self, join: CompiledJoin, key: str) -> RowView | None:
        if join.by is not None:
            lookup = self._by.get(join.by)
            if lookup is None:
                lookup = {}
                for index in self.rows:
                    view = self.view(index)
                    value = None if view is None else view.fields.get(join.by)
                    text = None if value is None else render_value(value)
                    if text and text not in lookup:
                        lookup[text] = index
                self._by[join.by] = lookup
            found = lookup.get(key)
            return None if found is None else self.view(found)
        if join.prefix:
            if self._prefix is None:
                self._prefix = {}
                for index in self.rows:
                    head = index.rsplit(".", 1)[0] if "." in index else index
                    while True:
                        self._prefix.setdefault(head, index)
                        if "." not in head:
                            break
                        head = head.rsplit(".", 1)[0]
            found = self._prefix.get(key)
            return None if found is None else self.view(found)
        return self.view(key)


def resolve_joins(row: RowView, data: Mapping[str, TableData]) -> None:
    """Bind every join alias that finds a row (in order: later joins may use earlier ones)."""
    for join in row.table.joins:
        other = data.get(join.table)
        if other is None:
            continue
        key = join.template.render(row)
        if key is None:
            continue
        found = other.find(join, key)
        if found is not None:
            row.joined[join.alias] = found
