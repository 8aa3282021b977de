"""Poll one element over SNMP: read what its profile asks for and judge it into an Observation.

One poll of an element:

1. read ``sysObjectID``, ``sysDescr`` and ``sysUpTime`` (a GET on the first poll; afterwards they
   ride as non-repeaters in the first GETBULK of the table walk);
2. pick the element's profile (:meth:`ProfileSet.detect`), cached per element and chosen again
   when ``sysObjectID`` changes (a board swap or a software upgrade);
3. walk every column of every table of the profile in one multi-column walk;
4. build the rows per table and tell which tables were read completely: a table is complete when
   every column reached its end and nothing shows it was cut short; a table none of whose
   columns the agent implements (noSuchObject) is not complete;
5. hand the rows to :meth:`Profile.evaluate`, and add the ``reachability`` scope.

``Poller.poll`` never raises (except on cancellation): every failure becomes a classified
:class:`~agent.snmp.errors.FailureReason`, is logged with the element id (never a community or a
key) and counted in the metrics. A failed poll gives an Observation with no scope (it changes
nothing) until ``unreachable_after`` polls in a row have failed; from then on it gives
``DEVICE_UNREACHABLE`` in the ``reachability`` scope, which the next good poll clears.

Elements are polled with bounded concurrency (``settings.concurrency`` at once, shared by every
element of this poller), each request with the element's timeout and retries, and a whole poll
never runs past ``settings.interval_s``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from agent.metrics import AgentMetrics
from agent.observation import Condition, Observation
from agent.profiles import Profile, ProfileSet, Rows, TableSpec
from agent.settings import OpticalThresholds, SnmpPolling
from agent.snmp.auth import CredentialError, SnmpAuth
from agent.snmp.client import SnmpClient
from agent.snmp.errors import FailureReason, SnmpError, reason_of_exception
from agent.snmp.session import Column, SnmpSession, WalkResult
from agent.snmprec import Value
from correlator.alarmtypes import AlarmTypeTable, load_alarm_types
from correlator.configfile.daemon import CredentialSet
from correlator.inventory.model import Device
from correlator.secrets import SecretResolver
from correlator.wire import Resource, ResourceType, Severity

log = logging.getLogger(__name__)

SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYSTEM = (SYS_OBJECT_ID, SYS_DESCR, SYS_UPTIME)

REACHABILITY = "reachability"
"""Scope of DEVICE_UNREACHABLE: present in every good poll, absent from a failed one."""
UNREACHABLE = "DEVICE_UNREACHABLE"

ActiveLookup = Callable[[str], Collection[Condition]]
"""Element id -> the conditions raised on it now (the state tracker's view), for evaluate()."""


@dataclass
class PollOutcome:
    """What one poll did, for metrics, logs and tests."""

    device: str
    observation: Observation
    profile: str | None = None
    reason: FailureReason | None = None
    """Why the element could not be read at all (None: it answered)."""
    errors: list[tuple[FailureReason, str]] = field(default_factory=list)
    """Every classified failure of this poll (the element-level one and per-table ones)."""
    complete: set[str] = field(default_factory=set)
    """Tables read completely."""
    rows: dict[str, Rows] = field(default_factory=dict)
    varbinds: int = 0
    """Variable bindings received (cells, scalars and the OIDs that showed an end)."""
    requests: int = 0
    duration_s: float = 0.0

    @property
    def reached(self) -> bool:
        return self.reason is None


@dataclass
class _State:
    """What the poller keeps per element between polls."""

    session: SnmpSession | None = None
    session_key: tuple[object, ...] = ()
    profile: Profile | None = None
    sys_object_id: str | None = None
    failures: int = 0
    last_reason: FailureReason | None = None
    last_errors: frozenset[str] = frozenset()
    expected_rows: dict[str, int] = field(default_factory=dict)


class PollFailed(Exception):
    def __init__(self, error: SnmpError) -> None:
        super().__init__(error.message)
        self.error = error


class Poller:
    """Polls elements over SNMP with their profiles; one instance per agent."""

    def __init__(
        self,
        *,
        settings: SnmpPolling,
        profiles: ProfileSet,
        optical: OpticalThresholds,
        client: SnmpClient,
        credentials: Mapping[str, CredentialSet],
        resolver: SecretResolver,
        metrics: AgentMetrics | None = None,
        active: ActiveLookup | None = None,
        alarm_types: AlarmTypeTable | None = None,
    ) -> None:
        self.settings = settings
        self.profiles = profiles
        self.optical = optical
        self.client = client
        self.credentials = credentials
        self.resolver = resolver
        self.metrics = metrics
        self.active = active
        types = alarm_types or load_alarm_types()
        self.unreachable_severity: Severity = types.get(UNREACHABLE).severity
        self._states: dict[str, _State] = {}
        self._semaphore: asyncio.Semaphore | None = None

    # -- public -------------------------------------------------------------------------------

    async def poll(self, device: Device) -> Observation:
        """Poll one element; never raises (except CancelledError)."""
        return (await self.poll_outcome(device)).observation

    async def poll_many(self, devices: Iterable[Device]) -> list[PollOutcome]:
        """Poll several elements at once (bounded by ``settings.concurrency``); one bad element
        never stops the others."""
        return list(await asyncio.gather(*(self.poll_outcome(d) for d in devices)))

    def forget(self, device_id: str) -> None:
        """Drop what is kept for an element (its session, profile and counters)."""
        self._states.pop(device_id, None)
        self.client.close_session(device_id)
        if self.metrics is not None:
            self.metrics.forget_device(device_id)

    def profile_of(self, device_id: str) -> Profile | None:
        state = self._states.get(device_id)
        return state.profile if state else None

    async def poll_outcome(self, device: Device) -> PollOutcome:
        """Poll one element and say what happened; never raises (except CancelledError)."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        async with self._semaphore:
            state = self._states.setdefault(device.id, _State())
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.settings.interval_s):
                    outcome = await self._poll(device, state)
            except PollFailed as exc:
                outcome = self._failed(device, state, exc.error)
            except TimeoutError:
                outcome = self._failed(
                    device,
                    state,
                    SnmpError(
                        FailureReason.timeout,
                        f"{device.id}: poll did not finish within the poll interval ({self.settings.interval_s:g} s)",
                    ),
                )
            except Exception as exc:  # a bug or a library surprise: one element never stops the agent
                log.exception("poll of %s failed unexpectedly", device.id)
                outcome = self._failed(
                    device, state, SnmpError(reason_of_exception(exc), f"{device.id}: {type(exc).__name__} during poll")
                )
            outcome.duration_s = time.perf_counter() - started
        self._record(device, outcome)
        return outcome

    # -- one poll -----------------------------------------------------------------------------

    def _session(self, device: Device, state: _State) -> SnmpSession:
        cred_set = self.credentials.get(device.credentials)
        if cred_set is None or cred_set.snmp is None:
            raise PollFailed(
                SnmpError(
                    FailureReason.other,
                    f"{device.id}: credential set '{device.credentials}' has no 'snmp' section "
                    "(add one to the daemon config, or do not poll this element over SNMP)",
                )
            )
        key = (
            str(device.mgmt_address),
            device.snmp.port,
            device.credentials,
            cred_set.snmp,
            self.settings.timeout_s,
            self.settings.retries,
        )
        if state.session is not None and state.session_key == key and not state.session.closed:
            return state.session
        try:
            auth: SnmpAuth = self.client.auth(device.credentials, cred_set.snmp, self.resolver)
            session = self.client.open_session(
                device.id,
                str(device.mgmt_address),
                device.snmp.port,
                auth,
                timeout_s=self.settings.timeout_s,
                retries=self.settings.retries,
            )
        except CredentialError as exc:
            raise PollFailed(SnmpError(FailureReason.other, f"{device.id}: {exc}")) from None
        state.session, state.session_key = session, key
        return session

    async def _poll(self, device: Device, state: _State) -> PollOutcome:
        session = self._session(device, state)
        outcome = PollOutcome(device=device.id, observation=Observation(device=device.id))
        walk: WalkResult | None = None
        system: Mapping[str, Value | None]
        profile = state.profile
        if profile is not None:
            walk = await self._walk(session, profile, state, outcome, scalars=SYSTEM)
            if walk.failure is not None and not walk.scalars.get(SYS_OBJECT_ID):
                raise PollFailed(walk.failure)
            system = walk.scalars
        else:
            try:
                system = await session.get(list(SYSTEM))
            except SnmpError as exc:
                raise PollFailed(exc) from None
            finally:
                outcome.requests += 1
        sys_object_id = system.get(SYS_OBJECT_ID)
        if not isinstance(sys_object_id, str):
            raise PollFailed(
                SnmpError(FailureReason.no_such_object, f"{device.id}: the element has no sysObjectID.0 (not MIB-II?)")
            )
        if profile is None or sys_object_id != state.sys_object_id:
            descr = system.get(SYS_DESCR)
            text = descr.decode("utf-8", errors="replace") if isinstance(descr, bytes) else str(descr or "")
            detected = self.profiles.detect(sys_object_id, text, device.kind)
            if profile is not None:
                log.info(
                    "%s: sysObjectID changed %s -> %s, profile %s -> %s",
                    device.id,
                    state.sys_object_id,
                    sys_object_id,
                    profile.id,
                    detected.id,
                )
            if detected is not profile:
                state.expected_rows = {}
                walk = None
            state.profile, state.sys_object_id, profile = detected, sys_object_id, detected
        if walk is None:
            walk = await self._walk(session, profile, state, outcome)
        outcome.profile = profile.id
        rows, complete = await self._tables(session, profile, walk, outcome)
        active = self.active(device.id) if self.active is not None else ()
        obs = profile.evaluate(device.id, rows, complete, self.optical, active=active)
        obs.scopes.add(REACHABILITY)
        uptime = system.get(SYS_UPTIME)
        if obs.uptime_ticks is None and isinstance(uptime, int):
            obs.uptime_ticks = uptime
        obs.varbinds = sum(len(c.cells) for c in walk.columns.values()) + sum(
            1 for v in system.values() if v is not None
        )
        obs.problems.extend(walk.problems)
        obs.problems.extend(f"{reason.value}: {message}" for reason, message in outcome.errors)
        outcome.observation, outcome.rows, outcome.complete = obs, rows, complete
        state.expected_rows.update({oid: len(col.cells) for oid, col in walk.columns.items() if col.ended})
        if state.failures or state.last_reason is not None:
            log.info("%s: answers again (profile %s)", device.id, profile.id)
        state.failures, state.last_reason = 0, None
        return outcome

    async def _walk(
        self,
        session: SnmpSession,
        profile: Profile,
        state: _State,
        outcome: PollOutcome,
        scalars: Sequence[str] = (),
    ) -> WalkResult:
        columns = [c for spec in profile.tables() for c in spec.columns]
        walk = await session.walk(
            columns,
            max_repetitions=self.settings.max_repetitions,
            scalars=scalars,
            expected_rows=state.expected_rows or None,
        )
        outcome.requests += walk.requests
        outcome.varbinds += walk.varbinds
        return walk

    async def _tables(
        self, session: SnmpSession, profile: Profile, walk: WalkResult, outcome: PollOutcome
    ) -> tuple[dict[str, Rows], set[str]]:
        rows: dict[str, Rows] = {}
        complete: set[str] = set()
        empty: list[TableSpec] = []
        failure = walk.failure
        for spec in profile.tables():
            cols = [walk.columns[c] for c in spec.columns]
            rows[spec.name] = _rows(spec, cols)
            if not all(c.ended for c in cols):
                continue  # broke off: the failure is counted once below
            short = _cut_short(cols)
            if short:
                outcome.errors.append(
                    (
                        FailureReason.truncated,
                        f"{outcome.device}: {spec.name}: the agent's MIB view ended inside the table "
                        f"(column(s) {', '.join(short)} stop before the others)",
                    )
                )
                continue
            if not any(c.cells for c in cols):
                empty.append(spec)
                continue
            complete.add(spec.name)
        if failure is not None:
            unfinished = [c for c in walk.columns.values() if not c.ended]
            reason = FailureReason.truncated if any(c.cells for c in unfinished) else failure.reason
            if failure.reason in (FailureReason.malformed, FailureReason.auth):
                reason = failure.reason
            outcome.errors.append((reason, f"{failure.message} (tables not read completely)"))
        if empty:
            complete |= await self._probe(session, empty, outcome)
        return rows, complete

    async def _probe(self, session: SnmpSession, empty: list[TableSpec], outcome: PollOutcome) -> set[str]:
        """Tables with no row: empty (complete) or not implemented (noSuchObject, not complete)?"""
        firsts = [spec.columns[0] for spec in empty]
        try:
            answers = await session.probe(firsts)
        except SnmpError as exc:
            outcome.errors.append((exc.reason, f"{exc.message} (probing empty tables)"))
            return set()
        finally:
            outcome.requests += 1
        present: set[str] = set()
        for spec, first in zip(empty, firsts, strict=True):
            if answers.get(first) == "noSuchObject":
                outcome.errors.append(
                    (FailureReason.no_such_object, f"{outcome.device}: {spec.name}: the element does not implement it")
                )
            else:
                present.add(spec.name)
        return present

    def _failed(self, device: Device, state: _State, error: SnmpError) -> PollOutcome:
        state.failures += 1
        obs = Observation(device=device.id, problems=[f"{error.reason.value}: {error.message}"])
        if state.failures >= self.settings.unreachable_after:
            polls = self.settings.unreachable_after
            detail = f"no usable SNMP answer in {polls} polls in a row (last: {error.reason.value})"
            obs.conditions.append(
                Condition(
                    Resource(type=ResourceType.device, id=device.id),
                    UNREACHABLE,
                    self.unreachable_severity,
                    scope=REACHABILITY,
                    detail=detail,
                )
            )
            obs.scopes.add(REACHABILITY)
        if error.reason != state.last_reason:
            log.warning(
                "%s (%s:%s): poll failed: %s [%s], %d in a row",
                device.id,
                device.mgmt_address,
                device.snmp.port,
                error.message,
                error.reason.value,
                state.failures,
            )
        else:
            log.debug("%s: poll failed again: %s [%s]", device.id, error.message, error.reason.value)
        state.last_reason = error.reason
        return PollOutcome(
            device=device.id,
            observation=obs,
            profile=state.profile.id if state.profile else None,
            reason=error.reason,
            errors=[(error.reason, error.message)],
        )

    def _record(self, device: Device, outcome: PollOutcome) -> None:
        state = self._states.get(device.id)
        if outcome.reached and state is not None:
            seen = frozenset(message for _, message in outcome.errors)
            for reason, message in outcome.errors:
                if message in state.last_errors:
                    log.debug("%s: %s [%s]", device.id, message, reason.value)
                else:
                    log.warning("%s: %s [%s]", device.id, message, reason.value)
            state.last_errors = seen
        if self.metrics is not None:
            self.metrics.poll_finished(
                device.id,
                device.kind.value,
                duration_s=outcome.duration_s,
                reached=outcome.reached,
                reasons=[reason for reason, _ in outcome.errors],
                varbinds=outcome.varbinds,
            )
            if outcome.reached:
                self.metrics.observed(outcome.observation)


def _rows(spec: TableSpec, cols: Sequence[Column]) -> Rows:
    rows: Rows = {}
    for oid, col in zip(spec.columns, cols, strict=True):
        for index, value in col.cells.items():
            row = rows.get(index)
            if row is None:
                rows[index] = {oid: value}
            else:
                row[oid] = value
    return rows


def _key(index: str) -> tuple[int, ...]:
    return tuple(int(p) for p in index.split("."))


def _cut_short(cols: Sequence[Column]) -> list[str]:
    """Columns that hit the end of the agent's MIB view while other columns of the same table go
    on past their last row: the table was cut off mid-way, not read."""
    short = []
    for col in cols:
        if not col.end_of_mib or not col.cells:
            continue
        last = max(_key(i) for i in col.cells)
        if any(_key(i) > last for other in cols if other is not col for i in other.cells):
            short.append(".".join(map(str, col.oid)))
    return short


GC_THRESHOLD = 10_000
"""Allocations between young-generation collections once :func:`tune_runtime` ran (CPython's own
default is 700). Decoding SNMP allocates many short-lived objects; collecting less often saves
about a sixth of the CPU a poll costs, for a few MB more memory."""


def tune_runtime(gc_threshold: int = GC_THRESHOLD) -> None:
    """Call once when the agent has loaded its configuration: freezes what is loaded so far out of
    the garbage collector's scans and makes young collections rarer."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(gc_threshold, second, third)
