"""Fixtures written from the RFCs (tests/data/snmp): healthy and faulted SDH element, IPRAN router and
CPE; absent, truncated and garbage tables; optical hysteresis; traps named as the poll names them."""

from __future__ import annotations

import pytest

from agent.observation import Condition
from agent.profiles import Rows, Value, read_tables
from agent.settings import OpticalThresholds
from correlator.wire import Action, Resource, ResourceType, Severity

from .helpers import LIMITS, detect, fixture, gauges, observe, profiles, raised

SDH_AFTER = {
    ("sonetSection", "port", "11-SL16-1", "LOS"),
    ("sonetSection", "port", "11-SL16-1", "LOF"),
    ("sonetLine", "port", "12-SL16-1", "MS_AIS"),
    ("sonetLine", "port", "6-SLQ1-1", "MS_RDI"),
    ("sonetPath", "path", "11-SL16-1:AU4-1", "AU_AIS"),
    ("sonetPath", "path", "11-SL16-1:AU4-2", "AU_LOP"),
    ("sonetPath", "path", "12-SL16-1:AU4-1", "HP_RDI"),
    ("sonetPath", "path", "12-SL16-1:AU4-2", "HP_UNEQ"),
    ("sonetPath", "path", "12-SL16-1:AU4-2", "HP_PLM"),
    ("sonetVT", "path", "11-SL16-1:AU4-1:TU12-1", "TU_AIS"),
    ("sonetVT", "path", "11-SL16-1:AU4-1:TU12-2", "TU_LOP"),
    ("sonetVT", "path", "12-SL16-1:AU4-1:TU12-1", "LP_RDI"),
    ("entState", "board", "14-EFS8", "BOARD_FAULT"),
    ("entState", "board", "10-GXCSA", "BOARD_FAULT"),
    ("entSensor", "optical", "11-SL16-1", "OPTICAL_RX_LOW"),
    ("entSensor", "optical", "12-SL16-1", "OPTICAL_RX_LOW"),
    ("entSensor", "optical", "6-SLQ1-1", "OPTICAL_RX_HIGH"),
    ("interfaces", "port", "14-EFS8-1", "LINK_DOWN"),
}

IPRAN_AFTER = {
    ("interfaces", "port", "xe2", "LINK_DOWN"),
    ("bfdSession", "bfd", "10.0.13.2@xe2", "BFD_DOWN"),
    ("mplsTunnel", "tunnel", "TE-ATNWES-AGGEAS-01", "TUNNEL_DOWN"),
    ("pseudowire", "pw", "PW-20061", "PW_DOWN"),
    ("l3vpnVrf", "vrf", "CUST-PGOV", "VRF_DOWN"),
    ("entSensor", "optical", "xe2", "OPTICAL_RX_LOW"),
}

CPE_AFTER = {
    ("interfaces", "port", "GigabitEthernet0/0/4", "LINK_DOWN"),
    ("hwOpticalModuleInfo", "optical", "GigabitEthernet0/0/4", "OPTICAL_RX_LOW"),
}


@pytest.mark.parametrize(
    ("name", "profile_id", "after"),
    [("sdh", "huawei-optix", SDH_AFTER), ("ipran", "ipinfusion-ocnos", IPRAN_AFTER), ("cpe", "huawei-ar", CPE_AFTER)],
)
def test_before_is_healthy_and_after_raises_exactly(
    name: str, profile_id: str, after: set[tuple[str, str, str, str]]
) -> None:
    before_rec, after_rec = fixture(f"{name}-before"), fixture(f"{name}-after")
    assert detect(before_rec).id == detect(after_rec).id == profile_id
    before, faulted = observe(before_rec), observe(after_rec)
    assert raised(before) == set()
    assert raised(faulted) == after
    for obs in (before, faulted):
        assert obs.problems == []
        assert obs.scopes == {t.name for t in detect(before_rec).tables()}  # every table read completely
        assert obs.uptime_ticks is not None


def test_sdh_details_severities_and_indexes() -> None:
    obs = observe(fixture("sdh-after"))
    by_key = {(c.resource.id, c.alarm_type): c for c in obs.conditions}
    los = by_key[("11-SL16-1", "LOS")]
    assert los.resource == Resource(type=ResourceType.port, id="11-SL16-1", if_index=1101)
    assert los.severity == Severity.critical  # default of config/alarm_types.yaml
    assert los.detail == "sonetSectionCurrentStatus=sonetSectionLOF+sonetSectionLOS"
    assert by_key[("12-SL16-1:AU4-2", "HP_PLM")].resource.if_index == 120102
    assert by_key[("12-SL16-1", "OPTICAL_RX_LOW")].detail == "rx -29.21 dBm below -27.00 dBm"
    assert by_key[("6-SLQ1-1", "OPTICAL_RX_HIGH")].detail == "rx 1.14 dBm above 0.00 dBm"
    assert by_key[("10-GXCSA", "BOARD_FAULT")].detail == "entStateAlarm=critical"
    # a minor alarm bit (6-SLQ1) is no board fault; a shut port (14-EFS8-2) is no link down
    assert ("6-SLQ1", "BOARD_FAULT") not in by_key and ("14-EFS8-2", "LINK_DOWN") not in by_key
    rx = gauges(obs, "optical_rx_dbm")
    assert rx == {"11-SL16-1": -40.0, "12-SL16-1": -29.21, "6-SLQ1-1": 1.14}  # dBm(14), watts µW p1, watts µW p0
    assert gauges(observe(fixture("sdh-before")), "optical_rx_dbm") == {
        "11-SL16-1": -15.2,
        "12-SL16-1": -16.0,
        "6-SLQ1-1": -3.98,
    }


def test_ipran_gauges_and_admin_down_objects() -> None:
    before, after = observe(fixture("ipran-before")), observe(fixture("ipran-after"))
    assert gauges(after, "bfd_up") == {"10.0.12.2@xe1": 1.0, "10.0.13.2@xe2": 0.0, "10.0.14.2@ge6": 0.0}
    assert gauges(after, "tunnel_up") == {
        "TE-ATNWES-AGGCEN-01": 1.0,
        "TE-ATNWES-AGGEAS-01": 0.0,
        "TE-ATNWES-ATNXC-01": 0.0,
    }
    assert gauges(before, "pw_up") == {"PW-20021": 1.0, "PW-20061": 1.0}
    assert gauges(before, "optical_rx_dbm") == {"xe1": -5.12, "xe2": -10.59}  # dBm p2; watts µW p1
    assert gauges(after, "optical_rx_dbm") == {"xe1": -5.12}  # xe2: 0 W, no light
    assert gauges(after, "vrf_up") == {"CUST-PGOV": 0.0, "INTERNET": 1.0}
    # the admin-down BFD session and tunnel, and the shut port, raise nothing in either state
    assert not {r for r in raised(before) | raised(after) if r[2] in ("10.0.14.2@ge6", "TE-ATNWES-ATNXC-01", "ge6")}
    assert "lo" not in gauges(after, "interface_oper_up")  # a loopback is not a port resource


def test_absent_table_is_not_complete_and_raises_nothing() -> None:
    rec = fixture("ipran-after")
    profile = detect(rec)
    values = {oid: v for oid, v in rec.values.items() if not oid.startswith("1.3.6.1.2.1.222.")}  # noSuchObject
    rows, complete = read_tables(profile, values)
    assert rows["bfdSession"] == {} and "bfdSession" not in complete
    obs = profile.evaluate("ATN-WES", rows, complete, LIMITS)
    assert "bfdSession" not in obs.scopes
    assert raised(obs) == IPRAN_AFTER - {("bfdSession", "bfd", "10.0.13.2@xe2", "BFD_DOWN")}
    assert "bfd_up" not in {g.name for g in obs.gauges}


def test_truncated_table_is_left_out_and_so_are_tables_joined_to_it() -> None:
    rec = fixture("sdh-after")
    profile = detect(rec)
    rows, complete = read_tables(profile, rec.values)
    rows["sonetPath"] = dict(list(rows["sonetPath"].items())[:1])  # the walk stopped after one row
    complete.discard("sonetPath")
    complete.discard("entPhysical")  # ... and the inventory walk timed out
    obs = profile.evaluate("SDH-CEN", rows, complete, LIMITS)
    assert "sonetPath" not in obs.scopes and not [c for c in obs.conditions if c.scope == "sonetPath"]
    # entState and entSensor name their rows through entPhysical: not judged either
    assert {"entState", "entSensor"}.isdisjoint(obs.scopes)
    assert "entState: not judged, joined table(s) entPhysical not read completely" in obs.problems
    assert raised(obs) == {r for r in SDH_AFTER if r[0] not in ("sonetPath", "entState", "entSensor")}


def test_garbage_values_are_problems_never_exceptions() -> None:
    rec = fixture("garbage")
    assert rec.problems == [
        "garbage.snmprec:4: 1.3.6.1.2.1.1.4.0: bad hex 'zz'",
        "garbage.snmprec:6: 1.3.6.1.2.1.1.6.0: unknown type tag '99'",
    ]
    obs = observe(rec)
    assert obs.problems == [
        "interfaces[5001]: ifDescr: not UTF-8 text: c328",
        "interfaces[5001]: ifName: not UTF-8 text: fffe007865",
        "interfaces[5005]: ifOperStatus: expected an INTEGER, got bytes b'up'",
        "bfdSession[1]: bfdSessState: value 99 is not one of 1=adminDown, 2=down, 3=init, 4=up",
        f"mplsTunnel[1.0.{(10 << 24) + (255 << 16) + 21}.{(10 << 24) + (255 << 16) + 1}]: mplsTunnelOperStatus:"
        " expected an INTEGER, got str '1.3.6.1'",
        "pseudowire[1]: pwOperStatus: value 18446744073709551615 is not one of 1=up, 2=down, 3=testing, 4=unknown,"
        " 5=dormant, 6=notPresent, 7=lowerLayerDown",
    ]
    assert raised(obs) == IPRAN_AFTER  # the readable rows are judged as usual
    ports = gauges(obs, "interface_oper_up")
    assert "ifIndex.5001" in ports  # unreadable names fall back to the ifIndex
    assert "ge5" not in ports  # its state is unreadable: no gauge


def test_wrong_shapes_from_an_engine_are_problems() -> None:
    rec = fixture("ipran-after")
    profile = detect(rec)
    rows, complete = read_tables(profile, rec.values)
    rows["pseudowire"]["9"] = "not a row"  # type: ignore[assignment]
    rows["pseudowire"]["x.y"] = {"1.3.6.1.2.1.10.246.1.2.1.38": 2}
    rows["mplsTunnel"]["1.0"] = {"1.3.6.1.2.1.10.166.3.2.2.1.35": 2}
    rows["l3vpnVrf"]["200.1.2"] = {"1.3.6.1.2.1.10.166.11.1.2.2.1.6": 2}
    rows["interfaces"]["77"] = {"1.3.6.1.2.1.2.2.1.3": 6, "1.3.6.1.2.1.2.2.1.8": 2}  # no ifAdminStatus
    rows["bfdSession"] = None  # type: ignore[assignment]
    obs = profile.evaluate("ATN-WES", rows, complete, LIMITS)
    assert "bfdSession" not in obs.scopes
    assert obs.problems == [
        "interfaces[77]: ifAdminStatus: missing",
        "bfdSession: marked complete but its rows are missing or not a mapping",
        "mplsTunnel[1.0]: index '1.0' is too short for part 'mplsTunnelIngressLSRId'",
        "pseudowire[9]: row is not a mapping of column OID to value (str)",
        "pseudowire[x.y]: index 'x.y' is not numeric",
        "l3vpnVrf[200.1.2]: index '200.1.2' is too short for string part 'mplsL3VpnVrfName'",
    ]
    assert raised(obs) == IPRAN_AFTER - {("bfdSession", "bfd", "10.0.13.2@xe2", "BFD_DOWN")}


def test_an_unreadable_row_keeps_what_was_raised() -> None:
    profile = profiles().get("ipinfusion-ocnos")
    rows, complete = read_tables(profile, fixture("ipran-after").values)
    raised_before = observe(fixture("ipran-after")).conditions
    rows["pseudowire"]["2"]["1.3.6.1.2.1.10.246.1.2.1.38"] = b"garbage"
    obs = profile.evaluate("ATN-WES", rows, complete, LIMITS, raised_before)
    assert ("pseudowire", "pw", "PW-20061", "PW_DOWN") in raised(obs)  # unknown now: kept, not cleared
    obs = profile.evaluate("ATN-WES", rows, complete, LIMITS)
    assert ("pseudowire", "pw", "PW-20061", "PW_DOWN") not in raised(obs)  # nothing raised before: nothing kept


def _rx(value_centi_dbm: int, active: tuple[Condition, ...] = ()) -> set[str]:
    profile = profiles().get("huawei-ar")
    rows, complete = read_tables(profile, fixture("cpe-before").values)
    rows["hwOpticalModuleInfo"]["270"]["1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8"] = value_centi_dbm
    obs = profile.evaluate(
        "CPE", rows, complete, OpticalThresholds(rx_low_dbm=-20, rx_high_dbm=-3, hysteresis_db=1.5), active
    )
    return {c.alarm_type for c in obs.conditions if c.scope == "hwOpticalModuleInfo"}


def test_optical_hysteresis() -> None:
    low = Condition(
        Resource(type=ResourceType.optical, id="GigabitEthernet0/0/4", if_index=7),
        "OPTICAL_RX_LOW",
        Severity.major,
        "hwOpticalModuleInfo",
    )
    high = Condition(low.resource, "OPTICAL_RX_HIGH", Severity.minor, "hwOpticalModuleInfo")
    assert _rx(-2001) == {"OPTICAL_RX_LOW"}  # -20.01 < -20
    assert _rx(-2000) == set()  # at the limit: not below it
    assert _rx(-1900, (low,)) == {"OPTICAL_RX_LOW"}  # raised: held until -18.5
    assert _rx(-1851, (low,)) == {"OPTICAL_RX_LOW"}
    assert _rx(-1850, (low,)) == set()  # cleared 1.5 dB inside the limit
    assert _rx(-1900) == set()  # not raised before: -19 is fine
    assert _rx(-299) == {"OPTICAL_RX_HIGH"}
    assert _rx(-400, (high,)) == {"OPTICAL_RX_HIGH"}  # held until -4.5
    assert _rx(-450, (high,)) == set()
    assert _rx(-4000, (low,)) == {"OPTICAL_RX_LOW"}  # no light


def test_optical_alarm_waits_for_an_administratively_up_port() -> None:
    profile = profiles().get("huawei-ar")
    rows, complete = read_tables(profile, fixture("cpe-after").values)
    rows["interfaces"]["7"]["1.3.6.1.2.1.2.2.1.7"] = 2  # the operator shut GE0/0/4
    obs = profile.evaluate("CPE", rows, complete, LIMITS)
    assert raised(obs) == set()


# -- traps ------------------------------------------------------------------------------------


def _poll_keys(name: str) -> dict[tuple[str, str], Condition]:
    return {c.key: c for c in observe(fixture(name)).conditions}


def test_link_down_trap_is_the_same_alarm_as_the_poll() -> None:
    profile = profiles().get("ipinfusion-ocnos")
    poll = _poll_keys("ipran-after")
    rows, complete = read_tables(profile, fixture("ipran-after").values)
    resources = profile.resources(rows, complete)
    names = {r.if_index: r.id for r in resources["interfaces"].values() if r.if_index}
    link_down: dict[str, Value] = {
        "1.3.6.1.2.1.2.2.1.1.5002": 5002,
        "1.3.6.1.2.1.2.2.1.7.5002": 1,
        "1.3.6.1.2.1.2.2.1.8.5002": 2,
    }
    by_resources = profile.map_trap("ATN-WES", "1.3.6.1.6.3.1.1.5.3", link_down, resources=resources)
    by_names = profile.map_trap("ATN-WES", "1.3.6.1.6.3.1.1.5.3", link_down, names=names)
    for ((action, cond),) in (by_resources, by_names):
        assert action == Action.raise_
        assert cond.key in poll and cond.resource == poll[cond.key].resource and cond.scope == "interfaces"
    # without any map the ifName varbind some vendors add names it; without that, the fallback rule does
    ((_, cond),) = profile.map_trap("X", ".1.3.6.1.6.3.1.1.5.3", {**link_down, "1.3.6.1.2.1.31.1.1.1.1.5002": b"xe2"})
    assert cond.key == ("port:xe2", "LINK_DOWN")
    ((_, cond),) = profile.map_trap("X", "1.3.6.1.6.3.1.1.5.3", link_down)
    assert cond.resource.id == "ifIndex.5002"
    # linkUp clears; an administratively shut port's linkDown clears rather than raises
    ((action, cond),) = profile.map_trap("X", "1.3.6.1.6.3.1.1.5.4", {"1.3.6.1.2.1.2.2.1.1.5002": 5002}, names=names)
    assert (action, cond.key) == (Action.clear, ("port:xe2", "LINK_DOWN"))
    shut = {**link_down, "1.3.6.1.2.1.2.2.1.7.5002": 2}
    assert [a for a, _ in profile.map_trap("X", "1.3.6.1.6.3.1.1.5.3", shut, names=names)] == [Action.clear]
    # a VLAN/loopback interface the poll does not judge is ignored; unknown traps too
    assert profile.map_trap("X", "1.3.6.1.6.3.1.1.5.3", {"1.3.6.1.2.1.2.2.1.1.1": 1}, resources=resources) == []
    assert profile.map_trap("X", "1.3.6.1.4.1.9999.0.1", link_down) == []
    assert profile.map_trap("X", "1.3.6.1.6.3.1.1.5.3", {"1.3.6.1.2.1.1.3.0": 5}) == []


def test_entity_state_traps_name_the_board_as_the_poll() -> None:
    profile = profiles().get("huawei-optix")
    poll = _poll_keys("sdh-after")
    rows, complete = read_tables(profile, fixture("sdh-after").values)
    resources = profile.resources(rows, complete)
    admin, alarm = "1.3.6.1.2.1.131.1.1.1.2", "1.3.6.1.2.1.131.1.1.1.5"
    ((action, cond),) = profile.map_trap(
        "SDH-CEN", "1.3.6.1.2.1.131.0.2", {f"{admin}.14": 4, f"{alarm}.14": b"\x00"}, resources=resources
    )  # entStateOperDisabled
    assert action == Action.raise_ and cond.key == ("board:14-EFS8", "BOARD_FAULT") and cond.key in poll
    ((action, cond),) = profile.map_trap(
        "SDH-CEN", "1.3.6.1.2.1.131.0.1", {f"{admin}.10": 4, f"{alarm}.10": b"\x20"}, resources=resources
    )  # entStateOperEnabled, but a critical alarm bit: still a fault
    assert action == Action.raise_ and cond.key == ("board:10-GXCSA", "BOARD_FAULT") and cond.key in poll
    ((action, cond),) = profile.map_trap(
        "SDH-CEN", "1.3.6.1.2.1.131.0.1", {f"{admin}.14": 4, f"{alarm}.14": b"\x00"}, resources=resources
    )
    assert (action, cond.key) == (Action.clear, ("board:14-EFS8", "BOARD_FAULT"))


def test_huawei_pw_traps_use_the_huawei_enum() -> None:
    """hwPWVcDown/Up (HUAWEI-PWE3-MIB 1.3.6.1.4.1.2011.5.25.119.4.1.2.3 / .4), and hwPWVcTable polled with
    Huawei's own status numbers (4 = backup, a healthy standby PW)."""
    profile = profiles().get("huawei-vrp")
    status = "1.3.6.1.4.1.2011.5.25.119.4.1.1.1.1.5"
    peer = "1.3.6.1.4.1.2011.5.25.119.4.1.1.1.1.4"
    rows: dict[str, Rows] = {
        "hwPWVc": {"20021.4": {status: 2, peer: "10.255.0.1"}, "20022.4": {status: 4}, "20023.5": {status: 3}}
    }
    obs = profile.evaluate("AGG-CEN", rows, {"hwPWVc"}, LIMITS)
    assert raised(obs) == {("hwPWVc", "pw", "PW-20021", "PW_DOWN"), ("hwPWVc", "pw", "PW-20023", "PW_DOWN")}
    assert gauges(obs, "pw_up") == {"PW-20021": 0.0, "PW-20022": 1.0, "PW-20023": 0.0}
    varbinds: dict[str, Value] = {
        f"{peer}.20021.4": "10.255.0.1",
        "1.3.6.1.4.1.2011.5.25.119.4.1.1.1.1.15.20021.4": 7,
        "1.3.6.1.2.1.1.3.0": 123456,
    }
    ((action, cond),) = profile.map_trap("AGG-CEN", "1.3.6.1.4.1.2011.5.25.119.4.1.2.3", varbinds)
    assert action == Action.raise_ and cond.key == ("pw:PW-20021", "PW_DOWN") and cond.scope == "hwPWVc"
    ((action, cond),) = profile.map_trap("AGG-CEN", "1.3.6.1.4.1.2011.5.25.119.4.1.2.4", varbinds)
    assert (action, cond.key) == (Action.clear, ("pw:PW-20021", "PW_DOWN"))
    assert profile.traps()["1.3.6.1.4.1.2011.5.25.119.4.1.2.3"] == "hwPWVcDown"
