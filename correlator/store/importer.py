"""Sync the store to an inventory in one transaction.

New entities are added, changed ones updated, and ones no longer in the inventory removed;
unchanged rows are not written at all, so importing the same inventory twice changes nothing.
Any failure rolls the whole import back: the store is either the old inventory or the new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Connection, Engine, Table, select

from correlator.domain import PlannedWorkSource
from correlator.inventory.inventory import Inventory
from correlator.policy import SlaPolicy
from correlator.store import schema
from correlator.store.db import begin_exclusive, check_ready
from correlator.store.errors import StoreImportError
from correlator.store.rows import inventory_rows
from correlator.store.schema import Base
from correlator.store.sync import Row, TableCounts, TableDiff, diff_table, write_deletes, write_upserts

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


def _runtime_ids(connection: Connection) -> set[str]:
    """Ids of the planned-work windows created at run time (``source = 'runtime'``)."""
    work = cast(Table, schema.PlannedWork.__table__)
    query = select(work.c.id).where(work.c.source == PlannedWorkSource.runtime.value)
    return {str(i) for i in connection.execute(query).scalars()}


def _keep_runtime_windows(diff: TableDiff, runtime: set[str]) -> None:
    """Windows created at run time belong to the planned-work service, not to the inventory files:
    the import never removes them, nor their resources."""
    if runtime and diff.table.name in ("planned_work", "planned_work_resource"):
        diff.deletes = [key for key in diff.deletes if key[0] not in runtime]  # key[0]: the window id


def _check_runtime_ids(runtime: set[str], wanted: Sequence[Row]) -> None:
    """An inventory window may not take the id of a window created at run time."""
    clash = sorted(str(row["id"]) for row in wanted if row["id"] in runtime)
    if clash:
        raise StoreImportError(
            f"planned work {', '.join(sorted(clash))} is in the inventory files and was also created at run time"
            " (`linewatch planned add` or the API): rename the window in the inventory files"
            " (a runtime window keeps its id for the record); nothing was stored"
        )


def import_inventory(engine: Engine, inventory: Inventory, policy: SlaPolicy) -> ImportReport:
    """Make the store hold exactly ``inventory``; circuits get their network grade from ``policy``.

    Planned-work windows created at run time are left as they are (:func:`_keep_runtime_windows`).

    Raises :class:`~correlator.store.errors.StoreNotReady` if the store is not migrated and
    :class:`~correlator.store.errors.StoreImportError` if the inventory breaks a constraint (for
    example a link to a port that no device has); in both cases nothing is written.
    """
    check_ready(engine)
    wanted = {str(cls.__tablename__): rows for cls, rows in inventory_rows(inventory, policy).items()}
    tables: list[Table] = [t for t in Base.metadata.sorted_tables if t.name in wanted]
    with begin_exclusive(engine, IMPORT_LOCK) as connection:
        runtime = _runtime_ids(connection)
        _check_runtime_ids(runtime, wanted.get("planned_work", []))
        diffs: list[TableDiff] = [diff_table(connection, t, wanted[t.name]) for t in tables]
        for diff in diffs:
            _keep_runtime_windows(diff, runtime)
        for diff in diffs:  # parents first: a new child's parent already exists
            write_upserts(connection, diff)
        for diff in reversed(diffs):  # children first: no row is left pointing at a removed one
            write_deletes(connection, diff)
    return ImportReport({diff.table.name: diff.counts() for diff in diffs})
