"""The agent's /metrics over HTTP after real polls (snmpsim with a real recording, snmpd)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from agent.metrics import AgentMetrics, MetricsServer, parse_listen
from agent.observation import Gauge, Observation
from agent.poller import Poller
from agent.profiles import ProfileSet, load_profiles
from agent.settings import OpticalThresholds, SnmpPolling
from agent.snmp import SnmpClient
from agent.state import StateTracker
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.wire import Resource, ResourceType, Severity
from tests.agent.snmp.peers import (  # noqa: F401  (snmpd_fixture, snmpsim_fixture: fixtures)
    READY,
    StartSnmpd,
    StartSnmpsim,
    credential_sets,
    device,
    if_table_overrides,
    real_devices,
    resolver,
    snmpd_fixture,
    snmpsim_fixture,
    v2c,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def profiles() -> ProfileSet:
    return load_profiles(ROOT / "config" / "profiles")


@pytest.fixture
def served() -> Iterator[tuple[AgentMetrics, str]]:
    metrics = AgentMetrics()
    server = MetricsServer(metrics, "127.0.0.1:0")
    host, port = server.start()
    yield metrics, f"http://{host}:{port}/metrics"
    server.stop()


@pytest_asyncio.fixture
async def client() -> AsyncIterator[SnmpClient]:
    snmp = SnmpClient()
    yield snmp
    snmp.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as http:
        reply = await http.get(url)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    return samples(reply.text)


@pytest.mark.asyncio
async def test_scrape_after_polls(
    snmpsim: StartSnmpsim,
    snmpd: StartSnmpd,
    profiles: ProfileSet,
    client: SnmpClient,
    served: tuple[AgentMetrics, str],
) -> None:
    metrics, url = served
    sim = snmpsim({"ar169": real_devices() / "librenms__vrp_ar169sfp.snmprec"})
    agent = snmpd(if_table_overrides(4, oper_down=[2]))
    poller = Poller(
        settings=SnmpPolling(timeout_s=1, retries=0),
        profiles=profiles,
        optical=OpticalThresholds(),
        client=client,
        credentials=credential_sets(sim=v2c("SIM"), snmpd=v2c("SNMPD")),
        resolver=resolver(SIM="ar169", SNMPD=READY),
        metrics=metrics,
    )
    ar = device("AR-1", sim.port, credentials="sim")
    cpe = device("CPE-2", agent.port, credentials="snmpd")
    outcomes = await poller.poll_many([ar, cpe, ar])
    tracker = StateTracker("agent-m", load_alarm_types(), ManualClock(datetime(2025, 1, 1, tzinfo=UTC)))
    events = [e for o in outcomes for e in tracker.observe(o.observation)]
    metrics.events_emitted(events)
    by_severity: dict[Severity, int] = {}
    for dev in tracker.devices():
        for held in tracker.active(dev):
            by_severity[held.condition.severity] = by_severity.get(held.condition.severity, 0) + 1
    metrics.set_active_alarms(by_severity)

    got = await scrape(url)
    assert got[("linewatch_agent_poll_duration_seconds_count", (("kind", "cpe"),))] == 3
    assert got[("linewatch_agent_polls_total", (("kind", "cpe"), ("result", "ok")))] == 3
    assert got[("linewatch_agent_device_up", (("device", "AR-1"),))] == 1
    assert got[("linewatch_agent_device_up", (("device", "CPE-2"),))] == 1
    assert got[("linewatch_agent_varbinds_total", ())] == sum(o.varbinds for o in outcomes) > 100
    # the AR169 recording: GE0/0/1 up, GE0/0/0 down; its SFP port GE0/0/4 reads -8.49 dBm
    assert got[("linewatch_agent_interface_oper_up", (("device", "AR-1"), ("port", "GigabitEthernet0/0/1")))] == 1
    assert got[("linewatch_agent_interface_oper_up", (("device", "AR-1"), ("port", "GigabitEthernet0/0/0")))] == 0
    assert got[("linewatch_agent_optical_rx_dbm", (("device", "AR-1"), ("port", "GigabitEthernet0/0/4")))] == -8.49
    assert got[("linewatch_agent_interface_oper_up", (("device", "CPE-2"), ("port", "GE0/0/2")))] == 0
    assert got[("linewatch_agent_interface_oper_up", (("device", "CPE-2"), ("port", "GE0/0/1")))] == 1
    # snmpd lacks ENTITY-MIB and the Huawei optical table: 3 tables noSuchObject
    assert got[("linewatch_agent_poll_errors_total", (("reason", "no_such_object"),))] == 3
    # CPE-2's GE0/0/2 is down while admin up: one LINK_DOWN raised, major
    assert got[("linewatch_agent_events_emitted_total", (("action", "raise"),))] == len(
        [e for e in events if e.action.value == "raise"]
    )
    assert got[("linewatch_agent_active_alarms", (("severity", "major"),))] == by_severity[Severity.major] >= 1
    assert got[("linewatch_agent_active_alarms", (("severity", "critical"),))] == 0
    for (name, labels), _ in got.items():
        assert name.startswith("linewatch_agent_") or name.startswith(("python_", "process_")), name
        for key, value in labels:
            assert key in {"kind", "result", "reason", "device", "port", "resource", "severity", "action", "le"}
            assert "community" not in value.lower()


@pytest.mark.asyncio
async def test_series_of_gone_ports_and_elements_are_removed(served: tuple[AgentMetrics, str]) -> None:
    metrics, url = served

    def port(name: str) -> Resource:
        return Resource(type=ResourceType.port, id=name)

    metrics.observed(
        Observation(
            "NE-1",
            gauges=[Gauge("interface_oper_up", port("p1"), 1), Gauge("interface_oper_up", port("p2"), 0)],
        )
    )
    metrics.observed(Observation("NE-1", gauges=[Gauge("bfd_session_up", Resource(type=ResourceType.bfd, id="s1"), 1)]))
    metrics.poll_finished("NE-1", "ipran", duration_s=0.1, reached=True)
    got = await scrape(url)
    assert ("linewatch_agent_interface_oper_up", (("device", "NE-1"), ("port", "p2"))) in got
    assert got[("linewatch_agent_bfd_session_up", (("device", "NE-1"), ("resource", "bfd:s1")))] == 1

    metrics.observed(Observation("NE-1", gauges=[Gauge("interface_oper_up", port("p1"), 0)]))
    got = await scrape(url)
    assert got[("linewatch_agent_interface_oper_up", (("device", "NE-1"), ("port", "p1")))] == 0
    assert ("linewatch_agent_interface_oper_up", (("device", "NE-1"), ("port", "p2"))) not in got
    assert ("linewatch_agent_bfd_session_up", (("device", "NE-1"), ("resource", "bfd:s1"))) in got  # not re-read: kept

    metrics.forget_device("NE-1")
    text = metrics.exposition().decode()
    assert not re.search(r'device="NE-1"', text)


def test_two_agents_do_not_share_series() -> None:
    a, b = AgentMetrics(), AgentMetrics()
    a.poll_finished("X", "cpe", duration_s=0.01, reached=False, reasons=["timeout"])
    assert b'reason="timeout"' in a.exposition()
    assert b'reason="timeout"' not in b.exposition()


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:9310") == ("127.0.0.1", 9310)
    assert parse_listen("[::1]:9310") == ("::1", 9310)
    assert parse_listen(":9310") == ("0.0.0.0", 9310)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen("localhost")


def test_port_in_use_is_a_clear_error(served: tuple[AgentMetrics, str]) -> None:
    _, url = served
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(OSError, match="http_listen"):
        MetricsServer(AgentMetrics(), f"127.0.0.1:{port}").start()
