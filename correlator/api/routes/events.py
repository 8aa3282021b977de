"""``GET /api/v1/events``: live updates as server-sent events (``text/event-stream``).

Authentication: the ``Authorization: Bearer`` header, or ``?access_token=`` because a browser's
EventSource cannot send headers (see :mod:`correlator.api.auth` for the tradeoff). A client that
reconnects sends ``Last-Event-ID`` (EventSource does it by itself) and gets what it missed, or a
``resync`` event. A comment line every ``api.live.keepalive_s`` keeps proxies from closing an idle
stream.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from correlator.api import models as m
from correlator.api.context import ApiContext
from correlator.api.settings import Role
from correlator.api.watch import StoreWatcher

STREAM_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no", "Connection": "keep-alive"}


def router(ctx: ApiContext, watcher: StoreWatcher) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["events"])
    reader = ctx.auth.require(Role.read_only, allow_query=True)

    @r.get(
        "/events",
        summary="Live updates (server-sent events): incident, ticket, planned_work, resync",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"},
            401: {"model": m.ErrorOut},
        },
        dependencies=[Depends(reader)],
    )
    async def events(
        request: Request,
        last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    ) -> StreamingResponse:
        broadcaster = ctx.broadcaster
        keepalive = ctx.settings.live.keepalive_s
        hello = {
            "now": ctx.presenter.local(ctx.clock.now()).isoformat(),
            "epoch": broadcaster.epoch,
            "refresh_s": ctx.settings.live.refresh_s,
        }

        async def stream() -> AsyncIterator[bytes]:
            sub = broadcaster.subscribe(last_event_id)
            watcher.listener_added()
            try:
                yield f"retry: 3000\nevent: hello\ndata: {json.dumps(hello)}\n\n".encode()
                while True:
                    event = await sub.next(keepalive)
                    if event is None:
                        if await request.is_disconnected():
                            return
                        yield b": keepalive\n\n"
                        continue
                    yield event.encode()
            finally:
                sub.close()
                watcher.listener_removed()

        return StreamingResponse(stream(), media_type="text/event-stream", headers=STREAM_HEADERS)

    return r
