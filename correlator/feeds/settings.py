"""The ``feeds:`` section of the daemon config: where the correlator pushes what it finds.

Two kinds of destination, each named (the name keys its delivery state in the store, so renaming
one starts it afresh):

- ``webhooks``: every feed event (incident and ticket changes) POSTed as signed JSON, in order, from
  the durable outbox; nothing is dropped while the receiver is down.
- ``alertmanagers``: the current alerts (one per impacted circuit per published incident) pushed
  to Prometheus Alertmanager's ``/api/v2/alerts`` and re-sent every ``resend_interval_s``.

Secrets (the webhook's HMAC key, Alertmanager basic-auth password or bearer token) are references
``env:NAME``, ``file:PATH`` or ``secret:KEY``, never the value. Every default is documented here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from correlator.correlation.model import ImpactStatus, IncidentChangeKind

_REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|secret:[A-Za-z0-9_.\-]+)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

INCIDENT_EVENT_KINDS: tuple[str, ...] = tuple(f"incident.{k.value}" for k in IncidentChangeKind)
"""The incident event kinds; ticket events are ``ticket.<kind>`` with the ticket book's kinds."""

ALERT_LABELS = frozenset({"alertname", "customer", "tier", "maintenance_level", "circuit", "incident", "severity"})


def _secret_ref(v: str) -> str:
    if not _REF.match(v):
        raise ValueError("must be a reference env:NAME, file:PATH or secret:KEY, never the secret itself")
    return v


def _name(v: str) -> str:
    if not _NAME.match(v):
        raise ValueError("use 1-64 letters, digits and . _ - (starting with a letter or digit)")
    return v


def _http_url(v: str) -> str:
    if not v.startswith(("http://", "https://")) or len(v) <= len("https://"):
        raise ValueError("must be an http:// or https:// URL")
    if any(ch.isspace() for ch in v):
        raise ValueError("must not contain spaces")
    netloc = v.split("://", 1)[1].split("/", 1)[0]
    if "@" in netloc:
        raise ValueError("must not hold credentials (user:password@): use basic_auth or a secret reference")
    return v


SecretRef = Annotated[str, AfterValidator(_secret_ref)]
DestinationName = Annotated[str, AfterValidator(_name)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Timeouts(Strict):
    connect_s: float = Field(default=5.0, gt=0, description="TCP (and TLS) connection set-up")
    read_s: float = Field(default=10.0, gt=0, description="waiting for the response")
    write_s: float = Field(default=10.0, gt=0, description="sending the request")
    pool_s: float = Field(default=5.0, gt=0, description="waiting for a free connection")


class Backoff(Strict):
    """Retry delays: ``base_s * 2**(attempt-1)``, capped at ``max_s``, minus up to ``jitter`` of it."""

    base_s: float = Field(default=1.0, gt=0, description="delay after the first failed attempt")
    max_s: float = Field(default=300.0, gt=0, description="longest delay between two attempts")
    jitter: float = Field(default=0.2, ge=0, le=1, description="random fraction taken off each delay")

    @model_validator(mode="after")
    def _order(self) -> Backoff:
        if self.max_s < self.base_s:
            raise ValueError("max_s must be at least base_s")
        return self


class Webhook(Strict):
    name: DestinationName
    url: HttpUrl
    secret: SecretRef = Field(description="HMAC-SHA256 key the receiver verifies the signature with")
    events: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description="event kinds to send, glob patterns (incident.opened, incident.*, ticket.*, *)",
    )
    include_unpublished: bool = Field(
        default=False,
        description="also send incidents never published (still settling, or merged/closed within the settle window)",
    )
    timeouts: Timeouts = Timeouts()
    backoff: Backoff = Backoff()
    max_attempts: int | None = Field(
        default=None,
        ge=1,
        description="attempts before an event is dead-lettered (kept, shown, re-queueable); null: never give up",
    )
    on_reject: Literal["retry", "dead_letter"] = Field(
        default="retry",
        description=(
            "a 4xx answer other than 408/429 (or a 3xx): retry (the destination waits, in order, until the"
            " receiver is fixed) or dead_letter (park the event at once and go on with the next)"
        ),
    )
    record_every: int = Field(
        default=50,
        ge=1,
        le=1000,
        description=(
            "in a burst, deliveries are written to the store this many at a time (and whenever the queue"
            " empties, an attempt fails or the sender stops): fewer commits; a crash may re-send up to this many"
        ),
    )
    verify_tls: bool = True

    @model_validator(mode="after")
    def _patterns(self) -> Webhook:
        for pattern in self.events:
            known = any(fnmatch.fnmatchcase(kind, pattern) for kind in INCIDENT_EVENT_KINDS)
            if not known and not pattern.startswith("ticket."):
                raise ValueError(
                    f"events pattern '{pattern}' matches no event kind (use e.g. incident.opened, incident.*,"
                    " ticket.*, *)"
                )
        return self

    def wants(self, kind: str) -> bool:
        return any(fnmatch.fnmatchcase(kind, p) for p in self.events)


class BasicAuth(Strict):
    username: str = Field(min_length=1)
    password: SecretRef


class Alertmanager(Strict):
    name: DestinationName
    url: HttpUrl = Field(description="base URL; alerts go to <url>/api/v2/alerts")
    resend_interval_s: float = Field(
        default=60.0, gt=0, description="every alert (firing and recently resolved) is pushed again this often"
    )
    alert_ttl_s: float | None = Field(
        default=None,
        gt=0,
        description="endsAt of a firing alert is now + this (null: 4 x resend_interval_s, as Prometheus does)",
    )
    end_on: Literal["cleared", "closed"] = Field(
        default="cleared",
        description="end an incident's alerts when it clears (cleared) or only once it is closed for good (closed)",
    )
    resolved_retention_s: float = Field(
        default=900.0, ge=0, description="resolved alerts are re-sent this long after they ended (for HA peers)"
    )
    severity: dict[ImpactStatus, str] = Field(
        default_factory=lambda: {
            ImpactStatus.outage: "critical",
            ImpactStatus.protection_lost: "major",
            ImpactStatus.degraded: "warning",
        },
        description="the severity label per impact status",
    )
    extra_labels: dict[str, str] = Field(default_factory=dict, description="static labels added to every alert")
    basic_auth: BasicAuth | None = None
    bearer_token: SecretRef | None = None
    timeouts: Timeouts = Timeouts()
    backoff: Backoff = Backoff(base_s=1.0, max_s=60.0)
    max_batch: int = Field(default=500, ge=1, description="alerts per POST")
    verify_tls: bool = True

    @model_validator(mode="after")
    def _check(self) -> Alertmanager:
        if self.basic_auth is not None and self.bearer_token is not None:
            raise ValueError("use basic_auth or bearer_token, not both")
        missing = [s.value for s in ImpactStatus if s not in self.severity]
        if missing:
            raise ValueError(f"severity needs a value for {', '.join(missing)}")
        for key in self.extra_labels:
            if not _LABEL.match(key):
                raise ValueError(f"extra_labels key '{key}' is not a Prometheus label name")
            if key in ALERT_LABELS:
                raise ValueError(f"extra_labels key '{key}' is set by linewatch; choose another name")
        return self

    @property
    def ttl_s(self) -> float:
        return self.alert_ttl_s if self.alert_ttl_s is not None else 4 * self.resend_interval_s


class FeedsSettings(Strict):
    external_url: HttpUrl | None = Field(
        default=None,
        description="where the NOC reaches the correlator API; feeds link to <external_url>/incidents/<id>",
    )
    poll_interval_s: float = Field(
        default=1.0, gt=0, description="how often a sender looks at the outbox when nothing woke it"
    )
    retention_days: float = Field(default=7.0, gt=0, description="delivered events are purged after this long")
    webhooks: list[Webhook] = Field(default_factory=list)
    alertmanagers: list[Alertmanager] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> FeedsSettings:
        seen: set[str] = set()
        for name in [*(h.name for h in self.webhooks), *(a.name for a in self.alertmanagers)]:
            if name in seen:
                raise ValueError(f"destination name '{name}' is used twice (webhooks and alertmanagers share names)")
            seen.add(name)
        return self

    def secret_refs(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """(path in the ``feeds`` section, reference) of every secret the feeds need."""
        for i, hook in enumerate(self.webhooks):
            yield ("webhooks", i, "secret"), hook.secret
        for i, am in enumerate(self.alertmanagers):
            if am.basic_auth is not None:
                yield ("alertmanagers", i, "basic_auth", "password"), am.basic_auth.password
            if am.bearer_token is not None:
                yield ("alertmanagers", i, "bearer_token"), am.bearer_token
