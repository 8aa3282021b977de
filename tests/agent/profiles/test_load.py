"""Loading profiles: the shipped set is valid; every mistake is reported as file:line: path: what (fix)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.profiles import load_profiles
from correlator.configfile.errors import ConfigError

from .helpers import PROFILES, profiles

Edit = Callable[[str, str, str], int]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dst = tmp_path / "profiles"
    shutil.copytree(PROFILES, dst)
    return dst


@pytest.fixture
def edit(copy: Path) -> Edit:
    """edit(file, old, new): replace the first occurrence; returns the line number of ``new``."""

    def _edit(name: str, old: str, new: str) -> int:
        path = copy / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        pos = text.index(old)
        path.write_text(text[:pos] + new + text[pos + len(old) :])
        return text[:pos].count("\n") + 1

    return _edit


def errors(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_profiles(directory)
    return [str(i) for i in info.value.issues]


def test_the_shipped_profiles_load_and_walk_numeric_oids() -> None:
    ps = profiles()
    assert len(ps) >= 20
    for profile in ps:
        for spec in profile.tables():
            assert spec.columns, (profile.id, spec.name)
            for oid in spec.columns:
                assert re.fullmatch(r"1(\.\d+)+", oid), (profile.id, spec.name, oid)


def test_unknown_alarm_type(copy: Path, edit: Edit) -> None:
    line = edit("tables-ipran.yaml", "raise: PW_DOWN", "raise: PW_GONE")
    assert errors(copy) == [
        f"{copy / 'tables-ipran.yaml'}:{line}: tables.pseudowire.alarms[0].raise: unknown alarm type 'PW_GONE'"
        " (use a type of config/alarm_types.yaml)"
    ]


def test_state_not_in_the_value_map(copy: Path, edit: Edit) -> None:
    line = edit("tables-ipran.yaml", "pwOperStatus: [down, lowerLayerDown", "pwOperStatus: [dwn, lowerLayerDown")
    (error,) = errors(copy)
    assert error.startswith(f"{copy / 'tables-ipran.yaml'}:{line}: tables.pseudowire.alarms[0].when.pwOperStatus: dwn:")
    assert error.endswith(
        "(states: dormant, down, lowerLayerDown, notPresent, testing, unknown, up) (use a state name of its value map)"
    )


def test_unknown_field_in_a_name(copy: Path, edit: Edit) -> None:
    line = edit("tables-ipran.yaml", '"PW-{pwID}"', '"PW-{pwId}"')
    (error,) = errors(copy)
    assert error.startswith(
        f"{copy / 'tables-ipran.yaml'}:{line}: tables.pseudowire.resource.name[0]: unknown field 'pwId'"
    )


def test_join_to_a_table_the_profile_does_not_poll(copy: Path, edit: Edit) -> None:
    edit(
        "huawei.yaml",
        "tables: [system, interfaces, entPhysical, entAliasMapping, hwOpticalModuleInfo]",
        "tables: [system, interfaces, entAliasMapping, hwOpticalModuleInfo]",
    )
    problems = errors(copy)
    assert any(
        re.fullmatch(
            rf"{re.escape(str(copy / 'tables-huawei.yaml'))}:\d+: tables\.hwOpticalModuleInfo\.joins\[0\]\.table: "
            r"profile 'huawei-ar' does not poll table 'entPhysical' \(add the table to the profile, or mark the join"
            r" optional: true\)",
            p,
        )
        for p in problems
    ), problems


def test_bad_override_points_at_the_profile(copy: Path, edit: Edit) -> None:
    line = edit(
        "huawei.yaml",
        "optical: {unit: microwatt, absent: [-1], no_light: []}",
        "optical: {unit: furlongs, absent: [-1], no_light: []}",
    )
    (error,) = errors(copy)
    assert error.startswith(f"{copy / 'huawei.yaml'}:{line}: profiles[1].tables[4].optical.unit: Input should be")
    assert error.endswith("(use one of the listed values)")


def test_extends_cycle_and_unknown_table(copy: Path, edit: Edit) -> None:
    line = edit(
        "transport.yaml",
        "extends: transport-base\n    kind: sdh\n    vendor: huawei",
        "extends: nokia-1830\n    kind: sdh\n    vendor: huawei",
    )
    edit(
        "transport.yaml",
        "extends: transport-base\n    kind: sdh\n    vendor: nokia",
        "extends: huawei-optix\n    kind: sdh\n    vendor: nokia",
    )
    line2 = edit("others.yaml", "tables: [system, interfaces]\n", "tables: [system, interfaces, ifTable]\n")
    problems = errors(copy)
    cycles = [p for p in problems if "extends cycle" in p]
    cycle = "extends cycle: nokia-1830 -> huawei-optix -> nokia-1830 (break the cycle)"
    assert f"{copy / 'transport.yaml'}:{line}: profiles[0].extends: {cycle}" in cycles
    assert any(
        p.startswith(f"{copy / 'others.yaml'}:{line2}: profiles[5].tables[2]: unknown table 'ifTable'")
        for p in problems
    )


def test_fallbacks_are_required(copy: Path, edit: Edit) -> None:
    edit("generic.yaml", "fallback: {kinds: [mstp]}", "priority: 0")
    edit("generic.yaml", "fallback: {kinds: [ipran], default: true}", "fallback: {kinds: [ipran]}")
    problems = errors(copy)
    assert any("no fallback profile for kind 'mstp'" in p for p in problems)
    assert any("exactly one fallback must be 'default: true' (found: none)" in p for p in problems)


def test_schema_syntax_and_duplicate_keys_are_all_reported(copy: Path, edit: Edit) -> None:
    flag = edit("tables-sonet.yaml", "4: sonetSectionLOF}", "3: sonetSectionLOF}")
    dup = edit(
        "tables-cisco.yaml",
        "      cpwVcType: 1.3.6.1.4.1.9.10.106.1.2.1.2\n",
        "      cpwVcType: 1.3.6.1.4.1.9.10.106.1.2.1.2\n      cpwVcType: 1.3.6.1.4.1.9.10.106.1.2.1.3\n",
    )
    oid = edit("tables-ipran.yaml", "bfdSessState: 1.3.6.1.2.1.222.1.2.1.11", "bfdSessState: iso.3.6")
    (copy / "broken.yaml").write_text("tables:\n  x: [unclosed\n")
    problems = errors(copy)
    assert any(
        p.startswith(f"{copy / 'tables-sonet.yaml'}:{flag}: tables.sonetSection.values.sonetSectionCurrentStatus:")
        and "bitmask flag 3 is not a power of two" in p
        for p in problems
    ), problems
    duplicate = (
        f"duplicate key 'cpwVcType' (first on line {dup}) (keep one of them; YAML would silently drop the first)"
    )
    assert f"{copy / 'tables-cisco.yaml'}:{dup + 1}: tables.cpwVc.columns.cpwVcType: {duplicate}" in problems
    assert any(
        p.startswith(f"{copy / 'tables-ipran.yaml'}:{oid}: tables.bfdSession.columns.bfdSessState: String should match")
        for p in problems
    )
    assert any(p.startswith(f"{copy / 'broken.yaml'}:") and "YAML syntax error" in p for p in problems)


def test_empty_directory(tmp_path: Path) -> None:
    assert errors(tmp_path) == [f"{tmp_path}:0: (directory): no profile files (*.yaml) (check profiles_dir)"]
