"""Feed events: what the correlator tells the outside world, as versioned JSON.

A :class:`FeedEvent` is one incident change (``incident.created`` ... ``incident.closed``) or one
ticket event (``ticket.<kind>``), with its time and a JSON payload. Its ``id`` is the outbox's
sequence number: it grows with every event stored, is never reused, and names the event to a
receiver (which de-duplicates by it: delivery is at least once).

The document on the wire (``schema`` names the major version, as :mod:`correlator.wire` does;
adding a field is a minor change, a reader refuses a major version it does not know)::

    {"schema": "linewatch.feed_event/1", "id": 42, "kind": "incident.opened",
     "at": "2026-12-01T02:00:10.200Z", "source": "linewatch-lab", "subject": "INC-...",
     "data": {...}}

``data`` of an incident event: ``id``, ``state``, ``published``, ``url`` (the incident in the API,
when ``feeds.external_url`` is set), ``root`` (``kind``, ``id``, ``key``, ``rule``, ``evidence``),
``started_at``, ``opened_at``, ``cleared_at``, ``closed_at``, ``merged_into``, ``flapping``,
``symptom_count``, ``tier`` (highest customer tier it hurts now, or null), ``circuits`` (every
circuit it hurts or hurt: ``circuit``, ``customer``, ``tier``, ``maintenance_level``,
``service_level``, ``status`` outage | protection_lost | degraded, ``since``, ``status_since``,
``until``, ``paths_down``), ``outage`` and ``single_route_risk`` (circuits hurt now with that
status: a protected circuit with one path down is at single-route risk until both are up), and
``change`` (``symptoms_added``, ``symptoms_removed`` counts, ``circuits_changed``). ``data`` is the
incident as it stands when the batch of changes is taken (a ``created`` and an ``opened`` of the same
batch both show it open). ``data`` of a ticket event is the ticket book's ``as_dict()``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from correlator.correlation.model import (
    ImpactedCircuit,
    ImpactStatus,
    Incident,
    IncidentChange,
    IncidentChangeKind,
    IncidentState,
)
from correlator.domain import CustomerTier

SCHEMA = "linewatch.feed_event/1"

TierRank = Callable[[CustomerTier], int]
"""1 is the most important tier (``SlaPolicy.tier_rank``)."""


def enum_rank(tier: CustomerTier) -> int:
    """The tiers' order in :class:`~correlator.domain.CustomerTier` (highest first)."""
    return list(CustomerTier).index(tier) + 1


class TicketEventLike(Protocol):
    """What the ticket book emits (``correlator.tickets``): only these are used."""

    @property
    def kind(self) -> str: ...

    @property
    def ticket_id(self) -> str: ...

    @property
    def at(self) -> datetime: ...

    def as_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class FeedEvent:
    kind: str
    """``incident.<change kind>`` or ``ticket.<kind>``."""
    at: datetime
    subject: str
    """The incident id or the ticket id."""
    payload: dict[str, Any] = field(hash=False)
    published: bool = True
    """False for an incident never published (settling, or gone within its settle window)."""
    id: int = 0
    """The outbox sequence number; 0 until stored."""
    source: str = "linewatch"

    def with_id(self, event_id: int) -> FeedEvent:
        return replace(self, id=event_id)

    def document(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "id": self.id,
            "kind": self.kind,
            "at": iso(self.at),
            "source": self.source,
            "subject": self.subject,
            "data": self.payload,
        }

    def body(self) -> bytes:
        """The exact bytes sent (and signed): canonical JSON, the same on every attempt."""
        return json.dumps(self.document(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def parse_document(body: bytes | str) -> dict[str, Any]:
    """A receiver's check of a feed document: JSON object of a known major version."""
    doc = json.loads(body)
    if not isinstance(doc, dict):
        raise ValueError("a feed event must be a JSON object")
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"unknown schema '{doc.get('schema')}', this reader knows '{SCHEMA}'")
    return doc


def iso(t: datetime | None) -> str | None:
    """UTC, millisecond precision, ``Z``: ``2026-12-01T02:00:10.200Z``."""
    if t is None:
        return None
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _circuit(c: ImpactedCircuit) -> dict[str, Any]:
    return {
        "circuit": c.circuit,
        "customer": c.customer,
        "tier": c.tier.value,
        "maintenance_level": c.maintenance_level.value,
        "service_level": c.service_level.value,
        "status": c.status.value,
        "since": iso(c.since),
        "status_since": iso(c.status_since),
        "until": iso(c.until),
        "paths_down": list(c.paths_down),
    }


def top_tier(circuits: Iterable[ImpactedCircuit], rank: TierRank = enum_rank) -> CustomerTier | None:
    """The most important tier among circuits hurt now."""
    tiers = {c.tier for c in circuits if c.until is None}
    return min(tiers, key=rank) if tiers else None


def incident_data(
    inc: Incident,
    external_url: str | None = None,
    rank: TierRank = enum_rank,
) -> dict[str, Any]:
    """The ``data`` of an incident event (also what the API would show of it)."""
    now = inc.impacted()
    tier = top_tier(inc.circuits.values(), rank)
    return {
        "id": inc.id,
        "state": inc.state.value,
        "published": inc.was_open,
        "url": incident_url(external_url, inc.id),
        "root": {
            "kind": inc.root.kind,
            "id": inc.root.id,
            "key": inc.root.key,
            "rule": inc.root.rule,
            "evidence": list(inc.root.evidence),
        },
        "started_at": iso(inc.started_at),
        "opened_at": iso(inc.opened_at),
        "cleared_at": iso(inc.cleared_at),
        "closed_at": iso(inc.closed_at),
        "merged_into": inc.merged_into,
        "flapping": inc.flapping,
        "symptom_count": len(inc.symptoms),
        "tier": tier.value if tier is not None else None,
        "circuits": [_circuit(inc.circuits[cid]) for cid in sorted(inc.circuits)],
        "outage": sorted(c.circuit for c in now if c.status is ImpactStatus.outage),
        "single_route_risk": sorted(c.circuit for c in now if c.status is ImpactStatus.protection_lost),
    }


def incident_url(external_url: str | None, incident_id: str) -> str | None:
    if not external_url:
        return None
    return f"{external_url.rstrip('/')}/incidents/{incident_id}"


@dataclass(frozen=True)
class EventBuilder:
    """Builds feed events from the correlator's changes and the ticket book's events."""

    source: str = "linewatch"
    external_url: str | None = None
    rank: TierRank = enum_rank

    def from_changes(self, changes: Iterable[IncidentChange]) -> list[FeedEvent]:
        """One event per change, in order; repeated ``updated`` changes of one incident in the same
        batch are folded into the first (they would carry the same data)."""
        out: list[FeedEvent] = []
        updated_at: dict[str, int] = {}
        counts: dict[int, tuple[int, int, set[str]]] = {}
        for ch in changes:
            inc = ch.incident
            if ch.kind is IncidentChangeKind.updated and inc.id in updated_at:
                pos = updated_at[inc.id]
                added, removed, circuits = counts[pos]
                counts[pos] = (added + len(ch.symptoms_added), removed + len(ch.symptoms_removed), circuits)
                circuits.update(ch.circuits_changed)
                continue
            pos = len(out)
            if ch.kind is IncidentChangeKind.updated:
                updated_at[inc.id] = pos
            counts[pos] = (len(ch.symptoms_added), len(ch.symptoms_removed), set(ch.circuits_changed))
            out.append(
                FeedEvent(
                    kind=f"incident.{ch.kind.value}",
                    at=ch.at,
                    subject=inc.id,
                    payload=incident_data(inc, self.external_url, self.rank),
                    published=inc.was_open,
                    source=self.source,
                )
            )
        for pos, (added, removed, circuits) in counts.items():
            out[pos].payload["change"] = {
                "symptoms_added": added,
                "symptoms_removed": removed,
                "circuits_changed": sorted(circuits),
            }
        return out

    def from_ticket_events(self, events: Iterable[TicketEventLike]) -> list[FeedEvent]:
        out: list[FeedEvent] = []
        for ev in events:
            data = _jsonable(ev.as_dict())
            if not isinstance(data, dict):
                raise TypeError(f"ticket event {ev.ticket_id}: as_dict() must return a mapping")
            data.setdefault("ticket_id", ev.ticket_id)
            out.append(
                FeedEvent(kind=f"ticket.{ev.kind}", at=ev.at, subject=ev.ticket_id, payload=data, source=self.source)
            )
        return out


def _jsonable(value: Any) -> Any:
    """Datetimes to ISO text, enums to their value, tuples to lists; the rest must be JSON already."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if hasattr(value, "value") and isinstance(value.value, str | int):
        return value.value
    return value


def is_final(inc: Incident) -> bool:
    return inc.state in (IncidentState.closed, IncidentState.merged)
