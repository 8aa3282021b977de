"""``linewatch run`` and ``linewatch correlator`` as real processes on a copy of the lab config:
/metrics and /healthz answer, SIGTERM (and SIGINT) stop them cleanly with exit code 0, JSON logs,
and the errors a newcomer meets (bad config, store not migrated, port taken) are clear."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import need
from tests.service.conftest import copy_config, load, patch_yaml, prepare_store, wait_for

LINEWATCH = str(Path(sys.executable).parent / "linewatch")


class Daemon:
    """A linewatch process whose stderr is collected line by line as it runs."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [LINEWATCH, *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def err(self) -> str:
        return "\n".join(self.lines)

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait_log(self, text: str, timeout: float = 90) -> None:
        wait_for(lambda: self.poll() is not None or text in self.err, timeout=timeout, what=repr(text))
        assert text in self.err, self.err[-3000:]

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"did not stop within {timeout} s after {sig.name}:\n{self.err[-3000:]}")
        self._reader.join(timeout=10)
        return self.proc.returncode, self.err


def start(*args: str, cwd: Path) -> Daemon:
    return Daemon(*args, cwd=cwd)


def stop(proc: Daemon, sig: signal.Signals = signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
    return proc.stop(sig, timeout)


@pytest.fixture
def ready_lab(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A lab config copy with a migrated store and fast polls; (config path, api port)."""
    cfg_path = copy_config(tmp_path, {"agent": {"snmp": {"interval_s": 2, "jitter_s": 0.5, "timeout_s": 0.3}}})
    cfg = load(cfg_path)
    prepare_store(cfg, cfg.store_url())
    yield cfg_path, cfg.daemon.api.port


def get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)


def answers(port: int, path: str) -> bool:
    try:
        return get(port, path).status_code in (200, 503)
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_serves_metrics_and_health_and_stops_cleanly(ready_lab: tuple[Path, int], sig: signal.Signals) -> None:
    cfg_path, port = ready_lab
    proc = start("run", "--config", str(cfg_path), "--json-logs", cwd=cfg_path.parent)
    try:
        wait_for(lambda: proc.poll() is not None or answers(port, "/healthz"), timeout=90, what="/healthz")
        assert proc.poll() is None, proc.err[-3000:]
        health = get(port, "/healthz").json()
        assert set(health["parts"]) >= {"agent", "correlator", "store", "bus"}
        assert health["parts"]["correlator"]["ok"]
        wait_for(lambda: "linewatch_agent_polls_total{" in get(port, "/metrics").text, timeout=30, what="a poll")
        metrics = get(port, "/metrics").text
        assert "linewatch_correlator_events_total" in metrics
        assert "linewatch_agent_device_up" in metrics
    finally:
        code, err = stop(proc, sig)
    assert code == 0, err[-3000:]
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines, err[-2000:]
    messages = [entry["msg"] for entry in lines]
    assert any("agent lab-agent-1 stopped" in m for m in messages)
    assert any("correlator stopped" in m for m in messages)
    assert messages[-1] == "linewatch stopped"
    assert all("lab-auth-key-2026" not in line for line in err.splitlines())


def test_a_bad_config_is_reported_like_check_config(tmp_path: Path) -> None:
    cfg_path = copy_config(tmp_path, {"correlator": {"batch_max": 0}})
    result = subprocess.run([LINEWATCH, "run", "--config", str(cfg_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "correlator.batch_max" in result.stderr


def test_a_stop_during_start_up_is_a_clean_stop(ready_lab: tuple[Path, int]) -> None:
    cfg_path, _ = ready_lab
    proc = start("run", "--config", str(cfg_path), cwd=cfg_path.parent)
    wait_for(lambda: proc.poll() is not None or bool(proc.lines), timeout=90, what="the first log line")
    code, err = stop(proc)
    assert code == 0, err[-3000:]
    assert "linewatch stopped" in err


def test_a_store_that_is_not_migrated_names_the_fix(tmp_path: Path) -> None:
    cfg_path = copy_config(tmp_path)
    result = subprocess.run([LINEWATCH, "run", "--config", str(cfg_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "linewatch db upgrade" in result.stderr


def test_a_taken_api_port_leaves_the_daemon_running_without_it(ready_lab: tuple[Path, int]) -> None:
    cfg_path, port = ready_lab
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen(1)
        proc = start("run", "--config", str(cfg_path), cwd=cfg_path.parent)
        try:
            proc.wait_log("agent lab-agent-1 running")
            assert proc.poll() is None
        finally:
            code, err = stop(proc)
    assert code == 0
    assert f"cannot listen on 127.0.0.1:{port}" in err and "api.port" in err


def test_correlator_alone_consumes_nats_and_stops_cleanly(ready_lab: tuple[Path, int]) -> None:
    cfg_path, port = ready_lab
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 4222)) != 0:
            need("NATS at 127.0.0.1:4222 is unreachable", "start it (scripts/services.sh nats)")
    token = os.urandom(4).hex()
    patch_yaml(
        cfg_path,
        {"correlator": {"bus": {"stream": f"LWRUN_{token}", "subject": f"lwrun.{token}", "durable": f"run-{token}"}}},
    )
    proc = start("correlator", "--config", str(cfg_path), cwd=cfg_path.parent)
    try:
        wait_for(lambda: proc.poll() is not None or answers(port, "/healthz"), timeout=90, what="/healthz")
        wait_for(lambda: get(port, "/healthz").json()["parts"]["bus"]["ok"], timeout=30, what="the bus")
        assert "linewatch_correlator_batches_total" in get(port, "/metrics").text
    finally:
        code, err = stop(proc)
        subprocess.run(
            [sys.executable, "-c", _DELETE_STREAM, f"LWRUN_{token}"], capture_output=True, timeout=30, check=False
        )
    assert code == 0, err[-3000:]
    assert "correlator stopped" in err


_DELETE_STREAM = """
import asyncio, sys, nats
async def main():
    nc = await nats.connect("nats://127.0.0.1:4222")
    await nc.jetstream().delete_stream(sys.argv[1])
    await nc.close()
asyncio.run(main())
"""
