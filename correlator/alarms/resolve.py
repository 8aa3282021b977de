"""Which inventory resource an alarm is about: the resource an agent names -> a ``kind:id`` key.

Keys are the ones :mod:`correlator.diversity` uses (:func:`~correlator.diversity.expand.rkey`),
plus the logical resources of IPRAN circuits:

==========  ==============================================================================
resource    inventory key
==========  ==============================================================================
device      ``device:DEV`` (the element of the alarm; the resource id is not read)
port        ``port:DEV:PORT``: by ifIndex first, then by name (case-insensitive, long and short
            interface forms alike, see ``config/resource_names.yaml``). An id ``ifIndex.N`` (an
            agent's fallback name) is read as ifIndex N.
optical     the port the transceiver belongs to, matched as a port
path        the port the SDH path (VC/AU/TU) is on: by ifIndex if it is a port's, else the longest
            port name the id starts with (followed by ``- : / . @ _`` or a space), else a
            ``path_port_patterns`` rule
board       ``board:DEV:SLOT``: the slot is read from the id by ``board_slot_patterns`` (a plain
            number, the SDH ``11-SL16`` style, an ENTITY-MIB name such as ``IPU slot 9``,
            ``Card slot 0/5`` or ``CR51LAXFE0 0/7``); the board must be in the inventory
pw          ``pw:<id>`` as the circuits name it in ``Path.pseudowire`` (``PW-20021``, ``20021``
            and ``pw 20021`` match ``PW-20021``)
tunnel      ``tunnel:<name>`` as the circuits name it in ``Path.tunnel`` (case-insensitive)
bfd, vrf    ``bfd:DEV:<id>``, ``vrf:DEV:<name>`` (not inventory objects: named on their element)
==========  ==============================================================================

An unknown element, or a resource the inventory does not have, resolves to None: the alarm is kept
and counted as unmapped, never dropped. Results are cached per (element, resource).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from correlator.diversity.expand import rkey
from correlator.inventory.inventory import Inventory
from correlator.inventory.model import Device
from correlator.wire import Resource, ResourceType

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "config" / "resource_names.yaml"

_IF_INDEX_NAME = re.compile(r"^ifindex\.(\d+)$", re.IGNORECASE)
_PREFIX = re.compile(r"^(\d*[a-z][a-z-]*?)[\s_-]*(\d.*)$")
_PATH_SEPARATORS = "-:/.@_ "


def _compile(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"{what} '{pattern}' is not a valid regular expression: {exc}") from None


class NameRules(BaseModel):
    """``config/resource_names.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1, le=1)
    interface_prefixes: dict[str, list[str]] = Field(default_factory=dict)
    name_suffixes: list[str] = Field(default_factory=list)
    board_slot_patterns: list[str] = Field(default_factory=list)
    path_port_patterns: list[str] = Field(default_factory=list)
    pseudowire_prefix: str = "pw"

    @field_validator("interface_prefixes")
    @classmethod
    def _prefixes(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        for canon, aliases in v.items():
            for name in (canon, *aliases):
                low = name.lower()
                if low in seen and seen[low] != canon:
                    raise ValueError(f"prefix '{name}' is listed under both '{seen[low]}' and '{canon}' (keep one)")
                seen[low] = canon
        return v

    @field_validator("name_suffixes", "path_port_patterns")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        for p in v:
            _compile(p, "pattern")
        return v

    @field_validator("board_slot_patterns")
    @classmethod
    def _slot_patterns(cls, v: list[str]) -> list[str]:
        for p in v:
            if "slot" not in _compile(p, "board slot pattern").groupindex:
                raise ValueError(f"board slot pattern '{p}' has no group (?P<slot>...)")
        return v


@cache
def load_name_rules(path: Path = DEFAULT_PATH) -> NameRules:
    return NameRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


_AMBIGUOUS = ""


@dataclass
class _DevicePorts:
    by_if_index: dict[int, str] = field(default_factory=dict)
    by_lower: dict[str, str] = field(default_factory=dict)
    by_canon: dict[str, str] = field(default_factory=dict)
    """Canonical form -> port name, or ``_AMBIGUOUS`` when two ports share it."""
    slots: frozenset[int] = frozenset()


class Resolver:
    """Alarm resource -> inventory resource key (see the module docstring)."""

    def __init__(self, inventory: Inventory, rules: NameRules | None = None) -> None:
        self.inventory = inventory
        self.rules = rules or load_name_rules()
        self._aliases = {
            name.lower(): canon.lower()
            for canon, names in self.rules.interface_prefixes.items()
            for name in (canon, *names)
        }
        self._suffixes = [_compile(p, "name suffix") for p in self.rules.name_suffixes]
        self._slot_patterns = [_compile(p, "board slot pattern") for p in self.rules.board_slot_patterns]
        self._path_patterns = [_compile(p, "path port pattern") for p in self.rules.path_port_patterns]
        self._pw_prefix = re.compile(rf"^{re.escape(self.rules.pseudowire_prefix)}[\s_-]*", re.IGNORECASE)
        self._devices: dict[str, _DevicePorts] = {d.id: self._index_device(d) for d in inventory.devices}
        self._pws: dict[str, str] = {}
        self._tunnels: dict[str, str] = {}
        for c in inventory.circuits:
            for path in (c.working, c.protection):
                if path is None:
                    continue
                if path.pseudowire:
                    self._pws.setdefault(self._pw_norm(path.pseudowire), path.pseudowire)
                if path.tunnel:
                    self._tunnels.setdefault(path.tunnel.lower(), path.tunnel)
        self._cache: dict[tuple[str, ResourceType, str, int | None], str | None] = {}

    # -- indexes ---------------------------------------------------------------------------------

    def canonical(self, name: str) -> str:
        """The form two spellings of one interface share: ``Gi0/2/1`` -> ``gigabitethernet0/2/1``."""
        low = name.strip().lower()
        m = _PREFIX.match(low)
        if m is None:
            return low
        prefix, rest = m.groups()
        return self._aliases.get(prefix, prefix) + rest

    def _index_device(self, dev: Device) -> _DevicePorts:
        out = _DevicePorts(slots=frozenset(b.slot for b in dev.boards))
        for p in dev.ports:
            if p.if_index is not None:
                out.by_if_index.setdefault(p.if_index, p.name)
            out.by_lower.setdefault(p.name.lower(), p.name)
            canon = self.canonical(p.name)
            out.by_canon[canon] = p.name if canon not in out.by_canon else _AMBIGUOUS
        return out

    def _pw_norm(self, text: str) -> str:
        return self._pw_prefix.sub("", text.strip()).lower()

    # -- resolution ------------------------------------------------------------------------------

    def resolve(self, device: str, resource: Resource) -> str | None:
        """The inventory key of ``resource`` on ``device``, or None if the inventory has no such thing."""
        ck = (device, resource.type, resource.id, resource.if_index)
        try:
            return self._cache[ck]
        except KeyError:
            pass
        out = self._resolve(device, resource)
        self._cache[ck] = out
        return out

    def _resolve(self, device: str, resource: Resource) -> str | None:
        ports = self._devices.get(device)
        if ports is None:
            return None
        rtype, rid = resource.type, resource.id.strip()
        if rtype is ResourceType.device:
            return rkey("device", device)
        if rtype in (ResourceType.port, ResourceType.optical):
            name = self._port(ports, rid, resource.if_index)
        elif rtype is ResourceType.path:
            name = self._path_port(ports, rid, resource.if_index)
        elif rtype is ResourceType.board:
            slot = self._slot(rid)
            return rkey("board", f"{device}:{slot}") if slot is not None and slot in ports.slots else None
        elif rtype is ResourceType.pw:
            pw = self._pws.get(self._pw_norm(rid))
            return rkey("pw", pw) if pw else None
        elif rtype is ResourceType.tunnel:
            tunnel = self._tunnels.get(rid.lower())
            return rkey("tunnel", tunnel) if tunnel else None
        elif rtype is ResourceType.bfd:
            return rkey("bfd", f"{device}:{rid}")
        elif rtype is ResourceType.vrf:
            return rkey("vrf", f"{device}:{rid}")
        else:  # pragma: no cover - every ResourceType is handled above
            return None
        return rkey("port", f"{device}:{name}") if name else None

    def _port(self, ports: _DevicePorts, rid: str, if_index: int | None) -> str | None:
        if if_index is not None and if_index in ports.by_if_index:
            return ports.by_if_index[if_index]
        m = _IF_INDEX_NAME.match(rid)
        if m is not None:
            return ports.by_if_index.get(int(m.group(1)))
        return self._port_by_name(ports, rid)

    def _port_by_name(self, ports: _DevicePorts, rid: str) -> str | None:
        names = [rid]
        for suffix in self._suffixes:
            stripped = suffix.sub("", rid).strip()
            if stripped and stripped != rid:
                names.append(stripped)
        for name in names:
            exact = ports.by_lower.get(name.lower())
            if exact is not None:
                return exact
            alias = ports.by_canon.get(self.canonical(name))
            if alias:  # not None and not ambiguous
                return alias
        return None

    def _path_port(self, ports: _DevicePorts, rid: str, if_index: int | None) -> str | None:
        if if_index is not None and if_index in ports.by_if_index:
            return ports.by_if_index[if_index]
        low = rid.lower()
        # the longest port name the id starts with, followed by a separator: one dict lookup per
        # separator in the id, longest prefix first (not a scan of the element's ports)
        by_lower = ports.by_lower
        for i in range(len(low) - 1, 0, -1):
            if low[i] in _PATH_SEPARATORS:
                name = by_lower.get(low[:i])
                if name is not None:
                    return name
        for pattern in self._path_patterns:
            m = pattern.match(rid)
            if m is not None and m.groupdict().get("port"):
                found = self._port_by_name(ports, m.group("port"))
                if found is not None:
                    return found
        return self._port_by_name(ports, rid)

    def _slot(self, rid: str) -> int | None:
        for pattern in self._slot_patterns:
            m = pattern.search(rid)
            if m is not None:
                return int(m.group("slot"))
        return None
