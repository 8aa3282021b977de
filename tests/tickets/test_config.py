"""The ticket rules in config/sla.yaml: validated with the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from correlator.cli import main
from correlator.configfile.loader import load_config
from tests.conftest import ROOT


def _broken(tmp_path: Path, mini: Path, old: str, new: str) -> str:
    sla = tmp_path / "sla.yaml"
    text = (ROOT / "config" / "sla.yaml").read_text()
    assert old in text
    sla.write_text(text.replace(old, new))
    cfg = mini.read_text()
    mini.write_text(cfg.replace(str(ROOT / "config" / "sla.yaml"), str(sla)))
    res = CliRunner().invoke(main, ["check-config", str(mini)])
    assert res.exit_code == 2
    return res.stderr


@pytest.mark.parametrize(
    ("old", "new", "path", "what"),
    [
        (
            "  excluded_causes: [customer_side, other_operator]\n",
            "  excluded_causes: [customer_side, weather]\n",
            "timeliness.excluded_causes[1]",
            "operator_network",
        ),
        (
            "  counted_kinds: [outage, customer_report]",
            "  counted_kinds: [outage, flapping]",
            "timeliness.counted_kinds[1]",
            "protection_lost",
        ),
        ("  reopen_within_minutes: 120 ", "  reopen_within_minutes: -5 ", "tickets.reopen_within_minutes", "0"),
        (
            "  protection_lost_restore_hours: 24 ",
            "  protection_lost_restore_hours: 0 ",
            "tickets.protection_lost_restore_hours",
            "greater than 0",
        ),
        (
            "  protection_lost_tickets: true ",
            "  protection_lost_tickets: maybe ",
            "tickets.protection_lost_tickets",
            "",
        ),
        ("  reopen_within_minutes: 120 ", "  reopen_within_hours: 2 ", "tickets.reopen_within_hours", ""),
    ],
)
def test_bad_ticket_rules_are_named(tmp_path: Path, mini: Path, old: str, new: str, path: str, what: str) -> None:
    err = _broken(tmp_path, mini, old, new)
    line = next(ln for ln in err.splitlines() if path in ln)
    assert line.startswith(str(tmp_path / "sla.yaml") + ":") or "sla.yaml:" in line
    assert what in line


def test_the_shipped_rules() -> None:
    cfg = load_config(ROOT / "config" / "lab" / "linewatch.yaml")
    rules = cfg.policy.tickets
    assert (rules.protection_lost_tickets, rules.protection_lost_restore_hours, rules.reopen_within_minutes) == (
        True,
        24,
        120,
    )
    assert rules.protection_lost_hold_seconds == 300
    assert [c.value for c in cfg.policy.timeliness.excluded_causes] == ["customer_side", "other_operator"]
    assert cfg.policy.ticket_limits.warn_fraction == 0.8
