"""Alerts pushed to a real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) on loopback.

A lab scenario (duct D-013 cut: C-001 in outage, C-006 down to one route) is replayed through the
correlator into the feeds. Alertmanager judges alerts by its own wall clock, so the recorded stream
is moved to end a few seconds ago (the same events, the same gaps), and the feeds run on the
system clock. The alerts are read back through Alertmanager's API: labels, annotations, generator
URL; then the clears resolve them, an Alertmanager restart is healed by the re-sends, and a restart
of the feeds carries on from the store.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest
from sqlalchemy import Engine

from correlator.clock import SystemClock
from correlator.feeds import Feeds, FeedsSettings
from correlator.secrets import SecretResolver
from correlator.wire import AlarmEvent
from tests.conftest import need
from tests.correlator.conftest import read_jsonl
from tests.feeds.conftest import SECRET_ENV, FeedingHarness, free_port, make_feeds

AM_BIN = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
AM_CONFIG = """\
route:
  receiver: noc
  group_by: [tier]
receivers:
  - name: noc
"""


class Alertmanager:
    """A private Alertmanager process: its own port, config and storage; no cluster."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.auth: tuple[str, str] | None = None
        (tmp / "alertmanager.yml").write_text(AM_CONFIG)

    def require_basic_auth(self, user: str, password: str) -> None:
        """Restart with HTTP basic authentication on its API (exporter-toolkit web config)."""
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
        (self.tmp / "web.yml").write_text(f"basic_auth_users:\n  {user}: '{hashed}'\n")
        self.auth = (user, password)
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.tmp / "alertmanager.log").open("ab")
        self.proc = subprocess.Popen(
            [
                AM_BIN,
                f"--config.file={self.tmp / 'alertmanager.yml'}",
                f"--storage.path={self.tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
                *([f"--web.config.file={self.tmp / 'web.yml'}"] if self.auth else []),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(200):
            if self.proc.poll() is not None:
                raise RuntimeError(f"alertmanager exited: {(self.tmp / 'alertmanager.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1, auth=self.auth).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("alertmanager did not become ready")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def alerts(self, **filters: str) -> list[dict[str, Any]]:
        params = httpx.QueryParams([("filter", f'{k}="{v}"') for k, v in filters.items()])
        resp = httpx.get(f"{self.url}/api/v2/alerts", params=params, timeout=5, auth=self.auth)
        resp.raise_for_status()
        out: list[dict[str, Any]] = resp.json()
        return sorted(out, key=lambda a: a["labels"]["circuit"])


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    if not os.access(AM_BIN, os.X_OK):
        need(
            "prometheus-alertmanager is not installed",
            "apt-get install prometheus-alertmanager (scripts/debian-packages.txt)",
        )
    am = Alertmanager(tmp_path)
    am.start()
    yield am
    am.stop()


def am_settings(url: str, **dest: Any) -> FeedsSettings:
    spec = {
        "name": "noc-am",
        "url": url,
        "resend_interval_s": 0.5,
        "backoff": {"base_s": 0.05, "max_s": 0.2},
        "extra_labels": {"source": "linewatch-test"},
    } | dest
    return FeedsSettings.model_validate(
        {"external_url": "http://noc.example:8080", "poll_interval_s": 0.05, "alertmanagers": [spec]}
    )


def to_present(events: list[AlarmEvent], end_ago_s: float = 5) -> list[AlarmEvent]:
    """The same events moved so that the last one was seen ``end_ago_s`` seconds ago."""
    shift = datetime.now(UTC) - timedelta(seconds=end_ago_s) - events[-1].observed_at
    out = []
    for e in events:
        moved: dict[str, Any] = {"raised_at": e.raised_at + shift, "observed_at": e.observed_at + shift}
        if e.cleared_at is not None:
            moved["cleared_at"] = e.cleared_at + shift
        out.append(e.model_copy(update=moved))
    return out


async def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def raises_and_clears(events: list[AlarmEvent]) -> tuple[list[AlarmEvent], list[AlarmEvent]]:
    n = next(i for i, e in enumerate(events) if e.action.value == "clear")
    return events[:n], events[n:]


@pytest.mark.asyncio
async def test_alerts_per_circuit_visible_in_alertmanager_then_resolved_by_the_clear(
    store: Engine, alertmanager: Alertmanager, feeding: Callable[..., FeedingHarness]
) -> None:
    events = to_present(read_jsonl("duct-cut"))
    raises, clears = raises_and_clears(events)
    feeds = make_feeds(store, am_settings(alertmanager.url))
    h = feeding(feeds, start=events[0].observed_at)
    h.feed(*raises)
    h.settle(30)
    inc = h.only()
    task = asyncio.create_task(feeds.run())

    await until(lambda: len(alertmanager.alerts(incident=inc.id)) == 2, "two alerts in Alertmanager")
    alerts = alertmanager.alerts(incident=inc.id)
    outage, lost = alerts
    assert outage["labels"] == {
        "alertname": "LinewatchCircuitOutage",
        "customer": inc.circuits["C-001"].customer,
        "tier": inc.circuits["C-001"].tier.value,
        "maintenance_level": inc.circuits["C-001"].maintenance_level.value,
        "service_level": inc.circuits["C-001"].service_level.value,
        "circuit": "C-001",
        "incident": inc.id,
        "severity": "critical",
        "source": "linewatch-test",
    }
    assert lost["labels"]["alertname"] == "LinewatchProtectionLost"
    assert lost["labels"]["circuit"] == "C-006" and lost["labels"]["severity"] == "major"
    for a in alerts:
        assert a["status"]["state"] == "active"
        assert a["generatorURL"] == f"http://noc.example:8080/incidents/{inc.id}"
        assert a["annotations"]["root_cause"] == "duct:D-013"
        assert a["annotations"]["root_cause_kind"] == "duct"
        assert a["annotations"]["root_cause_id"] == "D-013"
        assert a["annotations"]["symptom_count"] == str(len(inc.symptoms))
        assert "Root cause: duct D-013 (rule shared-duct)" in a["annotations"]["description"]
        assert datetime.fromisoformat(a["endsAt"]) > datetime.now(UTC)  # firing, kept alive by re-sends
    assert lost["annotations"]["route_state"] == "single_route_risk"
    assert feeds.alert_counts()[("noc-am", "firing")] == 2

    h.feed(*clears)
    h.settle(5)
    await until(lambda: alertmanager.alerts(incident=inc.id) == [], "the alerts resolved")
    # C-001 came back on one path first: single-route risk (a third alert) until both were up
    await until(lambda: feeds.alert_counts().get(("noc-am", "resolved")) == 3, "the book to hold three resolved")
    keys = {a.key.split("|", 1)[1] for a in feeds.alert_book.live("noc-am", datetime.now(UTC), 3600)}
    assert keys == {"C-001|LinewatchCircuitOutage", "C-001|LinewatchProtectionLost", "C-006|LinewatchProtectionLost"}
    feeds.stop()
    await asyncio.wait_for(task, 30)
    assert feeds.metrics.registry.get_sample_value(
        "linewatch_feed_deliveries_total", {"destination": "noc-am", "result": "delivered"}
    )


@pytest.mark.asyncio
async def test_resends_heal_an_alertmanager_restart_and_a_feeds_restart_carries_on(
    store: Engine, alertmanager: Alertmanager, feeding: Callable[..., FeedingHarness]
) -> None:
    events = to_present(read_jsonl("sdh-span-cut"))
    raises, clears = raises_and_clears(events)
    settings = am_settings(alertmanager.url, alert_ttl_s=600)  # only a pushed resolve ends them
    feeds = make_feeds(store, settings)
    h = feeding(feeds, start=events[0].observed_at)
    h.feed(*raises)
    h.settle(30)
    inc = h.only()
    task = asyncio.create_task(feeds.run())
    await until(lambda: len(alertmanager.alerts(incident=inc.id)) == 2, "the alerts")

    alertmanager.stop()  # Alertmanager keeps no alerts across a restart
    alertmanager.start()
    assert alertmanager.alerts(incident=inc.id) == []
    await until(lambda: len(alertmanager.alerts(incident=inc.id)) == 2, "the re-sent alerts")
    assert {a["labels"]["alertname"] for a in alertmanager.alerts(incident=inc.id)} == {"LinewatchProtectionLost"}

    # the feeds stop; the clears come while no sender runs; a new Feeds on the store resolves them
    feeds.stop()
    await asyncio.wait_for(task, 30)
    h.feeds = restarted = make_feeds(store, settings)
    h.feed(*clears)
    h.settle(5)
    assert len(alertmanager.alerts(incident=inc.id)) == 2  # still firing: nobody told Alertmanager yet
    task = asyncio.create_task(restarted.run())
    await until(lambda: alertmanager.alerts(incident=inc.id) == [], "the resolution from the restarted feeds")
    assert restarted.alert_counts()[("noc-am", "resolved")] == 2
    restarted.stop()
    await asyncio.wait_for(task, 30)


@pytest.mark.asyncio
async def test_basic_auth_from_a_secret_reference_and_a_wrong_password_refused_unlogged(
    store: Engine,
    alertmanager: Alertmanager,
    feeding: Callable[..., FeedingHarness],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    alertmanager.require_basic_auth("linewatch", "am-pass-7d2e")
    events = to_present(read_jsonl("cpe-power-off"))
    raises, _ = raises_and_clears(events)
    auth = {"basic_auth": {"username": "linewatch", "password": "env:LW_TEST_AM_PASSWORD"}}
    settings = am_settings(alertmanager.url, **auth)
    wrong = Feeds(
        store,
        settings,
        SecretResolver(Path("."), env={**SECRET_ENV, "LW_TEST_AM_PASSWORD": "not-the-pass-91"}),
        SystemClock(),
    )
    h = feeding(wrong, start=events[0].observed_at)
    h.feed(*raises)
    h.settle(30)
    inc = h.only()
    task = asyncio.create_task(wrong.run())
    rejected = {"destination": "noc-am", "result": "rejected"}
    await until(
        lambda: (wrong.metrics.registry.get_sample_value("linewatch_feed_deliveries_total", rejected) or 0) >= 2,
        "refusals",
    )
    wrong.stop()
    await asyncio.wait_for(task, 30)
    assert alertmanager.alerts(incident=inc.id) == []
    assert "HTTP 401" in caplog.text and "not-the-pass-91" not in caplog.text

    right = Feeds(
        store,
        settings,
        SecretResolver(Path("."), env={**SECRET_ENV, "LW_TEST_AM_PASSWORD": "am-pass-7d2e"}),
        SystemClock(),
    )
    task = asyncio.create_task(right.run())
    await until(lambda: len(alertmanager.alerts(incident=inc.id)) == 1, "the alert with the right password")
    right.stop()
    await asyncio.wait_for(task, 30)
    [alert] = alertmanager.alerts(incident=inc.id)
    assert alert["labels"]["circuit"] == "C-011" and alert["labels"]["alertname"] == "LinewatchCircuitOutage"
    assert "am-pass-7d2e" not in caplog.text
