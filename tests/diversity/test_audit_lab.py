"""The diversity audit on the embedded lab: every story of config/lab/README.md is found."""

from __future__ import annotations

import pytest

from correlator.configfile.loader import LoadedConfig
from correlator.diversity import AuditReport, Finding, HopRef, NetworkIndex, Rule, Verdict, audit
from tests.diversity.conftest import with_diversity


@pytest.fixture(scope="module")
def report(lab_index: NetworkIndex) -> AuditReport:
    return audit(lab_index)


def findings(report: AuditReport, circuit: str, rule: Rule | None = None) -> list[Finding]:
    return [f for f in report.by_id[circuit].findings if rule is None or f.rule is rule]


def keys(report: AuditReport, circuit: str, rule: Rule) -> set[str]:
    return {f.element.key for f in findings(report, circuit, rule)}


def test_verdict_counts(report: AuditReport) -> None:
    assert report.counts() == {"diverse": 1, "violation": 5, "unverified": 1, "no_protection": 2}
    assert report.not_required == 4
    verdicts = {c.circuit: c.verdict for c in report.circuits}
    assert verdicts == {
        "C-001": Verdict.violation,
        "C-002": Verdict.diverse,
        "C-003": Verdict.unverified,
        "C-004": Verdict.violation,
        "C-005": Verdict.violation,
        "C-006": Verdict.violation,
        "C-007": Verdict.no_protection,
        "C-008": Verdict.no_protection,
        "C-013": Verdict.violation,
    }


def test_ranked_most_important_first(report: AuditReport) -> None:
    order = [c.circuit for c in report.circuits]
    assert order == ["C-002", "C-003", "C-013", "C-001", "C-006", "C-004", "C-005", "C-007", "C-008"]


def test_hidden_shared_duct_of_c001(report: AuditReport) -> None:
    (duct,) = findings(report, "C-001", Rule.same_duct)
    assert duct.element.key == "duct:D-013"
    assert duct.element.where == "CP-PGOV-HQ–MH-28"
    assert duct.working == (HopRef(0, "L-PGOV-SDH-A"),)
    assert duct.protection == (HopRef(0, "L-PGOV-SDH-B"),)
    assert "CB-PGOV-A" in duct.detail and "CB-PGOV-B" in duct.detail
    # different cables: the duct is hidden below the cable level
    assert findings(report, "C-001", Rule.same_cable) == []
    assert keys(report, "C-001", Rule.same_site) == {"site:MH-28"}


def test_truly_diverse_c002(report: AuditReport) -> None:
    assert report.by_id["C-002"].findings == ()
    assert report.by_id["C-002"].reasons == ("important class group_top100", "maintenance level AAA")


def test_unverified_c003_is_never_diverse(report: AuditReport) -> None:
    c = report.by_id["C-003"]
    assert c.verdict is Verdict.unverified
    (f,) = c.findings
    assert f.rule is Rule.unverified
    assert f.element.key == "cable:CB-LD-N"
    assert f.working == (HopRef(1, "L-LD-N"),)
    assert f.protection == ()
    assert "crosses local networks" in c.reasons


def test_shared_cable_c004(report: AuditReport) -> None:
    (cable,) = findings(report, "C-004", Rule.same_cable)
    assert cable.element.key == "cable:CB-HOSP-DROP"
    assert cable.working == (HopRef(0, "L-HOSP-MAIN-A"),)
    assert cable.protection == (HopRef(0, "L-HOSP-MAIN-B"),)
    assert keys(report, "C-004", Rule.same_duct) == {"duct:D-056"}
    assert keys(report, "C-004", Rule.same_site) == {"site:MH-25"}


def test_shared_intermediate_site_c005(report: AuditReport) -> None:
    assert {f.rule for f in findings(report, "C-005")} == {Rule.same_site}
    (site,) = findings(report, "C-005", Rule.same_site)
    assert site.element.key == "site:CO-NORTH"
    assert HopRef(0, "L-UNIV-MAIN-A") in site.working
    assert HopRef(0, "L-UNIV-MAIN-B") in site.protection


def test_shared_board_c006(report: AuditReport) -> None:
    (board,) = findings(report, "C-006", Rule.dual_board)
    assert board.element.key == "board:AGG-CEN:3"
    assert board.working == (HopRef(1, "L-IP-CEN-NOR"),)
    assert board.protection == (HopRef(1, "L-IP-WES-CEN"),)
    assert "GigabitEthernet0/3/1" in board.detail and "GigabitEthernet0/3/0" in board.detail
    # the shared intermediate element and its site come with it; nothing in the ground is shared
    assert keys(report, "C-006", Rule.dual_device) == {"device:AGG-CEN"}
    assert keys(report, "C-006", Rule.same_site) == {"site:CO-CENTRAL"}
    assert findings(report, "C-006", Rule.same_cable) == findings(report, "C-006", Rule.same_duct) == []


def test_central_room_on_one_device_c007(report: AuditReport) -> None:
    c = report.by_id["C-007"]
    assert c.verdict is Verdict.no_protection
    (dev,) = findings(report, "C-007", Rule.dual_device)
    assert dev.element.key == "device:ATN-LAK"
    assert "CP-RETAIL-HQ" in dev.detail and "one access device" in dev.detail
    assert dev.working[0] == HopRef(0, "L-RETAIL-HQ")
    assert len(findings(report, "C-007", Rule.no_protection)) == 1


def test_no_protection_c008(report: AuditReport) -> None:
    assert [f.rule for f in report.by_id["C-008"].findings] == [Rule.no_protection]


def test_single_tail_c013_shares_everything_at_the_tail(report: AuditReport) -> None:
    assert keys(report, "C-013", Rule.same_cable) == {"cable:CB-BKSUB"}
    assert keys(report, "C-013", Rule.same_duct) == {"duct:D-048"}
    assert keys(report, "C-013", Rule.dual_device) == {"device:MSTP-LAK"}
    assert keys(report, "C-013", Rule.dual_board) == {"board:MSTP-LAK:3"}
    assert keys(report, "C-013", Rule.same_site) == {"site:MR-LAKESIDE"}


def test_end_sites_and_end_devices_are_allowed(report: AuditReport, lab: LoadedConfig) -> None:
    inv = lab.inventory
    for c in report.circuits:
        circuit = inv.circuits[c.circuit]
        ends = {inv.site_of_device(circuit.a_end.device), inv.site_of_device(circuit.z_end.device)}
        if circuit.central_room:
            ends.add(circuit.central_room.site)
        assert not keys(report, c.circuit, Rule.same_site) & {f"site:{s}" for s in ends}
        route_devices = {f.element.id for f in findings(report, c.circuit, Rule.dual_device) if f.working}
        if circuit.central_room is None:
            assert not route_devices & {circuit.a_end.device, circuit.z_end.device}


def test_central_rooms_with_two_devices_pass(report: AuditReport) -> None:
    # C-001, C-002 and C-006 reach their central room through two different elements
    for cid in ("C-001", "C-002", "C-006"):
        assert not any("central room" in f.detail for f in findings(report, cid, Rule.dual_device))


def test_spreading_with_a_low_limit(lab: LoadedConfig) -> None:
    assert audit(NetworkIndex(lab.inventory, lab.policy)).spreading == ()
    policy = with_diversity(lab.policy, spreading_max_circuits_per_route=1)
    rep = audit(NetworkIndex(lab.inventory, policy))
    (s,) = rep.spreading
    # C-001 (SDH span) and C-006 (IPRAN ring link) both ride trunk cable CB-CEN-NOR towards the e-gov DC
    assert s.element.key == "cable:CB-CEN-NOR"
    assert s.customer == "CUST-PGOV"
    assert s.circuits == ("C-001", "C-006")
    assert s.direction == "CP-PGOV-HQ<->DC-EGOV"
    (f,) = findings(rep, "C-001", Rule.spreading)
    assert f.working == (HopRef(1, "L-SDH-CEN-NOR"),)
    (f6,) = findings(rep, "C-006", Rule.spreading)
    assert f6.working == (HopRef(1, "L-IP-CEN-NOR"),)
    # spreading is listed, it does not change a circuit's own verdict
    assert rep.counts() == audit(NetworkIndex(lab.inventory, lab.policy)).counts()


def test_spreading_by_share(lab: LoadedConfig) -> None:
    policy = with_diversity(lab.policy, spreading_max_circuits_per_route=10, spreading_max_share_percent=100.0)
    rep = audit(NetworkIndex(lab.inventory, policy))
    assert [(s.element.key, s.circuits, s.group_size) for s in rep.spreading] == [
        ("cable:CB-CEN-NOR", ("C-001", "C-006"), 2)
    ]
    policy = with_diversity(policy, spreading_min_group=3)
    assert audit(NetworkIndex(lab.inventory, policy)).spreading == ()
