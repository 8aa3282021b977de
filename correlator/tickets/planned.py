"""What the ticket book needs of the planned-work calendar (``correlator.planned.calendar``).

Announced planned work is not an unplanned outage (DOMAIN.md): before opening a ticket the book
asks whether an announced window covers the incident's root resource at the incident's start. Only
this small protocol is depended on, so the book works with the calendar, with a store-backed
calendar, or without one (no planned work known: every fault opens its ticket).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class PlannedWindow(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


class PlannedLookup(Protocol):
    def covering(self, resource_key: str, at: datetime) -> PlannedWindow | None:
        """The announced window over ``resource_key`` (``duct:D-036``, ``link:L-12``,
        ``port:NE-3:1/0/1`` ...) at ``at``, or None."""
        ...
