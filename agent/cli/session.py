"""One CLI session with one element: connect, log in, turn paging off, run the commands, log out.

:func:`run_session` drives netmiko (blocking; the pool runs it in a worker thread) and never
raises: every failure is classified into a :class:`~agent.cli.errors.CliFailure` and returned in
the :class:`SessionResult` with the outputs of the commands that did complete.

* **Transport**: SSH or telnet, by the credential set (or the element's override); the netmiko
  driver is the platform's ``device_type`` for that transport (checked when the platform loads).
* **Timeouts**: the TCP connect (``connect_s``, our own socket for SSH so a refused port and a
  silent one are told apart), the SSH banner and authentication, and every read (``read_s``:
  netmiko's ``read_timeout_override``, so the wait for the first prompt and for each command's
  output are bounded by it). The pool adds a hard limit on the whole session on top
  (:meth:`SessionHandle.abort` closes the sockets under a hung session).
* **Phases** decide what a timeout means: before the login completes it is ``timeout`` (SSH) or,
  over telnet, ``auth_failed`` / ``no_prompt`` by what the element said (the in-memory transcript);
  after login and before the first prompt it is ``no_prompt``; during a command it is ``timeout``
  and the session stops there (the commands before it keep their outputs).
* **Login sequences** (``Dialect.login``, TL1): the generic terminal driver connects without a CLI
  login, then each login line is sent with ``{username}``, ``{password}``, ``{tid}``, ``{ctag}``
  filled in (``ACT-USER:{tid}:{username}:{ctag}::{password};``, ``INH-MSG-ALL:{tid}::{ctag};``).
  A TL1 response is read up to the ``;`` that ends the block of its ctag (``>``-ended partial
  blocks included; autonomous messages in between are kept for the parser to skip); a line
  without ``{ctag}`` is read up to the platform's ``expect``. ``DENY`` of the login line that
  carries the password is ``auth_failed`` (of another login line, a note); ``DENY`` of a command
  fails that command only (``protocol_error`` with the TL1 error code). Commands get a fresh ctag
  each (:attr:`SessionResult.ctags`, for the parser); ``logout`` lines are sent at the end.
* **Secrets**: the password is handed to netmiko only (whose own filter hides it in its debug
  log), the session log goes to memory only and is never written out, and every message built from
  an exception is scrubbed of the password and the enable secret (:func:`~agent.cli.errors.scrub`).
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import re
import socket
import string
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agent.cli.errors import CliError, CliFailure, scrub
from correlator.secrets import Secret

log = logging.getLogger(__name__)

Transport = Literal["ssh", "telnet"]


@dataclass(frozen=True)
class Target:
    """Where and as whom to log in. ``password``/``secret`` are revealed only when handed to netmiko."""

    device: str
    host: str
    port: int
    transport: Transport
    username: str
    password: Secret
    secret: Secret | None = None
    tl1_tid: str = ""

    def secrets(self) -> list[str]:
        return [s.reveal() for s in (self.password, self.secret) if s is not None and s.reveal()]


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 10.0
    banner_s: float = 10.0
    auth_s: float = 10.0
    read_s: float = 30.0


@dataclass(frozen=True)
class Dialect:
    """How to drive one platform's sessions (built from :class:`agent.cli.platform.Platform`)."""

    name: str
    device_type: str
    """The netmiko driver for the transport in use."""
    paging_off: tuple[str, ...] = ()
    prompt: str | None = None
    """Regex that ends a command's output; None: netmiko's prompt detection."""
    login: tuple[str, ...] = ()
    """Lines sent after connecting (TL1 ACT-USER); placeholders {username} {password} {tid} {ctag}."""
    logout: tuple[str, ...] = ()
    """Lines sent, without waiting for an answer, before the connection is closed."""
    expect: str | None = None
    """Regex that ends a response of a login-sequence platform when the line has no {ctag}."""

    @property
    def tl1(self) -> bool:
        return bool(self.login)


@dataclass(frozen=True)
class Command:
    key: str
    text: str


@dataclass
class SessionResult:
    outputs: dict[str, str] = field(default_factory=dict)
    """Command key -> raw output, for the commands that completed."""
    failures: dict[str, CliError] = field(default_factory=dict)
    """Command key -> why that command gave no output (the session went on or stopped)."""
    error: CliError | None = None
    """Why the session stopped before every command ran (None: every command was tried)."""
    logged_in: bool = False
    ctags: dict[str, str] = field(default_factory=dict)
    """Command key -> the TL1 correlation tag it was sent with."""
    notes: list[str] = field(default_factory=list)
    """Things worth a warning that did not fail anything (a login line other than ACT-USER denied)."""
    duration_s: float = 0.0
    """From the TCP connect to the close (time spent waiting for a worker not included)."""


class SessionAborted(Exception):
    """Raised inside the session's thread at its next read after :meth:`SessionHandle.abort`."""


class SessionHandle:
    """Lets another thread abort a session: the session's next read raises :class:`SessionAborted`
    (netmiko polls the channel, so a closed socket alone would only end the read at its timeout),
    and its socket and netmiko channel are closed (which ends a blocking connect or handshake)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._conn: Any = None
        self.aborted = False

    def attach(self, *, sock: socket.socket | None = None, conn: Any = None) -> None:
        with self._lock:
            if sock is not None:
                self._sock = sock
            if conn is not None:
                self._conn = conn
            aborted = self.aborted
        if aborted:
            self._close()

    def abort(self) -> None:
        """Make every blocking read of the session fail now (safe from any thread, idempotent)."""
        with self._lock:
            self.aborted = True
        self._close()

    def _close(self) -> None:
        with self._lock:
            sock, conn = self._sock, self._conn
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if conn is not None:
            for name in ("remote_conn", "remote_conn_pre"):
                part = getattr(conn, name, None)
                if part is not None:
                    with contextlib.suppress(Exception):
                        part.close()


_LOGIN_PROMPT = re.compile(r"(user ?name|login|user:|password)", re.I)
_LOGIN_REFUSED = re.compile(r"(fail|denied|incorrect|invalid|bad password|wrong)", re.I)


class _Transcript(io.BytesIO):
    """The in-memory session log (netmiko hides the password in it); read only to classify."""

    def text(self) -> str:
        return self.getvalue().decode("utf-8", errors="replace")


def run_session(
    target: Target,
    dialect: Dialect,
    commands: Sequence[Command],
    timeouts: Timeouts,
    handle: SessionHandle | None = None,
) -> SessionResult:
    """Run one session; never raises (every failure is in the result)."""
    handle = handle or SessionHandle()
    session = _Session(target, dialect, timeouts, handle)
    started = time.perf_counter()
    try:
        return session.run(commands)
    finally:
        session.close()
        session.result.duration_s = time.perf_counter() - started


class _Session:
    def __init__(self, target: Target, dialect: Dialect, timeouts: Timeouts, handle: SessionHandle) -> None:
        self.t = target
        self.d = dialect
        self.to = timeouts
        self.handle = handle
        self.secrets = target.secrets()
        self.conn: Any = None
        self.sock: socket.socket | None = None
        self.transcript = _Transcript()
        self.phase: Literal["connect", "login", "prompt", "command"] = "connect"
        self.result = SessionResult()
        self.ctag = 0

    # -- messages -------------------------------------------------------------------------------

    def _where(self) -> str:
        return f"{self.t.device} ({self.t.transport} {self.t.host}:{self.t.port})"

    def _error(self, reason: CliFailure, what: str, exc: BaseException | None = None) -> CliError:
        detail = ""
        if exc is not None:
            first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
            detail = f" [{type(exc).__name__}{': ' + first[:200] if first else ''}]"
        return CliError(reason, scrub(f"{self._where()}: {what}{detail}", self.secrets))

    # -- running --------------------------------------------------------------------------------

    def run(self, commands: Sequence[Command]) -> SessionResult:
        try:
            self._open()
            self.result.logged_in = True
            if self.d.tl1:
                self._tl1_commands(commands)
            else:
                self._cli_commands(commands)
        except CliError as err:
            self.result.error = err
        except Exception as exc:  # a library surprise: classified by the phase it happened in
            self.result.error = self._classify(exc)
        if self.handle.aborted and self.result.error is not None:
            self.result.error = CliError(
                CliFailure.timeout,
                f"{self._where()}: the session did not finish in time and was closed "
                f"(in phase {self.phase}: {self.result.error.message})",
            )
        return self.result

    def _open(self) -> None:
        from netmiko import ConnectHandler

        params: dict[str, Any] = {
            "device_type": self.d.device_type,
            "host": self.t.host,
            "port": self.t.port,
            "username": self.t.username,
            "password": self.t.password.reveal(),
            "conn_timeout": self.to.connect_s,
            "banner_timeout": self.to.banner_s,
            "auth_timeout": self.to.auth_s,
            "read_timeout_override": self.to.read_s,
            "blocking_timeout": max(self.to.read_s, 1.0),
            "session_timeout": max(self.to.read_s, 1.0),
            "session_log": self.transcript,
            "auto_connect": False,
            "allow_agent": False,
            "use_keys": False,
            "ssh_config_file": None,
        }
        if self.t.secret is not None:
            params["secret"] = self.t.secret.reveal()
        if self.t.transport == "ssh":
            self.sock = self._connect_tcp()
            params["sock"] = self.sock
        self.conn = ConnectHandler(**params)
        read_channel = self.conn.read_channel

        def checked_read() -> str:
            if self.handle.aborted:
                raise SessionAborted(f"{self._where()}: session aborted")
            return str(read_channel())

        self.conn.read_channel = checked_read
        self.handle.attach(conn=self.conn)
        self.phase = "login"
        try:
            self.conn._modify_connection_params()
            self.conn.establish_connection()
        except Exception as exc:
            raise self._login_failure(exc) from None
        self.phase = "prompt"
        try:
            self.conn._try_session_preparation()
        except Exception as exc:
            raise self._error(
                CliFailure.no_prompt, f"logged in, but no command prompt within {self.to.read_s:g} s", exc
            ) from None
        if self.d.tl1:
            self._tl1_login()
        else:
            self._prepare_cli()
        self.phase = "command"

    def _connect_tcp(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.t.host, self.t.port), timeout=self.to.connect_s)
        except ConnectionRefusedError:
            raise self._error(CliFailure.refused, "connection refused (nothing listens on the port?)") from None
        except TimeoutError:
            raise self._error(CliFailure.timeout, f"no TCP connection within {self.to.connect_s:g} s") from None
        except OSError as exc:
            if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                raise self._error(CliFailure.unreachable, "no route to the element", exc) from None
            raise self._error(CliFailure.protocol_error, "cannot connect", exc) from None
        self.handle.attach(sock=sock)
        return sock

    def _login_failure(self, exc: BaseException) -> CliError:
        from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout
        from paramiko.ssh_exception import SSHException

        if self.t.transport == "ssh":
            if isinstance(exc, NetmikoAuthenticationException):
                return self._error(CliFailure.auth_failed, f"SSH login refused for user {self.t.username}")
            if isinstance(exc, ReadTimeout | NetmikoTimeoutException) and self._authenticated():
                return self._error(
                    CliFailure.no_prompt, f"logged in, but no command prompt within {self.to.read_s:g} s", exc
                )
            context = exc.__context__ if exc.__context__ is not None else exc
            text = str(context).lower()
            if "banner" in text or "no existing session" in text or isinstance(context, TimeoutError | socket.timeout):
                return self._error(
                    CliFailure.timeout, f"no SSH banner within {self.to.banner_s:g} s (the port accepts, SSH silent)"
                )
            if isinstance(context, EOFError | ConnectionError) or "closed" in text:
                return self._error(CliFailure.protocol_error, "the element closed the connection during login", exc)
            if isinstance(context, SSHException):
                return self._error(CliFailure.protocol_error, "SSH negotiation failed", context)
            return self._error(CliFailure.protocol_error, "SSH login failed", exc)
        # telnet: the socket is netmiko's
        if isinstance(exc, ConnectionRefusedError):
            return self._error(CliFailure.refused, "connection refused (nothing listens on the port?)")
        if isinstance(exc, TimeoutError | socket.timeout) and not self.transcript.getvalue():
            return self._error(CliFailure.timeout, f"no TCP connection within {self.to.connect_s:g} s")
        if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return self._error(CliFailure.unreachable, "no route to the element", exc)
        seen = self.transcript.text()
        prompts = _LOGIN_PROMPT.findall(seen)
        if not prompts:
            return self._error(CliFailure.no_prompt, f"connected, but no login prompt within {self.to.read_s:g} s")
        if len(prompts) > 2 or _LOGIN_REFUSED.search(seen):
            return self._error(CliFailure.auth_failed, f"telnet login refused for user {self.t.username}")
        if isinstance(exc, NetmikoAuthenticationException | ReadTimeout | NetmikoTimeoutException):
            return self._error(CliFailure.no_prompt, "logged in, but no command prompt came")
        return self._error(CliFailure.protocol_error, "telnet login failed", exc)

    def _authenticated(self) -> bool:
        pre = getattr(self.conn, "remote_conn_pre", None)
        transport = pre.get_transport() if pre is not None else None
        return bool(transport is not None and transport.is_authenticated())

    def _classify(self, exc: BaseException) -> CliError:
        from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

        if self.phase in ("connect", "login"):
            return self._login_failure(exc)
        if self.phase == "prompt":
            return self._error(CliFailure.no_prompt, "no command prompt", exc)
        if isinstance(exc, ReadTimeout | NetmikoTimeoutException | TimeoutError):
            return self._error(CliFailure.timeout, f"no prompt after a command within {self.to.read_s:g} s", exc)
        if isinstance(exc, OSError | EOFError):
            return self._error(CliFailure.protocol_error, "the element closed the connection", exc)
        return self._error(CliFailure.protocol_error, "unexpected failure", exc)

    # -- CLI ------------------------------------------------------------------------------------

    def _send(self, text: str) -> str:
        kwargs: dict[str, Any] = {"read_timeout": self.to.read_s}
        if self.d.prompt:
            kwargs["expect_string"] = self.d.prompt
        out = self.conn.send_command(text, **kwargs)
        return out if isinstance(out, str) else str(out)

    def _prepare_cli(self) -> None:
        from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

        if self.t.secret is not None:
            with contextlib.suppress(AttributeError, NotImplementedError):
                if not self.conn.check_enable_mode():
                    self.conn.enable()
        for command in self.d.paging_off:
            try:
                self._send(command)
            except (ReadTimeout, NetmikoTimeoutException) as exc:
                raise self._error(CliFailure.no_prompt, f"no prompt after '{command}' (paging off)", exc) from None

    def _cli_commands(self, commands: Sequence[Command]) -> None:
        from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

        for command in commands:
            try:
                self.result.outputs[command.key] = self._send(command.text)
            except (ReadTimeout, NetmikoTimeoutException) as exc:
                err = self._error(
                    CliFailure.timeout,
                    f"'{command.text}': output did not end with the prompt within {self.to.read_s:g} s",
                    exc,
                )
                self.result.failures[command.key] = err
                raise err from None
            except (OSError, EOFError) as exc:
                err = self._error(
                    CliFailure.protocol_error, f"'{command.text}': the element closed the connection", exc
                )
                self.result.failures[command.key] = err
                raise err from None

    # -- login sequences (TL1) -------------------------------------------------------------

    def _next_ctag(self) -> str:
        self.ctag += 1
        return str(self.ctag)

    def _fill(self, template: str, ctag: str, *, password: bool = False) -> str:
        values = {"tid": self.t.tl1_tid, "ctag": ctag, "username": self.t.username}
        if password:
            values["password"] = self.t.password.reveal()
        return fill(template, values)

    def _exchange(self, text: str, ctag: str | None) -> str:
        """Write one line, read its whole response: up to the ``;`` of ``ctag``'s block, or up to
        the platform's ``expect`` (or prompt) when the line carries no ctag."""
        self.conn.write_channel(text + "\r\n")
        if ctag is None:
            pattern = self.d.expect or self.d.prompt or r"^\s*;"
            return str(self.conn.read_until_pattern(pattern=pattern, read_timeout=self.to.read_s, re_flags=re.M))
        pattern = rf"^M\s+{re.escape(ctag)}\s+(?:COMPLD|DENY|PRTL|DELAY|RTRV)\b[\s\S]*?^\s*;"
        out = str(self.conn.read_until_pattern(pattern=pattern, read_timeout=self.to.read_s, re_flags=re.M))
        return _from_header(out, ctag)

    def _tl1_login(self) -> None:
        from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

        for template in self.d.login:
            ctag = self._next_ctag() if "{ctag}" in template else None
            verb = template.split(":", 1)[0].strip() or "login"
            try:
                response = self._exchange(self._fill(template, ctag or "", password=True), ctag)
            except (ReadTimeout, NetmikoTimeoutException) as exc:
                raise self._error(
                    CliFailure.no_prompt, f"no answer to {verb} within {self.to.read_s:g} s (TL1 agent silent)", exc
                ) from None
            if ctag is None:
                continue
            status, code = tl1_status(response, ctag)
            if status == "COMPLD":
                continue
            verdict = f"{_verdict(status)}{f' ({code})' if code else ''}"
            if "{password}" in template:
                raise self._error(CliFailure.auth_failed, f"TL1 {verb} for user {self.t.username} {verdict}")
            self.result.notes.append(f"{self._where()}: TL1 {verb} {verdict}; going on")

    def _tl1_commands(self, commands: Sequence[Command]) -> None:
        from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

        for command in commands:
            ctag = self._next_ctag() if "{ctag}" in command.text else None
            text = self._fill(command.text, ctag or "")
            verb = text.split(":", 1)[0].strip()
            if ctag is not None:
                self.result.ctags[command.key] = ctag
            try:
                response = self._exchange(text, ctag)
            except (ReadTimeout, NetmikoTimeoutException) as exc:
                err = self._error(CliFailure.timeout, f"{verb}: no complete response within {self.to.read_s:g} s", exc)
                self.result.failures[command.key] = err
                raise err from None
            except (OSError, EOFError) as exc:
                err = self._error(CliFailure.protocol_error, f"{verb}: the element closed the connection", exc)
                self.result.failures[command.key] = err
                raise err from None
            status, code = tl1_status(response, ctag) if ctag is not None else ("", "")
            if status == "DENY":
                self.result.failures[command.key] = self._error(
                    CliFailure.protocol_error, f"{verb} denied by the element{f' ({code})' if code else ''}"
                )
                continue
            self.result.outputs[command.key] = response

    # -- closing --------------------------------------------------------------------------------

    def close(self) -> None:
        """Log out (the logout lines, not waiting for answers) and close; netmiko's own clean-up,
        which probes for configuration mode and waits for the line to go quiet, is skipped: these
        sessions only read."""
        conn = self.conn
        if conn is not None and self.result.logged_in and not self.handle.aborted and self.d.logout:
            with contextlib.suppress(Exception):
                for template in self.d.logout:
                    line = self._fill(template, self._next_ctag())
                    conn.write_channel(line + ("\r\n" if self.d.tl1 else conn.RETURN))
                time.sleep(0.05)
        if conn is not None:
            conn.cleanup = _no_cleanup
            with contextlib.suppress(Exception):
                conn.disconnect()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.transcript.seek(0)
        self.transcript.truncate()


def _no_cleanup(command: str = "") -> None:
    return None


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with its ``{name}`` placeholders filled in (unknown names become '')."""
    out: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


_IDENT = r"^M\s+{ctag}\s+(COMPLD|DENY|PRTL|DELAY|RTRV)\b"


def tl1_status(response: str, ctag: str) -> tuple[str, str]:
    """(completion code, error code) of ``ctag``'s response: DENY wins over any other block."""
    found = re.findall(_IDENT.format(ctag=re.escape(ctag)), response, flags=re.M)
    status = "DENY" if "DENY" in found else (found[-1] if found else "")
    code = ""
    if status == "DENY":
        match = re.search(rf"^M\s+{re.escape(ctag)}\s+DENY\s*\n\s*([A-Z]{{4}})\b", response, flags=re.M)
        code = match.group(1) if match else ""
    return status, code


def _verdict(status: str) -> str:
    return "denied" if status == "DENY" else f"answered {status}" if status else "not answered"


def _from_header(out: str, ctag: str) -> str:
    """The response from the header line of its first block on (drops the prompt and echo before)."""
    first = re.search(rf"^M\s+{re.escape(ctag)}\s", out, flags=re.M)
    if first is None:
        return out
    header_end = out.rfind("\n", 0, first.start())
    header_start = out.rfind("\n", 0, max(header_end, 0))
    return out[header_start + 1 :].lstrip("\r\n")
