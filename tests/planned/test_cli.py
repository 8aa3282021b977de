"""``linewatch planned list|check|add|update|cancel`` on the lab, text and --json, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from correlator.cli import main
from tests.conftest import LAB

CFG = str(LAB)


def invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_list_the_lab_windows_from_the_inventory_files() -> None:
    code, out, err = invoke("planned", "list", "--config", CFG, "--inventory-only")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "3 planned-work windows (times Asia/Shanghai)"
    assert lines[1].startswith("PW-2026-12-001") and "2026-12-08 00:30 .. 2026-12-08 04:30" in lines[1]
    assert lines[2].endswith("[notice_too_short]") and "notice   24.0 h" in lines[2]
    assert "NOT approved" in lines[3] and lines[3].endswith("[approval_missing]")

    code, out, _ = invoke("planned", "list", "--config", CFG, "--inventory-only", "--from", "2026-12-15", "--json")
    doc = json.loads(out)
    assert [w["id"] for w in doc["windows"]] == ["PW-2026-12-002", "PW-2026-12-003"]
    assert doc["windows"][0]["warnings"] == ["notice_too_short"]
    assert doc["windows"][0]["start"] == "2026-12-14T17:00:00+00:00"


def test_check_text_json_and_strict() -> None:
    code, out, err = invoke("planned", "check", "--config", CFG, "--inventory-only")
    assert code == 0, err
    assert "PW-2026-12-001  ok" in out
    assert "WARNING notice_too_short: announced 24.0 h ahead, 72 h required" in out
    assert "WARNING approval_missing: not approved, and approval is required first: it lasts 32.0 h" in out
    assert "lose service: C-007 (CUST-RETAIL, A)" in out
    assert out.rstrip().endswith("3 window(s) checked, 2 with warnings")

    code, out, _ = invoke("planned", "check", "--config", CFG, "--inventory-only", "--json", "PW-2026-12-003")
    doc = json.loads(out)
    assert doc["thresholds"] == {
        "notice_hours": 72.0,
        "approval_required_over_hours": 24.0,
        "approval_required_for_important": True,
    }
    assert [w["id"] for w in doc["windows"]] == ["PW-2026-12-003"]
    assert doc["windows"][0]["findings"][0]["rule"] == "approval_missing"

    code, _, _ = invoke("planned", "check", "--config", CFG, "--inventory-only", "--strict")
    assert code == 1
    code, _, _ = invoke("planned", "check", "--config", CFG, "--inventory-only", "--strict", "PW-2026-12-001")
    assert code == 0
    code, _, err = invoke("planned", "check", "--config", CFG, "--inventory-only", "PW-NOPE")
    assert code == 2 and "no planned work PW-NOPE" in err


def _future(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M+00:00")


def test_add_update_cancel_through_the_store(store_url: str) -> None:
    code, _, err = invoke("db", "upgrade", "--store", store_url)
    assert code == 0, err
    code, _, err = invoke("inventory", "import", "--store", store_url, CFG)
    assert code == 0, err

    code, out, err = invoke(
        "planned", "add", "--config", CFG, "--store", store_url,
        "--id", "CHG-1301", "--title", "Swap the AGG-EAS fan tray", "--kind", "equipment_move",
        "--resource", "device:AGG-EAS", "--start", _future(100), "--end", _future(102),
        "--step", "switch C-007 away", "--step", "swap", "--by", "cli:wang",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("created CHG-1301 (revision 1)")
    assert "lose service: C-007 (CUST-RETAIL, A)" in out
    assert "WARNING approval_missing" in out  # touches the bank, the government office, the hospital

    code, out, err = invoke(
        "planned", "update", "--config", CFG, "--store", store_url, "CHG-1301",
        "--approved-by", "Wang Li (CHG-1301)", "--revision", "1", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["revision"] == 2 and doc["approved_by"] == "Wang Li (CHG-1301)" and doc["check"]["ok"] is True

    code, _, err = invoke(
        "planned", "update", "--config", CFG, "--store", store_url, "CHG-1301", "--title", "x", "--revision", "1"
    )
    assert code == 1 and "revision 2, not 1" in err

    code, out, err = invoke("planned", "list", "--config", CFG, "--store", store_url, "--source", "runtime", "--json")
    assert code == 0, err
    (w,) = json.loads(out)["windows"]
    assert (w["id"], w["source"], w["created_by"], w["steps"]) == (
        "CHG-1301",
        "runtime",
        "cli:wang",
        ["switch C-007 away", "swap"],
    )

    code, _, err = invoke("planned", "cancel", "--config", CFG, "--store", store_url, "PW-2026-12-001", "--reason", "x")
    assert code == 1 and "comes from the inventory files" in err
    code, out, err = invoke(
        "planned", "cancel", "--config", CFG, "--store", store_url, "CHG-1301", "--reason", "vendor postponed"
    )
    assert code == 0, err
    assert out.startswith("cancelled CHG-1301 (revision 3)") and "cancelled (not checked)" in out

    code, out, err = invoke("inventory", "import", "--store", store_url, CFG)  # leaves the runtime window alone
    assert code == 0 and "inventory unchanged" in out, err
    code, out, _ = invoke("planned", "list", "--config", CFG, "--store", store_url)
    assert out.splitlines()[0] == "4 planned-work windows (times Asia/Shanghai)"
    code, out, _ = invoke("planned", "list", "--config", CFG, "--store", store_url, "--no-cancelled")
    assert out.splitlines()[0] == "3 planned-work windows (times Asia/Shanghai)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resource", "duct:D-999"], "no duct 'D-999' in the inventory"),
        (["--resource", "board:AGG-EAS"], "no board 'AGG-EAS' in the inventory (write board:DEVICE:SLOT)"),
        (["--resource", "device:AGG-EAS", "--start", "tomorrow"], "'tomorrow' is not a date or time"),
    ],
)
def test_add_refuses_bad_input(store_url: str, args: list[str], message: str) -> None:
    invoke("db", "upgrade", "--store", store_url)
    invoke("inventory", "import", "--store", store_url, CFG)
    base = ["planned", "add", "--config", CFG, "--store", store_url, "--title", "t", "--kind", "other"]
    times = ["--start", _future(10), "--end", _future(11)]
    code, _, err = invoke(*base, *times, *args)
    assert code in (1, 2) and message in err, err
