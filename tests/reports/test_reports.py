"""The fault analysis report and the monthly customer report, built from recorded alarm streams run
through the correlator and the ticket book into the store (SQLite and PostgreSQL), rendered as
Markdown, HTML, PDF and JSON with the expected figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from correlator.availability import month_period
from correlator.cli import main
from correlator.reports import ReportError, customer_report, incident_report, render
from correlator.reports.render import pdf_available, render_pdf
from correlator.tickets.store import TicketQuery
from tests.availability.conftest import SHANGHAI, T0, LabRun, calendar, read_jsonl, shift
from tests.conftest import LAB, need
from tests.correlator.conftest import lab_network

NOW = datetime(2027, 1, 2, tzinfo=UTC)
PW2 = datetime(2026, 12, 14, 17, 30, tzinfo=UTC)  # inside PW-2026-12-002 (AGG-CEN, 17:00-19:00 UTC)


def board_fault_worked(engine: Engine) -> LabRun:
    """AGG-CEN board 3 fails at 02:00 UTC for 15 min; the C-006 ticket is dispatched, accepted,
    confirmed and closed by the engineers."""
    events = read_jsonl("board-fault")
    run = LabRun(engine, T0, tickets=True)
    run.feed(e for e in events if e.observed_at < T0 + timedelta(minutes=10))
    run.advance_to(T0 + timedelta(minutes=5))
    assert run.service is not None and run.book is not None
    (c006,) = run.book.store.find(TicketQuery(circuit="C-006"))
    run.service.transition(c006.id, "dispatch", team="JC-IP-1", actor="cli:wang")
    run.advance_to(T0 + timedelta(minutes=12))
    run.service.transition(c006.id, "accept", actor="cli:li")
    run.feed(e for e in events if e.observed_at >= T0 + timedelta(minutes=10))
    run.settle(600)
    run.service.transition(c006.id, "confirm", note="customer confirms service", actor="cli:li")
    run.service.transition(c006.id, "close", cause="operator_network", actor="cli:li")
    return run


def incident_of(engine: Engine, root: str) -> str:
    from sqlalchemy import text

    kind, _, rid = root.partition(":")
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT id FROM incident WHERE root_kind = :k AND root_id = :r ORDER BY started_at"),
            {"k": kind, "r": rid},
        ).scalars()
        return str(next(iter(found)))


# -- fault analysis report ----------------------------------------------------------------------------


def test_fault_analysis_report_figures(lab_store: Engine) -> None:
    board_fault_worked(lab_store)
    _, index = lab_network()
    inc_id = incident_of(lab_store, "board:AGG-CEN:3")
    rep = incident_report(lab_store, index, inc_id, SHANGHAI, NOW, calendar(lab_store))
    assert rep.incident.root_key == "board:AGG-CEN:3" and "no mate" in rep.root_where
    assert rep.duration_minutes == 15.0
    assert [c.circuit for c in rep.outage_circuits] == ["C-006", "C-009", "C-011", "C-012"]
    assert {c.circuit: c.worst for c in rep.circuits}["C-002"] == "protection_lost"
    assert [(a.alarm_type, a.device, a.raised_at) for a in rep.evidence] == [("BOARD_FAULT", "AGG-CEN", T0)]
    assert len(rep.symptoms) == 4 and {a.role for a in rep.symptoms} == {"board-fault"}
    tickets = {t.circuit: t for t in rep.tickets}
    assert set(tickets) == {"C-002", "C-004", "C-006", "C-009", "C-011", "C-012"}
    t = tickets["C-006"]
    clocks = {c.name: c.outcome for c in t.clocks}
    assert clocks == {"dispatch": "met", "accept": "met", "restore": "met", "confirm": "met"}
    assert (t.team, t.cause, t.verdict, t.restore_limit_minutes) == ("JC-IP-1", "operator_network", "met", 90)
    assert tickets["C-009"].clocks[0].outcome == "not_needed"  # restored before anyone dispatched it
    assert rep.causes == ["operator_network"]
    whats = [e.what for e in rep.timeline]
    assert whats[0] == "fault began" and "incident cleared" in whats and f"ticket {t.id} dispatch" in whats
    assert not rep.heavy_penalty and rep.planned == [] and rep.suppressions == []

    md = render("incident", "md", SHANGHAI, r=rep)
    assert md.startswith(f"# Fault analysis report — {inc_id}")
    assert "| root cause | **board:AGG-CEN:3** (slot 3 (LPUI-51 24xGE) of AGG-CEN at CO-CENTRAL, no mate) |" in md
    assert "| began | 2026-12-01 10:00:00 |" in md and "| duration | 15 min |" in md
    assert "| circuits out of service | 4 |" in md and "| cause attributed | operator_network |" in md
    assert "| BOARD_FAULT | AGG-CEN | board 3 | critical | 2026-12-01 10:00:00 | 2026-12-01 10:15:00 |" in md
    row = next(line for line in md.splitlines() if line.startswith(f"| {t.id} "))
    assert "| JC-IP-1 |" in row and "| met | met | met | met | operator_network | met |" in row
    assert "HEAVY PENALTY" not in md

    html = render("incident", "html", SHANGHAI, r=rep)
    assert "<h1>Fault analysis report — " in html and "Sales &amp; Service" in html
    assert "Sales & Service" not in html  # escaped


def test_a_disaster_recovery_fault_stands_out(lab_store: Engine) -> None:
    LabRun(lab_store, T0, tickets=True).feed(read_jsonl("gne-unreachable")).settle()
    rep = incident_report(lab_store, lab_network()[1], incident_of(lab_store, "device:SDH-CEN"), SHANGHAI, NOW)
    assert rep.heavy_penalty
    assert [c.circuit for c in rep.circuits if c.heavy_penalty] == ["C-003"]  # the bank's DR circuit
    md = render("incident", "md", SHANGHAI, r=rep)
    assert "**HEAVY PENALTY EVENT**" in md and "C-003 **(heavy penalty)**" in md


def test_a_fault_under_announced_planned_work(lab_store: Engine) -> None:
    events = shift(read_jsonl("board-fault"), PW2)
    LabRun(lab_store, events[0].observed_at, tickets=True).feed(events).settle()
    rep = incident_report(
        lab_store, lab_network()[1], incident_of(lab_store, "board:AGG-CEN:3"), SHANGHAI, NOW, calendar(lab_store)
    )
    assert [p.id for p in rep.planned] == ["PW-2026-12-002"]
    assert rep.tickets == []
    assert {s.circuit for s in rep.suppressions} >= {"C-006", "C-009", "C-011", "C-012"}
    md = render("incident", "md", SHANGHAI, r=rep)
    assert "- PW-2026-12-002 AGG-CEN (NE8000 M14) hot patch" in md
    assert "| C-006 | outage | PW-2026-12-002 | 2026-12-15 01:00 .. 2026-12-15 03:00 | - |" in md


def test_unknown_incident(lab_store: Engine) -> None:
    with pytest.raises(ReportError, match="no incident 'INC-NOPE'"):
        incident_report(lab_store, lab_network()[1], "INC-NOPE", SHANGHAI, NOW)


# -- monthly customer report ----------------------------------------------------------------------------


def test_monthly_report_of_the_provincial_government(lab_store: Engine) -> None:
    board_fault_worked(lab_store)  # C-006: 15 min, ticket met
    events = shift(read_jsonl("board-fault"), PW2)  # C-006 again, inside PW-2026-12-002: excluded
    LabRun(lab_store, events[0].observed_at, tickets=True).feed(events).settle()
    span = shift(read_jsonl("sdh-span-cut"), datetime(2026, 12, 20, 6, 0, tzinfo=UTC))  # C-001 on one route
    LabRun(lab_store, span[0].observed_at, tickets=True).feed(span).settle()

    _, index = lab_network()
    rep = customer_report(lab_store, index, "CUST-PGOV", month_period("2026-12", SHANGHAI), NOW, calendar(lab_store))
    assert [c.id for c in rep.circuits] == ["C-001", "C-006"]
    c006 = rep.availability_of("C-006")
    assert (c006.outage_seconds, c006.excluded_seconds, c006.outages) == (900.0, 900.0, 1)
    assert round(c006.availability_percent, 4) == 99.9664 and c006.met
    assert [(o.circuit, o.minutes, o.roots) for o in rep.outages] == [("C-006", 15.0, ("board:AGG-CEN:3",))]
    assert [(c, s.reason) for c, s in rep.excluded] == [("C-006", "planned_work:PW-2026-12-002")]
    assert [(s.circuit, s.minutes, s.root) for s in rep.single_route] == [("C-001", 10.0, "link:L-SDH-CEN-NOR")]
    assert rep.timeliness is not None and (rep.timeliness.met, rep.timeliness.missed) == (1, 0)
    assert rep.timeliness.rate_percent == 100.0
    assert {a.circuit: a.verdict.value for a in rep.diversity} == {"C-001": "violation", "C-006": "violation"}
    assert {p.check.window.id for p in rep.planned} == {"PW-2026-12-001", "PW-2026-12-002", "PW-2026-12-003"}

    grades = {"AAA": "A", "AA": "B", "A": "C", "I": "C", "II": "N", "III": "N", "ordinary": "N"}
    md = render("customer", "md", SHANGHAI, r=rep, grades=grades)
    assert md.startswith("# Network operation report — Provincial Government General Office (省政府办公厅) (CUST-PGOV)")
    assert "- 2 circuit(s); 1 outage(s), 15 min of outage in all; availability 99.9832% (time-weighted)." in md
    assert "- Timeliness of fault tickets due this month: 100.0% (1 of 1 restored in time), target 95.0%." in md
    assert "| C-006 | ipran_l3vpn | 200M | AA | B | vip1 | yes | 15 min | 1 | 15 min | 99.9664% | 99.95% | yes |" in md
    assert (
        "| C-006 | 2026-12-15 01:30:00 | 2026-12-15 01:45:00 | 15 min | announced planned work PW-2026-12-002 |" in md
    )
    assert "| C-001 | 2026-12-20 14:00:00 | 2026-12-20 14:10:00 | 10 min | link:L-SDH-CEN-NOR |" in md
    assert "same_duct: duct D-013" in md and "dual_board: board AGG-CEN:3" in md
    assert "| PW-2026-12-002 |" in md and "notice_too_short |" in md

    html = render("customer", "html", SHANGHAI, r=rep, grades=grades)
    assert '<td class="num">99.9664%</td>' in html


def test_a_customer_below_target(lab_store: Engine) -> None:
    LabRun(lab_store, T0, tickets=True).feed(read_jsonl("cpe-power-off")).settle()
    rep = customer_report(lab_store, lab_network()[1], "CUST-SMB", month_period("2026-12", SHANGHAI), NOW)
    assert rep.availability.total.below_target == ["C-011"] and not rep.important
    assert rep.diversity == [] and rep.planned == []
    md = render("customer", "md", SHANGHAI, r=rep, grades={"III": "N"})
    assert "(not an important customer)" in md
    assert "| 8 h 00 min 30 s | 1 | 8 h 00 min 30 s | 98.9236% | 99.7% | **NO** |" in md
    assert "- Circuits below their availability target: C-011." in md


def test_unknown_customer(lab_store: Engine) -> None:
    with pytest.raises(ReportError, match="no customer 'CUST-NOPE'"):
        customer_report(lab_store, lab_network()[1], "CUST-NOPE", month_period("2026-12", SHANGHAI), NOW)


def test_pdf(lab_store: Engine) -> None:
    if not pdf_available():
        need("WeasyPrint is not installed", "pip install 'linewatch[pdf]' (it is in the dev extra)")
    LabRun(lab_store, T0, tickets=True).feed(read_jsonl("cpe-power-off")).settle()
    rep = customer_report(lab_store, lab_network()[1], "CUST-PGOV", month_period("2026-12", SHANGHAI), NOW)
    pdf = render_pdf("customer", SHANGHAI, r=rep, grades={"AAA": "A", "AA": "B"})
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000


# -- the command ------------------------------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_report_commands(store_url: str, lab_store: Engine, tmp_path: Path) -> None:
    board_fault_worked(lab_store)
    inc_id = incident_of(lab_store, "board:AGG-CEN:3")
    base = ["--config", str(LAB), "--store", store_url, "--as-of", "2027-01-02"]

    code, out, err = invoke("report", "incident", inc_id, *base)
    assert code == 0, err
    assert out.startswith(f"# Fault analysis report — {inc_id}") and "| duration | 15 min |" in out

    code, out, err = invoke("report", "incident", inc_id, *base, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["incident"]["root"] == "board:AGG-CEN:3" and doc["incident"]["duration_minutes"] == 15.0
    assert len(doc["tickets"]) == 6

    target = tmp_path / "pgov.html"
    code, _, err = invoke(
        "report", "customer", "CUST-PGOV", "--month", "2026-12", *base, "--format", "html", "-o", str(target)
    )
    assert code == 0 and f"wrote {target}" in err
    assert "<h1>Network operation report — Provincial Government" in target.read_text()

    folder = tmp_path / "monthly"
    code, _, err = invoke("report", "customer", "--important", "--month", "2026-12", *base, "-o", str(folder))
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{c}-2026-12.md" for c in ("CUST-BANK", "CUST-HOSP", "CUST-PGOV", "CUST-RETAIL", "CUST-UNIV")
    ]

    code, _, err = invoke("report", "incident", "INC-NOPE", *base)
    assert code == 1 and "no incident 'INC-NOPE'" in err
    code, _, err = invoke("report", "customer", "CUST-PGOV", "--month", "2026-13", *base)
    assert code == 2 and "not YYYY-MM" in err
    code, _, err = invoke("report", "customer", "CUST-PGOV", "--month", "2026-12", *base, "--format", "pdf")
    assert code == 2 and "give -o FILE.pdf" in err
