"""The lab's SNMP data, read the way the agent reads a poll (profile detection, then the profile's
tables evaluated offline): every element is detected by the profile of its family and is healthy;
a cut shows exactly what the real network would; healing gives the healthy data back."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from agent.observation import Observation
from agent.profiles import ProfileSet, load_profiles, read_tables
from agent.settings import OpticalThresholds
from agent.sim.faults import Faults, faults_of
from agent.sim.labnet import LabNetwork, load_catalogue
from agent.sim.snmp import Recorder, render, write_recording
from agent.snmprec import parse_snmprec
from correlator.alarmtypes import load_alarm_types
from correlator.configfile.loader import LoadedConfig, load_config
from correlator.diversity.expand import NetworkIndex
from tests.conftest import LAB, ROOT

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
Conditions = set[tuple[str, str, str, str]]


@cache
def lab() -> tuple[LoadedConfig, NetworkIndex, LabNetwork, ProfileSet]:
    cfg = load_config(LAB)
    index = NetworkIndex(cfg.inventory, cfg.policy)
    return (
        cfg,
        index,
        LabNetwork.build(index, load_catalogue()),
        load_profiles(ROOT / "config" / "profiles", load_alarm_types()),
    )


def observe(device: str, faults: Faults) -> tuple[str, Observation]:
    cfg, _, net, profiles = lab()
    rec = parse_snmprec(render(Recorder(net, faults, NOW, {}).records(device)), device)
    assert not rec.problems
    dev = cfg.inventory.devices[device]
    sys_object_id = rec.get("1.3.6.1.2.1.1.2.0")
    assert isinstance(sys_object_id, str)
    profile = profiles.detect(sys_object_id, rec.text("1.3.6.1.2.1.1.1.0") or "", dev.kind)
    rows, complete = read_tables(profile, rec.values)
    return profile.id, profile.evaluate(device, rows, complete, OpticalThresholds(), active=())


def conditions(faults: Faults) -> Conditions:
    cfg, *_ = lab()
    out: Conditions = set()
    for dev in cfg.inventory.devices:
        if dev.id in faults.unreachable:
            continue  # silent: the agent sees no data at all
        _, obs = observe(dev.id, faults)
        out |= {(dev.id, c.resource.type.value, c.resource.id, c.alarm_type) for c in obs.conditions}
    return out


def cut(*keys: str) -> Faults:
    _, index, *_ = lab()
    return faults_of(index, keys)


EXPECTED_PROFILE = {
    "sdh": "huawei-optix",
    "mstp": "generic-mstp",
    ("ipran", "huawei"): "huawei-vrp",
    ("ipran", "zte"): "zte-zxr10",
    ("cpe", "huawei"): "huawei-ar",
    ("cpe", "cisco"): "cisco-isr-cpe",
    ("cpe", "mikrotik"): "mikrotik-routeros",
}


def test_every_element_is_detected_by_its_family_profile_and_is_healthy() -> None:
    cfg, *_ = lab()
    healthy = cut()
    for dev in cfg.inventory.devices:
        profile, obs = observe(dev.id, healthy)
        key = dev.kind.value if dev.kind.value in EXPECTED_PROFILE else (dev.kind.value, dev.vendor)
        assert profile == EXPECTED_PROFILE[key], dev.id
        assert obs.conditions == [], (dev.id, obs.conditions)
        assert not obs.problems, (dev.id, obs.problems)
        _, _, net, _ = lab()
        in_service = {p.name for p in net.devices[dev.id].ports.values() if p.in_service}
        ports = {g.resource.id: g.value for g in obs.gauges if g.name == "interface_oper_up"}
        assert all(v == 1 for name, v in ports.items() if name in in_service), dev.id
        assert all(v == 0 for name, v in ports.items() if name not in in_service), dev.id  # spare: shut


def test_the_hidden_shared_duct_cut_shows_what_the_network_would() -> None:
    faults = cut("duct:D-013")
    assert faults.links_down == {"L-PGOV-SDH-A", "L-PGOV-SDH-B", "L-PGOV-VPN-B"}
    assert faults.unreachable == {"CPE-PGOV-HQ"}  # both its WAN links run in the duct
    assert conditions(faults) == {
        # no light at the SDH ports facing the cut ...
        ("SDH-CEN", "port", "6-SLQ1-1", "LOS"),
        ("SDH-CEN", "optical", "6-SLQ1-1", "OPTICAL_RX_LOW"),
        ("SDH-WES", "port", "4-SLQ1-1", "LOS"),
        ("SDH-WES", "optical", "4-SLQ1-1", "OPTICAL_RX_LOW"),
        # ... AIS downstream on both trails of C-001 ...
        ("SDH-NOR", "path", "11-SL16-1:VC4-JC-0101-W", "AU_AIS"),
        ("SDH-SOU", "path", "2-CXL16-1:VC4-JC-0101-P", "AU_AIS"),
        ("SDH-EAS", "path", "12-SL16-1:VC4-JC-0101-P", "AU_AIS"),
        # ... and the e-gov VPN's B access link down: port, light, its PW at both PEs, the VRF
        ("ATN-WES", "port", "GigabitEthernet0/1/1", "LINK_DOWN"),
        ("ATN-WES", "optical", "GigabitEthernet0/1/1", "OPTICAL_RX_LOW"),
        ("CPE-PGOV-VPN", "port", "GigabitEthernet0/0/2", "LINK_DOWN"),
        ("CPE-PGOV-VPN", "optical", "GigabitEthernet0/0/2", "OPTICAL_RX_LOW"),
        ("ATN-WES", "pw", "PW-20062", "PW_DOWN"),
        ("AGG-CEN", "pw", "PW-20062", "PW_DOWN"),
        ("ATN-WES", "vrf", "CUST-PGOV", "VRF_DOWN"),
        ("AGG-CEN", "vrf", "CUST-PGOV", "VRF_DOWN"),
    }


def test_a_ring_cable_cut_takes_the_ipran_chain_down_and_the_ring_stays_managed() -> None:
    faults = cut("cable:CB-WES-CEN")
    assert faults.unreachable == set()  # both rings are managed the other way round
    found = conditions(faults)
    assert ("SDH-CEN", "port", "11-SL16-1", "LOS") in found
    assert ("SDH-WES", "port", "2-CXL16-1", "LOS") in found
    assert ("AGG-CEN", "port", "GigabitEthernet0/3/0", "LINK_DOWN") in found
    assert ("ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-01", "TUNNEL_DOWN") in found
    assert {d for d, t, _, a in found if a == "BFD_DOWN"} == {"AGG-CEN", "ATN-WES"}
    assert ("SDH-CEN", "path", "2-PQ1-1:VC12-JC-1001", "TU_AIS") not in found  # LOS at the adjacent port masks it


def test_a_gateway_ne_off_silences_its_ring_and_shows_ais_beyond() -> None:
    faults = cut("device:SDH-CEN")
    assert faults.devices_down == {"SDH-CEN"}
    assert faults.unreachable == {"SDH-CEN", "SDH-NOR", "SDH-EAS", "SDH-SOU", "SDH-WES", "SDH-BKDR"}
    found = conditions(faults)
    assert ("MSTP-LAK", "path", "2-OL4-1:VC12-JC-1301-P", "TU_AIS") in found
    assert all(d not in faults.unreachable for d, *_ in found)


def test_a_failed_board_is_reported_and_its_far_ends_lose_light() -> None:
    faults = cut("board:SDH-CEN:11")
    found = conditions(faults)
    assert ("SDH-CEN", "board", "11-SL16", "BOARD_FAULT") in found
    assert ("SDH-WES", "port", "2-CXL16-1", "LOS") in found


def test_a_countryside_spur_cut_isolates_the_elements_behind_it() -> None:
    assert cut("link:L-IP-RIV-XC").unreachable == {"ATN-XC", "CPE-COOP"}


def test_a_rewrite_within_the_same_second_moves_the_mtime_forward(tmp_path: Path) -> None:
    path = tmp_path / "x.snmprec"
    assert write_recording(path, b"1.3.6.1.2.1.1.5.0|4|one\n")
    first = os.stat(path).st_mtime
    assert not write_recording(path, b"1.3.6.1.2.1.1.5.0|4|one\n")  # same data: untouched
    assert write_recording(path, b"1.3.6.1.2.1.1.5.0|4|two\n")
    assert int(os.stat(path).st_mtime) > int(first)  # snmpsim compares whole seconds
    assert path.read_bytes().endswith(b"two\n")


def cli_conditions(faults: Faults) -> tuple[Conditions, list[str]]:
    """What the agent's CLI collection makes of the lab's CLI outputs (every element with a CLI)."""
    from agent.cli.alarmnames import load_vendor_alarms
    from agent.cli.observe import observe as observe_cli
    from agent.cli.platform import load_platforms
    from agent.sim.cli import GENERATORS, CliState
    from agent.sim.shells import tl1_compld

    _, _, net, _ = lab()
    platforms, names = load_platforms(), load_vendor_alarms()
    state = CliState(net, faults, NOW)
    found: Conditions = set()
    problems: list[str] = []
    for sd in net.devices.values():
        platform_name = sd.device.cli_platform
        if platform_name not in GENERATORS or sd.id in faults.unreachable:
            continue
        outputs = GENERATORS[platform_name](state, sd)
        platform = platforms[platform_name]
        texts: dict[str, str] = {}
        for cmd in platform.commands:
            if platform_name == "tl1":
                texts[cmd.key] = tl1_compld(sd.device.name, "7", outputs[cmd.command.split(":")[0]])
            else:
                texts[cmd.key] = outputs[cmd.command]
        ctags = dict.fromkeys(texts, "7") if platform_name == "tl1" else None
        obs = observe_cli(platform, sd.id, texts, names, known_ports=list(sd.ports), ctags=ctags)
        found |= {(sd.id, c.resource.type.value, c.resource.id, c.alarm_type) for c in obs.conditions}
        problems += obs.problems
        assert obs.scopes == {c.scope for c in platform.commands}, (sd.id, obs.scopes)
    return found, problems


def test_the_cli_outputs_are_understood_whole_and_agree_with_snmp() -> None:
    found, problems = cli_conditions(cut())
    assert found == set() and problems == []
    for key in ("duct:D-013", "cable:CB-WES-CEN", "board:SDH-CEN:11"):
        faults = cut(key)
        found, problems = cli_conditions(faults)
        assert problems == [], (key, problems)
        assert found, key
        assert found <= conditions(faults), (key, found - conditions(faults))


@pytest.mark.parametrize("key", ["duct:D-013", "site:CO-NORTH", "port:SDH-CEN:6-SLQ1-1"])
def test_every_recording_stays_sorted_and_readable_under_faults(key: str) -> None:
    cfg, _, net, _ = lab()
    recorder = Recorder(net, cut(key), NOW, {})
    for dev in cfg.inventory.devices:
        data = render(recorder.records(dev.id))
        oids = [line.split("|", 1)[0] for line in data.decode().splitlines()]
        assert oids == sorted(oids, key=lambda o: tuple(int(p) for p in o.split(".")))
        assert not parse_snmprec(data).problems
    assert time.time() > 0
