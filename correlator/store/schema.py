"""The store's tables for the inventory, named as the operator names things.

Natural string ids are the primary keys (``CO-EAST``, ``C-017``); boards and ports have composite
keys (device, slot) and (device, name). Ordered lists (a cable's ducts, a link's cables, a path's
hops, a device's management gateways, a planned-work window's resources) are child tables keyed
by position ``seq``. Enums are plain strings (see :func:`~correlator.store.coltypes.str_enum`).
Foreign keys have no ``ON DELETE`` action: the importer removes children before parents, and a
delete that would orphan a row fails loudly.

The shipped migrations (``correlator/store/migrations``) must create exactly these tables;
``tests/store`` compares the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from correlator.domain import (
    Area,
    CircuitScope,
    CustomerTier,
    DeviceKind,
    DeviceRole,
    ImportantClass,
    Industry,
    MaintenanceLevel,
    NetworkGrade,
    PathRole,
    PlannedWorkKind,
    PlannedWorkSource,
    ResourceKind,
    ServiceLevel,
    SiteKind,
)
from correlator.store.coltypes import UtcDateTime, str_enum

ID_LENGTH = 64
"""Inventory ids and port names are at most 64 characters (``correlator.inventory.model``)."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, identical on SQLite and PostgreSQL, for later migrations."""

JsonList = JSON().with_variant(JSONB(), "postgresql")


def Id() -> String:
    return String(ID_LENGTH)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


# -- physical plant -------------------------------------------------------------------------


class Site(Base):
    """A machine room, central office, customer premises or manhole."""

    __tablename__ = "site"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[SiteKind] = mapped_column(str_enum(SiteKind))
    local_network: Mapped[str] = mapped_column(Text)
    area: Mapped[Area] = mapped_column(str_enum(Area))
    address: Mapped[str | None] = mapped_column(Text)


class Duct(Base):
    """A duct (管道) section between two sites."""

    __tablename__ = "duct"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    a_site_id: Mapped[str] = mapped_column(Id(), ForeignKey("site.id"), index=True)
    z_site_id: Mapped[str] = mapped_column(Id(), ForeignKey("site.id"), index=True)
    length_m: Mapped[float | None] = mapped_column(Float)


class Cable(Base):
    """A fibre cable (光缆) between two sites; its ducts are in :class:`CableDuct`."""

    __tablename__ = "cable"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    a_site_id: Mapped[str] = mapped_column(Id(), ForeignKey("site.id"), index=True)
    z_site_id: Mapped[str] = mapped_column(Id(), ForeignKey("site.id"), index=True)
    fibre_count: Mapped[int | None] = mapped_column(Integer)


class CableDuct(Base):
    """The ``seq``-th duct (from 0, A to Z) a cable runs through."""

    __tablename__ = "cable_duct"

    cable_id: Mapped[str] = mapped_column(Id(), ForeignKey("cable.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    duct_id: Mapped[str] = mapped_column(Id(), ForeignKey("duct.id"), index=True)


# -- network elements -----------------------------------------------------------------------


class Device(Base):
    """A network element (网元). ``credentials_ref`` names a credential set; never a secret."""

    __tablename__ = "device"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[DeviceKind] = mapped_column(str_enum(DeviceKind))
    vendor: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    role: Mapped[DeviceRole] = mapped_column(str_enum(DeviceRole))
    site_id: Mapped[str] = mapped_column(Id(), ForeignKey("site.id"), index=True)
    mgmt_address: Mapped[str] = mapped_column(String(64))
    credentials_ref: Mapped[str] = mapped_column(Id())
    cli_platform: Mapped[str | None] = mapped_column(Text)
    snmp_port: Mapped[int] = mapped_column(Integer)


class DeviceManagedVia(Base):
    """The ``seq``-th gateway element through which a device is managed (DCN)."""

    __tablename__ = "device_managed_via"

    device_id: Mapped[str] = mapped_column(Id(), ForeignKey("device.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    via_device_id: Mapped[str] = mapped_column(Id(), ForeignKey("device.id"), index=True)


class Board(Base):
    """A board in a device slot; ``protected_by`` is the slot of its 1+1 mate board."""

    __tablename__ = "board"

    device_id: Mapped[str] = mapped_column(Id(), ForeignKey("device.id"), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(Text)
    protected_by: Mapped[int | None] = mapped_column(Integer)


class Port(Base):
    """A port of a device, on the board in ``board_slot`` when that is known."""

    __tablename__ = "port"
    __table_args__ = (
        ForeignKeyConstraint(["device_id", "board_slot"], ["board.device_id", "board.slot"]),
        Index(None, "device_id", "if_index"),
    )

    device_id: Mapped[str] = mapped_column(Id(), ForeignKey("device.id"), primary_key=True)
    name: Mapped[str] = mapped_column(Id(), primary_key=True)
    board_slot: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(Text)
    if_index: Mapped[int | None] = mapped_column(Integer)


class Link(Base):
    """Two ports joined over fibre cables (:class:`LinkCable`), A to Z."""

    __tablename__ = "link"
    __table_args__ = (
        ForeignKeyConstraint(["a_device_id", "a_port"], ["port.device_id", "port.name"]),
        ForeignKeyConstraint(["z_device_id", "z_port"], ["port.device_id", "port.name"]),
        Index(None, "a_device_id", "a_port"),
        Index(None, "z_device_id", "z_port"),
    )

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    a_device_id: Mapped[str] = mapped_column(Id())
    a_port: Mapped[str] = mapped_column(Id())
    z_device_id: Mapped[str] = mapped_column(Id())
    z_port: Mapped[str] = mapped_column(Id())
    layer: Mapped[str] = mapped_column(Text)


class LinkCable(Base):
    """The ``seq``-th fibre cable (from 0, A to Z) a link runs over."""

    __tablename__ = "link_cable"

    link_id: Mapped[str] = mapped_column(Id(), ForeignKey("link.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cable_id: Mapped[str] = mapped_column(Id(), ForeignKey("cable.id"), index=True)


# -- customers and circuits -----------------------------------------------------------------


class Customer(Base):
    """A government/enterprise customer (政企客户)."""

    __tablename__ = "customer"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    tier: Mapped[CustomerTier] = mapped_column(str_enum(CustomerTier))
    industry: Mapped[Industry] = mapped_column(str_enum(Industry))
    important_class: Mapped[ImportantClass] = mapped_column(str_enum(ImportantClass))
    account_manager: Mapped[str | None] = mapped_column(Text)


class Circuit(Base):
    """A leased line sold to one customer.

    ``network_grade`` is derived from ``maintenance_level`` by the SLA policy at import time and
    stored only so that it can be queried.
    """

    __tablename__ = "circuit"
    __table_args__ = (
        ForeignKeyConstraint(["a_device_id", "a_port"], ["port.device_id", "port.name"]),
        ForeignKeyConstraint(["z_device_id", "z_port"], ["port.device_id", "port.name"]),
        Index(None, "a_device_id", "a_port"),
        Index(None, "z_device_id", "z_port"),
    )

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    customer_id: Mapped[str] = mapped_column(Id(), ForeignKey("customer.id"), index=True)
    product: Mapped[str] = mapped_column(Id())
    bandwidth: Mapped[str] = mapped_column(String(32))
    bandwidth_kbps: Mapped[int] = mapped_column(Integer)
    maintenance_level: Mapped[MaintenanceLevel] = mapped_column(str_enum(MaintenanceLevel))
    network_grade: Mapped[NetworkGrade] = mapped_column(str_enum(NetworkGrade), index=True)
    service_level: Mapped[ServiceLevel] = mapped_column(str_enum(ServiceLevel))
    a_device_id: Mapped[str] = mapped_column(Id(), ForeignKey("device.id"))
    a_port: Mapped[str | None] = mapped_column(Id())
    z_device_id: Mapped[str] = mapped_column(Id(), ForeignKey("device.id"))
    z_port: Mapped[str | None] = mapped_column(Id())
    scope: Mapped[CircuitScope] = mapped_column(str_enum(CircuitScope))
    disaster_recovery: Mapped[bool] = mapped_column(Boolean)
    central_node: Mapped[bool] = mapped_column(Boolean)
    direction: Mapped[str | None] = mapped_column(Text)
    central_room_site_id: Mapped[str | None] = mapped_column(Id(), ForeignKey("site.id"), index=True)
    central_room_access_devices: Mapped[list[str] | None] = mapped_column(JsonList)


class CircuitPath(Base):
    """The working or protection path of a circuit; its hops are in :class:`PathHop`."""

    __tablename__ = "circuit_path"

    circuit_id: Mapped[str] = mapped_column(Id(), ForeignKey("circuit.id"), primary_key=True)
    role: Mapped[PathRole] = mapped_column(str_enum(PathRole), primary_key=True)
    trail: Mapped[str | None] = mapped_column(Text)
    pseudowire: Mapped[str | None] = mapped_column(Text)
    tunnel: Mapped[str | None] = mapped_column(Text)


class PathHop(Base):
    """The ``seq``-th link (from 0, A-end to Z-end) of a circuit path."""

    __tablename__ = "path_hop"
    __table_args__ = (ForeignKeyConstraint(["circuit_id", "role"], ["circuit_path.circuit_id", "circuit_path.role"]),)

    circuit_id: Mapped[str] = mapped_column(Id(), primary_key=True)
    role: Mapped[PathRole] = mapped_column(str_enum(PathRole), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    link_id: Mapped[str] = mapped_column(Id(), ForeignKey("link.id"), index=True)


# -- planned work ---------------------------------------------------------------------------


class PlannedWork(Base):
    """A planned-work window (割接, line repair, move, upgrade); times are aware UTC.

    ``source`` says who owns the row: ``inventory`` windows are replaced by ``linewatch inventory
    import``; ``runtime`` ones are created, updated and cancelled through
    :class:`correlator.planned.service.PlannedWorkService` (CLI, HTTP API) and never touched by an
    import (migration ``0005``). ``revision`` counts a runtime window's changes (optimistic locking).
    """

    __tablename__ = "planned_work"
    __table_args__ = (Index(None, "start_at", "end_at"),)

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[PlannedWorkKind] = mapped_column(str_enum(PlannedWorkKind))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    announced_at: Mapped[datetime]
    approved: Mapped[bool] = mapped_column(Boolean)
    approved_by: Mapped[str | None] = mapped_column(Text)
    route: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[list[str]] = mapped_column(JsonList)
    rollback: Mapped[str | None] = mapped_column(Text)
    source: Mapped[PlannedWorkSource] = mapped_column(
        str_enum(PlannedWorkSource), index=True, default=PlannedWorkSource.inventory, server_default="inventory"
    )
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class PlannedWorkResource(Base):
    """The ``seq``-th resource a planned-work window touches: ``kind`` and its id.

    No foreign key: the id's table depends on ``kind`` (a port id is ``DEVICE:PORT``, a board id
    ``DEVICE:SLOT``). Indexed by (kind, resource_id) to find the windows over a resource.
    """

    __tablename__ = "planned_work_resource"
    __table_args__ = (Index(None, "kind", "resource_id"),)

    planned_work_id: Mapped[str] = mapped_column(Id(), ForeignKey("planned_work.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[ResourceKind] = mapped_column(str_enum(ResourceKind))
    resource_id: Mapped[str] = mapped_column(Text)


INVENTORY_TABLES: tuple[str, ...] = tuple(t.name for t in Base.metadata.sorted_tables)
"""All inventory tables, parents before children."""

import correlator.alarms.tables  # noqa: E402  - the alarm tables (migration 0002) join this metadata
import correlator.correlation.tables  # noqa: E402  - the incident tables (migration 0003) join this metadata
import correlator.feeds.tables  # noqa: E402  - the feed outbox tables (migration 0006) join this metadata
import correlator.tickets.tables  # noqa: E402, F401  - the ticket tables (migration 0004) join this metadata
