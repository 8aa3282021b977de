"""Prometheus metrics of CLI collection, in the agent's own registry (see :mod:`agent.metrics`).

=============================================  ===================  =================================
metric                                         labels               meaning
=============================================  ===================  =================================
linewatch_agent_cli_polls_total                device, result       CLI polls done; result is ``ok`` or
                                                                    the poll's failure (auth_failed,
                                                                    timeout, refused, unreachable,
                                                                    no_prompt, unparsed_output,
                                                                    protocol_error)
linewatch_agent_cli_errors_total               reason               every classified failure (a poll
                                                                    with two unparsed outputs counts 2)
linewatch_agent_cli_poll_duration_seconds      platform             login to logout of one poll
linewatch_agent_cli_consecutive_failures       device               failed polls in a row (0 after a
                                                                    good one; COLLECTION_FAILED at
                                                                    ``cli.failed_after``)
linewatch_agent_cli_sessions                                        sessions running in a worker now
linewatch_agent_cli_sessions_waiting                                sessions waiting for a worker
=============================================  ===================  =================================
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from agent.cli.errors import CliFailure
from agent.metrics import POLL_BUCKETS, PREFIX

CLI_PREFIX = PREFIX + "cli_"


class CliMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter(
            CLI_PREFIX + "polls_total",
            "CLI polls done, by element and result (ok, or the poll's failure reason).",
            ["device", "result"],
            registry=registry,
        )
        self.errors = Counter(
            CLI_PREFIX + "errors_total",
            "Classified CLI failures (one per failed session or command).",
            ["reason"],
            registry=registry,
        )
        self.duration = Histogram(
            CLI_PREFIX + "poll_duration_seconds",
            "Time one CLI poll of an element took, login to logout.",
            ["platform"],
            registry=registry,
            buckets=POLL_BUCKETS,
        )
        self.consecutive = Gauge(
            CLI_PREFIX + "consecutive_failures",
            "CLI polls of the element that failed in a row (0 after a good one).",
            ["device"],
            registry=registry,
        )
        self.sessions = Gauge(CLI_PREFIX + "sessions", "CLI sessions running in a worker now.", registry=registry)
        self.waiting = Gauge(
            CLI_PREFIX + "sessions_waiting", "CLI sessions waiting for a free worker.", registry=registry
        )
        for reason in CliFailure:
            self.errors.labels(reason.value)

    def watch_pool(self, active: Callable[[], float], waiting: Callable[[], float]) -> None:
        self.sessions.set_function(active)
        self.waiting.set_function(waiting)

    def poll_finished(
        self,
        device: str,
        platform: str,
        *,
        result: str,
        reasons: Iterable[CliFailure],
        duration_s: float,
        failures: int,
    ) -> None:
        self.polls.labels(device, result).inc()
        for reason in reasons:
            self.errors.labels(reason.value).inc()
        self.duration.labels(platform).observe(duration_s)
        self.consecutive.labels(device).set(failures)

    def forget_device(self, device: str) -> None:
        with contextlib.suppress(KeyError):
            self.consecutive.remove(device)
