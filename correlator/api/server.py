"""Serving the API with uvicorn: in the foreground (``linewatch api``) or on a background thread (tests).

The access log never shows a token: ``?access_token=`` (EventSource) is replaced by
``access_token=REDACTED`` before the line is written.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI

_TOKEN_IN_QUERY = re.compile(r"(access_token=)[^&\s]*")


class RedactTokens(logging.Filter):
    """Removes the value of ``access_token=`` from uvicorn's access log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_QUERY.sub(r"\1REDACTED", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_QUERY.sub(r"\1REDACTED", record.msg)
        return True


def install_log_redaction() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket; raises OSError with a message naming ``api.host``/``api.port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: without it a response written in two parts (headers,
        # body) waits for the client's delayed ACK, ~40 ms a request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise OSError(
            exc.errno, f"cannot listen on {host}:{port}: {exc.strerror} (another process has the port? set api.port)"
        ) from None
    return sock


def uvicorn_config(app: FastAPI, access_log: bool = True, **kw: Any) -> uvicorn.Config:
    install_log_redaction()
    return uvicorn.Config(app, log_config=None, access_log=access_log, timeout_graceful_shutdown=3, **kw)


class _ForegroundServer(uvicorn.Server):
    """uvicorn whose SIGINT/SIGTERM stop it gracefully and let the process exit 0 (uvicorn itself
    raises the signal again once stopped, which ends the process with the signal's status)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve_forever(app: FastAPI, sock: socket.socket, access_log: bool = True) -> None:
    """Serve on a socket from :func:`bind_socket` until SIGINT/SIGTERM, then return."""
    server = _ForegroundServer(uvicorn_config(app, access_log=access_log))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class BackgroundServer:
    """uvicorn on a thread of its own, on a loopback port (0: any free one): tests and tools."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.sock = bind_socket(host, port)
        self.server = uvicorn.Server(uvicorn_config(app, access_log=False))
        self.thread = threading.Thread(target=self._run, name="linewatch-api", daemon=True)

    def _run(self) -> None:
        self.server.run(sockets=[self.sock])

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        host = self.sock.getsockname()[0]
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        """Graceful first (open event streams get ``timeout_graceful_shutdown``), then forced."""
        self.server.should_exit = True
        self.thread.join(timeout=8)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=5)
        self.sock.close()

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
