"""Route and equipment diversity: the audit, service spreading, what-if cuts, live route state and
protection-route suggestions (DOMAIN.md, "Route and equipment diversity of important customers").

Build a :class:`NetworkIndex` once from an inventory and the SLA policy; every view reads it:

- :func:`audit` -> :class:`AuditReport` (verdict and findings per circuit, spreading findings);
- :func:`what_if` -> :class:`WhatIf` (circuits losing service / protection, ranked);
- :func:`evaluate` -> :class:`LiveEvaluation` (ok / single_route_risk / outage), :func:`summary`
  and :func:`metric_family` for Prometheus;
- :func:`suggest` with a :class:`DuctGraph` -> :class:`Suggestion`.
"""

from correlator.diversity.audit import AuditReport, CircuitAudit, audit, audit_circuit
from correlator.diversity.expand import CircuitInfo, LinkExpansion, NetworkIndex, rkey, split_key
from correlator.diversity.findings import Element, Finding, HopRef, Rule, Verdict
from correlator.diversity.live import LiveEvaluation, RouteState, evaluate, metric_family, summary
from correlator.diversity.spreading import SpreadingFinding, find_spreading
from correlator.diversity.suggest import DuctGraph, DuctRoute, Suggestion, suggest
from correlator.diversity.whatif import CutError, Impact, WhatIf, parse_cut, what_if

__all__ = [
    "AuditReport",
    "CircuitAudit",
    "CircuitInfo",
    "CutError",
    "DuctGraph",
    "DuctRoute",
    "Element",
    "Finding",
    "HopRef",
    "Impact",
    "LinkExpansion",
    "LiveEvaluation",
    "NetworkIndex",
    "RouteState",
    "Rule",
    "SpreadingFinding",
    "Suggestion",
    "Verdict",
    "WhatIf",
    "audit",
    "audit_circuit",
    "evaluate",
    "find_spreading",
    "metric_family",
    "parse_cut",
    "rkey",
    "split_key",
    "suggest",
    "summary",
    "what_if",
]
