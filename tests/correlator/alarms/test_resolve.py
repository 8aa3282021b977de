"""Alarm resource -> inventory resource key, on the lab inventory (config/lab)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from correlator.alarms import NameRules, Resolver, load_name_rules
from correlator.alarms.resolve import DEFAULT_PATH
from correlator.configfile.loader import LoadedConfig
from correlator.diversity import NetworkIndex
from correlator.inventory.inventory import Inventory, Table
from correlator.inventory.model import Port
from correlator.wire import Resource, ResourceType
from tests.correlator.alarms.conftest import MakeBench, lab_config, raise_


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(lab_config().inventory)


CASES = [
    # ports: ifIndex first, then the name
    ("AGG-CEN", "port", "GigabitEthernet0/3/1", None, "port:AGG-CEN:GigabitEthernet0/3/1"),
    ("AGG-CEN", "port", "anything", 42, "port:AGG-CEN:GigabitEthernet0/3/1"),
    ("AGG-CEN", "port", "GigabitEthernet0/3/0", 42, "port:AGG-CEN:GigabitEthernet0/3/1"),
    ("AGG-CEN", "port", "GigabitEthernet0/3/0", 999, "port:AGG-CEN:GigabitEthernet0/3/0"),
    ("AGG-CEN", "port", "ifIndex.41", None, "port:AGG-CEN:GigabitEthernet0/3/0"),
    ("AGG-CEN", "port", "gigabitethernet0/2/1", None, "port:AGG-CEN:GigabitEthernet0/2/1"),
    ("AGG-CEN", "port", "GE0/2/1", None, "port:AGG-CEN:GigabitEthernet0/2/1"),
    ("AGG-CEN", "port", "Gi0/2/1", None, "port:AGG-CEN:GigabitEthernet0/2/1"),
    ("AGG-CEN", "port", "GigabitEthernet0/2/1 Interface", None, "port:AGG-CEN:GigabitEthernet0/2/1"),
    ("AGG-CEN", "port", "XGE0/1/0", None, "port:AGG-CEN:XGigabitEthernet0/1/0"),
    ("AGG-CEN", "port", "TenGigE0/1/0", None, "port:AGG-CEN:XGigabitEthernet0/1/0"),
    ("AGG-CEN", "port", "GE0/1/0", None, None),  # a GE is not the 10GE port
    ("AGG-CEN", "port", "GigabitEthernet0/9/9", None, None),
    ("ATN-RIV", "port", "gei_0/1/0/1", None, "port:ATN-RIV:gei-0/1/0/1"),
    ("ATN-RIV", "port", "GEI-0/2/0/3", None, "port:ATN-RIV:gei-0/2/0/3"),
    ("SDH-CEN", "port", "11-sl16-1", None, "port:SDH-CEN:11-SL16-1"),
    ("SDH-CEN", "port", "x", 1301, "port:SDH-CEN:13-SL4-1"),
    # optics: the port the transceiver is on
    ("AGG-CEN", "optical", "GigabitEthernet0/3/1", None, "port:AGG-CEN:GigabitEthernet0/3/1"),
    ("AGG-CEN", "optical", "GigabitEthernet0/3/1-Rx Power", None, "port:AGG-CEN:GigabitEthernet0/3/1"),
    ("AGG-CEN", "optical", "entity.17240321", 5, "port:AGG-CEN:XGigabitEthernet0/1/0"),
    # SDH paths: the port they are on
    ("SDH-CEN", "path", "11-SL16-1:VC4-1", None, "port:SDH-CEN:11-SL16-1"),
    ("SDH-CEN", "path", "11-SL16-1-VC4-1-TU12-3", None, "port:SDH-CEN:11-SL16-1"),
    ("SDH-CEN", "path", "6-SLQ1-2.1", None, "port:SDH-CEN:6-SLQ1-2"),
    ("SDH-CEN", "path", "VC4-1@11-SL16-1", None, "port:SDH-CEN:11-SL16-1"),
    ("SDH-CEN", "path", "au4", 601, "port:SDH-CEN:6-SLQ1-1"),
    ("SDH-CEN", "path", "VC4-1", None, None),
    # boards: the slot from the id, and the board must exist
    ("AGG-CEN", "board", "3", None, "board:AGG-CEN:3"),
    ("AGG-CEN", "board", "LPU 3", None, "board:AGG-CEN:3"),
    ("AGG-CEN", "board", "IPU slot 9", None, "board:AGG-CEN:9"),
    ("AGG-CEN", "board", "Card slot 0/2", None, "board:AGG-CEN:2"),
    ("AGG-CEN", "board", "CR51LAXFE0 0/1", None, "board:AGG-CEN:1"),
    ("AGG-CEN", "board", "0/3/CPU0", None, "board:AGG-CEN:3"),
    ("AGG-CEN", "board", "POWER slot 11", None, None),  # no board in slot 11
    ("AGG-CEN", "board", "Fan tray", None, None),
    ("SDH-CEN", "board", "11-SL16", None, "board:SDH-CEN:11"),
    # the element itself
    ("AGG-CEN", "device", "AGG-CEN", None, "device:AGG-CEN"),
    ("CPE-BANK-DC1", "device", "whatever", None, "device:CPE-BANK-DC1"),
    # IPRAN logical resources, as the circuits name them
    ("ATN-WES", "pw", "PW-20021", None, "pw:PW-20021"),
    ("AGG-CEN", "pw", "20021", None, "pw:PW-20021"),
    ("AGG-CEN", "pw", "pw 20022", None, "pw:PW-20022"),
    ("AGG-CEN", "pw", "PW-99999", None, None),
    ("ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-01", None, "tunnel:TE-ATNWES-AGGCEN-01"),
    ("ATN-WES", "tunnel", "te-atnwes-aggcen-01", None, "tunnel:TE-ATNWES-AGGCEN-01"),
    ("ATN-LAK", "tunnel", "LOCAL-ATNLAK", None, "tunnel:LOCAL-ATNLAK"),
    ("ATN-WES", "tunnel", "TE-NOWHERE", None, None),
    ("AGG-CEN", "bfd", "10.0.0.2@GigabitEthernet0/3/0", None, "bfd:AGG-CEN:10.0.0.2@GigabitEthernet0/3/0"),
    ("AGG-CEN", "vrf", "EGOV-VPN", None, "vrf:AGG-CEN:EGOV-VPN"),
    # unknown element: nothing is mapped
    ("NE-UNKNOWN", "device", "NE-UNKNOWN", None, None),
    ("NE-UNKNOWN", "port", "GE0/0/1", 1, None),
    ("NE-UNKNOWN", "pw", "PW-20021", None, None),
]


@pytest.mark.parametrize(("device", "rtype", "rid", "if_index", "expected"), CASES)
def test_resolve_on_the_lab(
    resolver: Resolver, device: str, rtype: str, rid: str, if_index: int | None, expected: str | None
) -> None:
    resource = Resource(type=ResourceType(rtype), id=rid, if_index=if_index)
    assert resolver.resolve(device, resource) == expected
    assert resolver.resolve(device, resource) == expected  # cached, same answer


def test_every_lab_port_resolves_by_name_and_by_if_index(resolver: Resolver, lab: LoadedConfig) -> None:
    count = 0
    for dev in lab.inventory.devices:
        for port in dev.ports:
            key = f"port:{dev.id}:{port.name}"
            assert resolver.resolve(dev.id, Resource(type=ResourceType.port, id=port.name)) == key
            assert resolver.resolve(dev.id, Resource(type=ResourceType.port, id=port.name.upper())) == key
            if port.if_index is not None:
                assert resolver.resolve(dev.id, Resource(type=ResourceType.port, id="?", if_index=port.if_index)) == key
            count += 1
    assert count == 129


def test_keys_are_the_ones_the_impact_index_uses(resolver: Resolver, lab: LoadedConfig) -> None:
    """Every link port and its board resolve to keys NetworkIndex knows (correlator.diversity)."""
    index = NetworkIndex(lab.inventory, lab.policy)  # type: ignore[arg-type]
    for link in lab.inventory.links:
        for ref in (link.a, link.z):
            dev, _, name = ref.partition(":")
            key = resolver.resolve(dev, Resource(type=ResourceType.port, id=name))
            assert key is not None and index.known(key) and link.id in index.resource_links[key]
            port = lab.inventory.port(ref)
            assert port is not None
            if port.board is not None:
                board = resolver.resolve(dev, Resource(type=ResourceType.board, id=str(port.board)))
                assert board is not None and index.known(board) and link.id in index.resource_links[board]
            assert resolver.resolve(dev, Resource(type=ResourceType.device, id=dev)) in index.resource_links


def test_every_lab_pseudowire_and_tunnel_resolves(resolver: Resolver, lab: LoadedConfig) -> None:
    pws, tunnels = set(), set()
    for c in lab.inventory.circuits:
        for path in (c.working, c.protection):
            if path is None:
                continue
            if path.pseudowire:
                pws.add(path.pseudowire)
                got = resolver.resolve(c.a_end.device, Resource(type=ResourceType.pw, id=path.pseudowire))
                assert got == f"pw:{path.pseudowire}"
            if path.tunnel:
                tunnels.add(path.tunnel)
                got = resolver.resolve(c.a_end.device, Resource(type=ResourceType.tunnel, id=path.tunnel))
                assert got == f"tunnel:{path.tunnel}"
    assert len(pws) >= 10 and len(tunnels) >= 8


def test_a_short_name_matching_two_ports_matches_neither(lab: LoadedConfig) -> None:
    inv = lab.inventory
    dev = inv.devices["CPE-BANK-DC1"]
    odd = dev.model_copy(update={"ports": [*dev.ports, Port(name="GE0/0/1", kind="ge", if_index=99)]})
    devices = Table(items={**inv.devices.items, odd.id: odd})
    r = Resolver(Inventory(devices=devices, circuits=inv.circuits))
    assert r.resolve(odd.id, Resource(type=ResourceType.port, id="Gi0/0/1")) is None
    assert r.resolve(odd.id, Resource(type=ResourceType.port, id="GE0/0/1")) == "port:CPE-BANK-DC1:GE0/0/1"
    assert r.resolve(odd.id, Resource(type=ResourceType.port, id="GigabitEthernet0/0/1")) == (
        "port:CPE-BANK-DC1:GigabitEthernet0/0/1"
    )
    assert r.resolve(odd.id, Resource(type=ResourceType.port, id="Gi0/0/2")) == "port:CPE-BANK-DC1:GigabitEthernet0/0/2"


# -- the book keeps unmapped alarms ------------------------------------------------------------------


def test_book_sets_ref_and_counts_unmapped(bench: MakeBench, resolver: Resolver) -> None:
    b = bench(resolver=resolver)
    b.feed(
        raise_(0, device="AGG-CEN", resource=Resource(type=ResourceType.port, id="GE0/3/1"), alarm_type="LINK_DOWN"),
        raise_(0, device="NE-GHOST", resource=Resource(type=ResourceType.port, id="GE0/0/1"), alarm_type="LINK_DOWN"),
        raise_(0, device="AGG-CEN", resource=Resource(type=ResourceType.pw, id="PW-1"), alarm_type="PW_DOWN"),
    )
    refs = {a.device + "/" + a.alarm_type: a.ref for a in b.book.all()}
    assert refs == {
        "AGG-CEN/LINK_DOWN": "port:AGG-CEN:GigabitEthernet0/3/1",
        "NE-GHOST/LINK_DOWN": None,
        "AGG-CEN/PW_DOWN": None,
    }
    assert len(b.book.active()) == 3  # unmapped alarms are kept
    assert b.book.stats().unmapped == 2
    assert {a.device for a in b.book.unmapped()} == {"NE-GHOST", "AGG-CEN"}


def test_a_later_event_with_an_if_index_maps_an_unmapped_alarm(bench: MakeBench, resolver: Resolver) -> None:
    b = bench(resolver=resolver)
    plain = Resource(type=ResourceType.port, id="uplink")
    b.feed(raise_(0, device="AGG-CEN", resource=plain, alarm_type="LINK_DOWN"))
    assert b.book.all()[0].ref is None
    changes = b.feed(
        raise_(5, device="AGG-CEN", resource=plain.model_copy(update={"if_index": 5}), alarm_type="LINK_DOWN")
    )
    assert [c.kind.value for c in changes] == ["updated"]
    assert b.book.all()[0].ref == "port:AGG-CEN:XGigabitEthernet0/1/0"


# -- the rules file ---------------------------------------------------------------------------------


def test_shipped_rules_load() -> None:
    rules = load_name_rules()
    assert "gigabitethernet" in rules.interface_prefixes
    assert rules.board_slot_patterns


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"board_slot_patterns": [r"^(\d+)$"]}, r"has no group \(\?P<slot>"),
        ({"name_suffixes": ["(unclosed"]}, "not a valid regular expression"),
        ({"interface_prefixes": {"gigabitethernet": ["ge"], "fastethernet": ["ge"]}}, "listed under both"),
        ({"prefixes": {}}, "Extra inputs are not permitted"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(tmp_path: Path, change: dict[str, object], message: str) -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text()) | change
    path = tmp_path / "names.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationError, match=message):
        load_name_rules(path)


def test_rules_are_data(lab: LoadedConfig) -> None:
    """A new spelling is a line in the rules file, not code."""
    base = load_name_rules()
    prefixes = {k: list(v) for k, v in base.interface_prefixes.items()}
    prefixes["gigabitethernet"].append("gbe")
    custom = NameRules.model_validate(base.model_dump() | {"interface_prefixes": prefixes})
    port = Resource(type=ResourceType.port, id="GBE0/3/1")
    assert Resolver(lab.inventory).resolve("AGG-CEN", port) is None
    assert Resolver(lab.inventory, custom).resolve("AGG-CEN", port) == "port:AGG-CEN:GigabitEthernet0/3/1"
