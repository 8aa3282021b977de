"""Names out of CLI text: interface names as SNMP spells them, templates over parsed fields.

The state differ sees one alarm only when the CLI names a resource exactly as the SNMP profile
does (``port:GigabitEthernet0/8/2``, not ``port:GE0/8/2(10G)``). Each platform says, as data, how
its displays shorten and decorate names (``interface_names`` in ``config/cli/platforms/``):
``strip`` removes decorations such as ``(10G)`` or ``(v)``, ``expand`` turns a short prefix into
the ifName prefix. When the agent knows the element's ifNames (from its SNMP polls) a name is
snapped onto the one ifName it matches under the interface-prefix aliases of
``config/resource_names.yaml``, so a platform whose ifNames are short (``GE0/1/0``) is matched too.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache

from correlator.alarms.resolve import load_name_rules

FIELD = re.compile(r"\{([^{}]*)\}")
_PREFIX = re.compile(r"^(\d*[a-z][a-z-]*?)[\s_-]*(\d.*)$")

Row = Mapping[str, str | None]
"""A parsed record: field -> text, None when the device showed no value ('-', '--' ...)."""


@cache
def _aliases() -> dict[str, str]:
    rules = load_name_rules()
    return {n.lower(): canon.lower() for canon, names in rules.interface_prefixes.items() for n in (canon, *names)}


def alias_form(name: str) -> str:
    """The form two spellings of one interface share (``Gi0/2/1`` and ``GigabitEthernet0/2/1``)."""
    low = name.strip().lower()
    m = _PREFIX.match(low)
    if m is None:
        return low
    prefix, rest = m.groups()
    return _aliases().get(prefix, prefix) + rest


class PortNamer:
    """Turns an interface name as a display shows it into the name the SNMP profile uses."""

    def __init__(
        self, strip: Iterable[str] = (), expand: Mapping[str, str] | None = None, known: Collection[str] = ()
    ) -> None:
        self._strip_src = tuple(strip)
        self._expand_src = dict(expand or {})
        self._strip = [re.compile(p) for p in self._strip_src]
        pairs = sorted(self._expand_src.items(), key=lambda kv: -len(kv[0]))
        self._expand = [(re.compile(rf"^{re.escape(short)}(?=\d)"), long) for short, long in pairs]
        self._known = {k: k for k in known}
        by_alias: dict[str, str | None] = {}
        for k in known:
            form = alias_form(k)
            by_alias[form] = None if form in by_alias and by_alias[form] != k else k
        self._by_alias = by_alias

    def __call__(self, raw: str) -> str:
        name = raw.strip()
        for pattern in self._strip:
            name = pattern.sub("", name).strip()
        if name in self._known:
            return name
        for pattern, long in self._expand:
            if pattern.match(name):
                name = pattern.sub(long, name, count=1)
                break
        if self._known and name not in self._known:
            snapped = self._by_alias.get(alias_form(name))
            if snapped:
                return snapped
        return name

    def with_known(self, known: Collection[str]) -> PortNamer:
        """The same rules, snapping onto these ifNames."""
        return PortNamer(self._strip_src, self._expand_src, known)


def template_fields(template: str) -> list[str]:
    return FIELD.findall(template)


def render(template: str, row: Row) -> str | None:
    """Fill ``{FIELD}`` from the row; None when a field has no value."""
    out = template
    for name in FIELD.findall(template):
        value = row.get(name)
        if value is None or not value.strip():
            return None
        out = out.replace("{" + name + "}", value.strip())
    return out


def first_rendered(templates: Sequence[str], row: Row) -> str | None:
    for template in templates:
        text = render(template, row)
        if text:
            return text
    return None


_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":", "＝": "=", "；": ";"})
_PARAM_SPLIT = re.compile(r"[,;]\s*(?=[A-Za-z_][\w.\-]*\s*=)")
_PARAM = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*=\s*(.*?)\s*$")


def alarm_params(text: str) -> dict[str, str]:
    """``Key=value`` parameters of a vendor alarm text, from its last parenthesised group.

    ``The interface status changes. (ifName=GE0/1/0, AdminStatus=UP, Reason=The link is down, x)``
    -> ``{"ifName": "GE0/1/0", "AdminStatus": "UP", "Reason": "The link is down, x"}``. Full-width
    punctuation (Chinese-language output) is read as ASCII. A value may hold commas: a new
    parameter starts only where ``, Name=`` follows.
    """
    t = text.translate(_FULLWIDTH)
    end = t.rfind(")")
    groups: list[str] = []
    while end >= 0:
        depth = 0
        start = -1
        for i in range(end, -1, -1):
            if t[i] == ")":
                depth += 1
            elif t[i] == "(":
                depth -= 1
                if depth == 0:
                    start = i
                    break
        if start < 0:
            break
        inner = t[start + 1 : end]
        if "=" in inner:
            groups.append(inner)
            break
        end = t.rfind(")", 0, start)
    if not groups:
        inner = t[t.find("[") + 1 : t.rfind("]")] if "[" in t and "]" in t else t
        groups.append(inner)
    out: dict[str, str] = {}
    for part in _PARAM_SPLIT.split(groups[0]):
        m = _PARAM.match(part)
        if m is not None and m.group(1) not in out:
            out[m.group(1)] = m.group(2).strip().strip('"')
    return out
