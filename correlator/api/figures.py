"""Availability and timeliness figures for the API and the NOC page, computed from the store.

"Today" is the operator's day: midnight to now in the daemon config's ``timezone``.
Availability comes from :func:`correlator.availability.compute_availability` (impact history,
planned-work and cause exclusions); it needs the inventory imported into the store
(``linewatch inventory import``): without it the figures are left out and say why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from correlator.api import models as m
from correlator.api.errors import ApiError, validation_error
from correlator.api.present import Presenter
from correlator.availability import AvailabilityError, CircuitAvailability, Period, compute_availability
from correlator.clock import Clock
from correlator.diversity.expand import NetworkIndex
from correlator.planned.service import PlannedWorkService
from correlator.tickets.book import WORKING
from correlator.tickets.clocks import spans
from correlator.tickets.kpi import Tally, judge, monthly
from correlator.tickets.repository import TicketRepository
from correlator.tickets.store import TicketQuery


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return datetime(local.year, local.month, local.day, tzinfo=tz)


class Figures:
    def __init__(self, engine: Engine, index: NetworkIndex, clock: Clock, presenter: Presenter, tz: ZoneInfo) -> None:
        self.engine = engine
        self.index = index
        self.clock = clock
        self.p = presenter
        self.tz = tz

    def period(self, start: datetime | None, end: datetime | None) -> Period:
        """The period asked for (default: today so far); 422 naming the parameter when it is wrong."""
        now = self.clock.now()
        s = start if start is not None else day_start(now, self.tz)
        e = end if end is not None else now
        if e <= s:
            raise validation_error("query.end", "must be after start", "give an end later than the start")
        if s >= now:
            raise validation_error("query.start", "the period has not begun yet", "choose a start before now")
        return Period(s, min(e, now) if end is None else e, self.tz, f"{s.isoformat()}..{e.isoformat()}")

    def _compute(self, period: Period, circuits: list[str] | None) -> list[CircuitAvailability]:
        calendar = PlannedWorkService(self.engine, self.index, self.clock).calendar()
        try:
            report = compute_availability(
                self.engine, period, self.index.policy, self.clock, calendar=calendar, circuits=circuits
            )
        except AvailabilityError as exc:
            raise ApiError(
                409, f"availability cannot be computed: {exc}", "import the inventory into the store"
            ) from None
        return report.circuits

    def circuit(self, circuit_id: str, period: Period) -> m.AvailabilityOut:
        rows = self._compute(period, [circuit_id])
        c = rows[0]
        return m.AvailabilityOut(
            circuit=c.circuit,
            start=self.p.local(period.start),
            end=self.p.local(min(period.end, self.clock.now())),
            period_seconds=c.period_seconds,
            outage_seconds=c.outage_seconds,
            excluded_seconds=c.excluded_seconds,
            availability_percent=round(c.availability_percent, 4),
            target_percent=c.target_percent,
            met=c.met,
            outages=c.outages,
        )

    def today(self) -> m.AvailabilityFigure:
        now = self.clock.now()
        start = day_start(now, self.tz)
        if now - start < timedelta(seconds=1):
            start -= timedelta(days=1)
        period = Period(start, now, self.tz, "today")
        rows = self._compute(period, None)
        period_s = sum(c.period_seconds for c in rows)
        outage_s = sum(c.outage_seconds for c in rows)
        pct = 100.0 if period_s <= 0 else max(0.0, 100.0 * (1.0 - outage_s / period_s))
        return m.AvailabilityFigure(
            start=self.p.local(start),
            end=self.p.local(now),
            circuits=len(rows),
            circuits_with_outage=sum(1 for c in rows if c.outage_seconds > 0),
            outage_seconds=outage_s,
            availability_percent=round(pct, 4),
            below_target=sorted(c.circuit for c in rows if not c.met),
        )

    def timeliness_today(self) -> m.TimelinessFigure:
        """The timeliness rate (及时率) of the tickets whose restore limit falls due today, judged as
        the monthly KPI judges them (:mod:`correlator.tickets.kpi`), the month so far, and the
        tickets still being worked."""
        now = self.clock.now()
        policy = self.index.policy
        start = day_start(now, self.tz)
        tomorrow = (start + timedelta(days=1, hours=2)).replace(hour=0)
        repo = TicketRepository(self.engine)
        kinds = set(policy.timeliness.counted_kinds)
        today = Tally()
        for t in repo.find(TicketQuery(due_from=start, due_before=tomorrow)):
            if t.kind in kinds:
                verdict = judge(t, policy, now)
                setattr(today, verdict, getattr(today, verdict) + 1)
        local = now.astimezone(self.tz)
        month = monthly(repo, policy, f"{local.year:04d}-{local.month:02d}", self.tz, now)
        working = repo.find(TicketQuery(states=WORKING))
        breached = sum(
            1 for t in working if any(now >= s.due for s in spans(t, policy.ticket_limits) if s.stopped_at is None)
        )
        rate, month_rate = today.rate(), month.overall.rate()
        return m.TimelinessFigure(
            start=self.p.local(start),
            end=self.p.local(now),
            decided=today.counted,
            met=today.met,
            rate_percent=round(rate, 2) if rate is not None else None,
            month_rate_percent=round(month_rate, 2) if month_rate is not None else None,
            target_percent=policy.timeliness.target_percent,
            open=len(working),
            breached=breached,
        )
