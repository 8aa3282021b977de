"""SSH and telnet device simulator: Huawei VRP, ZTE ZXROS and TL1 elements on loopback ports.

Run it as its own process (the tests do, and so will the demo lab)::

    python -m agent.sim.ssh --config sim.yaml --ready-file ready.json

It listens on every device's ``listen`` address (port 0: a free port), writes the addresses it got
to the ready file (JSON ``{"pid": .., "devices": {id: {"host", "port", "transport", "platform"}}}``,
written once everything listens) and serves until SIGTERM or SIGINT. The configuration
(:mod:`agent.sim.config`) is read again on every connection and each command's output file on
every command, so editing them changes what the next poll sees.

SSH is served by asyncssh (password authentication against the device's current user and
password reference; a host key generated at start unless ``--host-key`` names one), telnet by a
plain TCP server that drops telnet option negotiation. The shells are in :mod:`agent.sim.shells`.
Logs name the device and the peer, never a password.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import click

from agent.sim.config import SimConfig, SimDevice, load_sim_config
from agent.sim.shells import run_shell
from correlator.configfile.errors import ConfigError
from correlator.secrets import SecretError, SecretResolver

log = logging.getLogger("agent.sim.ssh")

IAC, SB, SE = 255, 250, 240
WILL, WONT, DO, DONT = 251, 252, 253, 254


@dataclass(frozen=True)
class Listening:
    device: str
    host: str
    port: int
    transport: str
    platform: str


class Simulator:
    """Every device of one configuration file, listening in this event loop."""

    def __init__(
        self,
        config_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        host_key: asyncssh.SSHKey | None = None,
        login_timeout_s: float = 30.0,
    ) -> None:
        self.path = config_path.resolve()
        self.base = self.path.parent
        self.env = dict(env) if env is not None else dict(os.environ)
        self.config: SimConfig = load_sim_config(self.path)
        self._mtime = self._stat()
        self.host_key = host_key or asyncssh.generate_private_key("ssh-ed25519")
        self.login_timeout_s = login_timeout_s
        self.listening: dict[str, Listening] = {}
        self._sockets: list[socket.socket] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[socket.socket] = set()

    # -- configuration --------------------------------------------------------------------------

    def _stat(self) -> float:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return 0.0

    def device(self, device_id: str) -> SimDevice | None:
        """The device's current definition (the file is read again when it changed)."""
        mtime = self._stat()
        if mtime != self._mtime:
            self._mtime = mtime
            try:
                self.config = load_sim_config(self.path)
            except ConfigError as err:
                log.error("%s changed but is not valid, keeping the previous definition:\n%s", self.path, err)
        return self.config.device(device_id)

    def check_password(self, device: SimDevice, username: str, password: str) -> bool:
        if username != device.username:
            log.info("%s: login refused: unknown user", device.id)
            return False
        resolver = SecretResolver(self.base, self.config.secrets_file, self.env)
        try:
            expected = resolver.resolve(device.password).reveal()
        except SecretError as exc:
            log.error("%s: cannot check the password: %s", device.id, exc)
            return False
        if password != expected:
            log.info("%s: login refused: wrong password for user %s", device.id, username)
            return False
        return True

    # -- serving ----------------------------------------------------------------------------------

    async def start(self) -> dict[str, Listening]:
        """Bind every device's address and start accepting; returns where each one listens."""
        loop = asyncio.get_running_loop()
        for device in self.config.devices:
            family = socket.AF_INET6 if ":" in device.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((device.host, device.port))
            except OSError as exc:
                sock.close()
                await self.close()
                raise OSError(exc.errno, f"{device.id}: cannot listen on {device.listen}: {exc.strerror}") from None
            sock.listen(64)
            sock.setblocking(False)
            self._sockets.append(sock)
            host, port = sock.getsockname()[:2]
            self.listening[device.id] = Listening(device.id, host, port, device.transport, device.platform)
            self._spawn(self._accept(loop, sock, device.id))
            log.info("%s: %s %s on %s:%d", device.id, device.platform, device.transport, host, port)
        return dict(self.listening)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, device_id: str) -> None:
        while True:
            try:
                conn, peer = await loop.sock_accept(sock)
            except OSError as exc:
                log.error("%s: accept failed: %s", device_id, exc.strerror)
                await asyncio.sleep(0.1)
                continue
            self._spawn(self._serve(conn, peer, device_id))

    async def _serve(self, conn: socket.socket, peer: object, device_id: str) -> None:
        self._conns.add(conn)
        try:
            device = self.device(device_id)
            if device is None:
                log.info("%s: no longer in the configuration; connection from %s closed", device_id, peer)
                return
            log.info("%s: connection from %s (%s, mode %s)", device_id, peer, device.transport, device.mode)
            if device.mode == "no_banner":
                await _silent(conn)
            elif device.transport == "ssh":
                await self._serve_ssh(conn, device_id)
            else:
                await self._serve_telnet(conn, device_id)
        except (OSError, asyncssh.Error, asyncio.IncompleteReadError, TimeoutError) as exc:
            log.info("%s: connection from %s ended: %s", device_id, peer, type(exc).__name__)
        except Exception:
            log.exception("%s: session from %s failed", device_id, peer)
        finally:
            self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    async def _serve_ssh(self, conn: socket.socket, device_id: str) -> None:
        sim = self

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                device = sim.device(device_id)
                return device is not None and sim.check_password(device, username, password)

        async def process(proc: asyncssh.SSHServerProcess[str]) -> None:
            try:
                await run_shell(
                    _SshTerminal(proc), lambda: sim.device(device_id), sim.base, sim.check_password, login=False
                )
            finally:
                with contextlib.suppress(Exception):
                    proc.exit(0)

        server = await asyncssh.run_server(
            conn,
            server_host_keys=[self.host_key],
            server_factory=Server,
            process_factory=process,
            line_editor=False,
            encoding="utf-8",
            login_timeout=self.login_timeout_s,
            server_version="SIM_VRP",
        )
        await server.wait_closed()

    async def _serve_telnet(self, conn: socket.socket, device_id: str) -> None:
        reader, writer = await asyncio.open_connection(sock=conn)
        term = _TelnetTerminal(reader, writer)
        device = self.device(device_id)
        try:
            await run_shell(
                term,
                lambda: self.device(device_id),
                self.base,
                self.check_password,
                login=device is not None and device.platform != "tl1",
            )
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def close(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets.clear()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)


async def _silent(conn: socket.socket) -> None:
    """Hold an accepted connection without ever sending a byte, until the client goes."""
    loop = asyncio.get_running_loop()
    conn.setblocking(False)
    while await loop.sock_recv(conn, 4096):
        pass


class _SshTerminal:
    def __init__(self, proc: asyncssh.SSHServerProcess[str]) -> None:
        self.proc = proc

    async def read(self, n: int) -> str:
        try:
            return await self.proc.stdin.read(n)
        except (asyncssh.BreakReceived, asyncssh.SignalReceived, asyncssh.TerminalSizeChanged):
            return " "

    def write(self, text: str) -> None:
        self.proc.stdout.write(text)

    async def drain(self) -> None:
        await self.proc.stdout.drain()


class _TelnetTerminal:
    """Telnet as a raw character stream: IAC option negotiation is read and dropped."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._state = "data"

    def _strip(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            state = self._state
            if state == "data":
                if b == IAC:
                    self._state = "iac"
                else:
                    out.append(b)
            elif state == "iac":
                if b == IAC:
                    out.append(IAC)
                    self._state = "data"
                elif b in (WILL, WONT, DO, DONT):
                    self._state = "option"
                elif b == SB:
                    self._state = "sb"
                else:
                    self._state = "data"
            elif state == "option":
                self._state = "data"
            elif state == "sb":
                if b == IAC:
                    self._state = "sb_iac"
            elif state == "sb_iac":
                self._state = "data" if b == SE else "sb"
        return bytes(out)

    async def read(self, n: int) -> str:
        while True:
            data = await self.reader.read(n)
            if not data:
                return ""
            text = self._decoder.decode(self._strip(data))
            if text:
                return text

    def write(self, text: str) -> None:
        self.writer.write(text.encode("utf-8").replace(bytes([IAC]), bytes([IAC, IAC])))

    async def drain(self) -> None:
        await self.writer.drain()


def write_ready(path: Path, listening: Mapping[str, Listening]) -> None:
    """Write the ready file atomically (a reader never sees half of it)."""
    data = {
        "pid": os.getpid(),
        "devices": {
            d: {"host": entry.host, "port": entry.port, "transport": entry.transport, "platform": entry.platform}
            for d, entry in listening.items()
        },
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


async def serve(config: Path, ready_file: Path | None, host_key: Path | None) -> None:
    key = asyncssh.read_private_key(str(host_key)) if host_key is not None else None
    sim = Simulator(config, host_key=key)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    listening = await sim.start()
    for entry in listening.values():
        click.echo(f"{entry.device}: {entry.platform} over {entry.transport} on {entry.host}:{entry.port}", nl=True)
    sys.stdout.flush()
    if ready_file is not None:
        write_ready(ready_file, listening)
    try:
        await stop.wait()
    finally:
        await sim.close()


@click.command()
@click.option("--config", "config", required=True, type=click.Path(path_type=Path), help="the simulator's sim.yaml")
@click.option("--ready-file", type=click.Path(path_type=Path), help="write the bound addresses here (JSON)")
@click.option("--host-key", type=click.Path(path_type=Path), help="SSH host key (default: a new one per start)")
@click.option("-v", "--verbose", is_flag=True, help="log every connection")
def main(config: Path, ready_file: Path | None, host_key: Path | None, verbose: bool) -> None:
    """Serve simulated Huawei VRP, ZTE ZXROS and TL1 elements over SSH/telnet until SIGTERM."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(config, ready_file, host_key))
    except ConfigError as err:
        click.echo(str(err), err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"error: {exc.strerror or exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
