"""``linewatch availability``: text, --json and --csv, per circuit, customer and level, and the month in
the config's timezone."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from correlator.cli import main
from tests.availability.conftest import LabRun, read_jsonl, shift
from tests.conftest import LAB, ROOT

CFG = str(LAB)
AS_OF = "2027-01-05"


def invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def url(store_url: str, lab_store: Engine) -> str:
    """The lab store with two faults: the studio's CPE off across local midnight of 30 November, and
    AGG-CEN board 3 failing for 15 minutes on 16 December."""
    cpe = shift(read_jsonl("cpe-power-off"), datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    LabRun(lab_store, cpe[0].observed_at).feed(cpe).settle()
    board = shift(read_jsonl("board-fault"), datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
    LabRun(lab_store, board[0].observed_at).feed(board).settle()
    return store_url


def test_text_per_circuit(url: str) -> None:
    code, out, err = invoke("availability", "--config", CFG, "--store", url, "--month", "2026-12", "--as-of", AS_OF)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "availability 2026-12: 2026-12-01 00:00 .. 2027-01-01 00:00 (Asia/Shanghai)"
    row = next(line for line in lines if line.strip().startswith("C-011"))
    assert row.split()[:8] == ["C-011", "CUST-SMB", "III", "255.5", "0.0", "2", "127.8", "99.4276%"]
    assert row.endswith("BELOW TARGET")
    row = next(line for line in lines if line.strip().startswith("C-006"))
    assert "15.0" in row and "99.9664%" in row and "BELOW" not in row
    assert lines[-1].startswith("total: 13 circuits, 300.5 outage minutes in 5 outages")


def test_from_to_includes_the_last_day_and_by_level(url: str) -> None:
    code, out, err = invoke(
        "availability", "--config", CFG, "--store", url, "--from", "2026-12-01", "--to", "2026-12-31",
        "--by", "level", "--as-of", AS_OF,
    )  # fmt: skip
    assert code == 0, err
    assert "2026-12-01 00:00 .. 2027-01-01 00:00" in out.splitlines()[0]
    row = next(line for line in out.splitlines() if line.strip().startswith("III "))
    assert row.split()[:3] == ["III", "1", "255.5"] and "BELOW TARGET (1: C-011)" in row


def test_json_with_spans(url: str) -> None:
    code, out, err = invoke(
        "availability", "--config", CFG, "--store", url, "--month", "2026-12", "--circuit", "C-011", "--json",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"] == {
        "label": "2026-12",
        "from": "2026-11-30T16:00:00Z",
        "to": "2026-12-31T16:00:00Z",
        "timezone": "Asia/Shanghai",
        "measured_until": "2026-12-31T16:00:00Z",
    }
    (c,) = doc["circuits"]
    assert (c["outage_minutes"], c["outages"], c["mttr_minutes"], c["met"]) == (255.5, 2, 127.75, False)
    assert c["outage_spans"][0] == {
        "from": "2026-11-30T16:00:00Z",  # the month starts at local midnight
        "to": "2026-11-30T20:00:30Z",
        "minutes": 240.5,
        "ongoing": False,
        "incidents": [c["outage_spans"][0]["incidents"][0]],
    }
    assert doc["total"]["circuits"] == 1 and "customers" in doc and "maintenance_levels" in doc


def test_csv_per_customer_and_below_target(url: str) -> None:
    code, out, err = invoke(
        "availability", "--config", CFG, "--store", url, "--month", "2026-12", "--by", "customer", "--csv",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["key"] == "CUST-BANK"
    smb = next(r for r in rows if r["key"] == "CUST-SMB")
    assert (smb["outage_minutes"], smb["circuits_below_target"], smb["met"], smb["target_percent"]) == (
        "255.5",
        "1",
        "no",
        "",
    )
    code, out, _ = invoke(
        "availability", "--config", CFG, "--store", url, "--month", "2026-12", "--csv", "--below-target",
        "--as-of", AS_OF,
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["circuit"] for r in rows] == ["C-011"]
    assert rows[0]["availability_percent"] == "99.4276"


def test_the_month_follows_the_configs_timezone(url: str, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config, ignore=shutil.ignore_patterns("state"))
    cfg = config / "lab" / "linewatch.yaml"
    cfg.write_text(cfg.read_text().replace("timezone: Asia/Shanghai", "timezone: UTC"))
    code, out, err = invoke(
        "availability", "--config", str(cfg), "--store", url, "--month", "2026-11", "--circuit", "C-011", "--json",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["circuits"][0]["outage_minutes"] == 480.5  # all of it on 30 November, UTC
    code, out, _ = invoke(
        "availability", "--config", CFG, "--store", url, "--month", "2026-11", "--circuit", "C-011", "--json",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert json.loads(out)["circuits"][0]["outage_minutes"] == 240.0  # until local midnight only


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--month", "2026-13"], 2, "month '2026-13' is not YYYY-MM"),
        (["--from", "2026-12-01"], 2, "give the period"),
        (["--from", "2026-12-09", "--to", "2026-12-01"], 2, "--to must not be before --from"),
        (["--month", "2026-12", "--customer", "CUST-NOPE"], 1, "customer 'CUST-NOPE' has no circuit"),
        (["--month", "2026-12", "--json", "--csv"], 2, "--json and --csv are exclusive"),
        (["--month", "2030-01"], 1, "has not begun yet"),
    ],
)
def test_errors(url: str, args: list[str], code: int, message: str) -> None:
    got, _, err = invoke("availability", "--config", CFG, "--store", url, *args, "--as-of", AS_OF)
    assert got == code and message in err, err
