"""The systemd units in deploy/systemd are valid (``systemd-analyze verify`` has nothing to say about
them), start the right command, and keep the hardening and shutdown settings the README promises."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, need

UNITS = ROOT / "deploy" / "systemd"
COMMANDS = {
    "linewatch-agent.service": "linewatch agent --config /etc/linewatch/linewatch.yaml --json-logs",
    "linewatch-correlator.service": "linewatch correlator --config /etc/linewatch/linewatch.yaml --json-logs",
    "linewatch.service": "linewatch run --config /etc/linewatch/linewatch.yaml --json-logs",
}


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Section -> key -> every value given (systemd keys may repeat: ExecStartPre, SystemCallFilter)."""
    out: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = out.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        section.setdefault(key.strip(), []).append(value.strip())
    return out


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        need("systemd-analyze is not installed", "apt-get install systemd (scripts/debian-packages.txt)")
    assert analyze is not None
    for unit in UNITS.glob("*.service"):
        # the daemon's paths do not exist here: point them at a binary that does
        text = unit.read_text().replace("/opt/linewatch/.venv/bin/linewatch", shutil.which("true") or "/bin/true")
        text = text.replace("EnvironmentFile=/etc/linewatch/linewatch.env", f"EnvironmentFile=-{tmp_path}/none.env")
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys and bad values are only warnings


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_unit_runs_its_half_and_stops_it_cleanly(name: str) -> None:
    unit = read_unit(UNITS / name)
    service = {k: v[-1] for k, v in unit["Service"].items()}
    assert service["ExecStart"].endswith(COMMANDS[name])
    assert any("check-config" in pre for pre in unit["Service"]["ExecStartPre"])
    assert service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"
    assert service["EnvironmentFile"] == "/etc/linewatch/linewatch.env"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "StateDirectory": "linewatch",
        "User": "linewatch",
    }.items():
        assert service[key] == value, (name, key)
