"""Real SNMP peers on loopback for the poll-engine tests: net-snmp's snmpd, snmpsim, and two
misbehaving UDP servers (garbage bytes; valid SNMP with the wrong request-id).

Ports come from 13000-13999 (this test area's range), picked free at run time. A Debian tool or
snmpsim that is missing skips the test, or fails it when CI is "true".

The fixtures are imported by the test modules that use them::

    from tests.agent.snmp.peers import snmpd_fixture, snmpsim_fixture  # noqa: F401  (fixtures)
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from correlator.configfile.daemon import CredentialSet, SnmpCredentials
from correlator.domain import DeviceKind, DeviceRole
from correlator.inventory.model import Device, Snmp
from correlator.secrets import SecretResolver
from tests.conftest import need as missing

PORTS = range(13000, 14000)
HOST = "127.0.0.1"
REAL = Path("/work/shared/real-devices")
"""The recordings of real elements (shared/real-devices, next to the project)."""
ROOT = Path(__file__).resolve().parents[3]

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_TYPE = "1.3.6.1.2.1.2.2.1.3"
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_LAST_CHANGE = "1.3.6.1.2.1.2.2.1.9"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
IF_COLUMNS = (IF_DESCR, IF_TYPE, IF_ADMIN, IF_OPER, IF_LAST_CHANGE, IF_NAME, IF_HIGH_SPEED, IF_ALIAS)


def real_devices() -> Path:
    for candidate in (REAL, ROOT.parent / "shared" / "real-devices"):
        if candidate.is_dir():
            return candidate
    return missing("the real-device recordings (shared/real-devices) are not next to the project", "fetch shared/")


def free_udp_port(host: str = HOST, ports: range = PORTS) -> int:
    candidates = list(ports)
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free UDP port in {ports.start}-{ports.stop - 1}")


def snmp_get_raw(host: str, port: int, community: str, oid: str, timeout: float = 0.5) -> Any:
    """One SNMPv2c GET over a plain socket (readiness probe); the value, or None on no answer."""
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = p.GetRequestPDU()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_varbinds(pdu, [(p.ObjectIdentifier(oid), p.Null(""))])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, community)
    p.apiMessage.set_pdu(msg, pdu)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(encoder.encode(msg), (host, port))
        try:
            data, _ = sock.recvfrom(65535)
        except TimeoutError:
            return None
    reply, _ = decoder.decode(data, asn1Spec=p.Message())
    return p.apiPDU.get_varbinds(p.apiMessage.get_pdu(reply))[0][1]


def _wait(proc: subprocess.Popen[bytes], host: str, port: int, community: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"SNMP agent exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            if snmp_get_raw(host, port, community, "1.3.6.1.2.1.1.3.0") is not None:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"SNMP agent on {host}:{port} did not answer: {log.read_text(errors='replace')[-2000:]}")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def snmpsim_binary() -> str | None:
    """snmpsim's command responder: the one in this virtual environment, else on PATH."""
    binary = Path(sys.executable).parent / "snmpsim-command-responder"
    return str(binary) if binary.exists() else shutil.which("snmpsim-command-responder")


def launch_snmpsim(
    binary: str, data_dir: Path, community: str, cache_dir: Path, log: Path, ports: range = PORTS
) -> tuple[subprocess.Popen[bytes], int]:
    """Start snmpsim on ``data_dir`` at a free loopback UDP port; returns once ``community`` answers
    a GET (three tries on fresh ports), with the process and its port."""
    for _attempt in range(3):
        port = free_udp_port(HOST, ports)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    binary,
                    f"--data-dir={data_dir}",
                    f"--agent-udpv4-endpoint={HOST}:{port}",
                    f"--cache-dir={cache_dir}",
                    "--log-level=error",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
            )
        try:
            _wait(proc, HOST, port, community, log)
        except RuntimeError:
            stop_process(proc)
            continue
        return proc, port
    raise RuntimeError(f"snmpsim did not answer for {data_dir}: {log.read_text(errors='replace')[-2000:]}")


# -- net-snmp snmpd --------------------------------------------------------------------------------

READY = "lw-ready"
"""A v2c community every test snmpd answers (readiness probe)."""


def snmpd_binary() -> str:
    found = shutil.which("snmpd") or ("/usr/sbin/snmpd" if Path("/usr/sbin/snmpd").exists() else None)
    if found is None:
        missing("net-snmp snmpd is not installed", "apt-get install snmpd (scripts/debian-packages.txt)")
    assert found is not None
    return found


def if_table_overrides(count: int, oper_down: Sequence[int] = (), columns: Sequence[str] = IF_COLUMNS) -> list[str]:
    """snmpd ``override`` lines serving an IF-MIB ifTable/ifXTable of ``count`` interfaces."""
    lines = []
    for i in range(1, count + 1):
        values = {
            IF_DESCR: f'octet_str "GigabitEthernet0/0/{i}"',
            IF_TYPE: "integer 6",
            IF_ADMIN: "integer 1",
            IF_OPER: f"integer {2 if i in oper_down else 1}",
            IF_LAST_CHANGE: "timeticks 12345",
            IF_NAME: f'octet_str "GE0/0/{i}"',
            IF_HIGH_SPEED: "unsigned 1000",
            IF_ALIAS: f'octet_str "line {i}"',
        }
        lines += [f"override .{column}.{i} {values[column]}" for column in columns]
    return lines


@dataclass
class SnmpdAgent:
    host: str
    port: int
    conf: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        stop_process(self.proc)


StartSnmpd = Callable[..., SnmpdAgent]


@pytest.fixture(name="snmpd")
def snmpd_fixture(tmp_path: Path) -> Iterator[StartSnmpd]:
    """``snmpd(lines, sys_object_id=..., exclude=...)`` starts net-snmp's snmpd on loopback with
    ``lines`` added to a config of its own (``-C``: system configs ignored)."""
    binary = snmpd_binary()
    started: list[SnmpdAgent] = []

    def start(
        lines: Sequence[str] = (),
        *,
        sys_object_id: str = "1.3.6.1.4.1.2011.2.224.279",
        sys_descr: str = "Huawei Versatile Routing Platform Software (test snmpd)",
        exclude: Sequence[str] = ("ifTable", "ifXTable", "interfaces"),
        host: str = HOST,
    ) -> SnmpdAgent:
        work = tmp_path / f"snmpd-{len(started)}"
        (work / "persist").mkdir(parents=True)
        conf = work / "snmpd.conf"
        conf.write_text(
            "\n".join(
                [
                    f"[snmp] persistentDir {work / 'persist'}",
                    f"rocommunity6 {READY} {host}" if ":" in host else f"rocommunity {READY} {host}",
                    f"sysObjectID .{sys_object_id}",
                    f"sysDescr {sys_descr}",
                    "dontLogTCPWrappersConnects yes",
                    *lines,
                ]
            )
            + "\n"
        )
        log = work / "snmpd.log"
        env = {**os.environ, "MIBS": "", "MIBDIRS": str(work / "no-mibs")}
        for _attempt in range(3):
            port = free_udp_port(host)
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [
                        binary,
                        "-f",
                        "-Lo",
                        "-C",
                        "-c",
                        str(conf),
                        "-p",
                        str(work / "snmpd.pid"),
                        "-I",
                        "-" + ",".join(["smux", *exclude]),
                        f"udp6:[{host}]:{port}" if ":" in host else f"udp:{host}:{port}",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            agent = SnmpdAgent(host, port, conf, proc)
            started.append(agent)
            try:
                _wait(proc, host, port, READY, log)
            except RuntimeError:
                agent.stop()
                continue
            return agent
        raise RuntimeError(f"snmpd did not start: {log.read_text(errors='replace')[-2000:]}")

    yield start
    for agent in started:
        agent.stop()


# -- snmpsim ---------------------------------------------------------------------------------------


@dataclass
class Simulator:
    host: str
    port: int
    data_dir: Path


StartSnmpsim = Callable[[dict[str, Path | str]], Simulator]


@pytest.fixture(name="snmpsim")
def snmpsim_fixture(tmp_path: Path) -> Iterator[StartSnmpsim]:
    """``snmpsim({"community": path_or_text, ...})`` serves each recording under its community."""
    found = snmpsim_binary()
    procs: list[subprocess.Popen[bytes]] = []

    def start(recordings: dict[str, Path | str]) -> Simulator:
        if found is None:
            missing("snmpsim-command-responder is not installed", "pip install snmpsim into .venv")
        assert found is not None
        data = tmp_path / f"snmpsim-{len(procs)}"
        data.mkdir()
        for community, source in recordings.items():
            text = source.read_text(encoding="iso-8859-1") if isinstance(source, Path) else source
            (data / f"{community}.snmprec").write_text(text, encoding="iso-8859-1")
        proc, port = launch_snmpsim(
            found, data, next(iter(recordings)), data.parent / (data.name + "-cache"), data.parent / f"{data.name}.log"
        )
        procs.append(proc)
        return Simulator(HOST, port, data)

    yield start
    for proc in procs:
        stop_process(proc)


def sorted_snmprec(text: str) -> str:
    """snmpsim binary-searches its files: lines must be in OID order."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    lines.sort(key=lambda line: tuple(int(p) for p in line.split("|", 1)[0].strip(".").split(".")))
    return "\n".join(lines) + "\n"


# -- misbehaving peers -----------------------------------------------------------------------------


class _Misbehaving(asyncio.DatagramProtocol):
    def __init__(self, answer: Callable[[bytes], bytes | None]) -> None:
        self.answer = answer
        self.transport: asyncio.DatagramTransport | None = None
        self.requests = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.requests += 1
        reply = self.answer(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


def garbage(data: bytes) -> bytes:
    """Random bytes that are not BER (a 0xFF first octet is no ASN.1 SEQUENCE)."""
    return b"\xff" + random.randbytes(random.randint(8, 64))


def wrong_request_id(data: bytes) -> bytes | None:
    """A well-formed SNMPv2c response to the request, with a request-id it never sent."""
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    try:
        request, _ = decoder.decode(data, asn1Spec=p.Message())
    except Exception:
        return None
    req_pdu = p.apiMessage.get_pdu(request)
    rsp = p.apiPDU.get_response(req_pdu)
    p.apiPDU.set_request_id(rsp, (int(p.apiPDU.get_request_id(req_pdu)) + 7777) % 2**31)
    p.apiPDU.set_varbinds(rsp, [(oid, p.OctetString(b"wrong")) for oid, _ in p.apiPDU.get_varbinds(req_pdu)])
    reply = p.Message()
    p.apiMessage.set_defaults(reply)
    p.apiMessage.set_community(reply, p.apiMessage.get_community(request))
    p.apiMessage.set_pdu(reply, rsp)
    return bytes(encoder.encode(reply))


async def misbehaving_server(
    answer: Callable[[bytes], bytes | None],
) -> tuple[asyncio.DatagramTransport, _Misbehaving, int]:
    loop = asyncio.get_running_loop()
    for _attempt in range(10):
        port = free_udp_port()
        try:
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: _Misbehaving(answer), local_addr=(HOST, port)
            )
        except OSError:
            continue
        return transport, protocol, port
    raise RuntimeError("no free port for the misbehaving server")


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def silent_port() -> int:
    """A loopback UDP port where nothing listens (an unreachable element)."""
    return free_udp_port()


# -- inventory and credentials ---------------------------------------------------------------------


def device(
    dev_id: str,
    port: int,
    *,
    credentials: str = "v2c",
    kind: DeviceKind = DeviceKind.cpe,
    host: str = HOST,
) -> Device:
    return Device(
        id=dev_id,
        name=dev_id,
        kind=kind,
        vendor="huawei",
        platform="test",
        role=DeviceRole.customer,
        site="SITE-1",
        mgmt_address=host,
        credentials=credentials,
        snmp=Snmp(port=port),
    )


def credential_sets(**sets: SnmpCredentials) -> dict[str, CredentialSet]:
    return {name: CredentialSet(snmp=creds) for name, creds in sets.items()}


def v2c(community_env: str) -> SnmpCredentials:
    return SnmpCredentials(version="v2c", community=f"env:{community_env}")


def resolver(**env: str) -> SecretResolver:
    return SecretResolver(Path("."), env=dict(env))


class _Proxy(asyncio.DatagramProtocol):
    """Forwards requests to a real agent and its replies back, until told to stop forwarding."""

    def __init__(self, upstream: tuple[str, int], forward: Callable[[int], bool], duplicate: bool = False) -> None:
        self.upstream = upstream
        self.forward = forward
        self.duplicate = duplicate
        self.requests = 0
        self.transport: asyncio.DatagramTransport | None = None
        self.clients: dict[int, tuple[Any, ...]] = {}
        self.links: dict[tuple[Any, ...], asyncio.DatagramTransport] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.requests += 1
        if not self.forward(self.requests):
            return
        link = self.links.get(addr)
        if link is not None:
            link.sendto(data)
            return
        asyncio.get_running_loop().create_task(self._open(data, addr))

    async def _open(self, data: bytes, addr: tuple[Any, ...]) -> None:
        proxy = self

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, reply: bytes, _: tuple[Any, ...]) -> None:
                if proxy.transport is not None:
                    proxy.transport.sendto(reply, addr)
                    if proxy.duplicate:
                        proxy.transport.sendto(reply, addr)

        link, _ = await asyncio.get_running_loop().create_datagram_endpoint(Back, remote_addr=self.upstream)
        self.links[addr] = link
        link.sendto(data)

    def close(self) -> None:
        for link in self.links.values():
            link.close()
        if self.transport is not None:
            self.transport.close()


async def proxy_server(
    upstream: tuple[str, int], forward: Callable[[int], bool], duplicate: bool = False
) -> tuple[_Proxy, int]:
    """A UDP proxy on loopback in front of ``upstream`` that forwards request n only if ``forward(n)``
    (and sends every reply twice if ``duplicate``)."""
    loop = asyncio.get_running_loop()
    for _attempt in range(10):
        port = free_udp_port()
        try:
            _, protocol = await loop.create_datagram_endpoint(
                lambda: _Proxy(upstream, forward, duplicate), local_addr=(HOST, port)
            )
        except OSError:
            continue
        return protocol, port
    raise RuntimeError("no free port for the proxy")
