"""``linewatch agent`` end to end: the real command in a subprocess, elements served by snmpsim,
events to a JSONL file or to the NATS server at 127.0.0.1:4222, traps sent with net-snmp.

snmpsim answers each recording under its file name as the community. The recordings are copies of
tests/data/snmp/{cpe,ipran}-{before,after}.snmprec under secret-looking names, so "the element's
state changes" is "the secrets file now names the other community", and the test can check that
no community ever shows up in a log line or a file the agent writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.daemon import REDACTOR, Agent, SecretRedactor
from correlator.configfile.loader import load_config
from correlator.wire import AlarmEvent, parse_event
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
SNMP_DATA = ROOT / "tests" / "data" / "snmp"
NATS_URL = os.environ.get("LINEWATCH_TEST_NATS_URL", "nats://127.0.0.1:4222")
COMMUNITIES = {
    ("cpe", "before"): "lwE2E-Zq81-cpe-before",
    ("cpe", "after"): "lwE2E-Zq81-cpe-after",
    ("ipran", "before"): "lwE2E-Zq81-ipran-before",
    ("ipran", "after"): "lwE2E-Zq81-ipran-after",
}
IF_INDEX, IF_ADMIN, IF_OPER = "1.3.6.1.2.1.2.2.1.1", "1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.8"


def linewatch_command() -> list[str]:
    script = Path(sys.executable).parent / "linewatch"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from correlator.cli import run; run()"]


@pytest.fixture(scope="module")
def sim_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("e2e-recordings")
    for (kind, state), community in COMMUNITIES.items():
        shutil.copy(SNMP_DATA / f"{kind}-{state}.snmprec", data / f"{community}.snmprec")
    return data


@pytest.fixture
def sim(snmpsim_server: Callable[[Path], tuple[str, int]], sim_data: Path) -> tuple[str, int]:
    return snmpsim_server(sim_data)


class AgentDir:
    """A daemon config in a temporary directory, and ways to run ``linewatch agent`` on it."""

    def __init__(self, root: Path, sim: tuple[str, int]) -> None:
        self.root = root
        self.host, self.port = sim
        self.runs: list[str] = []

    @property
    def config(self) -> Path:
        return self.root / "linewatch.yaml"

    def write(
        self,
        *,
        devices: str = "both",
        agent_extra: dict[str, Any] | None = None,
        extra_devices: str = "",
        extra_credentials: str = "",
    ) -> None:
        agent: dict[str, Any] = {
            "id": "agent-e2e",
            "profiles_dir": str(ROOT / "config" / "profiles"),
            "alarm_types": str(ROOT / "config" / "alarm_types.yaml"),
            "state_dir": "state",
            "http_listen": "127.0.0.1:0",
            "snmp": {"timeout_s": 1, "retries": 1, "interval_s": 1, "jitter_s": 0},
            "traps": {"enabled": False},
            "publish": {"kind": "jsonl", "path": "out/events.jsonl"},
        } | (agent_extra or {})
        self.config.write_text(
            f"""version: 1
sla_policy: {ROOT / "config" / "sla.yaml"}
inventory: [inventory.yaml]
secrets_file: secrets.yaml
credentials:
  sim-cpe: {{snmp: {{version: v2c, community: "secret:cpe"}}}}
  sim-ipran: {{snmp: {{version: v2c, community: "secret:ipran"}}}}
{extra_credentials}agent: {json.dumps(agent)}
"""
        )
        cpe = (
            "  - {id: CPE-1, name: cpe one, kind: cpe, vendor: huawei, platform: AR169, role: customer, site: CO-1,"
            f" mgmt_address: {self.host}, credentials: sim-cpe, snmp: {{port: {self.port}}}}}\n"
        )
        atn = (
            "  - {id: ATN-1, name: atn one, kind: ipran, vendor: huawei, platform: ATN, role: access, site: CO-1,"
            f" mgmt_address: {self.host}, credentials: sim-ipran, snmp: {{port: {self.port}}}}}\n"
        )
        (self.root / "inventory.yaml").write_text(
            "sites:\n  - {id: CO-1, name: central office, kind: central_office, local_network: metro}\n"
            "devices:\n"
            + (cpe if devices in ("both", "cpe") else "")
            + (atn if devices == "both" else "")
            + extra_devices
        )
        self.state("before")

    def state(self, which: str) -> None:
        """Point both elements at the 'before' (healthy) or 'after' (faulted) recording."""
        (self.root / "secrets.yaml").write_text(
            f"cpe: {COMMUNITIES[('cpe', which)]}\nipran: {COMMUNITIES[('ipran', which)]}\n"
        )

    def once(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        proc = subprocess.run(
            [*linewatch_command(), "agent", "--config", str(self.config), "--once", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **(env or {})},
        )
        self.runs.append(proc.stderr + proc.stdout)
        return proc.returncode, proc.stderr

    def events(self) -> list[AlarmEvent]:
        path = self.root / "out" / "events.jsonl"
        return [parse_event(line) for line in path.read_text().splitlines()] if path.exists() else []

    def written_files(self) -> Iterator[Path]:
        for p in self.root.rglob("*"):
            if p.is_file() and p.name != "secrets.yaml":
                yield p


@pytest.fixture
def agent_dir(tmp_path: Path, sim: tuple[str, int]) -> AgentDir:
    d = AgentDir(tmp_path / "agent", sim)
    d.root.mkdir()
    d.write()
    return d


def brief(events: list[AlarmEvent]) -> list[tuple[str, str, str, str]]:
    return sorted((e.action.value, e.device, e.resource.key(), e.alarm_type) for e in events)


FAULTS = [
    ("ATN-1", "bfd:10.0.13.2@xe2", "BFD_DOWN"),
    ("ATN-1", "optical:xe2", "OPTICAL_RX_LOW"),
    ("ATN-1", "port:xe2", "LINK_DOWN"),
    ("ATN-1", "pw:PW-20061", "PW_DOWN"),
    ("ATN-1", "tunnel:TE-ATNWES-AGGEAS-01", "TUNNEL_DOWN"),
    ("ATN-1", "vrf:CUST-PGOV", "VRF_DOWN"),
    ("CPE-1", "optical:GigabitEthernet0/0/4", "OPTICAL_RX_LOW"),
    ("CPE-1", "port:GigabitEthernet0/0/4", "LINK_DOWN"),
]


def test_once_raises_does_not_reraise_after_restart_and_clears_on_change(agent_dir: AgentDir) -> None:
    # 1. faulted elements: every fault is raised once
    agent_dir.state("after")
    rc, err = agent_dir.once()
    assert rc == 0, err
    first = agent_dir.events()
    assert brief(first) == sorted(("raise", *f) for f in FAULTS)
    assert {e.agent for e in first} == {"agent-e2e"} and {e.source.value for e in first} == {"poll"}

    # 2. a restart on unchanged data raises nothing again (JSON logs this time: one object per line)
    rc, err = agent_dir.once("--json-logs")
    assert rc == 0, err
    assert agent_dir.events() == first
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any("0 events" in obj["msg"] for obj in lines) and all({"ts", "level", "msg"} <= obj.keys() for obj in lines)

    # 3. the faults are repaired: each is cleared with its original raise time; the recordings'
    #    sysUpTime is lower in the healthy recording, which the agent reports as a reboot
    agent_dir.state("before")
    rc, err = agent_dir.once()
    assert rc == 0, err
    third = agent_dir.events()[len(first) :]
    assert brief(third) == sorted(
        [("clear", *f) for f in FAULTS]
        + [("raise", "ATN-1", "device:ATN-1", "DEVICE_REBOOT"), ("raise", "CPE-1", "device:CPE-1", "DEVICE_REBOOT")]
    )
    raised = {e.reduction_key: e.raised_at for e in first}
    for e in third:
        if e.action.value == "clear":
            assert e.raised_at == raised[e.reduction_key] and e.cleared_at is not None

    # 4. the next successful look clears the reboot; 5. then nothing more
    assert agent_dir.once()[0] == 0
    assert brief(agent_dir.events()[len(first) + len(third) :]) == [
        ("clear", "ATN-1", "device:ATN-1", "DEVICE_REBOOT"),
        ("clear", "CPE-1", "device:CPE-1", "DEVICE_REBOOT"),
    ]
    count = len(agent_dir.events())
    assert agent_dir.once()[0] == 0
    assert len(agent_dir.events()) == count
    assert len({e.event_id for e in agent_dir.events()}) == count

    # no community in any log line, nor in any file the agent wrote (state database, events)
    written = [p for p in agent_dir.written_files()]
    assert any(p.suffix == ".sqlite3" for p in written) and any(p.suffix == ".jsonl" for p in written)
    for community in COMMUNITIES.values():
        for run in agent_dir.runs:
            assert community not in run
        for path in written:
            assert community.encode() not in path.read_bytes(), path


def test_unresolvable_secret_skips_only_that_element(agent_dir: AgentDir) -> None:
    agent_dir.write(
        extra_credentials='  sim-missing: {snmp: {version: v2c, community: "env:LW_E2E_NOT_SET"}}\n',
        extra_devices=(
            "  - {id: CPE-2, name: cpe two, kind: cpe, vendor: huawei, platform: AR169, role: customer,"
            " site: CO-1, mgmt_address: 127.0.14.50, credentials: sim-missing}\n"
        ),
    )
    agent_dir.state("after")
    env = {k: v for k, v in os.environ.items() if k != "LW_E2E_NOT_SET"}
    proc = subprocess.run(
        [*linewatch_command(), "agent", "--config", str(agent_dir.config), "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "CPE-2: not polled: credential set 'sim-missing'" in proc.stderr
    assert "env:LW_E2E_NOT_SET" in proc.stderr
    assert "(2 answered, 1 skipped)" in proc.stderr
    assert {e.device for e in agent_dir.events()} == {"CPE-1", "ATN-1"}


def test_configuration_errors_exit_2_naming_the_place(agent_dir: AgentDir) -> None:
    agent_dir.write(agent_extra={"devices": ["CPE-1", "NOPE"], "publish": {"kind": "queue"}})
    rc, err = agent_dir.once()
    assert rc == 2
    assert "linewatch.yaml:" in err
    assert "agent.devices[1]: unknown element 'NOPE'" in err
    assert "agent.publish.kind: 'queue'" in err and "set agent.publish.kind to jsonl or nats" in err
    assert "2 errors: configuration not valid" in err
    assert not (agent_dir.root / "state").exists()  # nothing was started

    (agent_dir.root / "inventory.yaml").write_text("devices:\n  - {id: X}\n")
    rc, err = agent_dir.once()
    assert rc == 2 and "inventory.yaml" in err


def test_secret_redactor_blanks_registered_values() -> None:
    redactor = SecretRedactor()
    redactor.add(["s3cr3t-value", "ab"])  # too short to search for: left alone
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "x %s y ab", ("s3cr3t-value",), None)
    assert redactor.filter(record) and record.getMessage() == "x *** y ab"


def test_built_agent_redacts_its_secrets_from_every_log_line(
    agent_dir: AgentDir, caplog: pytest.LogCaptureFixture
) -> None:
    agent_dir.write()
    Agent.build(load_config(agent_dir.config))
    community = COMMUNITIES[("cpe", "before")]
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").warning("talking to 127.0.0.1 with community %s", community)
        try:
            raise RuntimeError(f"bad community {community}")
        except RuntimeError:
            logging.getLogger("other").exception("failed")
    assert "with community ***" in caplog.text and "bad community ***" in caplog.text
    assert community not in caplog.text
    assert REDACTOR.redact(f"x{community}x") == "x***x"


async def stream_messages(name: str) -> list[tuple[str, AlarmEvent]]:
    """Every message of a JetStream stream at NATS_URL, in order; the stream is deleted afterwards."""
    import nats

    try:
        nc = await nats.connect(NATS_URL, connect_timeout=2, allow_reconnect=False)
    except Exception as exc:
        need(f"NATS at {NATS_URL} is unreachable ({type(exc).__name__})", "start it (scripts/services.sh nats)")
    js = nc.jetstream()
    try:
        info = await js.stream_info(name)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(name, seq)
            out.append((msg.subject or "", parse_event(msg.data or b"")))
        return out
    finally:
        with contextlib.suppress(Exception):
            await js.delete_stream(name)
        await nc.close()


def nats_publish(stream: str, subject: str, url: str = NATS_URL) -> dict[str, Any]:
    return {"publish": {"kind": "nats", "url": url, "stream": stream, "subject": subject}}


def test_once_publishes_to_nats_jetstream(agent_dir: AgentDir) -> None:
    token = os.urandom(4).hex()
    stream, subject = f"LWE2E_{token.upper()}", f"lwe2e.{token}"
    agent_dir.write(agent_extra=nats_publish(stream, subject))
    agent_dir.state("after")
    rc, err = agent_dir.once()
    if rc != 0 and "cannot connect to NATS" in err:
        need(f"NATS at {NATS_URL} is unreachable", "start it (scripts/services.sh nats)")
    assert rc == 0, err
    got = asyncio.run(stream_messages(stream))
    assert brief([e for _, e in got]) == sorted(("raise", *f) for f in FAULTS)
    assert all(subj == f"{subject}.{e.device}" for subj, e in got)


def test_events_wait_in_the_outbox_while_nats_is_down_and_go_out_at_the_next_run(agent_dir: AgentDir) -> None:
    token = os.urandom(4).hex()
    stream, subject = f"LWE2E_{token.upper()}", f"lwe2e.{token}"
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        dead = f"nats://127.0.0.1:{probe.getsockname()[1]}"
    agent_dir.write(agent_extra=nats_publish(stream, subject, url=dead))
    agent_dir.state("after")
    rc, err = agent_dir.once()
    assert rc == 1, err  # --once: events could not be published
    assert "cannot connect to NATS" in err and "8 waiting in the outbox" in err

    agent_dir.write(agent_extra=nats_publish(stream, subject))  # NATS is back; same state dir
    agent_dir.state("after")
    rc, err = agent_dir.once()
    if rc != 0 and "cannot connect to NATS" in err:
        need(f"NATS at {NATS_URL} is unreachable", "start it (scripts/services.sh nats)")
    assert rc == 0, err
    assert "0 events, 0 waiting in the outbox" in err  # nothing new, and the backlog went out
    got = asyncio.run(stream_messages(stream))
    assert brief([e for _, e in got]) == sorted(("raise", *f) for f in FAULTS)


def wait_for(what: str, check: Callable[[], Any], tries: int = 300) -> Any:
    """Poll ``check`` until it returns something truthy (a bound on waiting, not a timing)."""
    for _ in range(tries):
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def test_daemon_polls_takes_a_trap_serves_metrics_and_stops_on_sigterm(agent_dir: AgentDir) -> None:
    snmptrap = shutil.which("snmptrap")
    if snmptrap is None:
        need("net-snmp's snmptrap is not installed", "apt-get install snmp (scripts/debian-packages.txt)")
    assert snmptrap is not None
    agent_dir.write(devices="cpe", agent_extra={"traps": {"enabled": True, "listen": "127.0.0.1:0"}})
    log_path = agent_dir.root / "agent.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [*linewatch_command(), "agent", "--config", str(agent_dir.config)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )

    def text() -> str:
        return log_path.read_text()

    try:
        wait_for("the agent to run", lambda: "running:" in text())
        trap_port = int(text().split("trap receiver listening on 127.0.0.1:")[1].split()[0])
        metrics_url = text().split("metrics on ")[1].split()[0]

        def scrape() -> str:
            with urllib.request.urlopen(metrics_url, timeout=5) as resp:
                body: str = resp.read().decode()
                return body

        wait_for("a first poll", lambda: 'linewatch_agent_polls_total{kind="cpe",result="ok"}' in scrape())

        # GigabitEthernet0/0/2 (ifIndex 5) reports down by trap, from the element's own address
        env = {"PATH": os.environ.get("PATH", ""), "SNMPCONFPATH": str(agent_dir.root)}
        env["SNMP_PERSISTENT_DIR"] = str(agent_dir.root)
        sent = subprocess.run(
            [snmptrap, f"--clientaddr={agent_dir.host}", "-v2c", "-c", COMMUNITIES[("cpe", "before")],
             f"127.0.0.1:{trap_port}", "", "1.3.6.1.6.3.1.1.5.3",
             f"{IF_INDEX}.5", "i", "5", f"{IF_ADMIN}.5", "i", "1", f"{IF_OPER}.5", "i", "2"],
            capture_output=True, text=True, timeout=30, env=env,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        raised = wait_for("the trap's event", lambda: [e for e in agent_dir.events() if e.source.value == "trap"])
        assert brief(raised) == [("raise", "CPE-1", "port:GigabitEthernet0/0/2", "LINK_DOWN")]

        # the element's ifTable says the port is up: the next complete poll clears the trap's alarm
        cleared = wait_for("the poll's clear", lambda: [e for e in agent_dir.events() if e.action.value == "clear"])
        assert [(e.resource.id, e.source.value, e.raised_at) for e in cleared] == [
            ("GigabitEthernet0/0/2", "poll", raised[0].raised_at)
        ]
        metrics = scrape()
        assert 'linewatch_agent_traps_total{result="accepted"} 1.0' in metrics
        assert "linewatch_agent_outbox_events 0.0" in metrics
        assert 'linewatch_agent_events_emitted_total{action="raise"} 1.0' in metrics

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    final = log_path.read_text()
    assert "stopping: no new polls" in final and "agent agent-e2e stopped" in final
    assert "Traceback" not in final
    assert COMMUNITIES[("cpe", "before")] not in final
