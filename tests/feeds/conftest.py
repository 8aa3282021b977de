"""Fixtures of the feed tests: a real webhook receiver on loopback, a lab correlator feeding a
:class:`~correlator.feeds.Feeds` stage, and ticket events shaped as the ticket book emits them.

The receiver is a real HTTP server (``http.server`` in a thread): it verifies each request's
signature as a receiver in the field would, records what it got in arrival order, and can be down
(its socket closed: connections are refused), answer with a chosen status, or hold a request.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from correlator.clock import Clock, SystemClock
from correlator.correlation import IncidentChange
from correlator.feeds import Feeds, FeedsSettings
from correlator.feeds.signing import EVENT_ID_HEADER, EVENT_KIND_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from correlator.secrets import SecretResolver
from tests.correlator.conftest import Harness, shipped_rules

SECRET = "feeds-test-hmac-5f1c0e"
"""The webhook key of the tests (given through the environment, as production does)."""
SECRET_ENV = {"LW_TEST_WEBHOOK_SECRET": SECRET}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    event_id: int
    kind: str
    body: bytes
    verified: bool
    doc: dict[str, Any]


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1:``port``; ``start``/``stop`` bring it up and down."""

    port: int
    secret: str = SECRET
    clock: Clock = field(default_factory=SystemClock)
    received: list[Received] = field(default_factory=list)
    status: Callable[[int], int] = lambda _id: 200
    """The answer to an event id (after it was recorded)."""
    hold: dict[int, threading.Event] = field(default_factory=dict)
    """Event ids whose answer waits until the event is set."""
    headers: Callable[[int], dict[str, str]] = lambda _id: {}
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                event_id = int(self.headers.get(EVENT_ID_HEADER, "0"))
                ok = verify(
                    receiver.secret,
                    body,
                    self.headers.get(TIMESTAMP_HEADER),
                    self.headers.get(SIGNATURE_HEADER),
                    now=receiver.clock.now().timestamp(),
                )
                doc = json.loads(body)
                with receiver.arrived:
                    receiver.received.append(Received(event_id, self.headers.get(EVENT_KIND_HEADER, ""), body, ok, doc))
                    receiver.arrived.notify_all()
                gate = receiver.hold.get(event_id)
                if gate is not None:
                    gate.wait(30)
                status = receiver.status(event_id) if ok else 401
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    for k, v in receiver.headers(event_id).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(5)
            self._server = self._thread = None

    def ids(self) -> list[int]:
        with self.arrived:
            return [r.event_id for r in self.received]

    def wait_for(self, n: int, timeout: float = 30) -> None:
        """Until ``n`` requests arrived (fails the test after ``timeout`` seconds)."""
        with self.arrived:
            ok = self.arrived.wait_for(lambda: len(self.received) >= n, timeout)
        assert ok, f"the receiver got {len(self.received)} requests, waited for {n}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port())
    yield r
    for gate in r.hold.values():
        gate.set()
    r.stop()


def webhook_settings(url: str, **hook: Any) -> FeedsSettings:
    """Feeds settings with one webhook ``hook`` at ``url``, fast retries for the tests."""
    spec = {
        "name": "noc",
        "url": url,
        "secret": "env:LW_TEST_WEBHOOK_SECRET",
        "backoff": {"base_s": 0.02, "max_s": 0.2, "jitter": 0.5},
        "timeouts": {"connect_s": 2, "read_s": 5},
    } | hook
    return FeedsSettings.model_validate(
        {"external_url": "http://noc.example:8080", "poll_interval_s": 0.05, "webhooks": [spec]}
    )


def make_feeds(engine: Engine, settings: FeedsSettings, clock: Clock | None = None, **kw: Any) -> Feeds:
    return Feeds(
        engine,
        settings,
        SecretResolver(Path("."), env=SECRET_ENV),
        clock or SystemClock(),
        source="linewatch-test",
        **kw,
    )


@dataclass
class FeedingHarness(Harness):
    """The lab correlator harness, handing every batch of changes to a feeds stage."""

    feeds: Feeds | None = None

    def _take(self, changes: list[IncidentChange]) -> list[IncidentChange]:
        out = super()._take(changes)
        if self.feeds is not None and changes:
            self.feeds.on_incident_changes(changes)
        return out


@pytest.fixture
def feeding() -> Callable[..., FeedingHarness]:
    def make(feeds: Feeds | None = None, **kw: Any) -> FeedingHarness:
        return FeedingHarness(shipped_rules(), feeds=feeds, check=False, **kw)

    return make


@dataclass(frozen=True)
class TicketEvent:
    """A ticket event as the ticket book emits it (``correlator.tickets.TicketEvent``'s shape)."""

    kind: str
    ticket_id: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ticket_id": self.ticket_id, "at": self.at, **self.data}


def wait_until(check: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    """Poll ``check`` until true; fail after ``timeout`` seconds (a bound, not a measurement)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
