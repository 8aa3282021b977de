"""Root cause vs symptom, incidents and their impact on customer circuits (issue 5, incident layer).

- :class:`Correlator` (:mod:`.engine`): AlarmEvents through the alarm book, root-cause analysis and
  the incident book; ``ingest(event)`` and ``tick()`` return :class:`IncidentChange` lists.
- :func:`load_rules` (:mod:`.rules`): ``config/correlation.yaml``, the rules as data.
- :class:`Incident` and friends (:mod:`.model`); :class:`IncidentRepository` (:mod:`.repository`):
  incidents, symptoms, impacted circuits and the impact history in the store (migration ``0003``).
- :mod:`.replay`: a recorded stream through everything (tickets included, :mod:`correlator.tickets`),
  in its own time.
"""

from correlator.correlation.engine import Correlator
from correlator.correlation.model import (
    ImpactedCircuit,
    ImpactInterval,
    ImpactStatus,
    Incident,
    IncidentChange,
    IncidentChangeKind,
    IncidentState,
    RootCause,
    Symptom,
    incident_id,
)
from correlator.correlation.rules import CorrelationRules, load_rules

__all__ = [
    "CorrelationRules",
    "Correlator",
    "ImpactInterval",
    "ImpactStatus",
    "ImpactedCircuit",
    "Incident",
    "IncidentChange",
    "IncidentChangeKind",
    "IncidentState",
    "RootCause",
    "Symptom",
    "incident_id",
    "load_rules",
]
