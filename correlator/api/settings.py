"""The API's part of the ``api:`` section of the daemon config: tokens, roles and live updates.

These models join :class:`correlator.service.settings.ApiSettings` (host and port). They import
nothing but pydantic, so the config model can use them without pulling FastAPI in::

    api:
      host: 127.0.0.1
      port: 8310
      anonymous_read: false          # true: the NOC page and GET routes need no token (wall screens)
      tokens:
        - name: noc-wall             # shown in logs and as the actor of ticket transitions
          role: read_only            # read_only: every GET; operator: also tickets and planned work
          secret: env:LINEWATCH_NOC_TOKEN
        - name: noc-operator
          role: operator
          secret: file:/etc/linewatch/operator.token
      live:
        refresh_s: 5                 # re-read the store this often (the API running apart from the correlator)
        keepalive_s: 15              # an SSE comment this often keeps proxies from closing the stream
        query_token: true            # EventSource cannot send headers: accept ?access_token= on /api/v1/events

A token's ``secret`` is a reference (``env:NAME``, ``file:PATH``, ``secret:KEY``), never the token
itself; :mod:`correlator.secrets` resolves it when the API starts.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|secret:[A-Za-z0-9_.\-]+)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}$")


def _secret_ref(v: str) -> str:
    if not _REF.match(v):
        raise ValueError("must be a reference env:NAME, file:PATH or secret:KEY, never the token itself")
    return v


def _token_name(v: str) -> str:
    if not _NAME.match(v):
        raise ValueError("use 1-64 letters, digits and . _ - @ (starting with a letter or digit)")
    return v


class Role(StrEnum):
    """What a token may do. ``operator`` includes everything ``read_only`` may."""

    read_only = "read_only"
    """Every GET route, the NOC page and its live updates."""
    operator = "operator"
    """Also ticket transitions and planned-work create / update / cancel."""

    @property
    def level(self) -> int:
        return 1 if self is Role.operator else 0

    def allows(self, needed: Role) -> bool:
        return self.level >= needed.level


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiToken(Strict):
    name: Annotated[str, AfterValidator(_token_name)] = Field(
        description="who holds the token: logged, and the actor of the transitions it makes"
    )
    role: Role
    secret: Annotated[str, AfterValidator(_secret_ref)] = Field(
        description="reference to the token value: env:NAME, file:PATH or secret:KEY"
    )


class LiveSettings(Strict):
    """Server-sent events to the NOC page and other clients (``/api/v1/events``)."""

    refresh_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="re-read the store this often and push what changed: right also when the API runs "
        "apart from the correlator",
    )
    keepalive_s: float = Field(default=15.0, gt=0, le=300, description="an SSE comment line at least this often")
    history: int = Field(
        default=512, ge=16, le=100_000, description="events kept for clients that reconnect with Last-Event-ID"
    )
    client_queue: int = Field(
        default=1000,
        ge=16,
        le=100_000,
        description="events queued per client; a client that falls further behind is told to reload",
    )
    event_circuits: int = Field(
        default=20,
        ge=0,
        le=100_000,
        description="circuits listed in an incident event (most important first; circuits_total says how many "
        "in all): a trunk duct cut hurts thousands, and each change would otherwise carry all of them",
    )
    query_token: bool = Field(
        default=True,
        description="accept the token as ?access_token= on /api/v1/events only (a browser's EventSource "
        "cannot send an Authorization header); the API never logs it",
    )
