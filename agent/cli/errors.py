"""Why a CLI poll failed, as a small closed set of reasons (the ``result`` label of the metrics).

Every failure a CLI session meets (a refused or silent TCP port, a rejected login, a prompt that
never comes, a command whose output never ends, output no template understands, a connection the
element drops) is one :class:`CliFailure`. Messages name the element and what happened and are
scrubbed of the session's secrets before they are built into an exception, so ``str()`` of a
:class:`CliError` is always safe to log.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class CliFailure(StrEnum):
    auth_failed = "auth_failed"
    """The element refused the login (SSH authentication, telnet password, TL1 ACT-USER DENY)."""
    timeout = "timeout"
    """No answer in time: TCP connect, SSH banner, a command's output that never ended, a hung session."""
    refused = "refused"
    """The TCP connection was refused (nothing listens on the port)."""
    unreachable = "unreachable"
    """No route to the element (the network said so)."""
    no_prompt = "no_prompt"
    """Connected (and, over SSH, logged in) but the command prompt never came."""
    unparsed_output = "unparsed_output"
    """A command's output that no template of the platform understands."""
    protocol_error = "protocol_error"
    """Anything else the session could not deal with: SSH negotiation, the element closing the
    connection, a TL1 command denied, an unexpected library error."""


class CliError(Exception):
    """A classified CLI failure; ``str()`` is safe to log (no secret ever goes into it)."""

    def __init__(self, reason: CliFailure, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(self.args[0])


MIN_SCRUBBED = 1


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by ``***`` (longest first)."""
    for value in sorted((s for s in secrets if len(s) >= MIN_SCRUBBED), key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    return text
