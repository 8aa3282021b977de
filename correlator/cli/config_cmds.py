"""``linewatch check-config``."""

from __future__ import annotations

from pathlib import Path

import click

from correlator.cli.common import EXIT_CONFIG, config_argument, echo_json, json_option
from correlator.configfile.errors import ConfigError
from correlator.configfile.loader import load_config


@click.command("check-config")
@config_argument
@json_option
def check_config(config_path: Path, as_json: bool) -> None:
    """Validate CONFIG and everything it references (SLA policy, inventory) as a whole."""
    try:
        cfg = load_config(config_path)
    except ConfigError as err:
        if as_json:
            echo_json({"valid": False, "errors": [vars(i) for i in err.issues]})
        else:
            for issue in err.issues:
                click.echo(str(issue), err=True)
            n = len(err.issues)
            click.echo(f"{n} error{'s' if n != 1 else ''}: {config_path} is not valid", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    counts = cfg.inventory.counts()
    if as_json:
        echo_json({"valid": True, "files": [str(p) for p in cfg.inventory_files], "counts": counts})
        return
    click.echo(f"{config_path}: valid ({len(cfg.inventory_files)} inventory files)")
    click.echo("  " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
