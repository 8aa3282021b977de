"""Every template, table-driven over real-looking samples (tests/data/cli/<platform>/).

Each case: which platform command reads the sample, whether the output counts as complete, how
many records come out, spot checks of fields (record index -> field -> value), and for refused
outputs a piece of the problem text (which names the first offending line).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from agent.cli.parse import Parsed

from .helpers import platforms, sample


@dataclass(frozen=True)
class Case:
    platform: str
    key: str
    file: str
    complete: bool
    records: int
    fields: dict[int, dict[str, str]] = field(default_factory=dict)
    problem: str = ""
    template: str = ""


CASES = [
    # -- Huawei display alarm active verbose (VRP8), and the VRP5 one-line form ---------------
    Case(
        "huawei_vrp",
        "alarms",
        "display_alarm_active_verbose.txt",
        True,
        8,
        {
            0: {
                "SEQUENCE": "1383",
                "NAME": "linkDown",
                "SEVERITY": "Major",
                "STATE": "active",
                "START_TIME": "2026-11-21 14:03:07+08:00",
                "ALARM_ID": "0x8520003",
            },
            1: {"NAME": "hwPWVcDown", "ROOT_KIND": "nonRootCause"},
            5: {"NAME": "hwMplsTunnelHSBSwitch", "START_TIME": "2026-03-29 02:30:41+08:00 DST", "SEVERITY": "Warning"},
            7: {
                "SEQUENCE": "1",
                "NAME": "hwGtlDefaultValue",
                "DESCRIPTION": "Current license value is default, the reason is No license available.",
            },
        },
        template="huawei_vrp_display_alarm_active_verbose.textfsm",
    ),
    Case(
        "huawei_vrp",
        "alarms",
        "display_alarm_active_verbose_zh.txt",
        True,
        2,
        {
            0: {"SEQUENCE": "25", "NAME": "linkDown", "SEVERITY": "重要", "START_TIME": "2026-11-21 14:03:07+08:00"},
            1: {
                "NAME": "hwPWVcDown",
                "SEVERITY": "紧急",
                "START_TIME": "2026-11-21 14:03:09 UTC+08:00",
                "DESCRIPTION": "PWE3 VC状态变为DOWN。（VcId=20022，VcType=Ethernet，PeerAddress=10.219.220.9， "
                "InterfaceName=GigabitEthernet0/8/3.200，HWL2VpnStateChangeReason=远端AC DOWN）",
            },
        },
    ),
    Case("huawei_vrp", "alarms", "display_alarm_active_verbose_none.txt", True, 0),
    Case("huawei_vrp", "alarms", "display_alarm_active_verbose_empty.txt", True, 0),
    Case(
        "huawei_vrp",
        "alarms",
        "display_alarm_active_verbose_truncated.txt",
        False,
        1,
        {0: {"NAME": "linkDown"}},
        problem="record 2 has no SEVERITY",
    ),
    Case(
        "huawei_vrp",
        "alarms",
        "display_alarm_active_vrp5.txt",
        True,
        5,
        {
            0: {"SEQUENCE": "1", "NAME": "hwGtlDefaultValue", "CLEAR_TIME": "-"},
            1: {
                "SEQUENCE": "4621",
                "NAME": "linkDown",
                "SEVERITY": "Critical",
                "STATE": "Start",
                "START_TIME": "2026-11-21 14:03:07+08:00",
            },
            3: {"NAME": "hwPWVcDown", "ROOT_KIND": "nonRootCause", "ROOT_SEQUENCE": "4621"},
            4: {
                "NAME": "hwPortPhysicalEthHalfDuplexAlarm",
                "DESCRIPTION": "OID 1.3.6.1.4.1.2011.5.25.129.2.5.11 The port works in half duplex mode. "
                "(EntityPhysicalIndex=10, BaseTrapSeverity=3, EntPhysicalName=GigabitEthernet0/0/5)",
            },
        },
        template="huawei_vrp_display_alarm_active.textfsm",
    ),
    # -- Huawei display interface brief (ntc-templates) ------------------------------------------
    Case(
        "huawei_vrp",
        "interfaces",
        "display_interface_brief_ne8000.txt",
        True,
        16,
        {
            1: {"INTERFACE": "GE0/8/0", "PHY": "up"},
            3: {"INTERFACE": "GE0/8/2", "PHY": "down", "PROTOCOL": "down"},
            9: {"INTERFACE": "GE0/8/8", "INERRORS": "17"},
            13: {"PROTOCOL": "up(s)"},
        },
    ),
    Case(
        "huawei_vrp",
        "interfaces",
        "display_interface_brief_long_names.txt",
        True,
        9,
        {
            0: {"INTERFACE": "50|100GE0/1/0(100G)", "INUTI": "31.07%"},
            4: {"PHY": "^down"},
            6: {"INTERFACE": "XGigabitEthernet0/2/10.4000(10G)"},
            7: {"PHY": "*down"},
        },
    ),
    Case("huawei_vrp", "interfaces", "display_interface_brief_empty.txt", False, 0, problem="no records at all"),
    Case(
        "huawei_vrp",
        "interfaces",
        "display_interface_brief_error.txt",
        False,
        0,
        problem="the element refused the command: line 1: '^'",
    ),
    Case(
        "huawei_vrp", "interfaces", "display_interface_brief_paging.txt", False, 0, problem="line 7: '---- More ----'"
    ),
    Case(
        "huawei_vrp",
        "interfaces",
        "display_interface_brief_cut_line.txt",
        False,
        2,
        {1: {"INTERFACE": "GE0/8/2"}},
        problem="line 7 not understood: 'GE0/8/3                     down  do'",
    ),
    # -- Huawei display mpls l2vc brief -------------------------------------------------------------
    Case(
        "huawei_vrp",
        "pw",
        "display_mpls_l2vc_brief.txt",
        True,
        3,
        {
            0: {
                "INTERFACE": "GigabitEthernet0/8/9.100",
                "VC_ID": "20020",
                "VC_STATE": "up",
                "DESTINATION": "10.219.220.8",
            },
            1: {"VC_ID": "20021", "VC_STATE": "down", "AC_STATUS": "down", "LINK_STATE": "down"},
            2: {"INTERFACE": "GE0/8/9.200", "VC_TYPE": "Ethernet"},
        },
    ),
    Case("huawei_vrp", "pw", "display_mpls_l2vc_brief_empty.txt", True, 0),
    Case(
        "huawei_vrp",
        "pw",
        "display_mpls_l2vc_brief_truncated.txt",
        False,
        2,
        problem="announces 3 record(s) ('Total ldp vc : 3') but 2 were read",
    ),
    # -- Huawei display bfd session all --------------------------------------------------------------
    Case(
        "huawei_vrp",
        "bfd",
        "display_bfd_session_all.txt",
        True,
        5,
        {
            0: {"LOCAL": "8192", "PEER": "10.219.220.9", "STATE": "Up", "INTERFACE": "GigabitEthernet0/8/0"},
            2: {"REMOTE": "-", "STATE": "Init", "INTERFACE": "-"},
            3: {"PEER": "--.--.--.--", "TYPE": "D_PW(M)"},
            4: {"STATE": "AdminDown"},
        },
    ),
    Case(
        "huawei_vrp",
        "bfd",
        "display_bfd_session_all_vrp8.txt",
        True,
        4,
        {0: {"LOCAL": "16385", "TYPE": "D/IP-IF", "INTERFACE": "GE1/0/0"}, 3: {"STATE": "Down(w)"}},
    ),
    Case("huawei_vrp", "bfd", "display_bfd_session_all_empty.txt", True, 0),
    Case("huawei_vrp", "bfd", "display_bfd_session_all_no_total.txt", False, 2, problem="no line matching"),
    # -- Huawei display optical-module brief ---------------------------------------------------------
    Case(
        "huawei_vrp",
        "optical",
        "display_optical-module_brief_ne8000.txt",
        True,
        10,
        {
            0: {"PORT": "GE0/7/0", "RX_POWER": "-2.90dBm", "TX_POWER": "-5.12dBm", "VENDOR_PN": "SFP-GE-LX-SM1310"},
            2: {"STATUS": "DOWN", "RX_POWER": "-40.00dBm"},
            9: {"STATUS": "ABSENT", "RX_POWER": "--"},
        },
    ),
    Case(
        "huawei_vrp",
        "optical",
        "display_optical-module_brief_lanes.txt",
        True,
        4,
        {0: {"PORT": "100GE0/1/0", "RX_POWER": "-2.11|-2.30|-1.98|-29.40", "TYPE": "QSFP28"}},
    ),
    # -- Huawei display device (ntc-templates) -----------------------------------------------------
    Case(
        "huawei_vrp",
        "boards",
        "display_device_fault.txt",
        True,
        8,
        {
            1: {"SLOT": "2", "PID": "CR5DLPUF10B1", "ALARM_STATUS": "Abnormal"},
            2: {"POWER_STATUS": "Off", "REGISTER_STATUS": "Unregistered"},
            6: {"SLOT": "PWR2", "ONLINE_STATUS": "Absent"},
        },
    ),
    # -- ZTE show alarm current ---------------------------------------------------------------------
    Case(
        "zte_zxros",
        "alarms",
        "show_alarm_current.txt",
        True,
        4,
        {
            0: {
                "ALARM_ID": "1021",
                "NAME": "ETH_LOS",
                "LEVEL": "critical",
                "LOCATION": "xgei-1/1/0/3",
                "RAISE_TIME": "2026-11-21 14:03:07+08:00",
                "DESCRIPTION": "Ethernet port loss of signal, no light received on the optical module",
            },
            3: {"NAME": "FAN_SPEED_ABNORMAL", "LOCATION": "fan-1/1"},
        },
    ),
    Case(
        "zte_zxros",
        "alarms",
        "show_alarm_current_zh.txt",
        True,
        2,
        {
            0: {"ALARM_ID": "88", "LEVEL": "严重", "DESCRIPTION": "以太网端口信号丢失"},
            1: {"NAME": "LOS", "RAISE_TIME": "2026-11-21 14:02:58", "LOCATION": "stm1-1/3/0/1"},
        },
    ),
    Case("zte_zxros", "alarms", "show_alarm_current_empty.txt", True, 0),
    Case(
        "zte_zxros",
        "alarms",
        "show_alarm_current_error.txt",
        False,
        0,
        problem="the element refused the command: line 2: '^'",
    ),
    Case("zte_zxros", "alarms", "show_alarm_current_truncated.txt", False, 1, problem="record 2 has no NAME"),
    # -- ZTE show mpls l2transport vc, show interface brief ------------------------------------------
    Case(
        "zte_zxros",
        "pw",
        "show_mpls_l2transport_vc.txt",
        True,
        4,
        {
            0: {
                "INTERFACE": "xgei-1/1/0/1.100",
                "CIRCUIT": "Eth VLAN 100",
                "PEER": "10.10.10.87",
                "VC_ID": "20021",
                "STATUS": "UP",
            },
            2: {"INTERFACE": "xxvgei-1/1/0/20.3001", "STATUS": "ADMIN DOWN"},
            3: {"CIRCUIT": "Ethernet"},
        },
    ),
    Case("zte_zxros", "pw", "show_mpls_l2transport_vc_empty.txt", True, 0),
    Case(
        "zte_zxros",
        "interfaces",
        "show_interface_brief_down.txt",
        True,
        6,
        {
            1: {
                "INTERFACE": "xgei-1/1/0/2",
                "ADMIN": "up",
                "PHYSICAL": "down",
                "DESCRIPTION": "Link_to_R-GZ-AGG-02_xgei-1/1/0/5_10G_Secondary_Rout...",
            },
            2: {"ADMIN": "down", "DESCRIPTION": ""},
        },
    ),
    Case("zte_zxros", "interfaces", "show_interface_brief_paging.txt", False, 0, problem="line 4: '--More--'"),
    Case(
        "zte_zxros",
        "tunnels",
        "show_mpls_traffic-eng_tunnels_down.txt",
        True,
        4,
        {
            0: {"NAME": "tunnel_1", "DESC": "(Tunnel1)", "ADMIN": "up", "OPER": "up", "INSTANCE": "335"},
            1: {"NAME": "tunnel_3", "ADMIN": "up", "OPER": "down", "PATH": "invalid"},
            2: {"NAME": "tunnel_4", "ADMIN": "down"},
            3: {"NAME": "R-GZABR-01-to-RAW-GZ0042-01Z", "DESC": "(remote)(Tunnel53991)"},
        },
    ),
    # -- TL1 RTRV-ALM-ALL / RTRV-COND-ALL --------------------------------------------------------------
    Case(
        "tl1",
        "alarms",
        "rtrv_alm_all.txt",
        True,
        5,
        {
            0: {
                "AID": "STM1-1-3-1",
                "AIDTYPE": "STM1",
                "NTFCNCDE": "CR",
                "CONDTYPE": "LOS",
                "SRVEFF": "SA",
                "OCRDAT": "11-21",
                "OCRTM": "14-02-55",
                "LOCN": "NEND",
                "DIRN": "RCV",
                "CONDDESCR": "Loss of signal, fibre cut suspected",
            },
            4: {
                "AID": "SYNC-1",
                "CONDTYPE": "SYNCSRC-DEGR",
                "CONDDESCR": "Clock source degraded, switched to internal",
            },
        },
    ),
    Case(
        "tl1",
        "conditions",
        "rtrv_cond_all.txt",
        True,
        4,
        {1: {"NTFCNCDE": "NA", "CONDTYPE": "AIS-L", "OCRDAT": "2026-11-21"}, 3: {"NTFCNCDE": "CL"}},
    ),
    Case("tl1", "alarms", "rtrv_alm_all_empty.txt", True, 0),
    Case(
        "tl1", "alarms", "rtrv_alm_all_deny.txt", False, 0, problem="TL1 DENY IIAC (Input, Invalid ACcess identifier)"
    ),
    Case("tl1", "alarms", "rtrv_alm_all_truncated.txt", False, 2, problem="no ';' terminator"),
    Case("tl1", "alarms", "rtrv_alm_all_prtl.txt", False, 1, problem="TL1 PRTL"),
    Case("tl1", "alarms", "rtrv_alm_all_continued.txt", True, 2, {1: {"AID": "VC4-1-3-1-1", "CONDTYPE": "AU-AIS"}}),
    Case("tl1", "alarms", "rtrv_alm_all_autonomous.txt", True, 1, {0: {"AID": "STM1-1-3-1"}}),
    Case("tl1", "alarms", "rtrv_alm_all_bad_quote.txt", False, 0, problem="line 3: quoted record is not closed"),
]


def _parse(case: Case) -> Parsed:
    return platforms()[case.platform].command(case.key).parser.parse(sample(case.platform, case.file))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.platform}-{c.file}" for c in CASES])
def test_sample(case: Case) -> None:
    parsed = _parse(case)
    assert parsed.complete is case.complete, parsed.problem
    assert len(parsed.records) == case.records
    for index, expected in case.fields.items():
        got = parsed.records[index]
        assert {k: got.get(k) for k in expected} == expected
    if case.complete:
        assert parsed.problem is None
    else:
        assert parsed.problem is not None and case.problem in parsed.problem
    if case.template:
        assert parsed.template == case.template


def test_every_command_has_samples() -> None:
    """Several samples per command that has own or ntc templates (the TL1 ones share a parser)."""
    counts: dict[tuple[str, str], int] = {}
    for c in CASES:
        counts[(c.platform, c.key)] = counts.get((c.platform, c.key), 0) + 1
    for name, platform in platforms().items():
        for cmd in platform.commands:
            if name == "tl1" and cmd.key == "conditions":
                continue
            minimum = 1 if (name, cmd.key) in {("huawei_vrp", "boards"), ("zte_zxros", "tunnels")} else 2
            assert counts.get((name, cmd.key), 0) >= minimum, f"{name}:{cmd.key} needs samples"
