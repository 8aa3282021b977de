"""What-if cuts and the live route state, on the lab: one index, resource -> links -> paths."""

from __future__ import annotations

import pytest
from prometheus_client.core import Metric

from correlator.diversity import (
    CutError,
    HopRef,
    NetworkIndex,
    RouteState,
    evaluate,
    metric_family,
    parse_cut,
    summary,
    what_if,
)
from correlator.domain import CustomerTier, PathRole


def test_duct_carrying_both_paths_of_one_circuit_and_one_of_another(lab_index: NetworkIndex) -> None:
    r = what_if(lab_index, [parse_cut(lab_index, "duct:D-013")])
    assert [i.circuit for i in r.lose_service] == ["C-001"]
    assert [i.circuit for i in r.lose_protection] == ["C-006"]
    c001 = r.lose_service[0]
    assert c001.state is RouteState.outage
    assert [(p.role, p.hops) for p in c001.paths] == [
        (PathRole.working, (HopRef(0, "L-PGOV-SDH-A"),)),
        (PathRole.protection, (HopRef(0, "L-PGOV-SDH-B"),)),
    ]
    c006 = r.lose_protection[0]
    assert c006.state is RouteState.single_route_risk
    assert [(p.role, p.hops) for p in c006.paths] == [(PathRole.protection, (HopRef(0, "L-PGOV-VPN-B"),))]


def test_ranked_by_tier_then_level_then_service_level(lab_index: NetworkIndex) -> None:
    r = what_if(lab_index, ["site:CO-CENTRAL"])
    # provincial AA; then local_c II, III, ordinary (C-010 and C-012 tie on every rank: by id)
    assert [i.circuit for i in r.lose_service] == ["C-006", "C-009", "C-011", "C-010", "C-012"]
    # group AAA vip1 (by id), group A, provincial AAA, local_a AA
    assert [i.circuit for i in r.lose_protection] == ["C-002", "C-003", "C-013", "C-001", "C-004"]
    assert not {i.circuit for i in r.lose_service} & {i.circuit for i in r.lose_protection}


def test_cable_cut_and_unprotected_lines(lab_index: NetworkIndex) -> None:
    r = what_if(lab_index, ["cable:CB-CAR"])
    # the showroom's GE and E1 both ride the one drop cable: both unprotected lines go down
    assert [i.circuit for i in r.lose_service] == ["C-009", "C-010"]
    assert all(not i.protected for i in r.lose_service)
    assert r.lose_protection == ()


def test_board_with_a_mate_is_not_cut_alone(lab_index: NetworkIndex) -> None:
    # SDH-CEN slot 2 (PQ1) has its TPS mate in slot 3: C-010 hands off on 2-PQ1-1
    one = what_if(lab_index, ["board:SDH-CEN:2"])
    assert one.ignored == ("board:SDH-CEN:2",)
    assert one.lose_service == one.lose_protection == ()
    both = what_if(lab_index, ["board:SDH-CEN:2", "board:SDH-CEN:3"])
    assert [i.circuit for i in both.lose_service] == ["C-010"]
    assert both.lose_service[0].paths[0].ends == ("board:SDH-CEN:2",)


def test_unmated_board_takes_both_paths(lab_index: NetworkIndex) -> None:
    r = what_if(lab_index, ["board:AGG-CEN:3"])
    assert "C-006" in [i.circuit for i in r.lose_service]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pipe:X", "kind 'pipe' is not one of site, duct, cable, device, board, port, link"),
        ("D-013", "is not KIND:ID"),
        ("duct:", "is not KIND:ID"),
        ("duct:D-999", "no duct 'D-999' in the inventory"),
        ("board:AGG-CEN:7", "no board 'AGG-CEN:7'"),
        ("port:AGG-CEN:Gi9", "no port 'AGG-CEN:Gi9'"),
    ],
)
def test_bad_cuts(lab_index: NetworkIndex, text: str, message: str) -> None:
    with pytest.raises(CutError, match=message):
        parse_cut(lab_index, text)


def test_good_cuts_of_every_kind(lab_index: NetworkIndex) -> None:
    for text in (
        "site:MH-28",
        "duct:D-013",
        "cable:CB-LD-N",
        "device:AGG-CEN",
        "board:AGG-CEN:3",
        "port:AGG-CEN:GigabitEthernet0/3/0",
        "link:L-LD-N",
    ):
        assert parse_cut(lab_index, text) == text


def test_live_single_route_risk_until_both_paths_are_up(lab_index: NetworkIndex) -> None:
    assert evaluate(lab_index, []).states == {}
    ev = evaluate(lab_index, ["link:L-PGOV-SDH-A"])
    assert ev.state("C-001") is RouteState.single_route_risk
    assert ev.paths_down["C-001"] == {PathRole.working}
    assert ev.state("C-002") is RouteState.ok
    ev = evaluate(lab_index, ["link:L-PGOV-SDH-A", "link:L-SDH-SOU-WES"])
    assert ev.state("C-001") is RouteState.outage
    ev = evaluate(lab_index, ["link:L-SDH-SOU-WES"])
    assert ev.state("C-001") is RouteState.single_route_risk
    assert ev.paths_down["C-001"] == {PathRole.protection}
    assert evaluate(lab_index, []).state("C-001") is RouteState.ok


def test_live_ignores_unknown_kinds(lab_index: NetworkIndex) -> None:
    ev = evaluate(lab_index, ["pipe:X", "nonsense", "device:ATN-XC"])
    assert ev.ignored == ("nonsense", "pipe:X")
    assert ev.states == {"C-012": RouteState.outage}


def test_summary_by_state_and_tier(lab_index: NetworkIndex) -> None:
    ev = evaluate(lab_index, ["duct:D-013"])
    s = summary(lab_index, ev)
    assert len(s) == len(RouteState) * len(CustomerTier)
    assert s[(RouteState.outage, CustomerTier.provincial)] == 1
    assert s[(RouteState.single_route_risk, CustomerTier.provincial)] == 1
    assert s[(RouteState.ok, CustomerTier.provincial)] == 0
    assert s[(RouteState.ok, CustomerTier.group)] == 3
    assert sum(s.values()) == 13

    fam: Metric = metric_family(lab_index, ev)
    assert fam.name == "linewatch_circuits_route_state"
    samples = {(x.labels["state"], x.labels["tier"]): x.value for x in fam.samples}
    assert samples[("outage", "provincial")] == 1
    assert samples[("ok", "local_c")] == 4
