"""The session pool: bounded workers off the event loop, one session per element, hung elements
aborted at their limit without holding up the others."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from agent.cli.errors import CliFailure
from agent.cli.platform import load_platforms
from agent.cli.pool import ElementBusy, SessionHung, SessionPool
from agent.cli.session import SessionHandle, SessionResult, Target, Timeouts, run_session
from agent.cli.targets import commands_of, dialect_for
from correlator.secrets import Secret
from tests.agent.cli.conftest import HOST, PASSWORD, USER, CliSim, SimFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


def _session(sim: CliSim, device: str, timeouts: Timeouts) -> object:
    platform = load_platforms()[sim.devices[device]["platform"]]
    transport = sim.devices[device]["transport"]
    target = Target(device, HOST, sim.port(device), transport, USER, Secret("env:PW", PASSWORD))

    def run(handle: SessionHandle) -> SessionResult:
        return run_session(target, dialect_for(platform, transport), commands_of(platform), timeouts, handle)

    return run


async def test_a_hung_element_is_aborted_and_never_holds_up_the_others(cli_sim: SimFactory) -> None:
    devices = {f"VRP-{i}": {"platform": "huawei_vrp", "transport": "ssh"} for i in range(4)}
    sim = cli_sim(devices)
    sim.hang("VRP-0", "display alarm active verbose")  # logs in, then stalls on the first command
    pool = SessionPool(2, grace_s=10)
    patient = Timeouts(connect_s=2, banner_s=2, auth_s=2, read_s=600)  # only the pool's limit ends it
    try:
        hung = asyncio.create_task(pool.run("VRP-0", _session(sim, "VRP-0", patient), limit_s=6))  # type: ignore[arg-type]
        await asyncio.sleep(0.2)
        assert pool.busy("VRP-0")
        others = await asyncio.gather(
            *(pool.run(d, _session(sim, d, patient), limit_s=60) for d in ("VRP-1", "VRP-2", "VRP-3"))  # type: ignore[arg-type]
        )
        assert [r.error for r in others] == [None, None, None]
        assert all(len(r.outputs) == 6 for r in others)
        assert not hung.done(), "the others finished on the one free worker while VRP-0 hung"
        result = await hung
        assert result.error is not None and result.error.reason is CliFailure.timeout
        assert "did not finish in time" in str(result.error)
        assert not pool.busy("VRP-0") and pool.active == 0
    finally:
        await pool.close()


async def test_one_session_per_element() -> None:
    pool = SessionPool(4)
    release = threading.Event()

    def blocked(handle: SessionHandle) -> str:
        release.wait(30)
        return "done"

    try:
        first = asyncio.create_task(pool.run("NE-1", blocked, limit_s=30))
        await asyncio.sleep(0.1)
        with pytest.raises(ElementBusy):
            await pool.run("NE-1", blocked, limit_s=30)
        other = asyncio.create_task(pool.run("NE-2", lambda h: "other", limit_s=30))
        assert await other == "other"
        release.set()
        assert await first == "done"
        assert await pool.run("NE-1", lambda h: "again", limit_s=30) == "again"
    finally:
        release.set()
        await pool.close()


async def test_workers_bound_the_sessions_running_at_once() -> None:
    pool = SessionPool(2)
    lock = threading.Lock()
    running = 0
    peak = 0

    def work(handle: SessionHandle) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    try:
        await asyncio.gather(*(pool.run(f"NE-{i}", work, limit_s=30) for i in range(8)))
        assert peak == 2
    finally:
        await pool.close()


async def test_a_worker_that_ignores_the_abort_is_reported_hung_and_keeps_its_element() -> None:
    pool = SessionPool(1, grace_s=0.2)
    release = threading.Event()

    def stubborn(handle: SessionHandle) -> str:
        release.wait(30)  # does not look at the handle
        return "late"

    try:
        with pytest.raises(SessionHung):
            await pool.run("NE-1", stubborn, limit_s=0.2)
        assert pool.busy("NE-1"), "the element stays taken until its worker really ends"
        with pytest.raises(ElementBusy):
            await pool.run("NE-1", stubborn, limit_s=0.2)
        release.set()
        for _ in range(100):
            if not pool.busy("NE-1"):
                break
            await asyncio.sleep(0.05)
        assert await pool.run("NE-1", lambda h: "free", limit_s=5) == "free"
    finally:
        release.set()
        await pool.close()
