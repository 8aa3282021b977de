"""``linewatch feeds status|requeue|discard`` on a store with waiting and dead-lettered events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from correlator.cli import main
from correlator.clock import SystemClock
from correlator.feeds.events import FeedEvent
from correlator.feeds.outbox import Outbox

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
FEEDS = """
feeds:
  webhooks:
    - {name: noc-bus, url: "http://127.0.0.1:9/hook", secret: "env:LW_HOOK"}
  alertmanagers:
    - {name: noc-am, url: "http://127.0.0.1:9093"}
"""


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout + res.stderr


def test_status_requeue_discard(store: Engine, store_url: str, mini: Path) -> None:
    mini.write_text(mini.read_text() + FEEDS)
    box = Outbox(store, SystemClock())
    events = [FeedEvent(kind="ticket.opened", at=T0, subject=f"T-{i}", payload={}) for i in range(4)]
    ids = [e.id for e in box.enqueue([(e, ["noc-bus", "old-hook"]) for e in events])]
    box.dead_letter("noc-bus", ids[0], 5, 422, "HTTP 422 Unprocessable Entity: missing field")
    box.dead_letter("noc-bus", ids[1], 5, 422, "HTTP 422 Unprocessable Entity: missing field")
    box.failed("noc-bus", ids[2], 2, T0, None, "ConnectError: [Errno 111] Connection refused")

    code, out = run("feeds", "status", str(mini), "--store", store_url)
    assert code == 0, out
    assert "webhook noc-bus: 2 waiting" in out and "2 dead-lettered" in out
    assert "last error: ConnectError" in out
    assert "webhook old-hook: 4 waiting" in out and "not in the config any more" in out
    assert "alertmanager noc-am: 0 firing, 0 resolved held" in out
    assert f"noc-bus #{ids[0]} ticket.opened T-0: 5 attempts, HTTP 422" in out

    code, out = run("feeds", "status", str(mini), "--store", store_url, "--json")
    doc = json.loads(out)
    bus = next(r for r in doc["webhooks"] if r["destination"] == "noc-bus")
    assert (bus["pending"], bus["dead"], bus["configured"]) == (2, 2, True)
    assert [d["event_id"] for d in doc["dead_letters"]] == ids[:2]

    code, out = run("feeds", "requeue", str(mini), "noc-bus", "--store", store_url, "--event", str(ids[0]))
    assert code == 0 and "1 event of noc-bus back in the queue" in out
    assert [p.event.id for p in box.pending("noc-bus")] == [ids[0], ids[2], ids[3]]

    code, out = run("feeds", "discard", str(mini), "noc-bus", "--store", store_url, "--event", str(ids[1]))
    assert code == 1 and "add --yes to confirm" in out
    assert len(box.dead("noc-bus")) == 1
    code, out = run("feeds", "discard", str(mini), "noc-bus", "--store", store_url, "--event", str(ids[1]), "--yes")
    assert code == 0 and "1 dead-lettered event of noc-bus discarded" in out
    assert box.dead() == []


def test_status_names_the_fix_for_an_unmigrated_store(tmp_path: Path) -> None:
    code, out = run("feeds", "status", "--store", f"sqlite:///{tmp_path}/new.db")
    assert code == 1 and "linewatch db upgrade" in out
