"""Incidents from root causes: opening, settling, merging, clearing, and their impact on circuits.

:class:`~correlator.correlation.rca.Rca` says which root (``kind:id``) each standing alarm belongs
to; this groups alarms by root into incidents and keeps each incident's life:

- a root with standing alarms and no incident opens one, ``settling`` for ``settle_seconds``;
  :meth:`IncidentBook.tick` opens it when the window has passed;
- an incident whose alarms all moved to other roots (a symptom that arrived before its root) is
  ``merged`` into the incident that received most of them, never duplicated;
- an incident whose root alarms all cleared is ``cleared``; if its root returns within
  ``close_after_seconds`` it re-opens (a flapping port is one incident), else it is ``closed``;
- a symptom whose root just cleared (the AIS that clears a moment after the LOS) is *held* in its
  incident for ``settle_seconds`` instead of opening an incident of its own; if it still stands
  after that, it goes to its own root. The record keeps cleared evidence and symptoms.

Impact: each incident's root takes paths down (:class:`~correlator.correlation.impact.ImpactCalc`);
a circuit is in ``outage`` when, over every incident, all its paths are down, in
``protection_lost`` when some are, ``degraded`` when one of its paths runs over the resource of a
degrading alarm of the incident (root evidence, or a symptom that is not an AIS/RDI indication:
those follow the paths the root already took down). Every status change closes one impact interval
and opens the next (the impact history availability is computed from).

Everything is incremental: a batch costs what it changes, not the size of the incidents.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from correlator.correlation.impact import INFERRED_KINDS, Hits, ImpactCalc
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
from correlator.correlation.rca import Rca, RcaDelta
from correlator.correlation.rules import CorrelationRules
from correlator.correlation.topology import Topology
from correlator.domain import PathRole

K = IncidentChangeKind
HELD = "held"
"""Rule shown on a symptom held after its root cleared."""


@dataclass
class _Work:
    """Book-keeping of one incident that is not part of its public record."""

    members: set[str] = field(default_factory=set)
    """Standing alarms in the incident (held ones included)."""
    held: dict[str, datetime] = field(default_factory=dict)
    """Members whose root is elsewhere now, held since (clock time)."""
    worthy: int = 0
    """Members, not held, whose type may open an incident (not ``no_incident_types``)."""
    evidence: set[str] = field(default_factory=set)
    """Standing root alarms."""
    cleared_evidence: set[str] = field(default_factory=set)
    evidence_types: Counter[str] = field(default_factory=Counter)
    rule_of: dict[str, str] = field(default_factory=dict)
    rules: Counter[str] = field(default_factory=Counter)
    flapping: set[str] = field(default_factory=set)
    dirty: set[str] = field(default_factory=set)
    """Members to look at again in this batch."""
    record_dirty: bool = False
    impact_dirty: bool = True
    """The root's evidence or rule changed since the impact was computed."""
    hits: Hits = field(default_factory=dict)
    hits_key: tuple[str, frozenset[str], int] | None = None
    deg_of: dict[str, str] = field(default_factory=dict)
    """Member counted as degrading -> its resource."""
    deg_refs: Counter[str] = field(default_factory=Counter)
    deg_dirty: set[str] = field(default_factory=set)
    deg_counted: set[str] = field(default_factory=set)
    deg_circuits: Counter[str] = field(default_factory=Counter)
    """Circuit -> degrading resources of this incident on its paths."""
    open_iv: dict[str, ImpactInterval] = field(default_factory=dict)
    since_hint: dict[str, datetime] = field(default_factory=dict)
    """Circuit -> when an incident merged into this one began to hurt it."""
    adopted: dict[str, ImpactInterval] = field(default_factory=dict)
    """Circuit -> an open interval handed over by an incident merged into this one, not yet continued."""


class _Pending:
    """What changed in one incident since the last flush."""

    __slots__ = ("circuits", "inc", "intervals", "kinds", "merged_into", "sym_added", "sym_removed")

    def __init__(self, inc: Incident) -> None:
        self.inc = inc
        self.kinds: list[IncidentChangeKind] = []
        self.sym_added: set[str] = set()
        self.sym_removed: set[str] = set()
        self.circuits: set[str] = set()
        self.intervals: set[str] = set()
        self.merged_into: str | None = None

    def kind(self, k: IncidentChangeKind) -> None:
        if k not in self.kinds:
            self.kinds.append(k)


class _Batch:
    __slots__ = ("affected", "cleared_from", "deferred", "evidence_gone", "receivers")

    def __init__(self) -> None:
        self.affected: dict[str, Incident] = {}
        self.receivers: dict[str, Counter[str]] = defaultdict(Counter)
        self.evidence_gone: set[str] = set()
        """Incidents that lost a root alarm to a clear in this batch."""
        self.cleared_from: set[str] = set()
        """Incidents that lost any alarm to a clear in this batch."""
        self.deferred: list[tuple[str, str]] = []


class IncidentBook:
    def __init__(self, topo: Topology, rca: Rca, rules: CorrelationRules) -> None:
        self.topo = topo
        self.rca = rca
        self.impact = ImpactCalc(topo, rules)
        self.settle = timedelta(seconds=rules.settle_seconds)
        self.close_after = timedelta(seconds=rules.close_after_seconds)
        self.no_incident = frozenset(rules.no_incident_types)
        self.incidents: dict[str, Incident] = {}
        """Incidents not final (settling, open, cleared), by id."""
        self.by_root: dict[str, Incident] = {}
        self.work: dict[str, _Work] = {}
        self.alarm_inc: dict[str, str] = {}
        self.root_members: dict[str, set[str]] = defaultdict(set)
        self.down: dict[str, dict[PathRole, set[str]]] = {}
        """Circuit -> path -> incidents taking it down."""
        self.circuit_incs: dict[str, set[str]] = {}
        """Circuit -> incidents that hurt it now."""
        self.used_ids: set[str] = set()
        self._pending: dict[str, _Pending] = {}
        self._now: datetime | None = None

    # -- public ---------------------------------------------------------------------------------

    def apply(self, delta: RcaDelta, at: datetime, now: datetime) -> list[IncidentChange]:
        """Fold one batch of root changes into the incidents; ``at`` is the batch's event time."""
        self._now = now
        b = _Batch()
        for key, old, new in delta.moved:
            prev_id = self.alarm_inc.get(key)
            prev = self.incidents.get(prev_id) if prev_id is not None else None
            if old is not None:
                _discard(self.root_members, old, key)
            if new is None:
                if prev is not None:
                    if key in self.work[prev.id].evidence:
                        b.evidence_gone.add(prev.id)
                    b.cleared_from.add(prev.id)
                    self._leave(prev, key, gone=True)
                    b.affected[prev.id] = prev
                continue
            self.root_members[new].add(key)
            worthy = self.rca.nodes[key].type not in self.no_incident
            inc = self.by_root.get(new)
            if inc is None and prev is not None:
                self._hold(prev, key, now)
                b.affected[prev.id] = prev
                b.deferred.append((key, new))
                continue
            if inc is None and not worthy:
                continue
            if inc is None:
                inc = self._create(new, key, now)
                for other in sorted(self.root_members[new] - {key}):
                    self._move(other, inc, b)
            elif worthy and inc.state is IncidentState.cleared:
                self._reopen(inc, now)
            self._move(key, inc, b)
        for key, new in b.deferred:
            self._place_deferred(key, new, b, now)
        for key in sorted(delta.changed | delta.updated):
            inc_id = self.alarm_inc.get(key)
            if inc_id is not None and inc_id in self.incidents:
                self.work[inc_id].dirty.add(key)
                b.affected[inc_id] = self.incidents[inc_id]
        self._settle_batch(b, at)
        return self._flush(at)

    def tick(self, now: datetime) -> list[IncidentChange]:
        """Open incidents whose settle window has passed, release held symptoms, close old cleared ones."""
        self._now = now
        b = _Batch()
        for inc in sorted(self.incidents.values(), key=lambda i: i.id):
            work = self.work[inc.id]
            for key in sorted(k for k, t in work.held.items() if t + self.settle <= now):
                self._release(inc, key, b, now)
        if b.affected:
            self._settle_batch(b, now)
        for inc in sorted(self.incidents.values(), key=lambda i: i.id):
            if inc.state is IncidentState.settling and inc.settle_until <= now:
                inc.state = IncidentState.open
                inc.was_open = True
                inc.updated_at = now
                self._note(inc).kind(K.opened)
            elif (
                inc.state is IncidentState.cleared
                and inc.cleared_at is not None
                and inc.cleared_at + self.close_after <= now
            ):
                for key in sorted(self.work[inc.id].held):
                    self._release(inc, key, b, now)
                inc.state = IncidentState.closed
                inc.closed_at = now
                inc.updated_at = now
                self._note(inc).kind(K.closed)
                self._forget(inc)
        if b.affected:
            self._settle_batch(b, now)
        return self._flush(now)

    def deadlines(self) -> list[datetime]:
        """Clock times at which :meth:`tick` has work."""
        out: list[datetime] = []
        for inc in self.incidents.values():
            if inc.state is IncidentState.settling:
                out.append(inc.settle_until)
            elif inc.state is IncidentState.cleared and inc.cleared_at is not None:
                out.append(inc.cleared_at + self.close_after)
            out.extend(t + self.settle for t in self.work[inc.id].held.values())
        return out

    def active(self) -> list[Incident]:
        """Incidents not yet final, by id."""
        return [self.incidents[i] for i in sorted(self.incidents)]

    # -- restore after a restart ---------------------------------------------------------------

    def restore(self, incidents: Iterable[Incident]) -> None:
        """Take back incidents loaded from the store, before any alarm is applied."""
        for inc in incidents:
            if inc.state.final:
                continue
            self.incidents[inc.id] = inc
            self.by_root[inc.root_key] = inc
            self.used_ids.add(inc.id)
            work = _Work()
            self.work[inc.id] = work
            work.cleared_evidence = set(inc.root.evidence)
            for iv in inc.history:
                if iv.end is None:
                    work.open_iv[iv.circuit] = iv
            for ic in inc.circuits.values():
                if ic.until is None:
                    self.circuit_incs.setdefault(ic.circuit, set()).add(inc.id)
                    roles = frozenset(PathRole(r) for r in ic.paths_down)
                    if roles:
                        work.hits[ic.circuit] = roles
                        for role in roles:
                            self.down.setdefault(ic.circuit, {}).setdefault(role, set()).add(inc.id)

    def resync(self, at: datetime, now: datetime) -> list[IncidentChange]:
        """After :meth:`restore` and the analysis of the standing alarms: align the two.

        Restored incidents get their alarms back without a change being reported; an incident whose
        root has no standing alarm any more is cleared; a root without an incident opens one.
        """
        self._now = now
        delta = RcaDelta()
        for key, standing in sorted(self.rca.nodes.items()):
            delta.moved.append((key, None, standing.root))
        restored = set(self.incidents)
        for inc in self.active():
            for key in sorted(set(inc.root.evidence) | set(inc.symptoms)):
                node = self.rca.nodes.get(key)
                if node is not None and node.root == inc.root_key:
                    self._join(inc, key)
        out = self.apply(delta, at, now)
        b = _Batch()
        for inc_id in sorted(restored):
            left = self.incidents.get(inc_id)
            if left is not None and self.work[inc_id].worthy == 0 and left.state is not IncidentState.cleared:
                self._clear(left, at)
                b.affected[inc_id] = left
        self._settle_batch(b, at)
        return out + self._flush(at)

    # -- membership -----------------------------------------------------------------------------

    def _move(self, key: str, inc: Incident, b: _Batch) -> None:
        prev_id = self.alarm_inc.get(key)
        b.affected[inc.id] = inc
        if prev_id == inc.id:
            self._unhold(inc, key)
            self.work[inc.id].dirty.add(key)
            return
        if prev_id is not None and prev_id in self.incidents:
            self._leave(self.incidents[prev_id], key, gone=False)
            b.receivers[prev_id][inc.id] += 1
            b.affected[prev_id] = self.incidents[prev_id]
        self._join(inc, key)

    def _place_deferred(self, key: str, root: str, b: _Batch, now: datetime) -> None:
        """An alarm whose new root had no incident when it moved: hold it, or give it its incident."""
        prev_id = self.alarm_inc.get(key)
        node = self.rca.nodes.get(key)
        if prev_id is None or node is None or node.root != root or key not in self.work[prev_id].held:
            return
        prev = self.incidents[prev_id]
        inc = self.by_root.get(root)
        if inc is None and (prev_id in b.cleared_from or prev.state is IncidentState.cleared):
            return  # what explained it cleared a moment ago: held for one settle window
        if inc is None:
            if node.type in self.no_incident:
                self._leave(prev, key, gone=False)
                b.affected[prev_id] = prev
                return
            inc = self._create(root, key, now)
        elif inc.state is IncidentState.cleared and node.type not in self.no_incident:
            self._reopen(inc, now)
        self._move(key, inc, b)

    def _release(self, inc: Incident, key: str, b: _Batch, now: datetime) -> None:
        """A held alarm's window is over: it goes to its own root's incident."""
        node = self.rca.nodes.get(key)
        work = self.work[inc.id]
        if node is None:
            work.held.pop(key, None)
            return
        if node.root == inc.root_key:
            self._unhold(inc, key)
            b.affected[inc.id] = inc
            return
        target = self.by_root.get(node.root)
        if target is None:
            if node.type in self.no_incident:
                self._leave(inc, key, gone=False)
                b.affected[inc.id] = inc
                return
            target = self._create(node.root, key, now)
            for other in sorted(self.root_members.get(node.root, set()) - {key}):
                if self.alarm_inc.get(other) is None:
                    self._move(other, target, b)
        elif target.state is IncidentState.cleared and node.type not in self.no_incident:
            self._reopen(target, now)
        self._move(key, target, b)

    def _create(self, root: str, first_key: str, now: datetime) -> Incident:
        started = self.rca.nodes[first_key].since
        base = incident_id(root, started)
        inc_id, n = base, 2
        while inc_id in self.used_ids:
            inc_id, n = f"{base}-{n}", n + 1
        self.used_ids.add(inc_id)
        kind, _, rid = root.partition(":")
        inc = Incident(
            id=inc_id,
            root=RootCause(kind=kind, id=rid, rule="", evidence=()),
            state=IncidentState.settling,
            started_at=started,
            opened_at=now,
            settle_until=now + self.settle,
            updated_at=now,
        )
        self.incidents[inc_id] = inc
        self.by_root[root] = inc
        self.work[inc_id] = _Work()
        self._note(inc).kind(K.created)
        return inc

    def _reopen(self, inc: Incident, now: datetime) -> None:
        inc.state = IncidentState.open if inc.was_open else IncidentState.settling
        inc.cleared_at = None
        inc.updated_at = now
        self._note(inc).kind(K.reopened)

    def _worthy(self, key: str) -> bool:
        node = self.rca.nodes.get(key)
        type_ = node.type if node is not None else key.rpartition("|")[2]
        return type_ not in self.no_incident

    def _join(self, inc: Incident, key: str) -> None:
        work = self.work[inc.id]
        if key in work.members:
            return
        node = self.rca.nodes[key]
        work.members.add(key)
        work.dirty.add(key)
        self.alarm_inc[key] = inc.id
        if self._worthy(key):
            work.worthy += 1
        if node.since < inc.started_at:
            inc.started_at = node.since

    def _hold(self, inc: Incident, key: str, now: datetime) -> None:
        work = self.work[inc.id]
        if key in work.held or key not in work.members:
            return
        work.held[key] = now
        if self._worthy(key):
            work.worthy -= 1
        work.dirty.add(key)

    def _unhold(self, inc: Incident, key: str) -> None:
        work = self.work[inc.id]
        if work.held.pop(key, None) is not None:
            if self._worthy(key):
                work.worthy += 1
            work.dirty.add(key)

    def _leave(self, inc: Incident, key: str, gone: bool) -> None:
        """An alarm leaves: cleared (``gone``: the record keeps it) or moved to another incident."""
        work = self.work[inc.id]
        if key not in work.members:
            return
        work.members.discard(key)
        work.dirty.discard(key)
        if work.held.pop(key, None) is None and self._worthy(key):
            work.worthy -= 1
        if self.alarm_inc.get(key) == inc.id:
            del self.alarm_inc[key]
        p = self._note(inc)
        was_evidence = key in work.evidence
        self._drop_evidence(work, key)
        self._set_degrading(work, key, None)
        if gone:
            if was_evidence:
                work.cleared_evidence.add(key)
                work.record_dirty = True
            sym = inc.symptoms.get(key)
            if sym is not None and sym.active:
                inc.symptoms[key] = Symptom(sym.alarm, sym.rule, sym.parent, active=False)
                p.sym_added.add(key)
            return
        if key in work.cleared_evidence:
            work.cleared_evidence.discard(key)
            work.record_dirty = True
        if inc.symptoms.pop(key, None) is not None:
            p.sym_removed.add(key)
            p.sym_added.discard(key)

    def _drop_evidence(self, work: _Work, key: str) -> None:
        if key not in work.evidence:
            return
        work.evidence.discard(key)
        node = self.rca.nodes.get(key)
        type_ = node.type if node is not None else key.rpartition("|")[2]
        work.evidence_types[type_] -= 1
        if work.evidence_types[type_] <= 0:
            del work.evidence_types[type_]
        rule = work.rule_of.pop(key, "")
        work.rules[rule] -= 1
        if work.rules[rule] <= 0:
            del work.rules[rule]
        work.flapping.discard(key)
        work.record_dirty = True
        work.impact_dirty = True

    def _set_degrading(self, work: _Work, key: str, ref: str | None) -> None:
        old = work.deg_of.get(key)
        if old == ref:
            return
        if old is not None:
            del work.deg_of[key]
            work.deg_refs[old] -= 1
            if work.deg_refs[old] <= 0:
                del work.deg_refs[old]
                work.deg_dirty.add(old)
        if ref is not None:
            work.deg_of[key] = ref
            work.deg_refs[ref] += 1
            if work.deg_refs[ref] == 1:
                work.deg_dirty.add(ref)

    def _refresh_root(self, inc: Incident) -> None:
        """Evidence, symptoms, rule and flapping of one incident, from the members that changed."""
        work = self.work[inc.id]
        if not work.dirty and not work.record_dirty:
            return
        p = self._note(inc)
        for key in sorted(work.dirty):
            node = self.rca.nodes[key]
            held = key in work.held
            root = not held and self.rca.is_root(key)
            degrading = node.type in self.impact.degraded_types and (root or node.alarm.kind != "indication")
            self._set_degrading(work, key, node.ref if degrading and not held else None)
            if held:
                # the record keeps what it was (root evidence, or the symptom it was) while held
                if key in work.evidence:
                    self._drop_evidence(work, key)
                    work.cleared_evidence.add(key)
                elif key not in work.cleared_evidence and key not in inc.symptoms:
                    inc.symptoms[key] = Symptom(alarm=key, rule=HELD, parent="")
                    p.sym_added.add(key)
                continue
            if root:
                if key in work.evidence and work.rule_of.get(key) != node.rule:
                    self._drop_evidence(work, key)
                if key not in work.evidence:
                    work.evidence.add(key)
                    work.cleared_evidence.discard(key)
                    work.evidence_types[node.type] += 1
                    work.rule_of[key] = node.rule
                    work.rules[node.rule] += 1
                    work.record_dirty = True
                    work.impact_dirty = True
                if node.alarm.state.value == "flapping":
                    work.flapping.add(key)
                else:
                    work.flapping.discard(key)
                if inc.symptoms.pop(key, None) is not None:
                    p.sym_removed.add(key)
            else:
                self._drop_evidence(work, key)
                if key in work.cleared_evidence:
                    work.cleared_evidence.discard(key)
                    work.record_dirty = True
                sym = Symptom(alarm=key, rule=HELD if held else node.rule, parent="" if held else node.parent or "")
                if inc.symptoms.get(key) != sym:
                    inc.symptoms[key] = sym
                    p.sym_added.add(key)
                    p.sym_removed.discard(key)
        work.dirty.clear()
        rule, evidence = inc.root.rule, inc.root.evidence
        if work.record_dirty:
            if work.evidence:
                rule = min((r for r in work.rules if r), default="")
            evidence = tuple(sorted(work.evidence | work.cleared_evidence))
            work.record_dirty = False
        flapping = bool(work.flapping)
        if evidence != inc.root.evidence or rule != inc.root.rule or flapping != inc.flapping:
            inc.root = RootCause(kind=inc.root.kind, id=inc.root.id, rule=rule, evidence=evidence)
            inc.flapping = flapping
            p.kind(K.updated)
        if p.sym_added or p.sym_removed:
            p.kind(K.updated)

    def _settle_batch(self, b: _Batch, at: datetime) -> None:
        merged: list[tuple[Incident, Incident]] = []
        for inc_id in sorted(b.affected):
            inc = b.affected[inc_id]
            if inc_id not in self.incidents:
                continue
            self._refresh_root(inc)
            if self.work[inc_id].worthy > 0 or inc.state is IncidentState.cleared:
                continue
            took = {t: n for t, n in b.receivers.get(inc_id, Counter()).items() if t in self.incidents and t != inc_id}
            if took and inc_id not in b.evidence_gone and not self.work[inc_id].held:
                into = min(took.items(), key=lambda kv: (-kv[1], kv[0]))[0]
                merged.append((inc, self.incidents[into]))
            else:
                self._clear(inc, at)
        extra: set[str] = set()
        for inc, target in merged:
            extra |= self._merge(inc, target, at)
            extra |= set(self.work[target.id].adopted)
        if extra or any(self._impact_pending(i) for i in b.affected):
            self._refresh_impacts(set(b.affected), extra, at)
        for _, target in merged:
            twork = self.work.get(target.id)
            if twork is not None:
                for cid in sorted(twork.adopted):  # the survivor does not hurt it now: that interval ends
                    self._end_iv(target, twork.adopted.pop(cid), at)

    def _clear(self, inc: Incident, at: datetime) -> None:
        inc.state = IncidentState.cleared
        inc.cleared_at = at
        inc.updated_at = self._now or at
        self._note(inc).kind(K.cleared)

    def _merge(self, inc: Incident, target: Incident, at: datetime) -> set[str]:
        """``inc`` lost every alarm to ``target``: merged, its impact history moves there."""
        recheck = self._set_hits(inc, {})
        work, twork = self.work[inc.id], self.work[target.id]
        for cid in sorted(inc.circuits):
            # an open interval is handed over: the survivor continues it if the circuit's status there
            # is the same (one outage stays one interval), else closes it (see _set_status)
            iv = work.open_iv.pop(cid, None)
            if iv is not None:
                iv.incident = target.id
                earlier = twork.adopted.get(cid)
                if earlier is None or iv.start < earlier.start:
                    twork.adopted[cid] = iv
                    if earlier is not None:
                        self._end_iv(target, earlier, at)
                else:
                    self._end_iv(target, iv, at)
            self._set_status(inc, cid, None, at)
        moved = []
        for iv in inc.history:
            iv.incident = target.id
            target.history.append(iv)
            moved.append(iv.id)
        inc.history = []
        self._note(target).intervals.update(moved)
        hints = self.work[target.id].since_hint
        for cid, ic in inc.circuits.items():
            hints[cid] = min(hints.get(cid, ic.since), ic.since)
        target.started_at = min(target.started_at, inc.started_at)
        if inc.was_open and target.state is IncidentState.settling:
            target.state = IncidentState.open
            target.was_open = True
            self._note(target).kind(K.opened)
        inc.state = IncidentState.merged
        inc.merged_into = target.id
        inc.updated_at = self._now or at
        p = self._note(inc)
        p.kind(K.merged)
        p.merged_into = target.id
        self._note(target).kind(K.updated)
        self._forget(inc)
        return recheck

    def _forget(self, inc: Incident) -> None:
        """A final incident leaves memory (its record stays in the changes and the store)."""
        self.incidents.pop(inc.id, None)
        if self.by_root.get(inc.root_key) is inc:
            del self.by_root[inc.root_key]
        work = self.work.pop(inc.id, None)
        if work is not None:
            for key in work.members:
                if self.alarm_inc.get(key) == inc.id:
                    del self.alarm_inc[key]

    # -- impact ---------------------------------------------------------------------------------

    def _set_hits(self, inc: Incident, hits: Hits) -> set[str]:
        """Replace an incident's down paths; returns the circuits whose global state may change."""
        work = self.work[inc.id]
        changed: set[str] = set()
        for cid, roles in work.hits.items():
            if hits.get(cid) != roles:
                for role in roles:
                    self.down[cid][role].discard(inc.id)
                changed.add(cid)
        for cid, roles in hits.items():
            if work.hits.get(cid) != roles:
                for role in roles:
                    self.down.setdefault(cid, {}).setdefault(role, set()).add(inc.id)
                changed.add(cid)
        work.hits = hits
        return changed

    def _impact_pending(self, inc_id: str) -> bool:
        """Has the incident's impact to be looked at again? Not when a symptom merely joined or
        changed (the usual case in a storm)."""
        w = self.work.get(inc_id)
        if w is None:
            return False
        return (
            w.impact_dirty
            or w.hits_key is None
            or w.hits_key[2] != self.rca.cut_version(self.incidents[inc_id].root_key)
            or bool(w.deg_dirty)
            or w.worthy <= 0
            or self.incidents[inc_id].state is IncidentState.cleared
        )

    def _refresh_impacts(self, incs: set[str], extra: set[str], at: datetime) -> None:
        recheck: set[str] = set(extra)
        per_inc: dict[str, set[str]] = defaultdict(set)
        for inc_id in sorted(incs):
            inc = self.incidents.get(inc_id)
            if inc is None:
                continue
            work = self.work[inc_id]
            if inc.state is not IncidentState.cleared and work.worthy > 0:
                work.impact_dirty = False
                down_types = frozenset(t for t in work.evidence_types if t in self.impact.down_types)
                inferred = bool(inc.root.rule) and inc.root.kind in INFERRED_KINDS
                key = (inc.root_key + ("!" if inferred else ""), down_types, self.rca.cut_version(inc.root_key))
                if key != work.hits_key:
                    work.hits_key = key
                    repaired = self.rca.repaired(inc.root_key)
                    down = self.impact.down_keys(inc.root_key, inferred, down_types, repaired)
                    recheck |= self._set_hits(inc, self.impact.hits(down))
                self._update_degraded(work, per_inc[inc_id])
            else:
                work.hits_key = None
                work.impact_dirty = True
                recheck |= self._set_hits(inc, {})
                per_inc[inc_id] |= set(work.deg_circuits)
                work.deg_circuits.clear()
                work.deg_counted.clear()
                work.deg_dirty = set(work.deg_refs)
        for cid in recheck:
            for inc_id in self.circuit_incs.get(cid, set()) | {
                i for ids in self.down.get(cid, {}).values() for i in ids
            }:
                per_inc[inc_id].add(cid)
        for inc_id in sorted(per_inc):
            inc = self.incidents.get(inc_id)
            if inc is None:
                continue
            for cid in sorted(per_inc[inc_id]):
                self._set_status(inc, cid, self._status(inc, cid), at)

    def _update_degraded(self, work: _Work, out: set[str]) -> None:
        for ref in sorted(work.deg_dirty):
            present = work.deg_refs.get(ref, 0) > 0
            if present == (ref in work.deg_counted):
                continue
            for cid in self.impact.degraded_circuits([ref]):
                if present:
                    work.deg_circuits[cid] += 1
                    if work.deg_circuits[cid] == 1:
                        out.add(cid)
                else:
                    work.deg_circuits[cid] -= 1
                    if work.deg_circuits[cid] <= 0:
                        del work.deg_circuits[cid]
                        out.add(cid)
            if present:
                work.deg_counted.add(ref)
            else:
                work.deg_counted.discard(ref)
        work.deg_dirty = set()

    def _status(self, inc: Incident, cid: str) -> ImpactStatus | None:
        work = self.work[inc.id]
        if inc.state is IncidentState.cleared:
            return None
        if cid in work.hits:
            down = self.down.get(cid, {})
            if all(down.get(r) for r in self.topo.roles(cid)):
                return ImpactStatus.outage
            return ImpactStatus.protection_lost
        if work.deg_circuits.get(cid, 0) > 0:
            return ImpactStatus.degraded
        return None

    def _set_status(self, inc: Incident, cid: str, status: ImpactStatus | None, at: datetime) -> None:
        work = self.work[inc.id]
        ic = inc.circuits.get(cid)
        paths = tuple(sorted(r.value for r in work.hits.get(cid, ())))
        if status is None:
            incs = self.circuit_incs.get(cid)
            if incs is not None:
                incs.discard(inc.id)
                if not incs:
                    del self.circuit_incs[cid]
            if ic is not None and ic.until is None:
                ic.until = max(at, ic.status_since)
                self._close_iv(inc, cid, at)
                self._note(inc).circuits.add(cid)
            return
        self.circuit_incs.setdefault(cid, set()).add(inc.id)
        hint = work.since_hint.pop(cid, None)
        if ic is None:
            info = self.topo.index.circuits[cid]
            ic = ImpactedCircuit(
                circuit=cid,
                customer=info.customer,
                tier=info.tier,
                maintenance_level=info.maintenance_level,
                service_level=info.service_level,
                status=status,
                since=min(hint, at) if hint is not None else at,
                status_since=at,
                paths_down=paths,
            )
            inc.circuits[cid] = ic
        elif ic.until is not None:
            ic.until = None
            ic.status = status
            ic.status_since = at
            ic.paths_down = paths
        elif ic.status is not status:
            self._close_iv(inc, cid, at)
            ic.status = status
            ic.status_since = at
            ic.paths_down = paths
        else:
            if ic.paths_down != paths or (hint is not None and hint < ic.since):
                ic.paths_down = paths
                ic.since = min(ic.since, hint) if hint is not None else ic.since
                self._note(inc).circuits.add(cid)
            return
        if hint is not None and hint < ic.since:
            ic.since = hint
        self._note(inc).circuits.add(cid)
        adopted = work.adopted.pop(cid, None)
        if adopted is not None:
            if adopted.status is status:
                work.open_iv[cid] = adopted  # the merged incident's interval goes on here
                ic.since = min(ic.since, adopted.start)
                self._note(inc).intervals.add(adopted.id)
                return
            self._end_iv(inc, adopted, at)
        inc.interval_seq += 1
        iv = ImpactInterval(
            id=f"{inc.id}/{inc.interval_seq}", circuit=cid, status=status, start=at, end=None, incident=inc.id
        )
        inc.history.append(iv)
        work.open_iv[cid] = iv
        self._note(inc).intervals.add(iv.id)

    def _close_iv(self, inc: Incident, cid: str, at: datetime) -> None:
        iv = self.work[inc.id].open_iv.pop(cid, None)
        if iv is not None:
            self._end_iv(inc, iv, at)

    def _end_iv(self, inc: Incident, iv: ImpactInterval, at: datetime) -> None:
        iv.end = max(at, iv.start)
        self._note(inc).intervals.add(iv.id)

    # -- changes --------------------------------------------------------------------------------

    def _note(self, inc: Incident) -> _Pending:
        p = self._pending.get(inc.id)
        if p is None:
            p = self._pending[inc.id] = _Pending(inc)
        return p

    def _flush(self, at: datetime) -> list[IncidentChange]:
        out: list[IncidentChange] = []
        for inc_id in sorted(self._pending):
            p = self._pending[inc_id]
            inc = p.inc
            kinds = list(p.kinds)
            if not kinds and (p.sym_added or p.sym_removed or p.circuits or p.intervals):
                kinds = [K.updated]
            if K.updated in kinds and len(kinds) > 1:
                kinds = [k for k in kinds if k is not K.updated]
            for i, kind in enumerate(kinds):
                last = i == len(kinds) - 1
                out.append(
                    IncidentChange(
                        kind=kind,
                        incident=inc,
                        at=at,
                        symptoms_added=tuple(sorted(p.sym_added)) if last else (),
                        symptoms_removed=tuple(sorted(p.sym_removed)) if last else (),
                        circuits_changed=tuple(sorted(p.circuits)) if last else (),
                        intervals_changed=tuple(sorted(p.intervals)) if last else (),
                        merged_into=p.merged_into,
                    )
                )
        self._pending.clear()
        return out


def _discard(index: dict[str, set[str]], key: str, value: str) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.discard(value)
        if not bucket:
            del index[key]
