"""The ``linewatch`` command: one console script, a subcommand per job.

Each subcommand prints human text by default and JSON with ``--json``. Configuration errors go to
stderr as ``file:line: path: what is wrong (how to fix)`` and exit with status 2.
"""

from __future__ import annotations

import click

from correlator.cli.agent_cmds import agent
from correlator.cli.api_cmds import api_cmd
from correlator.cli.availability_cmds import availability
from correlator.cli.config_cmds import check_config
from correlator.cli.db_cmds import db
from correlator.cli.diversity_cmds import diversity, whatif
from correlator.cli.feeds_cmds import feeds
from correlator.cli.inventory_cmds import inventory
from correlator.cli.lab_cmds import lab
from correlator.cli.planned_cmds import planned
from correlator.cli.replay_cmds import replay_cmd
from correlator.cli.report_cmds import report
from correlator.cli.service_cmds import correlator_cmd, run_cmd
from correlator.cli.ticket_cmds import kpi_cmd, ticket


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="linewatch")
def main() -> None:
    """linewatch: which customer circuit an alarm hurts, and what it owes them."""


def run() -> None:
    """Console-script entry: database errors become one clear line, never a traceback."""
    from sqlalchemy.exc import DBAPIError

    try:
        main()
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        click.echo(f"error: the store cannot be used: {reason} (check store.url and that the database is up)", err=True)
        raise SystemExit(1) from None


main.add_command(agent)
main.add_command(api_cmd)
main.add_command(check_config)
main.add_command(db)
main.add_command(inventory)
main.add_command(diversity)
main.add_command(whatif)
main.add_command(replay_cmd)
main.add_command(feeds)
main.add_command(ticket)
main.add_command(kpi_cmd)
main.add_command(availability)
main.add_command(planned)
main.add_command(report)
main.add_command(correlator_cmd)
main.add_command(run_cmd)
main.add_command(lab)
