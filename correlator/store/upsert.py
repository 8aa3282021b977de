"""Dialect-aware INSERT ... ON CONFLICT for the store's SQLite and PostgreSQL backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

BATCH = 1000
"""Rows per executemany."""


def dialect_insert(connection: Connection, table: Table) -> Any:
    """An ``INSERT`` of the connection's dialect, which has ``on_conflict_do_update/nothing``."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {connection.dialect.name}")


def upsert(
    connection: Connection, table: Table, keys: list[str], rows: Sequence[dict[str, Any]], batch: int = BATCH
) -> None:
    """Insert ``rows``; a row whose ``keys`` exist already replaces every other column."""
    if not rows:
        return
    stmt = dialect_insert(connection, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    )
    for i in range(0, len(rows), batch):
        connection.execute(stmt, rows[i : i + batch])
