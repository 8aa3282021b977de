"""Helpers shared by the subcommands: loading config with clean error output, JSON printing."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy import Engine

from correlator.configfile.errors import ConfigError
from correlator.configfile.loader import LoadedConfig, load_config

EXIT_CONFIG = 2

config_argument = click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))


F = TypeVar("F", bound=Callable[..., Any])


def config_option_with(help_text: str) -> Callable[[F], F]:
    """``--config CFG``, required, with this help text."""
    return click.option(
        "--config", "config_path", required=True, metavar="CFG", type=click.Path(path_type=Path), help=help_text
    )


config_option = config_option_with("the daemon config (linewatch.yaml): inventory, SLA policy, store, timezone")
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


@contextmanager
def ready_engine(cfg: LoadedConfig, store_url: str | None) -> Iterator[Engine]:
    """The store's engine, checked to be at the schema head (exit naming the fix otherwise), disposed after."""
    from correlator.store import db as store_db
    from correlator.store.errors import StoreError

    engine = store_db.make_engine(cfg.store_url(store_url))
    try:
        store_db.check_ready(engine)
        yield engine
    except StoreError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
