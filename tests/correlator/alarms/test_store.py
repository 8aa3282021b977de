"""Alarms in the store, on SQLite and on the PostgreSQL server (``store_url``): round trip,
restart-resume without duplicates, the raw event log, one transaction per save."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, func, inspect, select

from correlator.alarms import AlarmRepository, AlarmState, AlarmWrites, Resolver
from correlator.alarms.tables import AlarmEventRow, AlarmOrphanClearRow, AlarmRow
from correlator.store.db import make_engine, upgrade
from correlator.store.errors import StoreNotReady
from correlator.wire import AlarmEvent, Resource, ResourceType, Source
from tests.correlator.alarms.conftest import KEY, Bench, MakeBench, clear, kinds, lab_config, raise_, t


def count(engine: Engine, table: type[AlarmRow] | type[AlarmEventRow] | type[AlarmOrphanClearRow]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def storm() -> list[AlarmEvent]:
    """A little of everything on the lab: a standing LOS, a cleared one, a waiting clear, a
    flapping port, an unmapped element, an unknown alarm type."""
    agg_port = Resource(type=ResourceType.port, id="GE0/3/1", if_index=42)
    return [
        raise_(0, event_id="los-1", detail="R_LOS on 11-SL16-1"),
        raise_(2, event_id="los-1-trap", source=Source.trap),
        raise_(0, event_id="lof-1", alarm_type="LOF"),
        clear(0, 30, event_id="lof-1-clear", alarm_type="LOF"),
        clear(10, 40, event_id="ms-ais-orphan", alarm_type="MS_AIS", layer="line"),
        *[
            e
            for i in range(3)
            for e in (
                raise_(100 + 20 * i, device="AGG-CEN", resource=agg_port, alarm_type="LINK_DOWN", layer="ethernet"),
                clear(100 + 20 * i, 110 + 20 * i, device="AGG-CEN", resource=agg_port, alarm_type="LINK_DOWN"),
            )
        ],
        raise_(150, event_id="ghost", device="NE-GHOST", alarm_type="DEVICE_UNREACHABLE", layer="device"),
        raise_(160, event_id="odd", alarm_type="VENDOR_ODD", layer="board"),
    ]


def run(store: Engine, bench: MakeBench, events: list[AlarmEvent], clock_at: float = 200) -> Bench:
    b = bench(resolver=Resolver(lab_config().inventory))
    b.clock.set(t(clock_at))
    b.feed(*events)
    AlarmRepository(store).save(b.book.take_writes())
    return b


def resumed(store: Engine, bench: MakeBench, clock_at: float = 200) -> Bench:
    b = bench(resolver=Resolver(lab_config().inventory))
    b.clock.set(t(clock_at))
    b.book.import_state(AlarmRepository(store).load())
    return b


def test_round_trip(store: Engine, bench: MakeBench) -> None:
    before = run(store, bench, storm())
    after = resumed(store, bench)
    assert after.book.all() == before.book.all()
    assert after.book.waiting_clears() == before.book.waiting_clears()
    assert sorted(after.book.export_state().seen) == sorted(before.book.export_state().seen)
    states = {a.alarm_type: a.state for a in after.book.all()}
    assert states == {
        "LOS": AlarmState.active,
        "LOF": AlarmState.cleared,
        "LINK_DOWN": AlarmState.flapping,
        "DEVICE_UNREACHABLE": AlarmState.active,
        "VENDOR_ODD": AlarmState.active,
    }
    los = after.book.get(KEY)
    assert los is not None
    assert (los.count, los.sources, los.detail, los.ref) == (
        2,
        {Source.poll, Source.trap},
        "R_LOS on 11-SL16-1",
        "port:SDH-CEN:11-SL16-1",
    )
    assert isinstance(los.raised_at, datetime) and los.raised_at == t(0)
    assert (count(store, AlarmRow), count(store, AlarmEventRow), count(store, AlarmOrphanClearRow)) == (5, 13, 1)


def test_restart_resumes_without_duplicates(store: Engine, bench: MakeBench) -> None:
    events = storm()
    before = run(store, bench, events)
    after = resumed(store, bench)
    # the bus redelivers everything after the restart: nothing changes, nothing is stored twice
    assert after.feed(*events) == []
    assert after.book.all() == before.book.all()
    AlarmRepository(store).save(after.book.take_writes())
    assert count(store, AlarmEventRow) == len(events)
    # and the book goes on where it was
    assert kinds(after.feed(clear(0, 300, event_id="los-1-clear"))) == ["cleared"]
    assert kinds(after.feed(raise_(10, event_id="ms-ais-raise", alarm_type="MS_AIS", layer="line"))) == [
        "raised",
        "cleared",
    ]
    after.clock.set(t(160 + 600))
    assert kinds(after.book.tick()) == ["flapping_ended"]
    AlarmRepository(store).save(after.book.take_writes())
    assert count(store, AlarmOrphanClearRow) == 0  # the waiting clear was paired
    again = resumed(store, bench, clock_at=760)
    assert again.book.all() == after.book.all()
    assert {a.alarm_type for a in again.book.active()} == {"DEVICE_UNREACHABLE", "VENDOR_ODD"}


def test_saving_the_same_events_twice_stores_them_once(store: Engine, bench: MakeBench) -> None:
    events = storm()
    run(store, bench, events)
    run(store, bench, events)  # a second correlator that took the same events in
    assert count(store, AlarmEventRow) == len(events)
    assert count(store, AlarmRow) == 5
    assert count(store, AlarmOrphanClearRow) == 1


def test_event_log_gives_the_raw_events_back(store: Engine, bench: MakeBench) -> None:
    events = storm()
    run(store, bench, events)
    repo = AlarmRepository(store)
    assert sorted(repo.events(), key=lambda e: e.event_id) == sorted(events, key=lambda e: e.event_id)
    assert [e.event_id for e in repo.events(KEY)] == ["los-1", "los-1-trap"]
    stored = {a.key: a for a in repo.alarms()}
    assert stored[KEY].state is AlarmState.active


def test_replaying_the_log_rebuilds_the_alarms(store: Engine, bench: MakeBench) -> None:
    before = run(store, bench, storm())
    replay = bench(resolver=Resolver(lab_config().inventory))
    replay.clock.set(t(200))
    replay.feed(*AlarmRepository(store).events())
    assert replay.book.all() == before.book.all()


def test_a_failed_save_writes_nothing(store: Engine, bench: MakeBench) -> None:
    b = bench()
    b.feed(*storm())
    writes = b.book.take_writes()
    broken = writes.alarms[-1].alarm
    broken.raised_at = broken.raised_at.replace(tzinfo=None)  # refused by the column type
    with pytest.raises(Exception, match="naive datetime"):
        AlarmRepository(store).save(writes)
    assert (count(store, AlarmRow), count(store, AlarmEventRow), count(store, AlarmOrphanClearRow)) == (0, 0, 0)


def test_load_keeps_recent_cleared_alarms_and_recent_event_ids(store: Engine, bench: MakeBench) -> None:
    b = bench(resolver=None)
    b.feed(raise_(0, event_id="old"), clear(0, 10, event_id="old-clear"))
    AlarmRepository(store).save(b.book.take_writes())
    b.clock.set(t(100_000))
    b.feed(raise_(100_000, event_id="new", alarm_type="LOF"))
    AlarmRepository(store).save(b.book.take_writes())
    state = AlarmRepository(store).load()
    assert [r.alarm.alarm_type for r in state.alarms] == ["LOF"]  # the LOS cleared > 1 day before
    assert [event_id for event_id, _ in state.seen] == ["new"]
    everything = AlarmRepository(store).alarms()
    assert len(everything) == 2  # the store keeps it


def test_empty_writes_are_a_no_op(store: Engine) -> None:
    AlarmRepository(store).save(AlarmWrites())
    assert count(store, AlarmEventRow) == 0


def test_repository_needs_a_migrated_store(engine: Engine) -> None:
    with pytest.raises(StoreNotReady, match="linewatch db upgrade"):
        AlarmRepository(engine)


def test_alarm_tables_and_indexes(store: Engine) -> None:
    insp = inspect(store)
    assert {"alarm", "alarm_event", "alarm_orphan_clear"} <= set(insp.get_table_names())
    assert ("ref",) in {tuple(ix["column_names"]) for ix in insp.get_indexes("alarm")}
    assert ("key",) in {tuple(ix["column_names"]) for ix in insp.get_indexes("alarm_event")}
    assert insp.get_pk_constraint("alarm_event")["constrained_columns"] == ["event_id"]


def test_migration_0002_downgrades_to_the_inventory(store_url: str) -> None:
    upgrade(store_url)
    from correlator.store.db import downgrade

    downgrade(store_url, "0001")
    engine = make_engine(store_url)
    try:
        names = set(inspect(engine).get_table_names())
        assert "alarm" not in names and "site" in names
    finally:
        engine.dispose()
    upgrade(store_url)
