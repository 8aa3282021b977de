"""How a walk splits columns into GETBULKs from the row counts of the last poll (pure logic)."""

from __future__ import annotations

from agent.snmp.sender import request_id
from agent.snmp.session import REQUEST_COST_VARBINDS, group_columns


def test_columns_of_one_length_share_one_request() -> None:
    cols = [f"1.3.6.1.2.1.2.2.1.{c}" for c in (2, 3, 7, 8)]
    assert group_columns(cols, dict.fromkeys(cols, 12), 25) == [cols]


def test_short_tables_get_their_own_request_when_overshoot_costs_more_than_a_request() -> None:
    ifs = [f"if.{c}" for c in range(5)]  # 12 rows
    ents = [f"ent.{c}" for c in range(7)]  # 4 rows
    sysup = ["sys.3"]  # 1 row
    hints = dict.fromkeys(ifs, 12) | dict.fromkeys(ents, 4) | {"sys.3": 1}
    groups = group_columns(ifs + ents + sysup, hints, 25)
    assert groups == [ifs, ents + sysup]  # 7 x 8 overshoot is worth a request; 1 x 3 is not
    assert 1 * (5 - 2) <= REQUEST_COST_VARBINDS < 7 * (13 - 5)


def test_unknown_columns_walk_with_max_repetitions() -> None:
    assert group_columns(["a", "b", "c"], {"a": 3}, 10) == [["b", "c", "a"]]  # 6 overshoot: not worth it
    assert group_columns(["a", "b", "c"], {"a": 1}, 25) == [["b", "c"], ["a"]]
    assert group_columns(["a"], {"a": 500}, 10) == [["a"]]


def test_request_id_of_a_community_message() -> None:
    from pyasn1.codec.ber import encoder
    from pysnmp.proto import api

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    for rid in (0, 1, 127, 128, 65535, 2**31 - 1, -5):
        pdu = p.GetRequestPDU()
        p.apiPDU.set_defaults(pdu)
        p.apiPDU.set_request_id(pdu, rid)
        p.apiPDU.set_varbinds(pdu, [(p.ObjectIdentifier("1.3.6.1.2.1.1.2.0"), p.Null(""))] * 40)
        msg = p.Message()
        p.apiMessage.set_defaults(msg)
        p.apiMessage.set_community(msg, "x" * 200)  # long-form lengths
        p.apiMessage.set_pdu(msg, pdu)
        assert request_id(bytes(encoder.encode(msg))) == rid
    assert request_id(b"\xff\x00garbage") is None
    assert request_id(b"\x30\x03\x02\x01") is None
