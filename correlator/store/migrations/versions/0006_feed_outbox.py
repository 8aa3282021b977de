"""feed_outbox: the durable outbox of the outbound feeds (webhook, Alertmanager)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Written out by hand; it must create exactly the tables of ``correlator/feeds/tables.py`` (tests/store
compares them). Enum columns are plain VARCHAR(32) with no CHECK constraint; constraint names follow
``correlator.store.schema.NAMING_CONVENTION``. ``feed_event.id`` is never reused (SQLite
AUTOINCREMENT; a PostgreSQL serial), so a receiver can de-duplicate by it even after a purge.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = 32
DESTINATION = 64
KIND = 64
SUBJECT = 128
ALERT_KEY = 255
UTC_TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _str(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, UTC_TIME, nullable=nullable)


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), unique=False)


def upgrade() -> None:
    op.create_table(
        "feed_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _str("kind", KIND),
        _str("subject", SUBJECT),
        _time("at"),
        _time("created_at"),
        _str("source", DESTINATION),
        sa.Column("payload", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feed_event"),
        sqlite_autoincrement=True,
    )
    _index("feed_event", "created_at")

    op.create_table(
        "feed_delivery",
        _str("destination", DESTINATION),
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        _str("state", ENUM),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("next_attempt_at"),
        _time("delivered_at", nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("destination", "event_id", name="pk_feed_delivery"),
        sa.ForeignKeyConstraint(["event_id"], ["feed_event.id"], name="fk_feed_delivery_event_id_feed_event"),
    )
    _index("feed_delivery", "destination", "state", "event_id")
    _index("feed_delivery", "event_id")

    op.create_table(
        "feed_alert",
        _str("destination", DESTINATION),
        _str("alert_key", ALERT_KEY),
        _str("incident_id", SUBJECT),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("annotations", JSON, nullable=False),
        sa.Column("generator_url", sa.Text(), nullable=True),
        _time("starts_at"),
        _time("ends_at", nullable=True),
        _time("updated_at"),
        _time("pushed_at", nullable=True),
        sa.PrimaryKeyConstraint("destination", "alert_key", name="pk_feed_alert"),
    )
    _index("feed_alert", "incident_id")


def downgrade() -> None:
    op.drop_table("feed_alert")
    op.drop_table("feed_delivery")
    op.drop_table("feed_event")
