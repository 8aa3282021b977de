"""What a simulated element says: the Huawei VRP and ZTE ZXROS command lines and a TL1 agent.

A shell talks to a :class:`Terminal`, a raw character stream (an SSH channel without asyncssh's
line editor, or a telnet connection): it echoes what it reads itself, as the elements do, and
writes ``\\r\\n`` line ends. Each command's output is read from the device's outputs directory when
the command runs (:func:`agent.sim.config.output_file_name`), so a file changed between two polls
is what the next poll sees. A command with no file gets the platform's own error message; a
command with a ``<file>.hang`` file next to it makes the element stall (it never answers again).

* VRP: ``<hostname>`` prompt; ``screen-length 0 temporary`` turns paging off (until then output
  longer than ``page_lines`` stops at ``  ---- More ----`` and waits for a key: space for the next
  page, ``q`` to stop).
* ZXROS: ``hostname#`` prompt; ``terminal length 0`` turns paging off (``--More--``).
* TL1: commands end with ``;``. ``ACT-USER:[TID]:UID:CTAG::PID;`` logs in (``DENY PICC`` on a
  wrong user or password), ``CANC-USER`` logs out, ``INH-MSG-ALL`` / ``ALW-MSG-ALL`` are accepted,
  any other verb is answered from the outputs file named after the verb (its lines are the quoted
  response lines) with ``COMPLD``, ``DENY IICM`` when there is no such file, ``DENY PLNA`` before
  login. Each response ends with ``;`` and a ``<`` prompt.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from agent.sim.config import SimDevice, output_file_name

log = logging.getLogger(__name__)


class Terminal(Protocol):
    """A raw, bidirectional character stream to one client."""

    async def read(self, n: int) -> str:
        """Up to ``n`` characters; '' at end of stream."""
        ...

    def write(self, text: str) -> None: ...

    async def drain(self) -> None: ...


DeviceLookup = Callable[[], SimDevice | None]
"""Reads the device's current configuration (None: it was removed from the file)."""
PasswordCheck = Callable[[SimDevice, str, str], bool]


class Reader:
    """Line, key and TL1-command reads over a :class:`Terminal`, with the device's own echo."""

    def __init__(self, term: Terminal) -> None:
        self.term = term
        self._buf = ""
        self._eof = False
        self._skip_lf = False

    async def _more(self) -> bool:
        if self._eof:
            return False
        data = await self.term.read(1024)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    async def char(self) -> str | None:
        while not self._buf:
            if not await self._more():
                return None
        ch, self._buf = self._buf[0], self._buf[1:]
        return ch

    async def line(self, echo: bool = True) -> str | None:
        """One input line (CR, LF, CR LF or CR NUL end it); None at end of stream."""
        out: list[str] = []
        while True:
            ch = await self.char()
            if ch is None:
                return None if not out else "".join(out)
            if self._skip_lf:
                self._skip_lf = False
                if ch in "\n\x00":
                    continue
            if ch in "\r\n":
                self._skip_lf = ch == "\r"
                self.term.write("\r\n")
                return "".join(out)
            if ch in "\x08\x7f":
                if out:
                    out.pop()
                    if echo:
                        self.term.write("\x08 \x08")
                continue
            if ch == "\x00" or (ch < " " and ch != "\t"):
                continue
            out.append(ch)
            if echo:
                self.term.write(ch)

    async def key(self) -> str | None:
        ch = await self.char()
        while ch is not None and (ch == "\x00" or (self._skip_lf and ch == "\n")):
            self._skip_lf = False
            ch = await self.char()
        self._skip_lf = ch == "\r"
        return ch

    async def until(self, terminator: str) -> str | None:
        """Characters up to ``terminator`` (CR/LF dropped, nothing echoed); None at end of stream."""
        out: list[str] = []
        while True:
            ch = await self.char()
            if ch is None:
                return None
            if ch == terminator:
                return "".join(out)
            if ch not in "\r\n\x00":
                out.append(ch)


def hangs(device: SimDevice, base: Path, command: str) -> bool:
    """A ``<command file>.hang`` file next to the outputs makes the element stall on that command."""
    return (base / device.outputs / (output_file_name(command) + ".hang")).exists()


def read_output(device: SimDevice, base: Path, command: str) -> str | None:
    """The current content of the command's output file, or None when it has none."""
    path = base / device.outputs / output_file_name(command)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.error("%s: cannot read %s: %s", device.id, path, exc.strerror)
        return None
    return text.replace("\r\n", "\n").rstrip("\n")


async def _quiet(term: Terminal, reader: Reader) -> None:
    """The no_prompt mode: read and drop everything, answer nothing, until the client goes."""
    while await reader.char() is not None:
        pass


# -- VRP / ZXROS ------------------------------------------------------------------------------


class _Cli:
    """What differs between the two command lines."""

    def __init__(self, platform: str) -> None:
        self.vrp = platform == "huawei_vrp"
        self.more = "  ---- More ----" if self.vrp else " --More-- "
        self.paging_off = re.compile(
            r"^\s*screen-length\s+0(\s+temporary)?\s*$" if self.vrp else r"^\s*terminal\s+length\s+0\s*$", re.I
        )

    def prompt(self, name: str) -> str:
        return f"<{name}>" if self.vrp else f"{name}#"

    def banner(self, device: SimDevice) -> str:
        if self.vrp:
            return (
                "\r\nInfo: The max number of VTY users is 10, and the number\r\n"
                "      of current VTY users on line is 1.\r\n"
                f"      The current login time is {datetime.now().strftime('%Y-%m-%d %H:%M:%S')}+08:00.\r\n"
            )
        return f"\r\n{device.name} (ZXROS simulator)\r\n\r\n"

    def unknown(self, command: str, prompt: str) -> str:
        col = len(prompt) + max(0, len(command) - len(command.lstrip()))
        if self.vrp:
            return " " * col + "^\r\nError: Unrecognized command found at '^' position.\r\n"
        return " " * col + "^\r\n%Error 20200: Invalid input detected at '^' marker.\r\n"

    def paging_done(self) -> str:
        return (
            "Info: The configuration takes effect on the current user terminal interface only.\r\n" if self.vrp else ""
        )


async def telnet_login(term: Terminal, reader: Reader, device: SimDevice, check: PasswordCheck) -> bool:
    """Username/password prompts of a telnet VTY; three tries."""
    for _ in range(3):
        term.write("\r\nUsername:")
        user = await reader.line()
        if user is None:
            return False
        term.write("Password:")
        password = await reader.line(echo=False)
        if password is None:
            return False
        if check(device, user.strip(), password):
            return True
        term.write(
            "\r\nError: Failed to authenticate.\r\n" if device.platform == "huawei_vrp" else "\r\n% Bad password\r\n"
        )
        await term.drain()
    return False


async def cli_shell(term: Terminal, lookup: DeviceLookup, base: Path) -> None:
    """A VRP or ZXROS session after login, until quit or the end of the stream."""
    device = lookup()
    if device is None:
        return
    reader = Reader(term)
    if device.mode != "normal":
        await _quiet(term, reader)
        return
    cli = _Cli(device.platform)
    paging = True
    term.write(cli.banner(device))
    while True:
        device = lookup() or device
        prompt = cli.prompt(device.name)
        term.write(prompt)
        await term.drain()
        line = await reader.line()
        if line is None:
            return
        command = line.strip()
        if not command:
            continue
        if command.lower() in ("quit", "exit", "logout"):
            term.write("\r\n")
            await term.drain()
            return
        if cli.paging_off.match(command):
            paging = False
            term.write(cli.paging_done())
            continue
        if hangs(device, base, command):
            await _quiet(term, reader)
            return
        output = read_output(device, base, command)
        if output is None:
            term.write(cli.unknown(line, prompt))
            continue
        if not await _paged(term, reader, cli, output, device.page_lines if paging else 0):
            return


async def _paged(term: Terminal, reader: Reader, cli: _Cli, output: str, page: int) -> bool:
    """Write ``output`` a page at a time; False when the stream ended while waiting for a key."""
    lines = output.split("\n")
    while lines:
        chunk, lines = (lines[:page], lines[page:]) if page else (lines, [])
        term.write("".join(line + "\r\n" for line in chunk))
        if not lines:
            break
        term.write(cli.more)
        await term.drain()
        key = await reader.key()
        term.write("\r" + " " * len(cli.more) + "\r")
        if key is None:
            return False
        if key in "qQ\x03":
            break
    return True


# -- TL1 --------------------------------------------------------------------------------------


TL1_DENY_TEXT = {
    "PICC": "Privilege, Illegal Command Code (login refused)",
    "PLNA": "Privilege, Login Not Active",
    "IICM": "Input, Invalid CoMmand",
    "IISP": "Input, Invalid Syntax or Punctuation",
}


def tl1_header(sid: str) -> str:
    return f'\r\n\n   "{sid}" {datetime.now().strftime("%y-%m-%d %H:%M:%S")}\r\n'


def tl1_deny(sid: str, ctag: str, code: str) -> str:
    return f"{tl1_header(sid)}M  {ctag} DENY\r\n   {code}\r\n   /* {TL1_DENY_TEXT[code]} */\r\n;\r\n<"


def tl1_compld(sid: str, ctag: str, body: str = "") -> str:
    lines = "".join(f"{line}\r\n" for line in body.split("\n") if line.strip()) if body else ""
    return f"{tl1_header(sid)}M  {ctag} COMPLD\r\n{lines};\r\n<"


async def tl1_shell(term: Terminal, lookup: DeviceLookup, base: Path, check: PasswordCheck) -> None:
    """A TL1 agent: one command per ``;``; login with ACT-USER."""
    device = lookup()
    if device is None:
        return
    reader = Reader(term)
    if device.mode != "normal":
        await _quiet(term, reader)
        return
    user: str | None = None
    while True:
        text = await reader.until(";")
        if text is None:
            return
        device = lookup() or device
        parts = text.strip().split(":")
        verb = parts[0].strip().upper()
        if not verb:
            continue
        ctag = parts[3].strip() if len(parts) > 3 and parts[3].strip() else "0"
        sid = device.name
        if verb == "ACT-USER":
            uid = parts[2].strip() if len(parts) > 2 else ""
            pid = parts[5] if len(parts) > 5 else ""
            if uid and check(device, uid, pid):
                user = uid
                term.write(tl1_compld(sid, ctag))
            else:
                term.write(tl1_deny(sid, ctag, "PICC"))
        elif user is None:
            term.write(tl1_deny(sid, ctag, "PLNA"))
        elif verb == "CANC-USER":
            term.write(tl1_compld(sid, ctag))
            await term.drain()
            return
        elif verb in ("INH-MSG-ALL", "ALW-MSG-ALL"):
            term.write(tl1_compld(sid, ctag))
        elif hangs(device, base, verb):
            await _quiet(term, reader)
            return
        else:
            body = read_output(device, base, verb)
            term.write(tl1_deny(sid, ctag, "IICM") if body is None else tl1_compld(sid, ctag, body))
        await term.drain()


async def run_shell(term: Terminal, lookup: DeviceLookup, base: Path, check: PasswordCheck, *, login: bool) -> None:
    """The session of one connection; ``login`` asks for username/password first (telnet VTY)."""
    device = lookup()
    if device is None:
        return
    try:
        if device.platform == "tl1":
            await tl1_shell(term, lookup, base, check)
            return
        if login:
            if device.mode != "normal":
                await _quiet(term, Reader(term))
                return
            reader = Reader(term)
            if not await telnet_login(term, reader, device, check):
                return
            # the reader may hold what the client typed ahead: hand it on
            await cli_shell(_Prefixed(term, reader), lookup, base)
            return
        await cli_shell(term, lookup, base)
    except (ConnectionError, asyncio.IncompleteReadError, BrokenPipeError):
        return


class _Prefixed:
    """A terminal whose first reads return what a previous :class:`Reader` already buffered."""

    def __init__(self, term: Terminal, reader: Reader) -> None:
        self._term = term
        self._pending = reader._buf
        reader._buf = ""

    async def read(self, n: int) -> str:
        if self._pending:
            out, self._pending = self._pending[:n], self._pending[n:]
            return out
        return await self._term.read(n)

    def write(self, text: str) -> None:
        self._term.write(text)

    async def drain(self) -> None:
        await self._term.drain()
