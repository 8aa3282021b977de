"""Engine set-up, migrations, readiness and sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL, Engine, inspect, select
from sqlalchemy.exc import IntegrityError

from correlator.domain import Area, DeviceKind, DeviceRole, SiteKind
from correlator.store import schema
from correlator.store.db import (
    check_ready,
    current_revision,
    display_url,
    downgrade,
    head_revision,
    make_engine,
    normalise_url,
    session_scope,
    upgrade,
)
from correlator.store.errors import StoreNotReady
from correlator.store.schema import Base

ALL_TABLES = {t.name for t in Base.metadata.sorted_tables}
INVENTORY_TABLES = set(schema.INVENTORY_TABLES)


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


# -- engine ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://lw@db.example/linewatch", "postgresql+psycopg"),
        ("postgres://lw@db.example/linewatch", "postgresql+psycopg"),
        ("postgresql+psycopg://lw@db.example/linewatch", "postgresql+psycopg"),
        ("sqlite:///linewatch.db", "sqlite"),
    ],
)
def test_urls_are_normalised_to_psycopg(given: str, driver: str) -> None:
    assert normalise_url(given).drivername == driver
    engine = make_engine(given)  # no connection is made
    assert engine.url.drivername == driver
    engine.dispose()


def test_sqlite_connections_enforce_foreign_keys_and_wait_for_locks(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    engine.dispose()


# -- migrations -----------------------------------------------------------------------------


def test_upgrade_creates_every_table_and_is_idempotent(store_url: str, engine: Engine) -> None:
    assert current_revision(store_url) is None
    assert table_names(engine) == set()

    upgrade(store_url)
    assert current_revision(store_url) == head_revision() != "0001"
    assert table_names(engine) == ALL_TABLES | {"alembic_version"}

    upgrade(store_url)  # again: nothing to do, nothing broken
    assert current_revision(store_url) == head_revision()
    assert table_names(engine) == ALL_TABLES | {"alembic_version"}


def test_expected_tables() -> None:
    assert {
        "site",
        "duct",
        "cable",
        "cable_duct",
        "device",
        "device_managed_via",
        "board",
        "port",
        "link",
        "link_cable",
        "customer",
        "circuit",
        "circuit_path",
        "path_hop",
        "planned_work",
        "planned_work_resource",
    } == INVENTORY_TABLES


def test_migration_matches_the_models(store: Engine) -> None:
    """The hand-written migration creates exactly what schema.py declares (types, keys, indexes)."""
    with store.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_indexes_for_impact_lookups(store: Engine) -> None:
    insp = inspect(store)
    indexed = {
        table: {tuple(ix["column_names"]) for ix in insp.get_indexes(table)}
        for table in ("port", "path_hop", "link_cable", "cable_duct", "planned_work_resource")
    }
    assert ("device_id", "if_index") in indexed["port"]
    assert ("link_id",) in indexed["path_hop"]
    assert ("cable_id",) in indexed["link_cable"]
    assert ("duct_id",) in indexed["cable_duct"]
    assert ("kind", "resource_id") in indexed["planned_work_resource"]


def test_downgrade_to_base_drops_every_table(store_url: str, store: Engine) -> None:
    downgrade(store_url, "base")
    assert current_revision(store_url) is None
    assert table_names(store) <= {"alembic_version"}
    upgrade(store_url)
    assert table_names(store) == ALL_TABLES | {"alembic_version"}


def test_url_with_percent_sign_survives_alembic_config(tmp_path: Path) -> None:
    """Config.set_main_option interpolates %: the URL must be escaped on the way in."""
    folder = tmp_path / "100%store"
    folder.mkdir()
    url = URL.create("sqlite", database=str(folder / "lw%20.db"))
    upgrade(url)
    assert current_revision(url) == head_revision()
    assert (folder / "lw%20.db").exists()


# -- readiness ------------------------------------------------------------------------------


def test_check_ready_names_the_fix_until_upgraded(store_url: str, engine: Engine) -> None:
    with pytest.raises(StoreNotReady, match="run `linewatch db upgrade`"):
        check_ready(engine)
    upgrade(store_url)
    check_ready(engine)


def test_check_ready_refuses_a_store_from_a_newer_linewatch(store: Engine) -> None:
    with store.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreNotReady, match="newer version"):
        check_ready(store)


def test_messages_hide_the_password() -> None:
    shown = display_url("postgresql://lw:s3cret@db.example/linewatch")
    assert "s3cret" not in shown
    assert "db.example/linewatch" in shown


# -- constraints and sessions ---------------------------------------------------------------


def _site(site_id: str) -> schema.Site:
    return schema.Site(
        id=site_id, name=site_id, kind=SiteKind.central_office, local_network="city-a", area=Area.town, address=None
    )


def _device(site_id: str) -> schema.Device:
    return schema.Device(
        id="SDH-X",
        name="x",
        kind=DeviceKind.sdh,
        vendor="huawei",
        platform="osn",
        role=DeviceRole.access,
        site_id=site_id,
        mgmt_address="10.0.0.9",
        credentials_ref="sdh-readonly",
        cli_platform=None,
        snmp_port=161,
    )


def test_foreign_keys_are_enforced(store: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(store) as session:
        session.add(_device("NOWHERE"))
    with session_scope(store) as session:
        assert session.scalars(select(schema.Device)).all() == []


def test_session_scope_commits_or_rolls_back(store: Engine) -> None:
    with session_scope(store) as session:
        session.add(_site("CO-1"))
    with pytest.raises(RuntimeError, match="boom"), session_scope(store) as session:
        session.add(_site("CO-2"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(store) as session:
        assert session.scalars(select(schema.Site.id)).all() == ["CO-1"]


def test_enum_columns_are_plain_strings(store: Engine) -> None:
    """No native enum, no CHECK: a new vocabulary value needs no migration."""
    with store.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO site (id, name, kind, local_network, area) VALUES ('S', 'S', 'radio_tower', 'n', 'town')"
        )
        assert conn.exec_driver_sql("SELECT kind FROM site").scalar() == "radio_tower"
