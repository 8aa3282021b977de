"""UDP relays: each lab element's management address forwards SNMP to its simulated engine.

snmpsim serves every element from one process, each on the element's own address at the lab's
engine port (16161); a relay listens on the element's management address and SNMP port
(``mgmt_address:snmp.port`` from the inventory, a distinct 127.x address each) and passes
datagrams both ways. Blocking an element makes its relay drop everything,
which is what the agent of a real network sees of an element that is powered off or cut off from
the management network: silence, then DEVICE_UNREACHABLE after a few polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from dataclasses import dataclass, field
from typing import cast

log = logging.getLogger("agent.sim.relay")

IDLE_S = 120.0
"""An upstream socket of one client unused this long is closed."""


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, relay: DeviceRelay, client: tuple[str, int]) -> None:
        self.relay = relay
        self.client = client
        self.transport: asyncio.DatagramTransport | None = None
        self.used = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.used = time.monotonic()
        self.relay.answer(data, self.client)

    def error_received(self, exc: Exception) -> None:
        log.debug("%s: back end error %s", self.relay.device, exc)


@dataclass
class DeviceRelay(asyncio.DatagramProtocol):
    device: str
    backend: tuple[str, int]
    blocked: set[str]
    """Shared: element ids whose relay drops everything."""
    front: asyncio.DatagramTransport | None = None
    upstreams: dict[tuple[str, int], _Upstream] = field(default_factory=dict)
    pending: dict[tuple[str, int], list[bytes]] = field(default_factory=dict)
    relayed: int = 0
    answered: int = 0
    dropped: int = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.front = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.device in self.blocked:
            self.dropped += 1
            return
        up = self.upstreams.get(addr)
        if up is not None and up.transport is not None and not up.transport.is_closing():
            up.used = time.monotonic()
            up.transport.sendto(data)
            self.relayed += 1
            return
        queued = self.pending.get(addr)
        if queued is not None:
            queued.append(data)
            return
        self.pending[addr] = [data]
        asyncio.get_running_loop().create_task(self._open(addr))

    async def _open(self, client: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, proto = await loop.create_datagram_endpoint(lambda: _Upstream(self, client), remote_addr=self.backend)
        except OSError as exc:
            log.error("%s: cannot reach the simulator at %s:%d: %s", self.device, *self.backend, exc)
            self.pending.pop(client, None)
            return
        self.upstreams[client] = proto
        for data in self.pending.pop(client, []):
            if proto.transport is not None and self.device not in self.blocked:
                proto.transport.sendto(data)
                self.relayed += 1

    def answer(self, data: bytes, client: tuple[str, int]) -> None:
        if self.device in self.blocked or self.front is None:
            return
        self.answered += 1
        self.front.sendto(data, client)

    def sweep(self, now: float) -> None:
        for client, up in list(self.upstreams.items()):
            if now - up.used > IDLE_S:
                if up.transport is not None:
                    up.transport.close()
                del self.upstreams[client]

    def close(self) -> None:
        for up in self.upstreams.values():
            if up.transport is not None:
                up.transport.close()
        self.upstreams.clear()
        if self.front is not None:
            self.front.close()
            self.front = None


class RelayError(OSError):
    """A management address cannot be bound; the message names the element and the fix."""


class Relays:
    """One relay per element; :attr:`blocked` says which ones are silent."""

    def __init__(self) -> None:
        self.blocked: set[str] = set()
        self.relays: dict[str, DeviceRelay] = {}
        self._sweeper: asyncio.Task[None] | None = None

    async def add(self, device: str, listen: tuple[str, int], backend: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        relay = DeviceRelay(device, backend, self.blocked)
        try:
            await loop.create_datagram_endpoint(lambda: relay, local_addr=listen)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM):
                hint = (
                    "ports below 1024 need root or CAP_NET_BIND_SERVICE: run `linewatch lab start` as root, or give "
                    "the lab elements an unprivileged snmp.port in the inventory"
                )
            elif exc.errno == errno.EADDRINUSE:
                hint = "another process holds it: another lab running? (`linewatch lab status`, `linewatch lab stop`)"
            else:
                hint = "is the address on a local interface? (127.0.0.0/8 is, on Linux)"
            raise RelayError(
                exc.errno, f"{device}: cannot listen on {listen[0]}:{listen[1]}/udp: {exc.strerror} ({hint})"
            ) from None
        self.relays[device] = relay
        if self._sweeper is None:
            self._sweeper = loop.create_task(self._sweep())

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(IDLE_S / 2)
            now = time.monotonic()
            for relay in self.relays.values():
                relay.sweep(now)

    def block(self, devices: set[str]) -> None:
        self.blocked.clear()
        self.blocked.update(devices)

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for relay in self.relays.values():
            relay.close()
        self.relays.clear()
