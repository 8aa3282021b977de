"""The SNMP notification receiver: traps and informs in, condition changes for the state tracker out.

A pysnmp engine of its own (RFC 3413 notification receiver) listens on ``agent.traps.listen``
(UDP, IPv4 or IPv6) and accepts the v1/v2c communities and SNMPv3 users of the credential sets
that ``agent.traps.credentials`` names. For every datagram:

1. the sender's address is looked up among the inventory's management addresses; a datagram from
   an unknown address is counted (``unknown_sender``), logged once per address, and dropped
   before any decoding;
2. for SNMPv3, the user is added for the sender's engine ID (read from the clear-text header) if
   it is one of ours and not yet known for that engine, at most ``max_engine_ids_per_sender``
   engine IDs per address;
3. pysnmp authenticates and decodes it; a wrong community, unknown user, wrong key or garbage is
   counted (``rejected``) and logged with the element and the reason, never with a secret;
4. the notification's varbinds are converted to python values and handed to the element's
   profile (``profile_for(device)``: the one the poller detected; before the first poll, the
   fallback profile of the inventory kind), which names the raises and clears it means; a
   notification that the profile does not map is counted (``unmapped``);
5. each (action, condition) goes to ``on_change`` (the daemon passes ``StateTracker.trap``) and
   the resulting events to ``on_events`` (the daemon wakes its shipper).

Nothing a sender does raises out of the receiver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config as pconfig
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto.rfc1902 import OctetString

from agent.observation import Condition
from agent.profiles import Profile, ProfileSet, ResourceIndex
from agent.traps.auth import TrapAuth, TrapUser, peek_v3
from agent.traps.convert import notification
from correlator.inventory.model import Device
from correlator.wire import Action, AlarmEvent

log = logging.getLogger(__name__)

ChangeFn = Callable[[str, Action, Condition], list[AlarmEvent]]
EventsFn = Callable[[list[AlarmEvent]], None]
ProfileFn = Callable[[str], Profile | None]
ResourcesFn = Callable[[str], ResourceIndex | None]

# engine counters whose increase means "this datagram was refused", with the reason logged
_REJECT_COUNTERS = (
    ("__SNMPv2-MIB", "snmpInBadCommunityNames", "unknown community"),
    ("__SNMPv2-MIB", "snmpInASNParseErrs", "not a valid SNMP message"),
    ("__SNMPv2-MIB", "snmpInBadVersions", "unsupported SNMP version"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames", "unknown SNMPv3 user"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests", "wrong SNMPv3 authentication key or protocol"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors", "wrong SNMPv3 privacy key or protocol"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels", "security level not allowed for the user"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsNotInTimeWindows", "SNMPv3 message outside the time window"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownEngineIDs", "unknown SNMPv3 engine ID"),
)


class TrapReceiverError(Exception):
    """The receiver cannot start (address in use, no permission, bad listen address)."""


@dataclass
class TrapStats:
    """What the receiver saw since it started (also exported as metrics by the daemon)."""

    received: int = 0
    """Datagrams from known elements."""
    accepted: int = 0
    """Notifications authenticated and decoded."""
    unknown_sender: int = 0
    rejected: int = 0
    """Authentication failures and undecodable datagrams from known elements."""
    unmapped: int = 0
    """Accepted notifications that the element's profile does not map to any condition."""
    events: int = 0
    errors: int = 0
    """Notifications whose handling failed inside the agent (state store error ...)."""
    rejected_by_reason: Counter[str] = field(default_factory=Counter)


def parse_listen(listen: str) -> tuple[str, int]:
    """``0.0.0.0:162``, ``[::]:162`` -> (host, port)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise TrapReceiverError(f"agent.traps.listen '{listen}' is not HOST:PORT (e.g. 0.0.0.0:162 or [::]:162)")
    host = host.strip("[]") or "0.0.0.0"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise TrapReceiverError(f"agent.traps.listen '{listen}': '{host}' is not an IP address") from None
    return host, int(port)


def _address_key(address: str) -> str:
    """Normalise a sender address (IPv4-mapped IPv6 -> IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class TrapReceiver:
    """Create and :meth:`start` inside the running event loop; :meth:`close` when done."""

    def __init__(
        self,
        *,
        listen: str,
        devices: Iterable[Device],
        auth: TrapAuth,
        profiles: ProfileSet,
        on_change: ChangeFn,
        profile_for: ProfileFn | None = None,
        resources_for: ResourcesFn | None = None,
        on_events: EventsFn | None = None,
        max_engine_ids_per_sender: int = 4,
    ) -> None:
        self.host, self.port = parse_listen(listen)
        self.auth = auth
        self.profiles = profiles
        self.on_change = on_change
        self.profile_for = profile_for
        self.resources_for = resources_for
        self.on_events = on_events
        self.stats = TrapStats()
        self._max_engines = max_engine_ids_per_sender
        self._by_address: dict[str, Device] = {}
        self._ambiguous: dict[str, list[str]] = {}
        self.set_devices(devices)
        self._engine: SnmpEngine | None = None
        self._receiver: ntfrcv.NotificationReceiver | None = None
        self._engines_seen: dict[str, set[bytes]] = {}
        self._users_added: set[tuple[bytes, bytes]] = set()
        self._unknown_logged: set[str] = set()
        self._reject_logged: set[tuple[str, str]] = set()
        self._counters: list[tuple[Any, str]] = []
        self._names = itertools.count(1)

    # -- elements -------------------------------------------------------------------------------

    def set_devices(self, devices: Iterable[Device]) -> None:
        """The elements whose management addresses may send traps."""
        by_address: dict[str, list[Device]] = {}
        for device in devices:
            by_address.setdefault(_address_key(str(device.mgmt_address)), []).append(device)
        self._by_address = {a: ds[0] for a, ds in by_address.items() if len(ds) == 1}
        self._ambiguous = {a: [d.id for d in ds] for a, ds in by_address.items() if len(ds) > 1}
        for address, ids in self._ambiguous.items():
            log.warning(
                "traps from %s are ignored: elements %s share that management address (give each its own)",
                address,
                ", ".join(ids),
            )

    def device_at(self, address: str) -> Device | None:
        return self._by_address.get(_address_key(address))

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def start(self) -> tuple[str, int]:
        """Bind the UDP socket and start receiving; returns the bound (host, port)."""
        if self._engine is not None:
            return self.address
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self.port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            fix = (
                "run with CAP_NET_BIND_SERVICE or set agent.traps.listen to a port above 1023"
                if exc.errno == 13
                else "stop what uses it or change agent.traps.listen"
            )
            raise TrapReceiverError(
                f"cannot listen for traps on {self.host}:{self.port}: {exc.strerror} ({fix})"
            ) from None
        self.port = int(sock.getsockname()[1])
        engine = SnmpEngine()
        if family == socket.AF_INET6:
            pconfig.add_transport(engine, udp6.DOMAIN_NAME, udp6.Udp6AsyncioTransport().open_server_mode(sock=sock))
        else:
            pconfig.add_transport(engine, udp.DOMAIN_NAME, udp.UdpAsyncioTransport().open_server_mode(sock=sock))
        for user in self.auth.users.values():  # for informs, which are authenticated with our engine ID
            self._add_user(engine, user, None)
        for community in self.auth.communities:
            index = f"lw-trap-{next(self._names)}"  # never derived from the secret
            pconfig.add_v1_system(engine, index, community.community.reveal())
        dispatcher = engine.transport_dispatcher
        dispatcher.unregister_recv_callback(None)
        dispatcher.register_recv_callback(self._receive, None)
        builder = engine.get_mib_builder()
        self._counters = [(builder.import_symbols(mod, name)[0], why) for mod, name, why in _REJECT_COUNTERS]
        self._receiver = ntfrcv.NotificationReceiver(engine, self._notified)
        self._engine = engine
        log.info(
            "trap receiver listening on %s:%d (%d communities, %d SNMPv3 users, %d elements)",
            self.host,
            self.port,
            len(self.auth.communities),
            len(self.auth.users),
            len(self._by_address),
        )
        return self.address

    def close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is None:
            return
        if self._receiver is not None:
            self._receiver.close(engine)
            self._receiver = None
        engine.close_dispatcher()

    async def __aenter__(self) -> TrapReceiver:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        await asyncio.sleep(0)

    # -- receiving --------------------------------------------------------------------------------

    def _receive(self, dispatcher: Any, domain: Any, address: Any, message: bytes) -> None:
        engine = self._engine
        if engine is None:
            return
        sender = _address_key(str(address[0]))
        device = self._by_address.get(sender)
        if device is None:
            self.stats.unknown_sender += 1
            if sender not in self._unknown_logged and len(self._unknown_logged) < 1000:
                self._unknown_logged.add(sender)
                why = "shared by several elements" if sender in self._ambiguous else "not an element's mgmt_address"
                log.warning("trap from %s ignored: the address is %s", sender, why)
            return
        self.stats.received += 1
        self._learn_engine(engine, sender, message)
        before = [int(counter.syntax) for counter, _ in self._counters]
        try:
            engine.message_dispatcher.receive_message(engine, domain, address, message)
        except Exception as exc:  # pysnmp must never take the agent down on one datagram
            self._rejected(device, sender, f"cannot be processed ({type(exc).__name__})")
            return
        for (counter, why), old in zip(self._counters, before, strict=True):
            if int(counter.syntax) > old:
                self._rejected(device, sender, why)
                return

    def _rejected(self, device: Device, sender: str, why: str) -> None:
        self.stats.rejected += 1
        self.stats.rejected_by_reason[why] += 1
        level = logging.WARNING if (device.id, why) not in self._reject_logged else logging.DEBUG
        self._reject_logged.add((device.id, why))
        log.log(level, "%s: trap from %s rejected: %s", device.id, sender, why)

    def _learn_engine(self, engine: SnmpEngine, sender: str, message: bytes) -> None:
        """Add our v3 user for the sender's engine ID before pysnmp authenticates the message."""
        if not self.auth.users:
            return
        header = peek_v3(message)
        if header is None:
            return
        engine_id, user_name = header
        user = self.auth.users.get(user_name.decode("utf-8", errors="replace"))
        if user is None or not 5 <= len(engine_id) <= 32 or (engine_id, user_name) in self._users_added:
            return
        seen = self._engines_seen.setdefault(sender, set())
        if engine_id not in seen and len(seen) >= self._max_engines:
            return  # a sender cycling through engine IDs: pysnmp will reject it as an unknown user
        seen.add(engine_id)
        self._add_user(engine, user, engine_id)
        self._users_added.add((engine_id, user_name))
        log.debug("SNMPv3 user %s added for engine %s of %s", user.user, engine_id.hex(), sender)

    @staticmethod
    def _add_user(engine: SnmpEngine, user: TrapUser, engine_id: bytes | None) -> None:
        pconfig.add_v3_user(
            engine,
            user.user,
            user.auth_protocol,
            user.auth_key.reveal() if user.auth_key else None,
            user.priv_protocol,
            user.priv_key.reveal() if user.priv_key else None,
            securityEngineId=None if engine_id is None else OctetString(engine_id),
        )

    def _notified(
        self,
        engine: SnmpEngine,
        state_reference: Any,
        context_engine_id: Any,
        context_name: Any,
        var_binds: Sequence[tuple[Any, Any]],
        cb_ctx: Any,
    ) -> None:
        try:
            _, address = engine.message_dispatcher.get_transport_info(state_reference)
            sender = _address_key(str(address[0]))
        except Exception:
            return
        device = self._by_address.get(sender)
        if device is None:
            return
        self.stats.accepted += 1
        try:
            self._handle(device, var_binds)
        except Exception:  # a bug or the state store failing: log, count, keep receiving
            self.stats.errors += 1
            log.exception("%s: handling a trap failed", device.id)

    def _handle(self, device: Device, var_binds: Sequence[tuple[Any, Any]]) -> None:
        note = notification(var_binds)
        profile = self.profile_for(device.id) if self.profile_for is not None else None
        if profile is None:
            profile = self.profiles.detect("", "", device.kind)
        resources = self.resources_for(device.id) if self.resources_for is not None else None
        changes = profile.map_trap(device.id, note.trap_oid, note.varbinds, resources=resources)
        if not changes:
            self.stats.unmapped += 1
            log.info(
                "%s: trap %s not mapped by profile %s (%d varbinds)",
                device.id,
                note.trap_oid or "(no snmpTrapOID)",
                profile.id,
                len(note.varbinds),
            )
            return
        events: list[AlarmEvent] = []
        for action, condition in changes:
            events += self.on_change(device.id, action, condition)
        self.stats.events += len(events)
        for event in events:
            log.info(
                "%s: trap %s: %s %s on %s",
                device.id,
                note.trap_oid,
                event.action.value,
                event.alarm_type,
                event.resource.key(),
            )
        if events and self.on_events is not None:
            self.on_events(events)
