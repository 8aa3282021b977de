"""The demo end to end: the lab simulators, ``linewatch run`` as a real process, a duct cut with
``linewatch lab break``; the daemon's store gets the incident rooted at the duct with the circuits
the what-if names, tickets open, and healing clears it. And ``make run`` answers /metrics and
/healthz and stops everything on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from agent.sim.lab import Lab
from correlator.configfile.loader import load_config
from correlator.correlation.tables import ImpactHistoryRow, IncidentRow
from correlator.diversity.expand import NetworkIndex
from correlator.diversity.whatif import what_if
from correlator.store.db import make_engine
from correlator.tickets.tables import TicketRow
from tests.conftest import ROOT
from tests.lab.conftest import start_lab
from tests.service.conftest import copy_config, load, prepare_store, wait_for
from tests.service.test_run import Daemon

LINEWATCH = str(Path(sys.executable).parent / "linewatch")
DEMO = {
    "agent": {"snmp": {"interval_s": 8, "jitter_s": 1, "timeout_s": 2.0, "retries": 1, "unreachable_after": 3}},
}


def rows(url: str, table: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(table)).all())
    finally:
        engine.dispose()


def value(v: Any) -> str:
    return str(getattr(v, "value", v))


def test_a_duct_cut_in_the_lab_becomes_an_incident_with_tickets_and_clears_when_healed(tmp_path: Path) -> None:
    cfg_path = copy_config(tmp_path, DEMO)
    cfg = load(cfg_path)
    url = cfg.store_url()
    prepare_store(cfg, url)
    lab = start_lab(cfg_path)
    daemon = Daemon("run", "--config", str(cfg_path), cwd=cfg_path.parent)
    try:
        daemon.wait_log("agent lab-agent-1 running")
        wait_for(lambda: "polled" in daemon.err or "linewatch_agent" in _metrics(cfg), timeout=60, what="a poll")
        out = subprocess.run(
            [LINEWATCH, "lab", "break", "--config", str(cfg_path), "--cut", "duct:D-013"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr

        def duct_open() -> bool:
            return any(
                r.root_kind == "duct" and r.root_id == "D-013" and value(r.state) == "open"
                for r in rows(url, IncidentRow)
            )

        wait_for(duct_open, timeout=180, what="an open incident rooted at duct:D-013")
        incident = next(r for r in rows(url, IncidentRow) if r.root_kind == "duct" and r.root_id == "D-013")
        history = [h for h in rows(url, ImpactHistoryRow) if h.incident_id == incident.id]
        expected = what_if(NetworkIndex(cfg.inventory, cfg.policy), ["duct:D-013"])
        outage = {h.circuit_id for h in history if value(h.status) == "outage"}
        lost = {h.circuit_id for h in history if value(h.status) == "protection_lost"}
        assert {i.circuit for i in expected.lose_service} <= outage
        assert {i.circuit for i in expected.lose_protection} <= lost | outage
        published = [r for r in rows(url, IncidentRow) if value(r.state) == "open"]
        assert [r.id for r in published] == [incident.id]  # one fault, one incident: the rest are symptoms

        wait_for(
            lambda: {t.circuit_id for t in rows(url, TicketRow) if t.incident_id == incident.id} >= {"C-001"},
            timeout=60,
            what="a ticket for C-001",
        )

        out = subprocess.run(
            [LINEWATCH, "lab", "break", "--config", str(cfg_path), "--heal"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr

        def cleared() -> bool:
            return any(r.id == incident.id and value(r.state) in ("cleared", "closed") for r in rows(url, IncidentRow))

        wait_for(cleared, timeout=180, what="the duct incident cleared")
    finally:
        code, err = daemon.stop()
        lab.stop()
    assert code == 0, err[-3000:]


def _metrics(cfg: Any) -> str:
    try:
        return httpx.get(cfg.daemon.api.url() + "/metrics", timeout=5).text
    except httpx.HTTPError:
        return ""


def test_make_run_serves_metrics_and_health_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    cfg_path = copy_config(tmp_path, DEMO)
    cfg = load_config(cfg_path)
    base = cfg.daemon.api.url()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"LAB={cfg_path}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []

    def up() -> bool:
        if proc.poll() is not None:
            return True
        try:
            return httpx.get(base + "/healthz", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=600, what="make run to serve /healthz")
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        health = httpx.get(base + "/healthz", timeout=5).json()
        assert health["status"] == "ok"
        metrics = httpx.get(base + "/metrics", timeout=5)
        assert metrics.status_code == 200
        assert "linewatch_correlator_events_total" in metrics.text
        page = httpx.get(base + "/", timeout=5, follow_redirects=True)  # the NOC page, and what it loads
        assert page.status_code == 200 and "<title>linewatch NOC</title>" in page.text
        for asset in ("noc.js", "noc.css"):
            assert httpx.get(f"{base}/noc/static/{asset}", timeout=5).status_code == 200
        assert Lab(cfg).supervisor() is not None
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        lines = out.splitlines()
    text = "\n".join(lines)
    assert f"{base}/metrics" in text  # the banner says where things are
    assert "lab break" in text and "duct:D-013" in text
    assert "linewatch stopped" in text and "lab stopped" in text
    assert Lab(cfg).supervisor() is None
