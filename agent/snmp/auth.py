"""SNMP security parameters from a credential set: v1/v2c community or v3 USM user.

Secrets are resolved through :class:`~correlator.secrets.SecretResolver` and revealed only here,
at the moment the pysnmp auth object is built. The auth object's own ``repr`` hides community and
keys; our :class:`SnmpAuth` wrapper adds the credential-set name for messages.

Protocol names are the daemon config's (``sha``, ``aes`` ...). ``aes192``/``aes256`` are the
Reeder key-extension variants (draft-reeder-snmpv3-usm-3desede, the one Cisco, Huawei and
net-snmp's ``AES-192-C``/``AES-256-C`` use).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC96_MD5,
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC128_SHA224,
    USM_AUTH_HMAC192_SHA256,
    USM_AUTH_HMAC256_SHA384,
    USM_AUTH_HMAC384_SHA512,
    USM_PRIV_CBC56_DES,
    USM_PRIV_CBC168_3DES,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB192_AES,
    USM_PRIV_CFB256_AES,
    CommunityData,
    UsmUserData,
)

from correlator.configfile.daemon import SnmpCredentials
from correlator.secrets import SecretError, SecretResolver

AUTH_PROTOCOLS: dict[str, Any] = {
    "md5": USM_AUTH_HMAC96_MD5,
    "sha": USM_AUTH_HMAC96_SHA,
    "sha224": USM_AUTH_HMAC128_SHA224,
    "sha256": USM_AUTH_HMAC192_SHA256,
    "sha384": USM_AUTH_HMAC256_SHA384,
    "sha512": USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS: dict[str, Any] = {
    "des": USM_PRIV_CBC56_DES,
    "3des": USM_PRIV_CBC168_3DES,
    "aes": USM_PRIV_CFB128_AES,
    "aes192": USM_PRIV_CFB192_AES,
    "aes256": USM_PRIV_CFB256_AES,
}
_MP_MODEL = {"v1": 0, "v2c": 1}


class CredentialError(Exception):
    """A credential set that cannot be used; the message names the set, never a secret."""


@dataclass(frozen=True)
class SnmpAuth:
    """A pysnmp auth object and what may be said about it in logs."""

    credential_set: str
    version: str
    data: Any
    """``CommunityData`` or ``UsmUserData``."""
    user: str | None = None

    def describe(self) -> str:
        if self.user is not None:
            return f"SNMP {self.version} user '{self.user}' of credential set '{self.credential_set}'"
        return f"SNMP {self.version} community of credential set '{self.credential_set}'"


def build_auth(
    name: str, creds: SnmpCredentials, resolver: SecretResolver, community_index: Callable[[str, str], str]
) -> SnmpAuth:
    """The pysnmp auth object for credential set ``name``.

    ``community_index(version, community)`` names the community inside the pysnmp engine (its
    LCD): equal for equal communities, different otherwise, and never derived from the secret's
    text. Raises :class:`CredentialError`.
    """
    try:
        if creds.version in _MP_MODEL:
            assert creds.community is not None  # the config model guarantees it
            community = resolver.resolve(creds.community)
            value = community.reveal()
            index = community_index(creds.version, value)
            data = CommunityData(index, value, mpModel=_MP_MODEL[creds.version])
            return SnmpAuth(name, creds.version, data)
        assert creds.user is not None
        kwargs: dict[str, Any] = {}
        if creds.auth_protocol is not None and creds.auth_key is not None:
            kwargs["authKey"] = resolver.resolve(creds.auth_key).reveal()
            kwargs["authProtocol"] = AUTH_PROTOCOLS[creds.auth_protocol]
        if creds.priv_protocol is not None and creds.priv_key is not None:
            kwargs["privKey"] = resolver.resolve(creds.priv_key).reveal()
            kwargs["privProtocol"] = PRIV_PROTOCOLS[creds.priv_protocol]
        for what in ("authKey", "privKey"):
            if what in kwargs and len(kwargs[what]) < 8:
                raise CredentialError(
                    f"credential set '{name}': SNMPv3 {'auth_key' if what == 'authKey' else 'priv_key'} "
                    "is shorter than 8 characters (RFC 3414 needs at least 8; fix the secret)"
                )
        data = UsmUserData(creds.user, **kwargs)
        return SnmpAuth(name, creds.version, data, user=creds.user)
    except SecretError as exc:
        raise CredentialError(f"credential set '{name}': {exc}") from None
