"""``linewatch agent``: run the SNMP agent (poll, diff, publish, traps, /metrics)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import click

from correlator.cli.common import fail_config, load_or_exit
from correlator.configfile.errors import ConfigError


@click.command("agent")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path),
    help="the daemon config (linewatch.yaml); its agent: section says what to poll and where to publish",
)
@click.option("--once", is_flag=True, help="poll every element once, publish, and exit")
@click.option("--json-logs", is_flag=True, help="log JSON lines instead of plain text")
def agent(config_path: Path, once: bool, json_logs: bool) -> None:
    """Poll the inventory's elements over SNMP, receive their traps, publish AlarmEvents.

    Runs until SIGTERM or SIGINT, then finishes the polls in flight, publishes what is pending and
    exits 0. With --once it exits 0 when every event was published, 1 when some wait in the outbox.
    Configuration errors are printed like check-config and exit 2.
    """
    from agent.daemon import Agent, AgentSetupError, configure_logging
    from agent.poller import tune_runtime

    configure_logging(json_logs)
    cfg = load_or_exit(config_path)
    try:
        daemon = Agent.build(cfg)
    except AgentSetupError as err:
        fail_config(ConfigError(err.issues))
    tune_runtime()
    if once:
        result = asyncio.run(daemon.run_once())
        sys.exit(0 if result.pending == 0 else 1)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await daemon.run(stop)

    asyncio.run(serve())
