"""The audit on small mutated copies of tests/data/mini: the cases the lab does not hold."""

from __future__ import annotations

from pathlib import Path

from correlator.configfile.loader import load_config
from correlator.diversity import AuditReport, HopRef, Rule, Verdict, audit
from tests.conftest import Edit
from tests.diversity.conftest import IndexOf, with_diversity


def rules_of(report: AuditReport, circuit: str) -> dict[Rule, set[str]]:
    out: dict[Rule, set[str]] = {}
    for f in report.by_id[circuit].findings:
        out.setdefault(f.rule, set()).add(f.element.key)
    return out


def test_mini_shares_its_tails_and_both_elements(mini: Path, index_of: IndexOf) -> None:
    rep = audit(index_of(mini))
    assert [c.circuit for c in rep.circuits] == ["CKT-1"]  # CKT-2 is an ordinary line: not required
    assert rep.not_required == 1
    assert rep.by_id["CKT-1"].verdict is Verdict.violation
    assert rules_of(rep, "CKT-1") == {
        Rule.same_cable: {"cable:C3", "cable:C4"},
        Rule.same_duct: {"duct:D4", "duct:D5"},
        Rule.same_site: {"site:A-CO", "site:B-CO"},
        Rule.dual_device: {"device:NE-A", "device:NE-B"},
        Rule.dual_board: {"board:NE-A:3", "board:NE-B:3"},
    }
    shared_ne_a = next(f for f in rep.by_id["CKT-1"].findings if f.element.key == "device:NE-A")
    # an intermediate element is entered on one hop and left on the next
    assert shared_ne_a.working == (HopRef(0, "L-A-CPE1"), HopRef(1, "L-AB1"))
    assert shared_ne_a.protection == (HopRef(0, "L-A-CPE1"), HopRef(1, "L-AB2"))


def test_truly_diverse_mini(diverse_mini: Path, index_of: IndexOf) -> None:
    rep = audit(index_of(diverse_mini))
    assert rep.by_id["CKT-3"].verdict is Verdict.diverse
    assert rep.by_id["CKT-3"].findings == ()
    assert rep.counts() == {"diverse": 1, "violation": 1, "unverified": 0, "no_protection": 0}


def test_cable_without_ducts_makes_it_unverified(diverse_mini: Path, edit: Edit, index_of: IndexOf) -> None:
    edit("extra.yaml", "ducts: [D6]", "ducts: []")
    rep = audit(index_of(diverse_mini))
    c = rep.by_id["CKT-3"]
    assert c.verdict is Verdict.unverified
    (f,) = c.findings
    assert (f.rule, f.element.key, f.working, f.protection) == (
        Rule.unverified,
        "cable:C5",
        (),
        (HopRef(0, "L-B-CPE1"),),
    )


def test_link_without_cables_makes_it_unverified(diverse_mini: Path, edit: Edit, index_of: IndexOf) -> None:
    edit("extra.yaml", 'z: "CPE-2:GE0/0/2", cables: [C6]', 'z: "CPE-2:GE0/0/2", cables: []')
    c = audit(index_of(diverse_mini)).by_id["CKT-3"]
    assert c.verdict is Verdict.unverified
    assert [(f.rule, f.element.key, f.working) for f in c.findings] == [
        (Rule.unverified, "link:L-A-CPE2", (HopRef(1, "L-A-CPE2"),))
    ]


def test_violation_wins_over_unverified_and_keeps_the_note(mini: Path, edit: Edit, index_of: IndexOf) -> None:
    edit("network.yaml", "    ducts: [D3]", "    ducts: []")
    c = audit(index_of(mini)).by_id["CKT-1"]
    assert c.verdict is Verdict.violation
    unverified = [f for f in c.findings if f.rule is Rule.unverified]
    assert [(f.element.key, f.protection) for f in unverified] == [("cable:C2", (HopRef(1, "L-AB2"),))]


def test_central_room_entered_through_one_device(mini: Path, edit: Edit, index_of: IndexOf) -> None:
    edit(
        "services.yaml",
        "      trail: VC12-2-1\n",
        "      trail: VC12-2-1\n    central_room: {site: CP-2, access_devices: [NE-B, NE-A]}\n",
    )
    c = audit(index_of(mini)).by_id["CKT-1"]
    room = [f for f in c.findings if f.rule is Rule.dual_device and "central room" in f.detail]
    assert [(f.element.key, f.working, f.protection) for f in room] == [
        ("device:NE-B", (HopRef(1, "L-AB1"), HopRef(2, "L-B-CPE2")), (HopRef(1, "L-AB2"), HopRef(2, "L-B-CPE2")))
    ]


def test_central_room_entered_through_two_devices(diverse_mini: Path, edit: Edit, index_of: IndexOf) -> None:
    edit(
        "extra.yaml",
        "      hops: [L-B-CPE1, L-B-CPE2]\n",
        "      hops: [L-B-CPE1, L-B-CPE2]\n    central_room: {site: CP-2, access_devices: [NE-A, NE-B]}\n",
    )
    assert audit(index_of(diverse_mini)).by_id["CKT-3"].verdict is Verdict.diverse


def test_a_board_with_a_mate_is_accepted_by_policy(mini: Path, edit: Edit, index_of: IndexOf) -> None:
    # both trunk links leave NE-A on board 1, whose 1+1 mate is board 2
    port2 = "      - {name: 2-SL16-1, board: 2, kind: stm16, if_index: 2}\n"
    port3 = "      - {name: 3-EFS-1, board: 3, kind: fe, if_index: 3}\n  - id: NE-B"
    extra = "      - {name: 1-SL16-2, board: 1, kind: stm16, if_index: 4}\n"
    edit("network.yaml", port2 + port3, port2 + extra + port3)
    edit("network.yaml", "    a: NE-A:2-SL16-1", "    a: NE-A:1-SL16-2")
    boards = rules_of(audit(index_of(mini)), "CKT-1")[Rule.dual_board]
    assert boards == {"board:NE-A:3", "board:NE-B:3"}
    policy = with_diversity(load_config(mini).policy, mate_board_satisfies_dual_board=False)
    boards = rules_of(audit(index_of(mini, policy)), "CKT-1")[Rule.dual_board]
    assert boards == {"board:NE-A:1", "board:NE-A:3", "board:NE-B:3"}


def test_unprotected_required_circuit(mini: Path, edit: Edit, index_of: IndexOf) -> None:
    # the shop becomes a bronze-class customer: its unprotected line is now under the rules
    edit("services.yaml", "    industry: small_business", "    industry: small_business\n    important_class: bronze")
    rep = audit(index_of(mini))
    assert rep.by_id["CKT-2"].verdict is Verdict.no_protection
    assert [f.rule for f in rep.by_id["CKT-2"].findings] == [Rule.no_protection]
    assert rep.counts()["no_protection"] == 1
