"""``linewatch agent`` with CLI elements: the real command against the SSH/telnet simulator and
snmpsim, one alarm for one condition seen by SNMP and TL1, the scheduler going on past elements
that hang, and configuration errors that name the place."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.cli.collector import COLLECTION_FAILED
from agent.daemon import Agent, AgentSetupError
from correlator.configfile.loader import load_config
from correlator.wire import AlarmEvent, parse_event
from tests.agent.cli.conftest import PASSWORD, USER, CliSim, SimFactory

ROOT = Path(__file__).resolve().parents[3]
SNMP_DATA = ROOT / "tests" / "data" / "snmp"
COMMUNITIES = {"before": "lwCLI-e2e-sdh-before", "after": "lwCLI-e2e-sdh-after"}
LOS = ("port:11-SL16-1", "LOS")


def linewatch_command() -> list[str]:
    script = Path(sys.executable).parent / "linewatch"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from correlator.cli import run; run()"]


@pytest.fixture(scope="module")
def sdh_recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli-e2e-snmp")
    for state, community in COMMUNITIES.items():
        shutil.copy(SNMP_DATA / f"sdh-{state}.snmprec", data / f"{community}.snmprec")
    return data


class AgentDir:
    """A daemon config with one SDH element (SNMP + TL1) and two IPRAN routers (CLI only)."""

    def __init__(self, root: Path, sim: CliSim, snmp: tuple[str, int] | None) -> None:
        self.root = root
        self.sim = sim
        self.snmp = snmp
        self.runs: list[str] = []
        root.mkdir(parents=True, exist_ok=True)

    @property
    def config(self) -> Path:
        return self.root / "linewatch.yaml"

    def write(self, cli: dict[str, Any] | None = None, *, devices: list[Any] | None = None) -> None:
        sim = self.sim
        entries = devices if devices is not None else [{"device": d, "port": sim.port(d)} for d in sim.devices]
        agent = {
            "id": "agent-cli-e2e",
            "state_dir": "state",
            "http_listen": "127.0.0.1:0",
            "snmp": {"timeout_s": 1, "retries": 1, "interval_s": 30, "jitter_s": 0},
            "traps": {"enabled": False},
            "publish": {"kind": "jsonl", "path": "out/events.jsonl"},
            "cli": {
                "enabled": True,
                "devices": entries,
                "connect_timeout_s": 2,
                "banner_timeout_s": 2,
                "auth_timeout_s": 2,
                "read_timeout_s": 2,
                "session_timeout_s": 20,
                "interval_s": 30,
                "jitter_s": 0,
                "failed_after": 2,
                **(cli or {}),
            },
        }
        snmp = '{version: v2c, community: "secret:sdh"}'
        self.config.write_text(
            f"""version: 1
sla_policy: {ROOT / "config" / "sla.yaml"}
inventory: [inventory.yaml]
secrets_file: secrets.yaml
credentials:
  sim-sdh: {{snmp: {snmp}, cli: {{username: {USER}, password: "secret:cli", transport: telnet}}}}
  sim-ipran: {{cli: {{username: {USER}, password: "secret:cli"}}}}
  sim-env: {{cli: {{username: {USER}, password: "env:LW_CLI_E2E_NOT_SET"}}}}
agent: {json.dumps(agent)}
"""
        )
        snmp_port = self.snmp[1] if self.snmp else 161
        rows = {
            "TL1-1": "kind: sdh, platform: OptiX OSN 3500, cli_platform: tl1, credentials: sim-sdh, "
            f"snmp: {{port: {snmp_port}}}",
            "VRP-1": "kind: ipran, platform: ATN 910C, cli_platform: huawei_vrp, credentials: sim-ipran",
            "ZTE-1": "kind: ipran, platform: ZXCTN 6120H, cli_platform: zte_zxros, credentials: sim-ipran",
        }
        (self.root / "inventory.yaml").write_text(
            "sites:\n  - {id: CO-1, name: central office, kind: central_office, local_network: metro}\n"
            "devices:\n"
            + "".join(
                f"  - {{id: {d}, name: {d}, vendor: huawei, role: access, site: CO-1, "
                f"mgmt_address: 127.0.0.1, {rows[d]}}}\n"
                for d in sim.devices
            )
        )
        self.snmp_state("after")

    def snmp_state(self, which: str) -> None:
        (self.root / "secrets.yaml").write_text(f"sdh: {COMMUNITIES[which]}\ncli: {PASSWORD}\n")

    def once(self) -> tuple[int, str]:
        proc = subprocess.run(
            [*linewatch_command(), "agent", "--config", str(self.config), "--once"],
            capture_output=True,
            text=True,
            timeout=180,
        )
        self.runs.append(proc.stderr + proc.stdout)
        return proc.returncode, proc.stderr

    def events(self) -> list[AlarmEvent]:
        path = self.root / "out" / "events.jsonl"
        return [parse_event(line) for line in path.read_text().splitlines()] if path.exists() else []


def keys(events: list[AlarmEvent], action: str) -> list[tuple[str, str, str]]:
    return sorted((e.device, e.resource.key(), e.alarm_type) for e in events if e.action.value == action)


def test_once_polls_cli_elements_and_one_condition_seen_by_snmp_and_tl1_is_one_alarm(
    cli_sim: SimFactory, snmpsim_server: Callable[[Path], tuple[str, int]], sdh_recordings: Path, tmp_path: Path
) -> None:
    sim = cli_sim(state="faulted")
    d = AgentDir(tmp_path / "agent", sim, snmpsim_server(sdh_recordings))
    d.write()

    # 1. SNMP (sdh-after) and TL1 both see LOS on 11-SL16-1: raised once; the routers' faults too
    rc, err = d.once()
    assert rc == 0, err
    first = d.events()
    raised = keys(first, "raise")
    assert raised.count(("TL1-1", *LOS)) == 1, raised
    assert ("VRP-1", "port:GigabitEthernet0/2/1", "LINK_DOWN") in raised
    assert ("ZTE-1", "pw:PW-20021", "PW_DOWN") in raised
    assert ("TL1-1", "path:11-SL16-1-1", "AU_AIS") in raised  # TL1's own view of the VC-4
    assert ("TL1-1", "optical:11-SL16-1", "OPTICAL_RX_LOW") in raised  # SNMP's view of the same port's light
    assert {e.source.value for e in first if e.device != "TL1-1"} == {"cli"}
    assert "3 over the CLI (3 complete, 0 skipped)" in err

    # 2. SNMP recovers, TL1 still shows LOS: the SNMP-only faults clear, LOS does not
    d.snmp_state("before")
    rc, err = d.once()
    assert rc == 0, err
    second = d.events()[len(first) :]
    assert ("TL1-1", "optical:11-SL16-1", "OPTICAL_RX_LOW") in keys(second, "clear")
    assert ("TL1-1", *LOS) not in keys(second, "clear") + keys(second, "raise")

    # 3. TL1 recovers too: now LOS clears, once; the routers' faults clear as well
    for device in sim.devices:
        sim.state(device, "healthy")
    rc, err = d.once()
    assert rc == 0, err
    third = d.events()[len(first) + len(second) :]
    cleared = keys(third, "clear")
    assert cleared.count(("TL1-1", *LOS)) == 1
    assert ("VRP-1", "port:GigabitEthernet0/2/1", "LINK_DOWN") in cleared
    assert ("ZTE-1", "pw:PW-20021", "PW_DOWN") in cleared
    los = [e for e in d.events() if (e.device, e.resource.key(), e.alarm_type) == ("TL1-1", *LOS)]
    assert [e.action.value for e in los] == ["raise", "clear"]
    assert los[1].raised_at == los[0].raised_at

    # no password or community in any log line or any file the agent wrote
    written = [p for p in d.root.rglob("*") if p.is_file() and p.name != "secrets.yaml"]
    for secret in (PASSWORD, *COMMUNITIES.values()):
        assert all(secret not in run for run in d.runs)
        assert all(secret.encode() not in p.read_bytes() for p in written)


def test_failures_are_logged_counted_and_the_agent_goes_on(cli_sim: SimFactory, tmp_path: Path) -> None:
    sim = cli_sim({k: v for k, v in {"VRP-1": {"platform": "huawei_vrp"}, "ZTE-1": {"platform": "zte_zxros"}}.items()})
    sim.mode("ZTE-1", "no_prompt")
    d = AgentDir(tmp_path / "agent", sim, None)
    d.write({"interval_s": 0.3})
    agent = Agent.build(load_config(d.config))
    assert [c.id for c in agent.cli_devices] == ["VRP-1", "ZTE-1"] and agent.devices == []

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop))
        for _ in range(600):
            await asyncio.sleep(0.1)
            done = agent.cli_scheduler.completed if agent.cli_scheduler is not None else {}
            if done.get("VRP-1", 0) >= 4 and done.get("ZTE-1", 0) >= 2:
                break
        stop.set()
        await task

    asyncio.run(run())
    assert agent.cli_scheduler is not None
    assert agent.cli_scheduler.completed["VRP-1"] >= 4, "the router that answers is polled on and on"
    metrics = agent.metrics.registry
    assert metrics.get_sample_value("linewatch_agent_cli_polls_total", {"device": "ZTE-1", "result": "no_prompt"}) >= 2
    assert metrics.get_sample_value("linewatch_agent_cli_polls_total", {"device": "VRP-1", "result": "ok"}) >= 4
    events = d.events()
    assert [(e.device, e.alarm_type, e.action.value) for e in events] == [("ZTE-1", COLLECTION_FAILED, "raise")]


def test_configuration_errors_name_the_place(cli_sim: SimFactory, tmp_path: Path) -> None:
    sim = cli_sim({"VRP-1": {"platform": "huawei_vrp"}})
    d = AgentDir(tmp_path / "agent", sim, None)
    d.write(devices=["NOPE", {"device": "VRP-1", "platform": "junos", "port": sim.port("VRP-1")}])
    with pytest.raises(AgentSetupError) as err:
        Agent.build(load_config(d.config))
    text = str(err.value)
    assert "linewatch.yaml:" in text
    assert "agent.cli.devices[0]: unknown element 'NOPE'" in text
    assert "agent.cli.devices[1].platform: unknown CLI platform 'junos'" in text and "huawei_vrp" in text

    d.write(devices=[{"device": "VRP-1", "credentials": "sim-env", "port": sim.port("VRP-1")}])
    agent = Agent.build(load_config(d.config), env={})  # the password's variable is not set
    assert agent.cli_devices == []
    assert "credential set 'sim-env'" in agent.cli_skipped["VRP-1"]
    assert "LW_CLI_E2E_NOT_SET" in agent.cli_skipped["VRP-1"]
