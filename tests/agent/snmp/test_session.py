"""The SNMP layer against real agents on loopback: snmpsim serving a real recording, net-snmp's
snmpd (v1, v2c, v3 authPriv), a silent port and two misbehaving UDP servers."""

from __future__ import annotations

import asyncio
import logging

import pytest

from agent.snmp import CredentialError, FailureReason, SnmpClient, SnmpError
from agent.snmprec import load_snmprec, table_rows
from correlator.configfile.daemon import SnmpCredentials
from tests.agent.snmp.peers import (  # noqa: F401  (snmpd_fixture, snmpsim_fixture: fixtures)
    IF_ADMIN,
    IF_COLUMNS,
    IF_DESCR,
    IF_OPER,
    READY,
    StartSnmpd,
    StartSnmpsim,
    garbage,
    if_table_overrides,
    misbehaving_server,
    proxy_server,
    real_devices,
    resolver,
    silent_port,
    snmpd_fixture,
    snmpsim_fixture,
    wrong_request_id,
)

pytestmark = pytest.mark.asyncio

SYS = ["1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.3.0"]
ENT_PHYSICAL_DESCR = "1.3.6.1.2.1.47.1.1.1.1.2"
IP_ADDR_TABLE_ADDR = "1.3.6.1.2.1.4.20.1.1"


def v2c_session(client: SnmpClient, port: int, community: str, *, version: str = "v2c", timeout: float = 1.0):  # type: ignore[no-untyped-def]
    creds = SnmpCredentials(version=version, community="env:COMMUNITY")  # type: ignore[arg-type]
    auth = client.auth("test-set", creds, resolver(COMMUNITY=community))
    return client.open_session("DEV-1", "127.0.0.1", port, auth, timeout_s=timeout, retries=0)


async def test_walk_of_a_real_recording_equals_the_recording(snmpsim: StartSnmpsim) -> None:
    source = real_devices() / "librenms__vrp_ar169sfp.snmprec"
    sim = snmpsim({"ar169": source})
    recorded = load_snmprec(source)
    client = SnmpClient()
    try:
        session = v2c_session(client, sim.port, "ar169")
        system = await session.get(SYS)
        assert system["1.3.6.1.2.1.1.2.0"] == recorded.get("1.3.6.1.2.1.1.2.0") == "1.3.6.1.4.1.2011.2.224.62"
        assert isinstance(system["1.3.6.1.2.1.1.1.0"], bytes) and b"Huawei" in system["1.3.6.1.2.1.1.1.0"]

        result = await session.walk(IF_COLUMNS, max_repetitions=10)
        assert result.failure is None
        assert all(col.ended for col in result.columns.values())
        walked = {c: col.cells for c, col in result.columns.items()}
        expected = table_rows(recorded.values, IF_COLUMNS)
        assert len(expected) == 16  # the AR169's 16 interfaces
        for column in IF_COLUMNS:
            assert walked[column] == {i: row[column] for i, row in expected.items() if column in row}
        assert result.varbinds >= sum(len(c) for c in walked.values())
    finally:
        client.close()


async def test_every_value_type_reads_as_recorded(snmpsim: StartSnmpsim) -> None:
    """Counters, gauges, TimeTicks, IpAddress, OIDs and strings of a real switch, walked through
    our engine (flat v2c spec), equal the recording read by agent.snmprec."""
    source = real_devices() / "librenms__vrp_5720.snmprec"
    sim = snmpsim({"s5720": source})
    recorded = load_snmprec(source)
    columns = [
        "1.3.6.1.2.1.2.2.1.9",  # ifLastChange, TimeTicks
        "1.3.6.1.2.1.2.2.1.13",  # ifInDiscards, Counter32
        "1.3.6.1.2.1.31.1.1.1.6",  # ifHCInOctets, Counter64
        "1.3.6.1.2.1.31.1.1.1.15",  # ifHighSpeed, Gauge32
        "1.3.6.1.2.1.31.1.1.1.1",  # ifName, OCTET STRING
        "1.3.6.1.2.1.4.20.1.3",  # ipAdEntNetMask, IpAddress
        "1.0.8802.1.1.2.1.4.1.1.5",  # lldpRemChassisId, binary OCTET STRING
        "1.3.6.1.2.1.1.2",  # sysObjectID, OBJECT IDENTIFIER
    ]
    client = SnmpClient()
    try:
        session = v2c_session(client, sim.port, "s5720")
        walk = await session.walk(columns, max_repetitions=40)
        assert walk.failure is None
        for column in columns:
            expected = {i: row[column] for i, row in table_rows(recorded.values, [column]).items()}
            assert expected, column
            assert walk.columns[column].cells == expected, column
        kinds = {type(v) for col in walk.columns.values() for v in col.cells.values()}
        assert kinds == {int, str, bytes}
    finally:
        client.close()


async def test_known_row_counts_cut_the_round_trips(snmpd: StartSnmpd) -> None:
    agent = snmpd(if_table_overrides(12))
    client = SnmpClient()
    try:
        session = v2c_session(client, agent.port, READY)
        first = await session.walk(IF_COLUMNS, max_repetitions=50, scalars=SYS)
        assert first.failure is None
        assert {len(c.cells) for c in first.columns.values()} == {12}
        assert first.scalars["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.2011.2.224.279"
        hints = {c: len(col.cells) for c, col in first.columns.items()}
        again = await session.walk(IF_COLUMNS, max_repetitions=50, scalars=SYS, expected_rows=hints)
        assert again.failure is None
        assert {c: col.cells for c, col in again.columns.items()} == {c: col.cells for c, col in first.columns.items()}
        # 8 columns x (12 rows + the OID that shows the end) + 3 scalars: nothing else is read
        assert again.varbinds == 8 * 13 + 3
        assert again.varbinds < first.varbinds
    finally:
        client.close()


async def test_snmpv1_walks_with_getnext_to_the_end_of_the_mib(snmpd: StartSnmpd) -> None:
    agent = snmpd(if_table_overrides(5))
    client = SnmpClient()
    try:
        session = v2c_session(client, agent.port, READY, version="v1")
        result = await session.walk([IF_DESCR, IF_OPER, "1.3.6.1.6.3.99"], max_repetitions=25, scalars=SYS[:1])
        assert result.failure is None
        assert len(result.columns[IF_DESCR].cells) == 5
        assert result.columns[IF_OPER].cells == {str(i): 1 for i in range(1, 6)}
        beyond = result.columns["1.3.6.1.6.3.99"]
        assert beyond.ended and beyond.end_of_mib and not beyond.cells  # v1 noSuchName past the end
        assert result.scalars["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.2011.2.224.279"
        assert await session.get(["1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.99.0"]) == {
            "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.2011.2.224.279",
            "1.3.6.1.2.1.1.99.0": None,
        }
    finally:
        client.close()


async def test_probe_tells_not_implemented_from_empty(snmpd: StartSnmpd) -> None:
    agent = snmpd()
    client = SnmpClient()
    try:
        session = v2c_session(client, agent.port, READY)
        walk = await session.walk([ENT_PHYSICAL_DESCR], max_repetitions=10)
        assert walk.failure is None and walk.columns[ENT_PHYSICAL_DESCR].ended
        assert walk.columns[ENT_PHYSICAL_DESCR].cells == {}
        answers = await session.probe([ENT_PHYSICAL_DESCR, IP_ADDR_TABLE_ADDR])
        assert answers == {ENT_PHYSICAL_DESCR: "noSuchObject", IP_ADDR_TABLE_ADDR: "noSuchInstance"}
    finally:
        client.close()


V3_USERS = [
    'createUser alice SHA "alice-auth-key" AES "alice-priv-key"',
    'createUser carol SHA-256 "carol-auth-key" AES "carol-priv-key"',
    'createUser bob MD5 "bob-auth-key1" DES "bob-priv-key1"',
    "rouser alice authpriv",
    "rouser carol authpriv",
    "rouser bob authpriv",
]


def v3(user: str, auth: str, priv: str) -> SnmpCredentials:
    return SnmpCredentials(
        version="v3",
        user=user,
        auth_protocol=auth,  # type: ignore[arg-type]
        auth_key=f"env:{user.upper()}_AUTH",
        priv_protocol=priv,  # type: ignore[arg-type]
        priv_key=f"env:{user.upper()}_PRIV",
    )


KEYS = {
    "ALICE_AUTH": "alice-auth-key",
    "ALICE_PRIV": "alice-priv-key",
    "CAROL_AUTH": "carol-auth-key",
    "CAROL_PRIV": "carol-priv-key",
    "BOB_AUTH": "bob-auth-key1",
    "BOB_PRIV": "bob-priv-key1",
}


@pytest.mark.parametrize(
    ("user", "auth", "priv"),
    [("alice", "sha", "aes"), ("carol", "sha256", "aes"), ("bob", "md5", "des")],
    ids=["sha-aes", "sha256-aes", "md5-des"],
)
async def test_snmpv3_auth_priv(snmpd: StartSnmpd, user: str, auth: str, priv: str) -> None:
    agent = snmpd([*V3_USERS, *if_table_overrides(3)])
    client = SnmpClient()
    try:
        creds = client.auth(f"{user}-set", v3(user, auth, priv), resolver(**KEYS))
        session = client.open_session(f"V3-{user}", agent.host, agent.port, creds, timeout_s=1, retries=0)
        system = await session.get(SYS[:1])
        assert system == {"1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.2011.2.224.279"}
        walk = await session.walk([IF_DESCR, IF_ADMIN], max_repetitions=10, scalars=SYS[1:2])
        assert walk.failure is None
        assert walk.columns[IF_ADMIN].cells == {"1": 1, "2": 1, "3": 1}
    finally:
        client.close()


@pytest.mark.parametrize(
    ("env", "wrong"),
    [
        ({"ALICE_AUTH": "not-the-auth-key"}, "auth key"),
        ({"ALICE_PRIV": "not-the-priv-key"}, "priv key"),
    ],
)
async def test_snmpv3_wrong_key_is_an_auth_failure(
    snmpd: StartSnmpd, env: dict[str, str], wrong: str, caplog: pytest.LogCaptureFixture
) -> None:
    agent = snmpd(V3_USERS)
    client = SnmpClient()
    keys = KEYS | env
    try:
        creds = client.auth("alice-set", v3("alice", "sha", "aes"), resolver(**keys))
        session = client.open_session("V3-WRONG", agent.host, agent.port, creds, timeout_s=1, retries=0)
        with caplog.at_level(logging.DEBUG), pytest.raises(SnmpError) as caught:
            await session.get(SYS[:1])
        assert caught.value.reason is FailureReason.auth, (wrong, caught.value)
        text = str(caught.value) + repr(session) + caplog.text
        for secret in keys.values():
            assert secret not in text
    finally:
        client.close()


async def test_snmpv3_unknown_user_is_an_auth_failure(snmpd: StartSnmpd) -> None:
    agent = snmpd(V3_USERS)
    client = SnmpClient()
    try:
        creds = client.auth(
            "mallory-set", v3("mallory", "sha", "aes"), resolver(MALLORY_AUTH="x" * 12, MALLORY_PRIV="y" * 12)
        )
        session = client.open_session("V3-UNKNOWN", agent.host, agent.port, creds, timeout_s=1, retries=0)
        with pytest.raises(SnmpError) as caught:
            await session.get(SYS[:1])
        assert caught.value.reason is FailureReason.auth
    finally:
        client.close()


async def test_one_v3_user_name_with_two_key_sets_is_refused() -> None:
    client = SnmpClient()
    try:
        a = client.auth("set-a", v3("alice", "sha", "aes"), resolver(**KEYS))
        b = client.auth("set-b", v3("alice", "sha", "aes"), resolver(**(KEYS | {"ALICE_PRIV": "other-priv-key"})))
        client.open_session("A", "127.0.0.1", 16100, a, timeout_s=1, retries=0)
        client.open_session("A2", "127.0.0.1", 16101, a, timeout_s=1, retries=0)  # same keys: fine
        with pytest.raises(CredentialError) as caught:
            client.open_session("B", "127.0.0.1", 16102, b, timeout_s=1, retries=0)
        assert "set-b" in str(caught.value) and "alice" in str(caught.value)
        assert "other-priv-key" not in str(caught.value)
    finally:
        client.close()


async def test_short_v3_key_is_refused_with_the_set_named() -> None:
    client = SnmpClient()
    try:
        with pytest.raises(CredentialError) as caught:
            client.auth("weak-set", v3("alice", "sha", "aes"), resolver(**(KEYS | {"ALICE_AUTH": "short"})))
        assert "weak-set" in str(caught.value) and "auth_key" in str(caught.value)
        assert "short" not in str(caught.value).replace("shorter", "")
        with pytest.raises(CredentialError) as missing_env:
            client.auth("nokey-set", v3("alice", "sha", "aes"), resolver())
        assert "nokey-set" in str(missing_env.value) and "ALICE_AUTH" in str(missing_env.value)
    finally:
        client.close()


async def test_nothing_listening_is_a_timeout() -> None:
    client = SnmpClient()
    try:
        session = v2c_session(client, silent_port(), "public", timeout=0.3)
        with pytest.raises(SnmpError) as caught:
            await session.get(SYS)
        assert caught.value.reason is FailureReason.timeout
        walk = await session.walk(IF_COLUMNS, max_repetitions=10)
        assert walk.failure is not None and walk.failure.reason is FailureReason.timeout
        assert not any(c.ended for c in walk.columns.values())
    finally:
        client.close()


@pytest.mark.parametrize("answer", [garbage, wrong_request_id], ids=["garbage", "wrong-request-id"])
async def test_a_reply_that_is_not_usable_is_malformed(answer) -> None:  # type: ignore[no-untyped-def]
    transport, server, port = await misbehaving_server(answer)
    client = SnmpClient()
    try:
        session = v2c_session(client, port, "public", timeout=0.3)
        with pytest.raises(SnmpError) as caught:
            await session.get(SYS)
        assert server.requests >= 1
        assert caught.value.reason is FailureReason.malformed
        assert client.rejected(("127.0.0.1", port)) >= 1
        walk = await session.walk([IF_DESCR], max_repetitions=10)
        assert walk.failure is not None and walk.failure.reason is FailureReason.malformed
    finally:
        client.close()
        transport.close()


async def test_a_late_or_duplicated_reply_is_not_malformed(snmpd: StartSnmpd) -> None:
    """A second copy of a reply (as a retry leaves behind) is dropped quietly; a later silence is a timeout."""
    agent = snmpd(if_table_overrides(3))
    proxy, port = await proxy_server((agent.host, agent.port), lambda n: n <= 3, duplicate=True)
    client = SnmpClient()
    try:
        session = v2c_session(client, port, READY, timeout=0.3)
        for _ in range(3):
            assert (await session.get(SYS[:1]))["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.2011.2.224.279"
        await asyncio.sleep(0.05)  # let the duplicates arrive
        assert client.rejected(("127.0.0.1", port)) == 0
        with pytest.raises(SnmpError) as caught:
            await session.get(SYS[:1])  # the proxy forwards nothing any more
        assert caught.value.reason is FailureReason.timeout
    finally:
        client.close()
        proxy.close()
