"""pysnmp (pyasn1) values -> the python-native :data:`Value` the profiles read.

The mapping is the one :mod:`agent.snmprec` uses for recordings, so a walk through snmpsim and the
same recording read from the file give equal rows:

* INTEGER, Integer32, Counter32/64, Gauge32, Unsigned32, TimeTicks -> ``int``
* OCTET STRING, Opaque, BITS -> ``bytes``
* OBJECT IDENTIFIER -> ``str``, dotted, no leading dot
* IpAddress -> ``str``, dotted quad
* NULL and the exceptions (noSuchObject, noSuchInstance, endOfMibView) -> ``None`` (no value)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyasn1.type import univ
from pysnmp.proto import rfc1155, rfc1902, rfc1905

from agent.snmprec import Value

_IP_TYPES = (rfc1902.IpAddress, rfc1155.IpAddress)


def _ip(value: Any) -> str:
    return ".".join(str(b) for b in value.asOctets())


def _oid(value: Any) -> str:
    return ".".join(map(str, value.asTuple()))


def _bytes(value: Any) -> bytes:
    return bytes(value.asOctets())


def _none(value: Any) -> None:
    return None


_BY_CLASS: dict[type, Callable[[Any], Value | None]] = {}
for _cls in (
    rfc1902.Integer,
    rfc1902.Integer32,
    rfc1902.Counter32,
    rfc1902.Counter64,
    rfc1902.Gauge32,
    rfc1902.Unsigned32,
    rfc1902.TimeTicks,
    rfc1155.Counter,
    rfc1155.Gauge,
    rfc1155.TimeTicks,
    univ.Integer,
):
    _BY_CLASS[_cls] = int
for _cls in (rfc1902.OctetString, rfc1902.Opaque, rfc1902.Bits, rfc1155.Opaque, univ.OctetString):
    _BY_CLASS[_cls] = _bytes
for _cls in _IP_TYPES:
    _BY_CLASS[_cls] = _ip
for _cls in (rfc1902.ObjectIdentifier, rfc1902.ObjectName, univ.ObjectIdentifier):
    _BY_CLASS[_cls] = _oid
for _cls in (rfc1902.Null, univ.Null, rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView):
    _BY_CLASS[_cls] = _none


def _slow(value: Any) -> Value | None:
    if isinstance(value, univ.Null):
        return None
    if isinstance(value, _IP_TYPES):
        return _ip(value)
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        return _bytes(value)
    if isinstance(value, univ.ObjectIdentifier):
        return _oid(value)
    if isinstance(value, univ.Real):
        return float(value)
    raise TypeError(f"unsupported SNMP value type {type(value).__name__}")


def to_value(value: Any) -> Value | None:
    """One decoded SNMP value as a python value, or ``None`` for NULL and the SNMP exceptions.

    Raises :class:`TypeError` for a type SNMP does not define (the caller counts it as malformed).
    """
    convert = _BY_CLASS.get(type(value))
    if convert is not None:
        return convert(value)
    return _slow(value)


def is_exception(value: Any) -> bool:
    """noSuchObject, noSuchInstance or endOfMibView."""
    return isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | rfc1905.EndOfMibView)


def oid_text(oid: tuple[int, ...]) -> str:
    return ".".join(map(str, oid))


def parse_oid(text: str) -> tuple[int, ...]:
    """``"1.3.6.1.2.1.1.2.0"`` (a leading dot is allowed) -> a tuple of arcs; ValueError if not an OID."""
    body = text.strip().lstrip(".")
    try:
        arcs = tuple(int(part) for part in body.split("."))
    except ValueError:
        raise ValueError(f"'{text}' is not a numeric OID (dotted numbers, e.g. 1.3.6.1.2.1.2.2.1.8)") from None
    if len(arcs) < 2 or any(a < 0 for a in arcs):
        raise ValueError(f"'{text}' is not a numeric OID (dotted numbers, e.g. 1.3.6.1.2.1.2.2.1.8)")
    return arcs
