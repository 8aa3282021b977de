"""The hot path of availability, in the database driver's own terms.

A million impact rows through SQLAlchemy's result objects costs several seconds of Python per pass;
the driver's ``fetchmany`` returns plain tuples. So the few big reads of availability are plain SQL
on the driver connection of the caller's SQLAlchemy connection (inside its transaction), with:

- :func:`epoch_sql`: a stored UTC time as epoch seconds (a float), computed by the database;
- :func:`time_param`: a bound time as the store keeps it (through the column type's own bind
  processor, :class:`~correlator.store.coltypes.UtcDateTime`);
- :func:`fetch_batches`: batches of rows, from a server-side cursor on PostgreSQL (nothing is held
  in memory beyond one batch).

SQLite and PostgreSQL only, like the rest of the store.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from correlator.store.coltypes import UtcDateTime


class Dialect:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.name = connection.dialect.name
        if self.name not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"availability supports SQLite and PostgreSQL, not {self.name}")
        self.placeholder = "?" if self.name == "sqlite" else "%s"
        self._time = UtcDateTime().bind_processor(connection.dialect)

    def marks(self, n: int) -> str:
        return ", ".join([self.placeholder] * n)

    def epoch(self, column: str) -> str:
        """``column`` (a stored UTC time) as seconds since 1970, a float (NULL stays NULL)."""
        if self.name == "sqlite":
            # stored as 'YYYY-MM-DD HH:MM:SS.ffffff': julianday keeps ~20 us, ample for minutes
            return f"((julianday({column}) - 2440587.5) * 86400.0)"
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS DOUBLE PRECISION)"

    def time(self, value: datetime) -> Any:
        """A bound time as the store keeps it."""
        return self._time(value) if self._time is not None else value

    def order_by_text(self, column: str) -> str:
        """An ORDER BY term that only has to group equal values together, as cheaply as possible."""
        if self.name == "sqlite":
            return f"+{column}"  # a sort of the filtered rows, not an index walk with a lookup per row
        return f'{column} COLLATE "C"'


def fetch_batches(
    connection: Connection, sql: str, params: Sequence[Any], batch: int = 50_000, stream: bool = False
) -> Iterator[list[tuple[Any, ...]]]:
    """Run ``sql`` on the driver connection of ``connection`` and yield lists of row tuples.

    ``stream`` uses a server-side cursor on PostgreSQL (the rows stay on the server until fetched).
    ``connection`` must have begun its transaction (any statement through it does that).
    """
    raw: Any = connection.connection.driver_connection
    if stream and connection.dialect.name == "postgresql":
        cur = raw.cursor(name=f"lw_availability_{secrets.token_hex(4)}")
    else:
        cur = raw.cursor()
    try:
        cur.execute(sql, tuple(params))
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield rows
    finally:
        cur.close()
