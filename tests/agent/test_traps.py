"""The trap receiver against real notifications sent by net-snmp's ``snmptrap`` / ``snmpinform``.

Each test starts a receiver on 127.0.0.1 (a free port) and sends from the element's own loopback
address (``--clientaddr``), so the receiver maps the sender to the inventory element as it would
in the field. Profiles are the shipped ones (config/profiles).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from agent.poller import Poller
from agent.profiles import Profile, ProfileSet, ResourceIndex, load_profiles
from agent.settings import OpticalThresholds, SnmpPolling
from agent.snmp import SnmpClient
from agent.state import StateTracker
from agent.traps import TrapReceiver, TrapReceiverError, peek_v3, trap_auth
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.configfile.daemon import CredentialSet, SnmpCredentials
from correlator.domain import DeviceKind
from correlator.inventory.model import Device
from correlator.secrets import SecretResolver
from correlator.wire import Action, AlarmEvent, ResourceType, Source
from tests.agent.snmp.peers import device
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
COMMUNITY = "Tr4p-c0mmunity-91x"
AUTH_KEY = "auth-Key-7731-secret"
PRIV_KEY = "priv-Key-5519-secret"
ENGINE_ID = "0x80001f8880a1b2c3d4e5f60718"

LINK_DOWN, LINK_UP = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4"
IF_INDEX, IF_DESCR, IF_ADMIN, IF_OPER = (f"1.3.6.1.2.1.2.2.1.{c}" for c in (1, 2, 7, 8))
ENT_OPER_ENABLED, ENT_OPER_DISABLED = "1.3.6.1.2.1.131.0.1", "1.3.6.1.2.1.131.0.2"
ENT_ADMIN, ENT_ALARM = "1.3.6.1.2.1.131.1.1.1.2", "1.3.6.1.2.1.131.1.1.1.5"
HW_PW_DOWN, HW_PW_UP = "1.3.6.1.4.1.2011.5.25.119.4.1.2.3", "1.3.6.1.4.1.2011.5.25.119.4.1.2.4"
HW_PW_PEER = "1.3.6.1.4.1.2011.5.25.119.4.1.1.1.1.4"


def element(dev_id: str, address: str, kind: DeviceKind, credentials: str = "trap-v2c", port: int = 161) -> Device:
    return device(dev_id, port, credentials=credentials, kind=kind, host=address)


CREDENTIALS = {
    "trap-v2c": CredentialSet(snmp=SnmpCredentials(version="v2c", community="env:TRAP_COMMUNITY")),
    "trap-v3": CredentialSet(
        snmp=SnmpCredentials(
            version="v3",
            user="lwtrap",
            auth_protocol="sha",
            auth_key="env:TRAP_AUTH",
            priv_protocol="aes",
            priv_key="env:TRAP_PRIV",
        )
    ),
    "cpe-before": CredentialSet(snmp=SnmpCredentials(version="v2c", community="env:BEFORE")),
    "cpe-after": CredentialSet(snmp=SnmpCredentials(version="v2c", community="env:AFTER")),
}
ENV = {
    "TRAP_COMMUNITY": COMMUNITY,
    "TRAP_AUTH": AUTH_KEY,
    "TRAP_PRIV": PRIV_KEY,
    "BEFORE": "cpe-before",
    "AFTER": "cpe-after",
}
CPE = element("CPE-T", "127.0.14.1", DeviceKind.cpe)
OSN = element("OSN-T", "127.0.14.2", DeviceKind.sdh)
ATN = element("ATN-T", "127.0.14.3", DeviceKind.ipran, credentials="trap-v3")


@pytest.fixture(scope="module")
def profiles() -> ProfileSet:
    return load_profiles(ROOT / "config" / "profiles")


@pytest.fixture(scope="module")
def net_snmp() -> dict[str, str]:
    tools = {name: shutil.which(name) for name in ("snmptrap", "snmpinform")}
    if not all(tools.values()):
        need("net-snmp's snmptrap is not installed", "apt-get install snmp (scripts/debian-packages.txt)")
    return {k: v for k, v in tools.items() if v}


class Rig:
    """A receiver, the tracker behind it, and a way to send real notifications to it."""

    def __init__(self, receiver: TrapReceiver, tracker: StateTracker, tools: dict[str, str], work: Path) -> None:
        self.receiver = receiver
        self.tracker = tracker
        self.tools = tools
        self.work = work
        self.events: list[AlarmEvent] = []
        receiver.on_events = self.events.extend

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.receiver.port}"

    async def send(self, source: str, args: Sequence[str], tool: str = "snmptrap") -> tuple[int, str]:
        """Run snmptrap/snmpinform from ``source``; returns (exit status, stderr)."""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "SNMPCONFPATH": str(self.work),
            "SNMP_PERSISTENT_DIR": str(self.work),
        }
        proc = await asyncio.create_subprocess_exec(
            self.tools[tool],
            f"--clientaddr={source}",
            "-r",
            "1",
            "-t",
            "2",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        _, err = await proc.communicate()
        return proc.returncode or 0, err.decode(errors="replace")

    async def v2c(self, source: str, trap_oid: str, *varbinds: str, community: str = COMMUNITY) -> None:
        status, err = await self.send(source, ["-v2c", "-c", community, self.target, "", trap_oid, *varbinds])
        assert status == 0, err

    async def v3(self, source: str, trap_oid: str, *varbinds: str, auth_key: str = AUTH_KEY) -> None:
        args = ["-v3", "-e", ENGINE_ID, "-u", "lwtrap", "-l", "authPriv", "-a", "SHA", "-A", auth_key]
        args += ["-x", "AES", "-X", PRIV_KEY, self.target, "", trap_oid, *varbinds]
        status, err = await self.send(source, args)
        assert status == 0, err

    async def seen(self, n: int) -> None:
        """Wait until the receiver has accepted or refused n datagrams in all (bounded, not timed)."""
        stats = self.receiver.stats
        for _ in range(500):
            if stats.accepted + stats.rejected + stats.unknown_sender >= n:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"the receiver did not see {n} notifications: {stats}")


def make_rig(
    profiles: ProfileSet,
    tools: dict[str, str],
    work: Path,
    devices: Sequence[Device],
    profile_for: Callable[[str], Profile | None] | None = None,
    resources_for: Callable[[str], ResourceIndex | None] | None = None,
    accept: Sequence[str] = ("trap-v2c", "trap-v3"),
) -> Rig:
    tracker = StateTracker("agent-trap", load_alarm_types(), ManualClock(T0))
    auth = trap_auth(list(accept), CREDENTIALS, SecretResolver(work, env=ENV))
    assert auth.problems == []
    receiver = TrapReceiver(
        listen="127.0.0.1:0",
        devices=devices,
        auth=auth,
        profiles=profiles,
        on_change=tracker.trap,
        profile_for=profile_for,
        resources_for=resources_for,
    )
    receiver.start()
    return Rig(receiver, tracker, tools, work)


@pytest_asyncio.fixture
async def rig(profiles: ProfileSet, net_snmp: dict[str, str], tmp_path: Path) -> AsyncIterator[Rig]:
    fixed = {"OSN-T": profiles.get("huawei-optix"), "ATN-T": profiles.get("huawei-vrp")}
    r = make_rig(profiles, net_snmp, tmp_path, [CPE, OSN, ATN], profile_for=fixed.get)
    yield r
    r.receiver.close()


@pytest.fixture
def fixtures_sim(snmpsim_server: Callable[[Path], tuple[str, int]]) -> tuple[str, int]:
    """snmpsim serving tests/data/snmp (community = recording name: cpe-before, cpe-after ...)."""
    return snmpsim_server(ROOT / "tests" / "data" / "snmp")


def brief(events: Sequence[AlarmEvent]) -> list[tuple[str, str, str, str, str]]:
    return [(e.action.value, e.device, e.resource.key(), e.alarm_type, e.source.value) for e in events]


@pytest.mark.asyncio
async def test_v2c_link_down_then_link_up(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    # before any poll the CPE has no detected profile: the receiver uses the cpe fallback profile
    await rig.v2c(
        "127.0.14.1", LINK_DOWN, f"{IF_INDEX}.5", "i", "5", f"{IF_ADMIN}.5", "i", "1", f"{IF_OPER}.5", "i", "2",
        f"{IF_DESCR}.5", "s", "GigabitEthernet0/0/2",
    )  # fmt: skip
    await rig.seen(1)
    assert brief(rig.events) == [("raise", "CPE-T", "port:GigabitEthernet0/0/2", "LINK_DOWN", "trap")]
    assert rig.events[0].resource.if_index == 5 and rig.events[0].agent == "agent-trap"
    assert "linkDown" in rig.events[0].detail

    await rig.v2c("127.0.14.1", LINK_DOWN, f"{IF_INDEX}.5", "i", "5", f"{IF_DESCR}.5", "s", "GigabitEthernet0/0/2")
    await rig.seen(2)
    assert len(rig.events) == 1  # the same condition again: one alarm

    await rig.v2c(
        "127.0.14.1", LINK_UP, f"{IF_INDEX}.5", "i", "5", f"{IF_OPER}.5", "i", "1",
        f"{IF_DESCR}.5", "s", "GigabitEthernet0/0/2",
    )  # fmt: skip
    await rig.seen(3)
    assert brief(rig.events)[1] == ("clear", "CPE-T", "port:GigabitEthernet0/0/2", "LINK_DOWN", "trap")
    assert rig.events[1].raised_at == rig.events[0].raised_at
    assert rig.tracker.active("CPE-T") == []
    assert rig.receiver.stats.accepted == 3 and rig.receiver.stats.rejected == 0
    assert COMMUNITY not in caplog.text


@pytest.mark.asyncio
async def test_entity_state_traps_raise_and_clear_board_fault(rig: Rig) -> None:
    # ENTITY-STATE-MIB: entStateOperDisabled with an unlocked admin state and a critical alarm bit
    await rig.v2c("127.0.14.2", ENT_OPER_DISABLED, f"{ENT_ADMIN}.17", "i", "4", f"{ENT_ALARM}.17", "x", "20")
    await rig.seen(1)
    assert brief(rig.events) == [("raise", "OSN-T", "board:entity.17", "BOARD_FAULT", "trap")]
    await rig.v2c("127.0.14.2", ENT_OPER_ENABLED, f"{ENT_ADMIN}.17", "i", "4", f"{ENT_ALARM}.17", "x", "00")
    await rig.seen(2)
    assert brief(rig.events)[1:] == [("clear", "OSN-T", "board:entity.17", "BOARD_FAULT", "trap")]


@pytest.mark.asyncio
async def test_v3_vendor_trap_hw_pw_down_and_up(rig: Rig) -> None:
    # HUAWEI-PWE3-MIB hwPWVcDown from an IPRAN router, SNMPv3 authPriv (SHA/AES) with its own engine ID
    await rig.v3("127.0.14.3", HW_PW_DOWN, f"{HW_PW_PEER}.100.5", "x", "0A000001")
    await rig.seen(1)
    assert brief(rig.events) == [("raise", "ATN-T", "pw:PW-100", "PW_DOWN", "trap")]
    assert rig.events[0].layer == "pw"
    await rig.v3("127.0.14.3", HW_PW_UP, f"{HW_PW_PEER}.100.5", "x", "0A000001")
    await rig.seen(2)
    assert brief(rig.events)[1:] == [("clear", "ATN-T", "pw:PW-100", "PW_DOWN", "trap")]


@pytest.mark.asyncio
async def test_wrong_credentials_are_rejected_and_counted(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.v3("127.0.14.3", HW_PW_DOWN, f"{HW_PW_PEER}.100.5", "x", "0A000001", auth_key="not-the-auth-key-1")
    await rig.v2c("127.0.14.1", LINK_DOWN, f"{IF_INDEX}.5", "i", "5", community="wrong-community-x")
    await rig.seen(2)
    stats = rig.receiver.stats
    assert (stats.rejected, stats.accepted) == (2, 0)
    assert stats.rejected_by_reason == {
        "wrong SNMPv3 authentication key or protocol": 1,
        "unknown community": 1,
    }
    assert rig.events == [] and rig.tracker.active("ATN-T") == []
    assert "ATN-T: trap from 127.0.14.3 rejected: wrong SNMPv3 authentication key" in caplog.text
    for secret in (AUTH_KEY, PRIV_KEY, COMMUNITY, "not-the-auth-key-1", "wrong-community-x"):
        assert secret not in caplog.text
    # the right key still works afterwards
    await rig.v3("127.0.14.3", HW_PW_DOWN, f"{HW_PW_PEER}.100.5", "x", "0A000001")
    await rig.seen(3)
    assert brief(rig.events) == [("raise", "ATN-T", "pw:PW-100", "PW_DOWN", "trap")]


@pytest.mark.asyncio
async def test_unknown_sender_is_counted_and_ignored(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.v2c("127.0.14.99", LINK_DOWN, f"{IF_INDEX}.5", "i", "5")
    await rig.seen(1)
    assert rig.receiver.stats.unknown_sender == 1 and rig.receiver.stats.accepted == 0
    assert rig.events == []
    assert "trap from 127.0.14.99 ignored" in caplog.text


@pytest.mark.asyncio
async def test_unmapped_notification_is_counted(rig: Rig) -> None:
    await rig.v2c("127.0.14.1", "1.3.6.1.4.1.99999.0.1", "1.3.6.1.4.1.99999.1.1.0", "i", "1")
    await rig.seen(1)
    assert rig.receiver.stats.unmapped == 1 and rig.events == []


@pytest.mark.asyncio
async def test_informs_are_answered(rig: Rig) -> None:
    status, err = await rig.send(
        "127.0.14.1",
        ["-v2c", "-c", COMMUNITY, rig.target, "", LINK_DOWN, f"{IF_INDEX}.3", "i", "3", f"{IF_OPER}.3", "i", "2"],
        tool="snmpinform",
    )
    assert status == 0, err  # snmpinform exits 0 only when the receiver acknowledged
    status, err = await rig.send(
        "127.0.14.3",
        ["-v3", "-u", "lwtrap", "-l", "authPriv", "-a", "SHA", "-A", AUTH_KEY, "-x", "AES", "-X", PRIV_KEY,
         rig.target, "", HW_PW_DOWN, f"{HW_PW_PEER}.7.5", "x", "0A000002"],
        tool="snmpinform",
    )  # fmt: skip
    assert status == 0, err
    assert sorted(brief(rig.events)) == [
        ("raise", "ATN-T", "pw:PW-7", "PW_DOWN", "trap"),
        ("raise", "CPE-T", "port:ifIndex.3", "LINK_DOWN", "trap"),
    ]


@pytest.mark.asyncio
async def test_listen_address_in_use_is_a_clear_error(rig: Rig, profiles: ProfileSet) -> None:
    other = TrapReceiver(
        listen=rig.target,
        devices=[],
        auth=rig.receiver.auth,
        profiles=profiles,
        on_change=rig.tracker.trap,
    )
    with pytest.raises(TrapReceiverError, match=r"cannot listen for traps on 127\.0\.0\.1:\d+: .*agent\.traps\.listen"):
        other.start()
    with pytest.raises(TrapReceiverError, match="not HOST:PORT"):
        TrapReceiver(
            listen="nowhere", devices=[], auth=rig.receiver.auth, profiles=profiles, on_change=rig.tracker.trap
        )


def test_auth_problems_name_the_set_never_the_secret(tmp_path: Path) -> None:
    auth = trap_auth(["trap-v2c", "nope", "trap-v3"], CREDENTIALS, SecretResolver(tmp_path, env={}))
    assert auth.communities == [] and auth.users == {}
    text = "\n".join(auth.problems)
    assert "no credential set 'nope'" in text
    assert "credential set 'trap-v2c' left out of the trap receiver: environment variable TRAP_COMMUNITY" in text
    assert "credential set 'trap-v3'" in text


def test_peek_v3_reads_engine_and_user_only_from_v3() -> None:
    assert peek_v3(b"\x30\x03\x02\x01\x01") is None
    assert peek_v3(b"garbage") is None


@pytest.mark.asyncio
async def test_trap_then_poll_is_one_alarm(
    profiles: ProfileSet, net_snmp: dict[str, str], tmp_path: Path, fixtures_sim: tuple[str, int]
) -> None:
    host, port = fixtures_sim
    before = element("CPE-SIM", host, DeviceKind.cpe, credentials="cpe-before", port=port)
    resources: dict[str, ResourceIndex] = {}
    client = SnmpClient()
    poller: Poller | None = None
    rig = make_rig(
        profiles,
        net_snmp,
        tmp_path,
        [before],
        profile_for=lambda d: poller.profile_of(d) if poller else None,
        resources_for=resources.get,
        accept=["trap-v2c"],
    )
    poller = Poller(
        settings=SnmpPolling(timeout_s=1, retries=1),
        profiles=profiles,
        optical=OpticalThresholds(),
        client=client,
        credentials=CREDENTIALS,
        resolver=SecretResolver(tmp_path, env=ENV),
        active=lambda d: [a.condition for a in rig.tracker.active(d)],
    )
    try:
        first = await poller.poll_outcome(before)  # healthy: learn the profile and the port names
        assert first.reached and first.profile == "huawei-ar"
        rig.tracker.observe(first.observation)
        profile = poller.profile_of("CPE-SIM")
        assert profile is not None
        resources["CPE-SIM"] = profile.resources(first.rows, first.complete)

        # GigabitEthernet0/0/4 (ifIndex 7) goes down: the trap carries only the ifIndex
        await rig.v2c(host, LINK_DOWN, f"{IF_INDEX}.7", "i", "7", f"{IF_ADMIN}.7", "i", "1", f"{IF_OPER}.7", "i", "2")
        await rig.seen(1)
        trap_events = [e for e in rig.events if e.alarm_type == "LINK_DOWN"]
        assert brief(trap_events) == [("raise", "CPE-SIM", "port:GigabitEthernet0/0/4", "LINK_DOWN", "trap")]

        # the next poll sees the port down too (the "after" recording): no second alarm
        after = before.model_copy(update={"credentials": "cpe-after"})
        second = await poller.poll_outcome(after)
        assert second.reached and "interfaces" in second.observation.scopes
        poll_events = rig.tracker.observe(second.observation)
        assert [e for e in poll_events if e.alarm_type == "LINK_DOWN"] == []
        held = [a for a in rig.tracker.active("CPE-SIM") if a.condition.alarm_type == "LINK_DOWN"]
        assert [(a.condition.resource.id, a.source) for a in held] == [("GigabitEthernet0/0/4", Source.trap)]

        # and when the port is back (the "before" recording), the poll clears the trap's alarm
        third = await poller.poll_outcome(before)
        cleared = [e for e in rig.tracker.observe(third.observation) if e.alarm_type == "LINK_DOWN"]
        assert [(e.action, e.resource.id, e.source, e.raised_at) for e in cleared] == [
            (Action.clear, "GigabitEthernet0/0/4", Source.poll, trap_events[0].raised_at)
        ]
        assert cleared[0].resource.type is ResourceType.port
    finally:
        rig.receiver.close()
        client.close()
