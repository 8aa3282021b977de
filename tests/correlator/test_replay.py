"""`linewatch replay`: a recorded stream through the correlator, deterministic, with clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from correlator.cli import main
from tests.conftest import LAB, ROOT
from tests.correlator.conftest import EVENTS, event_file

LINEWATCH = Path(sys.executable).parent / "linewatch"


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_replay_prints_incidents_tickets_and_outages() -> None:
    code, out, err = run("replay", "--config", str(LAB), "--events", str(event_file("sdh-cable-cut")))
    assert code == 0, err
    assert "replay of sdh-cable-cut.jsonl: 26 events (13 raises, 13 clears)" in out
    assert "incidents (1):" in out
    assert "cable CB-WES-CEN  [closed]  rule shared-cable  evidence 4  symptoms 9" in out
    assert "C-010      outage           CUST-CAR (local_c, ordinary, ordinary)" in out
    assert "tickets (3 outage, 3 protection lost):" in out
    assert "    1. outage           C-009" in out
    assert "restore by 2026-12-03T02:00:00Z (2880 min)" in out  # C-010: voice trunk, 48 h
    assert "TK-20261201T020000Z-C-010  P1574  [restored]  restored 2026-12-01T02:30:00Z  within limit" in out
    assert "outage intervals (3 circuits):" in out
    assert "C-010      2026-12-01T02:00:00Z -> 2026-12-01T02:30:00Z  (1800s)" in out


def test_replay_json() -> None:
    code, out, err = run("replay", "--config", str(LAB), "--events", str(event_file("duct-cut")), "--json")
    assert code == 0, err
    doc = json.loads(out)
    published = [i for i in doc["incidents"] if i["published"] and i["state"] != "merged"]
    assert [(i["root"]["kind"], i["root"]["id"], i["root"]["rule"]) for i in published] == [
        ("duct", "D-013", "shared-duct")
    ]
    assert {c["circuit"]: c["customer"] for c in published[0]["circuits"]} == {
        "C-001": "CUST-PGOV",
        "C-006": "CUST-PGOV",
    }
    assert [(t["rank"], t["priority"], t["kind"], t["circuit"]) for t in doc["tickets"]] == [
        (1, 1211, "outage", "C-001"),
        (2, 2221, "protection_lost", "C-006"),
    ]
    c001 = doc["tickets"][0]
    # restored when the access links are spliced (04:00): an hour after its 60 min AAA limit
    assert (c001["id"], c001["state"], c001["restored_at"], c001["restored_within_limit"]) == (
        "TK-20261201T020000Z-C-001",
        "restored",
        "2026-12-01T04:00:00Z",
        False,
    )
    # the protection C-001 still lacks at 04:00 ends with the cut at once: no ticket of its own
    assert [(e["event"], e["ticket_id"]) for e in doc["ticket_events"]] == [
        ("opened", "TK-20261201T020000Z-C-001"),
        ("opened", "TK-20261201T020000Z-C-006"),
        ("restored", "TK-20261201T020000Z-C-001"),
        ("restored", "TK-20261201T020000Z-C-006"),
    ]
    assert doc["suppressed"] == []
    # C-001 is back when the SDH access links are spliced (04:00), while the cut itself lasts until 04:05
    assert doc["outage_intervals"]["C-001"] == [{"from": "2026-12-01T02:00:00.100Z", "to": "2026-12-01T04:00:00Z"}]


ALL_FILES = """
import json, sys
from correlator.configfile.loader import load_config
from correlator.correlation.replay import read_events, render_text, replay, to_json
from correlator.correlation.rules import load_rules
cfg, rules = load_config(sys.argv[1]), load_rules()
for path in sys.argv[2:]:
    result = replay(cfg, rules, read_events(__import__("pathlib").Path(path)), source=path)
    sys.stdout.write(render_text(result))
    sys.stdout.write(json.dumps(to_json(result), indent=2, ensure_ascii=False))
"""


def test_replay_is_byte_identical_across_runs_and_hash_seeds() -> None:
    """Every event file, text and JSON, in processes with different string-hash seeds (so different
    set iteration orders): the same bytes."""
    files = [str(p) for p in sorted(EVENTS.glob("*.jsonl"))]
    outs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-c", ALL_FILES, str(LAB), *files], capture_output=True, env=env, cwd=ROOT, timeout=300
        )
        assert proc.returncode == 0, proc.stderr.decode()
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert outs[0].count(b"replay of ") == len(files)


def test_the_command_itself_is_deterministic() -> None:
    cmd = [str(LINEWATCH), "replay", "--config", str(LAB), "--events", str(event_file("ipran-agg-port-down"))]
    outs = [
        subprocess.run(cmd, capture_output=True, env=dict(os.environ, PYTHONHASHSEED=seed), cwd=ROOT, timeout=120)
        for seed in ("7", "99")
    ]
    assert [o.returncode for o in outs] == [0, 0]
    assert outs[0].stdout == outs[1].stdout and b"link L-IP-WES-CEN" in outs[0].stdout


def test_a_bad_line_is_named_and_exits_2(tmp_path: Path) -> None:
    lines = event_file("cpe-power-off").read_text().splitlines()
    bad = json.loads(lines[2])
    bad["action"] = "explode"
    lines[2] = json.dumps(bad)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run("replay", "--config", str(LAB), "--events", str(path))
    assert code == 2
    assert out == ""
    assert f"{path}:3: invalid AlarmEvent: action:" in err
    path.write_text(lines[0] + "\n{not json\n")
    code, _, err = run("replay", "--config", str(LAB), "--events", str(path))
    assert code == 2 and f"{path}:2: not JSON" in err


def test_a_missing_events_file_or_bad_rules_exit_2(tmp_path: Path) -> None:
    code, _, err = run("replay", "--config", str(LAB), "--events", str(tmp_path / "none.jsonl"))
    assert code == 2 and "none.jsonl: file not found" in err
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nsettle_seconds: -1\n")
    code, _, err = run(
        "replay", "--config", str(LAB), "--events", str(event_file("cpe-power-off")), "--rules", str(rules)
    )
    assert code == 2 and "rules.yaml:2: settle_seconds:" in err


def test_other_rules_change_the_replay(tmp_path: Path) -> None:
    """The regression tool for rule changes: without the duct rule the same stream gives other roots."""
    text = (ROOT / "config" / "correlation.yaml").read_text()
    start = text.index("  - name: shared-duct")
    end = text.index("  # An unreachable element")
    rules = tmp_path / "rules.yaml"
    rules.write_text(text[:start] + text[end:])
    code, out, err = run(
        "replay", "--config", str(LAB), "--events", str(event_file("duct-cut")), "--rules", str(rules), "--json"
    )
    assert code == 0, err
    roots = sorted(
        f"{i['root']['kind']}:{i['root']['id']}"
        for i in json.loads(out)["incidents"]
        if i["published"] and i["state"] != "merged"
    )
    assert roots == ["cable:CB-PGOV-B", "device:CPE-PGOV-HQ"]
