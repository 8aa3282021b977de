"""The persistent store: SQLAlchemy tables, Alembic migrations, and the inventory importer.

SQLite file by default, PostgreSQL in production (``postgresql://`` or
``postgresql+psycopg://`` URLs). Migrate with :func:`upgrade` before use; every entry point that
needs the schema calls :func:`check_ready`, which raises :class:`StoreNotReady` naming the fix.
"""

from correlator.store.db import (
    begin_exclusive,
    check_ready,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    session_scope,
    upgrade,
)
from correlator.store.errors import StoreError, StoreImportError, StoreNotReady
from correlator.store.importer import ImportReport, import_inventory
from correlator.store.sync import TableCounts

__all__ = [
    "ImportReport",
    "StoreError",
    "StoreImportError",
    "StoreNotReady",
    "TableCounts",
    "begin_exclusive",
    "check_ready",
    "current_revision",
    "downgrade",
    "head_revision",
    "import_inventory",
    "make_engine",
    "session_scope",
    "upgrade",
]
