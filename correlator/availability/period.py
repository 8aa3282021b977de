"""Reporting periods in the operator's time zone (the daemon config's ``timezone``).

A month is the operator's month: ``2026-12`` in Asia/Shanghai runs from 2026-12-01 00:00 +08:00
(2026-11-30 16:00 UTC) to 2027-01-01 00:00 +08:00. A date given on the command line is a whole
day in that zone: ``--from 2026-12-01 --to 2026-12-31`` is the month of December, ``--to``
included. A date with a time (``2026-12-08T00:30``, ``2026-12-08 00:30+08:00``) is that instant,
``--to`` excluded; without an offset it is in the operator's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class PeriodError(ValueError):
    """A date, month or time zone that cannot be read; the text says what to write."""


_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d{2}):?(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def operator_tz(name: str) -> tzinfo:
    """An IANA zone name (``Asia/Shanghai``), ``UTC``, or a fixed offset (``+08:00``)."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    m = _OFFSET.match(name)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(
            f"time zone '{name}' is unknown (use an IANA name such as Asia/Shanghai, or an offset such as +08:00)"
        ) from None


def tz_name(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)
    return str(key) if key else str(tz)


@dataclass(frozen=True)
class Period:
    """[start, end) as aware UTC datetimes, with the zone it was given in."""

    start: datetime
    end: datetime
    tz: tzinfo
    label: str

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise PeriodError(f"period {self.label}: the end must be after the start")

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    def describe(self) -> str:
        a, b = self.local(self.start), self.local(self.end)
        return f"{a:%Y-%m-%d %H:%M} .. {b:%Y-%m-%d %H:%M} ({tz_name(self.tz)})"

    def months(self) -> list[Period]:
        """The period cut at the operator's month boundaries."""
        out = []
        at = self.start
        while at < self.end:
            local = self.local(at)
            nxt = _next_month(local.year, local.month, self.tz)
            end = min(nxt, self.end)
            out.append(Period(at, end, self.tz, f"{local:%Y-%m}"))
            at = end
        return out


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _next_month(year: int, month: int, tz: tzinfo) -> datetime:
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(y, m, 1, tzinfo=tz).astimezone(UTC)


def month_period(text: str, tz: tzinfo) -> Period:
    """``2026-12`` -> the operator's month."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise PeriodError(f"month '{text}' is not YYYY-MM (e.g. 2026-12)")
    year, month = int(m.group(1)), int(m.group(2))
    start = datetime(year, month, 1, tzinfo=tz).astimezone(UTC)
    return Period(start, _next_month(year, month, tz), tz, f"{year:04d}-{month:02d}")


def parse_when(text: str, tz: tzinfo, *, end_of_day: bool = False) -> datetime:
    """A date (midnight in ``tz``; with ``end_of_day`` the next midnight) or a date and time."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return _midnight(day + timedelta(days=1) if end_of_day else day, tz)
        when = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        raise PeriodError(
            f"'{text}' is not a date or time (write 2026-12-01, 2026-12-08T00:30 or 2026-12-08T00:30+08:00)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(UTC)


def period_of(start: str, end: str, tz: tzinfo) -> Period:
    """``--from`` and ``--to`` as the command line gives them (``--to`` DATE is included)."""
    a = parse_when(start, tz)
    b = parse_when(end, tz, end_of_day=True)
    label = f"{start.strip()}..{end.strip()}"
    if b <= a:
        raise PeriodError(f"period {label}: --to must not be before --from")
    return Period(a, b, tz, label)
