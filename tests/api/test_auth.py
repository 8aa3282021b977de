"""Token authentication: no token 401, bad token 401, read-only on an operator route 403, good tokens
pass; tokens never come back in a body; the query token only on the event stream; anonymous read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from correlator.api.auth import TokenConfigError, TokenTable
from correlator.api.settings import ApiToken, Role
from correlator.secrets import SecretResolver
from tests.api.conftest import OP, OP_TOKEN, READ, READ_TOKEN, Lab, lab_config
from tests.conftest import ROOT

READ_ROUTES = [
    "/api/v1/whoami",
    "/api/v1/info",
    "/api/v1/noc",
    "/api/v1/incidents",
    "/api/v1/alarms",
    "/api/v1/circuits",
    "/api/v1/circuits/C-001",
    "/api/v1/diversity/findings",
    "/api/v1/tickets",
    "/api/v1/planned-work",
]


@pytest.fixture
def duct_cut(duct_cut_sqlite: Lab) -> Lab:
    """The HTTP layer is the same on every store: SQLite only here."""
    return duct_cut_sqlite


def _window(lab: Lab) -> dict[str, object]:
    start = lab.clock.now() + timedelta(days=5)
    return {
        "title": "re-splice CB-EAS-SOU",
        "kind": "line_repair",
        "resources": ["cable:CB-EAS-SOU"],
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
    }


@pytest.mark.parametrize("path", READ_ROUTES)
def test_no_token_is_401_with_a_challenge_and_a_body_naming_the_header(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="linewatch"'
    body = r.json()
    assert set(body) == {"error", "fix"}
    assert "Authorization header is missing" in body["error"]
    assert "Bearer" in body["fix"]


def test_a_wrong_token_is_401_invalid_token_and_is_not_echoed(client: TestClient) -> None:
    guess = READ_TOKEN[:-1] + "X"
    r = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {guess}"})
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    assert "not valid" in r.json()["error"]
    assert guess not in r.text


def test_a_header_that_is_not_bearer_is_401_naming_the_form(client: TestClient) -> None:
    r = client.get("/api/v1/incidents", headers={"Authorization": f"Basic {READ_TOKEN}"})
    assert r.status_code == 401
    assert "'Bearer <token>'" in r.json()["error"]
    assert READ_TOKEN not in r.text


def test_good_tokens_pass_every_read_route(client: TestClient) -> None:
    for path in READ_ROUTES:
        assert client.get(path, headers=READ).status_code == 200, path
        assert client.get(path, headers=OP).status_code == 200, path


def test_whoami_names_the_token_and_its_role(client: TestClient) -> None:
    assert client.get("/api/v1/whoami", headers=READ).json() == {
        "name": "noc-wall",
        "role": "read_only",
        "anonymous_read": False,
    }
    assert client.get("/api/v1/whoami", headers=OP).json()["role"] == "operator"


def test_read_only_token_on_operator_routes_is_403_naming_the_role(client: TestClient, duct_cut: Lab) -> None:
    ticket = client.get("/api/v1/tickets", headers=READ).json()["tickets"][0]["id"]
    writes = [
        ("POST", f"/api/v1/tickets/{ticket}/transitions", {"action": "dispatch", "team": "JC-Line-1"}),
        ("POST", "/api/v1/planned-work", _window(duct_cut)),
        ("PATCH", "/api/v1/planned-work/PW-2026-12-001", {"title": "x"}),
        ("POST", "/api/v1/planned-work/PW-2026-12-001/cancel", {"reason": "x"}),
    ]
    for method, path, body in writes:
        r = client.request(method, path, headers=READ, json=body)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"] == "this route needs the operator role; token 'noc-wall' has read_only"
        assert "role operator" in r.json()["fix"]
        r = client.request(method, path, json=body)
        assert r.status_code == 401, path
    # nothing was written by the refused calls
    t = client.get(f"/api/v1/tickets/{ticket}", headers=READ).json()
    assert t["state"] == "opened" and [tr["action"] for tr in t["transitions"]] == ["open"]


def test_operator_token_is_200_and_recorded_as_the_actor(client: TestClient) -> None:
    ticket = client.get("/api/v1/tickets", headers=OP).json()["tickets"][0]["id"]
    r = client.post(
        f"/api/v1/tickets/{ticket}/transitions", headers=OP, json={"action": "dispatch", "team": "JC-Line-1"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "dispatched"
    assert r.json()["transitions"][-1]["actor"] == "api:noc-op"


def test_query_token_is_accepted_on_the_event_stream_only(client: TestClient) -> None:
    r = client.get(f"/api/v1/incidents?access_token={READ_TOKEN}")
    assert r.status_code == 401
    r = client.get("/api/v1/events?access_token=wrong")
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    r = client.get("/api/v1/events")
    assert r.status_code == 401
    assert "?access_token=" in r.json()["error"]


def test_anonymous_read_lets_get_through_but_not_writes(duct_cut: Lab) -> None:
    with TestClient(duct_cut.app(lab_config(anonymous_read=True))) as c:
        me = c.get("/api/v1/whoami")
        assert me.status_code == 200
        assert me.json() == {"name": "anonymous", "role": "read_only", "anonymous_read": True}
        assert c.get("/api/v1/noc").status_code == 200
        r = c.post("/api/v1/planned-work", json=_window(duct_cut))
        assert r.status_code == 401
        assert c.get("/api/v1/noc", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_no_tokens_configured_says_how_to_add_one(duct_cut: Lab) -> None:
    cfg = lab_config()
    bare = cfg.daemon.model_copy(update={"api": cfg.daemon.api.model_copy(update={"tokens": []})})
    import dataclasses

    with TestClient(duct_cut.app(dataclasses.replace(cfg, daemon=bare))) as c:
        r = c.get("/api/v1/noc")
        assert r.status_code == 401
        assert "add api.tokens" in r.json()["fix"]


def test_token_references_resolve_and_errors_name_the_token_not_the_value(tmp_path: object) -> None:
    resolver = SecretResolver(ROOT, env={"A": "alpha-secret", "B": "alpha-secret"})
    table = TokenTable.resolve([ApiToken(name="a", role=Role.read_only, secret="env:A")], resolver)
    assert table.match("alpha-secret") is not None
    assert table.match("alpha-secre") is None
    assert table.match("") is None
    with pytest.raises(TokenConfigError, match="api token 'c': environment variable C is not set"):
        TokenTable.resolve([ApiToken(name="c", role=Role.operator, secret="env:C")], resolver)
    with pytest.raises(TokenConfigError, match="'a' and 'b' have the same value") as err:
        TokenTable.resolve(
            [
                ApiToken(name="a", role=Role.read_only, secret="env:A"),
                ApiToken(name="b", role=Role.operator, secret="env:B"),
            ],
            resolver,
        )
    assert "alpha-secret" not in str(err.value)


def test_config_refuses_a_literal_token_and_duplicate_names() -> None:
    from pydantic import ValidationError

    from correlator.service.settings import ApiSettings

    with pytest.raises(ValidationError, match="never the token itself"):
        ApiSettings.model_validate({"tokens": [{"name": "x", "role": "operator", "secret": OP_TOKEN}]})
    with pytest.raises(ValidationError, match="token name x is used twice"):
        ApiSettings.model_validate(
            {
                "tokens": [
                    {"name": "x", "role": "operator", "secret": "env:A"},
                    {"name": "x", "role": "read_only", "secret": "env:B"},
                ]
            }
        )
    with pytest.raises(ValidationError, match="role"):
        ApiSettings.model_validate({"tokens": [{"name": "x", "role": "admin", "secret": "env:A"}]})
