"""``linewatch correlator`` and ``linewatch run``: the daemons.

``run`` is everything in one process (agent, correlator, HTTP: /metrics, /healthz and the API) on
the in-process queue; ``agent`` and ``correlator`` are the two halves for separate hosts, joined by
NATS JetStream. Both stop cleanly on SIGTERM/SIGINT and exit 0. Configuration errors are printed
like ``check-config`` (exit 2); a store that is not ready names the fix (exit 1).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from correlator.cli.common import config_option_with, fail, fail_config, load_or_exit, store_option
from correlator.configfile.errors import ConfigError

config_option = config_option_with("the daemon config (linewatch.yaml)")
json_logs_option = click.option("--json-logs", is_flag=True, help="log JSON lines instead of plain text")
log_level_option = click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="info",
    show_default=True,
)


def catch_early_signals() -> list[signal.Signals]:
    """SIGTERM/SIGINT while the daemon is still loading are remembered, not fatal: the daemon then
    starts and stops cleanly (a stop right after a start must not lose what the agent had queued)."""
    caught: list[signal.Signals] = []

    def remember(signum: int, _frame: object) -> None:
        caught.append(signal.Signals(signum))

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, remember)
    return caught


def _serve(
    config_path: Path,
    json_logs: bool,
    log_level: str,
    serve: Callable[..., Awaitable[int]],
    store_url: str | None,
) -> None:
    early = catch_early_signals()
    from agent.daemon import configure_logging
    from agent.poller import tune_runtime
    from correlator.service.run import StartupError, install_signal_handlers

    configure_logging(json_logs, getattr(logging, log_level.upper()))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    cfg = load_or_exit(config_path)
    tune_runtime()

    async def main() -> int:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        if early:
            logging.getLogger("correlator.service.run").info("%s during start-up: stopping", early[0].name)
            stop.set()
        return await serve(cfg, stop, store_url=store_url)

    try:
        status = asyncio.run(main())
    except StartupError as err:
        if err.issues:
            fail_config(ConfigError(err.issues))
        fail(str(err))
    sys.exit(status)


@click.command("correlator")
@config_option
@store_option
@json_logs_option
@log_level_option
def correlator_cmd(config_path: Path, store_url: str | None, json_logs: bool, log_level: str) -> None:
    """Correlate the AlarmEvents the agents publish to NATS JetStream (correlator.bus).

    Durable consumer: a restart resumes where it stopped, and an event is acknowledged only once the
    store has it. Serves /metrics and /healthz on api.host:api.port. SIGTERM/SIGINT: stop taking
    events, commit, exit 0.
    """
    from correlator.service.run import serve_correlator

    _serve(config_path, json_logs, log_level, serve_correlator, store_url)


@click.command("run")
@config_option
@store_option
@json_logs_option
@log_level_option
def run_cmd(config_path: Path, store_url: str | None, json_logs: bool, log_level: str) -> None:
    """Run everything in one process: the agent polls, the correlator correlates, the HTTP endpoint
    serves /metrics (agent and correlator) and /healthz on api.host:api.port.

    The agent hands its events to the correlator in-process (agent.publish is not used) and drops
    them from its outbox once the store has them. SIGTERM/SIGINT: the polls in flight finish, every
    event is stored, exit 0.
    """
    from correlator.service.run import serve_all

    _serve(config_path, json_logs, log_level, serve_all, store_url)
