"""Send one request PDU to one element through pysnmp's message dispatcher, with retries.

pysnmp's command generators look every request's destination up in the engine's SNMP-TARGET-MIB,
which costs a configuration row (about 24 KB) per element: 240 MB for 10,000 elements. Here the
destination travels with the request instead (:class:`Target`), straight into
``MsgAndPduDispatcher.send_pdu``; only communities and v3 users are engine configuration (one row
per credential set). Retries and SNMPv3 discovery follow pysnmp's ``CommandGenerator``: a timeout
is retried ``Target.retries`` times; a REPORT asking for (re)discovery is retried up to
``DISCOVERY_RETRIES`` times without using up a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pysnmp.proto import errind
from pysnmp.proto.api import v2c
from pysnmp.proto.error import StatusInformation
from pysnmp.proto.proxy import rfc2576

DISCOVERY_RETRIES = 4

Callback = Callable[[Any, Any], None]
"""``callback(error_indication, response_pdu)``: exactly one of them is set."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where and how to send: the fields pysnmp would read from its target tables."""

    domain: tuple[int, ...]
    address: tuple[Any, ...]
    mp_model: int
    """0: SNMPv1, 1: SNMPv2c, 3: SNMPv3."""
    security_model: int
    """1: v1 community, 2: v2c community, 3: USM."""
    security_name: Any
    security_level: Any
    timeout_ticks: float
    """Timeout in pysnmp timer ticks (timeout_s / the dispatcher's timer resolution)."""
    retries: int


class Sender:
    """Sends PDUs on one engine; one instance per :class:`~agent.snmp.client.SnmpClient`."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        builder = engine.get_mib_builder()
        (admin_string,) = builder.import_symbols("SNMP-FRAMEWORK-MIB", "SnmpAdminString")
        self._context_name = admin_string(b"")

    def send(self, target: Target, pdu: Any, callback: Callback) -> None:
        """Send ``pdu`` (an SNMPv2 PDU: converted for v1 targets). Raises StatusInformation or a
        pysnmp error if it cannot even be sent."""
        self._send(target, pdu, callback, 0, 0)

    def _send(self, target: Target, pdu: Any, callback: Callback, retries: int, discoveries: int) -> None:
        request, version = (rfc2576.v2_to_v1(pdu), 0) if target.mp_model == 0 else (pdu, 1)
        self.engine.message_dispatcher.send_pdu(
            self.engine,
            target.domain,
            target.address,
            target.mp_model,
            target.security_model,
            target.security_name,
            target.security_level,
            None,
            self._context_name,
            version,
            request,
            True,
            target.timeout_ticks,
            self._on_response,
            (target, pdu, callback, retries, discoveries),
        )

    def _on_response(
        self,
        engine: Any,
        mp_model: Any,
        security_model: Any,
        security_name: Any,
        security_level: Any,
        context_engine_id: Any,
        context_name: Any,
        pdu_version: Any,
        pdu: Any,
        status: Any,
        send_handle: Any,
        ctx: Any,
    ) -> None:
        target, request, callback, retries, discoveries = ctx
        if status:
            indication = status["errorIndication"]
            if indication in (errind.notInTimeWindow, errind.unknownEngineID):
                discoveries, retries = discoveries + 1, 0
            else:
                discoveries, retries = 0, retries + 1
            if retries > target.retries or discoveries > DISCOVERY_RETRIES:
                callback(indication, None)
                return
            try:
                self._send(target, request, callback, retries, discoveries)
            except StatusInformation as exc:
                callback(exc["errorIndication"], None)
            except Exception as exc:  # a send failure on retry: report it like pysnmp would
                callback(errind.OtherError(f"{type(exc).__name__} while resending"), None)
            return
        if mp_model != target.mp_model or pdu_version != (0 if target.mp_model == 0 else 1):
            callback(errind.dataMismatch, None)
            return
        if mp_model == 0:
            pdu = rfc2576.v1_to_v2(pdu, request)
        if v2c.apiPDU.get_request_id(pdu) != v2c.apiPDU.get_request_id(request):
            callback(errind.dataMismatch, None)
            return
        callback(None, pdu)


def get_pdu(varbinds: list[tuple[Any, Any]]) -> Any:
    pdu = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_varbinds(pdu, varbinds)
    return pdu


def next_pdu(varbinds: list[tuple[Any, Any]]) -> Any:
    pdu = v2c.GetNextRequestPDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_varbinds(pdu, varbinds)
    return pdu


def bulk_pdu(non_repeaters: int, max_repetitions: int, varbinds: list[tuple[Any, Any]]) -> Any:
    pdu = v2c.GetBulkRequestPDU()
    v2c.apiBulkPDU.set_defaults(pdu)
    v2c.apiBulkPDU.set_non_repeaters(pdu, non_repeaters)
    v2c.apiBulkPDU.set_max_repetitions(pdu, max_repetitions)
    v2c.apiBulkPDU.set_varbinds(pdu, varbinds)
    return pdu


def request_id(message: bytes) -> int | None:
    """The request-id of a BER-encoded SNMPv1/v2c message (None if it is not one)."""
    try:
        if message[0] != 0x30:
            return None
        pos = _skip_length(message, 1)
        for tag in (0x02, 0x04):  # version, community
            if message[pos] != tag:
                return None
            length, pos = _length(message, pos + 1)
            pos += length
        if message[pos] & 0xE0 != 0xA0:  # a context-specific constructed PDU
            return None
        pos = _skip_length(message, pos + 1)
        if message[pos] != 0x02:
            return None
        length, pos = _length(message, pos + 1)
        return int.from_bytes(message[pos : pos + length], "big", signed=True)
    except IndexError:
        return None


def _length(message: bytes, pos: int) -> tuple[int, int]:
    first = message[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    return int.from_bytes(message[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


def _skip_length(message: bytes, pos: int) -> int:
    return _length(message, pos)[1]
