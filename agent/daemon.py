"""The agent daemon (``linewatch agent``): poll, diff, publish, receive traps, serve metrics.

Wiring, from a loaded daemon config (:class:`~correlator.configfile.loader.LoadedConfig`):

* alarm types and device profiles from ``agent.alarm_types`` / ``agent.profiles_dir`` (relative to
  the config file);
* the elements to poll: ``agent.devices`` or every inventory element whose credential set has an
  ``snmp`` section. An element whose secrets cannot be resolved is logged with its credential set
  and the reference (never a value) and left out; the others are polled;
* :class:`~agent.statestore.StateStore` in ``agent.state_dir`` and the
  :class:`~agent.state.StateTracker` seeded from it; each poll's observation goes through the
  tracker, and every change batch is written with its events to the store's outbox;
* the publisher of ``agent.publish`` and a :class:`~agent.publish.Shipper` draining the outbox
  into it, in order, retrying while the publisher is down;
* the poller and its APScheduler interval jobs, the trap receiver (``agent.traps``), and
  ``/metrics`` on ``agent.http_listen``. A listen address that cannot be bound (metrics or traps)
  is logged as an error and the agent runs without that part;
* with ``agent.cli.enabled``: the CLI platforms and the vendor alarm-name table, the elements
  polled over SSH/telnet (:func:`agent.cli.targets.select_cli_devices`), a bounded pool of session
  workers and the :class:`~agent.cli.collector.CliCollector`, with interval jobs of their own
  (``agent.cli.interval_s``). CLI observations go through the same state tracker as SNMP polls
  (source ``cli``), so a condition both see is one alarm (see :mod:`agent.state`).

``run`` goes on until ``stop`` is set (SIGTERM/SIGINT in the CLI), then stops the trap receiver,
stops scheduling and waits for the polls in flight, makes a last attempt to publish, and closes
everything. ``run_once`` polls every element once, publishes and returns.

Every secret the agent resolves is also registered with :data:`REDACTOR`, a logging filter that
replaces it with ``***`` in any log record, as a second line of defence behind code that never
logs one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import ValidationError

from agent.cli.collector import CliCollector
from agent.cli.metrics import CliMetrics
from agent.cli.observe import VendorAlarmTable, load_vendor_alarms
from agent.cli.platform import Platform, load_platforms
from agent.cli.pool import SessionPool
from agent.cli.targets import CliDevice, CliSelection, select_cli_devices
from agent.metrics import AgentMetrics, MetricsServer
from agent.observation import Condition
from agent.poller import Poller
from agent.profiles import ProfileSet, ResourceIndex, load_profiles
from agent.publish import Publisher, Shipper, make_publisher, redact_url
from agent.scheduler import PollScheduler
from agent.settings import AgentSettings
from agent.snmp import SnmpClient
from agent.snmp.auth import CredentialError, build_auth
from agent.state import StateTracker
from agent.statestore import StateStore
from agent.traps import TrapReceiver, TrapReceiverError, trap_auth
from correlator.alarmtypes import AlarmTypeTable, load_alarm_types
from correlator.clock import Clock, SystemClock
from correlator.configfile.daemon import CredentialSet
from correlator.configfile.errors import ConfigError, ConfigIssue, PathKey
from correlator.configfile.loader import LoadedConfig
from correlator.configfile.yamlsrc import issue_in, load_yaml
from correlator.inventory.model import Device
from correlator.secrets import SecretResolver
from correlator.wire import Action, AlarmEvent, ResourceType, Source

log = logging.getLogger("agent.daemon")

MIN_REDACTED_LENGTH = 4
"""Secrets shorter than this are not searched for in log text (they would blank ordinary words)."""


# -- logging ------------------------------------------------------------------------------------


class SecretRedactor(logging.Filter):
    """Replaces every registered secret value with ``***`` in a record's message and traceback."""

    def __init__(self) -> None:
        super().__init__()
        self._values: list[str] = []

    def add(self, values: Iterable[str]) -> None:
        known = set(self._values)
        known.update(v for v in values if len(v) >= MIN_REDACTED_LENGTH)
        self._values = sorted(known, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._values:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


REDACTOR = SecretRedactor()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC), level, logger, msg, and exc when there is a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            obj["exc"] = record.exc_text
        return json.dumps(obj, ensure_ascii=False)


def configure_logging(json_logs: bool = False, level: int = logging.INFO) -> None:
    """Plain text (default) or JSON lines on stderr, with the secret redactor on the handler."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("apscheduler", "nats", "netmiko"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # paramiko logs every SSH failure (with a traceback) that the CLI collector classifies and logs itself
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def _guard_root_handlers() -> None:
    """Put the redactor on every root handler (also the ones a host program or pytest installed)."""
    for handler in logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)


# -- set-up -------------------------------------------------------------------------------------


class AgentSetupError(Exception):
    """The agent cannot start with this configuration; ``issues`` say where and how to fix it."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


def _relative(base: Path, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else base / p


def _secret_refs(cset: CredentialSet) -> list[str]:
    if cset.snmp is None:
        return []
    return [r for r in (cset.snmp.community, cset.snmp.auth_key, cset.snmp.priv_key) if r is not None]


@dataclass
class Selection:
    devices: list[Device]
    skipped: dict[str, str]
    """Element id -> why it is not polled."""
    secrets: list[str]
    """Every secret value resolved (for the log redactor)."""


def select_devices(
    cfg: LoadedConfig,
    settings: AgentSettings,
    resolver: SecretResolver,
    issue: Callable[[PathKey, str, str], None],
    cli_only: Collection[str] = (),
) -> Selection:
    """The elements this agent polls; credential problems skip the element, unknown ids are issues.
    An element of ``cli_only`` (polled over the CLI) without an ``snmp`` section is skipped quietly."""
    credentials = cfg.daemon.credentials
    wanted: list[Device] = []
    if settings.devices:
        for i, dev_id in enumerate(settings.devices):
            found = cfg.inventory.devices.get(dev_id)
            if found is None:
                issue(("agent", "devices", i), f"unknown element '{dev_id}'", "use an id from the inventory's devices")
            else:
                wanted.append(found)
    else:
        wanted = [d for d in cfg.inventory.devices if (c := credentials.get(d.credentials)) and c.snmp is not None]
    selected: list[Device] = []
    skipped: dict[str, str] = {}
    usable: dict[str, str | None] = {}
    secrets: list[str] = []
    for device in wanted:
        name = device.credentials
        if name not in usable:
            cset = credentials.get(name)
            if cset is None or cset.snmp is None:
                usable[name] = f"credential set '{name}' has no 'snmp' section"
            else:
                try:
                    build_auth(name, cset.snmp, resolver, lambda version, _value: f"probe-{version}")
                    secrets += [resolver.resolve(ref).reveal() for ref in _secret_refs(cset)]
                    usable[name] = None
                except CredentialError as exc:
                    usable[name] = str(exc)
        problem = usable[name]
        if problem is None:
            selected.append(device)
        elif device.id in cli_only and (cset := credentials.get(name)) is not None and cset.snmp is None:
            log.info("%s: polled over the CLI only (credential set '%s' has no 'snmp' section)", device.id, name)
        else:
            skipped[device.id] = problem
            log.error("%s: not polled: %s", device.id, problem)
    return Selection(selected, skipped, secrets)


@dataclass
class OnceResult:
    polled: int
    reached: int
    events: int
    pending: int
    """Events still in the outbox after the publish attempt (0: all published)."""
    cli_polled: int = 0
    cli_ok: int = 0
    """CLI polls without any failure."""


class _DaemonCollector(Collector):
    """Metrics the daemon owns: trap receiver counters, outbox depth, publish failures."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def collect(self) -> Iterator[Metric]:
        a = self.agent
        yield GaugeMetricFamily(
            "linewatch_agent_outbox_events", "AlarmEvents waiting in the outbox for the publisher.", value=a.pending
        )
        failures = a.shipper.failures if a.shipper is not None else 0
        yield CounterMetricFamily(
            "linewatch_agent_publish_failures", "Failed attempts to publish the outbox.", value=failures
        )
        traps = CounterMetricFamily(
            "linewatch_agent_traps", "SNMP notifications received, by result.", labels=["result"]
        )
        stats = a.traps.stats if a.traps is not None else None
        for result in ("accepted", "rejected", "unknown_sender", "unmapped"):
            traps.add_metric([result], getattr(stats, result) if stats is not None else 0)
        yield traps


class Agent:
    """One agent, built from a loaded config. :meth:`build` checks everything that can be wrong."""

    def __init__(
        self,
        cfg: LoadedConfig,
        settings: AgentSettings,
        alarm_types: AlarmTypeTable,
        profiles: ProfileSet,
        selection: Selection,
        resolver: SecretResolver,
        publisher: Publisher,
        clock: Clock,
        shutdown_timeout_s: float,
        cli_selection: CliSelection | None = None,
        alarm_names: VendorAlarmTable | None = None,
    ) -> None:
        self.cfg = cfg
        self.settings = settings
        self.alarm_types = alarm_types
        self.profiles = profiles
        self.devices = selection.devices
        self.skipped = selection.skipped
        self.resolver = resolver
        self.publisher = publisher
        self.clock = clock
        self.shutdown_timeout_s = shutdown_timeout_s
        self.metrics = AgentMetrics()
        self.metrics.registry.register(_DaemonCollector(self))
        self.store: StateStore | None = None
        self.tracker: StateTracker | None = None
        self.shipper: Shipper | None = None
        self.client: SnmpClient | None = None
        self.poller: Poller | None = None
        self.scheduler: PollScheduler | None = None
        self.traps: TrapReceiver | None = None
        self.http: MetricsServer | None = None
        self.pending = 0
        self.events_emitted = 0
        self._resources: dict[str, ResourceIndex] = {}
        self._resource_profile: dict[str, str] = {}
        self._shipper_task: asyncio.Task[None] | None = None
        cli = cli_selection or CliSelection()
        self.cli_devices: list[CliDevice] = cli.devices
        self.cli_skipped = cli.skipped
        self._cli_by_id = {d.id: d for d in cli.devices}
        self._snmp_ids = {d.id for d in self.devices}
        self.alarm_names = alarm_names
        self.cli_metrics = CliMetrics(self.metrics.registry) if cli.devices else None
        self.cli_pool: SessionPool | None = None
        self.cli: CliCollector | None = None
        self.cli_scheduler: PollScheduler | None = None
        self.publish_label: str | None = None
        """Where events go, for the log, when the publisher was handed in (``linewatch run``)."""

    # -- building -------------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        cfg: LoadedConfig,
        *,
        clock: Clock | None = None,
        env: Mapping[str, str] | None = None,
        publisher: Publisher | None = None,
        shutdown_timeout_s: float = 30.0,
    ) -> Agent:
        """Check and load what the agent needs; raise :class:`AgentSetupError` with every issue."""
        settings = cfg.daemon.agent
        base = cfg.base_dir
        src, _ = load_yaml(cfg.path)
        issues: list[ConfigIssue] = []

        def issue(path: PathKey, message: str, fix: str) -> None:
            issues.append(issue_in(src, cfg.path, path, message, fix))

        types_path = settings.alarm_types_path(base)
        types: AlarmTypeTable | None = None
        try:
            types = load_alarm_types(types_path)
        except OSError as exc:
            issue(("agent", "alarm_types"), f"cannot read {types_path}: {exc.strerror}", "fix the path")
        except (ValidationError, ValueError) as exc:
            issue(("agent", "alarm_types"), f"{types_path} is not a valid alarm-type table: {exc}", "fix the file")
        profiles: ProfileSet | None = None
        if types is not None:
            try:
                profiles = load_profiles(settings.profiles_path(base), types)
            except ConfigError as err:
                issues += err.issues
        resolver = SecretResolver(base, cfg.daemon.secrets_file, dict(env) if env is not None else None)
        cli_selection = CliSelection()
        alarm_names: VendorAlarmTable | None = None
        if settings.cli.enabled and types is not None:
            platforms: dict[str, Platform] | None = None
            try:
                platforms = load_platforms(settings.cli_platforms_path(base), types)
            except ConfigError as err:
                issues += err.issues
            try:
                alarm_names = load_vendor_alarms(settings.vendor_alarms_path(base), types)
            except ConfigError as err:
                issues += err.issues
            if platforms is not None:
                cli_selection = select_cli_devices(
                    cfg.inventory.devices.items, cfg.daemon.credentials, settings, platforms, resolver, issue
                )
        selection = select_devices(cfg, settings, resolver, issue, cli_only={d.id for d in cli_selection.devices})
        if publisher is None:
            if settings.publish.kind == "queue":
                issue(
                    ("agent", "publish", "kind"),
                    "'queue' hands events to a correlator in the same process and only works under `linewatch run`",
                    "set agent.publish.kind to jsonl or nats for a stand-alone agent",
                )
            else:
                publisher = make_publisher(settings.publish, base)
        if issues or types is None or profiles is None or publisher is None:
            raise AgentSetupError(issues)
        REDACTOR.add(selection.secrets)
        REDACTOR.add(cli_selection.secrets)
        _guard_root_handlers()
        return cls(
            cfg,
            settings,
            types,
            profiles,
            selection,
            resolver,
            publisher,
            clock or SystemClock(),
            shutdown_timeout_s,
            cli_selection,
            alarm_names,
        )

    # -- parts ----------------------------------------------------------------------------------

    def _open_core(self) -> None:
        _guard_root_handlers()
        store = StateStore.open(_relative(self.cfg.base_dir, self.settings.state_dir), self.clock)
        if store.recovery is not None:
            log.error("agent state: %s", store.recovery.reason)
        self.store = store
        self.tracker = StateTracker(self.settings.id, self.alarm_types, self.clock, sink=store, initial=store.load())
        self.shipper = Shipper(store, self.publisher, on_flush=self._flushed)
        self.pending = store.pending_count()
        if self.pending:
            log.info("%d events from before the restart wait in the outbox; publishing them first", self.pending)
        self.client = SnmpClient()
        tracker = self.tracker
        self.poller = Poller(
            settings=self.settings.snmp,
            profiles=self.profiles,
            optical=self.settings.optical,
            client=self.client,
            credentials=self.cfg.daemon.credentials,
            resolver=self.resolver,
            metrics=self.metrics,
            active=lambda device: [a.condition for a in tracker.active(device)],
            alarm_types=self.alarm_types,
        )
        if self.cli_devices and self.alarm_names is not None:
            self.cli_pool = SessionPool(self.settings.cli.workers)
            self.cli = CliCollector(
                settings=self.settings.cli,
                pool=self.cli_pool,
                alarm_names=self.alarm_names,
                alarm_types=self.alarm_types,
                optical=self.settings.optical,
                metrics=self.cli_metrics,
                active=lambda device: [a.condition for a in tracker.active(device)],
                known_ports=self._known_ports,
            )
        self._count_active()

    def _flushed(self, ok: bool) -> None:
        if self.store is not None:
            self.pending = self.store.pending_count()

    def _count_active(self) -> None:
        if self.tracker is None:
            return
        counts: Counter[str] = Counter()
        for device in self.tracker.devices():
            for held in self.tracker.active(device):
                counts[held.condition.severity.value] += 1
        self.metrics.set_active_alarms(counts)

    def _changed(self, events: list[AlarmEvent]) -> None:
        if not events:
            return
        self.events_emitted += len(events)
        self.metrics.events_emitted(events)
        for e in events:
            log.info(
                "%s: %s %s on %s (%s, %s)",
                e.device,
                e.action.value,
                e.alarm_type,
                e.resource.key(),
                e.severity.value,
                e.source.value,
            )
        self._count_active()
        if self.store is not None:
            self.pending = self.store.pending_count()
        if self.shipper is not None:
            self.shipper.wake()

    async def poll_device(self, device: Device) -> bool:
        """Poll one element, diff, queue the events; never raises. True if the element answered."""
        assert self.poller is not None and self.tracker is not None
        outcome = await self.poller.poll_outcome(device)
        if outcome.reached and outcome.profile is not None:
            profile = self.profiles.get(outcome.profile)
            index = profile.resources(outcome.rows, outcome.complete)
            if self._resource_profile.get(device.id) == profile.id:
                index = {**self._resources.get(device.id, {}), **index}
            self._resources[device.id], self._resource_profile[device.id] = index, profile.id
        try:
            events = self.tracker.observe(outcome.observation)
        except Exception as exc:  # the state store failed: nothing changed, the next poll sees it again
            log.error(
                "%s: cannot record the poll's changes (%s: %s); retried at the next poll",
                device.id,
                type(exc).__name__,
                exc,
            )
            return outcome.reached
        self._changed(events)
        return outcome.reached

    def _known_ports(self, device_id: str) -> list[str]:
        """The element's port names: the inventory's, and the ifNames its SNMP poll found."""
        names: list[str] = []
        cli = self._cli_by_id.get(device_id)
        if cli is not None:
            names += [p.name for p in cli.device.ports]
        for rows in self._resources.get(device_id, {}).values():
            names += [r.id for r in rows.values() if r.type in (ResourceType.port, ResourceType.optical)]
        return list(dict.fromkeys(names))

    async def poll_cli_device(self, device: Device) -> bool:
        """One CLI poll of an element, diffed through the same tracker as SNMP; never raises.
        True when the poll had no failure."""
        assert self.cli is not None and self.tracker is not None
        cli = self._cli_by_id.get(device.id)
        if cli is None:
            return False
        outcome = await self.cli.poll(cli)
        obs = outcome.observation
        if device.id not in self._snmp_ids and obs.gauges:
            self.metrics.observed(obs)  # an element SNMP also polls keeps the SNMP gauges
        try:
            events = self.tracker.observe(obs, Source.cli)
        except Exception as exc:  # the state store failed: nothing changed, the next poll sees it again
            log.error(
                "%s: cannot record the CLI poll's changes (%s: %s); retried at the next poll",
                device.id,
                type(exc).__name__,
                exc,
            )
            return outcome.ok
        self._changed(events)
        return outcome.ok

    def _trap_change(self, device: str, action: Action, condition: Condition) -> list[AlarmEvent]:
        assert self.tracker is not None
        return self.tracker.trap(device, action, condition)

    def _start_traps(self) -> None:
        cfg = self.settings.traps
        if not cfg.enabled:
            return
        names = cfg.credentials or sorted({d.credentials for d in self.devices})
        if not cfg.credentials:
            log.info("agent.traps.credentials is empty: accepting the credential sets of the polled elements")
        auth = trap_auth(names, self.cfg.daemon.credentials, self.resolver)
        for problem in auth.problems:
            log.error("trap receiver: %s", problem)
        REDACTOR.add(c.community.reveal() for c in auth.communities)
        REDACTOR.add(k.reveal() for u in auth.users.values() for k in (u.auth_key, u.priv_key) if k is not None)
        _guard_root_handlers()
        poller = self.poller
        receiver = TrapReceiver(
            listen=cfg.listen,
            devices=self.devices,
            auth=auth,
            profiles=self.profiles,
            on_change=self._trap_change,
            profile_for=poller.profile_of if poller is not None else None,
            resources_for=self._resources.get,
            on_events=self._changed,
        )
        try:
            receiver.start()
        except TrapReceiverError as exc:
            log.error("%s; the agent runs WITHOUT the trap receiver", exc)
            return
        self.traps = receiver

    def _start_http(self) -> None:
        server = MetricsServer(self.metrics, self.settings.http_listen)
        try:
            host, port = server.start()
        except (OSError, ValueError) as exc:
            log.error("%s; the agent runs WITHOUT /metrics", exc)
            return
        self.http = server
        log.info("metrics on http://%s:%d/metrics", host, port)

    async def _publish_last(self) -> None:
        if self.shipper is None or self.store is None:
            return
        try:
            ok = await asyncio.wait_for(self.shipper.flush(), timeout=self.shutdown_timeout_s)
        except TimeoutError:
            ok = False
        self.pending = self.store.pending_count()
        if not ok:
            log.error("%d events could not be published; they stay in the outbox for the next start", self.pending)

    async def _close(self) -> None:
        if self._shipper_task is not None:
            self._shipper_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._shipper_task
            self._shipper_task = None
        with contextlib.suppress(Exception):
            await self.publisher.close()
        if self.client is not None:
            self.client.close()
        if self.cli_pool is not None:
            await self.cli_pool.close()
        if self.http is not None:
            self.http.stop()
        if self.store is not None:
            self.store.close()

    def _describe(self) -> str:
        if self.publish_label is not None:
            return self.publish_label
        p = self.settings.publish
        target = {"jsonl": str(_relative(self.cfg.base_dir, p.path)), "nats": redact_url(p.url), "queue": "queue"}
        return f"{p.kind} {target[p.kind]}"

    # -- running --------------------------------------------------------------------------------

    async def run_once(self) -> OnceResult:
        """Poll every element once, publish, close. Does not start traps, scheduler or /metrics."""
        self._open_core()
        try:
            snmp = asyncio.gather(*(self.poll_device(d) for d in self.devices))
            cli = asyncio.gather(*(self.poll_cli_device(d.device) for d in self.cli_devices if self.cli is not None))
            reached, cli_ok = await asyncio.gather(snmp, cli)
            await self._publish_last()
            result = OnceResult(
                len(self.devices), sum(reached), self.events_emitted, self.pending, len(cli_ok), sum(cli_ok)
            )
            log.info(
                "polled %d elements (%d answered, %d skipped), %d over the CLI (%d complete, %d skipped): "
                "%d events, %d waiting in the outbox (%s)",
                result.polled,
                result.reached,
                len(self.skipped),
                result.cli_polled,
                result.cli_ok,
                len(self.cli_skipped),
                result.events,
                result.pending,
                self._describe(),
            )
            return result
        finally:
            await self._close()

    async def run(self, stop: asyncio.Event, *, serve_metrics: bool = True) -> None:
        """Run until ``stop`` is set, then shut down cleanly. ``serve_metrics=False``: no /metrics of
        its own (``linewatch run`` serves the agent's registry with the correlator's)."""
        self._open_core()
        assert self.shipper is not None
        try:
            self._shipper_task = asyncio.create_task(self.shipper.run(), name="linewatch-shipper")
            if serve_metrics:
                self._start_http()
            self._start_traps()
            self.scheduler = PollScheduler(self.poll_device, self.settings.snmp)
            self.scheduler.add_all(self.devices)
            self.scheduler.start()
            if self.cli is not None:
                self.cli_scheduler = PollScheduler(self.poll_cli_device, self.settings.cli, what="CLI poll")
                self.cli_scheduler.add_all(d.device for d in self.cli_devices)
                self.cli_scheduler.start()
            log.info(
                "agent %s running: %d elements (%d skipped), every %g s, publishing to %s, traps %s, CLI %s",
                self.settings.id,
                len(self.devices),
                len(self.skipped),
                self.settings.snmp.interval_s,
                self._describe(),
                f"on {self.traps.host}:{self.traps.port}" if self.traps is not None else "off",
                f"{len(self.cli_devices)} elements every {self.settings.cli.interval_s:g} s "
                f"({len(self.cli_skipped)} skipped, {self.settings.cli.workers} workers)"
                if self.cli is not None
                else "off",
            )
            await stop.wait()
            log.info("stopping: no new polls, waiting for the ones in flight")
        finally:
            if self.traps is not None:
                self.traps.close()
            if self.scheduler is not None:
                await self.scheduler.shutdown(timeout=self.shutdown_timeout_s)
            if self.cli_scheduler is not None:
                await self.cli_scheduler.shutdown(timeout=self.shutdown_timeout_s)
            if self._shipper_task is not None:
                self._shipper_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._shipper_task
                self._shipper_task = None
            await self._publish_last()
            await self._close()
            log.info("agent %s stopped", self.settings.id)
