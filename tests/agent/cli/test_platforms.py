"""The CLI platforms: the shipped files, the API the sessions use, and load-time checks."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from agent.cli.parse import OWN_TEMPLATES
from agent.cli.platform import load_platforms
from correlator.configfile.errors import ConfigError

from .helpers import platforms


def test_shipped_platforms() -> None:
    p = platforms()
    assert sorted(p) == ["huawei_vrp", "tl1", "zte_zxros"]
    hw, zte, tl1 = p["huawei_vrp"], p["zte_zxros"], p["tl1"]
    assert (hw.device_type, hw.device_type_for("telnet"), hw.paging_off) == (
        "huawei_vrp",
        "huawei_telnet",
        ["screen-length 0 temporary"],
    )
    assert [(c.key, c.command, c.scope) for c in hw.commands] == [
        ("alarms", "display alarm active verbose", "cli:alarms"),
        ("interfaces", "display interface brief", "cli:interfaces"),
        ("pw", "display mpls l2vc brief", "cli:pw"),
        ("bfd", "display bfd session all", "cli:bfd"),
        ("optical", "display optical-module brief", "cli:optical"),
        ("boards", "display device", "cli:boards"),
    ]
    assert [c.yields for c in hw.commands] == [
        "alarms",
        "interface_state",
        "pw_state",
        "bfd_state",
        "optical_power",
        "board_state",
    ]
    assert (zte.device_type, zte.device_type_for("telnet"), zte.paging_off) == (
        "zte_zxros",
        "zte_zxros_telnet",
        ["terminal length 0"],
    )
    assert [c.command for c in zte.commands] == [
        "show alarm current",
        "show interface brief",
        "show mpls l2transport vc",
        "show mpls traffic-eng tunnels",
    ]
    assert (tl1.device_type, tl1.device_type_for("telnet"), tl1.expect) == (
        "generic",
        "generic_telnet",
        r"(?m)^\s*;\s*$",
    )
    assert hw.command("pw").scope == "cli:pw"
    with pytest.raises(KeyError, match="platform huawei_vrp has no command 'nope'"):
        hw.command("nope")


def test_tl1_commands_login_and_logout_are_filled_in() -> None:
    tl1 = platforms()["tl1"]
    assert tl1.command("alarms").render(tid="NE-GZ-01", ctag="17") == "RTRV-ALM-ALL:NE-GZ-01::17;"
    assert tl1.command("conditions").render(ctag="18") == "RTRV-COND-ALL:::18;"
    assert tl1.login_commands(tid="NE-1", username="noc", password="s3cret", ctag="1") == [
        "ACT-USER:NE-1:noc:1::s3cret;",
        "INH-MSG-ALL:NE-1::1;",
    ]
    assert tl1.logout_commands(tid="NE-1", username="noc", ctag="9") == ["CANC-USER:NE-1:noc:9;"]
    assert platforms()["huawei_vrp"].command("alarms").render(ctag="1") == "display alarm active verbose"


def test_telnet_without_a_telnet_device_type(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(GOOD.replace("telnet_device_type: huawei_telnet\n", ""), encoding="utf-8")
    p = load_platforms(tmp_path)["p"]
    with pytest.raises(ValueError, match="platform p has no telnet_device_type"):
        p.device_type_for("telnet")


GOOD = """\
version: 1
name: p
device_type: huawei_vrp
telnet_device_type: huawei_telnet
commands:
  - key: pw
    command: display mpls l2vc brief
    templates: [huawei_vrp_display_mpls_l2vc_brief.textfsm]
    yields: pw_state
    resource: ["PW-{VC_ID}"]
    alarms:
      - raise: PW_DOWN
        when: {VC_STATE: [down]}
"""


def _issues(folder: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_platforms(folder)
    return [
        f"{Path(i.file).name}:{i.line}: {i.path}: {i.message}" + (f" ({i.fix})" if i.fix else "")
        for i in err.value.issues
    ]


def test_one_file_or_a_directory(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(GOOD, encoding="utf-8")
    assert list(load_platforms(tmp_path)) == ["p"]
    assert list(load_platforms(tmp_path / "p.yaml")) == ["p"]
    with pytest.raises(ConfigError, match=r"no platform files \(\*\.yaml\) \(check the CLI platforms path\)"):
        load_platforms(tmp_path / "missing")


def test_every_problem_with_file_line_and_fix(tmp_path: Path) -> None:
    bad = textwrap.dedent(
        """\
        version: 1
        name: p
        device_type: huawei_vrpx
        prompt: '[<'
        login: ["ACT-USER:{tid}:{user}:{ctag};"]
        error_patterns: ['(']
        commands:
          - key: pw
            command: display mpls l2vc brief
            templates: [huawei_vrp_display_mpls_l2vc_brief.textfsm]
            yields: pw_state
            resource: ["PW-{VCID}"]
            alarms:
              - raise: PW_GONE
                when: {VC_STATE: [down]}
          - key: pw
            command: display mpls l2vc brief
            templates: [nope.textfsm]
            yields: pw_state
            resource: ["PW-{VC_ID}"]
            gauges: [{name: pw_up, when: {VC_STATE: [up]}}]
          - key: tunnels
            command: show {what}
            templates: ["ntc:nope.textfsm"]
            yields: tunnel_state
            resource: ["{NAME}"]
            gauges: [{name: tunnel_up, when: {OPER: [up]}}]
          - key: alarms
            command: display alarm active
            templates: [huawei_vrp_display_alarm_active.textfsm]
            yields: alarms
        """
    )
    (tmp_path / "p.yaml").write_text(bad, encoding="utf-8")
    issues = _issues(tmp_path)
    expected = [
        "p.yaml:3: device_type: netmiko has no device_type 'huawei_vrpx'",
        "p.yaml:4: prompt: regex '[<' does not compile",
        "p.yaml:5: login[0]: unknown placeholder(s) user (use ctag, password, tid, username)",
        "p.yaml:6: error_patterns[0]: regex '(' does not compile",
        "p.yaml:12: commands[0].resource[0]: field 'VCID' is not captured (the templates give AC_STATUS, ADMIN_PW,",
        "p.yaml:14: commands[0].alarms[0].raise: unknown alarm type 'PW_GONE' (use a type of config/alarm_types.yaml)",
        "p.yaml:16: commands[1].key: duplicate command key 'pw' (first is commands[0])",
        "p.yaml:24: commands[2].templates[0]: ntc-templates has no template 'nope.textfsm'",
        "p.yaml:23: commands[2].command: unknown placeholder(s) what (use ctag, tid)",
        "p.yaml:28: commands[3]: yields: alarms needs 'alarm' (which fields hold the name, severity, text ...)",
    ]
    for want in expected:
        assert any(i.startswith(want) for i in issues), (want, issues)
    assert len(issues) == len(expected)


def test_duplicate_platform_names_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "c.yaml").write_text("- just a list\n", encoding="utf-8")
    issues = _issues(tmp_path)
    assert any(i.startswith("b.yaml:2: name: platform 'p' is already defined in ") and "a.yaml:2" in i for i in issues)
    assert "c.yaml:1: (top level): a platform file must be a YAML mapping (start with version: 1 and name:)" in issues


def test_own_template_next_to_the_platform_file_and_compile_errors(tmp_path: Path) -> None:
    shutil.copy(OWN_TEMPLATES / "zte_zxros_show_mpls_l2transport_vc.textfsm", tmp_path / "mine.textfsm")
    (tmp_path / "broken.textfsm").write_text("Value X (\\d+\n\nStart\n  ^${X} -> Record\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text(
        GOOD.replace("huawei_vrp_display_mpls_l2vc_brief.textfsm", "mine.textfsm").replace(
            "VC_STATE: [down]", "STATUS: [DOWN]"
        ),
        encoding="utf-8",
    )
    p = load_platforms(tmp_path)["p"]
    parsed = p.command("pw").parser.parse("xgei-1/1/0/1.100  Eth VLAN 100  10.0.0.1  7  DOWN\n")
    assert parsed.complete and parsed.records[0]["VC_ID"] == "7"
    (tmp_path / "p.yaml").write_text(GOOD.replace("huawei_vrp_display_mpls_l2vc_brief.textfsm", "broken.textfsm"))
    issues = _issues(tmp_path)
    assert len(issues) == 1 and issues[0].startswith(
        "p.yaml:8: commands[0].templates[0]: template 'broken.textfsm' does not compile"
    )


def test_schema_errors(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        GOOD.replace("yields: pw_state", "yields: pw_state\n    alarm: {name: X}\n    colour: red"),
        encoding="utf-8",
    )
    issues = _issues(tmp_path)
    assert "p.yaml:11: commands[0].colour: unknown field 'colour' (remove it or correct its spelling)" in issues
