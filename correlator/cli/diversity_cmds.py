"""``linewatch diversity`` (the route and equipment diversity audit) and ``linewatch whatif`` (cuts)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from correlator.cli.common import EXIT_CONFIG, echo_json, fail, json_option, load_or_exit
from correlator.diversity.audit import AuditReport, CircuitAudit, audit
from correlator.diversity.expand import NetworkIndex
from correlator.diversity.findings import Finding, HopRef, Verdict, hops_text
from correlator.diversity.suggest import DuctGraph, Suggestion, suggest
from correlator.diversity.whatif import CutError, Impact, WhatIf, parse_cut, what_if

config_option = click.option(
    "--config",
    "config_opt",
    metavar="CFG",
    type=click.Path(path_type=Path),
    help="the daemon config (linewatch.yaml); may also be given as the argument",
)
config_arg = click.argument("config_pos", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))

CSV_COLUMNS = (
    "circuit",
    "customer",
    "tier",
    "maintenance_level",
    "service_level",
    "verdict",
    "rule",
    "element_kind",
    "element_id",
    "where",
    "working_hops",
    "protection_hops",
    "detail",
)


def _config_path(pos: Path | None, opt: Path | None) -> Path:
    if pos is not None and opt is not None and pos != opt:
        raise click.UsageError(f"two configs given ({pos} and --config {opt}): give one")
    path = opt or pos
    if path is None:
        raise click.UsageError("no config given: use --config CFG (e.g. --config config/lab/linewatch.yaml)")
    return path


# -- diversity ---------------------------------------------------------------------------------


def _hop_cell(hops: tuple[HopRef, ...]) -> str:
    return ";".join(f"{h.index}:{h.link}" for h in hops)


def _csv(report: AuditReport) -> str:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for c in report.circuits:
        head = [c.circuit, c.customer, c.tier, c.maintenance_level, c.service_level, c.verdict.value]
        if not c.findings:
            out.writerow([*head, "", "", "", "", "", "", ""])
        for f in c.findings:
            e = f.element
            out.writerow(
                [*head, f.rule.value, e.kind, e.id, e.where, _hop_cell(f.working), _hop_cell(f.protection), f.detail]
            )
    return buf.getvalue()


def _finding_lines(f: Finding) -> list[str]:
    sides = []
    if f.working:
        sides.append(f"working {hops_text(f.working)}")
    if f.protection:
        sides.append(f"protection {hops_text(f.protection)}")
    head = f"  {f.rule.value:<13} {f.element.kind} {f.element.id}"
    if sides:
        head += "  [" + " | ".join(sides) + "]"
    return [head, f"  {'':<13} {f.detail}"]


def _circuit_lines(c: CircuitAudit) -> list[str]:
    lines = [
        f"{c.circuit}  {c.verdict.value.upper()}  {c.tier} {c.maintenance_level} {c.service_level}  {c.customer}"
        f"  (must be diverse: {', '.join(c.reasons)})"
    ]
    for f in c.findings:
        lines += _finding_lines(f)
    return lines


def _suggestion_lines(s: Suggestion) -> list[str]:
    lines = [f"{s.circuit}  {s.status}" + (f": {s.reason}" if s.reason else "")]
    if s.working is not None:
        lines.append(f"  move working to: {' > '.join(s.working.sites)}  (ducts {', '.join(s.working.ducts)})")
    if s.protection is not None:
        length = f", {s.protection.length_m:.0f} m" if s.protection.length_m is not None else ""
        lines.append(
            f"  protection via: {' > '.join(s.protection.sites)}  (ducts {', '.join(s.protection.ducts)}{length})"
        )
    lines += [f"  note: {n}" for n in s.notes]
    return lines


@click.command("diversity")
@config_arg
@config_option
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="print every finding as CSV (one row per finding)")
@click.option("--suggest", "with_suggest", is_flag=True, help="propose a protection route for each failing circuit")
def diversity(
    config_pos: Path | None, config_opt: Path | None, as_json: bool, as_csv: bool, with_suggest: bool
) -> None:
    """Audit route and equipment diversity of every circuit the SLA policy says must be diverse.

    Verdicts: diverse, violation (a shared cable, duct, intermediate site, element or board, or
    the central room on one device), unverified (a hop without cable or duct data), no_protection.
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv are exclusive: choose one")
    path = _config_path(config_pos, config_opt)
    cfg = load_or_exit(path)
    index = NetworkIndex(cfg.inventory, cfg.policy)
    report = audit(index)
    suggestions: list[Suggestion] = []
    if with_suggest:
        graph = DuctGraph(cfg.inventory)
        suggestions = [
            suggest(index, graph, c.circuit)
            for c in report.circuits
            if c.verdict in (Verdict.violation, Verdict.no_protection)
        ]
    if as_csv:
        click.echo(_csv(report), nl=False)
        return
    if as_json:
        body = {"config": str(path), **report.as_dict()}
        if with_suggest:
            body["suggestions"] = [s.as_dict() for s in suggestions]
        echo_json(body)
        return
    counts = report.counts()
    click.echo(
        f"diversity audit of {path}: {len(report.circuits)} circuits must be diverse "
        f"({report.not_required} not required)"
    )
    click.echo("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for c in report.circuits:
        click.echo("")
        for line in _circuit_lines(c):
            click.echo(line)
    if report.spreading:
        click.echo("")
        n = len(report.spreading)
        click.echo(f"service spreading: {n} route{'' if n == 1 else 's'} over the limit")
        for s in report.spreading:
            click.echo(
                f"  {s.element.kind} {s.element.id} ({s.element.where}): {len(s.circuits)} of {s.customer}'s "
                f"{s.group_size} circuits towards {s.direction} ({s.limit}): {', '.join(s.circuits)}"
            )
    if with_suggest:
        click.echo("")
        click.echo("protection-route suggestions:")
        for sg in suggestions:
            for line in _suggestion_lines(sg):
                click.echo("  " + line)


# -- whatif ------------------------------------------------------------------------------------


def _impact_line(i: Impact) -> str:
    cut = "; ".join(
        f"{p.role.value} " + ", ".join([str(h) for h in p.hops] + [f"end {e}" for e in p.ends]) for p in i.paths
    )
    return f"  {i.circuit:<10} {i.tier:<10} {i.maintenance_level:<8} {i.service_level:<8} {i.customer:<14} {cut}"


def _whatif_text(r: WhatIf) -> list[str]:
    n_s, n_p = len(r.lose_service), len(r.lose_protection)
    lines = [
        f"what if {', '.join(r.cuts)} were cut: {n_s} circuit{'' if n_s == 1 else 's'} "
        f"{'loses' if n_s == 1 else 'lose'} service, {n_p} {'loses' if n_p == 1 else 'lose'} protection"
    ]
    lines += [f"  not cut: {k} (a board whose 1+1 mate stays up)" for k in r.ignored]
    for title, rows in (("lose service", r.lose_service), ("lose protection", r.lose_protection)):
        lines.append(f"{title}:")
        lines += [_impact_line(i) for i in rows] or ["  none"]
    return lines


@click.command("whatif")
@config_arg
@config_option
@click.option(
    "--cut",
    "cuts",
    multiple=True,
    required=True,
    metavar="KIND:ID",
    help="a resource to cut: duct:ID, cable:ID, site:ID, device:ID, board:DEVICE:SLOT, port:DEVICE:PORT or link:ID "
    "(repeatable)",
)
@json_option
def whatif(config_pos: Path | None, config_opt: Path | None, cuts: tuple[str, ...], as_json: bool) -> None:
    """List the circuits that would lose service or protection if the resources were cut, most important first."""
    path = _config_path(config_pos, config_opt)
    cfg = load_or_exit(path)
    index = NetworkIndex(cfg.inventory, cfg.policy)
    try:
        keys = [parse_cut(index, c) for c in cuts]
    except CutError as exc:
        fail(str(exc), code=EXIT_CONFIG)
    result = what_if(index, keys)
    if as_json:
        echo_json({"config": str(path), **result.as_dict()})
        return
    for line in _whatif_text(result):
        click.echo(line)
