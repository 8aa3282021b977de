"""Checks across the whole inventory: references, duplicates, and topology that must join up.

Each check returns :class:`ConfigIssue` values; none stops at the first problem. An id that was
written but failed validation is "known", so one broken entity yields one error, not a cascade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from correlator.configfile.errors import ConfigIssue, PathKey
from correlator.domain import ProtectionNeed, ResourceKind
from correlator.inventory.inventory import Inventory, Origin, Table
from correlator.inventory.model import Circuit, Path
from correlator.policy import SlaPolicy

Issues = list[ConfigIssue]


def _ref(
    issues: Issues,
    origin: Origin,
    sub: PathKey,
    what: str,
    ref: str,
    exists: Callable[[str], bool],
) -> bool:
    if exists(ref):
        return True
    issues.append(origin.issue(sub, f"unknown {what} '{ref}'", f"declare {what} '{ref}' or fix the id"))
    return False


def _walk_chain(
    start: str,
    steps: Sequence[tuple[str, str, str]],
) -> tuple[int, str]:
    """Follow ``(id, end1, end2)`` steps from ``start``; return (index, where) of the first break.

    A step is taken in either direction. Returns ``(len(steps), end)`` if the chain is whole, so
    the caller checks the end; returns the failing index and the node reached otherwise.
    """
    at = start
    for i, (_sid, e1, e2) in enumerate(steps):
        if at == e1:
            at = e2
        elif at == e2:
            at = e1
        else:
            return i, at
    return len(steps), at


def check_ducts_and_cables(inv: Inventory) -> Issues:
    issues: Issues = []
    for duct in inv.ducts:
        o = inv.ducts.origins[duct.id]
        _ref(issues, o, ("a_site",), "site", duct.a_site, inv.sites.known)
        _ref(issues, o, ("z_site",), "site", duct.z_site, inv.sites.known)
        if duct.a_site == duct.z_site:
            issues.append(o.issue(("z_site",), "a duct must join two different sites", "fix z_site"))
    for cable in inv.cables:
        o = inv.cables.origins[cable.id]
        ok = _ref(issues, o, ("a_site",), "site", cable.a_site, inv.sites.known)
        ok &= _ref(issues, o, ("z_site",), "site", cable.z_site, inv.sites.known)
        steps = []
        for i, d in enumerate(cable.ducts):
            if _ref(issues, o, ("ducts", i), "duct", d, inv.ducts.known):
                found = inv.ducts.get(d)
                if found is not None:
                    steps.append((d, found.a_site, found.z_site))
                    continue
            ok = False
        if not ok or not steps:
            continue
        idx, at = _walk_chain(cable.a_site, steps)
        if idx < len(steps):
            sid, e1, e2 = steps[idx]
            issues.append(
                o.issue(
                    ("ducts", idx),
                    f"duct '{sid}' ({e1}–{e2}) does not continue from site '{at}' where the "
                    f"cable's duct route has reached",
                    "list the ducts in order from a_site to z_site",
                )
            )
        elif at != cable.z_site:
            issues.append(
                o.issue(
                    ("ducts",),
                    f"the ducts join '{cable.a_site}' to '{at}', not to the cable's z_site '{cable.z_site}'",
                    "add the missing ducts or fix the cable's sites",
                )
            )
    return issues


def check_devices(inv: Inventory, credential_sets: Iterable[str]) -> Issues:
    issues: Issues = []
    creds = set(credential_sets)
    for dev in inv.devices:
        o = inv.devices.origins[dev.id]
        _ref(issues, o, ("site",), "site", dev.site, inv.sites.known)
        if dev.credentials not in creds:
            issues.append(
                o.issue(
                    ("credentials",),
                    f"unknown credential set '{dev.credentials}'",
                    "define it under credentials: in the daemon config"
                    + (f" (defined: {', '.join(sorted(creds))})" if creds else ""),
                )
            )
        for i, gw in enumerate(dev.managed_via):
            if gw == dev.id:
                issues.append(o.issue(("managed_via", i), "an element cannot be managed via itself", "remove it"))
            else:
                _ref(issues, o, ("managed_via", i), "device", gw, inv.devices.known)
        slots: dict[int, int] = {}
        for i, board in enumerate(dev.boards):
            if board.slot in slots:
                issues.append(
                    o.issue(
                        ("boards", i, "slot"),
                        f"duplicate board slot {board.slot} on '{dev.id}' (also boards[{slots[board.slot]}])",
                        "give each board its own slot",
                    )
                )
            slots.setdefault(board.slot, i)
        for i, board in enumerate(dev.boards):
            if board.protected_by is not None and board.protected_by not in slots:
                issues.append(
                    o.issue(
                        ("boards", i, "protected_by"),
                        f"no board in slot {board.protected_by} on '{dev.id}'",
                        "declare the mate board or fix the slot",
                    )
                )
        names: dict[str, int] = {}
        ifindexes: dict[int, int] = {}
        for i, port in enumerate(dev.ports):
            if port.name in names:
                issues.append(
                    o.issue(
                        ("ports", i, "name"),
                        f"duplicate port '{port.name}' on '{dev.id}' (also ports[{names[port.name]}])",
                        "give each port a unique name",
                    )
                )
            names.setdefault(port.name, i)
            if port.if_index is not None:
                if port.if_index in ifindexes:
                    issues.append(
                        o.issue(
                            ("ports", i, "if_index"),
                            f"ifIndex {port.if_index} already used by ports[{ifindexes[port.if_index]}] on '{dev.id}'",
                            "ifIndex values are unique per element",
                        )
                    )
                ifindexes.setdefault(port.if_index, i)
            if port.board is not None and port.board not in slots:
                issues.append(
                    o.issue(
                        ("ports", i, "board"),
                        f"no board in slot {port.board} on '{dev.id}'",
                        "declare the board under boards: or fix the slot",
                    )
                )
    return issues


def _port_known(inv: Inventory, ref: str) -> bool:
    dev_id = inv.device_of(ref)
    if dev_id in inv.devices.invalid:
        return True
    return inv.port(ref) is not None


def _port_issue(inv: Inventory, o: Origin, sub: PathKey, ref: str) -> ConfigIssue | None:
    dev_id, _, name = ref.partition(":")
    if not inv.devices.known(dev_id):
        return o.issue(sub, f"unknown device '{dev_id}' in port '{ref}'", f"declare device '{dev_id}' or fix the id")
    if not _port_known(inv, ref):
        return o.issue(
            sub, f"unknown port '{name}' on device '{dev_id}'", f"add it to {dev_id}'s ports or fix the name"
        )
    return None


def check_links(inv: Inventory) -> Issues:
    issues: Issues = []
    used: dict[str, str] = {}
    for link in inv.links:
        o = inv.links.origins[link.id]
        ends_ok = True
        for end in ("a", "z"):
            ref = getattr(link, end)
            bad = _port_issue(inv, o, (end,), ref)
            if bad:
                issues.append(bad)
                ends_ok = False
            elif ref in used:
                issues.append(
                    o.issue((end,), f"port '{ref}' is already used by link '{used[ref]}'", "a port carries one link")
                )
            used.setdefault(ref, link.id)
        if link.a == link.z:
            issues.append(o.issue(("z",), "a link must join two different ports", "fix z"))
        steps = []
        cables_ok = True
        for i, c in enumerate(link.cables):
            if not _ref(issues, o, ("cables", i), "cable", c, inv.cables.known):
                cables_ok = False
                continue
            cable = inv.cables.get(c)
            if cable is None:
                cables_ok = False
                continue
            steps.append((c, cable.a_site, cable.z_site))
        if not (ends_ok and cables_ok and steps):
            continue
        sa = inv.site_of_device(inv.device_of(link.a))
        sz = inv.site_of_device(inv.device_of(link.z))
        if sa is None or sz is None:
            continue
        idx, at = _walk_chain(sa, steps)
        if idx < len(steps):
            sid, e1, e2 = steps[idx]
            issues.append(
                o.issue(
                    ("cables", idx),
                    f"cable '{sid}' ({e1}–{e2}) does not continue from site '{at}'",
                    "list the cables in order from the A port's site to the Z port's site",
                )
            )
        elif at != sz:
            issues.append(
                o.issue(
                    ("cables",),
                    f"the cables join '{sa}' to '{at}', but port z is at site '{sz}'",
                    "add the missing cables or fix the link's ports",
                )
            )
    return issues


def _check_path(inv: Inventory, c: Circuit, role: str, path: Path, o: Origin) -> Issues:
    issues: Issues = []
    steps: list[tuple[str, str, str]] = []
    for i, hop in enumerate(path.hops):
        if not _ref(issues, o, (role, "hops", i), "link", hop, inv.links.known):
            return issues
        link = inv.links.get(hop)
        if link is None:
            return issues
        da, dz = inv.link_devices(link)
        steps.append((hop, da, dz))
    if len(set(path.hops)) != len(path.hops):
        issues.append(o.issue((role, "hops"), "a link appears twice in the path", "remove the loop"))
    idx, at = _walk_chain(c.a_end.device, steps)
    if idx < len(steps):
        sid, e1, e2 = steps[idx]
        if idx == 0:
            what = f"hop '{sid}' ({e1}–{e2}) does not start at the A-end element '{at}'"
        else:
            what = f"hop '{sid}' ({e1}–{e2}) does not continue from element '{at}' where the previous hop ended"
        issues.append(o.issue((role, "hops", idx), what, "list the links in order from a_end.device to z_end.device"))
    elif at != c.z_end.device:
        issues.append(
            o.issue(
                (role, "hops"),
                f"the path ends at '{at}', not at the Z-end element '{c.z_end.device}'",
                "add the missing hops or fix z_end",
            )
        )
    return issues


def check_circuits(inv: Inventory, policy: SlaPolicy | None) -> Issues:
    issues: Issues = []
    for c in inv.circuits:
        o = inv.circuits.origins[c.id]
        _ref(issues, o, ("customer",), "customer", c.customer, inv.customers.known)
        if policy is not None and c.product not in policy.products:
            issues.append(
                o.issue(
                    ("product",),
                    f"unknown product '{c.product}'",
                    f"use one of {', '.join(sorted(policy.products))} or add it to the SLA policy's products",
                )
            )
        ends_ok = True
        for end_name in ("a_end", "z_end"):
            end = getattr(c, end_name)
            if not _ref(issues, o, (end_name, "device"), "device", end.device, inv.devices.known):
                ends_ok = False
            elif end.port is not None:
                bad = _port_issue(inv, o, (end_name, "port"), f"{end.device}:{end.port}")
                if bad:
                    issues.append(bad)
        if ends_ok:
            issues += _check_path(inv, c, "working", c.working, o)
            if c.protection is not None:
                issues += _check_path(inv, c, "protection", c.protection, o)
                if c.protection.hops == c.working.hops:
                    issues.append(
                        o.issue(
                            ("protection", "hops"), "the protection path is the working path", "give it its own route"
                        )
                    )
        if policy is not None:
            need = policy.protection_need(c.maintenance_level)
            if need is ProtectionNeed.required and c.protection is None:
                issues.append(
                    o.issue(
                        ("protection",),
                        f"maintenance level {c.maintenance_level.value} requires a protection path",
                        "add protection: with its hops, or change the level",
                    )
                )
            if need is ProtectionNeed.none and c.protection is not None:
                issues.append(
                    o.issue(
                        ("protection",),
                        f"maintenance level {c.maintenance_level.value} takes no protection path",
                        "remove protection: or raise the level",
                    )
                )
        if c.central_room is not None:
            _ref(issues, o, ("central_room", "site"), "site", c.central_room.site, inv.sites.known)
            for i, d in enumerate(c.central_room.access_devices):
                _ref(issues, o, ("central_room", "access_devices", i), "device", d, inv.devices.known)
    return issues


def _resource_known(inv: Inventory, kind: ResourceKind, rid: str) -> bool:
    if kind is ResourceKind.port:
        return _port_known(inv, rid)
    if kind is ResourceKind.board:
        dev_id, _, slot = rid.partition(":")
        dev = inv.devices.get(dev_id)
        if dev is None:
            return dev_id in inv.devices.invalid
        return any(str(b.slot) == slot for b in dev.boards)
    table: dict[ResourceKind, Table[Any]] = {
        ResourceKind.site: inv.sites,
        ResourceKind.duct: inv.ducts,
        ResourceKind.cable: inv.cables,
        ResourceKind.device: inv.devices,
        ResourceKind.link: inv.links,
    }
    return table[kind].known(rid)


def check_planned_work(inv: Inventory) -> Issues:
    issues: Issues = []
    for w in inv.planned_work:
        o = inv.planned_work.origins[w.id]
        for i, ref in enumerate(w.resources):
            kind, _, rid = ref.partition(":")
            if not _resource_known(inv, ResourceKind(kind), rid):
                issues.append(
                    o.issue(("resources", i), f"unknown {kind} '{rid}'", f"declare {kind} '{rid}' or fix the reference")
                )
    return issues


def check_inventory(inv: Inventory, policy: SlaPolicy | None, credential_sets: Iterable[str]) -> Issues:
    """Every cross-reference and topology check, in inventory order."""
    return [
        *check_ducts_and_cables(inv),
        *check_devices(inv, credential_sets),
        *check_links(inv),
        *check_circuits(inv, policy),
        *check_planned_work(inv),
    ]
