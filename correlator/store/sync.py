"""Make one table hold exactly a given set of rows, keyed by its primary key.

:func:`diff_table` reads the stored rows and compares them with the wanted ones field by field;
:func:`write_upserts` and :func:`write_deletes` then write only what differs. A caller syncing
several tables inside one transaction writes upserts parents first and deletes children first,
so that foreign keys hold after every statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Table, and_, bindparam, select
from sqlalchemy.exc import IntegrityError

from correlator.store.errors import StoreImportError

Row = Mapping[str, Any]
Key = tuple[Any, ...]

_PK_PREFIX = "pk_"
"""Bind names of key columns in UPDATE/DELETE ... WHERE (a column's own name is reserved)."""


@dataclass(frozen=True)
class TableCounts:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


@dataclass
class TableDiff:
    """What must be written to one table; rows hold every column."""

    table: Table
    inserts: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)
    deletes: list[Key] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> TableCounts:
        return TableCounts(len(self.inserts), len(self.updates), len(self.deletes), self.unchanged)


def _key_columns(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns)


def _key(table: Table, row: Mapping[Any, Any]) -> Key:
    return tuple(row[c.name] for c in _key_columns(table))


def _by_key(table: Table, rows: Iterable[Row]) -> dict[Key, Row]:
    columns = set(table.columns.keys())
    out: dict[Key, Row] = {}
    for row in rows:
        if set(row) != columns:
            raise ValueError(
                f"row for table {table.name} must have exactly its columns;"
                f" missing {sorted(columns - set(row))}, unknown {sorted(set(row) - columns)}"
            )
        key = _key(table, row)
        if key in out:
            raise StoreImportError(
                f"the inventory has {table.name} {_show(key)} twice: keep one"
                " (`linewatch check-config` lists duplicates)"
            )
        out[key] = row
    return out


def _show(key: Key) -> str:
    return "/".join(str(part) for part in key)


def diff_table(connection: Connection, table: Table, wanted: Iterable[Row]) -> TableDiff:
    """Compare the stored rows of ``table`` with ``wanted``; nothing is written."""
    want = _by_key(table, wanted)
    stored = {_key(table, row): row for row in connection.execute(select(table)).mappings()}
    diff = TableDiff(table)
    for key, row in want.items():
        old = stored.get(key)
        if old is None:
            diff.inserts.append(row)
        elif any(old[name] != value for name, value in row.items()):
            diff.updates.append(row)
        else:
            diff.unchanged += 1
    diff.deletes = [key for key in stored if key not in want]
    return diff


def _where_key(table: Table) -> ColumnElement[bool]:
    return and_(*(c == bindparam(_PK_PREFIX + c.name) for c in _key_columns(table)))


def _key_params(table: Table, key: Key) -> dict[str, Any]:
    return {_PK_PREFIX + c.name: part for c, part in zip(_key_columns(table), key, strict=True)}


def write_upserts(connection: Connection, diff: TableDiff) -> None:
    """Insert the new rows and update the changed ones (all their non-key columns)."""
    table = diff.table
    with _integrity(table, "writing"):
        if diff.inserts:
            connection.execute(table.insert(), [dict(row) for row in diff.inserts])
        if diff.updates:
            keys = {c.name for c in _key_columns(table)}
            params = [
                {name: value for name, value in row.items() if name not in keys} | _key_params(table, _key(table, row))
                for row in diff.updates
            ]
            connection.execute(table.update().where(_where_key(table)), params)


def write_deletes(connection: Connection, diff: TableDiff) -> None:
    """Delete the rows that are no longer wanted."""
    table = diff.table
    if diff.deletes:
        with _integrity(table, "removing from"):
            params = [_key_params(table, key) for key in diff.deletes]
            connection.execute(table.delete().where(_where_key(table)), params)


@contextmanager
def _integrity(table: Table, doing: str) -> Iterator[None]:
    """Turn a constraint violation into a :class:`StoreImportError` naming the table."""
    try:
        yield
    except IntegrityError as exc:
        raise StoreImportError(
            f"{doing} table {table.name} broke a constraint: {exc.orig};"
            " the inventory refers to something it does not define"
            " (`linewatch check-config` names it); nothing was stored"
        ) from exc
