"""Fixtures for the store tests: a store URL on each backend, an SLA policy and a small inventory.

``store_url`` runs each test on SQLite (a file in tmp_path) and on PostgreSQL (a fresh schema per
test in a database created for the session and dropped with it). If PostgreSQL is unreachable
the PostgreSQL cases skip, or fail when ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from correlator.domain import (
    CustomerTier,
    DeviceKind,
    DeviceRole,
    ImportantClass,
    Industry,
    MaintenanceLevel,
    PlannedWorkKind,
    ServiceLevel,
    SiteKind,
)
from correlator.inventory.inventory import Inventory, Table
from correlator.inventory.model import (
    Board,
    Cable,
    CentralRoom,
    Circuit,
    Customer,
    Device,
    Duct,
    End,
    Entity,
    Link,
    Path,
    PlannedWork,
    Port,
    Site,
    Snmp,
)
from correlator.policy import SlaPolicy

CST = timezone(timedelta(hours=8))
"""The operator's local zone in the sample planned work: stored back as UTC."""

# -- policy ---------------------------------------------------------------------------------

DEFAULT_GRADES = {"AAA": "A", "AA": "B", "A": "C", "I": "C", "II": "N", "III": "N", "ordinary": "N"}


def make_policy(grades: dict[str, str] | None = None) -> SlaPolicy:
    """An SLA policy built in code; ``grades`` overrides maintenance level -> network grade."""
    grade = DEFAULT_GRADES | (grades or {})
    levels = {
        level.value: {
            "rank": rank,
            "label": level.value,
            "guarantee": "none" if level is MaintenanceLevel.ordinary else "sla",
            "network_grade": grade[level.value],
            "restore_minutes": None if level is MaintenanceLevel.ordinary else 60 * rank,
            "availability_target_percent": 99.5,
            "protection": "optional",
        }
        for rank, level in enumerate(MaintenanceLevel, start=1)
    }
    return SlaPolicy.model_validate(
        {
            "version": 1,
            "customer_tiers": {t.value: {"rank": i, "label": t.value} for i, t in enumerate(CustomerTier, 1)},
            "service_levels": {s.value: {"rank": i, "label": s.value} for i, s in enumerate(ServiceLevel, 1)},
            "maintenance_levels": levels,
            "ticket_limits": {
                "dispatch_minutes": 15,
                "accept_minutes": 30,
                "confirm_minutes": 15,
                "warn_fraction": 0.8,
            },
            "public_service": {"restore_hours": {"town": 48, "countryside": 72}},
            "products": {},
            "timeliness": {"target_percent": 95, "excluded_causes": []},
            "diversity": {
                "required_for": {"important_classes": [], "maintenance_levels": ["AAA"], "cross_local_network": True},
                "spreading_max_circuits_per_route": 2,
            },
            "planned_work": {
                "notice_hours": 72,
                "approval_required_over_hours": 24,
                "approval_required_for_important": True,
            },
        }
    )


@pytest.fixture
def policy() -> SlaPolicy:
    return make_policy()


# -- inventory ------------------------------------------------------------------------------


def table_of(*entities: Any) -> Table[Any]:
    return Table(items={e.id: e for e in entities})


def sdh_device(dev_id: str, site: str, address: str) -> Device:
    return Device(
        id=dev_id,
        name=f"{dev_id} OSN 7500",
        kind=DeviceKind.sdh,
        vendor="huawei",
        platform="osn7500",
        role=DeviceRole.aggregation,
        site=site,
        mgmt_address=address,
        credentials="sdh-readonly",
        cli_platform="tl1",
        boards=[
            Board(slot=11, type="SL16", protected_by=12),
            Board(slot=12, type="SL16", protected_by=11),
            Board(slot=3, type="PQ1"),
        ],
        ports=[
            Port(name="11-SL16-1", board=11, kind="stm16", if_index=1),
            Port(name="12-SL16-1", board=12, kind="stm16", if_index=2),
            Port(name="3-PQ1-1", board=3, kind="e1", if_index=3),
        ],
    )


def build_inventory() -> Inventory:
    """Four sites, three ducts, two cables, three devices, three links, two customers, two
    circuits (one protected), one planned-work window."""
    sites = [
        Site(id="CO-EAST", name="East central office", kind=SiteKind.central_office, local_network="city-a"),
        Site(id="CO-WEST", name="West central office", kind=SiteKind.central_office, local_network="city-a"),
        Site(
            id="CP-BANK", name="Bank HQ", kind=SiteKind.customer_premises, local_network="city-a", address="1 Main St"
        ),
        Site(id="MH-01", name="Manhole 1", kind=SiteKind.manhole, local_network="city-a"),
    ]
    ducts = [
        Duct(id="D-01", a_site="CO-EAST", z_site="MH-01", length_m=850.5),
        Duct(id="D-02", a_site="MH-01", z_site="CO-WEST"),
        Duct(id="D-03", a_site="CO-EAST", z_site="CO-WEST", length_m=1200.0),
    ]
    cables = [
        Cable(id="CB-1", a_site="CO-EAST", z_site="CO-WEST", ducts=["D-01", "D-02"], fibre_count=48),
        Cable(id="CB-2", a_site="CO-EAST", z_site="CO-WEST", ducts=["D-03"]),
    ]
    cpe = Device(
        id="CPE-BANK",
        name="Bank HQ router",
        kind=DeviceKind.cpe,
        vendor="huawei",
        platform="ar6120",
        role=DeviceRole.customer,
        site="CP-BANK",
        mgmt_address="2001:db8::10",
        credentials="cpe-default",
        managed_via=["SDH-W1"],
        snmp=Snmp(port=1161),
        cli_platform="huawei_vrp",
        ports=[Port(name="GE0/0/0", kind="ge", if_index=1), Port(name="E1-0", kind="e1", if_index=2)],
    )
    devices = [sdh_device("SDH-E1", "CO-EAST", "10.0.0.1"), sdh_device("SDH-W1", "CO-WEST", "10.0.0.2"), cpe]
    links = [
        Link(id="L-01", a="SDH-E1:11-SL16-1", z="SDH-W1:11-SL16-1", cables=["CB-1"]),
        Link(id="L-02", a="SDH-E1:12-SL16-1", z="SDH-W1:12-SL16-1", cables=["CB-2"]),
        Link(id="L-03", a="SDH-W1:3-PQ1-1", z="CPE-BANK:E1-0", layer="electrical"),
    ]
    customers = [
        Customer(
            id="CU-BANK",
            name="Provincial Bank",
            tier=CustomerTier.provincial,
            industry=Industry.finance,
            important_class=ImportantClass.gold,
            account_manager="Li Wei",
        ),
        Customer(id="CU-SHOP", name="Corner Shop", tier=CustomerTier.local_c, industry=Industry.retail),
    ]
    circuits = [
        Circuit(
            id="C-001",
            customer="CU-BANK",
            product="sdh_private_line",
            bandwidth="2M",
            maintenance_level=MaintenanceLevel.AAA,
            service_level=ServiceLevel.vip1,
            a_end=End(device="SDH-E1", port="3-PQ1-1"),
            z_end=End(device="CPE-BANK", port="GE0/0/0"),
            working=Path(hops=["L-01", "L-03"], trail="VC12-1-1"),
            protection=Path(hops=["L-02", "L-03"], trail="VC12-1-2"),
            central_room=CentralRoom(site="CP-BANK", access_devices=["SDH-W1"]),
            disaster_recovery=True,
            central_node=True,
        ),
        Circuit(
            id="C-002",
            customer="CU-SHOP",
            product="ipran_l2vpn",
            bandwidth="10M",
            maintenance_level=MaintenanceLevel.ordinary,
            service_level=ServiceLevel.ordinary,
            a_end=End(device="SDH-E1"),
            z_end=End(device="SDH-W1"),
            working=Path(hops=["L-01"], pseudowire="PW-77"),
        ),
    ]
    planned = [
        PlannedWork(
            id="PW-01",
            title="Re-splice CB-1 in MH-01",
            kind=PlannedWorkKind.cutover,
            resources=["duct:D-01", "port:SDH-E1:11-SL16-1"],
            start=datetime(2026, 3, 1, 2, 0, tzinfo=CST),
            end=datetime(2026, 3, 1, 4, 0, tzinfo=CST),
            announced_at=datetime(2026, 2, 25, 10, 0, tzinfo=CST),
            approved=True,
            approved_by="NOC duty manager",
            steps=["switch C-001 to protection", "re-splice", "switch back"],
            rollback="restore the old splice",
        )
    ]
    return Inventory(
        sites=table_of(*sites),
        ducts=table_of(*ducts),
        cables=table_of(*cables),
        devices=table_of(*devices),
        links=table_of(*links),
        customers=table_of(*customers),
        circuits=table_of(*circuits),
        planned_work=table_of(*planned),
    )


SAMPLE_COUNTS = {
    "site": 4,
    "duct": 3,
    "cable": 2,
    "cable_duct": 3,
    "device": 3,
    "device_managed_via": 1,
    "board": 6,
    "port": 8,
    "link": 3,
    "link_cable": 2,
    "customer": 2,
    "circuit": 2,
    "circuit_path": 3,
    "path_hop": 5,
    "planned_work": 1,
    "planned_work_resource": 2,
}
"""Rows per table of :func:`build_inventory`."""


@pytest.fixture
def inventory() -> Inventory:
    return build_inventory()


def put(table: Table[Any], entity: Entity, **changes: Any) -> None:
    """Store ``entity`` with ``changes`` applied (validated again) under its id."""
    data = entity.model_dump() | changes
    new = type(entity).model_validate(data)
    table.items[data["id"]] = new


Put = Callable[..., None]


@pytest.fixture
def modify() -> Put:
    """``modify(table, entity, **changes)``: replace an inventory entity by a changed copy."""
    return put


@pytest.fixture
def sample_counts() -> dict[str, int]:
    return dict(SAMPLE_COUNTS)


@pytest.fixture
def policy_for() -> Callable[[dict[str, str]], SlaPolicy]:
    """``policy_for({"AAA": "C"})``: the policy with other network grades."""
    return make_policy
