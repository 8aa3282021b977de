"""tickets: tickets, their transitions and SLA clock events

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Written out by hand; it must create exactly ``correlator/tickets/tables.py`` (tests/store compares
them). Enum columns are plain VARCHAR(32) with no CHECK constraint; constraint names follow
``correlator.store.schema.NAMING_CONVENTION``. No foreign key to the inventory or the incidents.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = 32
TICKET_ID = 128
INCIDENT_ID = 64
ID = 64
UTC_TIME = sa.DateTime(timezone=True)


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _int(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False)


def _time(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, UTC_TIME, nullable=nullable)


def _ticket_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=f"fk_{table}_ticket_id_ticket")


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), unique=False)


def upgrade() -> None:
    op.create_table(
        "ticket",
        _str("id", TICKET_ID),
        _str("incident_id", INCIDENT_ID, nullable=True),
        _str("circuit_id", ID),
        _str("customer_id", ID),
        _str("kind", ENUM),
        _str("state", ENUM),
        _int("priority"),
        _str("tier", ENUM),
        _str("maintenance_level", ENUM),
        _str("service_level", ENUM),
        sa.Column("heavy_penalty", sa.Boolean(), nullable=False),
        _text("root_key", nullable=True),
        _str("product", ID, nullable=True),
        _str("area", ENUM),
        _time("detected_at", nullable=True),
        _time("customer_reported_at", nullable=True),
        _time("known_at"),
        _time("opened_at"),
        _time("protection_lost_at", nullable=True),
        _time("dispatched_at", nullable=True),
        _time("accepted_at", nullable=True),
        _time("restored_at", nullable=True),
        _time("confirmed_at", nullable=True),
        _time("closed_at", nullable=True),
        _text("team", nullable=True),
        _int("restore_limit_minutes"),
        _time("restore_due_at"),
        _str("cause", ENUM, nullable=True),
        _str("planned_work_id", ID, nullable=True),
        _int("reopened_count"),
        _int("version"),
        _time("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ticket"),
    )
    _index("ticket", "circuit_id", "opened_at")
    _index("ticket", "state", "priority")
    _index("ticket", "incident_id")
    _index("ticket", "restore_due_at")

    op.create_table(
        "ticket_transition",
        _str("ticket_id", TICKET_ID),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _time("at"),
        _str("action", ENUM),
        _str("from_state", ENUM, nullable=True),
        _str("to_state", ENUM),
        _text("actor"),
        _text("team", nullable=True),
        _text("note", nullable=True),
        _str("cause", ENUM, nullable=True),
        _str("incident_id", INCIDENT_ID, nullable=True),
        sa.PrimaryKeyConstraint("ticket_id", "seq", name="pk_ticket_transition"),
        _ticket_fk("ticket_transition"),
    )

    op.create_table(
        "ticket_clock_event",
        _str("ticket_id", TICKET_ID),
        _str("clock", ENUM),
        _str("kind", ENUM),
        _time("due_at"),
        _time("at"),
        _time("emitted_at"),
        sa.PrimaryKeyConstraint("ticket_id", "clock", "kind", "due_at", name="pk_ticket_clock_event"),
        _ticket_fk("ticket_clock_event"),
    )

    op.create_table(
        "ticket_suppression",
        _str("incident_id", INCIDENT_ID),
        _str("circuit_id", ID),
        _text("root_key"),
        _str("status", ENUM),
        _str("planned_work_id", ID),
        _time("window_start"),
        _time("window_end"),
        _time("fault_start"),
        _time("decided_at"),
        _str("ticket_id", TICKET_ID, nullable=True),
        sa.PrimaryKeyConstraint("incident_id", "circuit_id", name="pk_ticket_suppression"),
    )
    _index("ticket_suppression", "circuit_id")
    _index("ticket_suppression", "planned_work_id")


def downgrade() -> None:
    op.drop_table("ticket_suppression")
    op.drop_table("ticket_clock_event")
    op.drop_table("ticket_transition")
    op.drop_table("ticket")
