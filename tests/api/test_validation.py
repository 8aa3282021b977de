"""Bad input gets a 422 whose body names the field (and never echoes a value), and every other error
has the same ``{"error", "fix"}`` shape: unknown routes, methods, ids, refused transitions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OP, READ, Lab


@pytest.fixture
def duct_cut(duct_cut_sqlite: Lab) -> Lab:
    """The HTTP layer is the same on every store: SQLite only here."""
    return duct_cut_sqlite


def fields(r: Any) -> list[str]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"error", "fix", "fields"}
    for f in body["fields"]:
        assert f["field"] in body["error"]
    return [f["field"] for f in body["fields"]]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/alarms?since=2026-12-01T02:00:00", "query.since"),
        ("/api/v1/alarms?since=yesterday", "query.since"),
        ("/api/v1/alarms?state=burning", "query.state"),
        ("/api/v1/alarms?limit=0", "query.limit"),
        ("/api/v1/alarms?severity=fatal", "query.severity"),
        ("/api/v1/incidents?state=exploded", "query.state"),
        ("/api/v1/incidents?limit=999999", "query.limit"),
        ("/api/v1/circuits?tier=gold", "query.tier"),
        ("/api/v1/circuits/C-001?start=2026-12-01", "query.start"),
        ("/api/v1/diversity/findings?rule=shared_everything", "query.rule"),
        ("/api/v1/tickets?state=lost", "query.state"),
    ],
)
def test_query_errors_name_the_parameter(client: TestClient, path: str, field: str) -> None:
    assert fields(client.get(path, headers=READ)) == [field]


def test_a_naive_time_gets_a_fix_with_an_offset(client: TestClient) -> None:
    r = client.get("/api/v1/alarms?since=2026-12-01T02:00:00", headers=READ)
    assert "+08:00" in r.json()["fix"]


def test_availability_period_end_before_start_names_end(client: TestClient) -> None:
    r = client.get(
        "/api/v1/circuits/C-001?start=2026-12-01T09:00:00%2B08:00&end=2026-12-01T08:00:00%2B08:00", headers=READ
    )
    assert fields(r) == ["query.end"]


def _window(lab: Lab, **over: Any) -> dict[str, Any]:
    start = lab.clock.now() + timedelta(days=5)
    body: dict[str, Any] = {
        "title": "re-splice CB-EAS-SOU",
        "kind": "line_repair",
        "resources": ["cable:CB-EAS-SOU"],
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
    }
    body.update(over)
    return body


def test_planned_work_body_errors_name_the_field(client: TestClient, duct_cut: Lab) -> None:
    post = "/api/v1/planned-work"
    body = _window(duct_cut)
    del body["end"]
    assert fields(client.post(post, headers=OP, json=body)) == ["body.end"]
    start = duct_cut.clock.now() + timedelta(days=5)
    assert fields(
        client.post(post, headers=OP, json=_window(duct_cut, end=(start - timedelta(hours=1)).isoformat()))
    ) == ["body.end"]
    assert fields(client.post(post, headers=OP, json=_window(duct_cut, start="2026-12-06T10:00:00"))) == ["body.start"]
    assert fields(client.post(post, headers=OP, json=_window(duct_cut, kind="demolition"))) == ["body.kind"]
    assert fields(client.post(post, headers=OP, json=_window(duct_cut, colour="red"))) == ["body.colour"]
    r = client.post(post, headers=OP, json=_window(duct_cut, resources=["cable:CB-EAS-SOU", "duct:D-999"]))
    assert fields(r) == ["body.resources[1]"]
    assert "D-999" in r.json()["error"]
    assert fields(client.post(post, headers=OP, json=_window(duct_cut, approved=True))) == ["body.approved_by"]
    r = client.post(post, headers={**OP, "Content-Type": "application/json"}, content=b"{not json")
    assert r.status_code == 422 and "JSON" in r.json()["fix"]
    # nothing was stored by the refused requests
    ids = [w["id"] for w in client.get("/api/v1/planned-work", headers=READ).json()["windows"]]
    assert ids == ["PW-2026-12-001", "PW-2026-12-002", "PW-2026-12-003"]


def test_ticket_transition_errors_name_the_field(client: TestClient) -> None:
    tid = client.get("/api/v1/tickets", headers=READ).json()["tickets"][0]["id"]
    path = f"/api/v1/tickets/{tid}/transitions"
    assert fields(client.post(path, headers=OP, json={"action": "dispatch"})) == ["body.team"]
    assert fields(client.post(path, headers=OP, json={"action": "teleport"})) == ["body.action"]
    assert fields(client.post(path, headers=OP, json={"action": "accept", "at": "2026-12-01 10:05"})) == ["body.at"]
    r = client.post(path, headers=OP, json={"action": "dispatch", "team": "T1", "at": "2030-01-01T00:00:00Z"})
    assert fields(r) == ["body.at"]
    assert "future" in r.json()["error"]
    r = client.post(path, headers=OP, json={"action": "close", "cause": "gremlins"})
    assert fields(r) == ["body.cause"]


def test_a_transition_not_allowed_now_is_409_listing_what_is(client: TestClient) -> None:
    tid = client.get("/api/v1/tickets", headers=READ).json()["tickets"][0]["id"]
    r = client.post(f"/api/v1/tickets/{tid}/transitions", headers=OP, json={"action": "confirm", "team": "T1"})
    assert r.status_code == 409
    assert r.json()["error"].startswith(f"ticket {tid} is opened: cannot confirm")
    assert r.json()["fix"] == "use an action allowed now: dispatch"


def test_unknown_ids_routes_and_methods(client: TestClient) -> None:
    r = client.get("/api/v1/incidents/INC-nope", headers=READ)
    assert r.status_code == 404
    assert r.json() == {
        "error": "no incident 'INC-nope'",
        "fix": "list the known ones with GET /api/v1/incidents?state=all",
    }
    assert client.get("/api/v1/circuits/C-999", headers=READ).status_code == 404
    assert client.get("/api/v1/tickets/TK-nope", headers=READ).status_code == 404
    assert client.get("/api/v1/planned-work/PW-nope", headers=READ).status_code == 404
    r = client.post("/api/v1/tickets/TK-nope/transitions", headers=OP, json={"action": "accept"})
    assert r.status_code == 404
    r = client.get("/api/v1/nothing-here", headers=READ)
    assert r.status_code == 404 and set(r.json()) == {"error", "fix"}
    r = client.delete("/api/v1/incidents", headers=OP)
    assert r.status_code == 405 and "GET" in r.json()["fix"]


def test_an_inventory_window_cannot_change_through_the_api(client: TestClient) -> None:
    r = client.patch("/api/v1/planned-work/PW-2026-12-001", headers=OP, json={"title": "other"})
    assert r.status_code == 409
    assert "inventory" in r.json()["error"]
