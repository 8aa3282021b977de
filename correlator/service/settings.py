"""The ``correlator:`` and ``api:`` sections of the daemon config (``linewatch.yaml``).

Every batch size, interval and timeout of the correlator daemon is here as data with a documented
default. Paths are relative to the daemon config file. This module imports nothing but pydantic, so
the config model (:mod:`correlator.configfile.daemon`) can use it without pulling the daemon in.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from correlator.api.settings import ApiToken, LiveSettings

SHIPPED_CONFIG = Path(__file__).resolve().parent.parent.parent / "config"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bus(Strict):
    """Where ``linewatch correlator`` (run alone) takes AlarmEvents from: a NATS JetStream stream."""

    url: str = Field(default="nats://127.0.0.1:4222", description="NATS server; may carry user:password@")
    stream: str = Field(default="LINEWATCH", min_length=1, description="JetStream stream the agents publish to")
    subject: str = Field(
        default="linewatch.alarms", min_length=1, description="subject prefix; the consumer takes SUBJECT.>"
    )
    durable: str = Field(
        default="linewatch-correlator",
        min_length=1,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="durable consumer name: a restarted correlator resumes where it stopped",
    )
    ack_wait_s: float = Field(
        default=60.0, gt=0, description="a message not acknowledged this long after delivery is delivered again"
    )
    fetch_timeout_s: float = Field(default=1.0, gt=0, description="how long one pull waits for messages")
    connect_timeout_s: float = Field(default=2.0, gt=0)
    retry_max_s: float = Field(default=30.0, gt=0, description="longest wait between reconnect attempts")


class CorrelatorSettings(Strict):
    rules: str | None = Field(default=None, description="correlation rules (YAML); default: the shipped ones")
    alarm_types: str | None = Field(default=None, description="alarm-type table; default: agent.alarm_types")
    batch_max: int = Field(default=500, ge=1, description="events folded into the incidents at once, at most")
    batch_linger_s: float = Field(
        default=0.05, ge=0, description="after the first event, wait this long for more to batch them"
    )
    tick_interval_s: float = Field(
        default=1.0, gt=0, description="time-driven work (settle windows, hold-downs) at least this often"
    )
    store_retry_max_s: float = Field(
        default=30.0, gt=0, description="longest wait between attempts to write to a store that fails"
    )
    shutdown_timeout_s: float = Field(default=30.0, gt=0, description="how long a stop may take to drain")
    bus: Bus = Bus()

    def rules_path(self, base: Path) -> Path:
        return _path(base, self.rules, SHIPPED_CONFIG / "correlation.yaml")


class ApiSettings(Strict):
    """The HTTP endpoint of the correlator: /metrics and /healthz now, the API and NOC page later."""

    host: str = Field(default="127.0.0.1", min_length=1, description="address to listen on ('::' for IPv6)")
    port: int = Field(default=8310, ge=0, le=65535, description="TCP port (0: any free port, for tests)")
    tokens: list[ApiToken] = Field(
        default_factory=list, description="API tokens: name, role (read_only | operator), secret reference"
    )
    anonymous_read: bool = Field(
        default=False, description="GET routes and the NOC page need no token (a wall screen on a closed network)"
    )
    live: LiveSettings = LiveSettings()

    @field_validator("tokens")
    @classmethod
    def _unique_tokens(cls, v: list[ApiToken]) -> list[ApiToken]:
        names = [t.name for t in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"token name {', '.join(dup)} is used twice: names must be unique")
        refs = [t.secret for t in v]
        dup = sorted({r for r in refs if refs.count(r) > 1})
        if dup:
            raise ValueError(f"secret {', '.join(dup)} is given to two tokens: each token needs its own secret")
        return v

    @field_validator("host")
    @classmethod
    def _no_port(cls, v: str) -> str:
        if v.count(":") == 1:
            raise ValueError("host takes no ':PORT' (set api.port)")
        return v.strip("[]")

    def url(self, port: int | None = None) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port if port is None else port}"


def _path(base: Path, value: str | None, default: Path) -> Path:
    if value is None:
        return default
    p = Path(value)
    return p if p.is_absolute() else base / p
