"""inventory: sites, ducts, cables, devices, boards, ports, links, customers, circuits, planned work

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Written out by hand (drafted with autogenerate, then reviewed). Enum columns are plain
VARCHAR(32) with no CHECK constraint, so new enum values need no migration. Constraint names
follow ``correlator.store.schema.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64
ENUM = 32
UTC_TIME = sa.DateTime(timezone=True)
JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(ID), nullable=nullable)


def _enum(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(ENUM), nullable=False)


def _text(name: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _seq() -> sa.Column[int]:
    return sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False)


def _fk(table: str, cols: list[str], ref: str, ref_cols: list[str]) -> sa.ForeignKeyConstraint:
    name = f"fk_{table}_{'_'.join(cols)}_{ref}"
    return sa.ForeignKeyConstraint(cols, [f"{ref}.{c}" for c in ref_cols], name=name)


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=f"pk_{table}")


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), unique=False)


def upgrade() -> None:
    # -- physical plant ---------------------------------------------------------------------
    op.create_table(
        "site",
        _id("id"),
        _text("name", nullable=False),
        _enum("kind"),
        _text("local_network", nullable=False),
        _enum("area"),
        _text("address"),
        _pk("site", "id"),
    )
    op.create_table(
        "duct",
        _id("id"),
        _id("a_site_id"),
        _id("z_site_id"),
        sa.Column("length_m", sa.Float(), nullable=True),
        _pk("duct", "id"),
        _fk("duct", ["a_site_id"], "site", ["id"]),
        _fk("duct", ["z_site_id"], "site", ["id"]),
    )
    _index("duct", "a_site_id")
    _index("duct", "z_site_id")
    op.create_table(
        "cable",
        _id("id"),
        _id("a_site_id"),
        _id("z_site_id"),
        sa.Column("fibre_count", sa.Integer(), nullable=True),
        _pk("cable", "id"),
        _fk("cable", ["a_site_id"], "site", ["id"]),
        _fk("cable", ["z_site_id"], "site", ["id"]),
    )
    _index("cable", "a_site_id")
    _index("cable", "z_site_id")
    op.create_table(
        "cable_duct",
        _id("cable_id"),
        _seq(),
        _id("duct_id"),
        _pk("cable_duct", "cable_id", "seq"),
        _fk("cable_duct", ["cable_id"], "cable", ["id"]),
        _fk("cable_duct", ["duct_id"], "duct", ["id"]),
    )
    _index("cable_duct", "duct_id")

    # -- network elements -------------------------------------------------------------------
    op.create_table(
        "device",
        _id("id"),
        _text("name", nullable=False),
        _enum("kind"),
        _text("vendor", nullable=False),
        _text("platform", nullable=False),
        _enum("role"),
        _id("site_id"),
        sa.Column("mgmt_address", sa.String(64), nullable=False),
        _id("credentials_ref"),
        _text("cli_platform"),
        sa.Column("snmp_port", sa.Integer(), nullable=False),
        _pk("device", "id"),
        _fk("device", ["site_id"], "site", ["id"]),
    )
    _index("device", "site_id")
    op.create_table(
        "device_managed_via",
        _id("device_id"),
        _seq(),
        _id("via_device_id"),
        _pk("device_managed_via", "device_id", "seq"),
        _fk("device_managed_via", ["device_id"], "device", ["id"]),
        _fk("device_managed_via", ["via_device_id"], "device", ["id"]),
    )
    _index("device_managed_via", "via_device_id")
    op.create_table(
        "board",
        _id("device_id"),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        _text("type", nullable=False),
        sa.Column("protected_by", sa.Integer(), nullable=True),
        _pk("board", "device_id", "slot"),
        _fk("board", ["device_id"], "device", ["id"]),
    )
    op.create_table(
        "port",
        _id("device_id"),
        _id("name"),
        sa.Column("board_slot", sa.Integer(), nullable=True),
        _text("kind", nullable=False),
        sa.Column("if_index", sa.Integer(), nullable=True),
        _pk("port", "device_id", "name"),
        _fk("port", ["device_id"], "device", ["id"]),
        _fk("port", ["device_id", "board_slot"], "board", ["device_id", "slot"]),
    )
    _index("port", "device_id", "if_index")
    op.create_table(
        "link",
        _id("id"),
        _id("a_device_id"),
        _id("a_port"),
        _id("z_device_id"),
        _id("z_port"),
        _text("layer", nullable=False),
        _pk("link", "id"),
        _fk("link", ["a_device_id", "a_port"], "port", ["device_id", "name"]),
        _fk("link", ["z_device_id", "z_port"], "port", ["device_id", "name"]),
    )
    _index("link", "a_device_id", "a_port")
    _index("link", "z_device_id", "z_port")
    op.create_table(
        "link_cable",
        _id("link_id"),
        _seq(),
        _id("cable_id"),
        _pk("link_cable", "link_id", "seq"),
        _fk("link_cable", ["link_id"], "link", ["id"]),
        _fk("link_cable", ["cable_id"], "cable", ["id"]),
    )
    _index("link_cable", "cable_id")

    # -- customers and circuits -------------------------------------------------------------
    op.create_table(
        "customer",
        _id("id"),
        _text("name", nullable=False),
        _enum("tier"),
        _enum("industry"),
        _enum("important_class"),
        _text("account_manager"),
        _pk("customer", "id"),
    )
    op.create_table(
        "circuit",
        _id("id"),
        _id("customer_id"),
        _id("product"),
        sa.Column("bandwidth", sa.String(32), nullable=False),
        sa.Column("bandwidth_kbps", sa.Integer(), nullable=False),
        _enum("maintenance_level"),
        _enum("network_grade"),
        _enum("service_level"),
        _id("a_device_id"),
        _id("a_port", nullable=True),
        _id("z_device_id"),
        _id("z_port", nullable=True),
        _enum("scope"),
        sa.Column("disaster_recovery", sa.Boolean(), nullable=False),
        sa.Column("central_node", sa.Boolean(), nullable=False),
        _text("direction"),
        _id("central_room_site_id", nullable=True),
        sa.Column("central_room_access_devices", JSON_LIST, nullable=True),
        _pk("circuit", "id"),
        _fk("circuit", ["customer_id"], "customer", ["id"]),
        _fk("circuit", ["a_device_id"], "device", ["id"]),
        _fk("circuit", ["z_device_id"], "device", ["id"]),
        _fk("circuit", ["a_device_id", "a_port"], "port", ["device_id", "name"]),
        _fk("circuit", ["z_device_id", "z_port"], "port", ["device_id", "name"]),
        _fk("circuit", ["central_room_site_id"], "site", ["id"]),
    )
    _index("circuit", "customer_id")
    _index("circuit", "network_grade")
    _index("circuit", "a_device_id", "a_port")
    _index("circuit", "z_device_id", "z_port")
    _index("circuit", "central_room_site_id")
    op.create_table(
        "circuit_path",
        _id("circuit_id"),
        _enum("role"),
        _text("trail"),
        _text("pseudowire"),
        _text("tunnel"),
        _pk("circuit_path", "circuit_id", "role"),
        _fk("circuit_path", ["circuit_id"], "circuit", ["id"]),
    )
    op.create_table(
        "path_hop",
        _id("circuit_id"),
        _enum("role"),
        _seq(),
        _id("link_id"),
        _pk("path_hop", "circuit_id", "role", "seq"),
        _fk("path_hop", ["circuit_id", "role"], "circuit_path", ["circuit_id", "role"]),
        _fk("path_hop", ["link_id"], "link", ["id"]),
    )
    _index("path_hop", "link_id")

    # -- planned work -----------------------------------------------------------------------
    op.create_table(
        "planned_work",
        _id("id"),
        _text("title", nullable=False),
        _enum("kind"),
        sa.Column("start_at", UTC_TIME, nullable=False),
        sa.Column("end_at", UTC_TIME, nullable=False),
        sa.Column("announced_at", UTC_TIME, nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        _text("approved_by"),
        _text("route"),
        sa.Column("steps", JSON_LIST, nullable=False),
        _text("rollback"),
        _pk("planned_work", "id"),
    )
    _index("planned_work", "start_at", "end_at")
    op.create_table(
        "planned_work_resource",
        _id("planned_work_id"),
        _seq(),
        _enum("kind"),
        _text("resource_id", nullable=False),
        _pk("planned_work_resource", "planned_work_id", "seq"),
        _fk("planned_work_resource", ["planned_work_id"], "planned_work", ["id"]),
    )
    _index("planned_work_resource", "kind", "resource_id")


def downgrade() -> None:
    # children before parents; each table's indexes go with it
    for table in (
        "planned_work_resource",
        "planned_work",
        "path_hop",
        "circuit_path",
        "circuit",
        "customer",
        "link_cable",
        "link",
        "port",
        "board",
        "device_managed_via",
        "device",
        "cable_duct",
        "cable",
        "duct",
        "site",
    ):
        op.drop_table(table)
