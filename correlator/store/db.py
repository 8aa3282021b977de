"""Connecting to the store and migrating it.

The store is a SQLite file by default and PostgreSQL (psycopg 3) in production. Alembic runs
in code from the migrations shipped inside this package; no ``alembic.ini`` is needed.

SQLite connections get foreign keys enforced, a busy timeout, and real transactions: pysqlite
would otherwise run reads outside any transaction and commit DDL implicitly, so the importer's
read-compare-write and each migration are made one ``BEGIN ... COMMIT`` here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session

from correlator.store.errors import StoreNotReady

__all__ = [
    "MIGRATIONS_DIR",
    "StoreNotReady",
    "alembic_config",
    "begin_exclusive",
    "check_ready",
    "current_revision",
    "display_url",
    "downgrade",
    "head_revision",
    "make_engine",
    "normalise_url",
    "session_scope",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite connection waits for another writer's lock before failing."""

UPGRADE_HINT = "run `linewatch db upgrade`"

_SQLITE_BEGIN = "linewatch_sqlite_begin"
"""Execution option: how a SQLite transaction begins (DEFERRED, or IMMEDIATE for a writer)."""


def normalise_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://``."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, *, foreign_keys: bool = True) -> Engine:
    """An engine for the store at ``url``.

    ``foreign_keys=False`` is for migrations only: SQLite cannot rebuild a table (batch
    migrations) with foreign keys enforced; the migration checks them itself when done.
    """
    parsed = normalise_url(url)
    _ensure_sqlite_parent(parsed)
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine, foreign_keys=foreign_keys)
    return engine


def _ensure_sqlite_parent(parsed: URL) -> None:
    """A new SQLite store's folder is created, as the embedded default must need no set-up."""
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_setup(engine: Engine, *, foreign_keys: bool) -> None:
    wal = bool(engine.url.database) and engine.url.database != ":memory:"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from pysqlite; "begin" below emits BEGIN
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                # readers (API, availability, reports) never block the correlator's writes, nor it them
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def display_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages."""
    return normalise_url(url).render_as_string(hide_password=True)


# -- migrations -----------------------------------------------------------------------------


def alembic_config(url: str | URL) -> Config:
    """An Alembic config for the store at ``url`` and the migrations shipped in this package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # set_main_option interpolates ConfigParser-style: a literal % must be written %%
    rendered = normalise_url(url).render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the store at ``url`` up to ``revision``; a no-op when it is already there."""
    _ensure_sqlite_parent(normalise_url(url))
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the store at ``url`` down to ``revision`` (``base`` drops every table)."""
    command.downgrade(alembic_config(url), revision)


@functools.cache
def head_revision() -> str:
    """The newest revision shipped with this linewatch."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return frozenset(rev.revision for rev in script.walk_revisions())


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(url: str | URL) -> str | None:
    """The store's schema revision, or None if it has never been migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return _revision_of(connection)
    finally:
        engine.dispose()


def check_ready(engine: Engine) -> None:
    """Raise :class:`StoreNotReady`, naming the fix, unless the schema is at the head revision."""
    with engine.connect() as connection:
        current = _revision_of(connection)
    where = display_url(engine.url)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise StoreNotReady(f"the store at {where} has no schema yet: {UPGRADE_HINT}")
    if current not in known_revisions():
        raise StoreNotReady(
            f"the store at {where} is at schema revision {current}, which this linewatch does not"
            f" know (it was migrated by a newer version): upgrade linewatch"
        )
    raise StoreNotReady(
        f"the store at {where} is at schema revision {current}, this linewatch needs {head}: {UPGRADE_HINT}"
    )


# -- transactions -----------------------------------------------------------------------------


@contextmanager
def begin_exclusive(engine: Engine, lock_key: int) -> Iterator[Connection]:
    """A transaction that first waits until no other holder of ``lock_key`` is running.

    For read-compare-write jobs such as the inventory import, which would otherwise both plan
    against the same old rows. PostgreSQL: a transaction-scoped advisory lock. SQLite: the
    database write lock, taken at ``BEGIN IMMEDIATE`` (waits up to the busy timeout).
    """
    with engine.connect() as connection:
        connection.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
            yield connection


# -- sessions -------------------------------------------------------------------------------


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """An ORM session that commits when the block ends and rolls back if it raises."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
