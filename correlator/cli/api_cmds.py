"""``linewatch api``: the HTTP API and the NOC page alone, on the store a correlator writes.

``linewatch run`` and ``linewatch correlator`` serve the same API from inside the daemon, with live
updates straight from its pipeline; ``linewatch api`` reads the store every ``api.live.refresh_s``
instead, so it can run on another host than the correlator, or be restarted without it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from correlator.cli.common import EXIT_CONFIG, config_option_with, echo_json, fail, load_or_exit, store_option


@click.command("api")
@config_option_with("the daemon config (linewatch.yaml): inventory, SLA policy, store, api section")
@store_option
@click.option("--host", default=None, help="listen address (default: api.host)")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="TCP port (default: api.port)")
@click.option("--no-access-log", is_flag=True, help="do not log each request")
@click.option("--check", "check_only", is_flag=True, help="resolve the tokens, open the store, print the routes, exit")
@click.option("--json", "as_json", is_flag=True, help="with --check: print JSON for tools")
def api_cmd(
    config_path: Path,
    store_url: str | None,
    host: str | None,
    port: int | None,
    no_access_log: bool,
    check_only: bool,
    as_json: bool,
) -> None:
    """Serve the HTTP API (/api/v1, /openapi.json, /docs) and the NOC page (/noc/) from the store."""
    from correlator.api.app import create_app
    from correlator.api.auth import TokenConfigError
    from correlator.api.context import ApiContext
    from correlator.api.server import bind_socket, serve_forever, socket_url
    from correlator.store.db import check_ready, display_url
    from correlator.store.errors import StoreNotReady

    cfg = load_or_exit(config_path)
    try:
        ctx = ApiContext.build(cfg, store_url=store_url)
    except TokenConfigError as exc:
        fail(str(exc), "fix api.tokens in the daemon config or the secret it names", code=EXIT_CONFIG)
    try:
        check_ready(ctx.engine)
    except StoreNotReady as exc:
        fail(str(exc), "then start linewatch api again")
    api = cfg.daemon.api
    bind_host = host or api.host
    bind_port = api.port if port is None else port
    app = create_app(ctx)
    routes = [f"{method} {path}" for method, path in app.state.api_routes]
    if check_only:
        info = {
            "store": display_url(ctx.engine.url),
            "listen": f"{bind_host}:{bind_port}",
            "tokens": {"count": len(ctx.auth.tokens), "anonymous_read": api.anonymous_read},
            "routes": routes,
        }
        if as_json:
            echo_json(info)
        else:
            click.echo(f"store {info['store']}, listen {info['listen']}")
            click.echo(f"{len(ctx.auth.tokens)} tokens, anonymous read {'on' if api.anonymous_read else 'off'}")
            for r in routes:
                click.echo(f"  {r}")
        ctx.engine.dispose()
        return
    if len(ctx.auth.tokens) == 0 and not api.anonymous_read:
        click.echo("warning: no api.tokens configured: every API request will be refused (401)", err=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # every request checks the schema revision
    try:
        sock = bind_socket(bind_host, bind_port)
    except OSError as exc:
        ctx.engine.dispose()
        fail(str(exc.strerror or exc))
    click.echo(f"linewatch API on {socket_url(sock)}/ (NOC page /noc/, docs /docs)", err=True)
    try:
        serve_forever(app, sock, access_log=not no_access_log)
    finally:
        ctx.engine.dispose()
