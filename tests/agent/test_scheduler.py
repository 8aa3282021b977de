"""PollScheduler: interval jobs with jitter, no overlap of one element's polls, graceful shutdown.

Short intervals so the behaviour shows quickly; the assertions are on what happened (polls done,
skipped, overlapping or not, cancelled or not), never on how long it took.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from agent.scheduler import PollScheduler
from agent.settings import SnmpPolling
from correlator.inventory.model import Device
from tests.agent.snmp.peers import device

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

FAST = SnmpPolling(interval_s=0.1, jitter_s=0.05)


async def until(check: Callable[[], bool], what: str, limit: float = 20.0) -> None:
    """Wait until ``check()`` holds (the limit only stops a broken test from hanging)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for: {what}")
        await asyncio.sleep(0.01)


class Recorder:
    def __init__(self, hold: dict[str, asyncio.Event] | None = None) -> None:
        self.started: Counter[str] = Counter()
        self.finished: Counter[str] = Counter()
        self.cancelled: Counter[str] = Counter()
        self.running: Counter[str] = Counter()
        self.max_running: Counter[str] = Counter()
        self.hold = hold or {}

    async def __call__(self, element: Device) -> None:
        self.started[element.id] += 1
        self.running[element.id] += 1
        self.max_running[element.id] = max(self.max_running[element.id], self.running[element.id])
        try:
            gate = self.hold.get(element.id)
            if gate is not None:
                await gate.wait()
            else:
                await asyncio.sleep(0)
            self.finished[element.id] += 1
        except asyncio.CancelledError:
            self.cancelled[element.id] += 1
            raise
        finally:
            self.running[element.id] -= 1


def make(poll: Callable[[Device], Awaitable[object]], settings: SnmpPolling = FAST, seed: int = 7) -> PollScheduler:
    return PollScheduler(poll, settings, rng=random.Random(seed))


async def test_every_element_is_polled_again_and_again_with_jittered_starts() -> None:
    recorder = Recorder()
    scheduler = make(recorder, SnmpPolling(interval_s=0.1, jitter_s=5.0))
    scheduler.start()
    try:
        now = datetime.now(UTC)
        scheduler.add_all(device(f"NE-{i}", 161) for i in range(20))
        firsts = [scheduler.next_run(f"NE-{i}") for i in range(20)]
        assert all(f is not None and now - timedelta(seconds=1) <= f <= now + timedelta(seconds=6) for f in firsts)
        assert len(set(firsts)) == 20  # spread out, not all at the same instant
        assert scheduler.devices() == sorted(f"NE-{i}" for i in range(20))
    finally:
        await scheduler.shutdown()

    recorder = Recorder()
    scheduler = make(recorder)
    scheduler.start()
    try:
        scheduler.add_all(device(f"NE-{i}", 161) for i in range(3))
        await until(lambda: all(recorder.finished[f"NE-{i}"] >= 3 for i in range(3)), "three polls of each element")
    finally:
        await scheduler.shutdown()
    assert set(recorder.started) == {"NE-0", "NE-1", "NE-2"}


async def test_a_slow_element_is_skipped_not_polled_twice_at_once() -> None:
    gate = asyncio.Event()
    recorder = Recorder(hold={"SLOW": gate})
    scheduler = make(recorder)
    scheduler.start()
    try:
        scheduler.add(device("SLOW", 161))
        scheduler.add(device("QUICK", 161))
        await until(lambda: recorder.started["SLOW"] == 1, "the slow poll to start")
        await until(lambda: scheduler.skipped["SLOW"] >= 2, "runs of SLOW skipped while its poll is running")
        await until(lambda: recorder.finished["QUICK"] >= 3, "QUICK polled meanwhile")
        assert recorder.started["SLOW"] == 1 and recorder.max_running["SLOW"] == 1
        assert scheduler.in_flight() == ["SLOW"]
        gate.set()
        await until(lambda: recorder.finished["SLOW"] >= 2, "SLOW polled again once released")
        assert recorder.max_running["SLOW"] == 1 and recorder.max_running["QUICK"] == 1
    finally:
        await scheduler.shutdown()


async def test_shutdown_waits_for_polls_in_flight() -> None:
    gate = asyncio.Event()
    recorder = Recorder(hold={"BUSY": gate})
    scheduler = make(recorder)
    scheduler.start()
    scheduler.add(device("BUSY", 161))
    await until(lambda: recorder.started["BUSY"] == 1, "the poll to start")

    stopping = asyncio.create_task(scheduler.shutdown())
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert not stopping.done()  # it waits for BUSY
    assert not scheduler.running
    gate.set()
    await stopping
    assert recorder.finished["BUSY"] == 1 and recorder.cancelled["BUSY"] == 0
    started = recorder.started["BUSY"]
    await asyncio.sleep(0.3)  # three intervals: nothing new starts after shutdown
    assert recorder.started["BUSY"] == started


async def test_shutdown_with_a_limit_cancels_what_does_not_finish() -> None:
    recorder = Recorder(hold={"STUCK": asyncio.Event()})
    scheduler = make(recorder)
    scheduler.start()
    scheduler.add(device("STUCK", 161))
    await until(lambda: recorder.started["STUCK"] == 1, "the poll to start")
    await scheduler.shutdown(timeout=0.05)
    await until(lambda: recorder.cancelled["STUCK"] == 1, "the stuck poll to be cancelled")
    assert recorder.finished["STUCK"] == 0


async def test_removed_element_is_no_longer_polled_and_a_changed_one_is_polled_as_changed() -> None:
    seen: list[tuple[str, int]] = []

    async def poll(element: Device) -> None:
        seen.append((element.id, element.snmp.port))

    scheduler = make(poll)
    scheduler.start()
    try:
        scheduler.add(device("KEEP", 161))
        scheduler.add(device("DROP", 161))
        await until(lambda: ("DROP", 161) in seen and ("KEEP", 161) in seen, "both polled")
        scheduler.remove("DROP")
        scheduler.add(device("KEEP", 1161))  # the same element, now on another port
        assert scheduler.devices() == ["KEEP"] and scheduler.next_run("DROP") is None
        mark = len(seen)
        await until(lambda: seen[mark:].count(("KEEP", 1161)) >= 2, "KEEP polled on its new port")
        assert ("DROP", 161) not in seen[mark + 1 :]
    finally:
        await scheduler.shutdown()


async def test_a_poll_that_raises_does_not_stop_the_schedule() -> None:
    calls: Counter[str] = Counter()

    async def poll(element: Device) -> None:
        calls[element.id] += 1
        raise RuntimeError("boom")

    scheduler = make(poll)
    scheduler.start()
    try:
        scheduler.add(device("BOOM", 161))
        await until(lambda: calls["BOOM"] >= 3, "BOOM polled again after raising")
    finally:
        await scheduler.shutdown()
