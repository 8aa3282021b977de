"""One CLI poll of one element: a session in the pool, its outputs judged into an Observation.

:meth:`CliCollector.poll` never raises (except on cancellation). What can go wrong is data:

* the session's own failures (:class:`~agent.cli.errors.CliFailure`: auth_failed, timeout,
  refused, unreachable, no_prompt, protocol_error), for the whole session or for one command;
* ``unparsed_output``: a command whose output the platform's templates do not understand. It is a
  failure of that command's scope only: :func:`agent.cli.observe.observe` leaves the scope out of
  the observation's complete scopes, so its conditions stay as they were, while the other
  commands' scopes update as usual.

Each failure is logged with the element (a warning when it is new, debug while it repeats) and
counted (:class:`~agent.cli.metrics.CliMetrics`). A poll with any failure counts as a failed poll;
``cli.failed_after`` failed polls in a row raise ``COLLECTION_FAILED`` on the element (resource
``device:<id>``, scope ``cli:collection``), which the next poll without any failure clears. It is a
different alarm from ``DEVICE_UNREACHABLE``: the element may well answer SNMP while its CLI login,
prompt or output is broken. A failed poll leaves every other condition as it was.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from agent.cli.errors import CliFailure
from agent.cli.metrics import CliMetrics
from agent.cli.observe import VendorAlarmTable, observe
from agent.cli.pool import ElementBusy, SessionHung, SessionPool
from agent.cli.session import SessionResult, Timeouts, run_session
from agent.cli.targets import CliDevice
from agent.observation import Condition, Observation
from agent.settings import CliPolling, OpticalThresholds
from correlator.alarmtypes import AlarmTypeTable
from correlator.wire import Resource, ResourceType

log = logging.getLogger(__name__)

COLLECTION = "cli:collection"
"""Scope of COLLECTION_FAILED: complete in every poll without a failure, absent otherwise."""
COLLECTION_FAILED = "COLLECTION_FAILED"

ActiveLookup = Callable[[str], Collection[Condition]]
PortsLookup = Callable[[str], Collection[str]]


@dataclass
class CliOutcome:
    """What one CLI poll did, for the daemon, metrics, logs and tests."""

    device: str
    observation: Observation
    errors: list[tuple[CliFailure, str]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    logged_in: bool = False
    duration_s: float = 0.0
    """Login to logout plus reading the outputs (time spent waiting for a worker not included)."""
    failures: int = 0
    """Failed polls in a row, this one included (0 when this one was good)."""
    notes: list[str] = field(default_factory=list)
    """Warnings of the session that failed nothing."""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def result(self) -> str:
        """``ok`` or the reason of the poll's first failure (the ``result`` label)."""
        return self.errors[0][0].value if self.errors else "ok"


@dataclass
class _State:
    failures: int = 0
    logged: frozenset[str] = frozenset()


class CliCollector:
    """Polls elements over the CLI; one instance per agent, sharing one session pool."""

    def __init__(
        self,
        *,
        settings: CliPolling,
        pool: SessionPool,
        alarm_names: VendorAlarmTable,
        alarm_types: AlarmTypeTable,
        optical: OpticalThresholds | None = None,
        metrics: CliMetrics | None = None,
        active: ActiveLookup | None = None,
        known_ports: PortsLookup | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.alarm_names = alarm_names
        self.optical = optical
        self.metrics = metrics
        self.active = active
        self.known_ports = known_ports
        self.failed_severity = alarm_types.get(COLLECTION_FAILED).severity
        self.timeouts = Timeouts(
            connect_s=settings.connect_timeout_s,
            banner_s=settings.banner_timeout_s,
            auth_s=settings.auth_timeout_s,
            read_s=settings.read_timeout_s,
        )
        self._states: dict[str, _State] = {}
        if metrics is not None:
            metrics.watch_pool(lambda: pool.active, lambda: pool.waiting)

    def failures(self, device: str) -> int:
        state = self._states.get(device)
        return state.failures if state else 0

    def forget(self, device: str) -> None:
        self._states.pop(device, None)
        if self.metrics is not None:
            self.metrics.forget_device(device)

    async def poll(self, dev: CliDevice) -> CliOutcome:
        """Poll one element; never raises (except CancelledError)."""
        state = self._states.setdefault(dev.id, _State())
        outcome = CliOutcome(device=dev.id, observation=Observation(device=dev.id))
        started = time.perf_counter()
        try:
            result = await self.pool.run(
                dev.id,
                functools.partial(run_session, dev.target, dev.dialect, dev.commands, self.timeouts),
                limit_s=self.settings.session_timeout_s,
            )
        except ElementBusy:
            outcome.errors.append(
                (CliFailure.timeout, f"{dev.id}: the previous CLI session is still open (hung); no second one opened")
            )
        except SessionHung:
            outcome.errors.append(
                (
                    CliFailure.timeout,
                    f"{dev.id}: the CLI session did not end within {self.settings.session_timeout_s:g} s "
                    "and is still blocked after being aborted",
                )
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or a library surprise: one element never stops the agent
            log.exception("%s: CLI poll failed unexpectedly", dev.id)
            outcome.errors.append((CliFailure.protocol_error, f"{dev.id}: {type(exc).__name__} during the CLI poll"))
        else:
            judging = time.perf_counter()
            self._judge(dev, result, outcome)
            outcome.duration_s = result.duration_s + time.perf_counter() - judging
        if not outcome.duration_s:  # no session ran to its end: the time this poll took
            outcome.duration_s = time.perf_counter() - started
        self._count(dev, state, outcome)
        return outcome

    # -- judging --------------------------------------------------------------------------------

    def _judge(self, dev: CliDevice, result: SessionResult, outcome: CliOutcome) -> None:
        outcome.logged_in = result.logged_in
        outcome.outputs = dict(result.outputs)
        outcome.notes = list(result.notes)
        for err in result.failures.values():
            outcome.errors.append((err.reason, err.message))
        if result.error is not None and all(result.error is not e for e in result.failures.values()):
            outcome.errors.insert(0, (result.error.reason, result.error.message))
        if not result.outputs:
            return
        try:
            obs = observe(
                dev.platform,
                dev.id,
                result.outputs,
                self.alarm_names,
                optical=self.optical,
                active=self.active(dev.id) if self.active is not None else (),
                known_ports=self.known_ports(dev.id) if self.known_ports is not None else (),
                ctags=result.ctags,
            )
        except Exception as exc:  # the parsing layer must not raise on output; if it does, nothing is cleared
            log.exception("%s: the CLI outputs could not be judged", dev.id)
            obs = Observation(device=dev.id, problems=[f"{dev.id}: {type(exc).__name__} while reading the outputs"])
        outcome.observation = obs
        for cmd in dev.platform.commands:
            if cmd.key in result.outputs and cmd.scope not in obs.scopes:
                why = next((p for p in obs.problems if cmd.scope in p), f"{dev.id}: {cmd.scope}: output not understood")
                outcome.errors.append((CliFailure.unparsed_output, why))

    def _count(self, dev: CliDevice, state: _State, outcome: CliOutcome) -> None:
        obs = outcome.observation
        if outcome.errors:
            state.failures += 1
            if state.failures >= self.settings.failed_after:
                reason = outcome.errors[0][0].value
                obs.conditions.append(
                    Condition(
                        Resource(type=ResourceType.device, id=dev.id),
                        COLLECTION_FAILED,
                        self.failed_severity,
                        scope=COLLECTION,
                        detail=f"no complete CLI collection in {self.settings.failed_after} polls in a row "
                        f"(last: {reason})",
                    )
                )
                obs.scopes.add(COLLECTION)
        else:
            if state.failures:
                log.info("%s: CLI collection complete again after %d failed poll(s)", dev.id, state.failures)
            state.failures = 0
            obs.scopes.add(COLLECTION)
        outcome.failures = state.failures
        obs.problems.extend(f"{reason.value}: {message}" for reason, message in outcome.errors)
        messages = frozenset(message for _, message in outcome.errors)
        for reason, message in outcome.errors:
            if message in state.logged:
                log.debug("%s [%s], %d failed poll(s) in a row", message, reason.value, state.failures)
            else:
                log.warning("%s [%s], %d failed poll(s) in a row", message, reason.value, state.failures)
        notes = frozenset(p for p in obs.problems if p not in messages and not p.startswith(tuple(CliFailure)))
        notes |= frozenset(outcome.notes)
        for note in notes - state.logged:
            log.warning("%s", note)
        state.logged = messages | notes
        if self.metrics is not None:
            self.metrics.poll_finished(
                dev.id,
                dev.platform.name,
                result=outcome.result,
                reasons=[reason for reason, _ in outcome.errors],
                duration_s=outcome.duration_s,
                failures=state.failures,
            )
