"""Runtime windows in the store (SQLite and PostgreSQL): create, update, cancel, and the import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect, select

from correlator.clock import ManualClock
from correlator.configfile.loader import LoadedConfig
from correlator.diversity.expand import NetworkIndex
from correlator.domain import PlannedWorkKind, PlannedWorkSource
from correlator.inventory.model import PlannedWork
from correlator.planned.service import (
    PlannedWorkService,
    WindowChanges,
    WindowConflict,
    WindowInvalid,
    WindowNotFound,
    WindowSpec,
    parse_request,
)
from correlator.store import schema
from correlator.store.db import downgrade, upgrade
from correlator.store.errors import StoreImportError
from correlator.store.importer import import_inventory
from correlator.store.sync import TableCounts
from tests.planned.conftest import CST

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
Lab = tuple[LoadedConfig, NetworkIndex]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def service(store: Engine, lab: Lab, clock: ManualClock) -> PlannedWorkService:
    cfg, index = lab
    import_inventory(store, cfg.inventory, cfg.policy)
    return PlannedWorkService(store, index, clock, CST)


def spec(**kw: object) -> WindowSpec:
    data: dict[str, object] = {
        "title": "Replace the fan tray of AGG-EAS",
        "kind": "equipment_move",
        "resources": ["device:AGG-EAS"],
        "start": datetime(2026, 12, 22, 1, 0, tzinfo=CST),
        "end": datetime(2026, 12, 22, 3, 0, tzinfo=CST),
    }
    return parse_request(WindowSpec, data | kw)


# -- create ---------------------------------------------------------------------------------------


def test_create_stores_a_runtime_window_the_calendar_sees(service: PlannedWorkService) -> None:
    w = service.create(spec(), "cli:wang")
    assert w.id == "PWR-20261222-001"  # the operator's date of the start
    assert (w.source, w.revision, w.created_by, w.announced_at) == (PlannedWorkSource.runtime, 1, "cli:wang", NOW)
    assert service.get(w.id) == w
    second = service.create(spec(), "cli:wang")
    assert second.id == "PWR-20261222-002"
    assert [x.id for x in service.windows()][:3] == ["PW-2026-12-001", "PW-2026-12-002", "PW-2026-12-003"]
    cal = service.calendar()
    ref = cal.covering("port:AGG-EAS:GigabitEthernet0/3/0", datetime(2026, 12, 22, 1, 30, tzinfo=CST))
    assert ref is not None and ref.id == w.id
    chk = service.check(w.id)
    assert [i.circuit for i in chk.impact.lose_service] == ["C-007"]


def test_create_refuses_bad_requests_naming_the_fix(service: PlannedWorkService) -> None:
    with pytest.raises(WindowInvalid, match=r"no duct 'D-999' in the inventory"):
        service.create(spec(resources=["duct:D-999"]), "x")
    with pytest.raises(WindowInvalid, match=r"kind 'pipe' is not one of"):
        service.create(spec(resources=["pipe:P-1"]), "x")
    with pytest.raises(WindowInvalid, match="must be after start"):
        service.create(spec(end=datetime(2026, 12, 22, 0, 0, tzinfo=CST)), "x")
    with pytest.raises(WindowInvalid, match="would be over already"):
        service.create(spec(start=NOW - timedelta(hours=3), end=NOW - timedelta(hours=1)), "x")
    with pytest.raises(WindowInvalid, match="approved needs approved_by"):
        service.create(spec(approved=True), "x")
    with pytest.raises(WindowInvalid, match="listed twice"):
        parse_request(WindowSpec, {"title": "t", "kind": "other", "resources": ["link:L-1", "link:L-1"]})
    with pytest.raises(WindowInvalid, match="start"):
        parse_request(WindowSpec, {"title": "t", "kind": "other", "resources": ["link:L-1"], "end": NOW})
    with pytest.raises(WindowConflict, match="already exists"):
        service.create(spec(id="PW-2026-12-001"), "x")  # an inventory window's id
    assert len(service.windows()) == 3  # nothing was written


# -- update ---------------------------------------------------------------------------------------


def test_update_changes_fields_and_a_new_plan_needs_approval_again(service: PlannedWorkService) -> None:
    w = service.create(spec(approved=True, approved_by="Wang Li"), "cli:a")
    renamed = service.update(w.id, WindowChanges(title="Fan tray, AGG-EAS slot 17"), "cli:b")
    assert (renamed.title, renamed.approved, renamed.revision, renamed.updated_by) == (
        "Fan tray, AGG-EAS slot 17",
        True,
        2,
        "cli:b",
    )
    longer = service.update(w.id, WindowChanges(end=datetime(2026, 12, 22, 4, 0, tzinfo=CST)), "cli:b")
    assert not longer.approved and longer.approved_by is None  # the approved plan is not the plan any more
    again = service.update(w.id, WindowChanges(approved=True, approved_by="Zhao Min"), "cli:c")
    assert again.approved and again.approved_by == "Zhao Min"
    moved = service.update(
        w.id, WindowChanges(resources=["board:AGG-EAS:1"], approved=True, approved_by="Zhao Min"), "cli:c"
    )
    assert moved.resources == ("board:AGG-EAS:1",) and moved.approved
    cleared = service.update(w.id, WindowChanges(route="via the east entry"), "x")
    assert service.update(w.id, WindowChanges(route=""), "x").route is None and cleared.route == "via the east entry"
    assert service.get(w.id).revision == 7


def test_update_refuses_stale_revisions_inventory_windows_and_moving_a_started_start(
    service: PlannedWorkService, clock: ManualClock
) -> None:
    w = service.create(spec(), "a")
    service.update(w.id, WindowChanges(title="changed by someone else"), "b")
    with pytest.raises(WindowConflict, match="revision 2, not 1"):
        service.update(w.id, WindowChanges(title="mine"), "a", expected_revision=1)
    with pytest.raises(WindowConflict, match="comes from the inventory files"):
        service.update("PW-2026-12-001", WindowChanges(title="x"), "a")
    with pytest.raises(WindowNotFound, match="no planned work 'PW-NOPE'"):
        service.update("PW-NOPE", WindowChanges(title="x"), "a")
    clock.set(w.start + timedelta(minutes=30))  # the work is running
    with pytest.raises(WindowConflict, match="its start cannot move"):
        service.update(w.id, WindowChanges(start=w.start + timedelta(hours=1)), "a")
    extended = service.update(w.id, WindowChanges(end=w.end + timedelta(hours=1)), "a")  # overrun: fine
    assert extended.end == w.end + timedelta(hours=1)
    clock.set(extended.end + timedelta(minutes=1))
    with pytest.raises(WindowConflict, match="it is the record now"):
        service.update(w.id, WindowChanges(title="too late"), "a")


# -- cancel ---------------------------------------------------------------------------------------


def test_cancel_before_start_covers_nothing(service: PlannedWorkService) -> None:
    w = service.create(spec(), "a")
    with pytest.raises(WindowInvalid, match="reason"):
        service.cancel(w.id, "a", "  ")
    gone = service.cancel(w.id, "cli:zhao", "vendor postponed")
    assert (gone.state, gone.cancelled_by, gone.cancel_reason, gone.cancelled_at) == (
        "cancelled",
        "cli:zhao",
        "vendor postponed",
        NOW,
    )
    assert service.calendar().covering("device:AGG-EAS", w.start + timedelta(minutes=1)) is None
    with pytest.raises(WindowConflict, match="was cancelled"):
        service.cancel(w.id, "a", "again")
    with pytest.raises(WindowConflict, match="inventory files"):
        service.cancel("PW-2026-12-002", "a", "no")


def test_cancel_while_running_ends_the_window_now(service: PlannedWorkService, clock: ManualClock) -> None:
    w = service.create(spec(), "a")
    stop = w.start + timedelta(minutes=40)
    clock.set(stop)
    cut = service.cancel(w.id, "a", "rolled back")
    assert cut.state == "cut_short"
    cal = service.calendar()
    assert cal.covering("device:AGG-EAS", stop - timedelta(minutes=1)) is not None
    assert cal.covering("device:AGG-EAS", stop + timedelta(minutes=1)) is None


# -- the inventory import leaves runtime windows alone ---------------------------------------------


def test_inventory_import_does_not_wipe_runtime_windows(store: Engine, service: PlannedWorkService, lab: Lab) -> None:
    cfg, _ = lab
    w = service.create(spec(steps=["switch C-007 away", "swap the tray"]), "a")
    report = import_inventory(store, cfg.inventory, cfg.policy)
    assert not report.changed
    assert report.tables["planned_work"] == TableCounts(unchanged=3)
    assert service.get(w.id) == w

    # the operator deletes one inventory window: only that one goes
    inv = cfg.inventory
    kept = {k: v for k, v in inv.planned_work.items.items() if k != "PW-2026-12-002"}
    smaller = type(inv)(**{name: getattr(inv, name) for name in inv.__dataclass_fields__})
    smaller.planned_work = type(inv.planned_work)(items=kept)
    report = import_inventory(store, smaller, cfg.policy)
    assert report.tables["planned_work"] == TableCounts(removed=1, unchanged=2)
    assert report.tables["planned_work_resource"].removed == 1
    assert [x.id for x in service.windows()] == ["PW-2026-12-001", "PW-2026-12-003", w.id]
    assert service.get(w.id).steps == ("switch C-007 away", "swap the tray")


def test_an_inventory_window_may_not_take_a_runtime_id(store: Engine, service: PlannedWorkService, lab: Lab) -> None:
    cfg, _ = lab
    w = service.create(spec(id="CHG-2026-1301"), "a")
    inv = cfg.inventory
    bigger = type(inv)(**{name: getattr(inv, name) for name in inv.__dataclass_fields__})
    clash = PlannedWork(
        id=w.id,
        title="same id",
        kind=PlannedWorkKind.other,
        resources=["link:L-IP-RIV-XC"],
        start=w.start,
        end=w.end,
        announced_at=NOW,
    )
    bigger.planned_work = type(inv.planned_work)(items=inv.planned_work.items | {w.id: clash})
    with pytest.raises(StoreImportError, match="CHG-2026-1301 is in the inventory files and was also created at run"):
        import_inventory(store, bigger, cfg.policy)
    assert service.get(w.id) == w


def test_migration_0005_adds_and_removes_the_runtime_columns(store_url: str, store: Engine, lab: Lab) -> None:
    cfg, index = lab
    import_inventory(store, cfg.inventory, cfg.policy)
    svc = PlannedWorkService(store, index, ManualClock(NOW))
    svc.create(spec(), "a")
    with store.connect() as conn:
        sources = dict(conn.execute(select(schema.PlannedWork.id, schema.PlannedWork.source)).all())
    assert sources["PW-2026-12-001"] == PlannedWorkSource.inventory
    downgrade(store_url, "0004")
    columns = {c["name"] for c in inspect(store).get_columns("planned_work")}
    assert "source" not in columns and "cancelled_at" not in columns
    with store.connect() as conn:
        ids = conn.exec_driver_sql("SELECT id FROM planned_work ORDER BY id").scalars().all()
        res = conn.exec_driver_sql("SELECT COUNT(*) FROM planned_work_resource").scalar()
    assert ids == ["PW-2026-12-001", "PW-2026-12-002", "PW-2026-12-003"]  # runtime ones went with their columns
    assert res == 4 + 1 + 4  # the inventory windows' resources; the runtime one's went too
    upgrade(store_url)
    with store.connect() as conn:
        assert set(conn.execute(select(schema.PlannedWork.source)).scalars()) == {PlannedWorkSource.inventory}


def test_the_store_calendar_follows_runtime_changes(store: Engine, service: PlannedWorkService, lab: Lab) -> None:
    from correlator.planned.store import StoreCalendar

    clock = ManualClock(NOW)
    live = StoreCalendar(store, lab[1], clock, refresh_seconds=30)
    at = datetime(2026, 12, 22, 1, 30, tzinfo=CST)
    assert live.covering("device:AGG-EAS", at) is None
    first = live.calendar()
    w = service.create(spec(), "a")
    assert live.covering("device:AGG-EAS", at) is None  # not read again yet
    clock.advance(31)
    ref = live.covering("device:AGG-EAS", at)
    assert ref is not None and ref.id == w.id and live.calendar() is not first
    same = live.calendar()
    clock.advance(31)
    assert live.calendar() is same  # read again, nothing changed: not rebuilt
    service.cancel(w.id, "a", "postponed")
    live.invalidate()
    assert live.covering("device:AGG-EAS", at) is None
