"""Shared fixtures: project paths and a copy of the mini test network to break."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import URL, Engine, select

from correlator.store.db import make_engine, upgrade
from correlator.store.schema import INVENTORY_TABLES, Base

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"
SLA = ROOT / "config" / "sla.yaml"
LAB = ROOT / "config" / "lab" / "linewatch.yaml"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of tests/data/mini; returns the path of its linewatch.yaml."""
    dst = tmp_path / "mini"
    shutil.copytree(MINI, dst)
    cfg = dst / "linewatch.yaml"
    cfg.write_text(cfg.read_text().replace("../../../config/sla.yaml", str(SLA)))
    return cfg


Edit = Callable[[str, str, str], int]


@pytest.fixture
def edit(mini: Path) -> Edit:
    """edit(file, old, new) replaces one occurrence in the mini copy; returns new's line number."""

    def _edit(name: str, old: str, new: str) -> int:
        path = mini.parent / name
        text = path.read_text()
        assert text.count(old) >= 1, f"{old!r} not in {name}"
        pos = text.index(old)
        path.write_text(text[:pos] + new + text[pos + len(old) :])
        return text[:pos].count("\n") + 1

    return _edit


# -- store backends: every store test runs on SQLite and on PostgreSQL --------------------------

PG_HOST = os.environ.get("LINEWATCH_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("LINEWATCH_TEST_PG_PORT", "5432"))
PG_USERS = ("postgres", "root")
PG_ADMIN_DB = "test"


# -- backends -------------------------------------------------------------------------------


def need(what: str, fix: str) -> NoReturn:
    """A peer or tool a test needs is missing: fail under CI=true (it must run there), else skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what}; CI=true requires it: {fix}")
    pytest.skip(what)


def _pg_admin() -> tuple[str, psycopg.Connection[Any]]:
    errors = []
    for user in PG_USERS:
        try:
            conn = psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname=PG_ADMIN_DB, connect_timeout=3, autocommit=True
            )
        except psycopg.OperationalError as exc:
            errors.append(f"{user}: {str(exc).strip().splitlines()[0]}")
        else:
            return user, conn
    message = f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable ({'; '.join(errors)})"
    need(message, "start it (scripts/services.sh postgresql)")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[tuple[str, str]]:
    """A database of its own for this test session: (user, database name); dropped at the end."""
    user, admin = _pg_admin()
    name = f"lw_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield user, name
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pg_schema_url(pg_database: tuple[str, str]) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema of the session database."""
    user, dbname = pg_database
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=dbname, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        url = URL.create(
            "postgresql+psycopg",
            username=user,
            host=PG_HOST,
            port=PG_PORT,
            database=dbname,
            query={"options": f"-csearch_path={schema}"},
        )
        yield url.render_as_string(hide_password=False)
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return URL.create("sqlite", database=str(tmp_path / "store.db")).render_as_string()
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An engine on the empty, unmigrated store."""
    eng = make_engine(store_url)
    yield eng
    eng.dispose()


@pytest.fixture
def store(store_url: str, engine: Engine) -> Engine:
    """An engine on the store migrated to head."""
    upgrade(store_url)
    return engine


Dump = dict[str, list[tuple[Any, ...]]]


def dump_store(engine: Engine) -> Dump:
    """Every inventory table's rows, in key order."""
    out: Dump = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name not in INVENTORY_TABLES:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(row) for row in rows]
    return out


@pytest.fixture
def dump() -> Callable[[Engine], Dump]:
    return dump_store
