"""Helpers shared by the subcommands: loading config with clean error output, JSON printing."""

from __future__ import annotations

import json
import sys
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
