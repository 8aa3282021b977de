"""Bearer-token authentication with two roles, ``read_only`` and ``operator``.

Tokens come from the config by reference (``api.tokens[].secret``) and are resolved once when the
API starts. A presented token is compared with every configured one by
:func:`hmac.compare_digest` (no early exit, so the time taken does not say how close a guess was).
Tokens are never logged, echoed or stored: a request is known by the token's *name*.

- no ``Authorization`` header: 401, ``WWW-Authenticate: Bearer realm="linewatch"``, a body
  naming the header that is missing (unless ``api.anonymous_read`` lets GET routes through as an
  anonymous read-only caller);
- a header that is not ``Bearer <token>``, or an unknown token: 401 with
  ``error="invalid_token"`` in ``WWW-Authenticate``;
- a good token whose role is too low: 403 naming the role the route needs and the token's name.

``/api/v1/events`` also takes the token as ``?access_token=`` (when ``api.live.query_token``):
a browser's EventSource cannot send headers. The query string can end up in proxy logs and the
browser history, so the NOC page uses a read-only token there, and the API's own access log
redacts it (:mod:`correlator.api.server`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from correlator.api.errors import ApiError
from correlator.api.settings import ApiToken, Role
from correlator.secrets import SecretError, SecretResolver

REALM = "linewatch"
QUERY_TOKEN = "access_token"
ANONYMOUS = "anonymous"

BEARER = HTTPBearer(auto_error=False, scheme_name="token", description="a token of api.tokens")
"""Declares the scheme in the OpenAPI document (Swagger's Authorize button); checking is ours."""
QUERY = APIKeyQuery(
    name=QUERY_TOKEN, auto_error=False, scheme_name="query_token", description="the token, on /api/v1/events only"
)


class TokenConfigError(ValueError):
    """A token reference that cannot be resolved, or two tokens with the same value."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's name (``anonymous`` without one) and its role."""

    name: str
    role: Role

    @property
    def actor(self) -> str:
        """How the caller is recorded in a ticket transition or a planned-work change."""
        return f"api:{self.name}"


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    role: Role
    value: bytes


class TokenTable:
    """The resolved tokens. Build with :meth:`resolve`; look a presented token up with :meth:`match`."""

    def __init__(self, entries: Iterable[tuple[str, Role, str]] = ()) -> None:
        self._entries: list[_Entry] = []
        seen: dict[bytes, str] = {}
        for name, role, value in entries:
            raw = value.encode()
            if not raw:
                raise TokenConfigError(f"api token '{name}' is empty (put the token in its secret)")
            if raw in seen:
                raise TokenConfigError(
                    f"api tokens '{seen[raw]}' and '{name}' have the same value (give each token its own value)"
                )
            seen[raw] = name
            self._entries.append(_Entry(name, role, raw))

    @classmethod
    def resolve(cls, tokens: Iterable[ApiToken], resolver: SecretResolver) -> TokenTable:
        entries: list[tuple[str, Role, str]] = []
        for tok in tokens:
            try:
                secret = resolver.resolve(tok.secret)
            except SecretError as exc:
                raise TokenConfigError(f"api token '{tok.name}': {exc}") from None
            entries.append((tok.name, tok.role, secret.reveal()))
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, presented: str) -> Principal | None:
        raw = presented.encode()
        found: _Entry | None = None
        for entry in self._entries:  # every entry is compared: no early exit
            if hmac.compare_digest(entry.value, raw) and found is None:
                found = entry
        return Principal(found.name, found.role) if found is not None else None


def _challenge(error: str | None = None) -> dict[str, str]:
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value}


def _fix(tokens: TokenTable) -> str:
    if len(tokens) == 0:
        return (
            "no API token is configured: add api.tokens (name, role, secret: env:NAME) to the daemon config and restart"
        )
    return "send the header 'Authorization: Bearer <token>' with a token listed in api.tokens"


class Authenticator:
    """Turns a request into a :class:`Principal`, or refuses it with 401/403."""

    def __init__(self, tokens: TokenTable, anonymous_read: bool = False, query_token: bool = True) -> None:
        self.tokens = tokens
        self.anonymous_read = anonymous_read
        self.query_token = query_token

    def principal(self, request: Request, allow_query: bool = False) -> Principal:
        header = request.headers.get("authorization")
        presented: str | None = None
        if header is not None:
            scheme, _, value = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise ApiError(
                    401,
                    "the Authorization header is not 'Bearer <token>'",
                    "send 'Authorization: Bearer <token>'",
                    _challenge("invalid_request"),
                )
            presented = value.strip()
        elif allow_query and self.query_token:
            presented = request.query_params.get(QUERY_TOKEN) or None
        if presented is None:
            if self.anonymous_read and request.method in ("GET", "HEAD"):
                return Principal(ANONYMOUS, Role.read_only)
            where = "the Authorization header" + (f" (or ?{QUERY_TOKEN}=)" if allow_query and self.query_token else "")
            raise ApiError(401, f"no token: {where} is missing", _fix(self.tokens), _challenge())
        who = self.tokens.match(presented)
        if who is None:
            raise ApiError(
                401,
                "the token is not valid (not one of api.tokens)",
                "check the token; an operator lists the configured token names in the daemon config",
                _challenge("invalid_token"),
            )
        return who

    def require(self, needed: Role, allow_query: bool = False) -> Callable[..., Awaitable[Principal]]:
        """A FastAPI dependency: the caller, if its role is at least ``needed``."""

        async def check(request: Request) -> Principal:
            who = self.principal(request, allow_query=allow_query)
            if not who.role.allows(needed):
                raise ApiError(
                    403,
                    f"this route needs the {needed.value} role; token '{who.name}' has {who.role.value}",
                    f"use a token with role {needed.value} (api.tokens[].role in the daemon config)",
                )
            request.state.principal = who
            return who

        async def dependency(
            request: Request, _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]
        ) -> Principal:
            return await check(request)

        async def dependency_with_query(
            request: Request,
            _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
            _query: Annotated[str | None, Security(QUERY)],
        ) -> Principal:
            return await check(request)

        return dependency_with_query if allow_query else dependency
