"""Why an SNMP request failed, as a small closed set of reasons (the ``reason`` label of the metrics).

Every failure the SNMP layer sees, from pysnmp's error indications, the PDU error status, socket
errors or our own checks of a reply, is mapped onto one :class:`FailureReason`. Messages name the
element and what happened; they never hold a community or a key.
"""

from __future__ import annotations

from enum import StrEnum

from pysnmp.proto import errind


class FailureReason(StrEnum):
    timeout = "timeout"
    """No usable reply before the timeout, after every retry."""
    auth = "auth"
    """SNMPv3 security refused: unknown user, wrong digest (auth key), decryption error (priv key) ..."""
    no_such_object = "no_such_object"
    """The element does not implement what was asked (noSuchObject, v1 noSuchName)."""
    truncated = "truncated"
    """A table came back only in part (the walk broke off, or the agent's view ended mid-table)."""
    malformed = "malformed"
    """The element answered, but not with a usable SNMP reply (undecodable, wrong request-id, OIDs going back)."""
    refused = "refused"
    """The element or the network refused the request (noAccess, authorizationError, ICMP unreachable)."""
    other = "other"
    """Anything else (genErr, an unexpected library error)."""


class SnmpError(Exception):
    """A classified SNMP failure. ``str()`` is safe to log: no secret ever goes into it."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(self.args[0])


_AUTH = (
    errind.UnknownUserName,
    errind.WrongDigest,
    errind.DecryptionError,
    errind.EncryptionError,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
    errind.UnsupportedSecurityLevel,
    errind.UnknownSecurityName,
    errind.NotInTimeWindow,
    errind.UnknownEngineID,
    errind.NoAuthentication,
    errind.NoEncryption,
    errind.UnsupportedAuthProtocol,
    errind.UnsupportedPrivProtocol,
    errind.UnknownCommunityName,
)
_MALFORMED = (
    errind.DeserializationError,
    errind.InvalidMsg,
    errind.DataMismatch,
    errind.EmptyResponse,
    errind.OidNotIncreasing,
    errind.UnsupportedMsgProcessingModel,
    errind.UnsupportedPDUtype,
)
_REFUSED = (
    errind.NoSuchView,
    errind.NoAccessEntry,
    errind.NotInView,
    errind.NoSuchContext,
    errind.NoGroupName,
)


def reason_of_indication(indication: object) -> FailureReason:
    """Map a pysnmp error indication (an ``errind.ErrorIndication``) onto a reason."""
    if isinstance(indication, errind.RequestTimedOut):
        return FailureReason.timeout
    if isinstance(indication, _AUTH):
        return FailureReason.auth
    if isinstance(indication, _MALFORMED):
        return FailureReason.malformed
    if isinstance(indication, _REFUSED):
        return FailureReason.refused
    return FailureReason.other


# RFC 3416 error-status values
TOO_BIG = 1
NO_SUCH_NAME = 2
GEN_ERR = 5
NO_ACCESS = 6
AUTHORIZATION_ERROR = 16

_STATUS_NAMES = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}


def status_name(status: int) -> str:
    return _STATUS_NAMES.get(status, f"error-status {status}")


def reason_of_status(status: int) -> FailureReason:
    """Map a PDU error-status onto a reason."""
    if status == NO_SUCH_NAME:
        return FailureReason.no_such_object
    if status == TOO_BIG:
        return FailureReason.truncated
    if status in (NO_ACCESS, AUTHORIZATION_ERROR):
        return FailureReason.refused
    return FailureReason.other


def reason_of_exception(exc: BaseException) -> FailureReason:
    """Map an exception raised while sending or receiving onto a reason."""
    if isinstance(exc, SnmpError):
        return exc.reason
    if isinstance(exc, TimeoutError):
        return FailureReason.timeout
    if isinstance(exc, ConnectionRefusedError | PermissionError):
        return FailureReason.refused
    if isinstance(exc, OSError) and exc.errno is not None:
        return FailureReason.refused
    return FailureReason.other
