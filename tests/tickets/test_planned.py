"""Planned work: alarms inside an announced window on its resources open no ticket; the same alarms
outside the window do; a fault that outlasts its window gets a ticket at the window's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from correlator.domain import TicketKind
from correlator.planned.calendar import PlannedCalendar
from correlator.planned.model import PlannedWindow
from correlator.tickets.model import TicketState
from tests.correlator.conftest import T0, clear, ev, lab_network
from tests.tickets.conftest import FakeCalendar, Window, make_desk

M = timedelta(minutes=1)
LINK = [("AGG-EAS", "GigabitEthernet0/3/0"), ("ATN-SOU", "GigabitEthernet0/2/1")]
"""Both ends of L-IP-EAS-SOU (PW-2026-12-001 in the lab): C-007 down, C-002 and C-004 on one path."""

# the lab's PW-2026-12-001: 2026-12-08 00:30 .. 04:30 +08:00
W_START = datetime(2026, 12, 7, 16, 30, tzinfo=UTC)
W_END = datetime(2026, 12, 7, 20, 30, tzinfo=UTC)


def s(when: datetime) -> float:
    """Seconds after the harness's T0."""
    return (when - T0).total_seconds()


def down(when: datetime) -> list:  # type: ignore[type-arg]
    return [ev(s(when), dev, "port", port, "LINK_DOWN") for dev, port in LINK]


def up(when: datetime) -> list:  # type: ignore[type-arg]
    return [clear(s(when), dev, "port", port, "LINK_DOWN") for dev, port in LINK]


def fake() -> FakeCalendar:
    return FakeCalendar({"link:L-IP-EAS-SOU": [Window("PW-TEST-1", W_START, W_END)]})


def test_alarms_inside_the_window_open_no_ticket_and_say_why() -> None:
    calendar = fake()
    d = make_desk(planned=calendar, clock_events=False)
    d.feed(*down(W_START + 20 * M))
    d.settle(60)
    assert d.tickets() == []
    inc = d.only()
    assert ("link:L-IP-EAS-SOU", inc.started_at) in calendar.asked  # the root, at the incident's start
    held = d.store.suppressions()
    assert [(x.circuit_id, x.status, x.planned_work_id, x.incident_id, x.ticket_id) for x in held] == [
        ("C-002", TicketKind.protection_lost, "PW-TEST-1", inc.id, None),
        ("C-004", TicketKind.protection_lost, "PW-TEST-1", inc.id, None),
        ("C-007", TicketKind.outage, "PW-TEST-1", inc.id, None),
    ]
    suppressed = d.events_of("suppressed")
    assert [(e.circuit, e.ticket_id) for e in suppressed] == [("C-002", ""), ("C-004", ""), ("C-007", "")]
    doc = suppressed[2].as_dict()
    assert doc["planned_work_id"] == "PW-TEST-1" and doc["root"] == "link:L-IP-EAS-SOU" and doc["kind"] == "outage"
    assert "announced planned work PW-TEST-1 covers link:L-IP-EAS-SOU" in doc["note"]
    # the splice ends inside the window: still nothing, and the decision is not emitted twice
    d.feed(*up(W_START + 60 * M))
    d.settle(3600 * 5)
    assert d.tickets() == [] and len(d.events_of("suppressed")) == 3


def test_the_same_alarms_outside_the_window_open_tickets() -> None:
    for when in (W_START - 5 * M, W_END, W_END + 24 * 60 * M):
        d = make_desk(planned=fake(), clock_events=False)
        d.feed(*down(when))
        d.settle(60)
        assert sorted((t.circuit_id, t.kind.value) for t in d.tickets()) == [
            ("C-002", "protection_lost"),
            ("C-004", "protection_lost"),
            ("C-007", "outage"),
        ], when
        assert d.store.suppressions() == []


def test_a_fault_that_outlasts_its_window_gets_a_ticket_at_the_window_end() -> None:
    d = make_desk(planned=fake(), clock_events=False)
    d.feed(*down(W_START + 30 * M))
    d.settle(60)
    assert d.tickets() == []
    d.advance_to(W_END - timedelta(seconds=1))
    assert d.tickets() == []
    d.advance_to(W_END + M)  # the book ticks at the window's end by itself (next_deadline)
    c007 = d.ticket("C-007")
    assert (c007.kind, c007.detected_at, c007.known_at, c007.opened_at, c007.planned_work_id) == (
        TicketKind.outage,
        W_END,
        W_END,
        W_END,
        "PW-TEST-1",
    )
    assert c007.restore_due_at == W_END + 180 * M  # level A, counted from the overrun
    opened = next(e for e in d.events_of("opened") if e.circuit == "C-007")
    assert opened.note == "planned work PW-TEST-1 overran its window"
    held = {x.circuit_id: x for x in d.store.suppressions()}
    assert held["C-007"].ticket_id == c007.id
    d.feed(*up(W_END + 50 * M))
    d.settle(60)
    restored = d.store.get(c007.id)
    assert restored is not None and (restored.state, restored.restored_at) == (TicketState.restored, W_END + 50 * M)


def test_a_fault_that_began_before_the_window_is_not_planned() -> None:
    d = make_desk(planned=fake(), clock_events=False)
    d.feed(*down(W_START - 1 * M))
    d.settle(3600)
    assert d.ticket("C-007").known_at == W_START - 1 * M
    assert d.store.suppressions() == []


def test_with_the_real_calendar_of_the_lab() -> None:
    """PW-2026-12-001 (cutover of CB-EAS-SOU, announced 96 h ahead) covers L-IP-EAS-SOU."""
    cfg, index = lab_network()
    windows = [PlannedWindow.from_inventory(w) for w in cfg.inventory.planned_work]
    calendar = PlannedCalendar(windows, index)
    inside = make_desk(planned=calendar, clock_events=False)
    inside.feed(*down(W_START + 10 * M))
    inside.settle(60)
    assert inside.tickets() == []
    assert {x.planned_work_id for x in inside.store.suppressions()} == {"PW-2026-12-001"}
    outside = make_desk(planned=calendar, clock_events=False)
    outside.feed(*down(W_START - 24 * 60 * M))
    outside.settle(60)
    assert outside.ticket("C-007").kind is TicketKind.outage


def test_replay_uses_the_inventory_windows(tmp_path: Path) -> None:
    """``linewatch replay`` of a stream inside PW-2026-12-001 shows no ticket, and says why."""
    import json

    from click.testing import CliRunner

    from correlator.cli import main
    from tests.conftest import LAB

    lines = [e.to_json() for e in (*down(W_START + 10 * M), *up(W_START + 50 * M))]
    path = tmp_path / "cutover.jsonl"
    path.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(main, ["replay", "--config", str(LAB), "--events", str(path), "--json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["tickets"] == []
    assert sorted((x["circuit"], x["planned_work_id"]) for x in doc["suppressed"]) == [
        ("C-002", "PW-2026-12-001"),
        ("C-004", "PW-2026-12-001"),
        ("C-007", "PW-2026-12-001"),
    ]
    text = CliRunner().invoke(main, ["replay", "--config", str(LAB), "--events", str(path)]).stdout
    assert "no ticket: announced planned work (3):" in text
