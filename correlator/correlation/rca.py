"""Root cause vs symptom over the standing alarms, kept up to date incrementally.

Every standing (active or flapping) alarm gets either a *parent* (the alarm it is a symptom of, and
the rule that says so) or an *entity* (the inventory thing it is evidence of: its own resource, a
link, a cable, a duct). Following parents to the end gives the alarm's *root*, the entity key an
incident is opened for. Rules are applied in a fixed order of precedence (:meth:`Rca._decide`):

1. unreachable element: own alarms, elements managed only through it, (element isolated by a cut);
2. failed board: its ports' alarms;
3. ports facing an unreachable element or a failed board (unless the link is part of a cut);
4. layer masking within the port;
5. RDI pairing; 6. AIS trace-back; 7. the IPRAN chain;
8. a link's receive defect: evidence of a cut cable/duct, else of a link fault, else of its port.

A decision depends only on which alarms stand and on derived facts (failed links, inferred cuts,
unreachable elements, failed boards), never on other decisions, so the order in which alarms are
re-decided does not matter and the result does not depend on event order.

Incremental: while deciding, each alarm records the *topics* it read: ``c<N>:<resource>`` (the
alarms of one type class at a resource), ``c<N>:#<trail>`` (those of a trail), ``lf:<link>`` (a
defect at either end of a link an AIS trace walked over), ``top:<scope>`` (the highest layer at a
port or on a path), ``bfdat:``/``vrfat:<element>``. An alarm arriving or leaving publishes the topics
it is news for, and only their watchers are decided again. Rarer changes (an element unreachable, a
board failed, a link joining a cut) find the alarms they concern through indexes instead
(:meth:`Rca._structural`), so no decision has to watch them. A root change flows down to the alarm's
descendants. The cost of an event follows what it touches, not the number of standing alarms.

Path alarms whose resource names a circuit's trail (``Cpos2/0/0:VC12-JC-1001``) are traced and
paired along that trail only, and masked within it: a path defect of one trail says nothing about the
other trails through the same port. :meth:`Rca.full_check` decides everything from scratch, for
tests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from correlator.alarms.model import Alarm, AlarmChange, AlarmState
from correlator.alarmtypes import AlarmTypeTable
from correlator.correlation.rules import (
    AisTrace,
    Chain,
    CorrelationRules,
    Equipment,
    LinkFault,
    PortMasking,
    RdiPairing,
    SharedCable,
    SharedDuct,
    SharedRisk,
    Unreachable,
)
from correlator.correlation.topology import PathId, Topology
from correlator.wire import ResourceType

DEVICE_SCOPED = ("port", "board", "bfd", "vrf", "path", "optical")
UNRANKED = 1 << 30


def fallback_ref(alarm: Alarm) -> str:
    """A resource key for an alarm the resolver could not map (unknown element or resource)."""
    rtype = alarm.resource.type.value
    if rtype == "device":
        return f"device:{alarm.device}"
    if rtype in ("pw", "tunnel"):
        return f"{rtype}:{alarm.resource.id}"
    kind = "port" if rtype in ("path", "optical") else rtype
    return f"{kind}:{alarm.device}:{alarm.resource.id}"


@dataclass(slots=True)
class Node:
    """One standing alarm in the analysis."""

    alarm: Alarm
    key: str
    type: str
    ref: str
    ref_kind: str
    device: str
    since: datetime
    rank: int
    scope: str = ""
    """What its layer masks within: its resource for an SDH path alarm (one VC/trail), else its ref."""
    paths: tuple[PathId, ...] | None = None
    """The circuit paths the alarm is about, when its resource names a trail; None: every path at its port."""
    place: str = ""
    """Where rules look it up: its ref, or ``ref#trail`` for a path alarm whose resource names a trail
    (a path defect of one trail says nothing about the other trails through the port)."""
    trail: str | None = None
    parent: str | None = None
    head: bool = False
    """It heads a cycle of parents (elements managed through each other): evidence of its cycle's root."""
    entity: str | None = None
    rule: str = ""
    root: str = ""
    topics: tuple[str, ...] = ()

    @property
    def ord(self) -> tuple[int, datetime, str]:
        """Precedence among alarms at one place: highest layer, earliest, then by key (made when
        compared, not kept: a tuple per standing alarm is garbage-collector work in a storm)."""
        return (self.rank, self.since, self.key)


@dataclass(slots=True)
class Group:
    """An inferred cut: a cable (or duct) and the failed links it explains."""

    key: str
    rule: str
    start: datetime
    members: set[str] = field(default_factory=set)
    common: set[str] | None = None
    """Equipment (unreachable element, failed board) explaining every member; None = not computed."""
    cables: int = 0
    """Distinct cables among the members (for a duct: how many of its cables are cut)."""
    ever: set[str] = field(default_factory=set)
    """Every link that has been a member while the cut stands (repaired ones included)."""
    version: int = 0
    """Bumped whenever the members change (what the cut takes down follows them)."""


class RcaDelta:
    """What one batch changed in the analysis."""

    __slots__ = ("changed", "moved", "updated")

    def __init__(self) -> None:
        self.moved: list[tuple[str, str | None, str | None]] = []
        """(alarm, old root, new root); None = not standing."""
        self.changed: set[str] = set()
        """Standing alarms whose parent, entity or rule changed (their root may be the same)."""
        self.updated: set[str] = set()
        """Standing alarms whose snapshot changed (state, times)."""

    def __bool__(self) -> bool:
        return bool(self.moved or self.changed or self.updated)


class Rca:
    def __init__(self, topo: Topology, rules: CorrelationRules, types: AlarmTypeTable) -> None:
        self.topo = topo
        self.rules = rules
        self.types = types
        self._compile(rules, types)
        self.nodes: dict[str, Node] = {}
        self.by_ref_b: dict[str, Bucket] = {}
        """Resource -> its standing alarms."""
        self.by_device: dict[str, Bucket] = {}
        self.unreach_alarms: dict[str, set[str]] = defaultdict(set)
        self.unreach: dict[str, str] = {}
        self.bfault_alarms: dict[str, set[str]] = defaultdict(set)
        self.bfault: dict[str, str] = {}
        self.bfd_at: dict[str, set[str]] = defaultdict(set)
        self.vrf_at: dict[str, set[str]] = defaultdict(set)
        self.link_fail: dict[str, datetime] = {}
        self.cable_failed: dict[str, set[str]] = defaultdict(set)
        self.cable_groups: dict[str, Group] = {}
        self.duct_groups: dict[str, Group] = {}
        self.link_group: dict[str, Group] = {}
        self.link_cut: dict[str, Group] = {}
        """Link -> the standing cut it is or was part of (isolation of an element outlasts its links)."""
        self.watchers: dict[str, Bucket] = {}
        self.children: dict[str, set[str]] = defaultdict(set)
        self.flapping: set[str] = set()
        """Standing alarms that are flapping (their hold-down ends are deadlines)."""
        self._topics: dict[tuple[int, str], str] = {}
        self._ltopics: dict[str, str] = {}
        """Canonical topic strings: many decisions watch the same topic, one string serves them all."""
        self.class_at: dict[tuple[int, str], set[str]] = {}
        """(type class, resource) -> its standing alarms of that class: what the rules look up."""
        self.link_faults: dict[str, int] = {}
        """Link -> standing defects (that end an AIS trace) at its ports and their boards."""
        self.trail_faults: dict[str, int] = {}
        """Trail -> its standing path defects (that end an AIS trace)."""
        self.trail_at: dict[str, Bucket] = {}
        """``ref#trail`` -> the standing alarms of that trail there (few: filtered by type on lookup)."""
        self.tops: dict[str, str] = {}
        """Masking scope -> its standing alarm of the highest layer (earliest, then by key)."""
        self.scope_members: dict[str, Bucket] = {}

    # -- rules, compiled to lookups -----------------------------------------------------------

    def _compile(self, rules: CorrelationRules, types: AlarmTypeTable) -> None:
        masking: PortMasking | None = rules.rule(PortMasking)
        self.rank: dict[str, int] = {}
        self.masking_name = masking.name if masking else ""
        if masking:
            for i, sel in enumerate(masking.order):
                for t in sel.expand(types):
                    self.rank.setdefault(t, i)
        ais: AisTrace | None = rules.rule(AisTrace)
        self.ais_name = ais.name if ais else ""
        self.ais_types = frozenset(ais.indications) if ais else frozenset()
        rdi: RdiPairing | None = rules.rule(RdiPairing)
        self.rdi_name = rdi.name if rdi else ""
        self.rdi_pairs = {p.rdi: (p.scope, frozenset(p.far_end)) for p in rdi.pairs} if rdi else {}
        self.ais_ends = (ais.ends_at.expand(types) - self.ais_types - set(self.rdi_pairs)) if ais else frozenset()
        self.link_fault: LinkFault | None = rules.rule(LinkFault)
        self.lf_types = frozenset(self.link_fault.defects) if self.link_fault else frozenset()
        self.cable_rule: SharedCable | None = rules.rule(SharedCable)
        self.duct_rule: SharedDuct | None = rules.rule(SharedDuct)
        self.fail_types: frozenset[str] = frozenset(
            t for r in (self.cable_rule, self.duct_rule) if r is not None for t in r.link_defects
        )
        self.unreach_rule: Unreachable | None = rules.rule(Unreachable)
        self.unreach_types = frozenset(self.unreach_rule.types) if self.unreach_rule else frozenset()
        self.equip_rule: Equipment | None = rules.rule(Equipment)
        self.equip_types = frozenset(self.equip_rule.types) if self.equip_rule else frozenset()
        chain: Chain | None = rules.rule(Chain)
        self.chain_name = chain.name if chain else ""
        self.chain_levels: list[tuple[str, frozenset[str]]] = (
            [(lv.scope, frozenset(lv.types)) for lv in chain.levels] if chain else []
        )
        self.chain_level: dict[str, int] = {}
        for i, (_, tset) in enumerate(self.chain_levels):
            for t in tset:
                self.chain_level.setdefault(t, i)
        # every set of types a rule looks up at a resource is a "class"; an alarm arriving or leaving
        # is news only for the classes its type is in (topic c<N>:<ref>)
        self._class_of: dict[frozenset[str], int] = {}
        self._type_classes: dict[str, list[int]] = defaultdict(list)
        sets = [self.ais_ends, self.lf_types, self.fail_types, *(far for _, far in self.rdi_pairs.values())]
        sets += [tset for _, tset in self.chain_levels]
        for tset in sets:
            if tset not in self._class_of:
                cid = self._class_of[tset] = len(self._class_of)
                for t in tset:
                    self._type_classes[t].append(cid)

    # -- applying alarm changes ---------------------------------------------------------------

    def apply(self, changes: Iterable[AlarmChange]) -> RcaDelta:
        return self.apply_alarms([c.alarm for c in changes])

    def apply_alarms(self, alarms: Iterable[Alarm]) -> RcaDelta:
        """Take in the latest snapshot of each changed alarm; standing ones are (re)placed, others leave."""
        delta = RcaDelta()
        dirty: set[str] = set()
        topics: set[str] = set()
        touched_devices: set[str] = set()
        touched_boards: set[str] = set()
        touched_ports: set[str] = set()
        equip_links: set[str] = set()
        old_roots: dict[str, str] = {}
        for alarm in alarms:
            node = self.nodes.get(alarm.key)
            if alarm.state is AlarmState.flapping:
                self.flapping.add(alarm.key)
            else:
                self.flapping.discard(alarm.key)
            if node is not None and alarm.is_standing and self._same_place(node, alarm):
                node.alarm = alarm
                if node.since != alarm.raised_at:
                    node.since = alarm.raised_at
                    self._publish(node, topics)
                    if node.rank != UNRANKED:
                        self._refresh_top(node.scope, topics)
                    self._note_touch(node, touched_devices, touched_boards, touched_ports)
                    dirty.add(node.key)
                delta.updated.add(node.key)
                continue
            if node is not None:
                old_roots.setdefault(node.key, node.root)
                self._remove(node, dirty, topics)
                self._note_touch(node, touched_devices, touched_boards, touched_ports)
            if alarm.is_standing:
                node = self._add(alarm)
                old_roots.setdefault(node.key, "")
                dirty.add(node.key)
                self._publish(node, topics)
                if node.rank != UNRANKED:
                    top = self.tops.get(node.scope)
                    if top is None or node.ord < self.nodes[top].ord:
                        self.tops[node.scope] = node.key
                        topics.add("top:" + node.scope)
                self._note_touch(node, touched_devices, touched_boards, touched_ports)
        eq_devices: set[str] = set()
        eq_boards: set[str] = set()
        links_changed: set[str] = set()
        for dev in touched_devices:
            self._refresh_unreach(dev, eq_devices, equip_links)
        for board in touched_boards:
            self._refresh_bfault(board, eq_boards, equip_links)
        self._refresh_links(touched_ports, equip_links, links_changed)
        if eq_devices or eq_boards or links_changed:
            dirty |= self._structural(eq_devices, eq_boards, links_changed)
        for t in topics:
            watching = self.watchers.get(t)
            if watching is not None:
                if isinstance(watching, str):
                    dirty.add(watching)
                else:
                    dirty |= watching
        changed: set[str] = set()
        for key in dirty:
            node = self.nodes.get(key)
            if node is not None and self._redecide(node):
                changed.add(key)
        # new alarms, alarms re-decided, and everything below them may have a new root
        start = {k for k in old_roots if k in self.nodes} | changed
        for key in self._with_descendants(start):
            node = self.nodes[key]
            root, node.head = self._resolve(node)
            old = old_roots.get(key, node.root)
            if root != node.root or key in old_roots:
                node.root = root
                if root != old:
                    delta.moved.append((key, old or None, root))
        for key, old in old_roots.items():
            if key not in self.nodes and old:
                delta.moved.append((key, old, None))
        delta.changed = {k for k in changed if k in self.nodes}
        delta.moved.sort(key=lambda m: m[0])
        return delta

    @staticmethod
    def _same_place(node: Node, alarm: Alarm) -> bool:
        return node.type == alarm.alarm_type and node.ref == (alarm.ref or fallback_ref(alarm))

    def _note_touch(self, node: Node, devices: set[str], boards: set[str], ports: set[str]) -> None:
        if node.type in self.unreach_types:
            devices.add(node.device)
        if node.type in self.equip_types and node.ref_kind == "board":
            boards.add(node.ref)
        if node.ref_kind == "port" and node.type in self.fail_types:
            ports.add(node.ref)

    def _add(self, alarm: Alarm) -> Node:
        ref = alarm.ref or fallback_ref(alarm)
        ref_kind = ref.partition(":")[0]
        node = Node(
            alarm=alarm,
            key=alarm.key,
            type=alarm.alarm_type,
            ref=ref,
            ref_kind=ref_kind,
            device=alarm.device,
            since=alarm.raised_at,
            rank=self.rank.get(alarm.alarm_type, UNRANKED),
        )
        is_path = alarm.resource.type is ResourceType.path
        if is_path and ref_kind == "port":
            found = self.topo.trail_of(alarm.device, alarm.resource.id)
            if found is not None:
                node.trail, node.paths = found
        node.place = f"{ref}#{node.trail}" if node.trail is not None else ref
        node.scope = alarm.key.rpartition("|")[0] if is_path else ref  # DEV|path:ID
        if node.rank != UNRANKED:
            _badd(self.scope_members, node.scope, node.key)
        self.nodes[node.key] = node
        _badd(self.by_ref_b, ref, node.key)
        _badd(self.by_device, node.device, node.key)
        if node.type in self.ais_ends:
            self._count_fault(node, 1)
        if node.trail is not None:
            _badd(self.trail_at, node.place, node.key)
        else:
            for cid in self._type_classes.get(node.type, ()):
                bucket = self.class_at.get((cid, node.place))
                if bucket is None:
                    self.class_at[(cid, node.place)] = {node.key}
                else:
                    bucket.add(node.key)
        if node.type in self.unreach_types:
            self.unreach_alarms[node.device].add(node.key)
        if node.type in self.equip_types and ref_kind == "board":
            self.bfault_alarms[ref].add(node.key)
        if ref_kind == "bfd":
            self.bfd_at[node.device].add(node.key)
        if ref_kind == "vrf":
            self.vrf_at[node.device].add(node.key)
        return node

    def _remove(self, node: Node, dirty: set[str], topics: set[str]) -> None:
        del self.nodes[node.key]
        _bdel(self.by_ref_b, node.ref, node.key)
        _bdel(self.by_device, node.device, node.key)
        if node.type in self.ais_ends:
            self._count_fault(node, -1)
        if node.trail is not None:
            _bdel(self.trail_at, node.place, node.key)
        for cid in self._type_classes.get(node.type, ()):
            bucket = self.class_at.get((cid, node.place))
            if bucket is not None:
                bucket.discard(node.key)
                if not bucket:
                    del self.class_at[(cid, node.place)]
        _discard(self.unreach_alarms, node.device, node.key)
        _discard(self.bfault_alarms, node.ref, node.key)
        if node.ref_kind == "bfd":
            _discard(self.bfd_at, node.device, node.key)
        if node.ref_kind == "vrf":
            _discard(self.vrf_at, node.device, node.key)
        self._publish(node, topics)
        if node.rank != UNRANKED:
            _bdel(self.scope_members, node.scope, node.key)
            if self.tops.get(node.scope) == node.key:
                self._refresh_top(node.scope, topics)
        self._unwatch(node)
        if node.parent is not None:
            _discard(self.children, node.parent, node.key)
        dirty |= self.children.pop(node.key, set())

    def _topic(self, cid: int, place: str) -> str:
        key = (cid, place)
        topic = self._topics.get(key)
        if topic is None:
            topic = self._topics[key] = f"c{cid}:{place}"
        return topic

    def _publish(self, node: Node, topics: set[str]) -> None:
        """The topics an alarm's arrival, departure or change of time is news for."""
        if node.ref_kind in ("bfd", "vrf"):
            topics.add(f"{node.ref_kind}at:{node.device}")
        if node.trail is not None:
            for cid in self._type_classes.get(node.type, ()):
                topics.add(self._topic(cid, "#" + node.trail))
            return
        for cid in self._type_classes.get(node.type, ()):
            topics.add(self._topic(cid, node.place))
        if node.type in self.ais_ends:
            # a fault at a link's port or board is news for whoever walked over the link
            if node.ref_kind == "port":
                link = self.topo.port_link.get(node.ref)
                if link is not None:
                    topics.add(self._link_topic(link))
            elif node.ref_kind == "board":
                for port in self.topo.board_ports.get(node.ref, ()):
                    link = self.topo.port_link.get(port)
                    if link is not None:
                        topics.add(self._link_topic(link))

    def _count_fault(self, node: Node, step: int) -> None:
        """Keep the per-link and per-trail counts of defects that end an AIS trace."""
        if node.type not in self.ais_ends:
            return
        if node.trail is not None:
            _bump(self.trail_faults, node.trail, step)
        elif node.ref_kind == "port":
            link = self.topo.port_link.get(node.ref)
            if link is not None:
                _bump(self.link_faults, link, step)
        elif node.ref_kind == "board":
            for port in self.topo.board_ports.get(node.ref, ()):
                link = self.topo.port_link.get(port)
                if link is not None:
                    _bump(self.link_faults, link, step)

    def _link_topic(self, link: str) -> str:
        """News about a link: a defect at either end (port or board), or its place in a cut."""
        topic = self._ltopics.get(link)
        if topic is None:
            topic = self._ltopics[link] = "lf:" + link
        return topic

    def _structural(self, devices: set[str], boards: set[str], links: set[str]) -> set[str]:
        """Alarms whose decision may follow an element's reachability, a board's state or a link's
        place in a cut: found from the indexes, so no decision has to watch these (rare) changes.

        - an element (un)reachable: its alarms, those of the elements managed through it, those of
          the ports facing it;
        - a board failed or back: the alarms of its ports and of the ports facing them;
        - a link joining or leaving a cut: the alarms of its ports, and the unreachable alarms of its
          elements (isolated by the cut).
        """
        out: set[str] = set()
        topo = self.topo

        def take(index: dict[str, Bucket], key: str) -> None:
            bucket = index.get(key)
            if bucket is not None:
                out.update(_bits(bucket))

        for dev in devices:
            take(self.by_device, dev)
            for managed in topo.managed_by.get(dev, ()):
                take(self.by_device, managed)
            for link in topo.device_links.get(dev, ()):
                for port in topo.link_ports[link]:
                    if Topology.device_of(port) != dev:
                        take(self.by_ref_b, port)
        for board in boards:
            for port in topo.board_ports.get(board, ()):
                take(self.by_ref_b, port)
                far = topo.far_port(port)
                if far is not None:
                    take(self.by_ref_b, far)
        for link in links:
            for port in topo.link_ports.get(link, ()):
                take(self.by_ref_b, port)
                out.update(self.unreach_alarms.get(Topology.device_of(port), ()))
        return out

    def _refresh_top(self, scope: str, topics: set[str]) -> None:
        members = _bits(self.scope_members.get(scope))
        best = min(members, key=lambda k: self.nodes[k].ord) if members else None
        if self.tops.get(scope) != best:
            if best is None:
                del self.tops[scope]
            else:
                self.tops[scope] = best
            topics.add("top:" + scope)

    # -- derived facts: unreachable elements, failed boards, failed links, cuts ------------------

    def _refresh_unreach(self, dev: str, changed: set[str], links: set[str]) -> None:
        keys = self.unreach_alarms.get(dev)
        best = min(keys, key=lambda k: self.nodes[k].ord) if keys else None
        if self.unreach.get(dev) != best:
            if best is None:
                self.unreach.pop(dev, None)
            else:
                self.unreach[dev] = best
            changed.add(dev)
            links.update(self.topo.device_links.get(dev, ()))

    def _refresh_bfault(self, board: str, changed: set[str], links: set[str]) -> None:
        keys = self.bfault_alarms.get(board)
        best = min(keys, key=lambda k: self.nodes[k].ord) if keys else None
        if self.bfault.get(board) != best:
            if best is None:
                self.bfault.pop(board, None)
            else:
                self.bfault[board] = best
            changed.add(board)
            for port in self.topo.board_ports.get(board, ()):
                link = self.topo.port_link.get(port)
                if link is not None:
                    links.add(link)

    def _fail_since(self, link: str) -> datetime | None:
        best: datetime | None = None
        cid = self._class_of[self.fail_types]
        for port in self.topo.link_ports[link]:
            for k in self.class_at.get((cid, port), ()):
                n = self.nodes[k]
                if best is None or n.since < best:
                    best = n.since
        return best

    def explained(self, link: str) -> set[str]:
        """Equipment that explains a link failure: an unreachable end element or a failed end board."""
        out: set[str] = set()
        for port in self.topo.link_ports[link]:
            dev = Topology.device_of(port)
            if dev in self.unreach:
                out.add("device:" + dev)
            board = self.topo.port_board.get(port)
            if board is not None and board in self.bfault:
                out.add(board)
        return out

    def _refresh_links(self, ports: set[str], equip_links: set[str], links_changed: set[str]) -> None:
        """Failed links, then the cuts (cables, ducts) they imply, then each link's cut."""
        if not self.fail_types:
            return
        links = {self.topo.port_link[p] for p in ports if p in self.topo.port_link}
        changed: set[str] = {link for link in equip_links if link in self.link_fail}
        for link in links:
            since = self._fail_since(link)
            old = self.link_fail.get(link)
            if since != old:
                for c in self.topo.link_cables.get(link, ()):
                    if since is None:
                        _discard(self.cable_failed, c, link)
                    else:
                        self.cable_failed[c].add(link)
                if since is None:
                    del self.link_fail[link]
                else:
                    self.link_fail[link] = since
                changed.add(link)
        cables = {c for link in changed for c in self.topo.link_cables.get(link, ())}
        ducts = {d for c in cables for d in self.topo.cable_ducts.get(c, ())}
        regroup: set[str] = set(changed)
        if self.cable_rule is not None:
            for c in sorted(cables):
                regroup |= self._update_group(self.cable_groups, "cable", c, self.cable_rule, changed)
        if self.duct_rule is not None:
            for d in sorted(ducts):
                regroup |= self._update_group(self.duct_groups, "duct", d, self.duct_rule, changed)
        for link in regroup:
            best = self._best_group(link, ever=False)
            if self.link_group.get(link) is not best:
                if best is None:
                    self.link_group.pop(link, None)
                else:
                    self.link_group[link] = best
                links_changed.add(link)
            cut = self._best_group(link, ever=True)
            if self.link_cut.get(link) is not cut:
                if cut is None:
                    self.link_cut.pop(link, None)
                else:
                    self.link_cut[link] = cut
                links_changed.add(link)

    def _candidates(self, kind: str, gid: str) -> set[str]:
        if kind == "cable":
            return set(self.cable_failed.get(gid, ()))
        out: set[str] = set()
        for c in self.topo.duct_cables.get(gid, ()):
            out |= self.cable_failed.get(c, set())
        return out

    def _cables_of(self, links: Iterable[str], duct: str) -> set[str]:
        in_duct = set(self.topo.duct_cables.get(duct, ()))
        return {c for link in links for c in self.topo.link_cables.get(link, ()) if c in in_duct}

    def _count_cables(self, kind: str, gid: str, links: Iterable[str]) -> int:
        return 1 if kind == "cable" else len(self._cables_of(links, gid))

    def _enough(self, kind: str, gid: str, links: Iterable[str], rule: SharedRisk) -> bool:
        if isinstance(rule, SharedCable):
            return len(set(links)) >= rule.min_links
        assert isinstance(rule, SharedDuct)
        return len(self._cables_of(links, gid)) >= rule.min_cables

    def _common(self, links: Iterable[str]) -> set[str]:
        common: set[str] | None = None
        for link in links:
            common = self.explained(link) if common is None else common & self.explained(link)
            if not common:
                return set()
        return common or set()

    def _update_group(
        self, groups: dict[str, Group], kind: str, gid: str, rule: SharedRisk, changed: set[str]
    ) -> set[str]:
        """Re-infer one cable or duct; returns the links whose group may have changed."""
        window = timedelta(seconds=rule.window_seconds)
        group = groups.get(gid)
        failed = self._candidates(kind, gid)
        if group is not None:
            touched = changed & (failed | group.members)
            additions_only = all(link in failed and link not in group.members for link in touched)
            if additions_only and group.common is not None:
                new = {link for link in touched if self.link_fail[link] >= group.start}
                for link in new:
                    group.common &= self.explained(link)
                if not (rule.single_equipment_exempt and group.common):
                    if new:
                        group.version += 1
                    group.members |= new
                    group.ever |= new
                    group.cables = self._count_cables(kind, gid, group.members)
                    return new
            old = set(group.members)
            group.members = {link for link in failed if self.link_fail[link] >= group.start}
            if group.members != old:
                group.version += 1
            group.common = self._common(group.members)
            group.cables = self._count_cables(kind, gid, group.members)
            if not group.members or (rule.single_equipment_exempt and group.common):
                del groups[gid]
                return old | group.ever
            group.ever |= group.members
            return old | group.members
        if not failed:
            return set()
        timeline = sorted((self.link_fail[link], link) for link in failed)
        j = 0
        for i, (t0, _) in enumerate(timeline):
            j = max(j, i)
            while j + 1 < len(timeline) and timeline[j + 1][0] - t0 <= window:
                j += 1
            window_links = [link for _, link in timeline[i : j + 1]]
            if not self._enough(kind, gid, window_links, rule):
                continue
            members = {link for t, link in timeline if t >= t0}
            common = self._common(members)
            if rule.single_equipment_exempt and common:
                continue
            groups[gid] = Group(
                key=f"{kind}:{gid}",
                rule=rule.name,
                start=t0,
                members=members,
                common=common,
                cables=self._count_cables(kind, gid, members),
                ever=set(members),
            )
            return members
        return set()

    def _best_group(self, link: str, ever: bool) -> Group | None:
        """The cut a link is part of now (``ever``: or has been, while the cut stands); a duct first."""
        best: tuple[tuple[int, int, int, str], Group] | None = None
        for c in dict.fromkeys(self.topo.link_cables.get(link, ())):
            g = self.cable_groups.get(c)
            if g is not None and link in (g.ever if ever else g.members):
                rank = (1, 0, -len(g.members), g.key)
                if best is None or rank < best[0]:
                    best = (rank, g)
            for d in self.topo.cable_ducts.get(c, ()):
                g = self.duct_groups.get(d)
                if g is not None and link in (g.ever if ever else g.members):
                    rank = (0, -g.cables, -len(g.members), g.key)
                    if best is None or rank < best[0]:
                        best = (rank, g)
        return best[1] if best else None

    # -- deciding one alarm ---------------------------------------------------------------------

    def _redecide(self, node: Node) -> bool:
        topics: list[str] = []
        parent, entity, rule = self._decide(node, topics)
        if parent == node.key:
            parent, entity, rule = None, node.ref, ""
        new_topics = tuple(dict.fromkeys(topics))
        if new_topics != node.topics:
            self._unwatch(node)
            node.topics = new_topics
            watchers, key = self.watchers, node.key
            for t in new_topics:
                bucket = watchers.get(t)
                if bucket is None:
                    watchers[t] = key
                elif isinstance(bucket, str):
                    if bucket != key:
                        watchers[t] = {bucket, key}
                else:
                    bucket.add(key)
        if (parent, entity, rule) == (node.parent, node.entity, node.rule):
            return False
        if node.parent is not None:
            _discard(self.children, node.parent, node.key)
        if parent is not None:
            self.children[parent].add(node.key)
        node.parent, node.entity, node.rule = parent, entity, rule
        return True

    def _unwatch(self, node: Node) -> None:
        for t in node.topics:
            _bdel(self.watchers, t, node.key)
        node.topics = ()

    def _best_at(
        self, ref: str, types: frozenset[str], topics: list[str], exclude: str = "", trail: str | None = None
    ) -> Node | None:
        """The standing alarm of these types at a resource (highest layer, earliest, by key): of the
        resource itself, or of the given trail through it."""
        cid = self._class_of[types]
        topics.append(self._topic(cid, ref))
        return self._best_quiet(ref, cid, types, exclude, trail)

    def _best_quiet(self, ref: str, cid: int, types: frozenset[str], exclude: str, trail: str | None) -> Node | None:
        """:meth:`_best_at` without watching (the caller watches a topic that covers it)."""
        best: Node | None = None
        for k in self.class_at.get((cid, ref), ()):
            if k != exclude:
                n = self.nodes[k]
                if best is None or n.ord < best.ord:
                    best = n
        if trail is not None:  # the caller watches the trail's topic of this class once
            for k in _bits(self.trail_at.get(f"{ref}#{trail}")):
                n = self.nodes[k]
                if k != exclude and n.type in types and (best is None or n.ord < best.ord):
                    best = n
        return best

    def _decide(self, n: Node, topics: list[str]) -> tuple[str | None, str | None, str]:
        """(parent alarm, entity, rule): exactly one of parent and entity is set."""
        dev = n.device
        ur = self.unreach_rule
        # while no element is unreachable and no board failed there is nothing to look at (and nothing
        # to watch: such changes find the alarms they concern by themselves, see _structural)
        if ur is not None and self.unreach:
            mine = self.unreach.get(dev)
            if mine is not None and mine != n.key and ur.own_alarms:
                return mine, None, ur.name
            if ur.managed_via and (mine is None or mine == n.key):
                gws = self.topo.managed_via.get(dev, ())
                if gws and all(g in self.unreach for g in gws):
                    return self.unreach[gws[0]], None, ur.name
            if mine == n.key:
                links = self.topo.device_links.get(dev, [])
                groups = [self.link_cut.get(link) for link in links]
                if links and all(g is not None for g in groups):
                    first = min((g for g in groups if g is not None), key=lambda g: g.key)
                    return None, first.key, first.rule
        if n.ref_kind == "port" and (self.unreach or self.bfault):
            found = self._port_equipment(n, topics)
            if found is not None:
                return found
        if n.rank != UNRANKED:
            # the port's own (section, line ...) alarms mask everything on it; a path alarm is also
            # masked within its path (the LP-RDI of one VC by the TU-AIS of that VC)
            topics.append("top:" + n.ref)
            best: Node | None = None
            for scope in (n.ref, n.scope) if n.scope != n.ref else (n.ref,):
                top_key = self.tops.get(scope)
                top = self.nodes.get(top_key) if top_key is not None else None
                if top is not None and top.rank < n.rank and (best is None or top.ord < best.ord):
                    best = top
            if n.scope != n.ref:
                topics.append("top:" + n.scope)
            if best is not None:
                return best.key, None, self.masking_name
        pair = self.rdi_pairs.get(n.type)
        if pair is not None:
            found_rdi = self._rdi(n, pair[0], pair[1], topics)
            if found_rdi is not None:
                return found_rdi.key, None, self.rdi_name
        if n.type in self.ais_types:
            found_ais = self._ais(n, topics)
            if found_ais is not None:
                return found_ais.key, None, self.ais_name
        level = self.chain_level.get(n.type)
        if level:
            found_chain = self._chain(n, level, topics)
            if found_chain is not None:
                return found_chain.key, None, self.chain_name
        if n.ref_kind == "port":
            link = self.topo.port_link.get(n.ref)
            if link is not None:
                group = self.link_group.get(link)
                if group is not None and n.type in self.fail_types:
                    return None, group.key, group.rule
                lf = self.link_fault
                if lf is not None and n.type in self.lf_types:
                    if lf.min_ends == 1:
                        return None, "link:" + link, lf.name
                    far = self.topo.far_port(n.ref)
                    if far is not None and self._best_at(far, self.lf_types, topics) is not None:
                        return None, "link:" + link, lf.name
        return None, n.ref, ""

    def _port_equipment(self, n: Node, topics: list[str]) -> tuple[str | None, str | None, str] | None:
        """A port alarm masked by its own failed board, or by the element/board its link leads to."""
        er = self.equip_rule
        if er is not None and er.own_ports:
            board = self.topo.port_board.get(n.ref)
            if board is not None:
                fault = self.bfault.get(board)
                if fault is not None and fault != n.key:
                    return fault, None, er.name
        far = self.topo.far_port(n.ref)
        if far is None:
            return None
        link = self.topo.port_link[n.ref]
        if link in self.link_group:
            return None
        ur = self.unreach_rule
        if ur is not None and ur.facing_ports:
            far_dev = Topology.device_of(far)
            u = self.unreach.get(far_dev)
            if u is not None:
                return u, None, ur.name
        if er is not None and er.facing_ports:
            far_board = self.topo.port_board.get(far)
            if far_board is not None:
                fault = self.bfault.get(far_board)
                if fault is not None:
                    return fault, None, er.name
        return None

    def _fault_at(
        self, port: str, topics: list[str], exclude: str, memo: dict[str, Node | None], trail: str | None
    ) -> Node | None:
        if port in memo:
            return memo[port]
        link = self.topo.port_link.get(port)
        cid = self._class_of[self.ais_ends]
        if link is not None:
            topics.append(self._link_topic(link))  # covers both ports of the link and their boards
            if link not in self.link_faults and (trail is None or trail not in self.trail_faults):
                memo[port] = None
                return None
        else:
            topics.append(self._topic(cid, port))
        best = self._best_quiet(port, cid, self.ais_ends, exclude, trail)
        board = self.topo.port_board.get(port)
        if board is not None:
            if link is None:
                topics.append(self._topic(cid, board))
            b = self._best_quiet(board, cid, self.ais_ends, exclude, None)
            if b is not None and (best is None or b.ord < best.ord):
                best = b
        memo[port] = best
        return best

    def _paths_of(self, n: Node) -> list[PathId] | tuple[PathId, ...]:
        """The paths an alarm at a port is about: its trail's, else every path through the port."""
        return n.paths if n.paths else self.topo.paths_at_port(n.ref)

    def _ais(self, n: Node, topics: list[str]) -> Node | None:
        """The nearest element on a path through the port reporting a defect that is not an AIS."""
        if n.ref_kind != "port":
            return None
        best: tuple[int, int, Node] | None = None
        memo: dict[str, Node | None] = {}
        if n.trail is not None:  # defects of this trail anywhere along it
            topics.append(self._topic(self._class_of[self.ais_ends], "#" + n.trail))
        trail = n.trail
        quiet_trail = trail is None or trail not in self.trail_faults
        link_faults = self.link_faults
        for order, pid in enumerate(self._paths_of(n)):
            ports = self.topo.path_ports(pid)
            links = self.topo.path_port_links(pid)
            try:
                i = ports.index(n.ref)
            except ValueError:
                continue
            # where a defect may be: a hand-off port, a link with a defect (or anywhere, if the trail
            # itself has path defects); nearest first, the A side first at equal distance
            if quiet_trail:
                spots = [j for j, link in enumerate(links) if link is None or link in link_faults]
            else:
                spots = list(range(len(ports)))
            spots.sort(key=lambda j: (abs(j - i), j > i))
            found_d: int | None = None
            hit: Node | None = None
            for j in spots:
                d = abs(j - i)
                if found_d is not None and d > found_d:
                    break
                if best is not None and d > best[0]:
                    break
                f = self._fault_at(ports[j], topics, n.key, memo, trail)
                if f is not None and (hit is None or f.ord < hit.ord):
                    hit, found_d = f, d
            # whatever lies nearer than what was found (everything, if nothing was) is watched: a
            # defect appearing there is news
            reach = found_d if found_d is not None else best[0] if best is not None else len(ports)
            for link in dict.fromkeys(links[max(0, i - reach) : i + reach + 1]):
                if link is not None:
                    topics.append(self._link_topic(link))
            if hit is not None and found_d is not None and (best is None or (found_d, order) < best[:2]):
                best = (found_d, order, hit)
        if best is not None:
            return best[2]
        far = self.topo.far_port(n.ref)
        return self._fault_at(far, topics, n.key, memo, n.trail) if far is not None else None

    def _rdi(self, n: Node, scope: str, far_types: frozenset[str], topics: list[str]) -> Node | None:
        """The far-end receive defect an RDI answers."""
        if n.ref_kind != "port":
            return None
        if scope == "section":
            far = self.topo.far_port(n.ref)
            return self._best_at(far, far_types, topics, n.key) if far is not None else None
        if n.trail is not None:  # far-end defects of this trail
            topics.append(self._topic(self._class_of[far_types], "#" + n.trail))
        for pid in self._paths_of(n):
            ports = self.topo.path_ports(pid)
            try:
                i = ports.index(n.ref)
            except ValueError:
                continue
            far_side = ports[i + 1 :][::-1] if i <= (len(ports) - 1) / 2 else ports[:i]
            for port in far_side:
                f = self._best_at(port, far_types, topics, n.key, n.trail)
                if f is not None:
                    return f
        return None

    def _chain_paths(self, n: Node) -> Sequence[PathId]:
        if n.ref_kind in ("pw", "tunnel"):
            return self.topo.logical_paths(n.ref)
        if n.ref_kind == "port":
            return list(self._paths_of(n))
        if n.ref_kind == "bfd":
            return []
        return list(self.topo.paths_at_device(n.device))

    def _chain(self, n: Node, level: int, topics: list[str]) -> Node | None:
        """The lowest-level standing alarm of the chain below this one, on the paths it serves."""
        paths = self._chain_paths(n)
        for lv in range(level):
            scope, types = self.chain_levels[lv]
            best: Node | None = None
            for ref in self._chain_refs(n, scope, paths, topics):
                f = self._best_at(ref, types, topics, n.key)
                if f is not None and (best is None or (f.since, f.key) < (best.since, best.key)):
                    best = f
            if best is not None:
                return best
        return None

    def _chain_refs(self, n: Node, scope: str, paths: Sequence[PathId], topics: list[str]) -> list[str]:
        topo = self.topo
        if scope == "port":
            if n.ref_kind == "bfd":
                return [p for link in topo.device_links.get(n.device, ()) for p in topo.link_ports[link]]
            return list(dict.fromkeys(p for pid in paths for p in topo.path_ports(pid)))
        if scope in ("bfd", "vrf"):
            at = self.bfd_at if scope == "bfd" else self.vrf_at
            devs = (
                [n.device]
                if n.ref_kind == "bfd"
                else list(dict.fromkeys(d for p in paths for d in topo.path_devices(p)))
            )
            refs: list[str] = []
            for d in devs:
                topics.append(f"{scope}at:{d}")
                refs.extend(sorted({self.nodes[k].ref for k in at.get(d, ())}))
            return refs
        return list(dict.fromkeys(k for pid in paths for k in topo.path_logical(pid) if k.startswith(scope + ":")))

    # -- roots ------------------------------------------------------------------------------------

    def _resolve(self, node: Node) -> tuple[str, bool]:
        """The root an alarm comes down to, and whether it heads a cycle of parents."""
        seen: list[str] = []
        n = node
        while n.parent is not None:
            if n.key in seen:
                cycle = seen[seen.index(n.key) :]
                head = min(cycle)
                return self.nodes[head].ref, head == node.key
            seen.append(n.key)
            nxt = self.nodes.get(n.parent)
            if nxt is None:
                return n.ref, False
            n = nxt
        return n.entity or n.ref, False

    def _with_descendants(self, keys: set[str]) -> list[str]:
        out: dict[str, None] = {}
        stack = sorted(keys)
        while stack:
            k = stack.pop()
            if k in out or k not in self.nodes:
                continue
            out[k] = None
            stack.extend(self.children.get(k, ()))
        return list(out)

    def is_root(self, key: str) -> bool:
        """The alarm is evidence of its root (not a symptom): it has no parent, or heads a cycle."""
        n = self.nodes[key]
        return n.parent is None or n.head

    def cut_version(self, root: str) -> int:
        """A number that changes whenever a standing cut's members change (0: no such cut)."""
        kind, _, gid = root.partition(":")
        group = (self.cable_groups if kind == "cable" else self.duct_groups if kind == "duct" else {}).get(gid)
        return group.version + 1 if group is not None else 0

    def repaired(self, root: str) -> frozenset[str]:
        """Links of a standing cut (``cable:X`` / ``duct:Y``) that failed with it and are up again."""
        kind, _, gid = root.partition(":")
        group = (self.cable_groups if kind == "cable" else self.duct_groups if kind == "duct" else {}).get(gid)
        return frozenset(group.ever - group.members) if group is not None else frozenset()

    # -- checking ---------------------------------------------------------------------------------

    def decisions(self) -> dict[str, tuple[str | None, str | None, str, str]]:
        """(parent, entity, rule, root) of every standing alarm."""
        return {k: (n.parent, n.entity, n.rule, n.root) for k, n in sorted(self.nodes.items())}

    def full_check(self) -> dict[str, tuple[str | None, str | None, str, str]]:
        """Decide every standing alarm from scratch, in a fresh analysis; for tests.

        The standing cuts are given to the fresh analysis (when each was inferred, and the links it
        has explained): a cut stays inferred while any of its links is down, which depends on the
        history the fresh analysis does not have. Everything else is decided anew.
        """
        fresh = Rca(self.topo, self.rules, self.types)
        for mine, theirs in ((self.cable_groups, fresh.cable_groups), (self.duct_groups, fresh.duct_groups)):
            for gid, g in mine.items():
                theirs[gid] = Group(key=g.key, rule=g.rule, start=g.start, members=set(), common=None, ever=set(g.ever))
        for link in sorted(self.link_cut):
            cut = fresh._best_group(link, ever=True)
            if cut is not None:
                fresh.link_cut[link] = cut
        fresh.apply_alarms(sorted((n.alarm for n in self.nodes.values()), key=lambda a: a.key))
        return fresh.decisions()


Bucket = str | set[str]
"""A set of alarm keys kept as the bare key while it holds one (most do): a set each would be most of
the analysis's memory and garbage-collector work in a storm."""


def _badd(index: dict[str, Bucket], key: str, value: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        index[key] = value
    elif isinstance(bucket, str):
        if bucket != value:
            index[key] = {bucket, value}
    else:
        bucket.add(value)


def _bdel(index: dict[str, Bucket], key: str, value: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        return
    if isinstance(bucket, str):
        if bucket == value:
            del index[key]
        return
    bucket.discard(value)
    if len(bucket) == 1:
        index[key] = next(iter(bucket))
    elif not bucket:
        del index[key]


def _bits(bucket: Bucket | None) -> tuple[str, ...] | set[str]:
    if bucket is None:
        return ()
    return (bucket,) if isinstance(bucket, str) else bucket


def _bump(counts: dict[str, int], key: str, step: int) -> None:
    n = counts.get(key, 0) + step
    if n > 0:
        counts[key] = n
    else:
        counts.pop(key, None)


def _discard(index: dict[str, set[str]], key: str, value: str) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.discard(value)
        if not bucket:
            del index[key]
