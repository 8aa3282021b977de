"""``linewatch lab start|stop|status|break|heal|demo``: the embedded demo network on simulators.

The lab is the inventory of ``config/lab`` (``--config`` names another daemon config) answered by
simulators on the elements' own 127.x management addresses (:mod:`agent.sim.lab`).
``break --cut duct:D-013`` makes the simulators show what that fibre cut does to the network (ports
without light, AIS downstream, pseudowires down, elements unreachable); ``break --heal`` (or
``heal``) repairs it. ``demo`` is what ``make run`` runs: the lab plus ``linewatch run``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from correlator.cli.common import echo_json, fail, fail_config, json_option, load_or_exit

DEFAULT_LAB = Path("config/lab/linewatch.yaml")

lab_config_option = click.option(
    "--config",
    "config_path",
    default=DEFAULT_LAB,
    show_default=True,
    metavar="CFG",
    type=click.Path(path_type=Path),
    help="the lab's daemon config (inventory, credentials)",
)
state_dir_option = click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="where the lab keeps its state and simulator data [default: <config dir>/state/lab]",
)


def _lab(config_path: Path, state_dir: Path | None) -> Any:
    from agent.sim.lab import Lab, LabError
    from agent.sim.labnet import LabNetworkError
    from correlator.configfile.errors import ConfigError

    cfg = load_or_exit(config_path)
    try:
        return Lab(cfg, state_dir)
    except ConfigError as err:
        fail_config(err)
    except (LabError, LabNetworkError) as exc:
        fail(str(exc))


@click.group("lab")
def lab() -> None:
    """The demo network on simulators: start it, break a duct, watch linewatch find it."""


@lab.command("start")
@lab_config_option
@state_dir_option
@json_option
def start(config_path: Path, state_dir: Path | None, as_json: bool) -> None:
    """Start the simulators in the background; returns when every element answers SNMP."""
    from agent.sim.lab import LabError

    lab_ = _lab(config_path, state_dir)
    try:
        info = lab_.start()
    except LabError as exc:
        fail(str(exc))
    if as_json:
        echo_json(info)
        return
    click.echo(
        f"lab running (pid {info['pid']}): {len(info['elements'])} elements answer SNMP on their 127.x addresses"
        + (", CLI over SSH/telnet" if info.get("ssh_pid") else "")
    )
    cuts = lab_.state().cuts
    click.echo(f"cut now: {', '.join(cuts) if cuts else 'nothing'}; logs and data in {lab_.state_dir}")


@lab.command("stop")
@lab_config_option
@state_dir_option
def stop(config_path: Path, state_dir: Path | None) -> None:
    """Stop the simulators (the cuts stay recorded for the next start)."""
    lab_ = _lab(config_path, state_dir)
    click.echo("lab stopped" if lab_.stop() else "the lab was not running")


@lab.command("status")
@lab_config_option
@state_dir_option
@json_option
def status(config_path: Path, state_dir: Path | None, as_json: bool) -> None:
    """Running or not, what is cut, which elements are silent."""
    lab_ = _lab(config_path, state_dir)
    info = lab_.supervisor()
    faults = lab_.faults()
    if as_json:
        echo_json({"running": info is not None, "supervisor": info, **faults.as_dict()})
        return
    if info is None:
        click.echo("lab: not running (linewatch lab start)")
    else:
        click.echo(f"lab: running since {info['started_at']} (pid {info['pid']}), {len(info['elements'])} elements")
    _print_faults(lab_, faults)


def _print_faults(lab_: Any, faults: Any) -> None:
    from agent.sim.faults import describe_cut

    if not faults.cuts:
        click.echo("nothing is cut: the network is healthy")
        return
    for key in faults.cuts:
        click.echo(f"cut: {describe_cut(lab_.index, key)}")
    click.echo(f"  links down ({len(faults.links_down)}): {', '.join(sorted(faults.links_down)) or '-'}")
    if faults.devices_down:
        click.echo(f"  elements off: {', '.join(sorted(faults.devices_down))}")
    if faults.boards_down:
        click.echo(f"  boards failed: {', '.join(sorted(faults.boards_down))}")
    if faults.unreachable:
        click.echo(f"  elements silent (unreachable): {', '.join(sorted(faults.unreachable))}")


def _print_report(lab_: Any, report: Any, as_json: bool) -> None:
    if as_json:
        echo_json(report.as_dict())
        return
    _print_faults(lab_, report.faults)
    impact = report.impact
    for label, items in (("lose service", impact.lose_service), ("lose protection", impact.lose_protection)):
        if items:
            click.echo(f"  circuits that {label}: " + ", ".join(f"{i.circuit} ({i.customer}, {i.tier})" for i in items))
    running = lab_.supervisor() is not None
    click.echo(
        f"{len(report.rewritten)} elements now answer differently"
        + ("" if running else " (the lab is not running: linewatch lab start)")
    )


@lab.command("break")
@lab_config_option
@state_dir_option
@click.option(
    "--cut",
    "cuts",
    multiple=True,
    metavar="KIND:ID",
    help="what to cut: duct:ID, cable:ID, link:ID, device:ID (power off), site:ID, board:DEV:SLOT, port:DEV:PORT",
)
@click.option(
    "--heal",
    "heal",
    is_flag=False,
    flag_value="*",
    default=None,
    metavar="[KIND:ID]",
    help="repair one cut, or every cut when given no value",
)
@json_option
def break_cmd(
    config_path: Path, state_dir: Path | None, cuts: tuple[str, ...], heal: str | None, as_json: bool
) -> None:
    """Cut something in the lab network (the simulators show it at once), or heal it.

    \b
    linewatch lab break --cut duct:D-013      # the hidden shared duct of circuit C-001
    linewatch lab break --heal duct:D-013     # repair it
    linewatch lab break --heal                # repair everything
    """
    if bool(cuts) == (heal is not None):
        fail("give --cut KIND:ID (one or more) or --heal [KIND:ID]", code=2)
    _break_or_heal(config_path, state_dir, list(cuts), heal, as_json)


@lab.command("heal")
@lab_config_option
@state_dir_option
@click.argument("keys", nargs=-1, metavar="[KIND:ID]...")
@json_option
def heal_cmd(config_path: Path, state_dir: Path | None, keys: tuple[str, ...], as_json: bool) -> None:
    """Repair the given cuts, or all of them."""
    _break_or_heal(config_path, state_dir, [], "*" if not keys else None, as_json, heal_keys=list(keys))


def _break_or_heal(
    config_path: Path,
    state_dir: Path | None,
    cuts: list[str],
    heal: str | None,
    as_json: bool,
    heal_keys: list[str] | None = None,
) -> None:
    from agent.sim.lab import LabError
    from correlator.diversity.whatif import CutError

    lab_ = _lab(config_path, state_dir)
    try:
        if cuts:
            report = lab_.cut(cuts)
        elif heal_keys:
            report = lab_.heal(heal_keys)
        else:
            report = lab_.heal(None if heal in (None, "*") else [heal])
    except CutError as exc:
        fail(str(exc), code=2)
    except LabError as exc:
        fail(str(exc))
    _print_report(lab_, report, as_json)


@lab.command("demo")
@lab_config_option
@state_dir_option
@click.option("--json-logs", is_flag=True, help="log JSON lines instead of plain text")
def demo(config_path: Path, state_dir: Path | None, json_logs: bool) -> None:
    """Start the lab (if it is not running), then `linewatch run` on it until Ctrl-C; then stop both.

    This is `make run`. It prints where the page and the metrics are and how to break a duct.
    """
    import logging

    from correlator.cli.service_cmds import catch_early_signals

    early = catch_early_signals()
    from agent.daemon import configure_logging
    from agent.poller import tune_runtime
    from agent.sim.lab import LabError
    from correlator.configfile.errors import ConfigError
    from correlator.service.run import Started, StartupError, install_signal_handlers, serve_all

    lab_ = _lab(config_path, state_dir)
    started_here = lab_.supervisor() is None
    click.echo("starting the lab simulators (37 elements on 127.x addresses) ..." if started_here else "lab running")
    try:
        lab_.start()
    except LabError as exc:
        fail(str(exc))
    cfg = lab_.cfg
    configure_logging(json_logs, logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    tune_runtime()
    cmd = sys.argv[0] if sys.argv and sys.argv[0].endswith("linewatch") else "linewatch"
    flag = "" if config_path == DEFAULT_LAB else f" --config {config_path}"

    def banner(s: Started) -> None:
        base = s.url or cfg.daemon.api.url()
        lines = [
            "",
            "=" * 78,
            "  linewatch is running on the lab network",
            f"    NOC page and API   {base}/",
            f"    metrics            {base}/metrics",
            f"    health             {base}/healthz",
            f"    store              {cfg.store_url()}",
            "  Break something and watch alarms, an incident and tickets appear (and clear):",
            f"    {cmd} lab break{flag} --cut duct:D-013     # hidden shared duct of circuit C-001",
            f"    {cmd} lab break{flag} --cut cable:CB-WES-CEN",
            f"    {cmd} lab break{flag} --cut device:CPE-SMB-01",
            f"    {cmd} lab break{flag} --heal               # repair everything",
            f"  Every element polls every {cfg.daemon.agent.snmp.interval_s:g} s. Ctrl-C stops linewatch and the lab.",
            "=" * 78,
            "",
        ]
        click.echo("\n".join(lines), err=True)

    async def main() -> int:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        if early:
            stop.set()
        return await serve_all(cfg, stop, on_started=banner)

    status = 1
    try:
        status = asyncio.run(main())
    except StartupError as err:
        if err.issues:
            fail_config(ConfigError(err.issues))
        fail(str(err))
    finally:
        if started_here:
            lab_.stop()
            click.echo("lab stopped", err=True)
    sys.exit(status)
