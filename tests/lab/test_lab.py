"""The lab simulators as the agent sees them: every element answers its own address with its own
credentials; a cut changes what snmpsim serves (it re-reads the rewritten recordings) and silences
the elements cut off from management; healing brings everything back. Polled by the real agent."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.daemon import Agent
from correlator.configfile.loader import load_config
from tests.lab.conftest import RunningLab

LINEWATCH = str(Path(sys.executable).parent / "linewatch")


LAST: dict[str, Any] = {}


def poll_once(cfg_path: Path) -> tuple[int, int, list[dict[str, object]]]:
    """(elements polled, elements that answered, the events of this poll); SNMP and CLI."""
    cfg = load_config(cfg_path)
    events_file = cfg.base_dir / "state" / "events.jsonl"
    before = events_file.read_text().count("\n") if events_file.exists() else 0
    result = asyncio.run(Agent.build(cfg).run_once())
    LAST["result"] = result
    lines = events_file.read_text().splitlines() if events_file.exists() else []
    return result.polled, result.reached, [json.loads(line) for line in lines[before:]]


def lab_cli(cfg_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINEWATCH, "lab", *args, "--config", str(cfg_path)], capture_output=True, text=True, timeout=120
    )


def keyed(events: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {(e["action"], e["device"], e["resource"]["id"], e["alarm_type"]) for e in events}  # type: ignore[index]


def test_the_agent_polls_the_lab_and_sees_a_cut_and_its_repair(running_lab: RunningLab) -> None:
    cfg_path = running_lab.cfg_path
    polled, reached, events = poll_once(cfg_path)
    assert (polled, reached) == (37, 37)
    assert events == []
    cli = LAST["result"]
    assert (cli.cli_polled, cli.cli_ok) == (31, 31)  # every element with a CLI logs in and is understood

    out = lab_cli(cfg_path, "break", "--cut", "duct:D-013")
    assert out.returncode == 0, out.stderr
    assert "L-PGOV-SDH-A" in out.stdout and "CPE-PGOV-HQ" in out.stdout and "C-001" in out.stdout
    polled, reached, events = poll_once(cfg_path)
    assert reached == 36  # CPE-PGOV-HQ is silent: both its links run in the duct
    got = keyed(events)
    assert ("raise", "SDH-CEN", "6-SLQ1-1", "LOS") in got
    assert ("raise", "SDH-NOR", "11-SL16-1:VC4-JC-0101-W", "AU_AIS") in got
    assert ("raise", "ATN-WES", "PW-20062", "PW_DOWN") in got
    assert LAST["result"].cli_ok == 30  # CPE-PGOV-HQ: the SSH port accepts and stays silent

    status = lab_cli(cfg_path, "status", "--json")
    state = json.loads(status.stdout)
    assert state["running"] and state["cuts"] == ["duct:D-013"] and state["unreachable"] == ["CPE-PGOV-HQ"]

    out = lab_cli(cfg_path, "break", "--heal")
    assert out.returncode == 0, out.stderr
    polled, reached, events = poll_once(cfg_path)
    assert reached == 37
    cleared = keyed(events)
    assert ("clear", "SDH-CEN", "6-SLQ1-1", "LOS") in cleared
    assert ("clear", "ATN-WES", "PW-20062", "PW_DOWN") in cleared
    assert all(action == "clear" for action, *_ in cleared)


def test_bad_requests_name_the_fix(running_lab: RunningLab) -> None:
    cfg_path = running_lab.cfg_path
    out = lab_cli(cfg_path, "break", "--cut", "duct:D-999")
    assert out.returncode == 2 and "no duct 'D-999'" in out.stderr
    out = lab_cli(cfg_path, "break", "--heal", "duct:D-013")
    assert out.returncode == 1 and "is not cut" in out.stderr
    out = lab_cli(cfg_path, "break")
    assert out.returncode == 2 and "--cut" in out.stderr


def test_start_is_idempotent_and_stop_stops(running_lab: RunningLab) -> None:
    lab = running_lab.lab
    first = lab.supervisor()
    assert first is not None
    out = lab_cli(running_lab.cfg_path, "start")
    assert out.returncode == 0 and "lab running" in out.stdout
    assert lab.supervisor() == first
    assert lab.stop()
    assert lab.supervisor() is None
    out = lab_cli(running_lab.cfg_path, "status")
    assert "not running" in out.stdout


@pytest.mark.parametrize("cut", ["device:CPE-SMB-01"])
def test_an_element_powered_off_goes_silent_and_restarts_on_heal(running_lab: RunningLab, cut: str) -> None:
    cfg_path = running_lab.cfg_path
    poll_once(cfg_path)
    assert lab_cli(cfg_path, "break", "--cut", cut).returncode == 0
    _, reached, events = poll_once(cfg_path)
    assert reached == 36
    assert ("raise", "ATN-NOR", "gei-0/2/0/2", "LINK_DOWN") in keyed(events)
    assert lab_cli(cfg_path, "heal").returncode == 0
    _, reached, events = poll_once(cfg_path)
    assert reached == 37
    assert ("raise", "CPE-SMB-01", "CPE-SMB-01", "DEVICE_REBOOT") in keyed(events)
