"""``linewatch ticket list|show|dispatch|accept|restore|confirm|close|report`` and ``linewatch kpi``.

The store is the source of truth: these commands read and write it directly, safely while the
correlator daemon runs (a transition is written against the ticket's version; if the daemon changed
the ticket meanwhile, the command reads it again and re-checks). Times given with ``--at`` without a
zone are in the daemon config's ``timezone``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar

import click

from correlator.cli.common import EXIT_CONFIG, config_option, echo_json, fail, json_option, load_or_exit, store_option
from correlator.cli.common import actor_name as _actor
from correlator.cli.common import operator_timezone as _tz
from correlator.clock import SystemClock
from correlator.configfile.loader import LoadedConfig
from correlator.domain import TicketCause, TicketKind
from correlator.tickets.errors import TicketError
from correlator.tickets.facts import CircuitDirectory
from correlator.tickets.model import MANUAL_ACTIONS, Ticket, TicketAction, TicketState
from correlator.tickets.repository import TicketRepository
from correlator.tickets.service import TicketService, TransitionResult
from correlator.tickets.store import OPEN_STATES, TicketQuery

at_option = click.option(
    "--at", "at_text", metavar="TIME", help="when it happened (default now; no zone: the config's timezone)"
)
note_option = click.option("--note", metavar="TEXT", help="a note kept with the step")
by_option = click.option("--by", "actor", metavar="NAME", help="who records the step (default: cli:<login name>)")

T = TypeVar("T")


def _when(text: str | None, tz: tzinfo) -> datetime | None:
    if text is None:
        return None
    from correlator.availability.period import PeriodError, parse_when

    try:
        return parse_when(text, tz)
    except PeriodError as exc:
        fail(str(exc), code=EXIT_CONFIG)


@contextmanager
def _repository(cfg: LoadedConfig, store_url: str | None) -> Iterator[TicketRepository]:
    from correlator.store import db as store_db
    from correlator.store.errors import StoreError

    engine = store_db.make_engine(cfg.store_url(store_url))
    try:
        try:
            repo = TicketRepository(engine)
        except StoreError as exc:
            fail(str(exc))
        yield repo
    finally:
        engine.dispose()


def _guard(action: Callable[[], T]) -> T:
    try:
        return action()
    except TicketError as exc:
        fail(str(exc))


def _limits(cfg: LoadedConfig) -> Any:
    return cfg.policy.ticket_limits


@click.group("ticket")
def ticket() -> None:
    """Fault tickets: list and show them, and record the engineers' steps.

    Life of a ticket: opened -> dispatched -> accepted -> restored -> confirmed -> closed. The
    correlator opens tickets and marks them restored when the alarms clear; engineers dispatch,
    accept, confirm and close (with the cause).
    """


@ticket.command("list")
@config_option
@store_option
@click.option("--all", "show_all", is_flag=True, help="closed tickets too")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in TicketState]),
    help="only tickets in this state (repeatable)",
)
@click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in TicketKind]))
@click.option("--circuit", metavar="C")
@click.option("--incident", metavar="INC")
@click.option("--team", metavar="T")
@click.option("--suppressed", is_flag=True, help="also the faults planned work kept from opening a ticket")
@json_option
def list_cmd(
    config_path: Path,
    store_url: str | None,
    show_all: bool,
    states: tuple[str, ...],
    kinds: tuple[str, ...],
    circuit: str | None,
    incident: str | None,
    team: str | None,
    suppressed: bool,
    as_json: bool,
) -> None:
    """Tickets in work order (priority, then known time); open ones unless --all or --state."""
    from correlator.tickets.render import suppression_line, ticket_json, ticket_line

    cfg = load_or_exit(config_path)
    now = SystemClock().now()
    wanted = frozenset(TicketState(s) for s in states) if states else None if show_all else OPEN_STATES
    query = TicketQuery(
        states=wanted,
        kinds=frozenset(TicketKind(k) for k in kinds) if kinds else None,
        circuit=circuit,
        incident=incident,
        team=team,
    )
    with _repository(cfg, store_url) as repo:
        tickets = repo.find(query)
        held = repo.suppressions([circuit] if circuit else None, incident=incident) if suppressed else []
    limits = _limits(cfg)
    if as_json:
        doc: dict[str, Any] = {"tickets": [ticket_json(t, limits, now) for t in tickets]}
        if suppressed:
            doc["suppressed"] = [s.as_dict() for s in held]
        echo_json(doc)
        return
    click.echo(f"{len(tickets)} ticket{'s' if len(tickets) != 1 else ''}")
    for t in tickets:
        click.echo(ticket_line(t, limits, now))
    if suppressed:
        click.echo(f"no ticket, announced planned work ({len(held)}):")
        for s in held:
            click.echo(suppression_line(s))


@ticket.command("show")
@click.argument("ticket_id", metavar="ID")
@config_option
@store_option
@json_option
def show_cmd(ticket_id: str, config_path: Path, store_url: str | None, as_json: bool) -> None:
    """One ticket: its labels, clocks, every transition and the clock warnings and breaches emitted."""
    from correlator.tickets.errors import UnknownTicket
    from correlator.tickets.render import ticket_json, ticket_page

    cfg = load_or_exit(config_path)
    now = SystemClock().now()
    with _repository(cfg, store_url) as repo:
        t = repo.get(ticket_id)
        if t is None:
            fail(str(UnknownTicket(ticket_id)))
        steps = repo.transitions(ticket_id)
        events = repo.clock_events([ticket_id])
    if as_json:
        echo_json(ticket_json(t, _limits(cfg), now, steps, events))
    else:
        click.echo(ticket_page(t, _limits(cfg), now, steps, events), nl=False)


def _print_result(result: TransitionResult, as_json: bool, cfg: LoadedConfig, headline: str) -> None:
    from correlator.tickets.render import ticket_json, ticket_line

    now = SystemClock().now()
    t: Ticket = result.ticket
    if as_json:
        doc = ticket_json(t, _limits(cfg), now)
        doc["events"] = [e.as_dict() for e in result.events]
        echo_json(doc)
        return
    click.echo(headline)
    click.echo(ticket_line(t, _limits(cfg), now))


def _transition_command(action: TicketAction) -> click.Command:
    needs_team = action is TicketAction.dispatch
    needs_cause = action is TicketAction.close
    helps = {
        TicketAction.dispatch: "Dispatch ticket ID to a maintenance team (again: hand it to another team).",
        TicketAction.accept: "The team accepts ticket ID.",
        TicketAction.restore: "Service of ticket ID is restored (the correlator does this when the alarms clear).",
        TicketAction.confirm: "Restoration of ticket ID is confirmed with the customer.",
        TicketAction.close: "Close ticket ID with its cause.",
    }

    def command(
        ticket_id: str,
        config_path: Path,
        store_url: str | None,
        team: str | None,
        note: str | None,
        at_text: str | None,
        actor: str | None,
        as_json: bool,
        cause: str | None = None,
    ) -> None:
        cfg = load_or_exit(config_path)
        at = _when(at_text, _tz(cfg))
        with _repository(cfg, store_url) as repo:
            service = TicketService(repo, cfg.policy, CircuitDirectory(cfg.inventory, cfg.policy), SystemClock())
            result = _guard(
                lambda: service.transition(
                    ticket_id, action, team=team, note=note, cause=cause, at=at, actor=_actor(actor)
                )
            )
        _print_result(result, as_json, cfg, f"ticket {ticket_id}: {result.ticket.state.value}")

    options: list[Callable[[Any], Any]] = [
        click.argument("ticket_id", metavar="ID"),
        config_option,
        store_option,
        click.option(
            "--team",
            metavar="T",
            required=needs_team,
            help="the maintenance team" + (" (required)" if needs_team else ""),
        ),
        note_option,
        at_option,
        by_option,
        json_option,
    ]
    if needs_cause:
        options.append(
            click.option(
                "--cause",
                type=click.Choice([c.value for c in TicketCause]),
                required=True,
                help="what caused the fault (customer_side and other_operator are not counted in the timeliness rate)",
            )
        )
    decorated: Any = command
    for option in reversed(options):
        decorated = option(decorated)
    return click.command(action.value, help=helps[action])(decorated)


for _action in MANUAL_ACTIONS:
    ticket.add_command(_transition_command(_action))


@ticket.command("report")
@click.option("--circuit", required=True, metavar="C", help="the circuit the customer reports down")
@config_option
@store_option
@at_option
@note_option
@by_option
@json_option
def report_cmd(
    circuit: str,
    config_path: Path,
    store_url: str | None,
    at_text: str | None,
    note: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """A customer's fault report: joins the open ticket of the circuit (the fault is known from the
    report if that was first), or opens a customer-report ticket."""
    cfg = load_or_exit(config_path)
    at = _when(at_text, _tz(cfg))
    with _repository(cfg, store_url) as repo:
        service = TicketService(repo, cfg.policy, CircuitDirectory(cfg.inventory, cfg.policy), SystemClock())
        result = _guard(lambda: service.report(circuit, at=at, note=note, actor=_actor(actor)))
    what = "attached to" if result.attached else "opened"
    _print_result(result, as_json, cfg, f"customer report {what} ticket {result.ticket.id}")


@click.command("kpi")
@config_option
@store_option
@click.option("--month", required=True, metavar="YYYY-MM", help="the month, in the config's timezone")
@click.option(
    "--as-of",
    "as_of_text",
    metavar="TIME",
    help="judge open tickets as of TIME (default now): one past its limit then counts as missed",
)
@json_option
def kpi_cmd(config_path: Path, store_url: str | None, month: str, as_of_text: str | None, as_json: bool) -> None:
    """Timeliness rate of MONTH: tickets restored within their limit / all counted tickets, overall,
    by team and by tier, against the policy's target.

    A ticket belongs to the month in which its restore limit falls due (in the config's timezone);
    tickets closed with an excluded cause (customer side, other operator) are not counted.
    """
    from correlator.tickets.kpi import KpiError, monthly, render_text

    cfg = load_or_exit(config_path)
    tz = _tz(cfg)
    now = _when(as_of_text, tz) or SystemClock().now()
    with _repository(cfg, store_url) as repo:
        try:
            report = monthly(repo, cfg.policy, month, tz, now)
        except KpiError as exc:
            fail(str(exc), code=EXIT_CONFIG)
    report.timezone = cfg.daemon.timezone
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(render_text(report), nl=False)
