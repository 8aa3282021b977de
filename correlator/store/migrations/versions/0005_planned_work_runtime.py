"""planned_work_runtime: planned-work windows managed at run time (create, update, cancel)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Written out by hand; it must create exactly the columns of ``correlator.store.schema.PlannedWork``
(tests/store compares them). Enum columns are plain VARCHAR(32) with no CHECK constraint;
constraint names follow ``correlator.store.schema.NAMING_CONVENTION``.

Adds to ``planned_work``: ``source`` (``inventory``: replaced by ``linewatch inventory import``;
``runtime``: created through the CLI or the HTTP API, never touched by an import), ``revision``
(optimistic locking of runtime updates), who and when created / updated / cancelled, and why
cancelled. Rows already there came from the inventory: they get ``source = 'inventory'``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = 32
UTC_TIME = sa.DateTime(timezone=True)

NEW_COLUMNS = (
    "source",
    "revision",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
)


def upgrade() -> None:
    with op.batch_alter_table("planned_work") as batch:
        batch.add_column(sa.Column("source", sa.String(ENUM), nullable=False, server_default="inventory"))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("created_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("created_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("updated_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("updated_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("cancelled_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("cancelled_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
    op.create_index("ix_planned_work_source", "planned_work", ["source"], unique=False)


def downgrade() -> None:
    # runtime windows exist only in the store: they go with the columns that mark them
    op.execute(
        "DELETE FROM planned_work_resource WHERE planned_work_id IN"
        " (SELECT id FROM planned_work WHERE source = 'runtime')"
    )
    op.execute("DELETE FROM planned_work WHERE source = 'runtime'")
    op.drop_index("ix_planned_work_source", table_name="planned_work")
    with op.batch_alter_table("planned_work") as batch:
        for name in reversed(NEW_COLUMNS):
            batch.drop_column(name)
