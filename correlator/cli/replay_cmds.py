"""``linewatch replay``: a recorded AlarmEvent stream through the correlator, in its own time."""

from __future__ import annotations

from pathlib import Path

import click

from correlator.cli.common import EXIT_CONFIG, echo_json, fail, fail_config, json_option, load_or_exit
from correlator.configfile.errors import ConfigError
from correlator.correlation.replay import ReplayError, read_events, render_text, replay, to_json
from correlator.correlation.rules import DEFAULT_PATH, load_rules


@click.command("replay")
@click.option(
    "--config",
    "config_path",
    required=True,
    metavar="CFG",
    type=click.Path(path_type=Path),
    help="the daemon config (linewatch.yaml): inventory and SLA policy",
)
@click.option(
    "--events",
    "events_path",
    required=True,
    metavar="FILE.jsonl",
    type=click.Path(path_type=Path),
    help="AlarmEvents, one JSON object per line, in the order they were taken in",
)
@click.option(
    "--rules",
    "rules_path",
    metavar="RULES",
    type=click.Path(path_type=Path),
    default=None,
    help=f"correlation rules (default: {DEFAULT_PATH.name} shipped in config/)",
)
@json_option
def replay_cmd(config_path: Path, events_path: Path, rules_path: Path | None, as_json: bool) -> None:
    """Replay FILE.jsonl against CFG's inventory: incidents, tickets, outage intervals.

    In memory, in the stream's own time, deterministic: the regression tool for rule changes.
    """
    cfg = load_or_exit(config_path)
    try:
        rules = load_rules(rules_path or DEFAULT_PATH)
    except ConfigError as err:
        fail_config(err)
    try:
        events = read_events(events_path)
    except ReplayError as exc:
        fail(str(exc), code=EXIT_CONFIG)
    result = replay(cfg, rules, events, source=events_path.name)
    if as_json:
        echo_json(to_json(result))
    else:
        click.echo(render_text(result), nl=False)
