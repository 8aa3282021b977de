"""Real recordings, judged through the shipped profiles: interfaces, inventory, optics in each platform's unit."""

from __future__ import annotations

from agent.profiles import read_tables

from .helpers import LIMITS, detect, gauges, observe, raised, real


def test_ne8000_interfaces_and_optics_in_centi_dbm() -> None:
    rec = real("vrp_ne8000-m8")
    obs = observe(rec)
    assert obs.uptime_ticks == 270563050
    assert obs.problems == []
    assert obs.scopes == {"system", "interfaces", "entPhysical", "entAliasMapping", "hwOpticalModuleInfo"}
    ports = gauges(obs, "interface_oper_up")
    assert len(ports) == 12  # 19 ifTable rows, 12 of them Ethernet ports (ifType 6)
    assert ports["GigabitEthernet0/8/0"] == 1.0 and ports["GigabitEthernet0/8/2"] == 0.0
    down = {c.resource.id: c.resource.if_index for c in obs.conditions if c.alarm_type == "LINK_DOWN"}
    assert down == {f"GigabitEthernet0/8/{n}": 16 + n for n in (2, 3, 4, 5, 6, 8)}
    rx = gauges(obs, "optical_rx_dbm")
    assert rx["GigabitEthernet0/7/0"] == -2.90  # raw -290 in 0.01 dBm
    assert rx["GigabitEthernet0/7/1"] == -16.84  # raw -1684
    assert rx["GigabitEthernet0/8/0"] == -1.48
    assert "GigabitEthernet0/7/3" not in rx  # raw -4000: no light, no reading
    (dark,) = [c for c in obs.conditions if c.scope == "hwOpticalModuleInfo"]
    assert (dark.resource.type.value, dark.resource.id, dark.alarm_type) == (
        "optical",
        "GigabitEthernet0/7/3",
        "OPTICAL_RX_LOW",
    )
    assert dark.detail == "no light (raw -4000)"
    # optical resources are named after the port: through entAliasMapping (with ifIndex) where mapped
    optical = {g.resource.id: g.resource.if_index for g in obs.gauges if g.name == "optical_rx_dbm"}
    assert optical["GigabitEthernet0/8/0"] == 16 and optical["GigabitEthernet0/7/0"] is None


def test_s5720_optics_in_microwatt_and_absent_modules() -> None:
    obs = observe(real("vrp_5720"))
    assert obs.problems == []
    rx = gauges(obs, "optical_rx_dbm")
    assert rx == {"XGigabitEthernet0/0/1": -2.71, "XGigabitEthernet0/0/2": -2.19, "XGigabitEthernet0/0/4": -2.40}
    # 53 module rows, 50 with -1 (absent): no reading, no alarm
    assert not [c for c in obs.conditions if c.scope == "hwOpticalModuleInfo"]
    assert len(gauges(obs, "interface_oper_up")) == 53
    assert len([c for c in obs.conditions if c.alarm_type == "LINK_DOWN"]) == 48


def test_ar169_cpe_skips_electrical_ports() -> None:
    obs = observe(real("vrp_ar169sfp"))
    assert gauges(obs, "optical_rx_dbm") == {
        "GigabitEthernet0/0/4": -8.49
    }  # the SFP port; copper ports: mode notSupported
    assert raised(obs) == set()


def test_xos_dom_sensors_in_watts_converted_to_dbm() -> None:
    obs = observe(real("xos_sfp"))
    assert obs.problems == []
    rx = gauges(obs, "optical_rx_dbm")
    # ENTITY-SENSOR watts, scale micro, precision 0, corrected by the profile's 0.1 (0.1 µW units):
    # 1:5 raw 2277 -> 227.7 µW -> -6.43 dBm; named through entPhysicalContainedIn + entAliasMapping -> ifName
    assert rx == {"1:5": -6.43, "1:14": -5.13, "1:28": -9.68}
    one_five = next(g for g in obs.gauges if g.resource.id == "1:5")
    assert one_five.resource.if_index == 1005
    dark = {c.resource.id for c in obs.conditions if c.alarm_type == "OPTICAL_RX_LOW"}
    assert len(dark) == 41 and "1:1" in dark and "1:5" not in dark  # raw <= 0 W: no light
    assert all(c.detail.startswith("no light (raw ") for c in obs.conditions)


def test_ncs540_entity_state_and_cisco_dbm_sensors() -> None:
    rec = real("iosxr_ncs540")
    obs = observe(rec)
    boards = gauges(obs, "board_oper_up")
    assert len(boards) == 19 and set(boards.values()) == {1.0}
    assert boards["0/RP0/CPU0"] == 1.0 and "TenGigE0/0/0/18" in boards
    assert not [c for c in obs.conditions if c.scope == "entState"]
    # the recording stores entStateAlarm as the text "80 0" (4 octets): unreadable, reported per row
    problems = [p for p in obs.problems if p.startswith("entState[")]
    assert len(problems) == 19
    assert problems[0] == "entState[1]: entStateAlarm: BITS value is 4 octets (38302030), at most 1 expected"
    rx = gauges(obs, "optical_rx_dbm")
    assert rx["TenGigE0/0/0/18"] == -1.74  # dBm(14), precision 5: -174249
    assert rx["TwentyFiveGigE0/0/0/21"] == -5.60
    assert len(rx) == 17


def test_ncs540_board_fault_once_the_alarm_bits_are_readable() -> None:
    rec = real("iosxr_ncs540")
    profile = detect(rec)
    rows, complete = read_tables(profile, rec.values)
    alarm = "1.3.6.1.2.1.131.1.1.1.5"
    for row in rows["entState"].values():
        row[alarm] = b"\x80"  # unknown(0): no fault
    rows["entState"]["2531329"][alarm] = b"\x10"  # major on the TenGigE0/0/0/18 optics
    rows["entState"]["1"]["1.3.6.1.2.1.131.1.1.1.3"] = 2  # chassis disabled
    obs = profile.evaluate("NCS540", rows, complete, LIMITS)
    assert {(c.resource.id, c.alarm_type, c.detail) for c in obs.conditions if c.scope == "entState"} == {
        ("TenGigE0/0/0/18", "BOARD_FAULT", "entStateAlarm=major"),
        ("0/RP0/CPU0", "BOARD_FAULT", "entStateOper=disabled, entStateAdmin=unlocked"),
    }
    assert not [p for p in obs.problems if p.startswith("entState[")]


def test_asr9010_cisco_pseudowires() -> None:
    rec = real("iosxr_asr9010")
    profile = detect(rec)
    rows, complete = read_tables(profile, rec.values)
    assert "cpwVc" in complete and len(rows["cpwVc"]) == 8
    names = {index: r.id for index, r in profile.resources(rows, complete)["cpwVc"].items()}
    assert sorted(names.values()) == sorted(f"PW-{n}" for n in (50, 51, 52, 53, 100, 101, 102, 103))
    assert names["2684354565"] == "PW-50"
    # the recording keeps cpwVcID/Type/Name but not the status columns: every PW says so, none is judged
    obs = profile.evaluate("ASR9010", rows, complete, LIMITS)
    assert [p for p in obs.problems if p.startswith("cpwVc")] == [
        f"cpwVc[{index}]: cpwVcOperStatus: missing" for index in rows["cpwVc"]
    ]
    assert not [c for c in obs.conditions if c.scope == "cpwVc"]
    # with the status columns (CpwOperStatus: 1 up, 2 down, 7 lowerLayerDown; admin 1 up, 2 down)
    oper, admin = "1.3.6.1.4.1.9.10.106.1.2.1.26", "1.3.6.1.4.1.9.10.106.1.2.1.25"
    states = dict(zip(rows["cpwVc"], (1, 2, 7, 1, 1, 5, 1, 2), strict=True))
    for index, state in states.items():
        rows["cpwVc"][index][oper] = state
        rows["cpwVc"][index][admin] = 2 if index == "2684354583" else 1
    obs = profile.evaluate("ASR9010", rows, complete, LIMITS)
    assert {c.resource.id for c in obs.conditions if c.alarm_type == "PW_DOWN"} == {"PW-51", "PW-100"}
    assert gauges(obs, "pw_up") == {
        "PW-50": 1.0,
        "PW-51": 0.0,
        "PW-100": 0.0,
        "PW-101": 1.0,
        "PW-103": 1.0,
        "PW-102": 0.0,
        "PW-52": 1.0,
        "PW-53": 0.0,
    }


def test_zte_without_ifxtable_names_ports_by_ifdescr() -> None:
    obs = observe(real("zxr10_5928"))
    ports = gauges(obs, "interface_oper_up")
    assert len(ports) == 45
    assert all(not name.startswith("ifIndex.") for name in ports)
    assert obs.problems == []


def test_every_recording_evaluates_without_exception() -> None:
    from .helpers import REAL

    for path in sorted(REAL.glob("*.snmprec")):
        rec = real(path.name.removeprefix("librenms__").removesuffix(".snmprec"))
        obs = observe(rec)
        assert obs.scopes <= {t.name for t in detect(rec).tables()}
        assert all(c.scope in obs.scopes for c in obs.conditions)
