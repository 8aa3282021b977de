"""The timeliness rate (及时率): tickets restored within their limit / all counted tickets, per month.

Which month a ticket belongs to: the month, in the operator's time zone (the daemon config's
``timezone``), in which its **restore limit falls due** (``restore_due_at``). So a month's figure is
final once the month is over (every ticket in it is either restored or past its limit), and a ticket
opened on the last evening of a month with a 72 h limit is judged in the month it is due in.

Counted: tickets of ``timeliness.counted_kinds`` (default outage and customer report: a
protection-lost ticket's service was never down), except those closed with a cause in
``timeliness.excluded_causes`` (default customer side, other operator). A ticket is *met* when
restored at or before its limit, *missed* when restored after it or still not restored once it has
passed; a ticket not restored whose limit is still ahead is *pending* and not in the rate. A ticket
still open has no cause yet and counts until it is closed with an excluded one.

Rate = met / (met + missed), overall, by team (the team it was dispatched to) and by customer tier,
against ``timeliness.target_percent``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from correlator.domain import CustomerTier, MaintenanceLevel
from correlator.policy import SlaPolicy
from correlator.tickets.clocks import restore_met
from correlator.tickets.model import Ticket, iso
from correlator.tickets.store import TicketQuery, TicketStore

NO_TEAM = "(no team)"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class KpiError(ValueError):
    pass


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """``2026-12`` in Asia/Shanghai -> [2026-11-30T16:00Z, 2026-12-31T16:00Z): the local midnights."""
    m = _MONTH.match(month.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise KpiError(f"month '{month}' is not YYYY-MM (write e.g. 2026-12)")
    year, mon = int(m.group(1)), int(m.group(2))
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), 1 if mon == 12 else mon + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class Tally:
    met: int = 0
    missed: int = 0
    pending: int = 0
    excluded: int = 0

    @property
    def counted(self) -> int:
        return self.met + self.missed

    def rate(self) -> float | None:
        """Percent, or None when nothing was decided."""
        return 100.0 * self.met / self.counted if self.counted else None

    def as_dict(self, target: float) -> dict[str, Any]:
        rate = self.rate()
        return {
            "met": self.met,
            "missed": self.missed,
            "counted": self.counted,
            "pending": self.pending,
            "excluded": self.excluded,
            "rate_percent": round(rate, 2) if rate is not None else None,
            "meets_target": rate >= target if rate is not None else None,
        }


@dataclass(frozen=True)
class Judged:
    ticket: Ticket
    verdict: str
    """met, missed, pending, excluded."""

    def late_by(self, now: datetime) -> timedelta | None:
        if self.verdict != "missed":
            return None
        return (self.ticket.restored_at or now) - self.ticket.restore_due_at


@dataclass
class KpiReport:
    month: str
    timezone: str
    start: datetime
    end: datetime
    as_of: datetime
    target_percent: float
    excluded_causes: list[str]
    counted_kinds: list[str]
    overall: Tally = field(default_factory=Tally)
    by_team: dict[str, Tally] = field(default_factory=dict)
    by_tier: dict[str, Tally] = field(default_factory=dict)
    by_level: dict[str, Tally] = field(default_factory=dict)
    excluded_by_cause: dict[str, int] = field(default_factory=dict)
    judged: list[Judged] = field(default_factory=list)

    def meets_target(self) -> bool | None:
        rate = self.overall.rate()
        return rate >= self.target_percent if rate is not None else None

    def missed(self) -> list[Judged]:
        return [j for j in self.judged if j.verdict == "missed"]

    def as_dict(self) -> dict[str, Any]:
        t = self.target_percent
        return {
            "month": self.month,
            "timezone": self.timezone,
            "from": iso(self.start),
            "to": iso(self.end),
            "as_of": iso(self.as_of),
            "month_of_ticket": "restore_due_at",
            "target_percent": t,
            "excluded_causes": self.excluded_causes,
            "counted_kinds": self.counted_kinds,
            "overall": self.overall.as_dict(t),
            "by_team": {k: v.as_dict(t) for k, v in self.by_team.items()},
            "by_tier": {k: v.as_dict(t) for k, v in self.by_tier.items()},
            "by_maintenance_level": {k: v.as_dict(t) for k, v in self.by_level.items()},
            "excluded_by_cause": self.excluded_by_cause,
            "tickets": [
                {
                    "id": j.ticket.id,
                    "verdict": j.verdict,
                    "circuit": j.ticket.circuit_id,
                    "customer": j.ticket.customer_id,
                    "kind": j.ticket.kind.value,
                    "tier": j.ticket.tier.value,
                    "maintenance_level": j.ticket.maintenance_level.value,
                    "team": j.ticket.team,
                    "known_at": iso(j.ticket.known_at),
                    "restore_due_at": iso(j.ticket.restore_due_at),
                    "restored_at": iso(j.ticket.restored_at),
                    "cause": j.ticket.cause.value if j.ticket.cause else None,
                    "late_by_seconds": int(late.total_seconds()) if (late := j.late_by(self.as_of)) else None,
                }
                for j in self.judged
            ],
        }


def judge(ticket: Ticket, policy: SlaPolicy, now: datetime) -> str:
    if ticket.cause is not None and ticket.cause in policy.timeliness.excluded_causes:
        return "excluded"
    verdict = restore_met(ticket, now)
    return "pending" if verdict is None else "met" if verdict else "missed"


def compute(tickets: Iterable[Ticket], policy: SlaPolicy, month: str, tz: tzinfo, now: datetime) -> KpiReport:
    """The month's timeliness from the tickets given (those outside the month are ignored)."""
    start, end = month_bounds(month, tz)
    report = KpiReport(
        month=month.strip(),
        timezone=str(tz),
        start=start,
        end=end,
        as_of=now,
        target_percent=policy.timeliness.target_percent,
        excluded_causes=[c.value for c in policy.timeliness.excluded_causes],
        counted_kinds=[k.value for k in policy.timeliness.counted_kinds],
    )
    kinds = set(policy.timeliness.counted_kinds)
    tier_order = sorted(CustomerTier, key=policy.tier_rank)
    level_order = sorted(MaintenanceLevel, key=lambda m: policy.maintenance_levels[m].rank)
    report.by_tier = {t.value: Tally() for t in tier_order}
    report.by_level = {m.value: Tally() for m in level_order}
    picked = sorted(
        (t for t in tickets if start <= t.restore_due_at < end and t.kind in kinds),
        key=lambda t: (t.restore_due_at, t.id),
    )
    teams: dict[str, Tally] = {}
    for t in picked:
        verdict = judge(t, policy, now)
        report.judged.append(Judged(t, verdict))
        if verdict == "excluded":
            assert t.cause is not None
            report.excluded_by_cause[t.cause.value] = report.excluded_by_cause.get(t.cause.value, 0) + 1
        for tally in (
            report.overall,
            teams.setdefault(t.team or NO_TEAM, Tally()),
            report.by_tier[t.tier.value],
            report.by_level[t.maintenance_level.value],
        ):
            setattr(tally, verdict, getattr(tally, verdict) + 1)
    report.by_team = dict(sorted(teams.items()))
    report.by_tier = {k: v for k, v in report.by_tier.items() if v.counted or v.pending or v.excluded}
    report.by_level = {k: v for k, v in report.by_level.items() if v.counted or v.pending or v.excluded}
    report.excluded_by_cause = dict(sorted(report.excluded_by_cause.items()))
    return report


def monthly(store: TicketStore, policy: SlaPolicy, month: str, tz: tzinfo, now: datetime) -> KpiReport:
    start, end = month_bounds(month, tz)
    tickets = store.find(TicketQuery(due_from=start, due_before=end))
    return compute(tickets, policy, month, tz, now)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.2f}%"


def render_text(r: KpiReport) -> str:
    rate = r.overall.rate()
    verdict = {True: "meets the target", False: "BELOW TARGET", None: "nothing decided yet"}[r.meets_target()]
    lines = [
        f"timeliness {r.month} ({r.timezone}: {iso(r.start)} .. {iso(r.end)}), tickets whose restore limit"
        f" falls due in the month, as of {iso(r.as_of)}",
        f"  restored within limit: {r.overall.met}/{r.overall.counted} = {_pct(rate)}"
        f"  (target {r.target_percent:g}%: {verdict})",
        f"  pending (limit not reached): {r.overall.pending}; excluded: {r.overall.excluded}"
        + (" (" + ", ".join(f"{k} {v}" for k, v in r.excluded_by_cause.items()) + ")" if r.excluded_by_cause else "")
        + f"; causes excluded by policy: {', '.join(r.excluded_causes) or 'none'}",
    ]

    def table(title: str, rows: dict[str, Tally]) -> None:
        lines.append(f"{title}:")
        if not rows:
            lines.append("  (none)")
        for key, tally in rows.items():
            rt = tally.rate()
            flag = "" if rt is None or rt >= r.target_percent else "  below target"
            lines.append(
                f"  {key:<20} {tally.met:>4}/{tally.counted:<4} {_pct(rt):>8}"
                f"  pending {tally.pending}  excluded {tally.excluded}{flag}"
            )

    table("by team", r.by_team)
    table("by tier", r.by_tier)
    table("by maintenance level", r.by_level)
    missed = r.missed()
    lines.append(f"missed ({len(missed)}):")
    for j in missed:
        t = j.ticket
        late = j.late_by(r.as_of)
        mins = int(late.total_seconds() // 60) if late is not None else 0
        state = f"restored {iso(t.restored_at)}" if t.restored_at else f"NOT RESTORED ({t.state.value})"
        lines.append(
            f"  {t.id}  {t.circuit_id} {t.customer_id} ({t.tier.value}, {t.maintenance_level.value})"
            f"  team {t.team or '-'}  due {iso(t.restore_due_at)}  {state}  late {mins} min"
        )
    return "\n".join(lines) + "\n"
