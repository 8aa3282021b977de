"""Who may send traps: v1/v2c communities and SNMPv3 users of the credential sets the config names.

Secrets are resolved here through :class:`~correlator.secrets.SecretResolver` and kept as
:class:`~correlator.secrets.Secret` until handed to pysnmp. A credential set that cannot be used
(unknown name, no ``snmp`` section, a secret that does not resolve) is reported in
:attr:`TrapAuth.problems` by name and reference, never by value, and left out.

SNMPv3 notifications are authenticated with keys localised to the *sender's* engine ID. The
inventory does not list engine IDs, so :func:`peek_v3` reads the engine ID and user name from a
message's clear-text header and the receiver adds the user for that engine before pysnmp checks
the message (see :mod:`agent.traps.receiver`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error
from pysnmp.entity import config as pconfig
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from agent.snmp.auth import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from correlator.configfile.daemon import CredentialSet
from correlator.secrets import Secret, SecretError, SecretResolver


@dataclass(frozen=True)
class TrapCommunity:
    credential_set: str
    version: str
    community: Secret


@dataclass(frozen=True)
class TrapUser:
    credential_set: str
    user: str
    auth_protocol: Any = pconfig.USM_AUTH_NONE
    auth_key: Secret | None = None
    priv_protocol: Any = pconfig.USM_PRIV_NONE
    priv_key: Secret | None = None

    def same_keys(self, other: TrapUser) -> bool:
        return (self.auth_protocol, self.auth_key, self.priv_protocol, self.priv_key) == (
            other.auth_protocol,
            other.auth_key,
            other.priv_protocol,
            other.priv_key,
        )


@dataclass
class TrapAuth:
    communities: list[TrapCommunity] = field(default_factory=list)
    users: dict[str, TrapUser] = field(default_factory=dict)
    """v3 user name -> keys (one set of keys per user name)."""
    problems: list[str] = field(default_factory=list)


def trap_auth(names: Sequence[str], credentials: Mapping[str, CredentialSet], resolver: SecretResolver) -> TrapAuth:
    """The communities and users of the named credential sets; unusable sets go to ``problems``."""
    out = TrapAuth()
    for name in dict.fromkeys(names):
        cset = credentials.get(name)
        if cset is None:
            known = ", ".join(sorted(credentials)) or "none"
            out.problems.append(f"agent.traps.credentials: no credential set '{name}' (known: {known}; fix the name)")
            continue
        snmp = cset.snmp
        if snmp is None:
            out.problems.append(f"credential set '{name}' has no 'snmp' section: it cannot authenticate traps")
            continue
        try:
            if snmp.version in ("v1", "v2c"):
                assert snmp.community is not None  # the config model guarantees it
                out.communities.append(TrapCommunity(name, snmp.version, resolver.resolve(snmp.community)))
                continue
            assert snmp.user is not None
            user = TrapUser(
                name,
                snmp.user,
                AUTH_PROTOCOLS[snmp.auth_protocol] if snmp.auth_protocol else pconfig.USM_AUTH_NONE,
                resolver.resolve(snmp.auth_key) if snmp.auth_key else None,
                PRIV_PROTOCOLS[snmp.priv_protocol] if snmp.priv_protocol else pconfig.USM_PRIV_NONE,
                resolver.resolve(snmp.priv_key) if snmp.priv_key else None,
            )
        except SecretError as exc:
            out.problems.append(f"credential set '{name}' left out of the trap receiver: {exc}")
            continue
        for what, key in (("auth_key", user.auth_key), ("priv_key", user.priv_key)):
            if key is not None and len(key.reveal()) < 8:
                out.problems.append(
                    f"credential set '{name}': SNMPv3 {what} is shorter than 8 characters (RFC 3414); left out"
                )
                break
        else:
            first = out.users.get(user.user)
            if first is None:
                out.users[user.user] = user
            elif not first.same_keys(user):
                out.problems.append(
                    f"credential sets '{first.credential_set}' and '{name}' both name SNMPv3 user '{user.user}' "
                    f"with different keys; traps are checked with '{first.credential_set}' (rename one user)"
                )
    return out


def peek_v3(message: bytes) -> tuple[bytes, bytes] | None:
    """(authoritative engine ID, user name) from an SNMPv3 message's clear header, else None."""
    try:
        msg, _ = decoder.decode(message, asn1Spec=SNMPv3Message())
        if int(msg.getComponentByPosition(0)) != 3:
            return None
        params, _ = decoder.decode(bytes(msg.getComponentByPosition(2)), asn1Spec=UsmSecurityParameters())
        return bytes(params.getComponentByPosition(0)), bytes(params.getComponentByPosition(3))
    except (PyAsn1Error, ValueError, TypeError):
        return None
