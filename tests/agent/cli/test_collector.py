"""CLI polls of simulated elements through the collector and the state tracker: raise and clear on
every platform, failures as data (classified, logged, counted), COLLECTION_FAILED after N failed
polls and cleared by the next good one, unparsed output failing only its own scope."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from agent.cli.collector import COLLECTION_FAILED, CliCollector, CliOutcome
from agent.cli.errors import CliFailure
from agent.cli.metrics import CliMetrics
from agent.cli.observe import load_vendor_alarms
from agent.cli.platform import load_platforms
from agent.cli.pool import SessionPool
from agent.cli.targets import CliDevice, select_cli_devices
from agent.settings import AgentSettings, CliPolling
from agent.settings import CliDevice as CliEntry
from agent.state import StateTracker
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.configfile.daemon import CliCredentials, CredentialSet
from correlator.domain import DeviceKind, DeviceRole
from correlator.inventory.model import Device
from correlator.secrets import SecretResolver
from correlator.wire import Action, AlarmEvent, Source
from tests.agent.cli import simdata
from tests.agent.cli.conftest import HOST, PASSWORD, USER, CliSim, SimFactory, free_port

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

KINDS = {"huawei_vrp": DeviceKind.ipran, "zte_zxros": DeviceKind.ipran, "tl1": DeviceKind.sdh}
EXPECTED = {
    "VRP-1": {("port:GigabitEthernet0/2/1", "LINK_DOWN"), ("pw:PW-20021", "PW_DOWN")},
    "ZTE-1": {("port:xgei-1/1/0/2", "LINK_DOWN"), ("pw:PW-20021", "PW_DOWN")},
    "TL1-1": {("port:11-SL16-1", "LOS"), ("path:11-SL16-1-1", "AU_AIS")},
}


class Rig:
    """A collector over the simulator's elements, with its own tracker, clock and metrics."""

    def __init__(self, sim: CliSim, *, password: str = PASSWORD, failed_after: int = 3, **cli: Any) -> None:
        self.sim = sim
        self.registry = CollectorRegistry()
        self.metrics = CliMetrics(self.registry)
        types = load_alarm_types()
        inventory = {
            d: Device(
                id=d,
                name=d,
                kind=KINDS[spec["platform"]],
                vendor="huawei",
                platform="test",
                role=DeviceRole.access,
                site="SITE-1",
                mgmt_address=ip_address(HOST),
                credentials="sim",
                cli_platform=spec["platform"],
            )
            for d, spec in sim.devices.items()
        }
        settings = AgentSettings(
            cli=CliPolling(
                enabled=True,
                devices=[
                    CliEntry(device=d, transport=s["transport"], port=sim.port(d)) for d, s in sim.devices.items()
                ],
                connect_timeout_s=2,
                banner_timeout_s=2,
                auth_timeout_s=2,
                read_timeout_s=2,
                session_timeout_s=30,
                failed_after=failed_after,
                **cli,
            )
        )
        creds = {"sim": CredentialSet(cli=CliCredentials(username=USER, password="env:SIM_PW"))}
        issues: list[str] = []
        selection = select_cli_devices(
            inventory,
            creds,
            settings,
            load_platforms(),
            SecretResolver(sim.root, env={"SIM_PW": password}),
            lambda path, message, fix: issues.append(f"{path}: {message}"),
        )
        assert issues == [] and selection.skipped == {}
        self.devices: dict[str, CliDevice] = {d.id: d for d in selection.devices}
        self.clock = ManualClock(datetime(2026, 11, 21, 14, 0, tzinfo=UTC))
        self.tracker = StateTracker("agent-test", types, self.clock)
        self.pool = SessionPool(settings.cli.workers)
        self.collector = CliCollector(
            settings=settings.cli,
            pool=self.pool,
            alarm_names=load_vendor_alarms(),
            alarm_types=types,
            metrics=self.metrics,
            active=lambda d: [a.condition for a in self.tracker.active(d)],
        )
        self.last: CliOutcome | None = None

    async def poll(self, device: str) -> list[AlarmEvent]:
        self.clock.advance(60)
        self.last = await self.collector.poll(self.devices[device])
        return self.tracker.observe(self.last.observation, Source.cli)

    def polls(self, device: str, result: str) -> float:
        value = self.registry.get_sample_value("linewatch_agent_cli_polls_total", {"device": device, "result": result})
        return value or 0.0

    def errors(self, reason: str) -> float:
        return self.registry.get_sample_value("linewatch_agent_cli_errors_total", {"reason": reason}) or 0.0

    def active(self, device: str) -> set[tuple[str, str]]:
        return {a.condition.key for a in self.tracker.active(device)}

    async def close(self) -> None:
        await self.pool.close()


def brief(events: list[AlarmEvent]) -> set[tuple[str, str, str]]:
    return {(e.action.value, e.resource.key(), e.alarm_type) for e in events}


@pytest.mark.parametrize("device", ["VRP-1", "ZTE-1", "TL1-1"])
async def test_a_fault_raises_and_its_repair_clears(cli_sim: SimFactory, device: str) -> None:
    sim = cli_sim()
    rig = Rig(sim)
    try:
        assert await rig.poll(device) == []
        assert rig.last is not None and rig.last.ok, rig.last.errors
        sim.state(device, "faulted")
        raised = await rig.poll(device)
        assert brief(raised) == {("raise", r, t) for r, t in EXPECTED[device]}
        assert {e.source for e in raised} == {Source.cli} and {e.device for e in raised} == {device}
        assert await rig.poll(device) == [], "an unchanged fault emits nothing"
        sim.state(device, "healthy")
        cleared = await rig.poll(device)
        assert brief(cleared) == {("clear", r, t) for r, t in EXPECTED[device]}
        assert rig.polls(device, "ok") == 4
        assert rig.registry.get_sample_value("linewatch_agent_cli_consecutive_failures", {"device": device}) == 0
    finally:
        await rig.close()


async def test_wrong_password_is_counted_logged_and_never_shown(
    cli_sim: SimFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "lwCLI-not-the-Pa55"
    sim = cli_sim()
    rig = Rig(sim, password=wrong)
    try:
        for device in sim.devices:
            assert await rig.poll(device) == []
            assert rig.last is not None and rig.last.result == "auth_failed"
            assert rig.polls(device, "auth_failed") == 1
        assert rig.errors("auth_failed") == 3
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        for device in sim.devices:
            assert any(device in w and "[auth_failed]" in w for w in warnings), warnings
        assert wrong not in caplog.text and PASSWORD not in caplog.text
    finally:
        await rig.close()


async def test_refused_and_no_prompt_are_classified_and_counted(cli_sim: SimFactory) -> None:
    sim = cli_sim()
    sim.mode("ZTE-1", "no_prompt")
    sim.ports["TL1-1"] = free_port()
    rig = Rig(sim)
    try:
        await rig.poll("ZTE-1")
        assert rig.last is not None and rig.last.result == "no_prompt"
        await rig.poll("TL1-1")
        assert rig.last is not None and rig.last.result == "refused"
        await rig.poll("VRP-1")
        assert rig.last is not None and rig.last.ok
        assert (rig.polls("ZTE-1", "no_prompt"), rig.polls("TL1-1", "refused"), rig.polls("VRP-1", "ok")) == (1, 1, 1)
    finally:
        await rig.close()


async def test_unparsed_output_fails_its_own_scope_only(cli_sim: SimFactory) -> None:
    sim = cli_sim()
    rig = Rig(sim)
    try:
        sim.state("VRP-1", "faulted")
        assert brief(await rig.poll("VRP-1")) == {("raise", r, t) for r, t in EXPECTED["VRP-1"]}
        # the alarms are gone, the PW is back, but the interface list comes back in an unknown format
        healthy = simdata.outputs("huawei_vrp", "healthy")
        broken = simdata.outputs("huawei_vrp", "unknown")["display_interface_brief.txt"]
        sim.set_outputs("VRP-1", {**healthy, "display_interface_brief.txt": broken})
        events = await rig.poll("VRP-1")
        assert rig.last is not None
        assert [reason for reason, _ in rig.last.errors] == [CliFailure.unparsed_output]
        assert "cli:interfaces" in rig.last.errors[0][1] and "unrecognised" in rig.last.errors[0][1]
        assert rig.polls("VRP-1", "unparsed_output") == 1 and rig.errors("unparsed_output") == 1
        # the PW clears (its scope was read); the port fault, still vouched for by the unreadable
        # interface list, stays until that list is read again
        assert brief(events) == {("clear", "pw:PW-20021", "PW_DOWN")}
        assert ("port:GigabitEthernet0/2/1", "LINK_DOWN") in rig.active("VRP-1")
        sim.state("VRP-1", "healthy")
        assert brief(await rig.poll("VRP-1")) == {("clear", "port:GigabitEthernet0/2/1", "LINK_DOWN")}
    finally:
        await rig.close()


async def test_collection_failed_after_n_failed_polls_and_cleared_by_a_good_one(cli_sim: SimFactory) -> None:
    sim = cli_sim()
    rig = Rig(sim, failed_after=3)
    key = ("device:ZTE-1", COLLECTION_FAILED)
    try:
        sim.state("ZTE-1", "faulted")
        assert brief(await rig.poll("ZTE-1")) == {("raise", r, t) for r, t in EXPECTED["ZTE-1"]}
        sim.mode("ZTE-1", "no_prompt")
        assert await rig.poll("ZTE-1") == []
        assert await rig.poll("ZTE-1") == []
        assert rig.collector.failures("ZTE-1") == 2
        events = await rig.poll("ZTE-1")
        assert brief(events) == {("raise", *key)}
        (event,) = events
        assert event.alarm_type != "DEVICE_UNREACHABLE" and event.severity.value == "minor"
        assert "3 polls in a row" in event.detail and "no_prompt" in event.detail
        assert EXPECTED["ZTE-1"] <= rig.active("ZTE-1"), "failed polls leave the other conditions alone"
        assert await rig.poll("ZTE-1") == [], "still failing: no new event"
        assert rig.registry.get_sample_value("linewatch_agent_cli_consecutive_failures", {"device": "ZTE-1"}) == 4
        sim.mode("ZTE-1", "normal")
        events = await rig.poll("ZTE-1")
        assert brief(events) == {("clear", *key)}, "the element still shows its faults: only the meta alarm clears"
        assert rig.collector.failures("ZTE-1") == 0
        assert events[0].action is Action.clear
    finally:
        await rig.close()


async def test_partly_failed_polls_count_towards_collection_failed(cli_sim: SimFactory) -> None:
    sim = cli_sim()
    rig = Rig(sim, failed_after=2)
    try:
        sim.state("TL1-1", "unknown")  # RTRV-COND-ALL comes back cut off; RTRV-ALM-ALL is fine
        assert await rig.poll("TL1-1") == []
        assert rig.last is not None and rig.last.result == "unparsed_output"
        assert brief(await rig.poll("TL1-1")) == {("raise", "device:TL1-1", COLLECTION_FAILED)}
        sim.state("TL1-1", "healthy")
        assert brief(await rig.poll("TL1-1")) == {("clear", "device:TL1-1", COLLECTION_FAILED)}
    finally:
        await rig.close()
