"""``linewatch availability``: circuit availability per circuit, customer or maintenance level."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from correlator.availability.model import AvailabilityReport, CircuitAvailability, GroupAvailability
from correlator.availability.period import Period, PeriodError, month_period, operator_tz, parse_when, period_of
from correlator.cli.common import EXIT_CONFIG, config_option, echo_json, fail, json_option, load_or_exit, store_option
from correlator.clock import Clock, ManualClock, SystemClock
from correlator.configfile.loader import LoadedConfig

CIRCUIT_COLUMNS = (
    "circuit",
    "customer",
    "customer_name",
    "tier",
    "maintenance_level",
    "service_level",
    "period_minutes",
    "outage_minutes",
    "excluded_minutes",
    "outages",
    "mttr_minutes",
    "availability_percent",
    "target_percent",
    "met",
    "ongoing",
)
GROUP_COLUMNS = (
    "key",
    "label",
    "circuits",
    "period_minutes",
    "outage_minutes",
    "excluded_minutes",
    "outages",
    "mttr_minutes",
    "availability_percent",
    "target_percent",
    "circuits_below_target",
    "met",
)


def resolve_period(cfg: LoadedConfig, start: str | None, end: str | None, month: str | None) -> Period:
    """``--month`` or ``--from``/``--to`` in the config's timezone; exits with a usage error otherwise."""
    try:
        tz = operator_tz(cfg.daemon.timezone)
        if month is not None:
            if start is not None or end is not None:
                raise click.UsageError("give --month or --from/--to, not both")
            return month_period(month, tz)
        if start is None or end is None:
            raise click.UsageError("give the period: --from DATE --to DATE (e.g. 2026-12-01 2026-12-31) or --month")
        return period_of(start, end, tz)
    except PeriodError as exc:
        fail(str(exc), code=EXIT_CONFIG)


def resolve_clock(cfg: LoadedConfig, as_of: str | None) -> Clock:
    if as_of is None:
        return SystemClock()
    try:
        return ManualClock(parse_when(as_of, operator_tz(cfg.daemon.timezone)))
    except PeriodError as exc:
        fail(str(exc), code=EXIT_CONFIG)


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value


def to_csv(report: AvailabilityReport, by: str) -> str:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    if by == "circuit":
        out.writerow(CIRCUIT_COLUMNS)
        for c in report.circuits:
            row = c.as_dict()
            out.writerow([_cell(row[k]) for k in CIRCUIT_COLUMNS])
    else:
        out.writerow(GROUP_COLUMNS)
        for g in report.by_customer if by == "customer" else report.by_level:
            row = g.as_dict()
            out.writerow([_cell(row[k]) for k in GROUP_COLUMNS])
    return buf.getvalue()


def _pct(v: float) -> str:
    return f"{v:.4f}%"


def _mttr(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"


def _local(report: AvailabilityReport, t: datetime) -> str:
    return report.period.local(t).strftime("%Y-%m-%d %H:%M")


def _circuit_line(c: CircuitAvailability) -> str:
    flag = "" if c.met else "  BELOW TARGET"
    flag += "  (still down)" if c.ongoing else ""
    return (
        f"  {c.circuit:<12} {c.customer:<14} {c.maintenance_level:<8} {c.outage_seconds / 60:>10.1f}"
        f" {c.excluded_seconds / 60:>9.1f} {c.outages:>7} {_mttr(c.mttr_seconds):>7} {_pct(c.availability_percent):>10}"
        f" {c.target_percent:>7g}%{flag}"
    )


def _group_line(g: GroupAvailability) -> str:
    target = f"{g.target_percent:g}%" if g.target_percent is not None else "per circuit"
    flag = "" if g.met else f"  BELOW TARGET ({len(g.below_target)}: {', '.join(g.below_target[:6])})"
    return (
        f"  {g.key:<14} {g.circuits:>8} {g.outage_seconds / 60:>10.1f} {g.excluded_seconds / 60:>9.1f}"
        f" {g.outages:>7} {_mttr(g.mttr_seconds):>7} {_pct(g.availability_percent):>10} {target:>11}{flag}"
    )


def render_text(report: AvailabilityReport, by: str) -> str:
    p = report.period
    lines = [f"availability {p.label}: {p.describe()}"]
    if report.measured_until < p.end:
        lines.append(f"  measured until {_local(report, report.measured_until)} (the period has not ended)")
    ex = report.exclusions
    parts = []
    if ex["planned_work"]:
        parts.append("announced planned work")
    if ex["excluded_causes"]:
        parts.append("causes " + ", ".join(ex["excluded_causes"]))
    lines.append("  excluded: " + (", ".join(parts) if parts else "nothing"))
    lines.append("")
    if by == "circuit":
        rows = report.circuits
        lines.append(
            f"  {'circuit':<12} {'customer':<14} {'level':<8} {'outage min':>10} {'excl min':>9} {'outages':>7}"
            f" {'MTTR':>7} {'avail':>10} {'target':>8}"
        )
        lines += [_circuit_line(c) for c in rows] or ["  (no circuit)"]
    else:
        groups = report.by_customer if by == "customer" else report.by_level
        rows_g = groups
        lines.append(
            f"  {by:<14} {'circuits':>8} {'outage min':>10} {'excl min':>9} {'outages':>7} {'MTTR':>7}"
            f" {'avail':>10} {'target':>11}"
        )
        lines += [_group_line(g) for g in rows_g] or ["  (none)"]
    t = report.total
    lines.append("")
    lines.append(
        f"total: {t.circuits} circuits, {t.outage_seconds / 60:.1f} outage minutes in {t.outages} outages"
        f" (MTTR {_mttr(t.mttr_seconds)} min), {t.excluded_seconds / 60:.1f} minutes excluded,"
        f" availability {_pct(t.availability_percent)}, {len(t.below_target)} circuits below target"
    )
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


@click.command("availability")
@config_option
@click.option("--from", "start", metavar="DATE", help="first day (or time) of the period, in the config's timezone")
@click.option("--to", "end", metavar="DATE", help="last day of the period (included), or an end time (excluded)")
@click.option("--month", metavar="YYYY-MM", help="a calendar month in the config's timezone (instead of --from/--to)")
@click.option("--customer", metavar="ID", help="only this customer's circuits")
@click.option("--circuit", "circuits", multiple=True, metavar="ID", help="only this circuit (repeatable)")
@click.option(
    "--by",
    type=click.Choice(["circuit", "customer", "level"]),
    default="circuit",
    show_default=True,
    help="one row per circuit, per customer, or per maintenance level",
)
@click.option("--below-target", "only_below", is_flag=True, help="only rows below their availability target")
@click.option("--as-of", metavar="TIME", help="measure as if it were TIME (default: now); open outages end there")
@store_option
@json_option
@click.option(
    "--csv", "as_csv", is_flag=True, help="print CSV (the --by rows); --json prints every view with outage spans"
)
def availability(
    config_path: Path,
    start: str | None,
    end: str | None,
    month: str | None,
    customer: str | None,
    circuits: tuple[str, ...],
    by: str,
    only_below: bool,
    as_of: str | None,
    store_url: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Circuit availability over a period: outage minutes (earliest of detection and customer report
    to restoration, a protected circuit only while no path is up), outage count and mean time to
    restore, against the maintenance level's target.

    Announced planned work over the fault's root and the ticket causes listed in config/sla.yaml
    (availability: excluded_causes) are not counted.
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv are exclusive: choose one")
    from correlator.availability.compute import AvailabilityError, compute_availability
    from correlator.diversity.expand import NetworkIndex
    from correlator.planned.store import load_calendar
    from correlator.store import db as store_db
    from correlator.store.errors import StoreError

    cfg = load_or_exit(config_path)
    period = resolve_period(cfg, start, end, month)
    clock = resolve_clock(cfg, as_of)
    engine = store_db.make_engine(cfg.store_url(store_url))
    try:
        store_db.check_ready(engine)
        calendar = load_calendar(engine, NetworkIndex(cfg.inventory, cfg.policy))
        report = compute_availability(
            engine,
            period,
            cfg.policy,
            clock,
            calendar=calendar,
            customer=customer,
            circuits=circuits or None,
            detail=as_json,
        )
    except (StoreError, AvailabilityError) as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    if only_below:
        report.circuits = [c for c in report.circuits if not c.met]
        report.by_customer = [g for g in report.by_customer if not g.met]
        report.by_level = [g for g in report.by_level if not g.met]
    if as_csv:
        click.echo(to_csv(report, by), nl=False)
    elif as_json:
        echo_json(report.as_dict("all"))
    else:
        click.echo(render_text(report, by), nl=False)
