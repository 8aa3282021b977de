"""What an engineer can get wrong with a ticket, each error naming the ticket and the fix."""

from __future__ import annotations


class TicketError(ValueError):
    """Base class: the text says what is wrong and how to fix it."""


class UnknownTicket(TicketError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no ticket '{ticket_id}' (list them with `linewatch ticket list --all`)")
        self.ticket_id = ticket_id


class UnknownCircuit(TicketError):
    def __init__(self, circuit_id: str) -> None:
        super().__init__(f"no circuit '{circuit_id}' in the inventory (check the id in the inventory's circuits)")
        self.circuit_id = circuit_id


class IllegalTransition(TicketError):
    """The action is not allowed in the ticket's state."""

    def __init__(self, ticket_id: str, state: str, action: str, allowed: list[str], why: str = "") -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (the ticket is closed)"
        reason = f": {why}" if why else ""
        super().__init__(f"ticket {ticket_id} is {state}: cannot {action}{reason} (allowed now: {allowed_text})")
        self.ticket_id = ticket_id
        self.state = state
        self.action = action
        self.allowed = allowed


class MissingCause(TicketError):
    def __init__(self, ticket_id: str, causes: list[str]) -> None:
        super().__init__(f"closing ticket {ticket_id} needs a cause (give --cause, one of {', '.join(causes)})")
        self.ticket_id = ticket_id


class BadTransition(TicketError):
    """A transition's input is wrong: a missing team, a time out of order or in the future."""


class TicketConflict(TicketError):
    """The ticket kept changing under the writer (another writer won every retry)."""
