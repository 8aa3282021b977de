"""Every real CLI capture in /work/shared/real-devices: the ones a shipped template covers parse
with the values asserted here; the others are refused with a clear problem, never half-read."""

from __future__ import annotations

import pytest

from correlator.wire import ResourceType

from .helpers import gauges, keys, look, platforms, real


def _records(platform: str, key: str, name: str) -> list[dict[str, str]]:
    parsed = platforms()[platform].command(key).parser.parse(real(name))
    assert parsed.complete, parsed.problem
    return parsed.records


def test_huawei_vrp8_router_interface_brief() -> None:
    name = "ntc-templates__huawei_vrp_display_interface_brief.raw"
    rows = _records("huawei_vrp", "interfaces", name)
    assert len(rows) == 18
    assert rows[0] == {
        "INTERFACE": "Aux0/0/1",
        "PHY": "down",
        "PROTOCOL": "down",
        "INUTI": "0%",
        "OUTUTI": "0%",
        "INERRORS": "0",
        "OUTERRORS": "0",
    }
    by_name = {r["INTERFACE"]: r for r in rows}
    assert by_name["Eth-Trunk4"]["PROTOCOL"] == "down" and by_name["Eth-Trunk4"]["OUTUTI"] == "13.57%"
    assert by_name["GigabitEthernet16/0/1(10G)"]["INERRORS"] == "4625"

    obs = look("huawei_vrp", {"interfaces": real(name)})
    assert obs.scopes == {"cli:interfaces"} and obs.problems == []
    assert obs.conditions == []  # Aux0/0/1 is down but not an Ethernet port; Eth-Trunk4 is PHY up
    up = gauges(obs, "interface_oper_up")
    assert len(up) == 15 and set(up.values()) == {1.0}  # 4 trunks + 11 members; sub-interfaces not judged
    assert "GigabitEthernet15/1/0" in up and "GigabitEthernet15/1/0(10G)" not in up  # as ifName spells it
    assert "Eth-Trunk4.10" not in up and "Aux0/0/1" not in up


def test_huawei_ar_cpe_interface_brief() -> None:
    name = "ntc-templates__huawei_vrp_display_interface_brief2.raw"
    rows = _records("huawei_vrp", "interfaces", name)
    assert len(rows) == 17
    assert [r["INTERFACE"] for r in rows[:3]] == ["Cellular0/0/0", "Dialer1", "Ethernet0/0/0"]
    assert rows[4]["PHY"] == "^down" and rows[5]["PHY"] == "up(l)" and rows[1]["PROTOCOL"] == "up(s)"
    assert rows[1]["INUTI"] == "--"

    obs = look("huawei_vrp", {"interfaces": real(name)})
    assert obs.problems == []
    assert keys(obs) == {
        ("port:Ethernet0/0/0", "LINK_DOWN"),
        ("port:GigabitEthernet0/0/0", "LINK_DOWN"),
        ("port:GigabitEthernet0/0/3", "LINK_DOWN"),
    }  # GigabitEthernet0/0/1 is '^down' (standby): no fault
    assert gauges(obs, "interface_oper_up") == {
        "Ethernet0/0/0": 0.0,
        "GigabitEthernet0/0/0": 0.0,
        "GigabitEthernet0/0/1": 0.0,
        "GigabitEthernet0/0/2": 1.0,
        "GigabitEthernet0/0/3": 0.0,
        "GigabitEthernet0/0/4": 1.0,
        "GigabitEthernet0/0/5": 1.0,  # "GigabitEthernet0/0/5(v)"
    }


def test_huawei_ce12808_display_device() -> None:
    name = "ntc-templates__huawei_vrp_display_device.raw"
    rows = _records("huawei_vrp", "boards", name)
    assert len(rows) == 23
    assert rows[0]["SLOT"] == "3" and rows[0]["PID"] == "CE-L24LQ-EC1" and rows[0]["ALARM_STATUS"] == "Normal"
    assert rows[5]["PID"] == "CE-MPUA-S" and rows[5]["HA_STATUS"] == "Master" and rows[6]["HA_STATUS"] == "Slave"
    assert rows[11]["PID"] == "CMU(MPU 9)" and rows[11]["SLOT"] == "15"
    assert rows[-1]["SLOT"] == "FAN6"

    obs = look("huawei_vrp", {"boards": real(name)})
    assert obs.scopes == {"cli:boards"} and obs.problems == [] and obs.conditions == []
    up = gauges(obs, "board_oper_up")
    assert len(up) == 23 and set(up.values()) == {1.0}
    assert {"3", "16", "PWR4", "FAN1"} <= set(up)


def test_zte_zxctn_interface_brief() -> None:
    name = "ntc-templates__zte_zxros_show_interface_brief.raw"
    rows = _records("zte_zxros", "interfaces", name)
    assert len(rows) == 36
    assert rows[0]["INTERFACE"] == "xgei-1/1/0/1" and rows[0]["DESCRIPTION"] == "Link_to_XXXXXX"
    assert rows[1]["DESCRIPTION"] == "Link_to_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX..."
    assert rows[10]["INTERFACE"] == "cgei-1/1/0/33" and rows[10]["BW"] == "100G"
    assert rows[-1] == {
        "INTERFACE": "xxvgei-1/1/0/32",
        "ATTRIBUTE": "optical",
        "MODE": "Duplex/full",
        "BW": "25G",
        "ADMIN": "down",
        "PHYSICAL": "down",
        "PROTOCOL": "down",
        "DESCRIPTION": "",
    }

    obs = look("zte_zxros", {"interfaces": real(name)})
    assert obs.problems == [] and obs.conditions == []  # every port that is down is shut
    up = gauges(obs, "interface_oper_up")
    assert len(up) == 36
    assert sorted(k for k, v in up.items() if v == 1.0) == [
        "xgei-1/1/0/1",
        "xgei-1/1/0/2",
        "xxvgei-1/1/0/20",
        "xxvgei-1/1/0/24",
    ]


def test_zte_zxctn_traffic_eng_tunnels() -> None:
    name = "ntc-templates__zte_zxros_show_mpls_traffic-eng_tunnels.raw"
    rows = _records("zte_zxros", "tunnels", name)
    assert len(rows) == 10
    assert (rows[0]["NAME"], rows[0]["DESC"], rows[0]["ADMIN"], rows[0]["OPER"]) == (
        "tunnel_1",
        "(Tunnel1)",
        "up",
        "up",
    )
    assert rows[0]["IP_ROUTE"].split() == ["10.10.10.22", "10.10.10.23", "10.10.10.194", "10.10.10.195", "10.10.10.87"]
    assert rows[1]["DESC"] == "(hot)(Tunnel1)" and rows[1]["INSTANCE"] == "336"
    assert rows[8]["NAME"] == "Bypass->10.10.10.78->10.10.10.242"

    obs = look("zte_zxros", {"tunnels": real(name)})
    assert obs.problems == [] and obs.conditions == []
    # head-end tunnels only: the hot-standby LSPs and the remote tunnels are not judged
    assert gauges(obs, "tunnel_up") == {"tunnel_1": 1.0, "tunnel_2": 1.0}
    assert {g.resource.type for g in obs.gauges} == {ResourceType.tunnel}


def test_tl1_bti7200_rtrv_alm_all() -> None:
    name = "bjmllr-tl1__command_spec.rb.L143-151.RTRV-ALM-ALL.txt"
    obs = look("tl1", {"alarms": real(name)})
    assert obs.scopes == {"cli:alarms"} and obs.problems == []
    by_key = {c.key: c for c in obs.conditions}
    assert set(by_key) == {
        ("board:XFP-11-12-3", "BOARD_MISSING"),
        ("board:XFP-11-12-4", "BOARD_MISSING"),
        ("port:TPR-11-13-4", "LOS"),
    }
    los = by_key[("port:TPR-11-13-4", "LOS")]
    assert los.severity.value == "critical" and los.scope == "cli:alarms"
    assert los.detail == "LOS: Loss of signal. (since 08-16 04-04-01)"


UNCOVERED = [
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_interface.raw"),
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_interface1.raw"),
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_lldp_neighbor.raw"),
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_lldp_neighbor3.raw"),
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_isis_peer.raw"),
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_mpls_te_tunnel.raw"),
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_version.raw"),
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_version1.raw"),
    ("huawei_vrp", "ntc-templates__huawei_vrp_display_version2.raw"),
    ("zte_zxros", "ntc-templates__zte_zxros_show_interface.raw"),
    ("zte_zxros", "ntc-templates__zte_zxros_show_isis_adjacency.raw"),
    ("zte_zxros", "ntc-templates__zte_zxros_show_version.raw"),
]


@pytest.mark.parametrize(("platform", "name"), UNCOVERED, ids=[n for _, n in UNCOVERED])
def test_other_captures_are_refused_by_every_command(platform: str, name: str) -> None:
    """Output of another command (a session that read the wrong answer) is never taken for this one."""
    text = real(name)
    for cmd in platforms()[platform].commands:
        obs = look(platform, {cmd.key: text}, device="NE-X")
        assert obs.scopes == set(), cmd.key
        assert obs.conditions == [] and obs.gauges == []
        (problem,) = obs.problems
        assert problem.startswith(f"NE-X: {cmd.scope} ('{cmd.command}'): ")
        assert "not understood" in problem or "refused" in problem or "has no" in problem
