"""`linewatch check-config`: the lab and the mini network pass; each broken variant fails with
the file, the line and the path of its fault, and every fault is reported, not just the first."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from correlator.cli import main
from tests.conftest import LAB, ROOT, Edit


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_mini_is_valid(mini: Path) -> None:
    code, out, err = run("check-config", str(mini))
    assert code == 0, err
    assert "valid" in out
    assert "2 circuits" in out


def test_lab_is_valid() -> None:
    code, _out, err = run("check-config", str(LAB))
    assert code == 0, err
    counts = json.loads(run("check-config", "--json", str(LAB))[1])["counts"]
    assert counts["circuits"] >= 12
    assert counts["customers"] >= 6


def test_installed_console_script(mini: Path) -> None:
    exe = shutil.which("linewatch", path=str(Path(sys.executable).parent))
    assert exe, "the linewatch console script is not installed next to this Python"
    ok = subprocess.run([exe, "check-config", str(mini)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    (mini.parent / "network.yaml").write_text("sites: [\n")
    bad = subprocess.run([exe, "check-config", str(mini)], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "network.yaml:" in bad.stderr and "YAML syntax error" in bad.stderr


# (file, old, new, path reported, message fragment, fix fragment)
BROKEN = [
    pytest.param(
        "network.yaml",
        "a: NE-A:2-SL16-1",
        "a: NE-A:9-SL16-9",
        "links[1].a",
        "unknown port '9-SL16-9' on device 'NE-A'",
        "add it to NE-A's ports",
        id="link-names-missing-port",
    ),
    pytest.param(
        "network.yaml",
        "z: NE-B:1-SL16-1",
        "z: NE-Q:1-SL16-1",
        "links[0].z",
        "unknown device 'NE-Q'",
        "declare device",
        id="link-names-missing-device",
    ),
    pytest.param(
        "services.yaml",
        "customer: CU-SHOP",
        "customer: CU-NOBODY",
        "circuits[1].customer",
        "unknown customer 'CU-NOBODY'",
        "declare customer",
        id="circuit-names-missing-customer",
    ),
    pytest.param(
        "services.yaml",
        "- id: CKT-2",
        "- id: CKT-1",
        "circuits[1].id",
        "duplicate circuits id 'CKT-1'",
        "ids must be unique",
        id="duplicate-circuit-id",
    ),
    pytest.param(
        "network.yaml",
        "- {id: D5,",
        "- {id: D4,",
        "ducts[4].id",
        "duplicate ducts id 'D4'",
        "rename or remove one",
        id="duplicate-duct-id",
    ),
    pytest.param(
        "services.yaml",
        "hops: [L-A-CPE1, L-AB1, L-B-CPE2]",
        "hops: [L-A-CPE1, L-B-CPE2, L-AB1]",
        "circuits[0].working.hops[1]",
        "hop 'L-B-CPE2' (NE-B–CPE-2) does not continue from element 'NE-A'",
        "in order from a_end.device",
        id="path-hops-do-not-connect",
    ),
    pytest.param(
        "services.yaml",
        "hops: [L-A-CPE1, L-AB1]\n",
        "hops: [L-A-CPE1]\n",
        "circuits[1].working.hops",
        "the path ends at 'NE-A', not at the Z-end element 'NE-B'",
        "add the missing hops",
        id="path-stops-short",
    ),
    pytest.param(
        "services.yaml",
        "hops: [L-A-CPE1, L-AB1]\n",
        "hops: [L-A-CPE1, L-AB1]\n    protection:\n      hops: [L-A-CPE1, L-AB2]\n",
        "circuits[1].protection",
        "maintenance level ordinary takes no protection path",
        "remove protection",
        id="protection-on-ordinary",
    ),
    pytest.param(
        "services.yaml",
        "    protection:\n      hops: [L-A-CPE1, L-AB2, L-B-CPE2]\n      trail: VC12-2-1\n",
        "",
        "circuits[0].protection",
        "maintenance level AAA requires a protection path",
        "add protection",
        id="AAA-without-protection",
    ),
    pytest.param(
        "services.yaml",
        "tier: group",
        "tier: platinum",
        "customers[0].tier",
        "'group', 'provincial', 'local_a', 'local_b' or 'local_c'",
        "listed values",
        id="unknown-tier-lists-valid",
    ),
    pytest.param(
        "services.yaml",
        "maintenance_level: AAA",
        "maintenance_level: AAAA",
        "circuits[0].maintenance_level",
        "'AAA', 'AA', 'A', 'I', 'II', 'III' or 'ordinary'",
        "listed values",
        id="unknown-maintenance-level",
    ),
    pytest.param(
        "network.yaml",
        "kind: sdh\n    vendor: huawei\n    platform: OptiX OSN 3500\n    role: aggregation\n    site: A-CO",
        "kind: pdh\n    vendor: huawei\n    platform: OptiX OSN 3500\n    role: aggregation\n    site: A-CO",
        "devices[0].kind",
        "'sdh', 'mstp', 'ipran' or 'cpe'",
        "listed values",
        id="unknown-device-kind",
    ),
    pytest.param(
        "network.yaml",
        "ducts: [D1, D2]",
        "ducts: [D1, D5]",
        "cables[0].ducts[1]",
        "duct 'D5' (CP-2–B-CO) does not continue from site 'MH1'",
        "in order from a_site",
        id="cable-ducts-do-not-join",
    ),
    pytest.param(
        "network.yaml",
        "ducts: [D1, D2]",
        "ducts: [D1]",
        "cables[0].ducts",
        "the ducts join 'A-CO' to 'MH1', not to the cable's z_site 'B-CO'",
        "add the missing ducts",
        id="cable-ducts-stop-short",
    ),
    pytest.param(
        "network.yaml",
        "cables: [C2]",
        "cables: [C3]",
        "links[1].cables",
        "the cables join 'A-CO' to 'CP-1', but port z is at site 'B-CO'",
        "add the missing cables",
        id="link-cables-do-not-join",
    ),
    pytest.param(
        "services.yaml",
        "maintenance_level: AAA",
        "maintenance_level: AAA\n    network_grade: A",
        "circuits[0]",
        "network_grade is derived from maintenance_level",
        "",
        id="network-grade-entered",
    ),
    pytest.param(
        "network.yaml",
        "credentials: snmp-v2c",
        "credentials: snmp-v9",
        "devices[2].credentials",
        "unknown credential set 'snmp-v9'",
        "define it under credentials:",
        id="unknown-credential-set",
    ),
    pytest.param(
        "linewatch.yaml",
        "community: secret:community",
        "community: public",
        "credentials.snmp-v2c.snmp.community",
        "must be a reference env:NAME, file:PATH or secret:KEY",
        "",
        id="inline-secret-refused",
    ),
    pytest.param(
        "linewatch.yaml",
        "priv_key: secret:v3-priv",
        "priv_key: secret:v3-nope",
        "credentials.snmp-v3.snmp.priv_key",
        "secret 'v3-nope' is not in secrets.yaml",
        "add the key",
        id="secret-key-missing",
    ),
    pytest.param(
        "network.yaml",
        "    local_network: metro\n  - id: B-CO",
        "    local_network: metro\n    local_network: metro2\n  - id: B-CO",
        "sites[0].local_network",
        "duplicate key 'local_network'",
        "YAML would silently drop",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "services.yaml",
        "product: internet_dedicated",
        "product: carrier_pigeon",
        "circuits[1].product",
        "unknown product 'carrier_pigeon'",
        "add it to the SLA policy",
        id="unknown-product",
    ),
    pytest.param(
        "services.yaml",
        'resources: ["duct:D1", "cable:C1"]',
        'resources: ["duct:D9", "cable:C1"]',
        "planned_work[0].resources[0]",
        "unknown duct 'D9'",
        "",
        id="planned-work-unknown-resource",
    ),
    pytest.param(
        "services.yaml",
        "end: 2026-12-05T05:00:00+08:00",
        "end: 2026-12-05T00:00:00+08:00",
        "planned_work[0]",
        "end must be after start",
        "",
        id="planned-work-ends-before-start",
    ),
    pytest.param(
        "services.yaml",
        "start: 2026-12-05T01:00:00+08:00",
        "start: 2026-12-05T01:00:00",
        "planned_work[0].start",
        "timezone",
        "give the offset",
        id="planned-work-naive-time",
    ),
    pytest.param(
        "network.yaml",
        "- {name: GE0/0/1, kind: ge, if_index: 5}",
        "- {name: GE0/0/1, kind: ge, if_index: 5, speed: 1G}",
        "devices[2].ports[0].speed",
        "unknown field 'speed'",
        "correct its spelling",
        id="unknown-field",
    ),
    pytest.param(
        "network.yaml",
        "- {name: 3-EFS-1, board: 3, kind: fe, if_index: 3}\n  - id: NE-B",
        "- {name: 3-EFS-1, board: 7, kind: fe, if_index: 3}\n  - id: NE-B",
        "devices[0].ports[2].board",
        "no board in slot 7 on 'NE-A'",
        "declare the board",
        id="port-on-missing-board",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "path", "message", "fix"), BROKEN)
def test_broken_variant(
    mini: Path, edit: Edit, file: str, old: str, new: str, path: str, message: str, fix: str
) -> None:
    line = edit(file, old, new)
    code, out, err = run("check-config", str(mini))
    assert code == 2, out
    hits = [ln for ln in err.splitlines() if f": {path}: " in ln and message in ln]
    assert hits, f"no line with path {path!r} and {message!r} in:\n{err}"
    hit = hits[0]
    assert f"{file}:" in hit
    reported_line = int(hit.split(f"{file}:", 1)[1].split(":", 1)[0])
    # the reported line is the edited line or the entity that contains it (a few lines above)
    assert line - 12 <= reported_line <= line + 3, (hit, line)
    assert fix in hit
    assert "error" in err.splitlines()[-1]


def test_every_error_is_reported_not_just_the_first(mini: Path, edit: Edit) -> None:
    edit("services.yaml", "customer: CU-SHOP", "customer: CU-NOBODY")
    edit("network.yaml", "a: NE-A:2-SL16-1", "a: NE-A:9-SL16-9")
    edit("services.yaml", "tier: group", "tier: platinum")
    code, _, _err = run("check-config", "--json", str(mini))
    assert code == 2
    code, out, _ = run("check-config", "--json", str(mini))
    errors = json.loads(out)["errors"]
    paths = {e["path"] for e in errors}
    assert {"circuits[1].customer", "links[1].a", "customers[0].tier"} <= paths
    assert all(e["line"] > 0 for e in errors)


def test_broken_entity_does_not_cascade(mini: Path, edit: Edit) -> None:
    """A device that fails validation yields one error, not one per link naming its ports."""
    edit("network.yaml", "mgmt_address: 127.0.0.11", "mgmt_address: not-an-ip")
    code, _, err = run("check-config", str(mini))
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln and not ln.startswith(("1 error", "2 errors"))]
    assert len(lines) == 1, err
    assert "devices[0].mgmt_address" in lines[0]


def test_missing_inventory_file_and_policy(mini: Path, edit: Edit) -> None:
    edit("linewatch.yaml", "  - services.yaml", "  - nowhere/*.yaml")
    code, _, err = run("check-config", str(mini))
    assert code == 2
    assert "inventory[1]: 'nowhere/*.yaml' matches no file" in err


def test_broken_sla_policy(tmp_path: Path, mini: Path) -> None:
    sla = tmp_path / "sla.yaml"
    text = (ROOT / "config" / "sla.yaml").read_text()
    sla.write_text(text.replace("    network_grade: B\n", "    network_grade: Q\n"))
    cfg = mini.read_text()
    mini.write_text(cfg.replace(str(ROOT / "config" / "sla.yaml"), str(sla)))
    code, _, err = run("check-config", str(mini))
    assert code == 2
    assert "sla.yaml:" in err and "maintenance_levels.AA.network_grade" in err
