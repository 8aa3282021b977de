"""``linewatch ticket ...`` and ``linewatch kpi`` end to end on the lab config and a real SQLite store.

The CLI is the edge: it reads the wall clock. So the recorded scenarios are replayed through the
daemon's pipeline (correlator + ticket book on the store) shifted to have happened a few hours ago,
and every ``--at`` is given relative to that.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from correlator.cli import main
from correlator.store.db import make_engine, upgrade
from correlator.tickets.repository import TicketRepository
from correlator.tickets.store import TicketQuery
from correlator.wire import AlarmEvent
from tests.conftest import LAB, ROOT
from tests.correlator.conftest import read_jsonl
from tests.tickets.conftest import Daemon

LINEWATCH = Path(sys.executable).parent / "linewatch"
SH = ZoneInfo("Asia/Shanghai")
M = timedelta(minutes=1)
RECORDED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def shifted(events: list[AlarmEvent], to: datetime) -> list[AlarmEvent]:
    delta = to - RECORDED
    return [
        e.model_copy(
            update={
                "raised_at": e.raised_at + delta,
                "cleared_at": e.cleared_at + delta if e.cleared_at else None,
                "observed_at": e.observed_at + delta,
            }
        )
        for e in events
    ]


class Lab:
    def __init__(self, tmp: Path) -> None:
        self.url = f"sqlite:///{tmp / 'lab.db'}"
        upgrade(self.url)
        self.engine: Engine = make_engine(self.url)
        # the fault began three hours ago (whole seconds, so times print exactly)
        self.t0 = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
        cable = shifted(read_jsonl("sdh-cable-cut"), self.t0)  # cut and spliced 30 min later
        cpe = [e for e in shifted(read_jsonl("cpe-power-off"), self.t0) if e.action.value == "raise"]  # still down
        d = Daemon(self.engine, self.t0 - M)
        d.feed(sorted([*cable, *cpe], key=lambda e: e.observed_at))
        d.advance_to(self.t0 + 40 * M)
        self.repo = TicketRepository(self.engine)

    def run(self, *args: str) -> tuple[int, str, str]:
        res = CliRunner().invoke(main, [*args, "--config", str(LAB), "--store", self.url])
        return res.exit_code, res.stdout, res.stderr

    def local(self, t: datetime) -> str:
        """A time as an engineer types it: local, no zone."""
        return t.astimezone(SH).strftime("%Y-%m-%d %H:%M:%S")

    def id_of(self, circuit: str) -> str:
        return self.repo.find(TicketQuery(circuit=circuit))[0].id


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return Lab(tmp_path)


def test_list_and_show(lab: Lab) -> None:
    code, out, err = lab.run("ticket", "list")
    assert code == 0, err
    assert out.startswith("7 tickets\n")
    lines = out.splitlines()[1:]
    assert lines[0].startswith("P1554 ") and " outage " in lines[0] and "C-009" in lines[0]  # work order
    assert any("C-011" in ln and "opened" in ln and "[dispatch breached" in ln for ln in lines)
    code, out, _ = lab.run("ticket", "list", "--json", "--state", "opened")
    doc = json.loads(out)
    assert [t["circuit_id"] for t in doc["tickets"]] == ["C-011"]
    clocks = {c["clock"]: c["outcome"] for c in doc["tickets"][0]["clocks"]}
    assert clocks == {"dispatch": "breached", "accept": "breached", "restore": "running"}  # level III: 240 min
    code, out, err = lab.run("ticket", "show", lab.id_of("C-009"))
    assert code == 0, err
    assert f"ticket {lab.id_of('C-009')}  [restored]  outage  priority P1554" in out
    assert "    1. " in out and "open     - -> opened  by linewatch" in out
    assert "restore  opened -> restored  by linewatch" in out
    code, _, err = lab.run("ticket", "show", "TK-NOPE")
    assert code == 1 and "error: no ticket 'TK-NOPE'" in err


def test_the_engineers_steps_through_the_cli(lab: Lab) -> None:
    tid = lab.id_of("C-011")
    code, out, err = lab.run(
        "ticket",
        "dispatch",
        tid,
        "--team",
        "JC-IP-1",
        "--note",
        "power at the studio",
        "--at",
        lab.local(lab.t0 + 20 * M),
    )
    assert code == 0, err
    assert f"ticket {tid}: dispatched" in out
    code, out, err = lab.run("ticket", "accept", tid, "--at", lab.local(lab.t0 + 25 * M), "--by", "zhao", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (
        doc["state"] == "accepted" and doc["events"][0]["event"] == "accepted" and doc["events"][0]["actor"] == "zhao"
    )
    # out of order, and illegal: exit 1, the reason on stderr, nothing written
    code, out, err = lab.run("ticket", "confirm", tid)
    assert code == 1 and out == ""
    assert f"error: ticket {tid} is accepted: cannot confirm (allowed now: restore)" in err
    code, _, err = lab.run("ticket", "restore", tid, "--at", lab.local(lab.t0 + 10 * M))
    assert code == 1 and "is before its acceptance" in err
    code, _, err = lab.run("ticket", "restore", tid, "--at", "yesterday-ish")
    assert code == 2 and "is not a date or time" in err
    code, _, err = lab.run("ticket", "restore", tid, "--at", lab.local(lab.t0 + 70 * M))
    assert code == 0, err
    code, _, err = lab.run("ticket", "confirm", tid, "--at", lab.local(lab.t0 + 80 * M), "--note", "customer ok")
    assert code == 0, err
    code, _, err = lab.run("ticket", "close", tid)
    assert code == 2 and "Missing option '--cause'" in err
    code, _, err = lab.run("ticket", "close", tid, "--cause", "customer_side", "--note", "studio switched off the CPE")
    assert code == 0, err
    t = lab.repo.get(tid)
    assert t is not None and t.state.value == "closed" and t.cause is not None and t.cause.value == "customer_side"
    assert (t.dispatched_at, t.accepted_at, t.restored_at, t.confirmed_at) == (
        lab.t0 + 20 * M,
        lab.t0 + 25 * M,
        lab.t0 + 70 * M,
        lab.t0 + 80 * M,
    )
    assert [s.action.value for s in lab.repo.transitions(tid)] == [
        "open",
        "dispatch",
        "accept",
        "restore",
        "confirm",
        "close",
    ]
    code, out, _ = lab.run("ticket", "list", "--circuit", "C-011")
    assert out.startswith("0 tickets")  # closed: only with --all
    code, out, _ = lab.run("ticket", "list", "--circuit", "C-011", "--all")
    assert out.startswith("1 ticket\n")


def test_a_customer_report_through_the_cli(lab: Lab) -> None:
    code, out, err = lab.run("ticket", "report", "--circuit", "C-008", "--at", lab.local(lab.t0 + 90 * M))
    assert code == 0, err
    assert "customer report opened ticket TK-" in out and "customer_report" in out
    # another report on C-011, earlier than its detection: joins its ticket and moves its deadlines
    tid = lab.id_of("C-011")
    before = lab.repo.get(tid)
    assert before is not None
    code, out, err = lab.run("ticket", "report", "--circuit", "C-011", "--at", lab.local(lab.t0 - 5 * M), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["id"] == tid and doc["events"][0]["event"] == "customer_report"
    after = lab.repo.get(tid)
    assert after is not None and after.known_at == lab.t0 - 5 * M < before.known_at
    code, _, err = lab.run("ticket", "report", "--circuit", "C-404")
    assert code == 1 and "no circuit 'C-404'" in err


def test_kpi_of_the_month(lab: Lab) -> None:
    as_of = lab.t0 + 100 * 60 * M  # C-011 (level III, 240 min) is past its limit by then
    month = lab.repo.get(lab.id_of("C-009")).restore_due_at.astimezone(SH).strftime("%Y-%m")  # type: ignore[union-attr]
    code, out, err = lab.run("kpi", "--month", month, "--as-of", as_of.isoformat(), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["timezone"] == "Asia/Shanghai" and doc["target_percent"] == 95
    tickets = {t["circuit"]: t["verdict"] for t in doc["tickets"]}
    # the outages and the open CPE fault; protection-lost tickets are not counted
    due_in_month = {
        t.circuit_id
        for t in lab.repo.find(TicketQuery())
        if t.kind.value == "outage" and t.restore_due_at.astimezone(SH).strftime("%Y-%m") == month
    }
    assert set(tickets) == due_in_month and "C-002" not in tickets
    if "C-011" in tickets:
        assert tickets["C-011"] == "missed"
    assert tickets.get("C-009") == "met"
    code, text, err = lab.run("kpi", "--month", month, "--as-of", as_of.isoformat())
    assert code == 0, err
    assert f"timeliness {month} (Asia/Shanghai" in text and "by team:" in text and "by tier:" in text
    code, _, err = lab.run("kpi", "--month", "2026-13")
    assert code == 2 and "is not YYYY-MM" in err


def test_the_console_script(lab: Lab) -> None:
    cmd = [str(LINEWATCH), "ticket", "list", "--config", str(LAB), "--store", lab.url, "--json"]
    proc = subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(json.loads(proc.stdout)["tickets"]) == 7


def test_an_unmigrated_store_names_the_fix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    res = CliRunner().invoke(main, ["ticket", "list", "--config", str(LAB), "--store", url])
    assert res.exit_code == 1 and "linewatch db upgrade" in res.stderr


def test_planned_work_from_the_store_keeps_tickets_closed_and_the_cli_says_why(tmp_path: Path) -> None:
    """The daemon's book (``build_ticket_book``) reads planned work from the store: the lab's windows
    once the inventory is imported. A cut inside PW-2026-12-001 opens nothing; ``ticket list
    --suppressed`` shows why."""
    from correlator.configfile.loader import load_config
    from correlator.store.importer import import_inventory
    from tests.correlator.conftest import T0, ev

    url = f"sqlite:///{tmp_path / 'lab.db'}"
    upgrade(url)
    engine = make_engine(url)
    cfg = load_config(LAB)
    import_inventory(engine, cfg.inventory, cfg.policy)
    inside = datetime(2026, 12, 7, 16, 40, tzinfo=UTC)  # 00:40 +08:00 on 8 Dec
    d = Daemon(engine, inside - M)
    t = (inside - T0).total_seconds()
    d.feed(
        [
            ev(t, "AGG-EAS", "port", "GigabitEthernet0/3/0", "LINK_DOWN"),
            ev(t, "ATN-SOU", "port", "GigabitEthernet0/2/1", "LINK_DOWN"),
        ]
    )
    d.advance_to(inside + M)
    assert d.repo.find(TicketQuery()) == []
    res = CliRunner().invoke(main, ["ticket", "list", "--config", str(LAB), "--store", url, "--suppressed"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("0 tickets\n")
    assert "no ticket, announced planned work (3):" in res.stdout
    assert "C-007      outage" in res.stdout and "planned work PW-2026-12-001" in res.stdout
    engine.dispose()
