"""Read a profile's tables out of a recording (``.snmprec``) instead of a live poll.

For tests, the demo lab and benchmarks: the result has the shape a poll engine hands to
:meth:`Profile.evaluate`. A table with no row at all counts as absent (the element answered
noSuchObject / nothing under it), so it is not in ``complete``.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.profiles.profile import Profile
from agent.snmprec import Rows, Value, table_rows


def read_tables(profile: Profile, values: Mapping[str, Value]) -> tuple[dict[str, Rows], set[str]]:
    """(table name -> Rows, names of the tables that have rows)."""
    rows: dict[str, Rows] = {}
    complete: set[str] = set()
    for spec in profile.tables():
        found = table_rows(values, spec.columns)
        rows[spec.name] = found
        if found:
            complete.add(spec.name)
    return rows, complete
