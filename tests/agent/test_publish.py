"""Publishers and the outbox shipper, against real peers: a file, the NATS server at 127.0.0.1:4222,
and a private nats-server process that the test stops and starts again (an outage)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
import pytest_asyncio
from nats.js.client import JetStreamContext

from agent.observation import Condition, Observation
from agent.publish import (
    JsonlPublisher,
    NatsPublisher,
    PublishError,
    QueuePublisher,
    Shipper,
    ensure_stream,
    redact_url,
)
from agent.state import StateTracker
from agent.statestore import StateStore
from correlator.alarmtypes import load_alarm_types
from correlator.clock import ManualClock
from correlator.wire import Action, AlarmEvent, Resource, ResourceType, Severity, parse_event
from tests.conftest import need

NATS_URL = os.environ.get("LINEWATCH_TEST_NATS_URL", "nats://127.0.0.1:4222")
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
PORT_RANGE = range(14200, 14300)  # this engineer's range is 14000-14999


def free_port() -> int:
    for port in PORT_RANGE:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 14200-14299")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def events(n: int, devices: tuple[str, ...] = ("NE-A", "NE-B")) -> list[AlarmEvent]:
    """n raises made by a real tracker (valid events, distinct ids)."""
    clock = ManualClock(T0)
    tracker = StateTracker("agent-p", load_alarm_types(), clock)
    out: list[AlarmEvent] = []
    for i in range(n):
        cond = Condition(Resource(type=ResourceType.port, id=f"GE{i}"), "LINK_DOWN", Severity.major, "ifTable")
        out += tracker.trap(devices[i % len(devices)], Action.raise_, cond)
        clock.advance(1)
    return out


# -- JSONL and queue ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_jsonl_appends_one_event_per_line(tmp_path: Path) -> None:
    path = tmp_path / "out" / "events.jsonl"
    pub = JsonlPublisher(path)
    batch = events(3)
    await pub.publish(batch[:2])
    await pub.publish(batch[2:])
    lines = path.read_text().splitlines()
    assert [parse_event(line) for line in lines] == batch
    assert all(json.loads(line)["schema"] == "linewatch.alarm_event/1" for line in lines)
    await pub.close()


@pytest.mark.asyncio
async def test_jsonl_unwritable_says_which_file(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a directory should be")
    pub = JsonlPublisher(tmp_path / "blocker" / "events.jsonl")
    with pytest.raises(PublishError, match=r"blocker/events.jsonl.*agent.publish.path") as err:
        await pub.publish(events(1))
    assert err.value.published == 0


@pytest.mark.asyncio
async def test_queue_publisher_hands_events_over_in_order() -> None:
    pub = QueuePublisher()
    batch = events(3)
    await pub.publish(batch)
    assert [pub.queue.get_nowait() for _ in range(3)] == batch


def test_redact_url_hides_user_information() -> None:
    assert redact_url("nats://agent:s3cret@bus.example:4222") == "nats://***@bus.example:4222"
    assert redact_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"


# -- shipper over a real file outage --------------------------------------------------------------


@pytest.mark.asyncio
async def test_shipper_keeps_events_through_an_outage_and_sends_them_in_order(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    store = StateStore.open(tmp_path / "state", clock)
    tracker = StateTracker("agent-p", load_alarm_types(), clock, sink=store, initial=store.load())
    out_dir = tmp_path / "spool"
    out_dir.write_text("not a directory yet: the publisher cannot write")  # the outage
    shipper = Shipper(store, JsonlPublisher(out_dir / "events.jsonl"))

    made: list[AlarmEvent] = []
    for i in range(5):
        cond = Condition(Resource(type=ResourceType.port, id=f"GE{i}"), "LINK_DOWN", Severity.major, "ifTable")
        made += tracker.observe(Observation("NE-A", [cond], scopes={"ifTable"}))
        clock.advance(10)
        assert await shipper.flush() is False
    assert store.pending() == made and shipper.failures == 5

    out_dir.unlink()  # the disk is back
    assert await shipper.flush() is True
    assert store.pending() == []
    shipped = [parse_event(line) for line in (out_dir / "events.jsonl").read_text().splitlines()]
    assert shipped == made  # nothing lost, original order, each once
    store.close()


# -- NATS JetStream ---------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def js() -> AsyncIterator[JetStreamContext]:
    try:
        nc = await nats.connect(NATS_URL, connect_timeout=2, allow_reconnect=False)
    except Exception as exc:
        need(f"NATS at {NATS_URL} is unreachable ({type(exc).__name__})", "start it (scripts/services.sh nats)")
    yield nc.jetstream()
    await nc.close()


@pytest_asyncio.fixture
async def stream(js: JetStreamContext) -> AsyncIterator[tuple[str, str]]:
    """A unique (stream, subject prefix), deleted afterwards."""
    token = secrets.token_hex(4)
    name, subject = f"LWTEST_{token.upper()}", f"lwtest.{token}.alarms"
    yield name, subject
    with contextlib.suppress(Exception):
        await js.delete_stream(name)


async def read_stream(js: JetStreamContext, name: str) -> list[tuple[str, str | None, AlarmEvent]]:
    info = await js.stream_info(name)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(name, seq)
        msg_id = (msg.headers or {}).get("Nats-Msg-Id")
        out.append((msg.subject or "", str(msg_id) if msg_id else None, parse_event(msg.data or b"")))
    return out


@pytest.mark.asyncio
async def test_nats_creates_stream_publishes_per_device_and_dedups(
    js: JetStreamContext, stream: tuple[str, str]
) -> None:
    name, subject = stream
    pub = NatsPublisher(NATS_URL, name, subject)
    batch = events(3)
    await pub.publish(batch)
    info = await js.stream_info(name)
    assert info.config.subjects == [f"{subject}.>"]
    got = await read_stream(js, name)
    assert got == [(f"{subject}.{e.device}", e.event_id, e) for e in batch]

    await pub.publish(batch)  # a re-send after a lost ack: JetStream drops it by Nats-Msg-Id
    assert (await js.stream_info(name)).state.messages == 3
    await pub.close()


@pytest.mark.asyncio
async def test_nats_refuses_a_stream_without_its_subjects(js: JetStreamContext, stream: tuple[str, str]) -> None:
    name, subject = stream
    await js.add_stream(name=name, subjects=[f"{subject}-other.>"])
    pub = NatsPublisher(NATS_URL, name, subject)
    with pytest.raises(PublishError, match=rf"stream {name} exists without subject {subject}\.>"):
        await pub.publish(events(1))
    assert (await js.stream_info(name)).state.messages == 0
    await pub.close()


@pytest.mark.asyncio
async def test_agent_and_correlator_creating_the_stream_at_once_both_succeed(js: JetStreamContext) -> None:
    # JetStream refuses the second of two simultaneous creates ("subjects overlap") a few times in a
    # hundred; ensure_stream must take the stream the other side made
    other = await nats.connect(NATS_URL)
    try:
        for _ in range(100):
            token = secrets.token_hex(4)
            name, subject = f"LWRACE_{token}", f"lwrace.{token}.>"
            try:
                got = await asyncio.gather(
                    ensure_stream(js, name, subject), ensure_stream(other.jetstream(), name, subject)
                )
                assert got == [[subject], [subject]]
            finally:
                await js.delete_stream(name)
    finally:
        await other.close()


class NatsServer:
    """A private nats-server process with JetStream and a store directory that outlives restarts."""

    def __init__(self, port: int, store_dir: Path) -> None:
        self.port = port
        self.store_dir = store_dir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if port_open(self.port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"nats-server did not listen on {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[NatsServer]:
    if not os.access(NATS_SERVER, os.X_OK):
        need("nats-server is not installed", "apt-get install nats-server (scripts/debian-packages.txt)")
    server = NatsServer(free_port(), tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()


@pytest.mark.asyncio
async def test_nats_outage_loses_nothing_and_resends_in_order(tmp_path: Path, private_nats: NatsServer) -> None:
    clock = ManualClock(T0)
    store = StateStore.open(tmp_path / "state", clock)
    tracker = StateTracker("agent-p", load_alarm_types(), clock, sink=store, initial=store.load())
    pub = NatsPublisher(private_nats.url, "LWOUTAGE", "lwoutage.alarms", connect_timeout_s=1, ack_timeout_s=2)
    shipper = Shipper(store, pub, batch_size=2)

    def change(i: int) -> list[AlarmEvent]:
        cond = Condition(Resource(type=ResourceType.port, id=f"GE{i}"), "LINK_DOWN", Severity.major, "ifTable")
        clock.advance(10)
        return tracker.observe(Observation(f"NE-{i % 2}", [cond], scopes={"ifTable"}))

    made = change(0)
    assert await shipper.flush() is True  # NATS up: shipped and acknowledged

    private_nats.stop()  # outage
    for i in range(1, 6):
        made += change(i)
        assert await shipper.flush() is False
    assert [e.event_id for e in store.pending()] == [e.event_id for e in made[1:]]

    private_nats.start()  # back, same JetStream store
    assert await shipper.flush() is True
    assert store.pending() == []
    nc = await nats.connect(private_nats.url)
    got = await read_stream(nc.jetstream(), "LWOUTAGE")
    await nc.close()
    assert [(subj, mid, ev) for subj, mid, ev in got] == [(f"lwoutage.alarms.{e.device}", e.event_id, e) for e in made]
    await pub.close()
    store.close()


@pytest.mark.asyncio
async def test_nats_down_at_start_is_a_publish_error_not_a_crash(tmp_path: Path) -> None:
    pub = NatsPublisher(f"nats://127.0.0.1:{free_port()}", "LWNONE", "lwnone", connect_timeout_s=1)
    with pytest.raises(PublishError, match="cannot connect to NATS"):
        await pub.publish(events(1))
    await pub.close()
