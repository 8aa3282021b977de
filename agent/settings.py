"""The ``agent:`` section of the daemon config: what the agent polls, how, and where it sends events.

Every threshold and interval is here as data with a documented default; nothing is a constant in
the code. Paths are relative to the daemon config file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnmpPolling(Strict):
    interval_s: float = Field(default=300, gt=0, description="poll period per element")
    jitter_s: float = Field(default=30, ge=0, description="random start offset so polls spread out")
    timeout_s: float = Field(default=2.0, gt=0, description="per request")
    retries: int = Field(default=1, ge=0)
    max_repetitions: int = Field(default=25, ge=1, le=200, description="GETBULK max-repetitions")
    concurrency: int = Field(default=200, ge=1, description="elements polled at once")
    unreachable_after: int = Field(default=3, ge=1, description="consecutive failed polls before DEVICE_UNREACHABLE")


class OpticalThresholds(Strict):
    rx_low_dbm: float = Field(default=-27.0, description="receive power below this raises OPTICAL_RX_LOW")
    rx_high_dbm: float = Field(default=0.0, description="receive power above this raises OPTICAL_RX_HIGH")
    hysteresis_db: float = Field(default=1.0, ge=0, description="a raised alarm clears this far inside the limit")

    @model_validator(mode="after")
    def _order(self) -> OpticalThresholds:
        if self.rx_low_dbm >= self.rx_high_dbm:
            raise ValueError("rx_low_dbm must be below rx_high_dbm")
        return self


class TrapReceiver(Strict):
    enabled: bool = True
    listen: str = Field(default="0.0.0.0:162", description="HOST:PORT for SNMP notifications")
    credentials: list[str] = Field(
        default_factory=list,
        description="credential sets whose v2c community / v3 user the receiver accepts",
    )


class Publish(Strict):
    kind: Literal["queue", "jsonl", "nats"] = Field(
        default="queue", description="queue: in-process (linewatch run); jsonl: a file; nats: JetStream"
    )
    path: str = Field(default="state/events.jsonl", description="for kind jsonl")
    url: str = Field(default="nats://127.0.0.1:4222", description="for kind nats")
    stream: str = Field(default="LINEWATCH", description="JetStream stream")
    subject: str = Field(default="linewatch.alarms", description="subject prefix; the element id is appended")


class CliDevice(Strict):
    """One element polled over the CLI, with what differs from its inventory and credential set."""

    device: str = Field(min_length=1, description="element id in the inventory")
    platform: str | None = Field(default=None, description="a CLI platform; default: the element's cli_platform")
    credentials: str | None = Field(default=None, description="credential set; default: the element's")
    transport: Literal["ssh", "telnet"] | None = Field(default=None, description="default: the credential set's")
    port: int | None = Field(default=None, ge=1, le=65535, description="default: the credential set's, else 22 / 23")
    tl1_tid: str = Field(default="", description="TL1 target identifier; empty: the element answering")


class CliPolling(Strict):
    """CLI collection over SSH/telnet (Huawei VRP, ZTE ZXROS, TL1): off unless enabled."""

    enabled: bool = Field(default=False, description="log into the elements and poll them over the CLI")
    devices: list[str | CliDevice] = Field(
        default_factory=list,
        description="element ids (or entries with overrides); empty: every element of this agent with a "
        "cli_platform and a credential set with a 'cli' section",
    )
    platforms_dir: str | None = Field(default=None, description="CLI platforms (YAML); default: the shipped ones")
    vendor_alarms: str | None = Field(default=None, description="vendor alarm-name table; default: the shipped one")
    interval_s: float = Field(default=300, gt=0, description="poll period per element")
    jitter_s: float = Field(default=30, ge=0, description="random start offset so sessions spread out")
    connect_timeout_s: float = Field(default=10, gt=0, description="TCP connect")
    banner_timeout_s: float = Field(default=10, gt=0, description="SSH banner after the TCP connect")
    auth_timeout_s: float = Field(default=10, gt=0, description="SSH authentication answer")
    read_timeout_s: float = Field(default=30, gt=0, description="the prompt after login, and each command's output")
    session_timeout_s: float = Field(default=180, gt=0, description="a whole session; then it is aborted")
    failed_after: int = Field(default=3, ge=1, description="consecutive failed polls before COLLECTION_FAILED")
    workers: int = Field(default=8, ge=1, le=256, description="sessions open at once (worker threads)")

    @model_validator(mode="after")
    def _check(self) -> CliPolling:
        ids = [d if isinstance(d, str) else d.device for d in self.devices]
        dupes = sorted({d for d in ids if ids.count(d) > 1})
        if dupes:
            raise ValueError(f"element(s) listed twice: {', '.join(dupes)}")
        if self.session_timeout_s < self.read_timeout_s:
            raise ValueError("session_timeout_s must be at least read_timeout_s")
        return self

    def entries(self) -> list[CliDevice]:
        return [CliDevice(device=d) if isinstance(d, str) else d for d in self.devices]


class AgentSettings(Strict):
    id: str = Field(default="agent-1", min_length=1, description="names this agent in events and metrics")
    devices: list[str] = Field(
        default_factory=list, description="element ids this agent polls; empty: every element with SNMP credentials"
    )
    profiles_dir: str | None = Field(default=None, description="device profiles (YAML); default: the shipped ones")
    alarm_types: str | None = Field(default=None, description="alarm-type table; default: the shipped one")
    state_dir: str = Field(default="state/agent", description="last known state per element, kept across restarts")
    http_listen: str = Field(default="127.0.0.1:9310", description="HOST:PORT of /metrics")
    snmp: SnmpPolling = SnmpPolling()
    optical: OpticalThresholds = OpticalThresholds()
    traps: TrapReceiver = TrapReceiver()
    publish: Publish = Publish()
    cli: CliPolling = CliPolling()

    def profiles_path(self, base: Path) -> Path:
        return _path(base, self.profiles_dir, SHIPPED_CONFIG / "profiles")

    def alarm_types_path(self, base: Path) -> Path:
        return _path(base, self.alarm_types, SHIPPED_CONFIG / "alarm_types.yaml")

    def cli_platforms_path(self, base: Path) -> Path:
        return _path(base, self.cli.platforms_dir, SHIPPED_CONFIG / "cli" / "platforms")

    def vendor_alarms_path(self, base: Path) -> Path:
        return _path(base, self.cli.vendor_alarms, SHIPPED_CONFIG / "vendor_alarms.yaml")


SHIPPED_CONFIG = Path(__file__).resolve().parent.parent / "config"
"""The configuration shipped with linewatch (profiles, alarm types, SLA policy)."""


def _path(base: Path, value: str | None, default: Path) -> Path:
    if value is None:
        return default
    p = Path(value)
    return p if p.is_absolute() else base / p
