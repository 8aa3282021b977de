"""``linewatch db upgrade|current``: the store's schema migrations (Alembic)."""

from __future__ import annotations

from pathlib import Path

import click

from correlator.cli.common import echo_json, fail, fail_config, json_option, store_option
from correlator.configfile.errors import ConfigError
from correlator.configfile.loader import load_daemon, resolve_store_url


def store_url_from(config_path: Path | None, store_url: str | None) -> str:
    if store_url:
        return store_url
    if config_path is None:
        fail("no store given", "pass CONFIG or --store URL")
    try:
        daemon = load_daemon(config_path)
    except ConfigError as err:
        fail_config(err)
    return resolve_store_url(daemon.store.url, config_path.parent)


@click.group()
def db() -> None:
    """Store schema: migrate and inspect."""


@db.command("upgrade")
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))
@store_option
@click.option("--revision", default="head", show_default=True)
def upgrade(config_path: Path | None, store_url: str | None, revision: str) -> None:
    """Apply the store's migrations up to REVISION."""
    from correlator.store import db as store_db

    url = store_url_from(config_path, store_url)
    store_db.upgrade(url, revision)
    click.echo(f"store at revision {store_db.current_revision(url)}")


@db.command("current")
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))
@store_option
@json_option
def current(config_path: Path | None, store_url: str | None, as_json: bool) -> None:
    """Print the store's schema revision."""
    from correlator.store import db as store_db

    url = store_url_from(config_path, store_url)
    rev = store_db.current_revision(url)
    if as_json:
        echo_json({"revision": rev})
    else:
        click.echo(rev or "empty (run: linewatch db upgrade)")
