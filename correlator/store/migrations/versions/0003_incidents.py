"""incidents: incidents, their symptoms, the circuits they hurt, and the impact history

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Written out by hand; it must create exactly ``correlator/correlation/tables.py`` (tests/store
compares them). Enum columns are plain VARCHAR(32) with no CHECK constraint; constraint names follow
``correlator.store.schema.NAMING_CONVENTION``. No foreign key to the inventory or the alarm tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = 32
INCIDENT_ID = 64
INTERVAL_ID = 96
CIRCUIT_ID = 64
UTC_TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, UTC_TIME, nullable=nullable)


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=f"fk_{table}_incident_id_incident")


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), unique=False)


def upgrade() -> None:
    op.create_table(
        "incident",
        _str("id", INCIDENT_ID),
        _str("root_kind", 32),
        _text("root_id"),
        _text("root_rule"),
        sa.Column("evidence", JSON, nullable=False),
        _str("state", ENUM),
        _time("started_at"),
        _time("opened_at"),
        _time("settle_until"),
        _time("updated_at"),
        _time("cleared_at", nullable=True),
        _time("closed_at", nullable=True),
        _str("merged_into", INCIDENT_ID, nullable=True),
        sa.Column("was_open", sa.Boolean(), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("interval_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident"),
    )
    _index("incident", "root_kind", "root_id")
    _index("incident", "state")

    op.create_table(
        "incident_symptom",
        _str("incident_id", INCIDENT_ID),
        _text("alarm_key"),
        _text("rule"),
        _text("parent"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "alarm_key", name="pk_incident_symptom"),
        _incident_fk("incident_symptom"),
    )

    op.create_table(
        "incident_circuit",
        _str("incident_id", INCIDENT_ID),
        _str("circuit_id", CIRCUIT_ID),
        _str("customer_id", CIRCUIT_ID),
        _str("tier", ENUM),
        _str("maintenance_level", ENUM),
        _str("service_level", ENUM),
        _str("status", ENUM),
        _time("since"),
        _time("status_since"),
        _time("until", nullable=True),
        sa.Column("paths_down", JSON, nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "circuit_id", name="pk_incident_circuit"),
        _incident_fk("incident_circuit"),
    )
    _index("incident_circuit", "circuit_id")

    op.create_table(
        "impact_history",
        _str("id", INTERVAL_ID),
        _str("circuit_id", CIRCUIT_ID),
        _str("status", ENUM),
        _time("from_at"),
        _time("to_at", nullable=True),
        _str("incident_id", INCIDENT_ID),
        sa.PrimaryKeyConstraint("id", name="pk_impact_history"),
        _incident_fk("impact_history"),
    )
    _index("impact_history", "circuit_id", "from_at")
    _index("impact_history", "incident_id")


def downgrade() -> None:
    op.drop_table("impact_history")
    op.drop_table("incident_circuit")
    op.drop_table("incident_symptom")
    op.drop_table("incident")
