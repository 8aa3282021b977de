"""Sync the store to an inventory in one transaction.

New entities are added, changed ones updated, and ones no longer in the inventory removed;
unchanged rows are not written at all, so importing the same inventory twice changes nothing.
Any failure rolls the whole import back: the store is either the old inventory or the new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, Table

from correlator.inventory.inventory import Inventory
from correlator.policy import SlaPolicy
from correlator.store.db import begin_exclusive, check_ready
from correlator.store.rows import inventory_rows
from correlator.store.schema import Base
from correlator.store.sync import TableCounts, TableDiff, diff_table, write_deletes, write_upserts

IMPORT_LOCK = 0x6C77_0001
"""Lock key that makes concurrent imports run one after the other."""


@dataclass(frozen=True)
class ImportReport:
    """Per-table counts of one import, tables parents first."""

    tables: dict[str, TableCounts] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.tables.values())

    def total(self) -> TableCounts:
        return TableCounts(
            added=sum(c.added for c in self.tables.values()),
            updated=sum(c.updated for c in self.tables.values()),
            removed=sum(c.removed for c in self.tables.values()),
            unchanged=sum(c.unchanged for c in self.tables.values()),
        )

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            name: {
                "added": c.added,
                "updated": c.updated,
                "removed": c.removed,
                "unchanged": c.unchanged,
            }
            for name, c in self.tables.items()
        }


def import_inventory(engine: Engine, inventory: Inventory, policy: SlaPolicy) -> ImportReport:
    """Make the store hold exactly ``inventory``; circuits get their network grade from ``policy``.

    Raises :class:`~correlator.store.errors.StoreNotReady` if the store is not migrated and
    :class:`~correlator.store.errors.StoreImportError` if the inventory breaks a constraint (for
    example a link to a port that no device has); in both cases nothing is written.
    """
    check_ready(engine)
    wanted = {str(cls.__tablename__): rows for cls, rows in inventory_rows(inventory, policy).items()}
    tables: list[Table] = [t for t in Base.metadata.sorted_tables if t.name in wanted]
    with begin_exclusive(engine, IMPORT_LOCK) as connection:
        diffs: list[TableDiff] = [diff_table(connection, t, wanted[t.name]) for t in tables]
        for diff in diffs:  # parents first: a new child's parent already exists
            write_upserts(connection, diff)
        for diff in reversed(diffs):  # children first: no row is left pointing at a removed one
            write_deletes(connection, diff)
    return ImportReport({diff.table.name: diff.counts() for diff in diffs})
