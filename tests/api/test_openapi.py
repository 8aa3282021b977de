"""The OpenAPI document lists every route; the docs page and the NOC page load nothing from a CDN."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from correlator.web import STATIC_DIR
from tests.api.conftest import Lab

URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}""")


@pytest.fixture
def duct_cut(duct_cut_sqlite: Lab) -> Lab:
    """The HTTP layer is the same on every store: SQLite only here."""
    return duct_cut_sqlite


def test_the_openapi_document_lists_every_route(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    routes: list[tuple[str, str]] = client.app.state.api_routes  # type: ignore[attr-defined]
    assert len(routes) == 18
    for method, path in routes:
        assert path.startswith("/api/v1/")
        assert method.lower() in paths.get(path, {}), (method, path)
    assert len([m for ops in paths.values() for m in ops]) == len(routes)
    expected = {
        "/api/v1/alarms": {"get"},
        "/api/v1/incidents": {"get"},
        "/api/v1/incidents/{incident_id}": {"get"},
        "/api/v1/circuits": {"get"},
        "/api/v1/circuits/{circuit_id}": {"get"},
        "/api/v1/diversity/findings": {"get"},
        "/api/v1/tickets": {"get"},
        "/api/v1/tickets/{ticket_id}": {"get"},
        "/api/v1/tickets/{ticket_id}/transitions": {"post"},
        "/api/v1/planned-work": {"get", "post"},
        "/api/v1/planned-work/{window_id}": {"get", "patch"},
        "/api/v1/planned-work/{window_id}/cancel": {"post"},
        "/api/v1/events": {"get"},
        "/api/v1/noc": {"get"},
        "/api/v1/whoami": {"get"},
        "/api/v1/info": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
    # the page and the docs are not API routes
    assert not any(p.startswith(("/noc", "/docs")) for p in paths)
    schemas = doc["components"]["schemas"]
    for name in ("IncidentDetail", "TicketDetail", "PlannedWorkOut", "NocSummary", "ErrorOut", "ValidationErrorOut"):
        assert name in schemas, name
    post = paths["/api/v1/tickets/{ticket_id}/transitions"]["post"]
    assert {"403", "409", "422"} <= set(post["responses"])
    assert doc["components"]["securitySchemes"]


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "/docs/static/swagger-ui-bundle.js" in html and "/openapi.json" in html
    assert not URL.search(html.replace("http://www.w3.org", "")), URL.findall(html)
    js = client.get("/docs/static/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    assert client.get("/redoc").status_code == 404


def test_the_noc_page_and_its_files_load_nothing_from_outside(client: TestClient) -> None:
    r = client.get("/noc/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for name in ("index.html", "noc.css", "noc.js"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not URL.search(text), (name, URL.findall(text))
    for ref in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        if ref == "data:,":  # the empty favicon: no request at all
            continue
        assert ref.startswith("/noc/static/"), ref
        assert client.get(ref).status_code == 200, ref
    assert client.get("/", follow_redirects=False).headers["location"] == "/noc/"
