"""Column types shared by the schema and its migrations.

* :class:`UtcDateTime`: timezone-aware UTC datetimes on every backend. PostgreSQL keeps the zone
  (``timestamptz``); SQLite has no zone, so values are stored as UTC and given the UTC zone back
  when read. Naive datetimes are refused on the way in: a time without a zone is a bug.
* :func:`str_enum`: a string enum stored as plain ``VARCHAR`` (no native DB enum, no CHECK
  constraint), so the operator's vocabulary can grow without a schema migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum, TypeDecorator

ENUM_LENGTH = 32
"""Width of enum columns: room for values longer than today's longest (17 characters)."""


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always hands back aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum: type[StrEnum]) -> Enum:
    """A VARCHAR column holding the enum's values (not its member names)."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=ENUM_LENGTH,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )
