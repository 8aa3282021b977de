"""Read snmpsim ``.snmprec`` recordings into python-native SNMP values, and slice table rows out of them.

A recording has one line per OID: ``OID|TAG|VALUE``. The tag is the ASN.1 type number, optionally
followed by an encoding letter: ``x`` (the value is hex) or ``e`` (the value is a Python-escaped
string). The types read here are the ones snmpsim serves:

=====  ==================  ========================================
tag    SNMP type           python value
=====  ==================  ========================================
2      INTEGER/Integer32   int
4      OCTET STRING        bytes (``4x`` hex, ``4e`` escaped)
5      NULL                (kept out of ``values``, listed in ``nulls``)
6      OBJECT IDENTIFIER   str, dotted, no leading dot
64     IpAddress           str, dotted quad (``64x``: 8 hex digits)
65     Counter32           int
66     Gauge32/Unsigned32  int
67     TimeTicks           int
68     Opaque              bytes
70     Counter64           int
=====  ==================  ========================================

snmpsim decodes a line as ISO-8859-1 and strips it before splitting, so a plain ``4`` value is
those bytes with trailing white space removed; :func:`parse_snmprec` reads it the same way, so that
a recording read from the file and the same recording walked through snmpsim give equal values.

Nothing here raises on bad data: a line that cannot be read is reported in
:attr:`Snmprec.problems` as ``file:line: what`` and left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

Value = int | float | str | bytes
"""A python-native SNMP value (see the module docstring)."""

Rows = dict[str, dict[str, Value]]
"""Index suffix (``"7"``, ``"1.5"``) -> {column OID: value}."""

_OID = re.compile(r"^[0-9]+(\.[0-9]+)+$")
_INT_TAGS = {"2": (-(2**31), 2**31 - 1), "65": (0, 2**32 - 1), "66": (0, 2**32 - 1), "67": (0, 2**32 - 1)}
_INT_TAGS["70"] = (0, 2**64 - 1)
_ESCAPES = {"\\": 92, "'": 39, '"': 34, "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
_EXCEPTIONS = {"128": "noSuchObject", "129": "noSuchInstance", "130": "endOfMibView"}


class SnmprecValueError(ValueError):
    """One value that cannot be read; the message says why."""


@dataclass
class Snmprec:
    """One parsed recording."""

    name: str
    values: dict[str, Value] = field(default_factory=dict)
    """OID (no leading dot) -> value, in file order (the first of duplicate lines wins)."""
    nulls: list[str] = field(default_factory=list)
    """OIDs recorded as NULL or as an SNMP exception (noSuchObject ...): present but valueless."""
    problems: list[str] = field(default_factory=list)
    """``file:line: what`` for every line that was not read."""
    lines: int = 0
    """Records seen (blank lines and ``#`` comments are not records)."""

    def get(self, oid: str) -> Value | None:
        return self.values.get(oid.lstrip("."))

    def text(self, oid: str) -> str | None:
        """An OCTET STRING scalar as text (UTF-8, undecodable bytes replaced), e.g. sysDescr."""
        value = self.get(oid)
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        return value if isinstance(value, str) else None

    def rows(self, columns: Iterable[str]) -> Rows:
        return table_rows(self.values, columns)


def _unescape(text: str) -> bytes:
    """The ``e`` encoding: a Python string literal body (``\\x00``, ``\\n``, ``\\\\`` ...)."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out.append(ord(ch) & 0xFF)
            i += 1
            continue
        if i + 1 >= len(text):
            raise SnmprecValueError("dangling backslash")
        nxt = text[i + 1]
        if nxt == "x":
            digits = text[i + 2 : i + 4]
            if len(digits) != 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise SnmprecValueError(f"bad \\x escape {text[i : i + 4]!r}")
            out.append(int(digits, 16))
            i += 4
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            raise SnmprecValueError(f"unknown escape \\{nxt}")
    return bytes(out)


def _octets(encoding: str, text: str) -> bytes:
    if encoding == "x":
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise SnmprecValueError(f"bad hex {text[:40]!r}") from None
    if encoding == "e":
        return _unescape(text)
    return text.encode("iso-8859-1")


def decode_value(tag: str, text: str) -> Value | None:
    """One recorded value; ``None`` for NULL and the SNMP exceptions. Raises SnmprecValueError."""
    base, encoding = (tag[:-1], tag[-1]) if tag[-1:] in ("x", "e") else (tag, "")
    if base in _INT_TAGS:
        if encoding:
            raise SnmprecValueError(f"type {base} takes no '{encoding}' encoding")
        try:
            number = int(text)
        except ValueError:
            raise SnmprecValueError(f"type {base} needs an integer, got {text[:40]!r}") from None
        low, high = _INT_TAGS[base]
        if not low <= number <= high:
            raise SnmprecValueError(f"type {base} value {number} is out of range {low}..{high}")
        return number
    if base in ("4", "68"):
        return _octets(encoding, text)
    if base == "6":
        oid = text.strip().lstrip(".")
        if not _OID.match(oid):
            raise SnmprecValueError(f"not an OID: {text[:40]!r}")
        return oid
    if base == "64":
        raw = _octets(encoding, text) if encoding else None
        if raw is None:
            parts = text.strip().split(".")
            if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
                raise SnmprecValueError(f"not an IPv4 address: {text[:40]!r}")
            return ".".join(str(int(p)) for p in parts)
        if len(raw) != 4:
            raise SnmprecValueError(f"IpAddress needs 4 octets, got {len(raw)}")
        return ".".join(str(b) for b in raw)
    if base == "5" or base in _EXCEPTIONS:
        return None
    raise SnmprecValueError(f"unknown type tag '{tag}'")


def parse_snmprec(data: bytes, name: str = "<snmprec>") -> Snmprec:
    """Parse a whole recording; never raises on content."""
    rec = Snmprec(name=name)
    seen: dict[str, int] = {}
    for number, raw in enumerate(data.split(b"\n"), 1):
        line = raw.decode("iso-8859-1").strip()
        if not line or line.startswith("#"):
            continue
        rec.lines += 1
        parts = line.split("|", 2)
        if len(parts) != 3 or not parts[0] or not parts[1]:
            rec.problems.append(f"{name}:{number}: not OID|TYPE|VALUE: {line[:60]!r}")
            continue
        oid, tag, text = parts[0].lstrip("."), parts[1], parts[2]
        if not _OID.match(oid):
            rec.problems.append(f"{name}:{number}: not an OID: {oid[:60]!r}")
            continue
        if ":" in tag:
            rec.problems.append(f"{name}:{number}: {oid}: variation module '{tag}' is not read (record a plain value)")
            continue
        try:
            value = decode_value(tag, text)
        except SnmprecValueError as exc:
            rec.problems.append(f"{name}:{number}: {oid}: {exc}")
            continue
        if oid in seen:
            rec.problems.append(f"{name}:{number}: {oid}: duplicate of line {seen[oid]} (the first is kept)")
            continue
        seen[oid] = number
        if value is None:
            rec.nulls.append(oid)
        else:
            rec.values[oid] = value
    return rec


def load_snmprec(path: Path) -> Snmprec:
    """Read and parse a recording file."""
    return parse_snmprec(path.read_bytes(), name=path.name)


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


def table_rows(values: Mapping[str, Value], columns: Iterable[str]) -> Rows:
    """The rows a walk of ``columns`` would return: index suffix -> {column: value}.

    A column's cells are the OIDs strictly below it; an index suffix is what follows the column
    OID. Rows come out ordered by index (numerically), as an SNMP walk returns them.
    """
    cols = [c.lstrip(".") for c in columns]
    prefixes = {c + ".": c for c in cols}
    found: dict[str, dict[str, Value]] = {}
    for oid, value in values.items():
        for prefix, column in prefixes.items():
            if oid.startswith(prefix):
                found.setdefault(oid[len(prefix) :], {})[column] = value
    return {index: found[index] for index in sorted(found, key=_key)}


def subtree(values: Mapping[str, Value], prefix: str) -> dict[str, Value]:
    """Every value at or below ``prefix``, keyed by full OID."""
    p = prefix.lstrip(".")
    return {oid: v for oid, v in values.items() if oid == p or oid.startswith(p + ".")}
