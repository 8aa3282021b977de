"""alarms: the alarm book, the raw alarm event log, clears waiting for their raise

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Written out by hand; it must create exactly ``correlator/alarms/tables.py`` (tests/store compares
them). Enum columns are plain VARCHAR(32) with no CHECK constraint; constraint names follow
``correlator.store.schema.NAMING_CONVENTION``. No foreign key to the inventory: alarms on unknown
elements are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = 32
EVENT_ID = 64
UTC_TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _enum(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(ENUM), nullable=False)


def _time(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, UTC_TIME, nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), unique=False)


def upgrade() -> None:
    op.create_table(
        "alarm",
        _text("key"),
        _text("device"),
        _enum("resource_type"),
        _text("resource_id"),
        _int("if_index", nullable=True),
        _text("alarm_type"),
        _enum("severity"),
        _text("layer"),
        sa.Column("kind", sa.String(32), nullable=False),
        _enum("state"),
        _enum("condition"),
        _time("raised_at"),
        _time("cleared_at", nullable=True),
        _time("first_seen"),
        _time("last_seen"),
        _int("count"),
        _int("changes"),
        sa.Column("sources", JSON, nullable=False),
        sa.Column("last_event_id", sa.String(EVENT_ID), nullable=False),
        _text("ref", nullable=True),
        _time("flapping_since", nullable=True),
        _time("last_change_at", nullable=True),
        _text("detail"),
        sa.Column("unknown_type", sa.Boolean(), nullable=False),
        sa.Column("timeline", JSON, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_alarm"),
    )
    _index("alarm", "device")
    _index("alarm", "state")
    _index("alarm", "ref")

    op.create_table(
        "alarm_event",
        sa.Column("event_id", sa.String(EVENT_ID), nullable=False),
        _text("key"),
        _enum("action"),
        _text("device"),
        _enum("resource_type"),
        _text("resource_id"),
        _int("if_index", nullable=True),
        _text("alarm_type"),
        _enum("severity"),
        _text("layer"),
        _time("raised_at"),
        _time("cleared_at", nullable=True),
        _time("observed_at"),
        _enum("source"),
        _text("agent"),
        _text("detail"),
        _time("received_at"),
        sa.PrimaryKeyConstraint("event_id", name="pk_alarm_event"),
    )
    _index("alarm_event", "key")
    _index("alarm_event", "received_at")

    op.create_table(
        "alarm_orphan_clear",
        sa.Column("event_id", sa.String(EVENT_ID), nullable=False),
        _text("key"),
        _time("clear_at"),
        _time("arrived_at"),
        _enum("source"),
        sa.PrimaryKeyConstraint("event_id", name="pk_alarm_orphan_clear"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["alarm_event.event_id"], name="fk_alarm_orphan_clear_event_id_alarm_event"
        ),
    )
    _index("alarm_orphan_clear", "key")


def downgrade() -> None:
    op.drop_table("alarm_orphan_clear")
    op.drop_table("alarm_event")
    op.drop_table("alarm")
