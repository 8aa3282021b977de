"""Fault tickets with SLA clocks, their life, cause attribution and the timeliness rate (issue 6).

- :mod:`.model`: :class:`Ticket`, its states, kinds, causes, transitions; :class:`TicketEvent` for the feeds;
- :mod:`.clocks`: dispatch, accept, restore, confirm: due times, warnings, breaches (pure functions);
- :mod:`.facts`: a circuit's labels, the priority order, heavy-penalty events, restore limits;
- :mod:`.lifecycle`: the rules of a ticket's life (pure functions);
- :mod:`.book`: :class:`TicketBook`, fed by the correlator's incident changes;
- :mod:`.service`: :class:`TicketService`, the engineers' transitions and customer reports (CLI, API);
- :mod:`.store` (protocol, in-memory store), :mod:`.repository` (SQL), :mod:`.tables` (migration ``0004``);
- :mod:`.kpi`: the monthly timeliness rate; :mod:`.render`: text and JSON.

This module imports only the model: the store's schema imports :mod:`.tables`, which must not pull
in the rest.
"""

from correlator.tickets.model import (
    ClockName,
    ClockSignalKind,
    Suppression,
    Ticket,
    TicketAction,
    TicketCause,
    TicketEvent,
    TicketEventKind,
    TicketKind,
    TicketState,
    TicketTransition,
)

__all__ = [
    "ClockName",
    "ClockSignalKind",
    "Suppression",
    "Ticket",
    "TicketAction",
    "TicketCause",
    "TicketEvent",
    "TicketEventKind",
    "TicketKind",
    "TicketState",
    "TicketTransition",
]
