"""The ticket book on the lab network: which tickets open, in which order, and what happens to them
as the alarms come and go (recorded scenarios and hand-made streams, in their own time)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from correlator.domain import TicketKind
from correlator.tickets.model import TicketState
from correlator.tickets.store import ClockEventRecord, MemoryTicketStore, TicketWrite
from tests.correlator.conftest import T0, at, clear, ev, read_jsonl
from tests.tickets.conftest import make_desk, policy_with

M = timedelta(minutes=1)
S = timedelta(seconds=1)
C007_LINK = [("AGG-EAS", "GigabitEthernet0/3/0"), ("ATN-SOU", "GigabitEthernet0/2/1")]
"""Both ends of L-IP-EAS-SOU: C-007's only path (outage), C-002's protection and C-004's working path."""
BANK_WEST = ("ATN-WES", "GigabitEthernet0/1/0")
BANK_SOUTH = ("ATN-SOU", "GigabitEthernet0/1/0")
"""The two access links of the bank branch: C-002's working and protection paths."""


def down(t: float, *ports: tuple[str, str]) -> list:  # type: ignore[type-arg]
    return [ev(t, dev, "port", port, "LINK_DOWN") for dev, port in ports]


def up(t: float, *ports: tuple[str, str]) -> list:  # type: ignore[type-arg]
    return [clear(t, dev, "port", port, "LINK_DOWN") for dev, port in ports]


def test_cable_cut_tickets_are_ranked_timed_and_restored_when_the_alarms_clear() -> None:
    d = make_desk(clock_events=False)
    d.run(read_jsonl("sdh-cable-cut"))
    tickets = d.tickets()
    assert [(t.kind, t.circuit_id, t.priority) for t in tickets] == [
        (TicketKind.outage, "C-009", 1554),  # local_c, level II
        (TicketKind.outage, "C-010", 1574),  # local_c, ordinary (rank 7); known earlier than C-012
        (TicketKind.outage, "C-012", 1574),
        (TicketKind.protection_lost, "C-002", 2111),  # group
        (TicketKind.protection_lost, "C-006", 2221),  # provincial
        (TicketKind.protection_lost, "C-004", 2322),  # local_a
    ]
    by = {t.circuit_id: t for t in tickets}
    assert by["C-009"].restore_limit_minutes == 240
    assert by["C-010"].restore_limit_minutes == 48 * 60  # voice trunk product limit for local_c
    assert by["C-012"].restore_limit_minutes == 72 * 60  # ordinary line in the countryside
    assert by["C-002"].restore_limit_minutes == 24 * 60  # protection lost: tickets.protection_lost_restore_hours
    known = at(0.05)  # the IPRAN ports went down 50 ms after the SDH LOS
    assert by["C-009"].detected_at == by["C-009"].known_at == known
    assert by["C-009"].restore_due_at == known + 240 * M
    assert by["C-010"].known_at == at(0)
    inc = d.only()
    assert {t.incident_id for t in tickets} == {inc.id} and {t.root_key for t in tickets} == {inc.root_key}
    assert not any(t.heavy_penalty for t in tickets)
    # opened when the incident was published (after its settle window), not while settling
    assert {t.opened_at for t in tickets} == {inc.opened_at + timedelta(seconds=5)}
    # the splice at 02:30 restores everything; the engineers still confirm
    assert {(t.state, t.restored_at) for t in tickets} == {(TicketState.restored, at(1800))}
    steps = d.store.transitions(by["C-009"].id)
    assert [(s.seq, s.action.value, s.to_state.value, s.actor) for s in steps] == [
        (1, "open", "opened", "linewatch"),
        (2, "restore", "restored", "linewatch"),
    ]


def test_one_ticket_per_circuit_and_heavy_penalty_events_stand_out() -> None:
    d = make_desk(clock_events=False)
    # both access links of the bank branch, so both paths of its central-node circuit C-002, down
    d.feed(*down(0, BANK_WEST), *down(1, BANK_SOUTH))
    d.settle()
    assert len(d.published()) == 2  # two incidents ...
    [ticket] = d.tickets()  # ... one ticket
    assert (ticket.circuit_id, ticket.kind, ticket.heavy_penalty) == ("C-002", TicketKind.outage, True)
    assert ticket.known_at == at(1) and ticket.priority == 1111
    assert d.kinds() == ["opened"] and d.ticket_events[0].as_dict()["heavy_penalty"] is True
    # any fault on the disaster-recovery circuit C-003 is heavy, lost protection too
    d2 = make_desk(clock_events=False).run(read_jsonl("gne-unreachable"))
    dr = d2.ticket("C-003")
    assert dr.kind is TicketKind.protection_lost and dr.heavy_penalty
    assert not d2.ticket("C-013").heavy_penalty  # the bank's, not DR, not central node


def test_no_ticket_while_the_incident_settles() -> None:
    d = make_desk(clock_events=False)
    d.feed(ev(0, "ATN-RIV", "port", "gei-0/2/0/3", "LINK_DOWN"))
    assert d.live()[0].circuits  # C-007 is hurt already ...
    assert d.tickets() == []  # ... but the incident is still settling
    d.settle()
    [t] = d.tickets()
    assert t.circuit_id == "C-007" and t.detected_at == at(0) and t.opened_at > at(5)


def test_an_incident_gone_within_its_settle_window_opens_nothing() -> None:
    d = make_desk(clock_events=False)
    d.feed(*down(0, *C007_LINK), *up(2, *C007_LINK))
    d.settle(3600)
    assert d.tickets() == [] and d.ticket_events == []


def test_lost_protection_becomes_an_outage_ticket_when_the_second_path_goes() -> None:
    d = make_desk(clock_events=False)
    d.feed(*down(0, BANK_WEST))
    d.settle(60)
    [t] = d.tickets()
    assert (t.kind, t.priority, t.heavy_penalty, t.restore_limit_minutes) == (
        TicketKind.protection_lost,
        2111,
        False,
        24 * 60,
    )
    d.service.transition(t.id, "dispatch", team="JC-IP-1")
    d.feed(*down(120, BANK_SOUTH))
    d.settle(60)
    [u] = d.tickets()
    assert u.id == t.id  # the same ticket, upgraded
    assert (u.kind, u.priority, u.heavy_penalty, u.state) == (TicketKind.outage, 1111, True, TicketState.dispatched)
    assert u.protection_lost_at == at(0) and u.detected_at == u.known_at == at(120)
    assert u.restore_limit_minutes == 60 and u.restore_due_at == at(120) + 60 * M  # AAA, from the outage
    assert d.kinds(t.id) == ["opened", "dispatched", "upgraded", "priority_changed"]
    changed = d.events_of("priority_changed")[0].as_dict()
    assert (changed["previous_priority"], changed["priority"]) == (2111, 1111)
    # the south link comes back at 02:10: the service is restored; the west link stays down for an
    # hour: after tickets.protection_lost_hold_seconds a protection-lost ticket of its own opens
    d.feed(*up(600, BANK_SOUTH))
    d.settle(60)
    assert d.store.get(t.id).restored_at == at(600)  # type: ignore[union-attr]
    assert len(d.tickets()) == 1  # within the hold: the outage ticket covers the rest
    d.settle(300)
    lost = [x for x in d.tickets() if x.id != t.id]
    assert [(x.kind, x.detected_at, x.state) for x in lost] == [
        (TicketKind.protection_lost, at(600), TicketState.opened)
    ]
    d.feed(*up(3600, BANK_WEST))
    d.settle(60)
    assert d.store.get(lost[0].id).restored_at == at(3600)  # type: ignore[union-attr]


def test_protection_lost_tickets_can_be_switched_off() -> None:
    d = make_desk(clock_events=False, policy=policy_with(protection_lost_tickets=False))
    d.run(read_jsonl("sdh-cable-cut"))
    assert [(t.kind, t.circuit_id) for t in d.tickets()] == [
        (TicketKind.outage, "C-009"),
        (TicketKind.outage, "C-010"),
        (TicketKind.outage, "C-012"),
    ]


def test_a_fault_returning_within_the_interval_reopens_its_ticket_else_a_new_one() -> None:
    d = make_desk(clock_events=False)
    d.feed(*down(0, *C007_LINK))
    d.settle(60)
    first = d.ticket("C-007")
    d.service.transition(first.id, "dispatch", team="JC-IP-1")
    d.service.transition(first.id, "accept")
    d.feed(*up(600, *C007_LINK))
    d.settle(120)
    d.service.transition(first.id, "confirm")
    assert d.store.get(first.id).state is TicketState.confirmed  # type: ignore[union-attr]
    # back 110 min after its restoration (reopen_within_minutes: 120): the same ticket, accepted again
    back = 600 + 110 * 60
    d.feed(*down(back, *C007_LINK))
    d.settle(60)
    again = d.store.get(first.id)
    assert again is not None
    assert (again.state, again.reopened_count, again.restored_at, again.confirmed_at) == (
        TicketState.accepted,
        1,
        None,
        None,
    )
    assert again.restore_due_at == first.restore_due_at  # the fault was not really repaired
    assert [t.id for t in d.tickets() if t.circuit_id == "C-007"] == [first.id]
    reopened = d.events_of("reopened")
    assert [(e.ticket_id, e.at, e.from_state) for e in reopened if e.circuit == "C-007"] == [
        (first.id, at(back), TicketState.confirmed)
    ]
    # restored again at +2 h; back 121 min later: a new ticket
    d.feed(*up(back + 3600, *C007_LINK))
    d.settle(60)
    later = back + 3600 + 121 * 60
    d.feed(*down(later, *C007_LINK))
    d.settle(60)
    c007 = [t for t in d.tickets() if t.circuit_id == "C-007"]
    assert len(c007) == 2
    new = next(t for t in c007 if t.id != first.id)
    assert (new.state, new.reopened_count, new.known_at) == (TicketState.opened, 0, at(later))
    assert d.store.get(first.id).restored_at == at(back + 3600)  # type: ignore[union-attr]


def test_reopen_can_be_switched_off() -> None:
    d = make_desk(clock_events=False, policy=policy_with(reopen_within_minutes=0))
    d.feed(*down(0, *C007_LINK))
    d.settle(60)
    d.feed(*up(600, *C007_LINK))
    d.settle(60)
    d.feed(*down(1200, *C007_LINK))
    d.settle(60)
    assert [(t.known_at, t.reopened_count) for t in d.tickets() if t.circuit_id == "C-007"] == [
        (at(0), 0),
        (at(1200), 0),
    ]


def test_flapping_port_is_one_ticket_reopened() -> None:
    d = make_desk(clock_events=False).run(read_jsonl("flapping-port"))
    [t] = d.tickets()
    assert t.circuit_id == "C-007" and t.reopened_count >= 1 and t.state is TicketState.restored
    kinds = d.kinds(t.id)
    assert kinds[0] == "opened" and kinds.count("reopened") == t.reopened_count
    assert kinds.count("restored") == t.reopened_count + 1


def test_a_manual_restore_while_alarms_still_stand_is_not_undone() -> None:
    """The engineer knows better (a stale alarm): the book neither reopens it nor opens another."""
    d = make_desk(clock_events=False)
    d.feed(*down(0, *C007_LINK))
    d.settle(60)
    t = d.ticket("C-007")
    for action in ("dispatch", "accept", "restore"):
        d.service.transition(t.id, action, team="JC-IP-1")
    d.feed(ev(300, "ATN-SOU", "port", "GigabitEthernet0/2/1", "LINK_DOWN", action="raise"))  # a repeat
    d.settle(600)
    assert [(x.id, x.state) for x in d.tickets() if x.circuit_id == "C-007"] == [(t.id, TicketState.restored)]


def test_tickets_survive_the_alarms_of_an_unknown_circuit_gracefully() -> None:
    """A circuit the inventory no longer has opens no ticket (logged), and nothing else breaks."""
    d = make_desk(clock_events=False)
    d.directory._cache["C-007"] = None  # as if C-007 had just left the inventory
    d.feed(*down(0, *C007_LINK))
    d.settle(60)
    assert sorted(t.circuit_id for t in d.tickets()) == ["C-002", "C-004"]


def test_time_of_events_and_known_at_follow_the_alarms_not_the_clock() -> None:
    d = make_desk(clock_events=False, start=T0)
    d.feed(*[ev(0, dev, "port", port, "LINK_DOWN", delay=2.5) for dev, port in C007_LINK])
    d.settle(60)
    t = d.ticket("C-007")
    assert t.known_at == at(0) and t.opened_at == at(2.5) + timedelta(seconds=5)
    opened = d.events_of("opened")[0]
    assert opened.at == t.opened_at and opened.as_dict()["known_at"] == "2026-12-01T02:00:00Z"
    assert datetime(2026, 12, 1, 2, 0, tzinfo=UTC) == t.known_at


class FlakyStore(MemoryTicketStore):
    """A store whose next write fails (the database went away for a moment)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next = False

    def write(self, batch: TicketWrite) -> list[ClockEventRecord]:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database is gone for a moment")
        return super().write(batch)


def test_a_store_failure_loses_no_decision() -> None:
    store = FlakyStore()
    d = make_desk(clock_events=False, store=store)
    d.feed(*down(0, *C007_LINK))
    store.fail_next = True
    with pytest.raises(ConnectionError):
        d.settle(60)  # the incident opens; writing its tickets fails
    assert d.tickets() == []
    d.book.tick(d.clock.now())  # the next tick decides again
    assert sorted(t.circuit_id for t in d.tickets()) == ["C-002", "C-004", "C-007"]


def test_events_are_json_and_open_tickets_are_counted_for_the_metrics() -> None:
    d = make_desk()
    d.feed(*down(0, *C007_LINK))
    d.settle(20 * 60)
    docs = [json.loads(json.dumps(e.as_dict())) for e in d.ticket_events]
    assert {doc["event"] for doc in docs} == {"opened", "clock_warning", "clock_breach"}
    assert all(doc["ticket_id"].startswith("TK-20261201T020000Z-C-00") for doc in docs)
    assert d.book.open_ticket_counts() == {("local_b", "opened"): 1, ("group", "opened"): 1, ("local_a", "opened"): 1}
    # another writer's change is seen at the next tick when the book is told, else within its rescan
    tid = d.ticket("C-007").id
    d.service.transition(tid, "dispatch", team="JC-IP-1")
    d.book.invalidate()
    d.settle(1)
    assert d.book.open_ticket_counts()[("local_b", "dispatched")] == 1
    d.service.transition(tid, "accept")
    d.settle(d.book.rescan.total_seconds())
    assert d.book.open_ticket_counts()[("local_b", "accepted")] == 1
