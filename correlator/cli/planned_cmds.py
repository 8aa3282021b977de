"""``linewatch planned list|check|add|update|cancel``: planned-work windows (割接) and their rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Engine

from correlator.availability.period import PeriodError, parse_when, tz_name
from correlator.cli.common import EXIT_CONFIG, config_option, echo_json, fail, json_option, load_or_exit, store_option
from correlator.cli.common import actor_name as _actor
from correlator.cli.common import operator_timezone as _tz
from correlator.cli.common import ready_engine as _engine
from correlator.clock import SystemClock
from correlator.configfile.loader import LoadedConfig
from correlator.diversity.expand import NetworkIndex
from correlator.domain import PlannedWorkKind, PlannedWorkSource
from correlator.planned.calendar import PlannedCalendar
from correlator.planned.checks import WindowCheck, check_windows
from correlator.planned.model import PlannedWindow
from correlator.planned.service import (
    PlannedWorkError,
    PlannedWorkService,
    WindowChanges,
    WindowSpec,
    parse_request,
)
from correlator.planned.store import load_calendar

inventory_only_option = click.option(
    "--inventory-only",
    is_flag=True,
    help="the windows of CFG's inventory files only (no store needed; runtime windows are left out)",
)
by_option = click.option("--by", "actor", metavar="NAME", help="who makes the change (default: cli:<login name>)")
revision_option = click.option(
    "--revision", type=int, metavar="N", help="refuse if the window is no longer at revision N (changed meanwhile)"
)


def _when(text: str | None, tz: tzinfo, *, end_of_day: bool = False) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_when(text, tz, end_of_day=end_of_day)
    except PeriodError as exc:
        fail(str(exc), code=EXIT_CONFIG)


def _calendar(cfg: LoadedConfig, store_url: str | None, inventory_only: bool) -> PlannedCalendar:
    index = NetworkIndex(cfg.inventory, cfg.policy)
    if inventory_only:
        return PlannedCalendar([PlannedWindow.from_inventory(w) for w in cfg.inventory.planned_work], index)
    with _engine(cfg, store_url) as engine:
        return load_calendar(engine, index)


# -- text ----------------------------------------------------------------------------------------


def _t(t: datetime, tz: tzinfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _window_line(w: PlannedWindow, tz: tzinfo, now: datetime) -> str:
    approved = "approved" if w.approved else "NOT approved"
    return (
        f"{w.id:<18} {w.phase(now):<9} {_t(w.start, tz)} .. {_t(w.end, tz)}"
        f"  {w.duration.total_seconds() / 3600:5.1f} h  notice {w.notice.total_seconds() / 3600:6.1f} h"
        f"  {approved:<12} {w.source.value:<9} {w.title}"
    )


def _check_lines(chk: WindowCheck, tz: tzinfo, now: datetime) -> list[str]:
    w = chk.window
    status = "cancelled (not checked)" if not chk.checked else ("ok" if chk.ok else f"{len(chk.findings)} warning(s)")
    lines = [f"{w.id}  {status}  {w.title}"]
    lines.append(
        f"  {w.kind.value}, {_t(w.start, tz)} .. {_t(w.end, tz)} ({tz_name(tz)}), announced {_t(w.announced_at, tz)}"
        f" ({w.notice.total_seconds() / 3600:.1f} h ahead), "
        + (f"approved by {w.approved_by}" if w.approved else "not approved")
    )
    lines.append(f"  resources: {', '.join(w.resources)}")
    if w.cancelled_at is not None:
        lines.append(f"  cancelled {_t(w.cancelled_at, tz)} by {w.cancelled_by or '-'}: {w.cancel_reason or ''}")
    for title, rows in (("lose service", chk.impact.lose_service), ("lose protection", chk.impact.lose_protection)):
        names = ", ".join(f"{i.circuit} ({i.customer}, {i.maintenance_level})" for i in rows)
        lines.append(f"  {title}: {names or 'none'}")
    for f in chk.findings:
        lines.append(f"  WARNING {f.rule.value}: {f.message}")
    return lines


def _window_json(w: PlannedWindow) -> dict[str, Any]:
    def iso(t: datetime | None) -> str | None:
        return None if t is None else t.isoformat()

    return {
        "id": w.id,
        "title": w.title,
        "kind": w.kind.value,
        "source": w.source.value,
        "state": w.state,
        "resources": list(w.resources),
        "start": iso(w.start),
        "end": iso(w.end),
        "announced_at": iso(w.announced_at),
        "approved": w.approved,
        "approved_by": w.approved_by,
        "route": w.route,
        "steps": list(w.steps),
        "rollback": w.rollback,
        "revision": w.revision,
        "created_at": iso(w.created_at),
        "created_by": w.created_by,
        "updated_at": iso(w.updated_at),
        "updated_by": w.updated_by,
        "cancelled_at": iso(w.cancelled_at),
        "cancelled_by": w.cancelled_by,
        "cancel_reason": w.cancel_reason,
    }


# -- commands ------------------------------------------------------------------------------------


@click.group()
def planned() -> None:
    """Planned work (割接, line repair, moves, upgrades): windows, notice and approval rules."""


@planned.command("list")
@config_option
@click.option("--from", "start", metavar="DATE", help="windows ending after this day (or time)")
@click.option("--to", "end", metavar="DATE", help="windows starting up to this day (included)")
@click.option("--source", type=click.Choice([s.value for s in PlannedWorkSource]), help="only one source")
@click.option("--no-cancelled", is_flag=True, help="leave cancelled windows out")
@inventory_only_option
@store_option
@json_option
def list_cmd(
    config_path: Path,
    start: str | None,
    end: str | None,
    source: str | None,
    no_cancelled: bool,
    inventory_only: bool,
    store_url: str | None,
    as_json: bool,
) -> None:
    """List planned-work windows, by start (times in the config's timezone)."""
    cfg = load_or_exit(config_path)
    tz = _tz(cfg)
    since, until = _when(start, tz), _when(end, tz, end_of_day=True)
    calendar = _calendar(cfg, store_url, inventory_only)
    checks = {c.window.id: c for c in check_windows(calendar, cfg.policy)}
    windows = [
        w
        for w in calendar.windows.values()
        if (since is None or w.end > since)
        and (until is None or w.start < until)
        and (source is None or w.source.value == source)
        and not (no_cancelled and w.cancelled)
    ]
    now = SystemClock().now()
    if as_json:
        echo_json(
            {
                "timezone": tz_name(tz),
                "windows": [
                    _window_json(w) | {"phase": w.phase(now), "warnings": [f.rule.value for f in checks[w.id].findings]}
                    for w in windows
                ],
            }
        )
        return
    click.echo(f"{len(windows)} planned-work window{'' if len(windows) == 1 else 's'} (times {tz_name(tz)})")
    for w in windows:
        warn = checks[w.id].findings
        click.echo(_window_line(w, tz, now) + (f"  [{', '.join(f.rule.value for f in warn)}]" if warn else ""))


@planned.command("check")
@config_option
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--strict", is_flag=True, help="exit with status 1 when any window breaks a rule")
@inventory_only_option
@store_option
@json_option
def check_cmd(
    config_path: Path, ids: tuple[str, ...], strict: bool, inventory_only: bool, store_url: str | None, as_json: bool
) -> None:
    """Check windows against the notice and approval rules of config/sla.yaml (planned_work:).

    For each window: the circuits that lose service or protection, the customers touched, and
    the rules it breaks (notice too short, approval missing, combined outage with an overlapping
    window, unknown resource).
    """
    cfg = load_or_exit(config_path)
    tz = _tz(cfg)
    calendar = _calendar(cfg, store_url, inventory_only)
    unknown = [i for i in ids if i not in calendar.windows]
    if unknown:
        fail(f"no planned work {', '.join(unknown)}", "`linewatch planned list` shows them", code=EXIT_CONFIG)
    chosen = [calendar.windows[i] for i in ids] if ids else None
    checks = check_windows(calendar, cfg.policy, chosen)
    now = SystemClock().now()
    broken = [c for c in checks if not c.ok]
    if as_json:
        echo_json(
            {
                "timezone": tz_name(tz),
                "thresholds": cfg.policy.planned_work.model_dump(),
                "windows": [c.as_dict() for c in checks],
                "windows_with_warnings": len(broken),
            }
        )
    else:
        for n, chk in enumerate(checks):
            if n:
                click.echo("")
            for line in _check_lines(chk, tz, now):
                click.echo(line)
        click.echo("")
        click.echo(f"{len(checks)} window(s) checked, {len(broken)} with warnings")
    if strict and broken:
        raise SystemExit(1)


def _service(cfg: LoadedConfig, engine: Engine) -> PlannedWorkService:
    return PlannedWorkService(engine, NetworkIndex(cfg.inventory, cfg.policy), SystemClock(), _tz(cfg))


def _echo_result(cfg: LoadedConfig, engine: Engine, w: PlannedWindow, verb: str, as_json: bool) -> None:
    tz = _tz(cfg)
    calendar = load_calendar(engine, NetworkIndex(cfg.inventory, cfg.policy))
    chk = check_windows(calendar, cfg.policy, [calendar.windows[w.id]])[0]
    if as_json:
        echo_json(_window_json(w) | {"check": chk.as_dict()})
        return
    click.echo(f"{verb} {w.id} (revision {w.revision})")
    for line in _check_lines(chk, tz, SystemClock().now()):
        click.echo(line)


def _fields(
    tz: tzinfo,
    title: str | None,
    kind: str | None,
    resources: tuple[str, ...],
    start: str | None,
    end: str | None,
    announced_at: str | None,
    approved_by: str | None,
    route: str | None,
    steps: tuple[str, ...],
    rollback: str | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in (("title", title), ("kind", kind), ("route", route), ("rollback", rollback)):
        if value is not None:
            data[name] = value
    if resources:
        data["resources"] = list(resources)
    if steps:
        data["steps"] = list(steps)
    for name, text in (("start", start), ("end", end), ("announced_at", announced_at)):
        if text is not None:
            data[name] = _when(text, tz)
    if approved_by is not None:
        data["approved"] = True
        data["approved_by"] = approved_by
    return data


F = TypeVar("F", bound=Callable[..., Any])


def _window_options(required: bool) -> Callable[[F], F]:
    def deco(f: F) -> F:
        opts = [
            click.option("--title", required=required, help="what is done, where"),
            click.option("--kind", type=click.Choice([k.value for k in PlannedWorkKind]), required=required),
            click.option(
                "--resource",
                "resources",
                multiple=True,
                required=required,
                metavar="KIND:ID",
                help="duct:ID, cable:ID, site:ID, device:ID, board:DEVICE:SLOT, port:DEVICE:PORT, link:ID (repeatable;"
                " on update: the new full list)",
            ),
            click.option("--start", required=required, metavar="TIME", help="e.g. 2026-12-08T00:30 (config timezone)"),
            click.option("--end", required=required, metavar="TIME"),
            click.option("--announced-at", metavar="TIME", help="when it was announced (default: now)"),
            click.option("--approved-by", metavar="NAME", help="approve it: who approved (change ticket)"),
            click.option("--route", help="the cutover route (current and new)"),
            click.option("--step", "steps", multiple=True, help="a step of the plan (repeatable, in order)"),
            click.option("--rollback", help="the roll-back plan"),
        ]
        for opt in reversed(opts):
            f = opt(f)
        return f

    return deco


@planned.command("add")
@config_option
@click.option("--id", "window_id", metavar="ID", help="the window's id (default: PWR-<start date>-<n>)")
@_window_options(required=True)
@by_option
@store_option
@json_option
def add_cmd(
    config_path: Path,
    window_id: str | None,
    title: str,
    kind: str,
    resources: tuple[str, ...],
    start: str,
    end: str,
    announced_at: str | None,
    approved_by: str | None,
    route: str | None,
    steps: tuple[str, ...],
    rollback: str | None,
    actor: str | None,
    store_url: str | None,
    as_json: bool,
) -> None:
    """Create a runtime planned-work window in the store and check it against the rules."""
    cfg = load_or_exit(config_path)
    data = _fields(_tz(cfg), title, kind, resources, start, end, announced_at, approved_by, route, steps, rollback)
    if window_id is not None:
        data["id"] = window_id
    with _engine(cfg, store_url) as engine:
        try:
            spec = parse_request(WindowSpec, data)
            window = _service(cfg, engine).create(spec, _actor(actor))
        except PlannedWorkError as exc:
            fail(str(exc))
        _echo_result(cfg, engine, window, "created", as_json)


@planned.command("update")
@config_option
@click.argument("window_id", metavar="ID")
@_window_options(required=False)
@click.option("--unapprove", is_flag=True, help="withdraw the approval")
@revision_option
@by_option
@store_option
@json_option
def update_cmd(
    config_path: Path,
    window_id: str,
    title: str | None,
    kind: str | None,
    resources: tuple[str, ...],
    start: str | None,
    end: str | None,
    announced_at: str | None,
    approved_by: str | None,
    route: str | None,
    steps: tuple[str, ...],
    rollback: str | None,
    unapprove: bool,
    revision: int | None,
    actor: str | None,
    store_url: str | None,
    as_json: bool,
) -> None:
    """Change a runtime window (a change of times or resources withdraws its approval unless
    --approved-by approves it again)."""
    if unapprove and approved_by is not None:
        raise click.UsageError("--unapprove and --approved-by are exclusive: choose one")
    cfg = load_or_exit(config_path)
    data = _fields(_tz(cfg), title, kind, resources, start, end, announced_at, approved_by, route, steps, rollback)
    if unapprove:
        data["approved"] = False
    if not data:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    with _engine(cfg, store_url) as engine:
        try:
            changes = parse_request(WindowChanges, data)
            window = _service(cfg, engine).update(window_id, changes, _actor(actor), revision)
        except PlannedWorkError as exc:
            fail(str(exc))
        _echo_result(cfg, engine, window, "updated", as_json)


@planned.command("cancel")
@config_option
@click.argument("window_id", metavar="ID")
@click.option("--reason", required=True, help="why it is cancelled")
@revision_option
@by_option
@store_option
@json_option
def cancel_cmd(
    config_path: Path,
    window_id: str,
    reason: str,
    revision: int | None,
    actor: str | None,
    store_url: str | None,
    as_json: bool,
) -> None:
    """Cancel a runtime window (one that is running ends now); it stays in the record."""
    cfg = load_or_exit(config_path)
    with _engine(cfg, store_url) as engine:
        try:
            window = _service(cfg, engine).cancel(window_id, _actor(actor), reason, revision)
        except PlannedWorkError as exc:
            fail(str(exc))
        _echo_result(cfg, engine, window, "cancelled", as_json)
