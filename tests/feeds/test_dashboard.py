"""The Grafana dashboard (deploy/grafana/linewatch.json) queries only metrics the code exposes.

The metric names are taken from the real registries (the agent's, with every gauge the shipped
device profiles define, and the correlator's), so renaming a metric without the dashboard fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from agent.metrics import PREFIX as AGENT_PREFIX
from agent.metrics import AgentMetrics
from correlator.feeds import CorrelatorMetrics
from tests.conftest import ROOT
from tests.correlator.conftest import lab_network

DASHBOARD = ROOT / "deploy" / "grafana" / "linewatch.json"
PROFILES = ROOT / "config" / "profiles"
METRIC = re.compile(r"\blinewatch_[a-z0-9_]+")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}


def profile_gauges() -> set[str]:
    """Every gauge name the shipped profiles define (tables' ``gauges`` and ``optical.gauge``)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for g in node.get("gauges") or []:
                if isinstance(g, dict) and "name" in g:
                    names.add(g["name"])
            optical = node.get("optical")
            if isinstance(optical, dict):
                names.add(optical.get("gauge", "optical_rx_dbm"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in PROFILES.glob("*.yaml"):
        walk(yaml.safe_load(path.read_text()))
    return names


def series_names(registry: CollectorRegistry) -> set[str]:
    out: set[str] = set()
    for family in registry.collect():
        out.add(family.name)
        out.update(family.name + s for s in SUFFIXES.get(family.type, ()))
    return out


def known_metrics() -> set[str]:
    agent = AgentMetrics()
    for gauge in profile_gauges():
        agent._family(gauge)  # the family the agent creates when a profile reports this gauge
    _, index = lab_network()
    correlator = CorrelatorMetrics(index=index)
    return series_names(agent.registry) | series_names(correlator.registry)


def queries(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, v in node.items():
            if key in ("expr", "definition") and isinstance(v, str):
                yield v
            elif key == "query" and isinstance(v, str | dict):
                yield v if isinstance(v, str) else str(v.get("query", ""))
            else:
                yield from queries(v)
    elif isinstance(node, list):
        for v in node:
            yield from queries(v)


def test_dashboard_is_valid_grafana_json() -> None:
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and dash["title"] and dash["schemaVersion"] >= 36
    panels = dash["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    for p in panels:
        assert {"x", "y", "w", "h"} <= p["gridPos"].keys() and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
        if p["type"] != "row":
            assert p["targets"], p["title"]
            assert all(t["expr"] for t in p["targets"])
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "tier", "device"} <= variables


def test_every_metric_the_dashboard_queries_exists_in_the_code() -> None:
    dash = json.loads(DASHBOARD.read_text())
    used = {m for q in queries(dash) for m in METRIC.findall(q)}
    known = known_metrics()
    assert used - known == set(), f"the dashboard queries metrics no registry has: {sorted(used - known)}"
    # and it covers both sides: the agent's polling and the correlator's impact and feeds
    assert {m for m in used if m.startswith(AGENT_PREFIX)}
    for name in (
        "linewatch_incidents_open",
        "linewatch_single_route_risk_circuits",
        "linewatch_tickets_open",
        "linewatch_sla_breaches_total",
        "linewatch_circuit_availability_ratio",
        "linewatch_feed_deliveries_total",
        "linewatch_feed_outbox_pending",
    ):
        assert name in used, name


def test_the_check_catches_a_renamed_metric() -> None:
    known = known_metrics()
    assert "linewatch_incidents_open" in known
    assert "linewatch_incident_open" not in known
    assert "linewatch_agent_poll_duration_seconds_bucket" in known
    assert "linewatch_agent_pw_up" in known  # a profile gauge
