"""The vendor alarm-name table: the shipped file, lookups, and load-time checks with file:line errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agent.cli.alarmnames import load_vendor_alarms
from correlator.alarmtypes import load_alarm_types
from correlator.configfile.errors import ConfigError
from correlator.wire import ResourceType, Severity

from .helpers import SAMPLES, look, platforms, table


def test_shipped_table_maps_every_platform_onto_known_types() -> None:
    t = table()
    types = load_alarm_types()
    assert t.platforms() == ["huawei_vrp", "tl1", "zte_zxros"]
    for name in t.platforms():
        section = t.section(name)
        assert section.alarms, name
        for mapping in section.alarms.values():
            assert mapping.alarm_type in types.types
    for platform in platforms().values():
        assert platform.alarm_names in t  # every platform has its section
    assert t.missing(p.alarm_names for p in platforms().values()) == []
    assert t.missing(["huawei_vrp", "ciena_tl1"]) == ["ciena_tl1"]


@pytest.mark.parametrize(
    ("platform", "vendor", "alarm_type", "resource"),
    [
        ("huawei_vrp", "R_LOS", "LOS", ResourceType.port),
        ("huawei_vrp", "r_los", "LOS", ResourceType.port),  # names match ignoring case
        ("huawei_vrp", "MS_AIS", "MS_AIS", ResourceType.port),
        ("huawei_vrp", "AU_AIS", "AU_AIS", ResourceType.path),
        ("huawei_vrp", "TU_AIS", "TU_AIS", ResourceType.path),
        ("huawei_vrp", "HP_RDI", "HP_RDI", ResourceType.path),
        ("huawei_vrp", "LP_RDI", "LP_RDI", ResourceType.path),
        ("huawei_vrp", "ETH_LOS", "LINK_DOWN", ResourceType.port),
        ("huawei_vrp", "hwPWVcDown", "PW_DOWN", ResourceType.pw),
        ("huawei_vrp", "hwBfdSessDown", "BFD_DOWN", ResourceType.bfd),
        ("huawei_vrp", "IN_PWR_LOW", "OPTICAL_RX_LOW", ResourceType.optical),
        ("zte_zxros", "MS-AIS", "MS_AIS", ResourceType.port),
        ("zte_zxros", "LSP_DOWN", "TUNNEL_DOWN", ResourceType.tunnel),
        ("tl1", "AIS-L", "MS_AIS", ResourceType.port),
        ("tl1", "RFI-P", "HP_RDI", ResourceType.path),
        ("tl1", "REPLUNITMISS", "BOARD_MISSING", ResourceType.board),
    ],
)
def test_lookup(platform: str, vendor: str, alarm_type: str, resource: ResourceType) -> None:
    m = table().section(platform).lookup(vendor)
    assert m is not None and not m.generic
    assert (m.alarm_type, m.resource) == (alarm_type, resource)


def test_ignored_and_unknown_names() -> None:
    section = table().section("huawei_vrp")
    assert section.lookup("hwGtlDefaultValue") is None  # deliberately not watched
    unknown = section.lookup("hwSomethingNew")
    assert unknown is not None and unknown.generic
    assert (unknown.alarm_type, unknown.vendor, unknown.resource) == (
        "VENDOR_ALARM",
        "hwSomethingNew",
        ResourceType.device,
    )


def test_severity_spellings() -> None:
    hw, zte, tl1 = (table().section(p) for p in ("huawei_vrp", "zte_zxros", "tl1"))
    assert hw.severity("Major") is Severity.major and hw.severity("major") is Severity.major
    assert hw.severity("紧急") is Severity.critical and hw.severity("3") is Severity.minor
    assert zte.severity("严重") is Severity.critical
    assert tl1.severity("NR") is Severity.info and tl1.severity("CL") == "clear"
    assert hw.severity("Catastrophic") is None and hw.severity(None) is None


def test_unmapped_name_is_kept_generic_reported_and_never_in_vendor_spelling() -> None:
    obs = look("huawei_vrp", {"alarms": (SAMPLES / "huawei_vrp" / "display_alarm_active_verbose.txt").read_text()})
    generic = [c for c in obs.conditions if c.alarm_type == "VENDOR_ALARM"]
    assert [(c.resource.key(), c.severity) for c in generic] == [("tunnel:Tunnel1055", Severity.warning)]
    assert generic[0].detail.startswith("hwMplsTunnelHSBSwitch: Traffic switched from the primary LSP")
    assert obs.problems == [
        "NE-1: cli:alarms ('display alarm active verbose'): unmapped vendor alarm 'hwMplsTunnelHSBSwitch' "
        "(kept as VENDOR_ALARM; add it to config/vendor_alarms.yaml platforms.huawei_vrp.alarms)"
    ]
    assert "cli:alarms" in obs.scopes  # an unmapped name does not make the table incomplete


def test_no_condition_of_any_sample_carries_a_vendor_spelling() -> None:
    types = load_alarm_types().types
    for folder in sorted(SAMPLES.iterdir()):
        platform = platforms()[folder.name]
        alarm_keys = [c.key for c in platform.commands if c.yields == "alarms"]
        for path in sorted(folder.glob("*.txt")):
            for key in alarm_keys:
                obs = look(folder.name, {key: path.read_text(encoding="utf-8")})
                for cond in obs.conditions:
                    assert cond.alarm_type in types, (path.name, cond)


def test_two_unmapped_alarms_on_one_resource_are_one_condition_naming_both() -> None:
    text = textwrap.dedent(
        """\
        Alarm ID      : 1
        Alarm name    : FAN_SPEED_ABNORMAL
        Alarm level   : minor
        Location      : fan-1/1
        Alarm ID      : 2
        Alarm name    : FAN_BOARD_HOT
        Alarm level   : major
        Location      : fan-1/1
        """
    )
    obs = look("zte_zxros", {"alarms": text})
    (cond,) = obs.conditions
    assert cond.alarm_type == "VENDOR_ALARM" and cond.detail == "FAN_SPEED_ABNORMAL; FAN_BOARD_HOT"
    assert len(obs.problems) == 2


# -- load-time checks -------------------------------------------------------------------------------

GOOD = """\
version: 1
resource_types: {section: port, line: port, pw: pw, device: device, vendor: device}
platforms:
  p:
    severities: {Major: major}
    alarms:
      R_LOS: {type: LOS}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vendor_alarms.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _issues(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_vendor_alarms(_write(tmp_path, text))
    return [f"{i.line}: {i.path}: {i.message}" + (f" ({i.fix})" if i.fix else "") for i in err.value.issues]


def test_minimal_file_loads(tmp_path: Path) -> None:
    t = load_vendor_alarms(_write(tmp_path, GOOD))
    m = t.section("p").lookup("r_los")
    assert m is not None and m.alarm_type == "LOS"
    with pytest.raises(KeyError, match=r"no section 'q' in the vendor alarm-name table .* \(has p; add it\)"):
        t.section("q")


def test_unknown_target_type_names_file_line_and_fix(tmp_path: Path) -> None:
    issues = _issues(tmp_path, GOOD + "      ETH_LOS: {type: ETH_LOS}\n")
    assert issues == [
        "8: platforms.p.alarms.ETH_LOS.type: unknown alarm type 'ETH_LOS' "
        "(use a type of config/alarm_types.yaml (or add it there))"
    ]
    with pytest.raises(ConfigError) as err:
        load_vendor_alarms(_write(tmp_path, GOOD + "      X: {type: NOPE}\n"))
    assert str(err.value).startswith(f"{tmp_path / 'vendor_alarms.yaml'}:8: platforms.p.alarms.X.type:")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("generic", "x") + (
        "      r_los: {type: LOS}\n"  # a duplicate ignoring case
        "      AU_AIS: {type: AU_AIS}\n"  # layer path_high not in resource_types
        "      linkDown: {type: LOS, only: '(['}\n"  # bad regex
        "    ignore: [R_LOS]\n"  # both mapped and ignored
        "    params: {port: ['ifName']}\n"  # not a template
    )
    issues = _issues(tmp_path, text)
    assert any("platforms.p.alarms.r_los: alarm name 'r_los' is listed twice (ignoring case)" in i for i in issues)
    assert any("type 'AU_AIS' is of layer 'path_high', which resource_types does not map" in i for i in issues)
    assert any("platforms.p.alarms.linkDown.only: regex '([' does not compile" in i for i in issues)
    assert any("'R_LOS' is both mapped and in 'ignore'" in i for i in issues)
    assert any("platforms.p.params.port[0]: 'ifName' is not a name template" in i for i in issues)
    assert len(issues) == 5


def test_generic_type_must_exist_and_layers_must_be_real(tmp_path: Path) -> None:
    text = GOOD.replace("version: 1\n", "version: 1\ngeneric_type: UNKNOWN_THING\n").replace(
        "vendor: device}", "vendor: device, warp: port}"
    )
    issues = _issues(tmp_path, text)
    assert "2: generic_type: unknown alarm type 'UNKNOWN_THING' (add it to config/alarm_types.yaml)" in issues
    assert any(i.startswith("3: resource_types.warp: no alarm type has layer 'warp'") for i in issues)


def test_schema_and_syntax_errors(tmp_path: Path) -> None:
    issues = _issues(tmp_path, GOOD.replace("{type: LOS}", "{type: LOS, colour: red}"))
    assert issues == ["7: platforms.p.alarms.R_LOS.colour: unknown field 'colour' (remove it or correct its spelling)"]
    issues = _issues(tmp_path, GOOD.replace("major}", "loud}"))
    assert issues[0].startswith("5: platforms.p.severities.Major:")
    issues = _issues(tmp_path, "version: 1\nplatforms: [\n")
    assert issues[0].startswith("3: (syntax): YAML syntax error")
