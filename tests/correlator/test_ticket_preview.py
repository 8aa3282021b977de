"""The ticket preview: outages first, by tier, maintenance level, service level; deadlines from the policy."""

from __future__ import annotations

from datetime import timedelta

from correlator.correlation import ImpactStatus
from correlator.correlation.ticket_preview import preview
from tests.correlator.conftest import MakeHarness, at, ev, lab_network, read_jsonl


def test_cable_cut_tickets_are_ranked_and_timed(harness: MakeHarness) -> None:
    h = harness().run(read_jsonl("sdh-cable-cut"))
    _, index = lab_network()
    tickets = preview(h.seen.values(), index)
    assert [(t.priority, t.kind, t.circuit) for t in tickets] == [
        (1, ImpactStatus.outage, "C-009"),  # local_c, level II
        (2, ImpactStatus.outage, "C-010"),  # local_c, ordinary (rank 7), C-010 < C-012
        (3, ImpactStatus.outage, "C-012"),
        (4, ImpactStatus.protection_lost, "C-002"),  # group
        (5, ImpactStatus.protection_lost, "C-006"),  # provincial
        (6, ImpactStatus.protection_lost, "C-004"),  # local_a
    ]
    by = {t.circuit: t for t in tickets}
    assert by["C-009"].restore_minutes == 240  # level II
    assert by["C-010"].restore_minutes == 48 * 60  # voice trunk product limit for local_c
    assert by["C-012"].restore_minutes == 72 * 60  # ordinary line in the countryside
    assert by["C-002"].restore_minutes == 60
    known = at(0.05)  # the IPRAN ports went down 50 ms after the SDH LOS
    assert by["C-009"].known_at == known
    assert by["C-009"].restore_by == known + timedelta(minutes=240)
    assert by["C-010"].known_at == at(0)
    assert {t.incident for t in tickets} == {h.only().id}
    assert not any(t.heavy_penalty for t in tickets)


def test_disaster_recovery_and_central_node_outages_stand_out(harness: MakeHarness) -> None:
    h = harness()
    # both access links of the bank branch, so both paths of its central-node circuit C-002, down
    h.feed(ev(0, "ATN-WES", "port", "GigabitEthernet0/1/0", "LINK_DOWN"))
    h.feed(ev(1, "ATN-SOU", "port", "GigabitEthernet0/1/0", "LINK_DOWN"))
    h.settle()
    assert len(h.published()) == 2
    _, index = lab_network()
    listed = preview(h.seen.values(), index)
    assert [t.circuit for t in listed] == ["C-002"]  # one ticket, though two incidents hurt it
    ticket = listed[0]
    assert ticket.kind is ImpactStatus.outage and ticket.heavy_penalty and ticket.known_at == at(1)
    h2 = harness().run(read_jsonl("gne-unreachable"))
    dr = {t.circuit: t for t in preview(h2.seen.values(), index)}["C-003"]
    assert dr.kind is ImpactStatus.protection_lost and dr.heavy_penalty


def test_no_ticket_for_an_incident_that_never_opened(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, "ATN-RIV", "port", "gei-0/2/0/3", "LINK_DOWN"))
    _, index = lab_network()
    assert h.live()[0].circuits  # C-007 is hurt already ...
    assert preview(h.seen.values(), index) == []  # ... but the incident is still settling
    h.settle()
    assert [t.circuit for t in preview(h.seen.values(), index)] == ["C-007"]
