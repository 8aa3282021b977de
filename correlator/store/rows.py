"""The inventory as table rows: one small mapping function per entity kind.

Each function turns one pydantic entity into the rows it owns, as ``(table class, row)`` pairs:
a cable owns its ``cable_duct`` rows, a device its boards, ports and management gateways, a
circuit its paths and their hops. Rows are plain dicts holding every column of their table, in
the Python types the columns read back (enums, aware UTC datetimes, lists for JSON), so that the
sync can compare them with stored rows field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC
from typing import Any, TypeVar

from correlator.domain import PathRole, PlannedWorkSource, ResourceKind
from correlator.inventory.inventory import Inventory
from correlator.inventory.model import (
    Cable,
    Circuit,
    Customer,
    Device,
    Duct,
    Entity,
    Link,
    Path,
    PlannedWork,
    Site,
    bandwidth_kbps,
)
from correlator.policy import SlaPolicy
from correlator.store import schema
from correlator.store.schema import Base

Row = dict[str, Any]
TableRows = Iterator[tuple[type[Base], Row]]
E = TypeVar("E", bound=Entity)


def split_ref(ref: str) -> tuple[str, str]:
    """``DEVICE:PORT`` -> (device, port); ``KIND:ID`` -> (kind, id)."""
    head, _, tail = ref.partition(":")
    return head, tail


# -- one function per entity kind -----------------------------------------------------------


def site_rows(site: Site) -> TableRows:
    yield (
        schema.Site,
        {
            "id": site.id,
            "name": site.name,
            "kind": site.kind,
            "local_network": site.local_network,
            "area": site.area,
            "address": site.address,
        },
    )


def duct_rows(duct: Duct) -> TableRows:
    yield (
        schema.Duct,
        {
            "id": duct.id,
            "a_site_id": duct.a_site,
            "z_site_id": duct.z_site,
            "length_m": duct.length_m,
        },
    )


def cable_rows(cable: Cable) -> TableRows:
    yield (
        schema.Cable,
        {
            "id": cable.id,
            "a_site_id": cable.a_site,
            "z_site_id": cable.z_site,
            "fibre_count": cable.fibre_count,
        },
    )
    for seq, duct in enumerate(cable.ducts):
        yield schema.CableDuct, {"cable_id": cable.id, "seq": seq, "duct_id": duct}


def device_rows(device: Device) -> TableRows:
    yield (
        schema.Device,
        {
            "id": device.id,
            "name": device.name,
            "kind": device.kind,
            "vendor": device.vendor,
            "platform": device.platform,
            "role": device.role,
            "site_id": device.site,
            "mgmt_address": str(device.mgmt_address),
            "credentials_ref": device.credentials,
            "cli_platform": device.cli_platform,
            "snmp_port": device.snmp.port,
        },
    )
    for seq, via in enumerate(device.managed_via):
        yield schema.DeviceManagedVia, {"device_id": device.id, "seq": seq, "via_device_id": via}
    for board in device.boards:
        yield (
            schema.Board,
            {
                "device_id": device.id,
                "slot": board.slot,
                "type": board.type,
                "protected_by": board.protected_by,
            },
        )
    for port in device.ports:
        yield (
            schema.Port,
            {
                "device_id": device.id,
                "name": port.name,
                "board_slot": port.board,
                "kind": port.kind,
                "if_index": port.if_index,
            },
        )


def link_rows(link: Link) -> TableRows:
    a_device, a_port = split_ref(link.a)
    z_device, z_port = split_ref(link.z)
    yield (
        schema.Link,
        {
            "id": link.id,
            "a_device_id": a_device,
            "a_port": a_port,
            "z_device_id": z_device,
            "z_port": z_port,
            "layer": link.layer,
        },
    )
    for seq, cable in enumerate(link.cables):
        yield schema.LinkCable, {"link_id": link.id, "seq": seq, "cable_id": cable}


def customer_rows(customer: Customer) -> TableRows:
    yield (
        schema.Customer,
        {
            "id": customer.id,
            "name": customer.name,
            "tier": customer.tier,
            "industry": customer.industry,
            "important_class": customer.important_class,
            "account_manager": customer.account_manager,
        },
    )


def circuit_rows(circuit: Circuit, policy: SlaPolicy) -> TableRows:
    room = circuit.central_room
    yield (
        schema.Circuit,
        {
            "id": circuit.id,
            "customer_id": circuit.customer,
            "product": circuit.product,
            "bandwidth": circuit.bandwidth,
            "bandwidth_kbps": bandwidth_kbps(circuit.bandwidth),
            "maintenance_level": circuit.maintenance_level,
            "network_grade": policy.network_grade(circuit.maintenance_level),
            "service_level": circuit.service_level,
            "a_device_id": circuit.a_end.device,
            "a_port": circuit.a_end.port,
            "z_device_id": circuit.z_end.device,
            "z_port": circuit.z_end.port,
            "scope": circuit.scope,
            "disaster_recovery": circuit.disaster_recovery,
            "central_node": circuit.central_node,
            "direction": circuit.direction,
            "central_room_site_id": room.site if room else None,
            "central_room_access_devices": list(room.access_devices) if room else None,
        },
    )
    yield from path_rows(circuit.id, PathRole.working, circuit.working)
    if circuit.protection is not None:
        yield from path_rows(circuit.id, PathRole.protection, circuit.protection)


def path_rows(circuit_id: str, role: PathRole, path: Path) -> TableRows:
    yield (
        schema.CircuitPath,
        {
            "circuit_id": circuit_id,
            "role": role,
            "trail": path.trail,
            "pseudowire": path.pseudowire,
            "tunnel": path.tunnel,
        },
    )
    for seq, link in enumerate(path.hops):
        yield schema.PathHop, {"circuit_id": circuit_id, "role": role, "seq": seq, "link_id": link}


def planned_work_rows(work: PlannedWork) -> TableRows:
    yield (
        schema.PlannedWork,
        {
            "id": work.id,
            "title": work.title,
            "kind": work.kind,
            "start_at": work.start.astimezone(UTC),
            "end_at": work.end.astimezone(UTC),
            "announced_at": work.announced_at.astimezone(UTC),
            "approved": work.approved,
            "approved_by": work.approved_by,
            "route": work.route,
            "steps": list(work.steps),
            "rollback": work.rollback,
            "source": PlannedWorkSource.inventory,
            "revision": 1,
            "created_at": None,
            "created_by": None,
            "updated_at": None,
            "updated_by": None,
            "cancelled_at": None,
            "cancelled_by": None,
            "cancel_reason": None,
        },
    )
    for seq, ref in enumerate(work.resources):
        kind, resource_id = split_ref(ref)
        yield (
            schema.PlannedWorkResource,
            {
                "planned_work_id": work.id,
                "seq": seq,
                "kind": ResourceKind(kind),
                "resource_id": resource_id,
            },
        )


# -- the whole inventory --------------------------------------------------------------------


def inventory_rows(inventory: Inventory, policy: SlaPolicy) -> dict[type[Base], list[Row]]:
    """Every inventory table (empty ones too, so their rows get removed) with its rows."""
    out: dict[type[Base], list[Row]] = {
        m.class_: [] for m in Base.registry.mappers if str(m.class_.__tablename__) in schema.INVENTORY_TABLES
    }
    _collect(out, inventory.sites, site_rows)
    _collect(out, inventory.ducts, duct_rows)
    _collect(out, inventory.cables, cable_rows)
    _collect(out, inventory.devices, device_rows)
    _collect(out, inventory.links, link_rows)
    _collect(out, inventory.customers, customer_rows)
    _collect(out, inventory.circuits, lambda circuit: circuit_rows(circuit, policy))
    _collect(out, inventory.planned_work, planned_work_rows)
    return out


def _collect(out: dict[type[Base], list[Row]], entities: Iterable[E], to_rows: Callable[[E], TableRows]) -> None:
    for entity in entities:
        for table, row in to_rows(entity):
            out[table].append(row)
