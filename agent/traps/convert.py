"""A received notification in python-native form: its OID and its variable bindings.

pysnmp delivers every notification in SNMPv2 form (a v1 Trap-PDU is translated per RFC 3584):
``sysUpTime.0``, ``snmpTrapOID.0``, then the notification's own objects. The profiles read the
same value types as a poll gives (:func:`agent.profiles.from_pysnmp`): OIDs as dotted text,
octets as bytes, numbers as int.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.profiles import Value, from_pysnmp, oid_text

SYS_UPTIME_0 = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID_0 = "1.3.6.1.6.3.1.1.4.1.0"


@dataclass(frozen=True)
class Notification:
    trap_oid: str
    """snmpTrapOID.0, dotted, no leading dot ("" if the PDU had none)."""
    varbinds: dict[str, Value] = field(default_factory=dict)
    """The notification's objects (without sysUpTime.0 and snmpTrapOID.0), OID -> value."""
    uptime_ticks: int | None = None


def notification(var_binds: Iterable[tuple[Any, Any]]) -> Notification:
    """Convert pysnmp (name, value) pairs; objects without a value (NULL, noSuch*) are left out."""
    trap_oid = ""
    uptime: int | None = None
    values: dict[str, Value] = {}
    for name, raw in var_binds:
        oid = oid_text(name)
        value = from_pysnmp(raw)
        if oid == SNMP_TRAP_OID_0:
            trap_oid = value if isinstance(value, str) else ""
        elif oid == SYS_UPTIME_0:
            uptime = value if isinstance(value, int) else None
        elif value is not None:
            values[oid] = value
    return Notification(trap_oid, values, uptime)
