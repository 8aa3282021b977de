"""One alarm's history as time-ordered edges, and the state it implies.

Each raise event contributes a *rise* edge at its ``raised_at``; each clear a *fall* edge at its
``cleared_at`` (or ``observed_at`` when the agent gave none). Edges are kept sorted by event time
(a rise before a fall at the same instant), whatever order they arrived in, and the alarm's state
is what walking them from the start gives:

- a rise while the condition is cleared opens a condition (a state change);
- a rise while it is open is a duplicate (the same condition seen again);
- a fall while it is open closes it (a state change);
- a fall while it is cleared pairs with nothing *yet*: if a rise before it arrives later, the walk
  pairs them (a clear that overtook its raise).

So the final state depends only on the set of events, not on their arrival order: a late raise
older than a newer clear does not resurrect the alarm, and a raise arriving after the clear that
ended it leaves it cleared with the right interval.

Edges older than ``reorder_window_s`` behind the newest edge are folded into a summary (the state
and interval at that point, and the count of state changes), so the history stays small however
long an alarm lives; an event older than the folded point no longer changes the state.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

RISE = 0
FALL = 1

Edge = tuple[datetime, int]

FOLD_AT = 64
"""Fold old edges once an alarm keeps more than this many."""


@dataclass(slots=True)
class View:
    """The state the edges imply."""

    open: bool = False
    """The condition is active."""
    start: datetime | None = None
    """Start of the open condition, or of the last closed one."""
    end: datetime | None = None
    """End of the last closed condition (None while open)."""
    transitions: int = 0
    last_transition: datetime | None = None
    recent: list[datetime] = field(default_factory=list)
    """Times of the state changes within the flap window of the latest one."""

    def step(self, edge: Edge, flap_window: timedelta) -> bool:
        """Apply one edge that is not older than any applied before; True if the state changed."""
        t, kind = edge
        if kind == RISE:
            if self.open:
                return False
            self.open, self.start, self.end = True, t, None
        else:
            if not self.open:
                return False
            self.open, self.end = False, t
        self.transitions += 1
        self.last_transition = t
        recent = self.recent
        recent.append(t)
        if recent[0] < t - flap_window:
            horizon = t - flap_window
            del recent[: bisect.bisect_left(recent, horizon)]
        return True


@dataclass(slots=True)
class Timeline:
    edges: list[Edge] = field(default_factory=list)
    """Kept edges, sorted; a rise sorts before a fall at the same time."""
    folded_until: datetime | None = None
    """Edges before this time were folded into the base below."""
    base_open: bool = False
    base_start: datetime | None = None
    base_end: datetime | None = None
    base_transitions: int = 0
    base_last_transition: datetime | None = None

    def base_view(self) -> View:
        return View(
            open=self.base_open,
            start=self.base_start,
            end=self.base_end,
            transitions=self.base_transitions,
            last_transition=self.base_last_transition,
        )

    def walk(self, flap_window: timedelta) -> View:
        view = self.base_view()
        for edge in self.edges:
            view.step(edge, flap_window)
        return view

    def stale(self, t: datetime) -> bool:
        """An edge at ``t`` is older than the kept history."""
        return self.folded_until is not None and t < self.folded_until

    def add(self, edge: Edge) -> bool:
        """Insert an edge; True if it went at the end (the view can be stepped, not re-walked)."""
        if not self.edges or edge >= self.edges[-1]:
            self.edges.append(edge)
            return True
        bisect.insort(self.edges, edge)
        return False

    def fold(self, reorder_window: timedelta, flap_window: timedelta) -> None:
        """Fold edges older than ``reorder_window`` behind the newest into the base."""
        if len(self.edges) <= FOLD_AT:
            return
        horizon = self.edges[-1][0] - reorder_window
        cut = bisect.bisect_left(self.edges, (horizon, RISE))
        if cut == 0:
            return
        view = self.base_view()
        for edge in self.edges[:cut]:
            view.step(edge, flap_window)
        self.base_open, self.base_start, self.base_end = view.open, view.start, view.end
        self.base_transitions, self.base_last_transition = view.transitions, view.last_transition
        self.folded_until = horizon
        del self.edges[:cut]

    # -- persistence ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "edges": [[t.isoformat(), k] for t, k in self.edges],
            "folded_until": _iso(self.folded_until),
            "base_open": self.base_open,
            "base_start": _iso(self.base_start),
            "base_end": _iso(self.base_end),
            "base_transitions": self.base_transitions,
            "base_last_transition": _iso(self.base_last_transition),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timeline:
        return cls(
            edges=[(datetime.fromisoformat(t), int(k)) for t, k in data.get("edges", [])],
            folded_until=_dt(data.get("folded_until")),
            base_open=bool(data.get("base_open", False)),
            base_start=_dt(data.get("base_start")),
            base_end=_dt(data.get("base_end")),
            base_transitions=int(data.get("base_transitions", 0)),
            base_last_transition=_dt(data.get("base_last_transition")),
        )


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
