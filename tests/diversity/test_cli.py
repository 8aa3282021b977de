"""`linewatch diversity` and `linewatch whatif` through the command line, on the lab."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from correlator.cli import main
from tests.conftest import LAB, Edit


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_diversity_text() -> None:
    code, out, err = run("diversity", "--config", str(LAB))
    assert code == 0, err
    assert "9 circuits must be diverse (4 not required)" in out
    assert "diverse 1, violation 5, unverified 1, no_protection 2" in out
    assert "C-001  VIOLATION  provincial AAA vip1  CUST-PGOV" in out
    assert "same_duct     duct D-013  [working #0 L-PGOV-SDH-A | protection #0 L-PGOV-SDH-B]" in out
    assert "unverified    cable CB-LD-N  [working #1 L-LD-N]" in out
    assert "dual_board    board AGG-CEN:3" in out
    # the config may also be the argument, like the other commands
    code, out2, _ = run("diversity", str(LAB))
    assert code == 0 and out2 == out


def test_diversity_json() -> None:
    code, out, err = run("diversity", "--config", str(LAB), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["counts"] == {"diverse": 1, "violation": 5, "unverified": 1, "no_protection": 2}
    c001 = next(c for c in doc["circuits"] if c["circuit"] == "C-001")
    duct = next(f for f in c001["findings"] if f["rule"] == "same_duct")
    assert duct["element"] == {"kind": "duct", "id": "D-013", "where": "CP-PGOV-HQ–MH-28"}
    assert duct["working_hops"] == [{"index": 0, "link": "L-PGOV-SDH-A"}]
    assert duct["protection_hops"] == [{"index": 0, "link": "L-PGOV-SDH-B"}]
    assert "suggestions" not in doc


def test_diversity_csv() -> None:
    code, out, err = run("diversity", "--config", str(LAB), "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    verdicts = {r["circuit"]: r["verdict"] for r in rows}
    assert len(verdicts) == 9
    assert sorted(verdicts.values()).count("violation") == 5
    (c002,) = [r for r in rows if r["circuit"] == "C-002"]
    assert (c002["verdict"], c002["rule"]) == ("diverse", "")
    (d013,) = [r for r in rows if r["rule"] == "same_duct" and r["circuit"] == "C-001"]
    assert (d013["element_kind"], d013["element_id"]) == ("duct", "D-013")
    assert (d013["working_hops"], d013["protection_hops"]) == ("0:L-PGOV-SDH-A", "0:L-PGOV-SDH-B")
    assert "CB-PGOV-A" in d013["detail"]


def test_diversity_suggestions() -> None:
    code, out, err = run("diversity", "--config", str(LAB), "--json", "--suggest")
    assert code == 0, err
    sugg = {s["circuit"]: s for s in json.loads(out)["suggestions"]}
    assert set(sugg) == {"C-001", "C-004", "C-005", "C-006", "C-007", "C-008", "C-013"}
    assert sugg["C-004"]["status"] == "none" and sugg["C-004"]["cut_ducts"] == ["D-056"]
    assert sugg["C-001"]["status"] == "route" and sugg["C-001"]["protection"]["ducts"][0] == "D-017"
    code, out, err = run("diversity", "--config", str(LAB), "--suggest")
    assert code == 0, err
    assert "C-004  none: every route between CP-HOSP-MAIN and CP-HOSP-EAST runs through duct D-056" in out


def test_whatif_json_and_text() -> None:
    code, out, err = run("whatif", "--config", str(LAB), "--cut", "duct:D-013", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["cuts"] == ["duct:D-013"]
    assert [i["circuit"] for i in doc["lose_service"]] == ["C-001"]
    assert [i["circuit"] for i in doc["lose_protection"]] == ["C-006"]
    assert doc["lose_protection"][0]["paths_cut"] == [
        {"role": "protection", "hops": [{"index": 0, "link": "L-PGOV-VPN-B"}], "ends": []}
    ]
    code, out, err = run("whatif", "--config", str(LAB), "--cut", "duct:D-013")
    assert code == 0, err
    assert out.splitlines()[0] == "what if duct:D-013 were cut: 1 circuit loses service, 1 loses protection"
    assert "C-006" in out.split("lose protection:")[1]


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        ("pipe:X", "kind 'pipe' is not one of site, duct, cable, device, board, port, link"),
        ("duct:D-999", "no duct 'D-999' in the inventory"),
    ],
)
def test_whatif_bad_cut(cut: str, message: str) -> None:
    code, out, err = run("whatif", "--config", str(LAB), "--cut", cut)
    assert code == 2
    assert message in err
    assert out == ""


def test_usage_errors(mini: Path, edit: Edit) -> None:
    code, _, err = run("diversity")
    assert code == 2 and "--config CFG" in err
    code, _, err = run("diversity", "--config", str(LAB), "--json", "--csv")
    assert code == 2 and "exclusive" in err
    code, _, err = run("whatif", "--config", str(LAB))
    assert code == 2 and "--cut" in err
    edit("services.yaml", "customer: CU-SHOP", "customer: CU-NOBODY")
    code, _, err = run("diversity", "--config", str(mini))
    assert code == 2 and "unknown customer 'CU-NOBODY'" in err
