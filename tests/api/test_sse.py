"""Live updates over a real uvicorn on loopback: an incident change reaches an SSE client, from the
daemon's pipeline stage or, with the API running apart, from the store re-read; reconnects resume."""

from __future__ import annotations

import dataclasses
import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from correlator.api.app import create_app
from correlator.api.live import Broadcaster
from correlator.api.server import BackgroundServer
from correlator.service.pipeline import Batch
from tests.api.conftest import ENV, READ, READ_TOKEN, Lab, cut_part, lab_config, scenario

INC = "INC-20261201T020000Z-58f8b1eb"
WAIT = 20.0


@dataclasses.dataclass
class Sse:
    id: str | None
    event: str
    data: Any


class Listener:
    """An SSE client on a thread: events into a queue."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: queue.Queue[Sse | Exception] = queue.Queue()
        self.status: int | None = None
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(WAIT, read=None))
        self._thread = threading.Thread(target=self._run, args=(url, headers or {}), daemon=True)
        self._thread.start()

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as r:
                self.status = r.status_code
                if r.status_code != 200:
                    self.events.put(RuntimeError(f"HTTP {r.status_code}: {r.read().decode()}"))
                    return
                fields: dict[str, str] = {}
                for line in r.iter_lines():
                    if self._stop.is_set():
                        return
                    if not line:
                        if "event" in fields:
                            self.events.put(Sse(fields.get("id"), fields["event"], json.loads(fields["data"])))
                        fields = {}
                        continue
                    if line.startswith(":"):
                        continue
                    key, _, value = line.partition(": ")
                    fields[key] = value
        except Exception as exc:  # the test reads it from the queue
            if not self._stop.is_set():
                self.events.put(exc)

    def next(self, kind: str | None = None, where: Any = None) -> Sse:
        while True:
            item = self.events.get(timeout=WAIT)
            if isinstance(item, Exception):
                raise item
            if (kind is None or item.event == kind) and (where is None or where(item)):
                return item

    def close(self) -> None:
        self._stop.set()
        self._client.close()


@pytest.fixture
def served(sqlite_lab: Any) -> Iterator[tuple[Lab, str]]:
    events = scenario("duct-cut")
    lab: Lab = sqlite_lab(events[0].observed_at)
    with BackgroundServer(lab.app()) as server:
        yield lab, server.url


def test_an_incident_change_reaches_an_sse_client(served: tuple[Lab, str]) -> None:
    lab, url = served
    listener = Listener(f"{url}/api/v1/events", READ)
    try:
        hello = listener.next("hello")
        assert hello.data["epoch"] == lab.broadcaster.epoch
        lab.feed(cut_part(scenario("duct-cut"))).settle(30)
        ev = listener.next("incident", lambda e: e.data["id"] == INC and e.data["incident"]["published"])
        assert ev.data["change"] in ("opened", "updated")
        doc = ev.data["incident"]
        assert doc["root"]["key"] == "duct:D-013"
        assert {(c["circuit"], c["status"]) for c in doc["circuits"] if c["until"] is None} == {
            ("C-001", "outage"),
            ("C-006", "protection_lost"),
        }
        ticket = listener.next("ticket", lambda e: e.data["change"] == "opened")
        assert ticket.data["ticket_id"].startswith("TK-20261201T020000Z-C-00")
        assert ev.id is not None and ev.id.startswith(lab.broadcaster.epoch + "-")
    finally:
        listener.close()


def test_the_event_stream_takes_the_token_as_a_query_parameter(served: tuple[Lab, str]) -> None:
    _, url = served
    listener = Listener(f"{url}/api/v1/events?access_token={READ_TOKEN}")
    try:
        assert listener.next("hello").event == "hello"
        assert listener.status == 200
    finally:
        listener.close()
    bad = httpx.get(f"{url}/api/v1/events?access_token=wrong", timeout=WAIT)
    assert bad.status_code == 401 and "not valid" in bad.json()["error"]


def test_a_reconnect_with_last_event_id_gets_what_it_missed(served: tuple[Lab, str]) -> None:
    lab, url = served
    first = Listener(f"{url}/api/v1/events", READ)
    try:
        first.next("hello")
        seen = lab.broadcaster.publish("planned_work", {"change": "created", "id": "PWR-A"})
        assert first.next("planned_work").id == seen.id
    finally:
        first.close()
    lab.broadcaster.publish("planned_work", {"change": "updated", "id": "PWR-A"})
    lab.broadcaster.publish("planned_work", {"change": "cancelled", "id": "PWR-A"})
    again = Listener(f"{url}/api/v1/events", {**READ, "Last-Event-ID": seen.id})
    try:
        again.next("hello")
        assert [again.next("planned_work").data["change"] for _ in range(2)] == ["updated", "cancelled"]
    finally:
        again.close()
    stale = Listener(f"{url}/api/v1/events", {**READ, "Last-Event-ID": "0000ff-3"})
    try:
        assert stale.next("resync").data["reason"] == "the server restarted"
    finally:
        stale.close()


def test_the_api_apart_from_the_correlator_sees_changes_in_the_store(sqlite_lab: Any) -> None:
    """``linewatch api`` alone: nothing calls its broadcaster; the store watcher finds the incident."""
    events = scenario("duct-cut")
    lab: Lab = sqlite_lab(events[0].observed_at)
    cfg = lab_config()
    live = cfg.daemon.api.live.model_copy(update={"refresh_s": 0.2})
    api = cfg.daemon.api.model_copy(update={"live": live})
    cfg = dataclasses.replace(cfg, daemon=cfg.daemon.model_copy(update={"api": api}))
    ctx = lab.context(cfg, broadcaster=Broadcaster())
    assert ctx.broadcaster is not lab.broadcaster
    with BackgroundServer(create_app(ctx)) as server:
        listener = Listener(f"{server.url}/api/v1/events", READ)
        try:
            listener.next("hello")
            lab.feed(cut_part(events)).settle(30)
            ev = listener.next("incident", lambda e: e.data["id"] == INC and e.data["incident"]["state"] == "open")
            assert ev.data["incident"]["outage"] == ["C-001"]
            lab.feed(events[len(cut_part(events)) :]).settle(1200)
            gone = listener.next("incident", lambda e: e.data["id"] == INC and e.data["incident"]["state"] == "closed")
            assert gone.data["change"] == "closed"
        finally:
            listener.close()


def test_the_pipeline_stage_hands_changes_to_the_broadcaster(sqlite_lab: Any) -> None:
    import asyncio

    events = scenario("duct-cut")
    lab: Lab = sqlite_lab(events[0].observed_at)
    lab.feed(cut_part(events)).settle(30)
    b = Broadcaster(render_incident=lambda inc: {"state": inc.state.value})
    stage = b.stage()
    assert stage.name == "api"

    async def run() -> list[str]:
        sub = b.subscribe()
        await stage.process(Batch(at=lab.clock.now(), incident_changes=lab.changes, ticket_events=lab.ticket_events))
        got = []
        while (ev := await sub.next(0.1)) is not None:
            got.append(ev.kind)
        sub.close()
        return got

    kinds = asyncio.run(run())
    assert kinds.count("ticket") == len(lab.ticket_events) > 0
    assert kinds.count("incident") == len({ch.incident.id for ch in lab.changes})


def test_the_daemon_app_serves_metrics_health_and_the_api(sqlite_lab: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient
    from prometheus_client import CollectorRegistry, Counter

    from correlator.api.auth import TokenConfigError
    from correlator.api.daemon import daemon_app, health_of

    events = scenario("duct-cut")
    lab: Lab = sqlite_lab(events[0].observed_at)
    registry = CollectorRegistry()
    Counter("linewatch_test_events_total", "test", registry=registry).inc(3)
    state: dict[str, Any] = {"status": "ok", "parts": {"store": {"ok": True, "detail": "ok"}}}

    def build() -> Any:
        return daemon_app(
            lab.cfg,
            lab.engine,
            lab.clock,
            broadcaster=lab.broadcaster,
            registry=registry,
            health=health_of(lambda: state),
        )

    monkeypatch.delenv("LW_API_READ", raising=False)
    with pytest.raises(TokenConfigError, match="api token 'noc-wall': environment variable LW_API_READ is not set"):
        build()
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with TestClient(build()) as c:
        assert "linewatch_test_events_total 3.0" in c.get("/metrics").text
        assert c.get("/healthz").status_code == 200
        state["status"] = "failing"
        assert c.get("/healthz").status_code == 503 and c.get("/healthz").json()["status"] == "failing"
        assert c.get("/api/v1/noc").status_code == 401
        assert c.get("/api/v1/noc", headers=READ).json()["incidents"] == []
