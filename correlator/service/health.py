"""What ``/healthz`` reports: each part of the process (agent, correlator, store, bus ...), ok or not.

A part is either set by its owner (:meth:`Health.set`) or probed when asked (:meth:`Health.probe`:
a callable returning ``(ok, detail)``), so the answer is current without anyone polling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Probe = Callable[[], tuple[bool, str]]


@dataclass
class PartHealth:
    ok: bool
    detail: str


@dataclass
class Health:
    parts: dict[str, PartHealth] = field(default_factory=dict)
    probes: dict[str, Probe] = field(default_factory=dict)

    def set(self, part: str, ok: bool, detail: str) -> None:
        self.parts[part] = PartHealth(ok, detail)

    def probe(self, part: str, fn: Probe) -> None:
        self.probes[part] = fn

    def current(self) -> dict[str, PartHealth]:
        out = dict(self.parts)
        for name, fn in self.probes.items():
            try:
                ok, detail = fn()
            except Exception as exc:  # a probe must never break /healthz
                log.debug("health probe %s failed", name, exc_info=True)
                ok, detail = False, f"probe failed: {type(exc).__name__}: {exc}"
            out[name] = PartHealth(ok, detail)
        return out

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.current().values())

    def as_dict(self) -> dict[str, Any]:
        parts = self.current()
        return {
            "status": "ok" if all(p.ok for p in parts.values()) else "failing",
            "parts": {k: {"ok": v.ok, "detail": v.detail} for k, v in sorted(parts.items())},
        }
