"""Every rule of config/correlation.yaml matters: without it, a lab scenario comes out differently.

For each rule: with the shipped file the scenario is one incident with the expected root cause;
with the same file minus that rule it is not (more incidents, another root). A rule added to the
file without a case here fails ``test_every_shipped_rule_has_a_case``.
"""

from __future__ import annotations

import pytest

from correlator.correlation import CorrelationRules
from tests.correlator.conftest import MakeHarness, read_jsonl, shipped_rules

CASES: dict[str, tuple[str, str]] = {
    "sdh-layer-masking": ("sdh-span-cut", "link:L-SDH-CEN-NOR"),
    "ais-trace-back": ("sdh-span-cut", "link:L-SDH-CEN-NOR"),
    "rdi-pairing": ("sdh-span-cut", "link:L-SDH-CEN-NOR"),
    "fibre-link-fault": ("sdh-span-cut", "link:L-SDH-CEN-NOR"),
    "shared-cable": ("sdh-cable-cut", "cable:CB-WES-CEN"),
    "shared-duct": ("duct-cut", "duct:D-013"),
    "unreachable-element": ("cpe-power-off", "device:CPE-SMB-01"),
    "board-fault": ("board-fault", "board:AGG-CEN:3"),
    "ipran-chain": ("ipran-agg-port-down", "link:L-IP-WES-CEN"),
}


def roots(harness: MakeHarness, rules: CorrelationRules, scenario: str) -> list[str]:
    h = harness(rules).run(read_jsonl(scenario))
    return h.roots()


def test_every_shipped_rule_has_a_case() -> None:
    assert sorted(r.name for r in shipped_rules().rules) == sorted(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_removing_the_rule_changes_the_outcome(harness: MakeHarness, rule: str) -> None:
    scenario, root = CASES[rule]
    full = shipped_rules()
    assert roots(harness, full, scenario) == [root]
    without = roots(harness, full.without(rule), scenario)
    assert without != [root], f"{scenario} still gives {root} without {rule}"
    assert len(without) > 1 or root not in without


def test_removing_the_rule_removes_its_name_from_the_symptoms(harness: MakeHarness) -> None:
    h = harness(shipped_rules().without("rdi-pairing")).run(read_jsonl("sdh-span-cut"))
    names = {s.rule for inc in h.published() for s in inc.symptoms.values()}
    assert "rdi-pairing" not in names
    assert "root:port:CPE-BANK-SUB:E1-0/1/0" in {f"root:{r}" for r in h.roots()}
