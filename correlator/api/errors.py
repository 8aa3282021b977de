"""Every error the API returns is JSON ``{"error": what is wrong, "fix": what to do}``.

Validation errors (422) also list each bad field as ``{"field": "body.end", "problem": ...}`` and
name the fields in ``error``; no input value is echoed back (a mistyped token must not come back
in a response body). Unknown routes and methods get the same shape, and an unexpected failure is
logged with its traceback and answered with a 500 that carries no internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from a route: answered as ``status`` with ``{"error", "fix"}`` (and ``headers``)."""

    def __init__(
        self,
        status: int,
        error: str,
        fix: str,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.fix = fix
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def not_found(what: str, ident: str, listing: str) -> ApiError:
    return ApiError(404, f"no {what} '{ident}'", f"list the known ones with GET {listing}")


def validation_error(field: str, problem: str, fix: str) -> ApiError:
    """A 422 naming one field, shaped like the request validation errors."""
    return ApiError(
        422, f"invalid request: {field}: {problem}", fix, extra={"fields": [{"field": field, "problem": problem}]}
    )


def error_response(
    status: int,
    error: str,
    fix: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "fix": fix}
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


_FIXES = {
    "missing": "give it",
    "extra_forbidden": "remove it (or correct its spelling)",
    "enum": "use one of the listed values",
    "literal_error": "use one of the listed values",
    "timezone_aware": "give the offset, e.g. 2026-12-01T10:00:00+08:00",
    "datetime_from_date_parsing": "use ISO 8601 with an offset, e.g. 2026-12-01T10:00:00+08:00",
    "datetime_parsing": "use ISO 8601 with an offset, e.g. 2026-12-01T10:00:00+08:00",
    "datetime_type": "use ISO 8601 with an offset, e.g. 2026-12-01T10:00:00+08:00",
    "json_invalid": "send a JSON document (Content-Type: application/json)",
    "model_attributes_type": "send a JSON object",
    "dict_type": "send a JSON object",
}


def field_name(loc: Sequence[int | str]) -> str:
    """``('body', 'resources', 2)`` -> ``body.resources[2]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def _problem(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", "is not valid"))
    msg = msg.removeprefix("Value error, ")
    if err.get("type") == "missing":
        return "is required"
    return msg


def validation_body(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    problems: list[dict[str, str]] = []
    fixes: list[str] = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        problems.append({"field": field_name(loc), "problem": _problem(err)})
        fix = _FIXES.get(str(err.get("type", "")))
        if fix and fix not in fixes:
            fixes.append(fix)
    text = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return {
        "error": f"invalid request: {text}" if text else "invalid request",
        "fix": "; ".join(fixes) if fixes else "correct the named fields (the schema is at /openapi.json)",
        "fields": problems,
    }


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the ``{"error", "fix"}`` shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.error, exc.fix, exc.headers, exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(list(exc.errors())), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            return error_response(
                404, f"no route {request.method} {request.url.path}", "see the routes in /openapi.json", headers
            )
        if exc.status_code == 405:
            allowed = headers.get("Allow", headers.get("allow", ""))
            return error_response(
                405,
                f"{request.method} is not allowed on {request.url.path}",
                f"use {allowed}" if allowed else "see the routes in /openapi.json",
                headers,
            )
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        return error_response(exc.status_code, detail, "see /openapi.json", headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("API %s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(
            500, "internal error: the request could not be completed", "retry; if it persists see the API log"
        )
