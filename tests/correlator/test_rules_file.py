"""config/correlation.yaml: the shipped rules load; a broken file is refused with file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.alarms import DedupSettings
from correlator.configfile.errors import ConfigError
from correlator.correlation.rules import (
    DEFAULT_PATH,
    AisTrace,
    Chain,
    LinkFault,
    PortMasking,
    SharedCable,
    SharedDuct,
    load_rules,
)


def test_the_shipped_rules_load() -> None:
    rules = load_rules()
    assert rules.settle_seconds == 5
    assert isinstance(rules.dedup, DedupSettings)
    assert rules.dedup.flap_threshold == 4
    masking = rules.rule(PortMasking)
    assert masking is not None and masking.order[0].types == ["LOS"]
    assert rules.rule(AisTrace).indications == ["MS_AIS", "AU_AIS", "TU_AIS"]
    assert rules.rule(LinkFault).min_ends == 2
    assert rules.rule(SharedCable).window_seconds == rules.rule(SharedDuct).window_seconds == 60
    chain = rules.rule(Chain)
    assert [lv.scope for lv in chain.levels] == ["port", "bfd", "tunnel", "pw", "vrf"]
    assert "LOS" in rules.impact.down and "OPTICAL_RX_LOW" in rules.impact.degraded


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "correlation.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def errors(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_rules(path)
    return [str(i) for i in exc.value.issues]


def shipped_with(old: str, new: str) -> str:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_an_unknown_alarm_type_is_named_with_its_line(tmp_path: Path) -> None:
    text = shipped_with("defects: [LOS, LOF, LINK_DOWN]", "defects: [LOS, LOF, LNK_DOWN]")
    path = write(tmp_path, text)
    (err,) = errors(path)
    line = line_of(text, "LNK_DOWN")
    assert f"correlation.yaml:{line}: rules[3].defects[2]: unknown alarm type 'LNK_DOWN'" in err
    assert "config/alarm_types.yaml" in err


def test_an_unknown_rule_kind_lists_the_kinds(tmp_path: Path) -> None:
    text = shipped_with("kind: link_fault", "kind: fiber_fault")
    (err,) = errors(write(tmp_path, text))
    assert f":{line_of(text, 'fiber_fault')}: rules[3].kind: unknown rule kind 'fiber_fault'" in err
    assert "link_fault" in err


def test_a_bad_parameter_names_the_path_inside_the_rule(tmp_path: Path) -> None:
    text = shipped_with("min_links: 2", "min_links: 1")
    (err,) = errors(write(tmp_path, text))
    assert f":{line_of(text, 'min_links: 1')}: rules[4].min_links:" in err


def test_a_second_rule_of_one_kind_is_refused(tmp_path: Path) -> None:
    text = shipped_with(
        "  - name: shared-duct\n",
        "  - name: shared-cable-2\n    kind: shared_cable\n    window_seconds: 5\n    min_links: 3\n"
        "    link_defects: [LOS]\n  - name: shared-duct\n",
    )
    (err,) = errors(write(tmp_path, text))
    assert "a second 'shared_cable' rule (first is rules[4])" in err


def test_an_unknown_layer_and_a_bad_dedup_setting_are_both_reported(tmp_path: Path) -> None:
    text = shipped_with("{layers: [path_high]}", "{layers: [path_hi]}")
    text = text.replace("flap_threshold: 4", "flap_threshold: 1")
    errs = errors(write(tmp_path, text))
    assert any("dedup.flap_threshold" in e for e in errs)
    # the rules are checked once the head of the file is valid; fix it and the layer is reported
    text = text.replace("flap_threshold: 1", "flap_threshold: 4")
    (err,) = errors(write(tmp_path, text))
    assert f":{line_of(text, 'path_hi]')}: rules[0].order[5].layers[0]: unknown layer 'path_hi'" in err


def test_an_alarm_type_cannot_be_both_down_and_degraded(tmp_path: Path) -> None:
    text = shipped_with("degraded: [RS_TIM,", "degraded: [LOS, RS_TIM,")
    (err,) = errors(write(tmp_path, text))
    assert "LOS cannot be both down and degraded" in err


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    (err,) = errors(tmp_path / "nope.yaml")
    assert "file not found" in err
