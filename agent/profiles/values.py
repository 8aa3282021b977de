"""pysnmp values -> the python-native values profiles read (the same types :mod:`agent.snmprec` gives).

A poll engine that converts with :func:`from_pysnmp` hands :meth:`Profile.evaluate` exactly what
a recording read with :func:`agent.snmprec.parse_snmprec` would, so a test on a recording and a
live poll of the same data agree.
"""

from __future__ import annotations

from typing import Any

from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905

from agent.snmprec import Value

_NO_VALUE = (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView, univ.Null)


def from_pysnmp(value: Any) -> Value | None:
    """INTEGER/counters/gauges/TimeTicks -> int, OCTET STRING/BITS/Opaque -> bytes, IpAddress ->
    dotted str, OBJECT IDENTIFIER -> dotted str; NULL and noSuchObject/noSuchInstance/endOfMibView
    -> None (no value)."""
    if isinstance(value, _NO_VALUE):
        return None
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(b) for b in value.asNumbers())
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(arc) for arc in value.asTuple())
    if isinstance(value, univ.Integer):
        return int(value)
    return None


def oid_text(oid: Any) -> str:
    """A pysnmp ObjectName / ObjectIdentity resolved without MIBs -> dotted text, no leading dot."""
    as_tuple = getattr(oid, "asTuple", None)
    if as_tuple is not None:
        return ".".join(str(arc) for arc in as_tuple())
    return str(oid).strip().lstrip(".")
