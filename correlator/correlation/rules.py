"""The correlation rules (``config/correlation.yaml``): root cause vs symptom as data.

The engine knows a small number of rule *kinds*; the file says which are on and with what
parameters. Each rule has a ``name`` (shown on every symptom it makes and in the incident's root
cause) and a ``kind``:

- ``port_masking``: within one port the higher layer masks the lower (``order``, highest first);
- ``ais_trace``: an AIS is traced back along the circuits' paths to the nearest element reporting a
  defect that is not an AIS;
- ``rdi_pairing``: an RDI is paired with the receive defect at the far end of its section or path;
- ``link_fault``: defects at both ends of one link are one root cause, the link;
- ``shared_cable`` / ``shared_duct``: links that fail within a window and share a cable (or
  cables that share a duct) are one root cause, the cable (the duct): the cut no element reports;
- ``unreachable``: an unreachable element masks its own alarms, the alarms of the elements managed
  only through it and those of the ports facing it;
- ``equipment``: a failed board masks its ports' alarms and those of the ports facing them;
- ``chain``: the IPRAN chain port -> BFD -> tunnel -> PW -> VRF is one root cause.

A kind may appear at most once. Removing a rule from the file turns that inference off. Every
alarm type named in the file must be in ``config/alarm_types.yaml``; :func:`load_rules` reports
every problem as ``file:line: path: what (fix)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from correlator.alarms.settings import DedupSettings
from correlator.alarmtypes import AlarmTypeTable, load_alarm_types
from correlator.configfile.errors import ConfigError, ConfigIssue, PathKey
from correlator.configfile.validate import validate
from correlator.configfile.yamlsrc import YamlSource, load_yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "config" / "correlation.yaml"

AlarmKindName = Literal["defect", "indication", "state", "meta"]
TypeList = Annotated[list[str], Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Selector(Strict):
    """A set of alarm types: named ``types``, every type of some ``layers``, or of some ``kinds``."""

    types: list[str] = Field(default_factory=list)
    layers: list[str] = Field(default_factory=list)
    kinds: list[AlarmKindName] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> Selector:
        if not (self.types or self.layers or self.kinds):
            raise ValueError("a selector needs 'types', 'layers' or 'kinds'")
        return self

    def expand(self, table: AlarmTypeTable) -> frozenset[str]:
        out = set(self.types)
        for name, at in table.types.items():
            if at.layer in self.layers or at.kind in self.kinds:
                out.add(name)
        return frozenset(out)


class RuleBase(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$", max_length=64)
    description: str = ""


class PortMasking(RuleBase):
    kind: Literal["port_masking"]
    order: list[Selector] = Field(min_length=2, description="highest layer first")


class AisTrace(RuleBase):
    kind: Literal["ais_trace"]
    indications: TypeList = Field(description="the AIS types traced back")
    ends_at: Selector = Field(
        default=Selector(kinds=["defect", "state"]),
        description="what ends a trace: the first element reporting one of these (AIS types never do)",
    )


class RdiPair(Strict):
    rdi: str
    scope: Literal["section", "path"] = Field(
        description="section: the far end of the port's link; path: the far end of each circuit path through the port"
    )
    far_end: TypeList = Field(description="receive defects at the far end the RDI answers")


class RdiPairing(RuleBase):
    kind: Literal["rdi_pairing"]
    pairs: list[RdiPair] = Field(min_length=1)


class LinkFault(RuleBase):
    kind: Literal["link_fault"]
    defects: TypeList
    min_ends: Literal[1, 2] = Field(default=2, description="ends of the link that must report a defect")


class SharedRisk(RuleBase):
    window_seconds: float = Field(gt=0, description="failures further apart than this are not one cut")
    link_defects: TypeList = Field(description="a link with one of these at either end has failed")
    single_equipment_exempt: bool = Field(
        default=True,
        description="no inference when every failed link is explained by one unreachable element or failed board",
    )


class SharedCable(SharedRisk):
    kind: Literal["shared_cable"]
    min_links: int = Field(ge=2, description="failed links of one cable within the window")


class SharedDuct(SharedRisk):
    kind: Literal["shared_duct"]
    min_cables: int = Field(ge=2, description="cables of one duct with a failed link within the window")


class Unreachable(RuleBase):
    kind: Literal["unreachable"]
    types: TypeList
    own_alarms: bool = True
    managed_via: bool = Field(default=True, description="mask elements whose every managed_via gateway is unreachable")
    facing_ports: bool = Field(default=True, description="mask alarms of ports whose link leads to the element")


class Equipment(RuleBase):
    kind: Literal["equipment"]
    types: TypeList
    own_ports: bool = True
    facing_ports: bool = True


ChainScope = Literal["port", "bfd", "tunnel", "pw", "vrf"]


class ChainLevel(Strict):
    scope: ChainScope
    types: TypeList


class Chain(RuleBase):
    kind: Literal["chain"]
    levels: list[ChainLevel] = Field(min_length=2, description="lowest first: each level is a symptom of those below")

    @field_validator("levels")
    @classmethod
    def _port_first(cls, levels: list[ChainLevel]) -> list[ChainLevel]:
        if levels[0].scope != "port":
            raise ValueError("the first level must have scope 'port' (the physical fault the chain starts from)")
        scopes = [lv.scope for lv in levels]
        if len(set(scopes)) != len(scopes):
            raise ValueError("each scope may appear once")
        return levels


Rule = Annotated[
    PortMasking | AisTrace | RdiPairing | LinkFault | SharedCable | SharedDuct | Unreachable | Equipment | Chain,
    Field(discriminator="kind"),
]

RULE_MODELS: dict[str, type[RuleBase]] = {
    "port_masking": PortMasking,
    "ais_trace": AisTrace,
    "rdi_pairing": RdiPairing,
    "link_fault": LinkFault,
    "shared_cable": SharedCable,
    "shared_duct": SharedDuct,
    "unreachable": Unreachable,
    "equipment": Equipment,
    "chain": Chain,
}


class ImpactOptions(Strict):
    """Which alarm types, as a root cause's evidence, take a resource down or only degrade it.

    Inferred roots (a link fault, a cable, a duct) are always down.
    """

    down: list[str] = Field(default_factory=list)
    degraded: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> ImpactOptions:
        both = sorted(set(self.down) & set(self.degraded))
        if both:
            raise ValueError(f"{', '.join(both)} cannot be both down and degraded")
        return self


class RulesHead(Strict):
    """The file without its rules (each rule is validated on its own, for exact error paths)."""

    version: int = Field(ge=1, le=1)
    settle_seconds: float = Field(
        default=5, ge=0, description="a new incident waits this long for its root cause before it opens"
    )
    close_after_seconds: float = Field(
        default=900, ge=0, description="a cleared incident re-opens if its root cause returns within this, then closes"
    )
    dedup: DedupSettings = DedupSettings()
    no_incident_types: list[str] = Field(
        default_factory=list, description="alarm types that never open an incident on their own"
    )
    rules: list[dict[str, Any]] = Field(default_factory=list)
    impact: ImpactOptions = ImpactOptions()


class CorrelationRules(Strict):
    version: int = 1
    settle_seconds: float = 5
    close_after_seconds: float = 900
    dedup: DedupSettings = DedupSettings()
    no_incident_types: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    impact: ImpactOptions = ImpactOptions()
    source: str = Field(default="", description="where the rules were read from")

    def rule(self, kind: type[RuleBase]) -> Any:
        """The rule of this kind, or None when the file does not turn it on."""
        return next((r for r in self.rules if isinstance(r, kind)), None)

    def without(self, name: str) -> CorrelationRules:
        """The same rules without the one called ``name`` (for what-if and tests)."""
        if not any(r.name == name for r in self.rules):
            raise KeyError(f"no rule named '{name}'")
        return self.model_copy(update={"rules": [r for r in self.rules if r.name != name]})


# -- loading ---------------------------------------------------------------------------------


def _type_refs(rules: CorrelationRules) -> list[tuple[PathKey, str]]:
    """Every alarm type named in the file, with where it is."""
    out: list[tuple[PathKey, str]] = [(("no_incident_types", i), t) for i, t in enumerate(rules.no_incident_types)]
    out += [(("impact", "down", i), t) for i, t in enumerate(rules.impact.down)]
    out += [(("impact", "degraded", i), t) for i, t in enumerate(rules.impact.degraded)]

    def lst(base: PathKey, names: list[str]) -> None:
        out.extend(((*base, i), t) for i, t in enumerate(names))

    for n, rule in enumerate(rules.rules):
        base: PathKey = ("rules", n)
        if isinstance(rule, PortMasking):
            for j, sel in enumerate(rule.order):
                lst((*base, "order", j, "types"), sel.types)
        elif isinstance(rule, AisTrace):
            lst((*base, "indications"), rule.indications)
            lst((*base, "ends_at", "types"), rule.ends_at.types)
        elif isinstance(rule, RdiPairing):
            for j, pair in enumerate(rule.pairs):
                out.append(((*base, "pairs", j, "rdi"), pair.rdi))
                lst((*base, "pairs", j, "far_end"), pair.far_end)
        elif isinstance(rule, LinkFault):
            lst((*base, "defects"), rule.defects)
        elif isinstance(rule, SharedCable | SharedDuct):
            lst((*base, "link_defects"), rule.link_defects)
        elif isinstance(rule, Unreachable | Equipment):
            lst((*base, "types"), rule.types)
        elif isinstance(rule, Chain):
            for j, level in enumerate(rule.levels):
                lst((*base, "levels", j, "types"), level.types)
    return out


def _layer_refs(rules: CorrelationRules) -> list[tuple[PathKey, str]]:
    out: list[tuple[PathKey, str]] = []
    for n, rule in enumerate(rules.rules):
        if isinstance(rule, PortMasking):
            for j, sel in enumerate(rule.order):
                out += [(("rules", n, "order", j, "layers", k), layer) for k, layer in enumerate(sel.layers)]
        if isinstance(rule, AisTrace):
            out += [(("rules", n, "ends_at", "layers", k), layer) for k, layer in enumerate(rule.ends_at.layers)]
    return out


def check_names(src: YamlSource, rules: CorrelationRules, table: AlarmTypeTable) -> list[ConfigIssue]:
    """Alarm types and layers named in the rules must exist in the alarm-type table."""
    issues: list[ConfigIssue] = []
    for path, name in _type_refs(rules):
        if name not in table.types:
            issues.append(src.issue(path, f"unknown alarm type '{name}'", "use a type of config/alarm_types.yaml"))
    layers = {t.layer for t in table.types.values()}
    for path, layer in _layer_refs(rules):
        if layer not in layers:
            issues.append(src.issue(path, f"unknown layer '{layer}'", f"use one of {', '.join(sorted(layers))}"))
    return issues


def parse_rules(src: YamlSource, table: AlarmTypeTable) -> tuple[CorrelationRules | None, list[ConfigIssue]]:
    """Validate a parsed rules file; every issue names its line."""
    if not isinstance(src.data, dict):
        return None, [src.issue((), "the rules file must be a YAML mapping", "start with 'version: 1'")]
    head, issues = validate(src, RulesHead)
    if head is None:
        return None, issues
    rules: list[Rule] = []
    names: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for i, raw in enumerate(head.rules):
        kind = raw.get("kind")
        model = RULE_MODELS.get(kind) if isinstance(kind, str) else None
        if model is None or not isinstance(kind, str):
            issues.append(
                src.issue(("rules", i, "kind"), f"unknown rule kind {kind!r}", f"use one of {', '.join(RULE_MODELS)}")
            )
            continue
        rule, more = validate(src, model, base=("rules", i))
        issues += more
        if rule is None:
            continue
        if rule.name in names:
            issues.append(
                src.issue(
                    ("rules", i, "name"), f"duplicate rule name '{rule.name}' (first is rules[{names[rule.name]}])"
                )
            )
        if kind in kinds:
            issues.append(
                src.issue(
                    ("rules", i, "kind"),
                    f"a second '{kind}' rule (first is rules[{kinds[kind]}])",
                    "merge them: each kind may appear once",
                )
            )
        names.setdefault(rule.name, i)
        kinds.setdefault(kind, i)
        rules.append(rule)  # type: ignore[arg-type]
    if issues:
        return None, issues
    out = CorrelationRules(
        version=head.version,
        settle_seconds=head.settle_seconds,
        close_after_seconds=head.close_after_seconds,
        dedup=head.dedup,
        no_incident_types=head.no_incident_types,
        rules=rules,
        impact=head.impact,
        source=src.name,
    )
    issues = check_names(src, out, table)
    return (None, issues) if issues else (out, [])


def load_rules(path: Path | str = DEFAULT_PATH, table: AlarmTypeTable | None = None) -> CorrelationRules:
    """Load and check the rules file; raise :class:`ConfigError` with every issue."""
    src, issues = load_yaml(Path(path))
    if src is None:
        raise ConfigError(issues)
    rules, more = parse_rules(src, table or load_alarm_types())
    if rules is None or issues or more:
        raise ConfigError(issues + more)
    return rules
