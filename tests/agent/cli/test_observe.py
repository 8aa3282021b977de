"""observe(): scopes, problems, conditions and gauges of one CLI collection, and how the state
differ sees them next to SNMP observations of the same element (one alarm, not two)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

from agent.observation import Condition
from agent.settings import OpticalThresholds
from agent.state import StateTracker
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.wire import Action, Resource, ResourceType, Severity
from tests.agent.profiles.helpers import fixture as snmp_fixture
from tests.agent.profiles.helpers import observe as snmp_observe
from tests.agent.profiles.helpers import real as snmp_real

from .helpers import gauges, keys, look, sample

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def tracker() -> StateTracker:
    ids = itertools.count(1)
    return StateTracker("agent-cli", load_alarm_types(), ManualClock(T0), id_factory=lambda: f"e{next(ids)}")


def changes(events: list) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(e.action.value, e.resource.key(), e.alarm_type) for e in events}


# -- scopes and problems --------------------------------------------------------------------------


def test_only_commands_that_completed_are_scopes() -> None:
    obs = look(
        "huawei_vrp",
        {
            "interfaces": sample("huawei_vrp", "display_interface_brief_ne8000.txt"),
            "pw": sample("huawei_vrp", "display_mpls_l2vc_brief_empty.txt"),
            "bfd": sample("huawei_vrp", "display_bfd_session_all_no_total.txt"),
        },
    )
    assert obs.device == "NE-1"
    assert obs.scopes == {"cli:interfaces", "cli:pw"}  # alarms/optical/boards were not sent; bfd was cut off
    assert obs.problems == [
        "NE-1: cli:bfd ('display bfd session all'): no line matching "
        "'Total\\s+UP/DOWN\\s+Session\\s+Number\\s*:\\s*(\\d+)\\s*/\\s*(\\d+)' (the output was cut off?)"
    ]
    assert {c.scope for c in obs.conditions} == {"cli:interfaces", "cli:bfd"}


def test_refused_output_names_device_command_and_first_offending_line() -> None:
    obs = look(
        "huawei_vrp", {"interfaces": sample("huawei_vrp", "display_interface_brief_cut_line.txt")}, device="ATN-7"
    )
    assert obs.scopes == set()
    assert obs.problems == [
        "ATN-7: cli:interfaces ('display interface brief'): line 7 not understood: "
        "'GE0/8/3                     down  do' (template ntc:huawei_vrp_display_interface_brief.textfsm)"
    ]
    # what the element did show before the bad line still raises; nothing is measured from it
    assert keys(obs) == {("port:GigabitEthernet0/8/2", "LINK_DOWN")}
    assert obs.gauges == []


def test_error_message_and_tl1_deny_are_problems_not_scopes() -> None:
    obs = look("huawei_vrp", {"alarms": "              ^\nError: Unrecognized command found at '^' position.\n"})
    assert obs.scopes == set() and obs.conditions == []
    assert obs.problems == [
        "NE-1: cli:alarms ('display alarm active verbose'): the element refused the command: line 1: '^'"
    ]
    obs = look("tl1", {"alarms": sample("tl1", "rtrv_alm_all_deny.txt")}, device="OSN-3")
    assert obs.scopes == set()
    assert obs.problems == [
        "OSN-3: cli:alarms ('RTRV-ALM-ALL:{tid}::{ctag};'): TL1 DENY IIAC (Input, Invalid ACcess identifier)"
    ]


def test_output_for_a_command_the_platform_does_not_have() -> None:
    obs = look("zte_zxros", {"bfd": "whatever"})
    assert obs.scopes == set()
    assert obs.problems == ["NE-1: cli: output for 'bfd', which platform zte_zxros has no command for; ignored"]


def test_ctag_picks_the_tl1_response() -> None:
    text = sample("tl1", "rtrv_alm_all_empty.txt") + sample("tl1", "rtrv_alm_all.txt")
    assert look("tl1", {"alarms": text}).scopes == set()  # two ctags, none given: refused
    assert len(look("tl1", {"alarms": text}, ctags={"alarms": "101"}).conditions) == 5
    assert look("tl1", {"alarms": text}, ctags={"alarms": "104"}).conditions == []


# -- what the records mean ---------------------------------------------------------------------------


def test_huawei_alarm_table_names_resources_as_the_profiles_do() -> None:
    obs = look("huawei_vrp", {"alarms": sample("huawei_vrp", "display_alarm_active_verbose.txt")})
    by_key = {c.key: c for c in obs.conditions}
    assert set(by_key) == {
        ("port:GigabitEthernet0/8/2", "LINK_DOWN"),
        ("pw:PW-20021", "PW_DOWN"),
        ("bfd:10.219.220.9@GigabitEthernet0/8/0", "BFD_DOWN"),  # BindIfName=GE0/8/0, as the SNMP profile names it
        ("port:Cpos0/3/0", "LOS"),
        ("board:LPU 3", "BOARD_FAULT"),
        ("tunnel:Tunnel1055", "VENDOR_ALARM"),
    }  # linkDown of Vlanif607 is not a port fault; the licence alarm is ignored
    bfd = by_key[("bfd:10.219.220.9@GigabitEthernet0/8/0", "BFD_DOWN")]
    assert bfd.severity is Severity.critical  # as the element reports it
    assert bfd.detail.endswith("DownReason=BFD session timeout) (since 2026-11-21 14:03:10+08:00)")
    assert by_key[("pw:PW-20021", "PW_DOWN")].resource == Resource(type=ResourceType.pw, id="PW-20021")


def test_chinese_output_with_full_width_punctuation() -> None:
    obs = look("huawei_vrp", {"alarms": sample("huawei_vrp", "display_alarm_active_verbose_zh.txt")})
    assert obs.problems == []
    by_key = {c.key: c for c in obs.conditions}
    assert set(by_key) == {("port:GigabitEthernet0/8/3", "LINK_DOWN"), ("pw:PW-20022", "PW_DOWN")}
    assert by_key[("port:GigabitEthernet0/8/3", "LINK_DOWN")].severity is Severity.major  # 重要
    assert by_key[("pw:PW-20022", "PW_DOWN")].severity is Severity.critical  # 紧急
    assert by_key[("pw:PW-20022", "PW_DOWN")].detail.endswith("(since 2026-11-21 14:03:09 UTC+08:00)")


def test_unknown_severity_spelling_falls_back_and_is_reported() -> None:
    text = sample("huawei_vrp", "display_alarm_active_verbose_truncated.txt").replace("Major", "Severe", 1)
    text = text.split("\nSequence    : 1384")[0]
    obs = look("huawei_vrp", {"alarms": text})
    (cond,) = obs.conditions
    assert cond.severity is Severity.major  # LINK_DOWN's default
    assert obs.problems == [
        "NE-1: cli:alarms ('display alarm active verbose'): unknown severity 'Severe' (alarm 'linkDown'; add it to "
        "config/vendor_alarms.yaml platforms.huawei_vrp.severities); major used"
    ]


def test_tl1_condition_types_resources_and_cleared_records() -> None:
    obs = look("tl1", {"conditions": sample("tl1", "rtrv_cond_all.txt")})
    assert obs.scopes == {"cli:conditions"} and obs.problems == []
    sev = {c.key: c.severity for c in obs.conditions}
    assert sev == {
        ("port:STM1-1-3-1", "LOS"): Severity.critical,
        ("port:STM1-1-3-2", "MS_AIS"): Severity.warning,  # NA: not alarmed, still a standing condition
        ("port:STM1-1-3-2", "MS_RDI"): Severity.info,  # NR
    }  # the CL record (cleared) is no condition
    obs = look("tl1", {"alarms": sample("tl1", "rtrv_alm_all.txt")})
    assert {c.resource.key() for c in obs.conditions} == {
        "port:STM1-1-3-1",
        "path:VC4-1-3-1-1",
        "path:VC12-1-5-1-1-1-1",
        "board:SLOT-1-7",
        "device:SYNC-1",
    }


def test_state_rules_and_gauges() -> None:
    obs = look("huawei_vrp", {"bfd": sample("huawei_vrp", "display_bfd_session_all.txt")})
    assert keys(obs) == {("bfd:10.219.220.8@GigabitEthernet0/8/1", "BFD_DOWN"), ("bfd:10.219.221.1", "BFD_DOWN")}
    assert gauges(obs, "bfd_up") == {
        "10.219.220.9@GigabitEthernet0/8/0": 1.0,
        "10.219.220.8@GigabitEthernet0/8/1": 0.0,
        "10.219.221.1": 0.0,  # a multi-hop session: no interface
        "discr.8195": 1.0,  # a PW session shows no peer address
        "10.219.222.2": 0.0,  # AdminDown: not up, not a fault
    }
    obs = look("zte_zxros", {"tunnels": sample("zte_zxros", "show_mpls_traffic-eng_tunnels_down.txt")})
    assert keys(obs) == {("tunnel:tunnel_3", "TUNNEL_DOWN")}  # tunnel_4 is shut
    assert gauges(obs, "tunnel_up") == {"tunnel_1": 1.0, "tunnel_3": 0.0, "tunnel_4": 0.0}


def test_a_record_that_cannot_be_judged_keeps_its_condition() -> None:
    text = sample("zte_zxros", "show_mpls_traffic-eng_tunnels_down.txt").replace(
        "Path:  invalid", "Path:  not valid", 1
    )
    raised = Condition(Resource(type=ResourceType.tunnel, id="tunnel_3"), "TUNNEL_DOWN", Severity.major, "cli:tunnels")
    obs = look("zte_zxros", {"tunnels": text}, active=[raised])
    assert obs.scopes == {"cli:tunnels"}
    assert replace(raised, scope="cli:tunnels") in obs.conditions  # kept: the display did not say
    assert obs.problems == [
        "NE-1: cli:tunnels ('show mpls traffic-eng tunnels'): record 2 (tunnel:tunnel_3): no value for ADMIN, OPER; "
        "TUNNEL_DOWN not judged"
    ]
    assert gauges(obs, "tunnel_up") == {"tunnel_1": 1.0, "tunnel_4": 0.0}


def test_optical_thresholds_lanes_and_admin_down_ports() -> None:
    outputs = {
        "interfaces": sample("huawei_vrp", "display_interface_brief_long_names.txt"),
        "optical": sample("huawei_vrp", "display_optical-module_brief_lanes.txt"),
    }
    obs = look("huawei_vrp", outputs)
    assert obs.scopes == {"cli:interfaces", "cli:optical"}
    optical = {c.key: c.detail for c in obs.conditions if c.resource.type is ResourceType.optical}
    assert optical == {
        ("optical:100GE0/1/0", "OPTICAL_RX_LOW"): "rx -29.40 dBm below -27.00 dBm",  # the weakest lane
        ("optical:GigabitEthernet0/3/22", "OPTICAL_RX_HIGH"): "rx 1.20 dBm above 0.00 dBm",
    }  # GigabitEthernet0/3/23 (-31.5 dBm) is administratively down: measured, not judged
    rx = gauges(obs, "optical_rx_dbm")
    assert rx == {
        "100GE0/1/0": -29.4,
        "100GE0/1/1": -1.31,
        "GigabitEthernet0/3/23": -31.5,
        "GigabitEthernet0/3/22": 1.2,
    }
    assert gauges(obs, "optical_tx_dbm")["100GE0/1/0"] == 0.48


def test_optical_hysteresis_follows_the_active_conditions() -> None:
    text = "Port  Status  Duplex  Type  WaveLength  RxPower  TxPower  Mode  VendorPN\n"
    row = "GE0/7/1  UP  Dual  SFP  1310nm  {rx}dBm  -5.40dBm  SingleMode  SFP-GE-LX-SM1310\n"
    limits = OpticalThresholds(rx_low_dbm=-27.0, hysteresis_db=1.0)

    def low(rx: str, active: list[Condition]) -> set[tuple[str, str]]:
        obs = look("huawei_vrp", {"optical": text + row.format(rx=rx)}, optical=limits, active=active)
        return keys(obs)

    key = ("optical:GigabitEthernet0/7/1", "OPTICAL_RX_LOW")
    assert low("-27.40", []) == {key}
    assert low("-26.50", []) == set()
    held = Condition(
        Resource(type=ResourceType.optical, id="GigabitEthernet0/7/1"), "OPTICAL_RX_LOW", Severity.major, "x"
    )
    assert low("-26.50", [held]) == {key}  # raised: held until -26.0
    assert low("-25.90", [held]) == set()


def test_known_ifnames_win_over_the_platform_expansion() -> None:
    text = sample("huawei_vrp", "display_interface_brief_ne8000.txt")
    assert ("port:GigabitEthernet0/8/2", "LINK_DOWN") in keys(look("huawei_vrp", {"interfaces": text}))
    short = [f"GE0/8/{n}" for n in range(10)]  # a YunShan release whose ifNames are short
    assert ("port:GE0/8/2", "LINK_DOWN") in keys(look("huawei_vrp", {"interfaces": text}, known_ports=short))
    long = ["XGigabitEthernet0/0/12"]
    vrp5 = sample("huawei_vrp", "display_alarm_active_vrp5.txt").replace("XGigabitEthernet0/0/12", "XGE0/0/12")
    assert ("port:XGigabitEthernet0/0/12", "LINK_DOWN") in keys(look("huawei_vrp", {"alarms": vrp5}, known_ports=long))


# -- with the state differ, next to SNMP -------------------------------------------------------------


def test_empty_table_clears_and_missing_or_refused_output_clears_nothing() -> None:
    t = tracker()
    full = sample("huawei_vrp", "display_mpls_l2vc_brief.txt")
    raised = t.observe(look("huawei_vrp", {"pw": full}))
    assert changes(raised) == {("raise", "pw:PW-20021", "PW_DOWN")}
    assert t.observe(look("huawei_vrp", {})) == []  # the command did not complete
    assert t.observe(look("huawei_vrp", {"pw": sample("huawei_vrp", "display_mpls_l2vc_brief_truncated.txt")})) == []
    assert t.observe(look("huawei_vrp", {"pw": "Error: Unrecognized command found at '^' position.\n"})) == []
    cleared = t.observe(look("huawei_vrp", {"pw": sample("huawei_vrp", "display_mpls_l2vc_brief_empty.txt")}))
    assert changes(cleared) == {("clear", "pw:PW-20021", "PW_DOWN")}


def test_link_down_and_dark_optics_are_one_alarm_with_snmp() -> None:
    """NE8000 M8: the real SNMP recording and CLI displays of the same ports give the same keys."""
    snmp = snmp_observe(snmp_real("vrp_ne8000-m8"))
    cli = look(
        "huawei_vrp",
        {
            "interfaces": sample("huawei_vrp", "display_interface_brief_ne8000.txt"),
            "optical": sample("huawei_vrp", "display_optical-module_brief_ne8000.txt"),
        },
        device=snmp.device,
    )
    assert cli.problems == []
    assert keys(cli) == keys(snmp)  # 6 LINK_DOWN on ports + OPTICAL_RX_LOW (no light) on GigabitEthernet0/7/3
    assert len(keys(cli)) == 7
    snmp_up, cli_up = gauges(snmp, "interface_oper_up"), gauges(cli, "interface_oper_up")
    assert {k: v for k, v in snmp_up.items() if not k.startswith("ifIndex.")} == cli_up
    assert gauges(snmp, "optical_rx_dbm") == gauges(cli, "optical_rx_dbm")

    t = tracker()
    first = t.observe(snmp)
    assert len(first) == 7 and {e.action for e in first} == {Action.raise_}
    assert t.observe(cli) == []  # seen by CLI too: the same alarms, no new events
    back_up = sample("huawei_vrp", "display_interface_brief_ne8000.txt").replace(
        "GE0/8/2                     down  down", "GE0/8/2                     up    up  "
    )
    # the CLI reads the port up again: SNMP still vouches for the alarm until its own poll reads it gone
    assert t.observe(look("huawei_vrp", {"interfaces": back_up}, device=snmp.device)) == []
    fixed = [c for c in snmp.conditions if c.key != ("port:GigabitEthernet0/8/2", "LINK_DOWN")]
    events = t.observe(replace(snmp, conditions=fixed))
    assert changes(events) == {("clear", "port:GigabitEthernet0/8/2", "LINK_DOWN")}


def test_sdh_los_and_ms_ais_are_one_alarm_with_snmp() -> None:
    """The SDH fixture element's SONET-MIB LOS/MS-AIS and the same conditions by TL1 and by CLI alarm table."""
    snmp = snmp_observe(snmp_fixture("sdh-after"))
    tl1 = look("tl1", {"alarms": sample("tl1", "rtrv_alm_all_osn.txt")}, device=snmp.device)
    assert tl1.problems == []
    wanted = {("port:11-SL16-1", "LOS"), ("port:11-SL16-1", "LOF"), ("port:12-SL16-1", "MS_AIS")}
    assert wanted <= keys(snmp)
    assert keys(tl1) == wanted
    hw = look(
        "huawei_vrp", {"alarms": sample("huawei_vrp", "display_alarm_active_verbose_osn.txt")}, device=snmp.device
    )
    assert keys(hw) == wanted

    t = tracker()
    assert len(t.observe(snmp)) == len(keys(snmp))
    assert t.observe(tl1) == [] and t.observe(hw) == []
