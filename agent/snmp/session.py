"""One element's SNMP session: GET of scalars and walks of table columns, with classified failures.

Requests go through :class:`~agent.snmp.sender.Sender` into pysnmp's message dispatcher with
numeric OIDs: no MIB is loaded or looked up on the way in or out, and no per-element row is kept in
pysnmp's target tables.

A walk reads several columns at once: each GETBULK (GETNEXT on SNMPv1) carries every column
that has not ended yet, and a column ends when the agent answers with an OID outside it or
``endOfMibView`` (``lexicographicMode=False``: nothing past the table is read). The number of
repetitions asked for is ``max_repetitions`` on the first look at an element and, once the row
counts are known from the last poll, just enough for the rows expected plus the one OID that
shows the end, so a steady poll costs one or two round trips and little overshoot.

Failures are :class:`~agent.snmp.errors.SnmpError` with a :class:`~agent.snmp.errors.FailureReason`.
A walk that breaks off returns what it read with ``failure`` set: the columns it did not finish
are marked incomplete, never passed off as complete.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pysnmp.proto.api import v2c
from pysnmp.proto.error import StatusInformation
from pysnmp.proto.rfc1902 import Null, ObjectName
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from agent.snmp.errors import (
    NO_SUCH_NAME,
    TOO_BIG,
    FailureReason,
    SnmpError,
    reason_of_exception,
    reason_of_indication,
    reason_of_status,
    status_name,
)
from agent.snmp.sender import Target, bulk_pdu, get_pdu, next_pdu
from agent.snmp.values import to_value
from agent.snmprec import Value

if TYPE_CHECKING:
    from agent.snmp.auth import SnmpAuth
    from agent.snmp.client import SnmpClient

Peer = tuple[str, int]
Oid = tuple[int, ...]
RawVarBind = tuple[Any, Any]

_NULL = Null("")


@dataclass
class Column:
    """What a walk read of one column."""

    oid: Oid
    cells: dict[str, Value] = field(default_factory=dict)
    """Index suffix (``"7"``, ``"1.5"``) -> value."""
    ended: bool = False
    """The walk reached the column's end (an OID past it, or end of the MIB view)."""
    end_of_mib: bool = False
    """It ended because the agent's MIB view ended (endOfMibView / v1 noSuchName)."""
    exception: str | None = None
    """``noSuchObject`` / ``noSuchInstance`` if the agent answered the walk with one."""
    cursor: Oid = ()


@dataclass
class WalkResult:
    columns: dict[str, Column]
    """Column OID (dotted) -> what was read."""
    scalars: dict[str, Value | None] = field(default_factory=dict)
    """Scalar instance OID (dotted) -> value, ``None`` when the agent has no such instance."""
    failure: SnmpError | None = None
    """What stopped the walk early; columns not ``ended`` are incomplete."""
    requests: int = 0
    varbinds: int = 0
    """Variable bindings received (cells, scalars and the OIDs that showed an end)."""
    problems: list[str] = field(default_factory=list)


def _dotted(oid: Oid) -> str:
    return ".".join(map(str, oid))


def _arcs(text: str) -> Oid:
    return tuple(int(p) for p in text.strip().lstrip(".").split("."))


class SnmpSession:
    """Requests to one element. Made by :meth:`SnmpClient.open_session`; never raises anything but SnmpError."""

    def __init__(
        self,
        client: SnmpClient,
        device: str,
        target: Target,
        peer: Peer,
        auth: SnmpAuth,
        *,
        timeout_s: float,
        retries: int,
    ) -> None:
        self.client = client
        self.device = device
        self.target = target
        self.peer = peer
        self.auth = auth
        self.timeout_s = timeout_s
        self.retries = retries
        self.closed = False
        self.bulk = auth.version != "v1"

    def __repr__(self) -> str:
        return f"SnmpSession({self.device!r}, {self.peer[0]}:{self.peer[1]}, {self.auth.describe()})"

    # -- one request ------------------------------------------------------------------------------

    async def _request(
        self, kind: str, varbinds: list[RawVarBind], non_repeaters: int = 0, repetitions: int = 0
    ) -> tuple[int, int, Sequence[RawVarBind]]:
        """Send one PDU; return (error-status, error-index, varbinds). Raises SnmpError on no usable reply."""
        if self.closed:
            raise SnmpError(FailureReason.other, f"{self.device}: session closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[Any, Any]] = loop.create_future()

        def done(indication: Any, pdu: Any) -> None:
            if not future.done():
                future.set_result((indication, pdu))

        mark = self.client.rejected(self.peer)
        try:
            if kind == "bulk":
                pdu = bulk_pdu(non_repeaters, repetitions, varbinds)
            elif kind == "next":
                pdu = next_pdu(varbinds)
            else:
                pdu = get_pdu(varbinds)
            self.client.sender.send(self.target, pdu, done)
            indication, response = await future
        except SnmpError:
            raise
        except StatusInformation as exc:  # refused before sending (unknown community, no USM user ...)
            indication = exc["errorIndication"]
            raise SnmpError(
                reason_of_indication(indication), f"{self.device}: {indication} ({self.auth.describe()})"
            ) from None
        except Exception as exc:  # pysnmp raises its own errors on bad config or a send failure
            reason = reason_of_exception(exc)
            raise SnmpError(reason, f"{self.device}: {type(exc).__name__} while sending SNMP {kind}") from None
        if indication:
            reason = (
                reason_of_indication(indication)
                if not isinstance(indication, str)
                else FailureReason.malformed  # "badResponse": request-id mismatch
            )
            if reason is FailureReason.timeout and self.client.rejected(self.peer) > mark:
                raise SnmpError(
                    FailureReason.malformed,
                    f"{self.device}: replies from {self.peer[0]}:{self.peer[1]} could not be decoded "
                    "or did not match the request (garbage, wrong request-id)",
                )
            if reason is FailureReason.timeout and self.auth.user is not None and self.client.discovery_only(self.peer):
                raise SnmpError(
                    FailureReason.auth,
                    f"{self.device}: the element answers SNMPv3 discovery but none of our requests "
                    f"({self.auth.describe()}): wrong privacy key or protocol?",
                )
            raise SnmpError(reason, f"{self.device}: {indication} ({self.auth.describe()})")
        status = int(v2c.apiPDU.get_error_status(response))
        index = int(v2c.apiPDU.get_error_index(response, muteErrors=True))
        vbs = v2c.apiPDU.get_varbinds(response) if not status else ()
        if not status and not vbs:
            raise SnmpError(FailureReason.malformed, f"{self.device}: empty response")
        return status, index, vbs

    # -- GET ----------------------------------------------------------------------------------------

    async def get(self, oids: Sequence[str]) -> dict[str, Value | None]:
        """GET scalar instances; an instance the agent does not have maps to ``None``."""
        request = [(ObjectName(_arcs(o)), _NULL) for o in oids]
        status, index, vbs = await self._request("get", request)
        if status == NO_SUCH_NAME and not self.bulk:  # v1: one missing instance fails the PDU
            missing = oids[index - 1] if 0 < index <= len(oids) else None
            if missing is None:
                raise SnmpError(FailureReason.no_such_object, f"{self.device}: noSuchName")
            rest = [o for o in oids if o != missing]
            out = await self.get(rest) if rest else {}
            out[missing] = None
            return {o: out[o] for o in oids}
        if status:
            raise SnmpError(reason_of_status(status), f"{self.device}: agent answered GET with {status_name(status)}")
        if len(vbs) != len(oids):
            raise SnmpError(
                FailureReason.malformed, f"{self.device}: GET of {len(oids)} OIDs answered with {len(vbs)} values"
            )
        out2: dict[str, Value | None] = {}
        for oid, (_, value) in zip(oids, vbs, strict=True):
            try:
                out2[oid] = to_value(value)
            except TypeError as exc:
                raise SnmpError(FailureReason.malformed, f"{self.device}: {oid}: {exc}") from None
        return out2

    async def probe(self, oids: Sequence[str]) -> dict[str, str]:
        """GET object OIDs (no instance) to tell 'not implemented' from 'empty'.

        Returns ``noSuchObject`` / ``noSuchInstance`` / ``value`` per OID (v1 agents say
        ``noSuchName`` for both; it is read as noSuchObject).
        """
        request = [(ObjectName(_arcs(o)), _NULL) for o in oids]
        status, _, vbs = await self._request("get", request)
        if status == NO_SUCH_NAME:
            return dict.fromkeys(oids, "noSuchObject")
        if status or len(vbs) != len(oids):
            raise SnmpError(FailureReason.malformed, f"{self.device}: probe answered with {status_name(status)}")
        out: dict[str, str] = {}
        for oid, (_, value) in zip(oids, vbs, strict=True):
            if isinstance(value, NoSuchObject):
                out[oid] = "noSuchObject"
            elif isinstance(value, NoSuchInstance):
                out[oid] = "noSuchInstance"
            else:
                out[oid] = "value"
        return out

    # -- walk ---------------------------------------------------------------------------------------

    async def walk(
        self,
        columns: Sequence[str],
        *,
        max_repetitions: int,
        scalars: Sequence[str] = (),
        expected_rows: Mapping[str, int] | None = None,
    ) -> WalkResult:
        """Walk ``columns`` (numeric OIDs) to their ends; also read ``scalars`` (instances ending
        in ``.0``) in the first request. Never raises: a failure is in ``result.failure``.

        ``expected_rows`` (column -> rows seen last time) lets the walk ask for just enough: the
        columns are split into groups of similar length (:func:`group_columns`), each walked with
        its own GETBULKs, the groups at the same time."""
        cols = {c: Column(_arcs(c)) for c in dict.fromkeys(columns)}
        for col in cols.values():
            col.cursor = col.oid
        result = WalkResult(columns=cols)
        wanted = list(dict.fromkeys(scalars))
        for s in wanted:
            if not s.endswith(".0"):
                raise ValueError(f"scalar {s} is not an instance ending in .0")
        hints = expected_rows or {}
        groups = group_columns(list(cols), hints, max_repetitions) if hints and self.bulk else [list(cols)]
        if len(groups) == 1:
            await self._walk_group({k: cols[k] for k in groups[0]}, wanted, hints, max_repetitions, result)
        else:
            await asyncio.gather(
                *(
                    self._walk_group(
                        {k: cols[k] for k in group}, wanted if n == 0 else [], hints, max_repetitions, result
                    )
                    for n, group in enumerate(groups)
                )
            )
        for s in wanted:
            result.scalars.setdefault(s, None)
        return result

    async def _walk_group(
        self,
        cols: dict[str, Column],
        scalars: list[str],
        hints: Mapping[str, int],
        max_repetitions: int,
        result: WalkResult,
    ) -> None:
        pending_scalars = list(scalars)
        max_columns = len(cols) or 1
        cap = max_repetitions
        try:
            while result.failure is None:
                active = [(k, c) for k, c in cols.items() if not c.ended][:max_columns]
                if not active and not pending_scalars:
                    return
                reps = self._repetitions(active, hints, cap)
                request = [(ObjectName(_arcs(s)[:-1]), _NULL) for s in pending_scalars]
                request += [(ObjectName(c.cursor), _NULL) for _, c in active]
                if self.bulk:
                    status, index, vbs = await self._request("bulk", request, len(pending_scalars), reps)
                else:
                    status, index, vbs = await self._request("next", request)
                result.requests += 1
                result.varbinds += len(vbs)
                if status == TOO_BIG:
                    if cap > 1:
                        cap = max(1, cap // 2)
                    elif max_columns > 1:
                        max_columns = max(1, max_columns // 2)
                    else:
                        raise SnmpError(FailureReason.truncated, f"{self.device}: tooBig for a single OID")
                    continue
                if status == NO_SUCH_NAME and not self.bulk:
                    self._v1_end(index, pending_scalars, active, result)
                    continue
                if status:
                    raise SnmpError(
                        reason_of_status(status), f"{self.device}: agent answered a walk with {status_name(status)}"
                    )
                self._take(vbs, pending_scalars, active, result)
                pending_scalars = []
        except SnmpError as exc:
            if result.failure is None:
                result.failure = exc
        except Exception as exc:  # never let a library surprise escape the session
            if result.failure is None:
                result.failure = SnmpError(reason_of_exception(exc), f"{self.device}: {type(exc).__name__} during walk")

    @staticmethod
    def _repetitions(active: list[tuple[str, Column]], hints: Mapping[str, int], cap: int) -> int:
        if not active:
            return 1
        wanted = 0
        for key, col in active:
            hint = hints.get(key)
            if hint is None:
                return cap
            wanted = max(wanted, hint - len(col.cells) + 1)
        return max(1, min(cap, wanted))

    def _v1_end(self, index: int, scalars: list[str], active: list[tuple[str, Column]], result: WalkResult) -> None:
        """SNMPv1 GETNEXT: noSuchName at ``index`` means that varbind ran past the end of the MIB."""
        pos = index - 1
        if 0 <= pos < len(scalars):
            result.scalars[scalars.pop(pos)] = None
            return
        pos -= len(scalars)
        if 0 <= pos < len(active):
            col = active[pos][1]
            col.ended = col.end_of_mib = True
            return
        raise SnmpError(FailureReason.malformed, f"{self.device}: noSuchName with error-index {index} out of range")

    def _take(
        self, vbs: Sequence[RawVarBind], scalars: list[str], active: list[tuple[str, Column]], result: WalkResult
    ) -> None:
        n_scalars = len(scalars)
        if len(vbs) < n_scalars:
            raise SnmpError(FailureReason.malformed, f"{self.device}: reply lacks the requested scalars")
        for oid, (name, value) in zip(scalars, vbs[:n_scalars], strict=True):
            if _dotted(name.asTuple()) == oid:
                result.scalars[oid] = self._value(oid, value, result)
            else:
                result.scalars[oid] = None
        n = len(active)
        if n == 0:
            return
        progress = n_scalars > 0
        for i, (name, value) in enumerate(vbs[n_scalars:]):
            col = active[i % n][1]
            if col.ended:
                continue
            if value.__class__ is EndOfMibView:
                col.ended = col.end_of_mib = progress = True
                continue
            arcs = name.asTuple()
            prefix = col.oid
            if arcs[: len(prefix)] != prefix or len(arcs) == len(prefix):
                col.ended = progress = True
                continue
            if isinstance(value, NoSuchObject | NoSuchInstance):
                col.ended = progress = True
                col.exception = "noSuchObject" if isinstance(value, NoSuchObject) else "noSuchInstance"
                continue
            if arcs <= col.cursor:
                raise SnmpError(
                    FailureReason.malformed,
                    f"{self.device}: OID not increasing in walk of {_dotted(prefix)} ({_dotted(arcs)} after "
                    f"{_dotted(col.cursor)})",
                )
            col.cursor = arcs
            progress = True
            converted = self._value(_dotted(arcs), value, result)
            if converted is not None:
                col.cells[".".join(map(str, arcs[len(prefix) :]))] = converted
        if not progress:
            raise SnmpError(FailureReason.malformed, f"{self.device}: walk reply moved no column forward")

    def _value(self, oid: str, value: Any, result: WalkResult) -> Value | None:
        try:
            return to_value(value)
        except TypeError as exc:
            result.problems.append(f"{oid}: {exc}")
            return None


REQUEST_COST_VARBINDS = 8
"""One more request costs about as much CPU as decoding this many varbinds (measured with pysnmp:
~0.4 ms per request, ~0.05 ms per varbind); :func:`group_columns` splits columns into separate
GETBULKs only where that saves more varbinds of overshoot than this."""


def group_columns(columns: Sequence[str], hints: Mapping[str, int], max_repetitions: int) -> list[list[str]]:
    """Split columns into groups walked with one repetition count each.

    A column needs its expected rows + 1 repetitions (the last one shows its end); in a GETBULK
    every column gets the largest count of its group, so a short column in a long group costs
    overshoot. Going from the longest need down, a group of columns joins the previous group when
    its overshoot there is at most :data:`REQUEST_COST_VARBINDS` varbinds, else it starts its own.
    """
    needs: dict[int, list[str]] = {}
    for column in columns:
        hint = hints.get(column)
        need = max_repetitions if hint is None else max(1, min(max_repetitions, hint + 1))
        needs.setdefault(need, []).append(column)
    groups: list[list[str]] = []
    current = 0
    for need in sorted(needs, reverse=True):
        cols = needs[need]
        if groups and len(cols) * (current - need) <= REQUEST_COST_VARBINDS:
            groups[-1].extend(cols)
        else:
            groups.append(list(cols))
            current = need
    return groups or [list(columns)]
