"""A faster SNMPv2c message spec for our engine: the varbind value CHOICE made flat.

RFC 3416 nests a varbind's value three CHOICEs deep (``value`` -> ``ObjectSyntax`` ->
``SimpleSyntax`` / ``ApplicationSyntax`` -> the type). pyasn1 builds an object for every level of
every varbind of every reply, and decoding is most of the CPU a poll costs. The alternatives carry
distinct tags, so one flat CHOICE of all of them accepts exactly the same messages and yields the
same leaf values (``varBind[1].getComponent(True)`` reaches the leaf either way, which is how
pysnmp reads varbinds). It decodes a reply about 30 % faster.

:class:`FastV2cMessageProcessingModel` is pysnmp's own SNMPv2c message processing model with this
spec; :class:`~agent.snmp.client.SnmpClient` registers it on its engine only (no global change:
other engines in the process, such as the trap receiver's, keep pysnmp's spec). Encoding is not
affected: outgoing PDUs are pysnmp's own objects placed into the message by tag.
"""

from __future__ import annotations

from pyasn1.type import namedtype, univ
from pysnmp.proto import rfc1901, rfc1902, rfc1905
from pysnmp.proto.mpmod.rfc2576 import SnmpV2cMessageProcessingModel


class FlatValue(univ.Choice):  # type: ignore[misc]
    """Every value a varbind can carry, one level deep (SMIv2 types and the v2 exceptions)."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("integer-value", rfc1902.Integer32()),
        namedtype.NamedType("string-value", rfc1902.OctetString()),
        namedtype.NamedType("objectID-value", rfc1902.ObjectIdentifier()),
        namedtype.NamedType("ipAddress-value", rfc1902.IpAddress()),
        namedtype.NamedType("counter-value", rfc1902.Counter32()),
        namedtype.NamedType("unsigned-integer-value", rfc1902.Gauge32()),
        namedtype.NamedType("timeticks-value", rfc1902.TimeTicks()),
        namedtype.NamedType("arbitrary-value", rfc1902.Opaque()),
        namedtype.NamedType("big-counter-value", rfc1902.Counter64()),
        namedtype.NamedType("unSpecified", rfc1905.unSpecified),
        namedtype.NamedType("noSuchObject", rfc1905.noSuchObject),
        namedtype.NamedType("noSuchInstance", rfc1905.noSuchInstance),
        namedtype.NamedType("endOfMibView", rfc1905.endOfMibView),
    )


class VarBind(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("name", rfc1902.ObjectName()),
        namedtype.NamedType("", FlatValue()),
    )


class VarBindList(univ.SequenceOf):  # type: ignore[misc]
    componentType = VarBind()


_PDU_FIELDS = rfc1905.PDU.componentType


class ResponsePDU(univ.Sequence):  # type: ignore[misc]
    """RFC 3416 Response-PDU with the flat varbinds (same tag, same fields)."""

    tagSet = rfc1905.ResponsePDU.tagSet
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("request-id", _PDU_FIELDS.getTypeByPosition(0)),
        namedtype.NamedType("error-status", _PDU_FIELDS.getTypeByPosition(1)),
        namedtype.NamedType("error-index", _PDU_FIELDS.getTypeByPosition(2)),
        namedtype.NamedType("variable-bindings", VarBindList()),
    )


class PDUs(univ.Choice):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("get-request", rfc1905.GetRequestPDU()),
        namedtype.NamedType("get-next-request", rfc1905.GetNextRequestPDU()),
        namedtype.NamedType("get-bulk-request", rfc1905.GetBulkRequestPDU()),
        namedtype.NamedType("response", ResponsePDU()),
        namedtype.NamedType("set-request", rfc1905.SetRequestPDU()),
        namedtype.NamedType("inform-request", rfc1905.InformRequestPDU()),
        namedtype.NamedType("snmpV2-trap", rfc1905.SNMPv2TrapPDU()),
        namedtype.NamedType("report", rfc1905.ReportPDU()),
    )


class Message(univ.Sequence):  # type: ignore[misc]
    """RFC 1901 community-based SNMPv2 message with :class:`PDUs`."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", rfc1901.Message.componentType.getTypeByPosition(0)),
        namedtype.NamedType("community", univ.OctetString()),
        namedtype.NamedType("data", PDUs()),
    )


class FastV2cMessageProcessingModel(SnmpV2cMessageProcessingModel):  # type: ignore[misc]
    """pysnmp's SNMPv2c message processing with the flat message spec."""

    SNMP_MSG_SPEC = Message


def install(engine: object) -> None:
    """Use the flat spec for SNMPv2c on ``engine`` (a pysnmp SnmpEngine)."""
    key = SnmpV2cMessageProcessingModel.MESSAGE_PROCESSING_MODEL_ID
    engine.message_processing_subsystems[key] = FastV2cMessageProcessingModel()  # type: ignore[attr-defined]
