"""``linewatch report incident|customer``: the reports the centre owes, as Markdown, HTML or PDF."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from correlator.availability.period import PeriodError, month_period, parse_when
from correlator.cli.common import EXIT_CONFIG, config_option, fail, load_or_exit, store_option
from correlator.cli.common import operator_timezone as _tz
from correlator.clock import SystemClock
from correlator.configfile.loader import LoadedConfig
from correlator.diversity.expand import NetworkIndex

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "pdf", "json"]),
    default="md",
    show_default=True,
    help="Markdown, HTML, PDF (needs WeasyPrint and -o) or JSON",
)
output_option = click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="write to this file (a folder with --important)"
)
as_of_option = click.option("--as-of", metavar="TIME", help="report as if it were TIME (default: now)")


def _now(as_of: str | None, tz: tzinfo) -> datetime:
    if as_of is None:
        return SystemClock().now()
    try:
        return parse_when(as_of, tz)
    except PeriodError as exc:
        fail(str(exc), code=EXIT_CONFIG)


def _engine(cfg: LoadedConfig, store_url: str | None) -> Engine:
    from correlator.store import db as store_db
    from correlator.store.errors import StoreError

    engine = store_db.make_engine(cfg.store_url(store_url))
    try:
        store_db.check_ready(engine)
    except StoreError as exc:
        engine.dispose()
        fail(str(exc))
    return engine


def _emit(template: str, fmt: str, tz: tzinfo, output: Path | None, data: Any, payload: dict[str, Any]) -> None:
    from correlator.reports.render import RenderError, render, render_pdf

    if fmt == "pdf":
        if output is None:
            raise click.UsageError("--format pdf writes a file: give -o FILE.pdf")
        try:
            output.write_bytes(render_pdf(template, tz, **payload))
        except RenderError as exc:
            fail(str(exc))
        click.echo(f"wrote {output}", err=True)
        return
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n" if fmt == "json" else None
    if text is None:
        text = render(template, fmt, tz, **payload)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@click.group()
def report() -> None:
    """Reports the centre owes: a fault analysis per incident, a monthly operation report per
    important customer."""


@report.command("incident")
@click.argument("incident_id", metavar="ID")
@config_option
@format_option
@output_option
@as_of_option
@store_option
def incident_cmd(
    incident_id: str,
    config_path: Path,
    fmt: str,
    output: Path | None,
    as_of: str | None,
    store_url: str | None,
) -> None:
    """The fault analysis report of incident ID: timeline, root cause and evidence, symptoms,
    impacted circuits and customers, tickets and their SLA clocks, planned work, cause, duration."""
    from correlator.planned.store import load_calendar
    from correlator.reports.incident import ReportError, as_json, incident_report

    cfg = load_or_exit(config_path)
    tz = _tz(cfg)
    now = _now(as_of, tz)
    index = NetworkIndex(cfg.inventory, cfg.policy)
    engine = _engine(cfg, store_url)
    try:
        rep = incident_report(engine, index, incident_id, tz, now, load_calendar(engine, index))
    except ReportError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    _emit("incident", fmt, tz, output, as_json(rep) if fmt == "json" else None, {"r": rep})


@report.command("customer")
@click.argument("customer_id", metavar="[ID]", required=False)
@click.option("--month", required=True, metavar="YYYY-MM", help="the month, in the config's timezone")
@click.option("--important", "all_important", is_flag=True, help="every important customer, one file each in -o DIR")
@config_option
@format_option
@output_option
@as_of_option
@store_option
def customer_cmd(
    customer_id: str | None,
    month: str,
    all_important: bool,
    config_path: Path,
    fmt: str,
    output: Path | None,
    as_of: str | None,
    store_url: str | None,
) -> None:
    """The monthly network operation report of customer ID: circuits, outages and durations,
    availability against target, single-route periods, tickets and timeliness, diversity risks,
    planned work."""
    from correlator.availability.compute import AvailabilityError
    from correlator.domain import ImportantClass
    from correlator.planned.store import load_calendar
    from correlator.reports.customer import as_json, customer_report
    from correlator.reports.incident import ReportError

    if all_important == (customer_id is not None):
        raise click.UsageError("give a customer ID, or --important for every important customer")
    cfg = load_or_exit(config_path)
    tz = _tz(cfg)
    now = _now(as_of, tz)
    try:
        period = month_period(month, tz)
    except PeriodError as exc:
        fail(str(exc), code=EXIT_CONFIG)
    if all_important:
        if output is None:
            raise click.UsageError("--important writes one file per customer: give -o DIR")
        output.mkdir(parents=True, exist_ok=True)
        ids = [c.id for c in cfg.inventory.customers if c.important_class is not ImportantClass.none]
    else:
        assert customer_id is not None
        ids = [customer_id]
    index = NetworkIndex(cfg.inventory, cfg.policy)
    grades = {k.value: v.network_grade.value for k, v in cfg.policy.maintenance_levels.items()}
    engine = _engine(cfg, store_url)
    try:
        calendar = load_calendar(engine, index)
        for cid in ids:
            try:
                rep = customer_report(engine, index, cid, period, now, calendar)
            except (ReportError, AvailabilityError) as exc:
                fail(str(exc))
            target = output / f"{cid}-{month}.{fmt}" if all_important and output is not None else output
            _emit("customer", fmt, tz, target, as_json(rep) if fmt == "json" else None, {"r": rep, "grades": grades})
    finally:
        engine.dispose()
