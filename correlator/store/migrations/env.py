"""Alembic environment for the linewatch store; run through :mod:`correlator.store.db`.

Each run is one transaction on both backends (SQLite too: :func:`~correlator.store.db.make_engine`
gives it real transactions), so a failed migration leaves the store as it was. SQLite runs with
foreign keys off, as table rebuilds need, and checks every foreign key before committing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from correlator.store.db import make_engine
from correlator.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set: migrate through correlator.store.db")
    return url


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL enforces them during the migration
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        details = ", ".join(f"{row[0]} row {row[1]} -> {row[2]}" for row in broken[:10])
        raise RuntimeError(f"migration left rows with dangling foreign keys: {details}")


def run_migrations_offline() -> None:
    """Print the SQL (``--sql``) instead of running it."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url(), foreign_keys=False)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                transactional_ddl=True,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                _check_foreign_keys(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
