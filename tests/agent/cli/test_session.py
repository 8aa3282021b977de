"""CLI sessions against the simulator process: the shipped platforms over SSH and telnet, and every
way a session fails, classified, with the password in no message and no log line."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from agent.cli.errors import CliFailure
from agent.cli.platform import Platform, load_platforms
from agent.cli.session import SessionHandle, SessionResult, Target, Timeouts, run_session
from agent.cli.targets import commands_of, dialect_for
from correlator.secrets import Secret
from tests.agent.cli.conftest import HOST, PASSWORD, USER, CliSim, SimFactory, free_port

FAST = Timeouts(connect_s=2, banner_s=2, auth_s=2, read_s=2)
WRONG = "lwCLI-wrong-Pa55word"

DEVICES: dict[str, dict[str, Any]] = {
    "VRP-1": {"platform": "huawei_vrp", "transport": "ssh"},
    "ZTE-1": {"platform": "zte_zxros", "transport": "ssh"},
    "TL1-1": {"platform": "tl1", "transport": "telnet"},
    "VRP-T": {"platform": "huawei_vrp", "transport": "telnet"},
    "TL1-S": {"platform": "tl1", "transport": "ssh"},
    "ZTE-T": {"platform": "zte_zxros", "transport": "telnet"},
}


@pytest.fixture(scope="module")
def platforms() -> dict[str, Platform]:
    return load_platforms()


@pytest.fixture
def sim(cli_sim: SimFactory) -> CliSim:
    return cli_sim(DEVICES)


def session(
    sim: CliSim,
    platforms: dict[str, Platform],
    device: str,
    *,
    password: str = PASSWORD,
    port: int | None = None,
    timeouts: Timeouts = FAST,
    handle: SessionHandle | None = None,
) -> SessionResult:
    spec = sim.devices[device]
    platform = platforms[spec["platform"]]
    transport = spec["transport"]
    target = Target(device, HOST, port or sim.port(device), transport, USER, Secret("env:PW", password))
    return run_session(target, dialect_for(platform, transport), commands_of(platform), timeouts, handle)


@pytest.mark.parametrize("device", list(DEVICES))
def test_every_command_of_the_platform_is_answered(sim: CliSim, platforms: dict[str, Platform], device: str) -> None:
    sim.state(device, "faulted")
    result = session(sim, platforms, device)
    assert result.error is None and result.failures == {}
    assert result.logged_in
    platform = platforms[DEVICES[device]["platform"]]
    assert set(result.outputs) == {c.key for c in platform.commands}
    if platform.name == "huawei_vrp":
        assert "GigabitEthernet0/2/1      down" in result.outputs["interfaces"]
        assert "AlarmName : linkDown" in result.outputs["alarms"]
        assert "<" + device not in result.outputs["interfaces"], "the prompt is stripped"
    elif platform.name == "zte_zxros":
        assert "xgei-1/1/0/2" in result.outputs["interfaces"]
        assert "Name: tunnel_1" in result.outputs["tunnels"]
    else:
        alarms = result.outputs["alarms"]
        assert alarms.lstrip().startswith(f'"{device}"'), "the response starts at its header"
        assert f"M  {result.ctags['alarms']} COMPLD" in alarms
        assert "11-SL16-1,STM16:CR,LOS" in alarms
        assert result.ctags["alarms"] != result.ctags["conditions"]


@pytest.mark.parametrize("device", ["VRP-1", "ZTE-1"])
def test_paging_is_turned_off(cli_sim: SimFactory, platforms: dict[str, Platform], device: str) -> None:
    sim = cli_sim({device: {**DEVICES[device], "page_lines": 3}})
    lines = [f"line {i:03d} of a long display" for i in range(120)]
    command = platforms[DEVICES[device]["platform"]].command("interfaces").command
    sim.output(device, command, "\n".join(lines))
    result = session(sim, platforms, device)
    assert result.error is None
    out = result.outputs["interfaces"]
    assert "More" not in out
    assert [line for line in out.splitlines() if line.startswith("line ")] == lines


@pytest.mark.parametrize("device", ["VRP-1", "ZTE-1", "VRP-T", "TL1-1", "TL1-S"])
def test_wrong_password_is_auth_failed_and_never_shown(
    sim: CliSim, platforms: dict[str, Platform], device: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("netmiko", "paramiko"):
        caplog.set_level(logging.DEBUG, logger=name)
    result = session(sim, platforms, device, password=WRONG)
    assert result.error is not None
    assert result.error.reason is CliFailure.auth_failed, result.error
    assert not result.logged_in and result.outputs == {}
    assert device in str(result.error) and USER in str(result.error)
    assert WRONG not in str(result.error) and PASSWORD not in str(result.error)
    assert caplog.records, "debug logging was on: netmiko/paramiko logged the session"
    assert WRONG not in caplog.text and PASSWORD not in caplog.text


@pytest.mark.parametrize("device", ["TL1-1", "VRP-T", "VRP-1"])
def test_a_good_login_never_logs_the_password(
    sim: CliSim, platforms: dict[str, Platform], device: str, caplog: pytest.LogCaptureFixture
) -> None:
    """TL1 sends the password inside ACT-USER and telnet types it: netmiko logs what it writes at
    DEBUG; its filter (and ours) must hide it."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="netmiko")
    result = session(sim, platforms, device)
    assert result.error is None
    assert "write_channel" in caplog.text
    assert PASSWORD not in caplog.text
    assert all(PASSWORD not in out for out in result.outputs.values())


def test_refused_port(platforms: dict[str, Platform], sim: CliSim) -> None:
    for device in ("VRP-1", "TL1-1"):
        result = session(sim, platforms, device, port=free_port())
        assert result.error is not None and result.error.reason is CliFailure.refused, result.error
        assert "refused" in str(result.error)


@pytest.mark.parametrize("device", ["VRP-1", "ZTE-1", "TL1-1", "TL1-S", "VRP-T"])
def test_no_prompt(sim: CliSim, platforms: dict[str, Platform], device: str) -> None:
    sim.mode(device, "no_prompt")
    result = session(sim, platforms, device)
    assert result.error is not None
    assert result.error.reason is CliFailure.no_prompt, result.error
    assert result.outputs == {}
    assert PASSWORD not in str(result.error)


def test_silent_port(sim: CliSim, platforms: dict[str, Platform]) -> None:
    """A port that accepts TCP and never sends a byte: no SSH banner is a timeout; over telnet, no
    login prompt (and no TL1 answer) is a prompt that never came."""
    for device in ("VRP-1", "VRP-T", "TL1-1"):
        sim.mode(device, "no_banner")
    ssh = session(sim, platforms, "VRP-1")
    assert ssh.error is not None and ssh.error.reason is CliFailure.timeout, ssh.error
    assert "banner" in str(ssh.error)
    for device in ("VRP-T", "TL1-1"):
        result = session(sim, platforms, device)
        assert result.error is not None and result.error.reason is CliFailure.no_prompt, result.error


def test_a_command_that_never_ends_stops_the_session_and_keeps_earlier_outputs(
    sim: CliSim, platforms: dict[str, Platform]
) -> None:
    vrp = platforms["huawei_vrp"]
    keys = [c.key for c in vrp.commands]
    sim.hang("VRP-1", vrp.commands[2].command)
    result = session(sim, platforms, "VRP-1")
    assert set(result.outputs) == set(keys[:2])
    assert set(result.failures) == {keys[2]}
    assert result.failures[keys[2]].reason is CliFailure.timeout
    assert result.error is result.failures[keys[2]]
    assert vrp.commands[2].command in str(result.error)


def test_tl1_denied_command_fails_only_that_command(sim: CliSim, platforms: dict[str, Platform]) -> None:
    (sim.outputs_dir("TL1-1") / "rtrv_cond_all.txt").unlink()
    result = session(sim, platforms, "TL1-1")
    assert result.error is None
    assert set(result.outputs) == {"alarms"}
    failure = result.failures["conditions"]
    assert failure.reason is CliFailure.protocol_error
    assert "RTRV-COND-ALL" in str(failure) and "IICM" in str(failure)


def test_abort_ends_a_hung_session_from_another_thread(sim: CliSim, platforms: dict[str, Platform]) -> None:
    sim.hang("ZTE-1", "show alarm current")
    handle = SessionHandle()
    results: list[SessionResult] = []
    slow = Timeouts(connect_s=3, banner_s=3, auth_s=3, read_s=120)
    worker = threading.Thread(
        target=lambda: results.append(session(sim, platforms, "ZTE-1", timeouts=slow, handle=handle))
    )
    worker.start()
    worker.join(timeout=2)
    assert worker.is_alive(), "the session is stuck on the hung command"
    handle.abort()
    worker.join(timeout=30)
    assert not worker.is_alive()
    (result,) = results
    assert result.error is not None and result.error.reason is CliFailure.timeout
    assert "did not finish in time" in str(result.error)
