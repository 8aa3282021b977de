"""One pysnmp engine shared by every element an agent polls, and the sessions opened on it.

:class:`SnmpClient` owns the :class:`~pysnmp.entity.engine.SnmpEngine` (with the flat SNMPv2c
decoding spec of :mod:`agent.snmp.fastspec`), one UDP socket per address family (with a large
receive buffer, so that replies of many elements polled at once are not dropped by the kernel), and
pysnmp's local configuration: one community or v3 user and one target-parameters row per credential
set, shared by the elements that use it (an element itself costs no pysnmp configuration: its
address travels with each request, see :mod:`agent.snmp.sender`). It opens a
:class:`~agent.snmp.session.SnmpSession` per element and closes it when the element goes away.

It also watches what arrives: a datagram that pysnmp could not use (not BER, not SNMP, or an SNMP
response with a request-id we never sent) is counted per sender, so that a request that then times
out is reported as ``malformed`` ("it answers, with garbage") and not as ``timeout`` ("it is
silent"). A late copy of a reply to a request that was retried is recognised by its request-id and
not counted.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.hlapi.v3arch.asyncio import CommunityData, UsmUserData

from agent.snmp import fastspec
from agent.snmp.auth import CredentialError, SnmpAuth, build_auth
from agent.snmp.sender import Sender, Target, request_id
from agent.snmp.session import Peer, SnmpSession
from correlator.configfile.daemon import SnmpCredentials
from correlator.secrets import SecretResolver

log = logging.getLogger(__name__)

DEFAULT_RECEIVE_BUFFER = 4 * 1024 * 1024
"""Bytes asked for the UDP receive buffer (the kernel caps it at net.core.rmem_max)."""
SENT_IDS_KEPT = 16
"""Request-ids remembered per element, to tell a late reply to a retried request (harmless) from
a reply with a request-id never sent (malformed)."""

_ACCEPTED = "rfc3412.receiveMessage:response"
_SECURITY_LEVELS = {"noAuthNoPriv": 1, "authNoPriv": 2, "authPriv": 3}
"""SNMP-TARGET-MIB SnmpSecurityLevel values, as pysnmp's dispatcher takes them."""


@dataclass
class _Refs:
    """pysnmp configuration rows shared by sessions, with use counts."""

    communities: dict[str, int] = field(default_factory=dict)
    users: dict[str, tuple[UsmUserData, int]] = field(default_factory=dict)
    params: dict[tuple[Any, ...], tuple[str, int]] = field(default_factory=dict)
    """(securityName, level, mp model) -> (row name, uses): pysnmp's v1/v2c security model finds a
    community's security model through these rows."""


class SnmpClient:
    """The agent's SNMP engine. Create it inside the running event loop; ``close()`` when done."""

    def __init__(self, *, receive_buffer: int = DEFAULT_RECEIVE_BUFFER, fast_decode: bool = True) -> None:
        self.engine = SnmpEngine()
        if fast_decode:
            fastspec.install(self.engine)
        self._receive_buffer = receive_buffer
        self._domains: dict[int, tuple[int, ...]] = {}
        self._refs = _Refs()
        self._community_index: dict[tuple[str, str], str] = {}
        self._sessions: dict[str, SnmpSession] = {}
        self._rejected: Counter[Peer] = Counter()
        self._v3_reports: Counter[Peer] = Counter()
        self._answered: set[Peer] = set()
        self._sent: dict[Peer, deque[int]] = {}
        self._accepted = False
        self._closed = False
        self._open_transport(socket.AF_INET)
        self.engine.observer.register_observer(self._on_accepted, _ACCEPTED)
        self._tap()
        self.sender = Sender(self.engine)
        (self._admin_string,) = self.engine.get_mib_builder().import_symbols("SNMP-FRAMEWORK-MIB", "SnmpAdminString")
        self._ticks_per_second = 1 / self.engine.transport_dispatcher.get_timer_resolution()

    # -- transports and the receive tap ---------------------------------------------------------

    def _open_transport(self, family: int) -> tuple[int, ...]:
        known = self._domains.get(family)
        if known is not None:
            return known
        domain: tuple[int, ...]
        if family == socket.AF_INET:
            proto, domain, bind = udp.UdpAsyncioTransport, tuple(udp.DOMAIN_NAME), ("0.0.0.0", 0)
        else:
            proto, domain, bind = udp6.Udp6AsyncioTransport, tuple(udp6.DOMAIN_NAME), ("::", 0)
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self._receive_buffer)
            sock.bind(bind)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        transport = proto().open_server_mode(sock=sock)
        config.add_transport(self.engine, domain, transport)
        self._domains[family] = domain
        return domain

    def _tap(self) -> None:
        """Put our receive callback in front of the engine's, to see what pysnmp drops."""
        dispatcher = self.engine.transport_dispatcher
        dispatcher.unregister_recv_callback(None)
        dispatcher.register_recv_callback(self._receive, None)
        send = dispatcher.send_message

        def send_message(message: bytes, domain: Any, address: Any) -> None:
            rid = request_id(message)
            if rid is not None:
                peer = (address[0], address[1])
                ids = self._sent.get(peer)
                if ids is None:
                    ids = self._sent[peer] = deque(maxlen=SENT_IDS_KEPT)
                ids.append(rid)
            send(message, domain, address)

        dispatcher.send_message = send_message
        builder = self.engine.get_mib_builder()
        (self._parse_errors,) = builder.import_symbols("__SNMPv2-MIB", "snmpInASNParseErrs")
        (self._bad_versions,) = builder.import_symbols("__SNMPv2-MIB", "snmpInBadVersions")

    def _on_accepted(self, engine: Any, execpoint: str, variables: Any, ctx: Any) -> None:
        self._accepted = True

    def _receive(self, dispatcher: Any, domain: Any, address: Any, message: bytes) -> None:
        self._accepted = False
        parse_errors, bad_versions = self._parse_errors.syntax, self._bad_versions.syntax
        try:
            self.engine.message_dispatcher.receive_message(self.engine, domain, address, message)
        except Exception:  # pysnmp must never take the agent down on one datagram
            log.debug("SNMP message from %s could not be processed", address[0], exc_info=True)
            self._rejected[(address[0], address[1])] += 1
            return
        peer = (address[0], address[1])
        if self._accepted:
            self._answered.add(peer)
            return
        garbage = self._parse_errors.syntax is not parse_errors or self._bad_versions.syntax is not bad_versions
        if garbage:
            self._rejected[peer] += 1
        elif _community_based(message):
            # a v1/v2c response that matches no pending request: a late answer to a request we
            # retried (harmless), or a request-id we never sent (malformed)
            if request_id(message) not in self._sent.get(peer, ()):
                self._rejected[peer] += 1
        else:
            # an SNMPv3 REPORT (engine discovery, unknown user, wrong digest ...): pysnmp turns the
            # ones about a request into an error indication itself; we only note that it speaks v3
            self._v3_reports[peer] += 1

    def rejected(self, peer: Peer) -> int:
        """Datagrams from ``peer`` that could not be used, since the client started."""
        return self._rejected.get(peer, 0)

    def discovery_only(self, peer: Peer) -> bool:
        """``peer`` has answered SNMPv3 engine discovery (REPORTs) but never one of our requests:
        the signature of a wrong privacy key or protocol (the agent cannot decrypt and drops)."""
        return self._v3_reports.get(peer, 0) > 0 and peer not in self._answered

    # -- credentials ------------------------------------------------------------------------------

    def _index_for(self, version: str, community: str) -> str:
        key = (version, community)
        index = self._community_index.get(key)
        if index is None:
            index = f"lw-community-{len(self._community_index) + 1}"
            self._community_index[key] = index
        return index

    def auth(self, name: str, creds: SnmpCredentials, resolver: SecretResolver) -> SnmpAuth:
        """Security parameters of credential set ``name`` (secrets resolved now). Raises CredentialError."""
        return build_auth(name, creds, resolver, self._index_for)

    def _add_auth(self, auth: SnmpAuth) -> None:
        data = auth.data
        if isinstance(data, CommunityData):
            uses = self._refs.communities.get(data.communityIndex, 0)
            if uses == 0:
                config.add_v1_system(
                    self.engine,
                    data.communityIndex,
                    data.communityName,
                    data.contextEngineId,
                    data.context_name,
                    data.tag,
                    data.securityName,
                )
            self._refs.communities[data.communityIndex] = uses + 1
            return
        assert isinstance(data, UsmUserData)
        held = self._refs.users.get(data.userName)
        if held is not None:
            if not _same_user(held[0], data):
                raise CredentialError(
                    f"{auth.describe()}: another credential set already uses SNMPv3 user '{data.userName}' with "
                    "other protocols or keys; one agent holds one key set per user name (use distinct user names)"
                )
            self._refs.users[data.userName] = (held[0], held[1] + 1)
            return
        config.add_v3_user(
            self.engine,
            data.userName,
            data.authentication_protocol,
            getattr(data, "authentication_key", None),
            data.privacy_protocol,
            getattr(data, "privacy_key", None),
            securityName=data.securityName,
        )
        self._refs.users[data.userName] = (data, 1)

    def _drop_auth(self, auth: SnmpAuth) -> None:
        data = auth.data
        if isinstance(data, CommunityData):
            uses = self._refs.communities.get(data.communityIndex, 0) - 1
            if uses <= 0:
                self._refs.communities.pop(data.communityIndex, None)
                config.delete_v1_system(self.engine, data.communityIndex)
            else:
                self._refs.communities[data.communityIndex] = uses
            return
        held = self._refs.users.get(data.userName)
        if held is None:
            return
        if held[1] <= 1:
            del self._refs.users[data.userName]
            config.delete_v3_user(self.engine, data.userName)
        else:
            self._refs.users[data.userName] = (held[0], held[1] - 1)

    def _add_params(self, auth: SnmpAuth) -> None:
        data = auth.data
        key = (data.securityName, data.security_level, data.message_processing_model)
        held = self._refs.params.get(key)
        if held is None:
            name = f"lw-params-{len(self._refs.params) + 1}-{data.securityName}"
            config.add_target_parameters(self.engine, name, *key)
            self._refs.params[key] = (name, 1)
        else:
            self._refs.params[key] = (held[0], held[1] + 1)

    def _drop_params(self, auth: SnmpAuth) -> None:
        data = auth.data
        key = (data.securityName, data.security_level, data.message_processing_model)
        held = self._refs.params.get(key)
        if held is None:
            return
        if held[1] <= 1:
            del self._refs.params[key]
            config.delete_target_parameters(self.engine, held[0])
        else:
            self._refs.params[key] = (held[0], held[1] - 1)

    # -- sessions ---------------------------------------------------------------------------------

    def open_session(
        self, device: str, address: str, port: int, auth: SnmpAuth, *, timeout_s: float, retries: int
    ) -> SnmpSession:
        """A session to one element (replacing any open one for the same ``device``)."""
        if self._closed:
            raise RuntimeError("the SNMP client is closed")
        self.close_session(device)
        ip = ipaddress.ip_address(address)
        family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
        domain = self._open_transport(family)
        host = ip.compressed
        self._add_auth(auth)
        self._add_params(auth)
        data = auth.data
        target = Target(
            domain=domain,
            address=(host, port) if ip.version == 4 else (host, port, 0, 0),
            mp_model=int(data.message_processing_model),
            security_model=int(data.security_model),
            security_name=self._admin_string(data.securityName),
            security_level=_SECURITY_LEVELS[data.security_level],
            timeout_ticks=timeout_s * self._ticks_per_second,
            retries=retries,
        )
        session = SnmpSession(self, device, target, (host, port), auth, timeout_s=timeout_s, retries=retries)
        self._sessions[device] = session
        return session

    def close_session(self, device: str) -> None:
        session = self._sessions.pop(device, None)
        if session is None:
            return
        session.closed = True
        self._sent.pop(session.peer, None)
        self._drop_params(session.auth)
        self._drop_auth(session.auth)

    def session(self, device: str) -> SnmpSession | None:
        return self._sessions.get(device)

    def close(self) -> None:
        """Close every session and the sockets. Requests still pending time out unanswered."""
        if self._closed:
            return
        for device in list(self._sessions):
            self.close_session(device)
        self._closed = True
        self.engine.observer.unregister_observer(self._on_accepted)
        self.engine.close_dispatcher()


def _community_based(message: bytes) -> bool:
    """Whether a BER message starts like an SNMP v1/v2c message (version 0 or 1)."""
    # SEQUENCE, length (short or long form), INTEGER of length 1 with value 0 or 1
    if len(message) < 5 or message[0] != 0x30:
        return False
    pos = 2 if message[1] < 0x80 else 2 + (message[1] & 0x7F)
    return message[pos : pos + 2] == b"\x02\x01" and len(message) > pos + 2 and message[pos + 2] in (0, 1)


def _same_user(a: UsmUserData, b: UsmUserData) -> bool:
    return (
        a.authentication_protocol == b.authentication_protocol
        and a.privacy_protocol == b.privacy_protocol
        and getattr(a, "authentication_key", None) == getattr(b, "authentication_key", None)
        and getattr(a, "privacy_key", None) == getattr(b, "privacy_key", None)
    )
