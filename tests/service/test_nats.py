"""The correlator daemon over NATS JetStream (``linewatch correlator``), against the real server on
127.0.0.1:4222: a message is acknowledged only after the store committed it, a restart resumes the
durable consumer, a redelivery after a crash is dropped (no duplicates), a message that is no
AlarmEvent is terminated and counted. Each test has a stream, subject and consumer of its own."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select, text

from agent.publish import NatsPublisher
from correlator.alarms.tables import AlarmEventRow
from correlator.configfile.loader import LoadedConfig
from correlator.service.daemon import CorrelatorService
from correlator.service.sources import Delivery, NatsSource
from correlator.store.db import make_engine
from correlator.wire import Action, AlarmEvent
from tests.conftest import need
from tests.correlator.conftest import read_jsonl
from tests.service.conftest import copy_config, load, prepare_store, until

pytestmark = pytest.mark.asyncio

NATS_URL = "nats://127.0.0.1:4222"


@dataclass
class Bus:
    stream: str
    subject: str
    durable: str


async def _nats() -> Any:
    import nats

    try:
        return await nats.connect(servers=[NATS_URL], connect_timeout=2, allow_reconnect=False)
    except Exception as exc:
        need(f"NATS JetStream at {NATS_URL} is unreachable ({exc})", "start it (scripts/services.sh nats)")


@pytest_asyncio.fixture
async def bus() -> AsyncIterator[Bus]:
    token = secrets.token_hex(4)
    b = Bus(f"LWTEST_{token}", f"lwtest.{token}.alarms", f"lwtest-{token}")
    nc = await _nats()
    try:
        yield b
    finally:
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_stream(b.stream)
        await nc.close()


@pytest.fixture
def cfg(tmp_path: Path, bus: Bus, store_url: str) -> Iterator[LoadedConfig]:
    path = copy_config(
        tmp_path,
        {
            "correlator": {
                "bus": {
                    "url": NATS_URL,
                    "stream": bus.stream,
                    "subject": bus.subject,
                    "durable": bus.durable,
                    "ack_wait_s": 1.0,
                    "fetch_timeout_s": 0.2,
                }
            }
        },
    )
    loaded = load(path)
    prepare_store(loaded, store_url)
    yield loaded


def events() -> list[AlarmEvent]:
    return [e for e in read_jsonl("duct-cut") if e.action is Action.raise_]


async def publish(bus: Bus, batch: list[AlarmEvent]) -> None:
    pub = NatsPublisher(NATS_URL, bus.stream, bus.subject)
    try:
        await pub.publish(batch)
    finally:
        await pub.close()


async def consumer(bus: Bus) -> Any:
    nc = await _nats()
    try:
        return await nc.jetstream().consumer_info(bus.stream, bus.durable)
    finally:
        await nc.close()


def stored(service: CorrelatorService) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AlarmEventRow)).scalar_one())


@contextlib.asynccontextmanager
async def correlator(cfg: LoadedConfig, url: str, source: NatsSource | None = None) -> AsyncIterator[CorrelatorService]:
    src = source or NatsSource(cfg.daemon.correlator.bus)
    service = CorrelatorService.build(cfg, src, store_url=url, freeze=False)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        yield service
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def test_acknowledged_after_the_commit_and_resumed_after_a_restart(
    cfg: LoadedConfig, store_url: str, bus: Bus
) -> None:
    evs = events()
    half = len(evs) // 2
    await publish(bus, evs[:half])
    async with correlator(cfg, store_url) as service:
        await until(lambda: stored(service) == half)

        async def acked() -> bool:
            info = await consumer(bus)
            return bool(info.num_ack_pending == 0 and info.num_pending == 0 and info.delivered.stream_seq == half)

        await until(acked)
        assert service.health.parts["bus"].ok
    await publish(bus, evs[half:])
    info = await consumer(bus)
    # nothing past what the stopped correlator stored is acknowledged: the rest waits in the stream
    # for the durable consumer (one may have gone to the pull request the stopped correlator left
    # open: delivered, never acknowledged, so it comes again after ack_wait)
    assert info.ack_floor.stream_seq == half
    assert info.num_pending >= len(evs) - half - 1
    async with correlator(cfg, store_url) as service:
        await until(lambda: stored(service) == len(evs))
        await until(acked_all(bus, len(evs)))
        assert service.metrics.redelivered._value.get() == 0
    assert stored_count(cfg, store_url) == len(evs)


def acked_all(bus: Bus, n: int) -> Any:
    async def check() -> bool:
        info = await consumer(bus)
        return bool(info.num_ack_pending == 0 and info.num_pending == 0 and info.ack_floor.stream_seq == n)

    return check


def stored_count(cfg: LoadedConfig, url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(AlarmEventRow)).scalar_one())
    finally:
        engine.dispose()


async def test_not_acknowledged_while_the_store_fails(cfg: LoadedConfig, store_url: str, bus: Bus) -> None:
    evs = events()
    engine = make_engine(store_url)
    try:
        async with correlator(cfg, store_url) as service:
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE incident RENAME TO incident_away"))
            await publish(bus, evs)
            await until(lambda: service.metrics.commit_failures._value.get() >= 1)
            info = await consumer(bus)
            assert info.ack_floor.stream_seq == 0  # delivered, never acknowledged
            assert stored(service) == 0
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE incident_away RENAME TO incident"))
            await until(lambda: stored(service) == len(evs))
            await until(acked_all(bus, len(evs)))
    finally:
        engine.dispose()


class _CrashBeforeAck(NatsSource):
    """Commits, then 'crashes' before acknowledging (the acknowledgement is never sent)."""

    async def receive(self, max_events: int, timeout: float, linger: float) -> Delivery | None:
        delivery = await super().receive(max_events, timeout, linger)
        if delivery is not None:
            delivery._ack = None
        return delivery


async def test_a_redelivery_after_a_crash_is_not_counted_twice(cfg: LoadedConfig, store_url: str, bus: Bus) -> None:
    evs = events()
    await publish(bus, evs)
    async with correlator(cfg, store_url, _CrashBeforeAck(cfg.daemon.correlator.bus)) as service:
        await until(lambda: stored(service) == len(evs))
    info = await consumer(bus)
    assert info.ack_floor.stream_seq == 0
    async with correlator(cfg, store_url) as service:
        await until(acked_all(bus, len(evs)), timeout=60)
        assert service.metrics.redelivered._value.get() >= len(evs)
        assert stored(service) == len(evs)


async def test_a_message_that_is_no_alarm_event_is_dropped_and_counted(
    cfg: LoadedConfig, store_url: str, bus: Bus
) -> None:
    evs = events()
    await publish(bus, evs[:1])
    nc = await _nats()
    try:
        await nc.jetstream().publish(f"{bus.subject}.SDH-CEN", b'{"schema": "something/9"}', stream=bus.stream)
    finally:
        await nc.close()
    await publish(bus, evs[1:2])
    async with correlator(cfg, store_url) as service:
        await until(lambda: stored(service) == 2)
        await until(lambda: service.metrics.invalid._value.get() == 1)
        await until(acked_all(bus, 3))
