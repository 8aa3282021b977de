"""The NOC page: static HTML, CSS and vanilla JavaScript shipped as package data, no CDN.

:func:`mount` serves it under ``/noc/`` (and redirects ``/`` there). The page itself needs no
token; the data it loads from ``/api/v1`` does. It asks for a read-only token once per browser
tab (kept in ``sessionStorage``, gone when the tab closes), unless the server's
``api.anonymous_read`` lets GET routes through without one (a wall screen on a closed network).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def mount(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/noc/", status_code=307)

    @app.get("/noc", include_in_schema=False)
    async def noc_slash() -> RedirectResponse:
        return RedirectResponse("/noc/", status_code=307)

    @app.get("/noc/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)

    app.mount("/noc/static", StaticFiles(directory=STATIC_DIR), name="noc-static")
