"""Our flat SNMPv2c decoding spec against pysnmp's own (pure encoding/decoding, no peer)."""

from __future__ import annotations

from agent.profiles import from_pysnmp
from agent.snmp.values import to_value


def test_flat_spec_decodes_like_pysnmp() -> None:
    """The same reply decoded with pysnmp's spec and with ours gives the same values."""
    from pyasn1.codec.ber import decoder, encoder
    from pysnmp.proto import api, rfc1902

    from agent.snmp.fastspec import Message

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    values = [
        rfc1902.Integer32(-5),
        rfc1902.OctetString(b"\x00\xffGE0/0/1"),
        rfc1902.ObjectIdentifier("1.3.6.1.4.1.2011.2.224.62"),
        rfc1902.IpAddress("192.0.2.7"),
        rfc1902.Counter32(4294967295),
        rfc1902.Gauge32(1000),
        rfc1902.Unsigned32(7),
        rfc1902.TimeTicks(123456),
        rfc1902.Opaque(b"\x9f\x78\x04"),
        rfc1902.Counter64(2**64 - 1),
        p.NoSuchObject(""),
        p.NoSuchInstance(""),
        p.EndOfMibView(""),
        p.Null(""),
    ]
    pdu = p.ResponsePDU()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_varbinds(pdu, [(p.ObjectIdentifier(f"1.3.6.1.9.{n}"), v) for n, v in enumerate(values)])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_pdu(msg, pdu)
    wire = encoder.encode(msg)
    theirs, _ = decoder.decode(wire, asn1Spec=p.Message())
    ours, _ = decoder.decode(wire, asn1Spec=Message())
    a = p.apiPDU.get_varbinds(p.apiMessage.get_pdu(theirs))
    b = p.apiPDU.get_varbinds(p.apiMessage.get_pdu(ours))
    assert [str(n) for n, _ in a] == [str(n) for n, _ in b]
    assert [to_value(v) for _, v in a] == [to_value(v) for _, v in b] == [from_pysnmp(v) for _, v in b]
    assert [to_value(v) for _, v in b] == [
        -5,
        b"\x00\xffGE0/0/1",
        "1.3.6.1.4.1.2011.2.224.62",
        "192.0.2.7",
        4294967295,
        1000,
        7,
        123456,
        b"\x9f\x78\x04",
        2**64 - 1,
        None,
        None,
        None,
        None,
    ]
    assert encoder.encode(ours) == wire
