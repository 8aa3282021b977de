"""The poll engine end to end: real profiles (config/profiles), real agents on loopback.

snmpsim serves recordings of real elements; net-snmp's snmpd serves an IF-MIB built for the test
(and lacks ENTITY-MIB and the Huawei tables: noSuchObject); a silent port, a garbage server, a
wrong-request-id server and a proxy that stops forwarding mid-walk are the bad elements.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from agent.metrics import AgentMetrics
from agent.observation import Observation
from agent.poller import REACHABILITY, UNREACHABLE, Poller
from agent.profiles import ProfileSet, Rows, load_profiles
from agent.settings import OpticalThresholds, SnmpPolling
from agent.snmp import FailureReason, SnmpClient
from agent.snmprec import load_snmprec
from agent.state import StateTracker
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.configfile.daemon import CredentialSet
from correlator.domain import DeviceKind
from correlator.inventory.model import Device
from correlator.wire import Action, ResourceType
from tests.agent.snmp.peers import (  # noqa: F401  (snmpd_fixture, snmpsim_fixture: fixtures)
    READY,
    StartSnmpd,
    StartSnmpsim,
    credential_sets,
    device,
    garbage,
    if_table_overrides,
    ipv6_loopback,
    misbehaving_server,
    proxy_server,
    real_devices,
    resolver,
    silent_port,
    snmpd_fixture,
    snmpsim_fixture,
    sorted_snmprec,
    v2c,
    wrong_request_id,
)

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-Community-7f1"
"""A community that must never show up in a log line or an error text."""


@pytest.fixture(scope="module")
def profiles() -> ProfileSet:
    return load_profiles(ROOT / "config" / "profiles")


@pytest_asyncio.fixture
async def client() -> AsyncIterator[SnmpClient]:
    snmp = SnmpClient()
    yield snmp
    snmp.close()


def make_poller(
    profiles: ProfileSet,
    client: SnmpClient,
    credentials: dict[str, CredentialSet],
    env: dict[str, str],
    metrics: AgentMetrics | None = None,
    **settings: float,
) -> Poller:
    polling = SnmpPolling(**({"timeout_s": 0.5, "retries": 0} | settings))  # type: ignore[arg-type]
    return Poller(
        settings=polling,
        profiles=profiles,
        optical=OpticalThresholds(),
        client=client,
        credentials=credentials,
        resolver=resolver(**env),
        metrics=metrics,
    )


RECORDINGS = {
    "ar169": ("librenms__vrp_ar169sfp.snmprec", DeviceKind.cpe, "huawei-ar"),
    "ne8000": ("librenms__vrp_ne8000-m8.snmprec", DeviceKind.ipran, "huawei-vrp"),
    "zxr5950": ("librenms__zxr10_5950.snmprec", DeviceKind.ipran, "zte-zxr10"),
}


async def test_real_recordings_are_polled_with_their_profiles(
    snmpsim: StartSnmpsim, profiles: ProfileSet, client: SnmpClient
) -> None:
    sim = snmpsim({name: real_devices() / file for name, (file, _, _) in RECORDINGS.items()})
    creds = credential_sets(**{name: v2c(name.upper()) for name in RECORDINGS})
    poller = make_poller(profiles, client, creds, {name.upper(): name for name in RECORDINGS}, timeout_s=2)
    devices = [device(f"NE-{name}", sim.port, credentials=name, kind=kind) for name, (_, kind, _) in RECORDINGS.items()]

    first = {o.device: o for o in await poller.poll_many(devices)}
    for name, (_, _, profile_id) in RECORDINGS.items():
        outcome = first[f"NE-{name}"]
        assert outcome.reached, outcome.errors
        assert outcome.profile == profile_id
        assert {"system", "interfaces"} <= outcome.complete
        assert REACHABILITY in outcome.observation.scopes and "interfaces" in outcome.observation.scopes
        assert len(outcome.rows["interfaces"]) >= 10
        assert outcome.observation.varbinds > 50 and outcome.varbinds >= outcome.observation.varbinds
        recorded_uptime = load_snmprec(real_devices() / RECORDINGS[name][0]).get("1.3.6.1.2.1.1.3.0")
        assert outcome.observation.uptime_ticks == recorded_uptime
        assert any(g.name == "interface_oper_up" for g in outcome.observation.gauges)
    ne8000 = first["NE-ne8000"]
    assert "hwOpticalModuleInfo" in ne8000.complete
    assert any(g.name == "optical_rx_dbm" for g in ne8000.observation.gauges)

    second = {o.device: o for o in await poller.poll_many(devices)}
    for name in RECORDINGS:
        before, after = first[f"NE-{name}"], second[f"NE-{name}"]
        assert after.profile == before.profile and after.complete == before.complete
        assert _without_uptime(after.rows) == _without_uptime(before.rows)
        # the system group rides in the walk and the row counts are known: fewer round trips
        assert after.requests <= before.requests
        assert after.varbinds < before.varbinds


async def test_profile_is_detected_again_when_sys_object_id_changes(
    snmpsim: StartSnmpsim, profiles: ProfileSet, client: SnmpClient
) -> None:
    sim = snmpsim(
        {
            "before": real_devices() / "librenms__vrp_ar169sfp.snmprec",
            "after": real_devices() / "librenms__vrp_ne8000-m8.snmprec",
        }
    )
    creds = credential_sets(**{"set-before": v2c("BEFORE"), "set-after": v2c("AFTER")})
    poller = make_poller(profiles, client, creds, {"BEFORE": "before", "AFTER": "after"}, timeout_s=2)
    element = device("NE-SWAP", sim.port, credentials="set-before", kind=DeviceKind.cpe)
    first = await poller.poll_outcome(element)
    assert first.profile == "huawei-ar"
    # the element is replaced behind the same id (here: the recording behind another community)
    swapped = element.model_copy(update={"credentials": "set-after"})
    second = await poller.poll_outcome(swapped)
    assert second.reached, second.errors
    assert second.profile == "huawei-vrp"
    assert poller.profile_of("NE-SWAP") is profiles.get("huawei-vrp")
    assert {"interfaces", "hwOpticalModuleInfo"} <= second.complete


async def test_unreachable_after_n_failed_polls_and_cleared_by_the_next_answer(
    snmpd: StartSnmpd, profiles: ProfileSet, client: SnmpClient
) -> None:
    agent = snmpd(if_table_overrides(4))
    metrics = AgentMetrics()
    poller = make_poller(
        profiles, client, credential_sets(v2c=v2c("C")), {"C": READY}, metrics, unreachable_after=2, timeout_s=0.3
    )
    tracker = StateTracker("agent-t", load_alarm_types(), ManualClock(datetime(2025, 1, 1, tzinfo=UTC)))
    down = device("CPE-DOWN", silent_port())

    one = await poller.poll_outcome(down)
    assert one.reason is FailureReason.timeout
    assert one.observation.scopes == set() and one.observation.conditions == []
    assert tracker.observe(one.observation) == []

    two = await poller.poll_outcome(down)
    assert two.reason is FailureReason.timeout
    (cond,) = two.observation.conditions
    assert cond.alarm_type == UNREACHABLE and cond.scope == REACHABILITY
    assert cond.resource.type is ResourceType.device and cond.resource.id == "CPE-DOWN"
    assert two.observation.scopes == {REACHABILITY}
    raised = tracker.observe(two.observation)
    assert [(e.action, e.alarm_type) for e in raised] == [(Action.raise_, UNREACHABLE)]
    assert tracker.observe((await poller.poll_outcome(down)).observation) == []  # still down: nothing new

    back = down.model_copy(update={"snmp": down.snmp.model_copy(update={"port": agent.port})})
    three = await poller.poll_outcome(back)
    assert three.reached
    assert REACHABILITY in three.observation.scopes
    assert not [c for c in three.observation.conditions if c.alarm_type == UNREACHABLE]
    cleared = tracker.observe(three.observation)
    assert (Action.clear, UNREACHABLE) in [(e.action, e.alarm_type) for e in cleared]

    text = metrics.exposition().decode()
    assert 'linewatch_agent_poll_errors_total{reason="timeout"} 3.0' in text
    assert 'linewatch_agent_device_up{device="CPE-DOWN"} 1.0' in text


async def test_table_the_element_does_not_implement_is_no_such_object(
    snmpd: StartSnmpd, profiles: ProfileSet, client: SnmpClient
) -> None:
    agent = snmpd(if_table_overrides(6, oper_down=[2]))  # a Huawei AR sysObjectID, but no ENTITY-MIB
    metrics = AgentMetrics()
    poller = make_poller(profiles, client, credential_sets(v2c=v2c("C")), {"C": READY}, metrics)
    outcome = await poller.poll_outcome(device("AR-NOENT", agent.port))
    assert outcome.reached and outcome.profile == "huawei-ar"
    assert {"system", "interfaces"} <= outcome.complete
    missing = {"entPhysical", "entAliasMapping", "hwOpticalModuleInfo"}
    assert not missing & outcome.complete
    assert [r for r, _ in outcome.errors].count(FailureReason.no_such_object) == len(missing)
    obs = outcome.observation
    assert not missing & obs.scopes
    assert [(c.resource.id, c.alarm_type) for c in obs.conditions] == [("GE0/0/2", "LINK_DOWN")]
    assert 'linewatch_agent_poll_errors_total{reason="no_such_object"} 3.0' in metrics.exposition().decode()


async def test_recording_that_stops_mid_table_is_truncated_not_complete(
    snmpsim: StartSnmpsim, profiles: ProfileSet, client: SnmpClient
) -> None:
    text = (real_devices() / "librenms__vrp_ar169sfp.snmprec").read_text(encoding="iso-8859-1")
    lines = sorted_snmprec(text).splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("1.3.6.1.2.1.31.1.1.1.1.8|"))
    sim = snmpsim({"cut": "\n".join(lines[: cut + 1]) + "\n"})  # ifName stops after 8 of 16 rows
    poller = make_poller(profiles, client, credential_sets(v2c=v2c("C")), {"C": "cut"})
    outcome = await poller.poll_outcome(device("AR-CUT", sim.port))
    assert outcome.reached
    assert "interfaces" not in outcome.complete and "interfaces" not in outcome.observation.scopes
    assert "system" in outcome.complete
    assert FailureReason.truncated in [r for r, _ in outcome.errors]


async def test_walk_that_breaks_off_is_truncated(
    snmpsim: StartSnmpsim, profiles: ProfileSet, client: SnmpClient
) -> None:
    sim = snmpsim({"ar169": real_devices() / "librenms__vrp_ar169sfp.snmprec"})
    proxy, port = await proxy_server((sim.host, sim.port), lambda n: n <= 2)  # the GET and one GETBULK
    try:
        poller = make_poller(
            profiles, client, credential_sets(v2c=v2c("C")), {"C": "ar169"}, max_repetitions=4, timeout_s=0.3
        )
        outcome = await poller.poll_outcome(device("AR-FLAKY", port))
        assert outcome.reached  # the system group was read
        assert outcome.complete == {"system"}  # sysUpTime's one-row column ended in the first reply
        assert outcome.observation.scopes == {REACHABILITY, "system"}
        assert [r for r, _ in outcome.errors] == [FailureReason.truncated]
        assert 0 < len(outcome.rows["interfaces"]) < 16
    finally:
        proxy.close()


async def test_bad_elements_never_disturb_the_good_ones(
    snmpsim: StartSnmpsim, snmpd: StartSnmpd, profiles: ProfileSet, client: SnmpClient, caplog: pytest.LogCaptureFixture
) -> None:
    sim = snmpsim({"ar169": real_devices() / "librenms__vrp_ar169sfp.snmprec"})
    agent = snmpd(if_table_overrides(6, oper_down=[3]))
    junk, _, junk_port = await misbehaving_server(garbage)
    liar, _, liar_port = await misbehaving_server(wrong_request_id)
    try:
        creds = credential_sets(sim=v2c("SIM"), snmpd=v2c("SNMPD"), secret=v2c("SECRET"))
        env = {"SIM": "ar169", "SNMPD": READY, "SECRET": SECRET}
        good = [device("GOOD-SIM", sim.port, credentials="sim"), device("GOOD-SNMPD", agent.port, credentials="snmpd")]
        bad = [
            device("BAD-GARBAGE", junk_port, credentials="secret"),
            device("BAD-WRONGID", liar_port, credentials="secret"),
            device("BAD-SILENT", silent_port(), credentials="secret"),
            device("BAD-NOCREDS", sim.port, credentials="no-such-set"),
        ]
        alone = {o.device: o for o in await make_poller(profiles, SnmpClient(), creds, env).poll_many(good)}

        metrics = AgentMetrics()
        poller = make_poller(profiles, client, creds, env, metrics, timeout_s=0.3)
        with caplog.at_level(logging.DEBUG):
            together = {o.device: o for o in await poller.poll_many([bad[0], good[0], bad[1], bad[2], good[1], bad[3]])}

        for d in good:
            assert together[d.id].reached
            assert together[d.id].complete == alone[d.id].complete
            assert _without_uptime(together[d.id].rows) == _without_uptime(alone[d.id].rows)
            assert _conditions(together[d.id].observation) == _conditions(alone[d.id].observation)
        reasons = {d.id: together[d.id].reason for d in bad}
        assert reasons == {
            "BAD-GARBAGE": FailureReason.malformed,
            "BAD-WRONGID": FailureReason.malformed,
            "BAD-SILENT": FailureReason.timeout,
            "BAD-NOCREDS": FailureReason.other,
        }
        for d in bad:
            assert together[d.id].observation.scopes == set()  # one failed poll changes nothing yet
            assert d.id in caplog.text
        assert "no-such-set" in caplog.text
        assert SECRET not in caplog.text
        assert all(SECRET not in p for o in together.values() for p in o.observation.problems)

        text = metrics.exposition().decode()
        assert 'linewatch_agent_poll_errors_total{reason="malformed"} 2.0' in text
        assert 'linewatch_agent_poll_errors_total{reason="timeout"} 1.0' in text
        assert 'linewatch_agent_poll_errors_total{reason="other"} 1.0' in text
        assert 'linewatch_agent_device_up{device="GOOD-SIM"} 1.0' in text
        assert 'linewatch_agent_device_up{device="BAD-GARBAGE"} 0.0' in text
        assert SECRET not in text
    finally:
        junk.close()
        liar.close()


def _without_uptime(rows: dict[str, Rows]) -> dict[str, Rows]:
    return {name: table for name, table in rows.items() if name != "system"}  # sysUpTime moves on


def _conditions(obs: Observation) -> list[tuple[str, str, str]]:
    return sorted((c.resource.key(), c.alarm_type, c.scope) for c in obs.conditions)


async def test_forget_closes_the_session(snmpd: StartSnmpd, profiles: ProfileSet, client: SnmpClient) -> None:
    agent = snmpd(if_table_overrides(2))
    metrics = AgentMetrics()
    poller = make_poller(profiles, client, credential_sets(v2c=v2c("C")), {"C": READY}, metrics)
    element: Device = device("CPE-GONE", agent.port)
    assert (await poller.poll_outcome(element)).reached
    assert client.session("CPE-GONE") is not None
    poller.forget("CPE-GONE")
    assert client.session("CPE-GONE") is None and poller.profile_of("CPE-GONE") is None
    assert 'device="CPE-GONE"' not in metrics.exposition().decode()
    assert (await poller.poll_outcome(element)).reached  # and it can come back


async def test_element_managed_over_ipv6(snmpd: StartSnmpd, profiles: ProfileSet, client: SnmpClient) -> None:
    if not ipv6_loopback():
        pytest.skip("no IPv6 loopback on this machine")
    agent = snmpd(if_table_overrides(3, oper_down=[1]), host="::1")
    poller = make_poller(profiles, client, credential_sets(v2c=v2c("C")), {"C": READY})
    element = device("CPE-V6", agent.port, host="::1")
    for _ in range(2):  # the second poll takes the other path (system group inside the walk)
        outcome = await poller.poll_outcome(element)
        assert outcome.reached and outcome.profile == "huawei-ar"
        assert "interfaces" in outcome.complete
        assert [(c.resource.id, c.alarm_type) for c in outcome.observation.conditions] == [("GE0/0/1", "LINK_DOWN")]
