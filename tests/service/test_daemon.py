"""The correlator daemon on the in-process queue (``linewatch run``'s wiring), on SQLite and
PostgreSQL: an event is in the store before the agent's publish returns, incidents and their impact
land in the store, a restart resumes without duplicates, a failing store holds the events (never
half-written), stage failures are isolated, a stop drains what was handed over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text

from agent.publish import PublishError
from correlator.alarms.tables import AlarmEventRow
from correlator.clock import ManualClock
from correlator.configfile.loader import LoadedConfig
from correlator.correlation.tables import ImpactHistoryRow, IncidentRow
from correlator.diversity.expand import NetworkIndex
from correlator.diversity.whatif import what_if
from correlator.service.daemon import CorrelatorService
from correlator.service.pipeline import Batch, CallbackStage, Stage
from correlator.service.sources import InProcessSource
from correlator.store.db import make_engine
from correlator.wire import Action, AlarmEvent
from tests.correlator.conftest import read_jsonl
from tests.service.conftest import load, prepare_store, until

pytestmark = pytest.mark.asyncio


def duct_cut() -> list[AlarmEvent]:
    return [e for e in read_jsonl("duct-cut") if e.action is Action.raise_]


@dataclass
class Running:
    service: CorrelatorService
    source: InProcessSource
    clock: ManualClock
    stop: asyncio.Event
    task: asyncio.Task[None]

    def count(self, table: Any) -> int:
        with self.service.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def incidents(self) -> list[Any]:
        with self.service.engine.connect() as conn:
            return list(conn.execute(select(IncidentRow.__table__)).all())


@contextlib.asynccontextmanager
async def running(cfg: LoadedConfig, url: str, start_at: Any, stages: Sequence[Stage] = ()) -> AsyncIterator[Running]:
    clock = ManualClock(start_at)
    source = InProcessSource()
    service = CorrelatorService.build(cfg, source, stages=stages, clock=clock, store_url=url, freeze=False)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        yield Running(service, source, clock, stop, task)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


@pytest.fixture
def cfg(lab_config: Path, store_url: str) -> LoadedConfig:
    loaded = load(lab_config)
    prepare_store(loaded, store_url)
    return loaded


async def settle(r: Running, seconds: float = 10.0) -> None:
    r.clock.advance(timedelta(seconds=seconds))
    await asyncio.sleep(r.service.settings.tick_interval_s * 1.5)


async def test_the_store_has_the_events_before_the_publisher_returns(cfg: LoadedConfig, store_url: str) -> None:
    events = duct_cut()
    async with running(cfg, store_url, events[-1].observed_at) as r:
        await r.source.publisher().publish(events)
        assert r.count(AlarmEventRow) == len(events)
        await settle(r)
        await until(lambda: any(row.state == "open" for row in r.incidents()))
        roots = {(row.root_kind, row.root_id) for row in r.incidents() if row.state == "open"}
        assert roots == {("duct", "D-013")}
        with r.service.engine.connect() as conn:
            history = conn.execute(select(ImpactHistoryRow.__table__)).all()
        statuses = {(h.circuit_id, h.status.value if hasattr(h.status, "value") else h.status) for h in history}
        index = NetworkIndex(cfg.inventory, cfg.policy)
        expected = what_if(index, ["duct:D-013"])
        assert {i.circuit for i in expected.lose_service} == {c for c, s in statuses if s == "outage"}
        assert {i.circuit for i in expected.lose_protection} <= {c for c, s in statuses if s == "protection_lost"}
        metrics = r.service.metrics
        assert metrics.events.labels("raise")._value.get() == len(events)
        assert metrics.incidents.labels("open")._value.get() == 1


async def test_a_restart_resumes_without_duplicates(cfg: LoadedConfig, store_url: str) -> None:
    events = duct_cut()
    half = len(events) // 2
    async with running(cfg, store_url, events[-1].observed_at) as r:
        await r.source.publisher().publish(events[:half])
        await settle(r)
        first_incidents = {row.id for row in r.incidents()}
    assert first_incidents
    async with running(cfg, store_url, events[-1].observed_at + timedelta(seconds=20)) as r:
        # the agent's outbox sends the first half again (it never saw the acknowledgement), then the rest
        await r.source.publisher().publish(events)
        assert r.count(AlarmEventRow) == len(events)
        assert r.service.metrics.redelivered._value.get() == half
        await settle(r)
        await until(lambda: any(row.root_kind == "duct" and row.state == "open" for row in r.incidents()))
        assert first_incidents <= {row.id for row in r.incidents()}
        ducts = [row for row in r.incidents() if row.root_kind == "duct"]
        assert len(ducts) == 1


def _rename(url: str, old: str, new: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
    finally:
        engine.dispose()


async def test_a_failing_store_holds_the_events_until_it_works_again(cfg: LoadedConfig, store_url: str) -> None:
    events = duct_cut()
    async with running(cfg, store_url, events[-1].observed_at) as r:
        _rename(store_url, "incident", "incident_away")
        publish = asyncio.create_task(r.source.publisher().publish(events))
        await until(lambda: r.service.metrics.commit_failures._value.get() >= 1)
        assert not publish.done()
        assert not r.service.health.parts["store"].ok
        assert r.count(AlarmEventRow) == 0  # nothing half-written: the alarms wait with the incidents
        _rename(store_url, "incident_away", "incident")
        await asyncio.wait_for(publish, timeout=30)
        assert r.count(AlarmEventRow) == len(events)
        assert r.service.health.parts["store"].ok


class _Broken:
    name = "broken"

    def write(self, batch: Batch, connection: Connection) -> None:
        connection.execute(text("SELECT * FROM no_such_table"))

    async def process(self, batch: Batch) -> None:
        raise RuntimeError("stage bug")


async def test_a_failing_stage_does_not_stop_the_batch_nor_the_stages_after_it(
    cfg: LoadedConfig, store_url: str
) -> None:
    seen: list[Batch] = []
    recorder = CallbackStage("recorder", lambda b: seen.append(b) if b.incident_changes else None)
    events = duct_cut()
    async with running(cfg, store_url, events[-1].observed_at, stages=[_Broken(), recorder]) as r:
        await r.source.publisher().publish(events)
        assert r.count(AlarmEventRow) == len(events)
        await until(lambda: bool(seen))
        assert r.service.metrics.stage_failures.labels("broken")._value.get() >= 2
        assert seen[0].incident_changes


async def test_a_stop_stores_what_was_handed_over_and_refuses_the_rest(cfg: LoadedConfig, store_url: str) -> None:
    events = duct_cut()
    async with running(cfg, store_url, events[-1].observed_at) as r:
        publisher = r.source.publisher()
        sends = [asyncio.create_task(publisher.publish([e])) for e in events]
        await asyncio.sleep(0)
        r.stop.set()
        results = await asyncio.gather(*sends, return_exceptions=True)
        await asyncio.wait_for(r.task, timeout=30)
        stored = r.count(AlarmEventRow)
    delivered = [e for e, res in zip(events, results, strict=True) if res is None]
    refused = [res for res in results if res is not None]
    assert all(isinstance(res, PublishError) for res in refused)
    assert stored == len(delivered)
    with pytest.raises(PublishError):
        await publisher.publish(events[:1])


async def test_stages_are_built_from_what_this_linewatch_has(cfg: LoadedConfig, store_url: str) -> None:
    from correlator.service.stages import build_stages

    service = CorrelatorService.build(cfg, InProcessSource(), store_url=store_url, freeze=False)
    try:
        built = build_stages(cfg, service)
        names = [s.name for s in built.stages]
        assert names.index("tickets") < names.index("feeds")
        assert set(built.parts) >= {"tickets", "feeds"}
        assert built.registries
    finally:
        service.engine.dispose()
