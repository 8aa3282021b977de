"""Incidents in the store, on SQLite and on the PostgreSQL server (``store`` fixture): the migration,
a round trip, merges and the impact history, and a restart that resumes with the same open
incidents and no duplicates (alarms resumed from their own store, migration 0002)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pytest
from sqlalchemy import Engine, func, inspect, select

from correlator.alarms import AlarmBook, AlarmRepository, Resolver
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.correlation import Correlator, ImpactStatus, Incident, IncidentChange, IncidentState
from correlator.correlation.repository import IncidentRepository, save_changes_in
from correlator.correlation.tables import (
    INCIDENT_TABLES,
    ImpactHistoryRow,
    IncidentCircuitRow,
    IncidentRow,
    IncidentSymptomRow,
)
from correlator.store.db import make_engine
from correlator.store.errors import StoreNotReady
from correlator.wire import AlarmEvent
from tests.correlator.conftest import T0, lab_network, read_jsonl, shipped_rules

Row = type[IncidentRow] | type[IncidentSymptomRow] | type[IncidentCircuitRow] | type[ImpactHistoryRow]


def count(engine: Engine, table: Row) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


class Daemon:
    """The correlator as a daemon runs it: alarms and incidents saved after every event and tick."""

    def __init__(self, store: Engine, start: datetime, resume: bool = False) -> None:
        cfg, index = lab_network()
        self.store = store
        self.clock = ManualClock(start)
        rules = shipped_rules()
        self.book = AlarmBook(rules.dedup, load_alarm_types(), self.clock, Resolver(cfg.inventory))
        self.alarms = AlarmRepository(store)
        if resume:
            self.book.import_state(self.alarms.load(rules.dedup))
        self.incidents = IncidentRepository(store)
        self.cor = Correlator(cfg.inventory, cfg.policy, rules, self.clock, index, self.book, self.incidents)
        self.first_changes = self.cor.tick()
        self.seen: dict[str, Incident] = {}

    def _keep(self, changes: list[IncidentChange]) -> None:
        self.alarms.save(self.book.take_writes())
        for ch in changes:
            self.seen[ch.incident.id] = ch.incident

    def feed(self, events: Iterable[AlarmEvent]) -> None:
        for e in events:
            while (nxt := self.cor.next_deadline()) is not None and nxt <= e.observed_at:
                self.clock.set(nxt)
                self._keep(self.cor.tick())
            self.clock.set(max(self.clock.now(), e.observed_at))
            self._keep(self.cor.ingest(e))

    def settle(self, seconds: float) -> None:
        end = self.clock.now().timestamp() + seconds
        while (nxt := self.cor.next_deadline()) is not None and nxt.timestamp() <= end:
            self.clock.set(nxt)
            self._keep(self.cor.tick())


def snapshot(inc: Incident) -> tuple[object, ...]:
    return (
        inc.id,
        inc.root,
        inc.state,
        inc.started_at,
        inc.opened_at,
        inc.settle_until,
        inc.cleared_at,
        inc.merged_into,
        inc.was_open,
        inc.flapping,
        dict(inc.symptoms),
        {c: (ic.status, ic.since, ic.status_since, ic.until, ic.paths_down) for c, ic in inc.circuits.items()},
        sorted((iv.id, iv.circuit, iv.status, iv.start, iv.end, iv.incident) for iv in inc.history),
        inc.interval_seq,
    )


def test_migration_creates_the_incident_tables(store: Engine) -> None:
    insp = inspect(store)
    assert set(INCIDENT_TABLES) <= set(insp.get_table_names())
    indexed = {t: {tuple(ix["column_names"]) for ix in insp.get_indexes(t)} for t in INCIDENT_TABLES}
    assert ("circuit_id", "from_at") in indexed["impact_history"]
    assert ("incident_id",) in indexed["impact_history"]
    assert ("root_kind", "root_id") in indexed["incident"]
    assert ("circuit_id",) in indexed["incident_circuit"]


def test_an_unmigrated_store_is_refused(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        with pytest.raises(StoreNotReady, match="linewatch db upgrade"):
            IncidentRepository(engine)
    finally:
        engine.dispose()


def test_what_is_stored_is_what_the_correlator_holds(store: Engine) -> None:
    d = Daemon(store, T0)
    raises = [e for e in read_jsonl("sdh-cable-cut") if e.action.value == "raise"]
    d.feed(raises)
    d.settle(10)
    live = d.cor.incidents()
    assert [i.root_key for i in live] == ["cable:CB-WES-CEN"]
    loaded = d.incidents.load_active()
    assert [snapshot(i) for i in loaded] == [snapshot(i) for i in live]
    # the merged forerunners are stored too, final, pointing at the survivor
    merged = [i for i in d.seen.values() if i.state is IncidentState.merged]
    assert merged
    for m in merged:
        row = d.incidents.load(m.id)
        assert row is not None and row.state is IncidentState.merged and row.merged_into
    assert count(store, IncidentRow) == len(d.seen)


def test_impact_history_gives_outage_intervals(store: Engine) -> None:
    d = Daemon(store, T0)
    d.feed(read_jsonl("sdh-cable-cut"))
    d.settle(3600)
    assert d.cor.incidents() == []
    outages = d.incidents.intervals("C-010", ImpactStatus.outage)
    assert [(iv.start, iv.end) for iv in outages] == [
        (datetime.fromisoformat("2026-12-01T02:00:00+00:00"), datetime.fromisoformat("2026-12-01T02:30:00+00:00"))
    ]
    (survivor,) = [i for i in d.seen.values() if i.root_key == "cable:CB-WES-CEN"]
    assert {iv.incident for iv in d.incidents.intervals()} == {survivor.id}
    stored = d.incidents.load(survivor.id)
    assert stored is not None and stored.state is IncidentState.closed
    assert snapshot(stored) == snapshot(survivor)
    assert count(store, IncidentSymptomRow) == len(survivor.symptoms)


def test_a_restart_resumes_the_same_open_incidents_without_duplicates(store: Engine) -> None:
    events = read_jsonl("duct-cut")
    raises = [e for e in events if e.action.value == "raise"]
    clears = [e for e in events if e.action.value == "clear"]
    d = Daemon(store, T0)
    d.feed(raises)
    d.settle(60)
    before = [snapshot(i) for i in d.cor.incidents()]
    assert [i.root_key for i in d.cor.incidents()] == ["duct:D-013"]
    rows_before = {t: count(store, t) for t in (IncidentRow, IncidentSymptomRow, IncidentCircuitRow, ImpactHistoryRow)}

    # the process stops; a new one starts from the store
    again = Daemon(store, d.clock.now(), resume=True)
    assert again.first_changes == []
    assert [snapshot(i) for i in again.cor.incidents()] == before
    assert {t: count(store, t) for t in rows_before} == rows_before
    assert again.cor.rca.decisions() == again.cor.rca.full_check()

    # and carries on: the repair clears the same incident, nothing is opened twice
    again.feed(clears)
    again.settle(3600)
    assert again.cor.incidents() == []
    with store.connect() as conn:
        roots = conn.execute(
            select(IncidentRow.root_kind, IncidentRow.root_id, IncidentRow.state).where(
                IncidentRow.state != IncidentState.merged.value
            )
        ).all()
    assert [tuple(r) for r in roots] == [("duct", "D-013", "closed")]
    ids = {i.id for i in again.seen.values()}
    assert ids == {before[0][0]}


def test_an_incident_whose_alarms_cleared_while_down_is_cleared_on_resume(store: Engine) -> None:
    d = Daemon(store, T0)
    raises = [e for e in read_jsonl("cpe-power-off") if e.action.value == "raise"]
    d.feed(raises)
    d.settle(10)
    (inc,) = d.cor.incidents()
    # the store loses the alarm book (a wiped alarm table): the restarted correlator sees nothing standing
    cfg, index = lab_network()
    clock = ManualClock(d.clock.now())
    rules = shipped_rules()
    book = AlarmBook(rules.dedup, load_alarm_types(), clock, Resolver(cfg.inventory))
    cor = Correlator(cfg.inventory, cfg.policy, rules, clock, index, book, IncidentRepository(store))
    changes = cor.tick()
    assert (changes[0].kind.value, changes[0].incident.id) == ("cleared", inc.id)
    stored = IncidentRepository(store).load(inc.id)
    assert stored is not None and stored.state is IncidentState.cleared
    assert all(c.until is not None for c in stored.circuits.values())


def test_changes_can_be_written_in_the_callers_transaction(store: Engine) -> None:
    d = Daemon(store, T0)
    d.feed([e for e in read_jsonl("board-fault") if e.action.value == "raise"])
    d.settle(10)
    (inc,) = d.cor.incidents()
    with store.begin() as conn:
        conn.execute(IncidentRow.__table__.delete().where(IncidentRow.id == "nothing"))
        save_changes_in(conn, [])
    assert IncidentRepository(store).load(inc.id) is not None
