"""``linewatch feeds status|requeue|discard``: the feeds' outbox in the store, for the operator.

``status`` shows each destination's queue (waiting, dead-lettered, delivered, the age and last error
of the event at its head) and the alerts held for each Alertmanager, then lists the dead letters.
``requeue`` puts dead-lettered events of a destination back at the head of its queue (a running
daemon picks them up at its next look); ``discard`` drops them for good, an operator's decision
(``--yes`` confirms). Nothing is ever dropped without one of these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from correlator.cli.common import echo_json, fail, fail_config, json_option, store_option
from correlator.configfile.errors import ConfigError
from correlator.configfile.loader import load_daemon, resolve_store_url


def _open(config_path: Path | None, store_url: str | None) -> tuple[Any, list[str], list[str]]:
    """The outbox, the webhook names and the Alertmanager names of the config (if given)."""
    from correlator.clock import SystemClock
    from correlator.feeds.alertmanager import AlertBook
    from correlator.feeds.outbox import Outbox
    from correlator.store.db import StoreNotReady, make_engine

    hooks: list[str] = []
    ams: list[str] = []
    url = store_url
    if config_path is not None:
        try:
            daemon = load_daemon(config_path)
        except ConfigError as err:
            fail_config(err)
        hooks = [h.name for h in daemon.feeds.webhooks]
        ams = [a.name for a in daemon.feeds.alertmanagers]
        url = url or resolve_store_url(daemon.store.url, config_path.parent)
    if not url:
        fail("no store given", "pass CONFIG or --store URL")
    engine = make_engine(url)
    try:
        return (Outbox(engine, SystemClock()), AlertBook(engine)), hooks, ams
    except StoreNotReady as exc:
        fail(str(exc))


config_arg = click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))


@click.group()
def feeds() -> None:
    """Feeds: webhook outbox and Alertmanager alerts in the store."""


@feeds.command("status")
@config_arg
@store_option
@json_option
def status(config_path: Path | None, store_url: str | None, as_json: bool) -> None:
    """Each destination's queue and the dead-lettered events."""
    (outbox, book), hooks, ams = _open(config_path, store_url)
    now = outbox.clock.now()
    stats = outbox.stats()
    names = list(dict.fromkeys([*hooks, *stats]))
    counts = book.counts()
    am_names = list(dict.fromkeys([*ams, *(d for d, _ in counts)]))
    dead = outbox.dead()
    rows = []
    for name in names:
        st = stats.get(name)
        age = (now - st.oldest_pending_at).total_seconds() if st and st.oldest_pending_at else None
        rows.append(
            {
                "destination": name,
                "configured": name in hooks,
                "pending": st.pending if st else 0,
                "dead": st.dead if st else 0,
                "delivered": st.delivered if st else 0,
                "oldest_pending_seconds": age,
                "head_error": st.last_error if st else None,
            }
        )
    alerts = [
        {
            "destination": name,
            "configured": name in ams,
            "firing": counts.get((name, "firing"), 0),
            "resolved": counts.get((name, "resolved"), 0),
        }
        for name in am_names
    ]
    letters = [
        {
            "destination": d.destination,
            "event_id": d.event.id,
            "kind": d.event.kind,
            "subject": d.event.subject,
            "attempts": d.attempts,
            "last_status": d.last_status,
            "last_error": d.last_error,
        }
        for d in dead
    ]
    if as_json:
        echo_json({"webhooks": rows, "alertmanagers": alerts, "dead_letters": letters})
        return
    if not rows and not alerts:
        click.echo("no feed destinations configured and nothing in the outbox")
    for r in rows:
        note = "" if r["configured"] else "  (not in the config any more)"
        age = f", oldest waiting {r['oldest_pending_seconds']:.0f} s" if r["oldest_pending_seconds"] is not None else ""
        click.echo(
            f"webhook {r['destination']}: {r['pending']} waiting{age}, {r['dead']} dead-lettered,"
            f" {r['delivered']} delivered{note}"
        )
        if r["head_error"]:
            click.echo(f"  last error: {r['head_error']}")
    for a in alerts:
        note = "" if a["configured"] else "  (not in the config any more)"
        click.echo(f"alertmanager {a['destination']}: {a['firing']} firing, {a['resolved']} resolved held{note}")
    if letters:
        click.echo(f"dead letters ({len(letters)}): re-queue with `linewatch feeds requeue CONFIG DESTINATION`")
        for d in letters:
            click.echo(
                f"  {d['destination']} #{d['event_id']} {d['kind']} {d['subject']}: {d['attempts']} attempts,"
                f" {d['last_error'] or '-'}"
            )


@feeds.command("requeue")
@config_arg
@click.argument("destination")
@store_option
@click.option("--event", "event_ids", type=int, multiple=True, help="only these event ids (default: all)")
@json_option
def requeue(
    config_path: Path | None, destination: str, store_url: str | None, event_ids: tuple[int, ...], as_json: bool
) -> None:
    """Put DESTINATION's dead-lettered events back at the head of its queue."""
    (outbox, _), _, _ = _open(config_path, store_url)
    n = outbox.requeue(destination, list(event_ids) if event_ids else None)
    if as_json:
        echo_json({"destination": destination, "requeued": n})
    else:
        click.echo(f"{n} event{'s' if n != 1 else ''} of {destination} back in the queue")


@feeds.command("discard")
@config_arg
@click.argument("destination")
@store_option
@click.option("--event", "event_ids", type=int, multiple=True, required=True, help="dead-lettered event id")
@click.option("--yes", is_flag=True, help="confirm: the receiver will never get these events")
@json_option
def discard(
    config_path: Path | None,
    destination: str,
    store_url: str | None,
    event_ids: tuple[int, ...],
    yes: bool,
    as_json: bool,
) -> None:
    """Drop dead-lettered events of DESTINATION for good (an operator's decision)."""
    if not yes:
        fail("discarding dead letters loses them for this destination", "add --yes to confirm")
    (outbox, _), _, _ = _open(config_path, store_url)
    n = outbox.discard(destination, event_ids)
    if as_json:
        echo_json({"destination": destination, "discarded": n})
    else:
        click.echo(f"{n} dead-lettered event{'s' if n != 1 else ''} of {destination} discarded")
