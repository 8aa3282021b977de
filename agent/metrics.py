"""The agent's Prometheus metrics: poll health, element and interface state, alarms and events.

Each agent has its own :class:`~prometheus_client.CollectorRegistry` (two agents in one process,
or a test next to a daemon, never share series). Names follow the Prometheus conventions:
``linewatch_agent_`` prefix, base units (seconds, dBm as the optical unit), ``_total`` counters.

=============================================  ===================  =================================
metric                                         labels               meaning
=============================================  ===================  =================================
linewatch_agent_poll_duration_seconds          kind                 time one poll of an element took
linewatch_agent_polls_total                    kind, result         polls done (result: ok / failed)
linewatch_agent_poll_errors_total              reason               classified failures (timeout, auth ...)
linewatch_agent_varbinds_total                                      variable bindings received
linewatch_agent_device_up                      device               1 if the last poll got an answer
linewatch_agent_interface_oper_up              device, port         1 if the interface is up
linewatch_agent_optical_rx_dbm                 device, port         receive power of a transceiver
linewatch_agent_<gauge>                        device, resource     any other gauge a profile defines
linewatch_agent_active_alarms                  severity             conditions raised now
linewatch_agent_events_emitted_total           action               AlarmEvents sent (raise / clear)
=============================================  ===================  =================================

Element ids are labels (the inventory bounds them); alarm texts, communities and keys never are.
:class:`MetricsServer` serves ``/metrics`` over HTTP on ``agent.http_listen``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server

from agent.observation import Observation
from correlator.wire import AlarmEvent, Severity

PREFIX = "linewatch_agent_"
POLL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""Seconds: from a fast element on the LAN to a poll that ran into its timeouts."""
PORT_GAUGES = {"interface_oper_up": "port", "optical_rx_dbm": "port"}
"""Profile gauges labelled by port; any other gauge is labelled by resource (``type:id``)."""


class AgentMetrics:
    """The metric families of one agent, in their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.poll_duration = Histogram(
            PREFIX + "poll_duration_seconds",
            "Time one SNMP poll of an element took.",
            ["kind"],
            registry=r,
            buckets=POLL_BUCKETS,
        )
        self.polls = Counter(
            PREFIX + "polls_total", "SNMP polls done, by result (ok, failed).", ["kind", "result"], registry=r
        )
        self.poll_errors = Counter(
            PREFIX + "poll_errors_total",
            "Classified SNMP failures (timeout, auth, no_such_object, truncated, malformed, refused, other).",
            ["reason"],
            registry=r,
        )
        self.varbinds = Counter(PREFIX + "varbinds_total", "SNMP variable bindings received.", registry=r)
        self.device_up = Gauge(
            PREFIX + "device_up", "1 if the last poll of the element got an answer, else 0.", ["device"], registry=r
        )
        self.active_alarms = Gauge(
            PREFIX + "active_alarms", "Alarm conditions raised now, by severity.", ["severity"], registry=r
        )
        self.events = Counter(
            PREFIX + "events_emitted_total", "AlarmEvents emitted, by action.", ["action"], registry=r
        )
        self._gauges: dict[str, Gauge] = {}
        self._series: dict[tuple[str, str], set[str]] = {}
        """(device, gauge name) -> label values of the series set for it."""
        self._lock = threading.Lock()
        for severity in Severity:
            self.active_alarms.labels(severity.value).set(0)
        for action in ("raise", "clear"):
            self.events.labels(action)

    # -- polls ----------------------------------------------------------------------------------

    def poll_finished(
        self,
        device: str,
        kind: str,
        *,
        duration_s: float,
        reached: bool,
        reasons: Iterable[Any] = (),
        varbinds: int = 0,
    ) -> None:
        self.poll_duration.labels(kind).observe(duration_s)
        self.polls.labels(kind, "ok" if reached else "failed").inc()
        for reason in reasons:
            self.poll_errors.labels(str(getattr(reason, "value", reason))).inc()
        if varbinds:
            self.varbinds.inc(varbinds)
        self.device_up.labels(device).set(1 if reached else 0)

    def observed(self, obs: Observation) -> None:
        """Set the gauges of one good poll. A gauge name the observation carries replaces that
        element's series of it (ports gone are removed); one it does not carry is left as it was
        (its table may just not have been read this time)."""
        by_name: dict[str, dict[str, float]] = {}
        for g in obs.gauges:
            label = g.resource.id if g.name in PORT_GAUGES else g.resource.key()
            by_name.setdefault(g.name, {})[label] = g.value
        with self._lock:
            for name, values in by_name.items():
                family = self._family(name)
                key = (obs.device, name)
                old = self._series.get(key, set())
                for label, value in values.items():
                    family.labels(obs.device, label).set(value)
                for gone in old - values.keys():
                    family.remove(obs.device, gone)
                self._series[key] = set(values)

    def _family(self, name: str) -> Gauge:
        family = self._gauges.get(name)
        if family is None:
            label = PORT_GAUGES.get(name, "resource")
            doc = {
                "interface_oper_up": "1 if the interface is operationally up, else 0.",
                "optical_rx_dbm": "Receive optical power of a transceiver, in dBm.",
            }.get(name, f"Gauge '{name}' of the element's profile.")
            family = Gauge(PREFIX + name, doc, ["device", label], registry=self.registry)
            self._gauges[name] = family
        return family

    def forget_device(self, device: str) -> None:
        """Remove every series of an element that left the inventory."""
        with self._lock:
            for (dev, name), labels in list(self._series.items()):
                if dev != device:
                    continue
                family = self._gauges[name]
                for label in labels:
                    family.remove(dev, label)
                del self._series[(dev, name)]
        with contextlib.suppress(KeyError):
            self.device_up.remove(device)

    # -- alarms and events ----------------------------------------------------------------------

    def set_active_alarms(self, counts: Mapping[Severity | str, int]) -> None:
        """The number of conditions raised now, per severity (severities not given are 0)."""
        given = {str(getattr(k, "value", k)): v for k, v in counts.items()}
        for severity in Severity:
            self.active_alarms.labels(severity.value).set(given.get(severity.value, 0))

    def events_emitted(self, events: Iterable[AlarmEvent]) -> None:
        for event in events:
            self.events.labels(event.action.value).inc()

    # -- exposition -----------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The text format of every series (what ``/metrics`` serves)."""
        return generate_latest(self.registry)


def parse_listen(listen: str) -> tuple[str, int]:
    """``"127.0.0.1:9310"``, ``"[::1]:9310"``, ``":9310"`` -> (host, port)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"http_listen '{listen}' is not HOST:PORT (e.g. 127.0.0.1:9310 or [::1]:9310)")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


class MetricsServer:
    """``/metrics`` of one agent over HTTP (prometheus_client's threaded server)."""

    def __init__(self, metrics: AgentMetrics, listen: str) -> None:
        self.metrics = metrics
        self.host, self.port = parse_listen(listen)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> tuple[str, int]:
        """Start serving; returns the bound (host, port) (port 0 picks a free one)."""
        if self._server is not None:
            return self.address
        try:
            self._server, self._thread = start_http_server(self.port, addr=self.host, registry=self.metrics.registry)
        except OSError as exc:
            raise OSError(
                exc.errno, f"cannot serve metrics on {self.host}:{self.port}: {exc.strerror} (change agent.http_listen)"
            ) from None
        return self.address

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            return self.host, self.port
        return self.host, int(self._server.server_port)

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
