"""Helpers shared by the subcommands: loading config with clean error output, JSON printing."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import tzinfo
from pathlib import Path
from typing import Any, NoReturn

import click

from correlator.configfile.errors import ConfigError
from correlator.configfile.loader import LoadedConfig, load_config

EXIT_CONFIG = 2

config_argument = click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
json_option = click.option("--json", "as_json", is_flag=True, help="print JSON for tools")
store_option = click.option(
    "--store",
    "store_url",
    envvar="LINEWATCH_STORE_URL",
    help="SQLAlchemy URL of the store (default: the config's store.url) [env LINEWATCH_STORE_URL]",
)


def fail_config(err: ConfigError) -> NoReturn:
    for issue in err.issues:
        click.echo(str(issue), err=True)
    n = len(err.issues)
    click.echo(f"{n} error{'s' if n != 1 else ''}: configuration not valid", err=True)
    sys.exit(EXIT_CONFIG)


def load_or_exit(path: Path) -> LoadedConfig:
    try:
        return load_config(path)
    except ConfigError as err:
        fail_config(err)


def fail(message: str, fix: str = "", code: int = 1) -> NoReturn:
    click.echo(f"error: {message}" + (f" ({fix})" if fix else ""), err=True)
    sys.exit(code)


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def actor_name(actor: str | None) -> str:
    """Who makes a change from the command line: ``--by``, else ``cli:<login name>``."""
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def operator_timezone(cfg: LoadedConfig) -> tzinfo:
    """The operator's timezone from the config (months, days and printed times are in it)."""
    from correlator.availability.period import PeriodError, operator_tz

    try:
        return operator_tz(cfg.daemon.timezone)
    except PeriodError as exc:
        fail(str(exc), code=EXIT_CONFIG)
