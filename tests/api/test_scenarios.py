"""Every recorded scenario (tests/data/events/*.jsonl) through the correlator into the store: the API
shows the incidents, circuits and tickets that ``linewatch replay`` finds for the same stream."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from correlator.correlation.model import IncidentState
from correlator.correlation.replay import replay
from correlator.correlation.rules import load_rules
from tests.api.conftest import READ, SCENARIOS, Lab, lab_config, scenario


def get(c: TestClient, path: str) -> Any:
    r = c.get(path, headers=READ)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("name", SCENARIOS)
def test_api_shows_what_replay_finds(lab_at: Any, name: str) -> None:
    events = scenario(name)
    expected = replay(lab_config(), load_rules(), events, source=name)
    lab: Lab = lab_at(events[0].observed_at)
    lab.feed(events).until(expected.end)
    with TestClient(lab.app()) as c:
        listed = get(c, "/api/v1/incidents?state=all&published=true&limit=2000")["incidents"]
        want = {i.id: i for i in expected.published()}
        assert {i["id"] for i in listed} == set(want), name
        for doc in listed:
            inc = want[doc["id"]]
            assert doc["root"]["key"] == inc.root_key
            assert doc["state"] == inc.state.value
            assert {(c["circuit"], c["status"]) for c in doc["circuits"]} == {
                (c.circuit, c.status.value) for c in inc.circuits.values()
            }
            detail = get(c, f"/api/v1/incidents/{doc['id']}")
            assert {s["alarm"] for s in detail["symptoms"]} == set(inc.symptoms)
            assert len(detail["history"]) == len(inc.history)
        tickets = get(c, "/api/v1/tickets?state=all")["tickets"]
        assert sorted((t["circuit"], t["kind"], t["state"]) for t in tickets) == sorted(
            (t.circuit_id, t.kind.value, t.state.value) for t in expected.tickets
        ), name
        active = get(c, "/api/v1/incidents")["incidents"]
        assert {i["id"] for i in active} == {
            i.id
            for i in expected.incidents
            if i.state in (IncidentState.settling, IncidentState.open, IncidentState.cleared)
        }
        noc = get(c, "/api/v1/noc")
        assert noc["notes"] == []
        hurt_now = {c.circuit for i in expected.published() if i.state is IncidentState.open for c in i.impacted()}
        circuits = get(c, "/api/v1/circuits")["circuits"]
        assert {x["id"] for x in circuits if x["status"] != "ok"} == hurt_now
        alarms = get(c, "/api/v1/alarms?state=standing&limit=5000")
        assert alarms["total"] == expected.alarms_standing
