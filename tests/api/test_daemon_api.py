"""The API inside the correlator daemon, as ``linewatch correlator`` and ``linewatch run`` wire it:
the daemon's stages end with the API's broadcaster, its HTTP endpoint serves the API and the page
(and /metrics, /healthz); events handed to the daemon reach an SSE client as a published incident,
with the tickets the daemon's ticket book opened."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from correlator.service.daemon import CorrelatorService
from correlator.service.health import Health
from correlator.service.http import AppContext, HttpServer, build_app
from correlator.service.sources import InProcessSource
from correlator.service.stages import build_stages
from tests.api.conftest import cut_part, scenario, shifted
from tests.service.conftest import copy_config, load, prepare_store, until

pytestmark = pytest.mark.asyncio
READ = {"Authorization": "Bearer lab-noc-read-2026"}
OP = {"Authorization": "Bearer lab-noc-op-2026"}


async def test_events_into_the_daemon_reach_the_api_and_its_live_clients(tmp_path: Path) -> None:
    cfg = load(copy_config(tmp_path))
    prepare_store(cfg, cfg.store_url())
    source = InProcessSource()
    health = Health()
    service = CorrelatorService.build(cfg, source, health=health, freeze=False)
    built = build_stages(cfg, service)
    service.pipeline.stages = list(built.stages)
    assert [s.name for s in built.stages][-1] == "api"
    context = AppContext(
        health, [service.metrics.registry, *built.registries], cfg, service.engine, service, dict(built.parts)
    )
    http = HttpServer(build_app(context), cfg.daemon.api)
    url = await http.start()
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    received: list[dict[str, object]] = []
    try:
        async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=None)) as client:
            assert (await client.get("/healthz")).status_code == 200
            assert "linewatch_correlator_events_total" in (await client.get("/metrics")).text
            assert (await client.get("/api/v1/noc")).status_code == 401
            assert (await client.get("/api/v1/whoami", headers=OP)).json()["role"] == "operator"

            async def listen() -> None:
                async with client.stream("GET", "/api/v1/events", headers=READ) as r:
                    assert r.status_code == 200
                    event: dict[str, str] = {}
                    async for line in r.aiter_lines():
                        if line:
                            key, _, value = line.partition(": ")
                            event[key] = value
                            continue
                        if event.get("event") in ("incident", "ticket"):
                            received.append({"kind": event["event"], **json.loads(event["data"])})
                        event = {}

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0.3)
            cut = cut_part(scenario("duct-cut"))  # moved so that its last event is now (none from the future)
            events = shifted(cut, datetime.now(UTC) - (cut[-1].observed_at - cut[0].observed_at))
            await source.publisher().publish(events)

            def opened() -> bool:
                return any(
                    e["kind"] == "incident" and e["incident"]["published"] and e["incident"]["state"] == "open"  # type: ignore[index]
                    for e in received
                )

            await until(opened, timeout=30)
            await until(lambda: any(e["kind"] == "ticket" for e in received), timeout=30)
            listener.cancel()
            noc = (await client.get("/api/v1/noc", headers=READ)).json()
            assert [i["root"]["key"] for i in noc["incidents"]] == ["duct:D-013"]
            inc = noc["incidents"][0]
            assert inc["outage"] == ["C-001"] and inc["single_route_risk"] == ["C-006"]
            assert inc["deadline"]["ticket"] is not None and inc["deadline"]["clock"] == "dispatch"
            tid = inc["deadline"]["ticket"]
            r = await client.post(
                f"/api/v1/tickets/{tid}/transitions", headers=OP, json={"action": "dispatch", "team": "JC-Line-1"}
            )
            assert r.status_code == 200, r.text
            assert r.json()["state"] == "dispatched"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
        await http.stop()
        service.engine.dispose()
