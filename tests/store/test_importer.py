"""Syncing the store to an inventory, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, inspect, select

from correlator.domain import MaintenanceLevel, NetworkGrade, PathRole, ResourceKind
from correlator.inventory.inventory import Inventory
from correlator.inventory.model import Link, Port
from correlator.policy import SlaPolicy
from correlator.store import importer, schema
from correlator.store.db import session_scope
from correlator.store.errors import StoreImportError, StoreNotReady
from correlator.store.importer import ImportReport, import_inventory
from correlator.store.sync import TableCounts, TableDiff, diff_table

Dump = dict[str, list[tuple[Any, ...]]]
Modify = Callable[..., None]


def added_only(counts: dict[str, int]) -> dict[str, TableCounts]:
    return {name: TableCounts(added=n) for name, n in counts.items()}


def unchanged_only(counts: dict[str, int]) -> dict[str, TableCounts]:
    return {name: TableCounts(unchanged=n) for name, n in counts.items()}


@pytest.fixture
def writes(store: Engine) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE sent to the store while the test runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    event.listen(store, "before_cursor_execute", record)
    yield seen
    event.remove(store, "before_cursor_execute", record)


def edit_sample(inv: Inventory, modify: Modify) -> None:
    """A realistic re-import: rename, re-route, re-level, add a port, drop a customer, move work."""
    modify(inv.sites, inv.sites["CO-WEST"], name="West CO (renamed)")
    modify(inv.cables, inv.cables["CB-1"], ducts=["D-03"])  # seq 0 changes, seq 1 goes
    modify(inv.circuits, inv.circuits["C-001"], maintenance_level=MaintenanceLevel.AA)
    e1 = inv.devices["SDH-E1"]
    modify(inv.devices, e1, ports=[*e1.ports, Port(name="3-PQ1-2", board=3, kind="e1", if_index=4)])
    del inv.circuits.items["C-002"]
    del inv.customers.items["CU-SHOP"]
    work = inv.planned_work["PW-01"]
    modify(inv.planned_work, work, end=work.end + timedelta(hours=1))


EDIT_CHANGES = {
    "site": TableCounts(updated=1, unchanged=3),
    "cable_duct": TableCounts(updated=1, removed=1, unchanged=1),
    "port": TableCounts(added=1, unchanged=8),
    "customer": TableCounts(removed=1, unchanged=1),
    "circuit": TableCounts(updated=1, removed=1),
    "circuit_path": TableCounts(removed=1, unchanged=2),
    "path_hop": TableCounts(removed=1, unchanged=4),
    "planned_work": TableCounts(updated=1),
}


# -- adding, no-op, editing, removing -------------------------------------------------------


def test_first_import_adds_everything(
    store: Engine,
    inventory: Inventory,
    policy: SlaPolicy,
    sample_counts: dict[str, int],
    dump: Callable[[Engine], Dump],
) -> None:
    report = import_inventory(store, inventory, policy)
    assert report.tables == added_only(sample_counts)
    assert report.changed
    assert report.total() == TableCounts(added=sum(sample_counts.values()))
    assert {name: len(rows) for name, rows in dump(store).items()} == sample_counts


def test_report_lists_tables_parents_first(store: Engine, inventory: Inventory, policy: SlaPolicy) -> None:
    names = list(import_inventory(store, inventory, policy).tables)
    assert names.index("site") < names.index("device") < names.index("port") < names.index("link")
    assert names.index("circuit") < names.index("circuit_path") < names.index("path_hop")
    assert import_inventory(store, inventory, policy).as_dict()["site"] == {
        "added": 0,
        "updated": 0,
        "removed": 0,
        "unchanged": 4,
    }


def test_second_import_writes_nothing(
    store: Engine,
    inventory: Inventory,
    policy: SlaPolicy,
    sample_counts: dict[str, int],
    writes: list[str],
    dump: Callable[[Engine], Dump],
) -> None:
    import_inventory(store, inventory, policy)
    before = dump(store)
    writes.clear()

    report = import_inventory(store, inventory, policy)

    assert report.tables == unchanged_only(sample_counts)
    assert not report.changed
    assert writes == []
    assert dump(store) == before


def test_edited_inventory_updates_exactly_the_changed_rows(
    store: Engine,
    inventory: Inventory,
    policy: SlaPolicy,
    sample_counts: dict[str, int],
    modify: Modify,
    writes: list[str],
) -> None:
    import_inventory(store, inventory, policy)
    edit_sample(inventory, modify)
    writes.clear()

    report = import_inventory(store, inventory, policy)

    expected = unchanged_only(sample_counts) | EDIT_CHANGES
    assert report.tables == expected
    assert len(writes) == sum(1 for c in EDIT_CHANGES.values() for n in (c.added, c.updated, c.removed) if n)
    with session_scope(store) as s:
        assert s.get(schema.Site, "CO-WEST").name == "West CO (renamed)"  # type: ignore[union-attr]
        assert s.execute(
            select(schema.CableDuct.seq, schema.CableDuct.duct_id).where(schema.CableDuct.cable_id == "CB-1")
        ).all() == [(0, "D-03")]
        circuit = s.get(schema.Circuit, "C-001")
        assert circuit is not None
        assert (circuit.maintenance_level, circuit.network_grade) == (MaintenanceLevel.AA, NetworkGrade.B)
        assert s.get(schema.Circuit, "C-002") is None
        assert s.get(schema.Customer, "CU-SHOP") is None
        assert s.get(schema.Port, ("SDH-E1", "3-PQ1-2")) is not None
    assert not import_inventory(store, inventory, policy).changed


def test_empty_inventory_removes_everything_children_first(
    store: Engine,
    inventory: Inventory,
    policy: SlaPolicy,
    sample_counts: dict[str, int],
    dump: Callable[[Engine], Dump],
) -> None:
    import_inventory(store, inventory, policy)
    report = import_inventory(store, Inventory(), policy)
    assert report.tables == {name: TableCounts(removed=n) for name, n in sample_counts.items()}
    assert all(rows == [] for rows in dump(store).values())


def test_replacing_a_whole_device_and_its_links(
    store: Engine, inventory: Inventory, policy: SlaPolicy, modify: Modify
) -> None:
    """Re-homing a link onto a new port: the new port is written before the link, the old after."""
    import_inventory(store, inventory, policy)
    w1 = inventory.devices["SDH-W1"]
    ports = [p for p in w1.ports if p.name != "11-SL16-1"] + [Port(name="13-SL16-1", board=11, kind="stm16")]
    modify(inventory.devices, w1, ports=ports)
    modify(inventory.links, inventory.links["L-01"], z="SDH-W1:13-SL16-1")

    report = import_inventory(store, inventory, policy)

    assert report.tables["port"] == TableCounts(added=1, removed=1, unchanged=7)
    assert report.tables["link"] == TableCounts(updated=1, unchanged=2)
    with session_scope(store) as s:
        link = s.get(schema.Link, "L-01")
        assert link is not None and (link.z_device_id, link.z_port) == ("SDH-W1", "13-SL16-1")


# -- derived values -------------------------------------------------------------------------


def test_network_grade_comes_from_the_policy(
    store: Engine,
    inventory: Inventory,
    policy: SlaPolicy,
    policy_for: Callable[[dict[str, str]], SlaPolicy],
) -> None:
    import_inventory(store, inventory, policy_for({"AAA": "C"}))
    with session_scope(store) as s:
        assert s.scalar(select(schema.Circuit.network_grade).where(schema.Circuit.id == "C-001")) == NetworkGrade.C

    report = import_inventory(store, inventory, policy)  # the operator edits the policy back

    assert report.tables["circuit"] == TableCounts(updated=1, unchanged=1)
    with session_scope(store) as s:
        grades = {cid: g for cid, g in s.execute(select(schema.Circuit.id, schema.Circuit.network_grade))}
    assert grades == {"C-001": NetworkGrade.A, "C-002": NetworkGrade.N}


def test_circuit_columns(store: Engine, inventory: Inventory, policy: SlaPolicy) -> None:
    import_inventory(store, inventory, policy)
    with session_scope(store) as s:
        c = s.get(schema.Circuit, "C-001")
        assert c is not None
        assert (c.bandwidth, c.bandwidth_kbps) == ("2M", 2000)
        assert (c.a_device_id, c.a_port, c.z_device_id, c.z_port) == ("SDH-E1", "3-PQ1-1", "CPE-BANK", "GE0/0/0")
        assert (c.central_room_site_id, c.central_room_access_devices) == ("CP-BANK", ["SDH-W1"])
        assert c.disaster_recovery and c.central_node
        hops = s.execute(
            select(schema.PathHop.role, schema.PathHop.seq, schema.PathHop.link_id)
            .where(schema.PathHop.circuit_id == "C-001")
            .order_by(schema.PathHop.role, schema.PathHop.seq)
        ).all()
        assert [tuple(h) for h in hops] == [
            (PathRole.protection, 0, "L-02"),
            (PathRole.protection, 1, "L-03"),
            (PathRole.working, 0, "L-01"),
            (PathRole.working, 1, "L-03"),
        ]
        plain = s.get(schema.Circuit, "C-002")
        assert plain is not None
        assert (plain.a_port, plain.central_room_site_id, plain.central_room_access_devices) == (None, None, None)
        resources = s.execute(
            select(schema.PlannedWorkResource.kind, schema.PlannedWorkResource.resource_id).order_by(
                schema.PlannedWorkResource.seq
            )
        ).all()
        assert [tuple(r) for r in resources] == [(ResourceKind.duct, "D-01"), (ResourceKind.port, "SDH-E1:11-SL16-1")]
        via = s.execute(select(schema.DeviceManagedVia.device_id, schema.DeviceManagedVia.via_device_id)).all()
        assert [tuple(v) for v in via] == [("CPE-BANK", "SDH-W1")]


def test_datetimes_round_trip_timezone_aware(store: Engine, inventory: Inventory, policy: SlaPolicy) -> None:
    work = inventory.planned_work["PW-01"]
    import_inventory(store, inventory, policy)
    with session_scope(store) as s:
        row = s.get(schema.PlannedWork, "PW-01")
        assert row is not None
        for stored, given in (
            (row.start_at, work.start),
            (row.end_at, work.end),
            (row.announced_at, work.announced_at),
        ):
            assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
            assert stored == given
        assert row.start_at == datetime(2026, 2, 28, 18, 0, tzinfo=UTC)  # 02:00 +08:00
        assert row.steps == list(work.steps)


def test_naive_datetimes_are_refused(store: Engine) -> None:
    naive = datetime(2026, 3, 1, 2, 0)
    work = schema.PlannedWork(
        id="PW-X",
        title="x",
        kind="other",
        start_at=naive,
        end_at=naive,
        announced_at=naive,
        approved=False,
        steps=[],
    )
    with pytest.raises(Exception, match="naive datetime"), session_scope(store) as s:
        s.add(work)


def test_secrets_are_never_stored(store: Engine, inventory: Inventory, policy: SlaPolicy) -> None:
    import_inventory(store, inventory, policy)
    with session_scope(store) as s:
        refs = {d: ref for d, ref in s.execute(select(schema.Device.id, schema.Device.credentials_ref))}
    assert refs == {"SDH-E1": "sdh-readonly", "SDH-W1": "sdh-readonly", "CPE-BANK": "cpe-default"}
    insp = inspect(store)
    for table in insp.get_table_names():
        for column in insp.get_columns(table):
            name = column["name"].lower()
            assert not any(word in name for word in ("password", "secret", "community", "auth_key", "priv_key")), (
                f"{table}.{column['name']} looks like a secret"
            )


# -- failures leave the store as it was -----------------------------------------------------


@pytest.mark.parametrize(
    ("step", "table"),
    [("write_upserts", "circuit"), ("write_deletes", "customer")],
)
def test_failing_import_leaves_the_store_unchanged(
    store: Engine,
    inventory: Inventory,
    policy: SlaPolicy,
    modify: Modify,
    dump: Callable[[Engine], Dump],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    table: str,
) -> None:
    import_inventory(store, inventory, policy)
    before = dump(store)
    edit_sample(inventory, modify)
    real = getattr(importer, step)
    written: list[str] = []

    def failing(connection: Any, diff: TableDiff) -> None:
        if diff.table.name == table:
            raise RuntimeError(f"disk on fire while writing {table}")
        real(connection, diff)
        if diff.counts().changed:
            written.append(diff.table.name)

    monkeypatch.setattr(importer, step, failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_inventory(store, inventory, policy)

    assert written, "the failure must come after some rows were written"
    assert dump(store) == before
    monkeypatch.undo()
    assert import_inventory(store, inventory, policy).tables == (
        {name: TableCounts(unchanged=len(rows)) for name, rows in before.items()} | EDIT_CHANGES
    )


def test_constraint_violation_names_the_table_and_changes_nothing(
    store: Engine, inventory: Inventory, policy: SlaPolicy, modify: Modify, dump: Callable[[Engine], Dump]
) -> None:
    import_inventory(store, inventory, policy)
    before = dump(store)
    modify(inventory.sites, inventory.sites["CO-EAST"], name="written first, then rolled back")
    inventory.links.items["L-99"] = Link(id="L-99", a="SDH-E1:11-SL16-1", z="SDH-W1:NO-SUCH-PORT")

    with pytest.raises(StoreImportError, match="table link") as info:
        import_inventory(store, inventory, policy)

    assert "nothing was stored" in str(info.value)
    assert dump(store) == before


def test_removing_a_parent_still_in_use_fails_cleanly(
    store: Engine, inventory: Inventory, policy: SlaPolicy, dump: Callable[[Engine], Dump]
) -> None:
    import_inventory(store, inventory, policy)
    before = dump(store)
    del inventory.customers.items["CU-SHOP"]  # C-002 still names it

    with pytest.raises(StoreImportError, match="customer"):
        import_inventory(store, inventory, policy)

    assert dump(store) == before


def test_duplicate_keys_are_reported(store: Engine, inventory: Inventory, policy: SlaPolicy, modify: Modify) -> None:
    e1 = inventory.devices["SDH-E1"]
    modify(inventory.devices, e1, ports=[*e1.ports, e1.ports[0]])
    with pytest.raises(StoreImportError, match=r"port SDH-E1/11-SL16-1 twice"):
        import_inventory(store, inventory, policy)


def test_import_into_an_unmigrated_store_names_the_fix(engine: Engine, inventory: Inventory, policy: SlaPolicy) -> None:
    with pytest.raises(StoreNotReady, match="linewatch db upgrade"):
        import_inventory(engine, inventory, policy)


def test_report_of_an_empty_import(store: Engine, policy: SlaPolicy) -> None:
    report = import_inventory(store, Inventory(), policy)
    assert isinstance(report, ImportReport)
    assert not report.changed
    assert report.total() == TableCounts()


def test_concurrent_imports_run_one_after_the_other(
    store: Engine,
    inventory: Inventory,
    policy: SlaPolicy,
    sample_counts: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both plan against the store as the other left it: one adds everything, the other nothing."""
    real = diff_table

    def slow(connection: Any, table: Any, wanted: Any) -> TableDiff:
        time.sleep(0.05)  # widen the read-compare-write window so the two would overlap
        return real(connection, table, wanted)

    monkeypatch.setattr(importer, "diff_table", slow)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(import_inventory, store, inventory, policy) for _ in range(2)]
        reports = sorted((f.result() for f in futures), key=lambda r: r.total().added)

    assert [r.tables for r in reports] == [unchanged_only(sample_counts), added_only(sample_counts)]
