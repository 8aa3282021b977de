"""Planned work (割接, line repair, moves, upgrades): the calendar of announced windows, the
operator's notice and approval rules, and windows managed at run time.

- :mod:`~correlator.planned.model`: :class:`PlannedWindow` (inventory or runtime) and its cover span;
- :mod:`~correlator.planned.calendar`: :class:`PlannedCalendar`, which window covers a resource when;
- :mod:`~correlator.planned.checks`: the notice and approval warnings;
- :mod:`~correlator.planned.store` and :mod:`~correlator.planned.service`: runtime windows.
"""

from correlator.planned.calendar import PlannedCalendar
from correlator.planned.checks import PlannedFinding, PlannedRule, WindowCheck, check_window, check_windows
from correlator.planned.model import PlannedWindow, PlannedWindowRef

__all__ = [
    "PlannedCalendar",
    "PlannedFinding",
    "PlannedRule",
    "PlannedWindow",
    "PlannedWindowRef",
    "WindowCheck",
    "check_window",
    "check_windows",
]
