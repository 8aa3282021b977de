"""Push the incidents' alerts to Prometheus Alertmanager (``POST /api/v2/alerts``), durably.

:class:`AlertBook` keeps, per Alertmanager destination, the alerts it should hold in the store
(``feed_alert``): :meth:`AlertBook.apply` folds incident changes in, inside the caller's
transaction when given one. :class:`AlertmanagerPusher` sends every live alert: at once when the
book changed, and again every ``resend_interval_s`` (Alertmanager resolves an alert that is not
re-sent), as Prometheus does:

- a firing alert goes with ``endsAt`` = now + ``alert_ttl_s`` (4 resend intervals by default), so
  if the correlator stops, Alertmanager resolves its alerts by itself a little later;
- a resolved alert goes with its real ``endsAt`` and is re-sent for ``resolved_retention_s`` after
  it ended (for Alertmanager HA peers that missed it); it leaves the store only once a push of its
  resolution succeeded, so a resolve is never lost to an Alertmanager outage or a restart.

Times are the injected clock's. ``startsAt`` is when the circuit's status began (the alarms'
time); an ``endsAt`` is never before it, whatever the clocks of the agents say. A failed push is
retried with backoff (the book is durable: nothing to lose); a 4xx is logged with Alertmanager's
reason and retried the same way, as the next push carries the alerts as they stand.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import Connection, Engine, Table, delete, func, or_, select, update

from correlator.clock import Clock
from correlator.correlation.model import IncidentChange
from correlator.feeds.alerts import Alert, end_time, incident_alerts
from correlator.feeds.backoff import delay_s
from correlator.feeds.events import iso
from correlator.feeds.metrics import CorrelatorMetrics
from correlator.feeds.settings import Alertmanager
from correlator.feeds.tables import FeedAlertRow
from correlator.feeds.webhook import http_client, redact, short_error
from correlator.secrets import Secret
from correlator.store.upsert import upsert

log = logging.getLogger("linewatch.feeds")

ALERT = cast(Table, FeedAlertRow.__table__)
API_PATH = "/api/v2/alerts"


@dataclass(frozen=True, slots=True)
class HeldAlert:
    key: str
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str | None
    starts_at: datetime
    ends_at: datetime | None
    updated_at: datetime

    def to_api(self, now: datetime, ttl_s: float) -> dict[str, Any]:
        """The Alertmanager v2 ``postableAlert``."""
        if self.ends_at is None:
            ends = max(now, self.starts_at) + timedelta(seconds=ttl_s)
        else:
            ends = max(self.starts_at, min(self.ends_at, now))
        out: dict[str, Any] = {
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": iso(self.starts_at),
            "endsAt": iso(ends),
        }
        if self.generator_url:
            out["generatorURL"] = self.generator_url
        return out


class AlertBook:
    """The ``feed_alert`` rows of the store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply(
        self,
        destinations: Sequence[Alertmanager],
        changes: Sequence[IncidentChange],
        now: datetime,
        external_url: str | None,
        connection: Connection | None = None,
    ) -> bool:
        """Fold the changes in for each destination; True if any alert changed."""
        if not destinations or not changes:
            return False
        if connection is not None:
            return self._apply(connection, destinations, changes, now, external_url)
        with self.engine.begin() as conn:
            return self._apply(conn, destinations, changes, now, external_url)

    def _apply(
        self,
        conn: Connection,
        destinations: Sequence[Alertmanager],
        changes: Sequence[IncidentChange],
        now: datetime,
        external_url: str | None,
    ) -> bool:
        latest: dict[str, IncidentChange] = {}
        for ch in changes:
            latest[ch.incident.id] = ch  # the incident object is live: its last change has its state
        changed = False
        ids = sorted(latest)
        for dest in destinations:
            held: dict[str, dict[str, Any]] = {}
            for i in range(0, len(ids), 500):
                for r in conn.execute(
                    select(ALERT).where(ALERT.c.destination == dest.name, ALERT.c.incident_id.in_(ids[i : i + 500]))
                ):
                    held[r.alert_key] = dict(r._mapping)
            by_incident: dict[str, list[str]] = defaultdict(list)
            for key, row in held.items():
                by_incident[row["incident_id"]].append(key)
            upserts: list[dict[str, Any]] = []
            for inc_id in ids:
                ch = latest[inc_id]
                wanted = incident_alerts(ch.incident, dest, external_url)
                if wanted is None:
                    continue
                for key in by_incident.get(inc_id, []):
                    old = held[key]
                    if key not in wanted and old["ends_at"] is None:
                        ended = max(old["starts_at"], end_time(ch.incident, key, ch.at))
                        conn.execute(
                            update(ALERT)
                            .where(ALERT.c.destination == dest.name, ALERT.c.alert_key == key)
                            .values(ends_at=ended, updated_at=now)
                        )
                        changed = True
                for key, alert in wanted.items():
                    current = held.get(key)
                    if current is not None and current["ends_at"] is None and _same(current, alert):
                        continue
                    upserts.append(_row(dest.name, alert, now, current))
            if upserts:
                _upsert(conn, upserts)
                changed = True
        return changed

    def live(self, destination: str, now: datetime, retention_s: float) -> list[HeldAlert]:
        """Alerts to push: firing ones, and resolved ones not yet pushed or still in retention."""
        cutoff = now - timedelta(seconds=retention_s)
        query = (
            select(ALERT)
            .where(
                ALERT.c.destination == destination,
                or_(
                    ALERT.c.ends_at.is_(None),
                    ALERT.c.pushed_at.is_(None),
                    ALERT.c.pushed_at < ALERT.c.updated_at,
                    ALERT.c.ends_at > cutoff,
                ),
            )
            .order_by(ALERT.c.alert_key)
        )
        with self.engine.connect() as conn:
            return [
                HeldAlert(
                    key=r.alert_key,
                    labels=dict(r.labels),
                    annotations=dict(r.annotations),
                    generator_url=r.generator_url,
                    starts_at=r.starts_at,
                    ends_at=r.ends_at,
                    updated_at=r.updated_at,
                )
                for r in conn.execute(query)
            ]

    def pushed(self, destination: str, alerts: Iterable[HeldAlert], at: datetime) -> None:
        """Record a successful push of these alerts as they were read (a row changed since is not
        marked: its new state still has to go)."""
        versions: dict[datetime, list[str]] = defaultdict(list)
        for a in alerts:
            versions[a.updated_at].append(a.key)
        with self.engine.begin() as conn:
            for version, keys in versions.items():
                for i in range(0, len(keys), 500):
                    conn.execute(
                        update(ALERT)
                        .where(
                            ALERT.c.destination == destination,
                            ALERT.c.alert_key.in_(keys[i : i + 500]),
                            ALERT.c.updated_at == version,
                        )
                        .values(pushed_at=at)
                    )

    def expire(self, destination: str, now: datetime, retention_s: float) -> int:
        """Remove resolved alerts whose resolution was pushed and whose retention is over."""
        cutoff = now - timedelta(seconds=retention_s)
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(ALERT).where(
                    ALERT.c.destination == destination,
                    ALERT.c.ends_at.is_not(None),
                    ALERT.c.ends_at <= cutoff,
                    ALERT.c.pushed_at >= ALERT.c.updated_at,
                )
            )
            return int(result.rowcount)

    def counts(self) -> dict[tuple[str, str], int]:
        """(destination, firing|resolved) -> alerts held."""
        state = ALERT.c.ends_at.is_(None)
        out: dict[tuple[str, str], int] = {}
        with self.engine.connect() as conn:
            for dest, firing, n in conn.execute(
                select(ALERT.c.destination, state, func.count()).group_by(ALERT.c.destination, state)
            ):
                out[(dest, "firing" if firing else "resolved")] = int(n)
        return out


def _same(row: dict[str, Any], alert: Alert) -> bool:
    return bool(
        row["labels"] == alert.labels
        and row["annotations"] == alert.annotations
        and row["generator_url"] == alert.generator_url
        and row["starts_at"] == alert.starts_at
    )


def _row(destination: str, alert: Alert, now: datetime, old: dict[str, Any] | None) -> dict[str, Any]:
    keep_start = old is not None and old["ends_at"] is None
    return {
        "destination": destination,
        "alert_key": alert.key,
        "incident_id": alert.incident,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "generator_url": alert.generator_url,
        "starts_at": min(old["starts_at"], alert.starts_at) if keep_start and old is not None else alert.starts_at,
        "ends_at": None,
        "updated_at": now,
        "pushed_at": old["pushed_at"] if old is not None else None,
    }


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    upsert(conn, ALERT, ["destination", "alert_key"], rows, batch=500)


class AlertmanagerPusher:
    """Pushes one destination's alerts; :meth:`step` does what is due and says when to come back."""

    def __init__(
        self,
        dest: Alertmanager,
        book: AlertBook,
        clock: Clock,
        metrics: CorrelatorMetrics | None = None,
        password: Secret | None = None,
        rng: random.Random | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.dest = dest
        self.book = book
        self.clock = clock
        self.metrics = metrics
        self.rng = rng or random.Random()
        self._secret = password
        self._auth: httpx.Auth | None = None
        headers: dict[str, str] = {}
        if dest.basic_auth is not None and password is not None:
            self._auth = httpx.BasicAuth(dest.basic_auth.username, password.reveal())
        elif dest.bearer_token is not None and password is not None:
            headers["Authorization"] = f"Bearer {password.reveal()}"
        self.client = http_client(dest.timeouts, dest.verify_tls, headers, transport)
        self.url = dest.url.rstrip("/") + API_PATH
        self.dirty = True
        """Push at the next step (the book changed, or nothing was pushed yet since start)."""
        self.failures = 0
        self.next_at: datetime | None = None
        if metrics is not None:
            metrics.destination(dest.name)

    def wake(self) -> None:
        self.dirty = True

    async def step(self) -> datetime:
        """Push if due (changed, or the resend interval passed); returns when to step again."""
        now = self.clock.now()
        due = self.next_at is None or now >= self.next_at or (self.dirty and self.failures == 0)
        if not due:
            assert self.next_at is not None
            return self.next_at
        self.dirty = False
        alerts = await asyncio.to_thread(self.book.live, self.dest.name, now, self.dest.resolved_retention_s)
        ok = await self._push(alerts, now)
        if ok:
            self.failures = 0
            if alerts:
                await asyncio.to_thread(self.book.pushed, self.dest.name, alerts, now)
            await asyncio.to_thread(self.book.expire, self.dest.name, now, self.dest.resolved_retention_s)
            self.next_at = now + timedelta(seconds=self.dest.resend_interval_s)
        else:
            self.failures += 1
            wait = min(delay_s(self.dest.backoff, self.failures, self.rng), self.dest.resend_interval_s)
            self.next_at = now + timedelta(seconds=wait)
        return self.next_at

    async def _push(self, alerts: list[HeldAlert], now: datetime) -> bool:
        if not alerts:
            return True
        ttl = self.dest.ttl_s
        for i in range(0, len(alerts), self.dest.max_batch):
            batch = [a.to_api(now, ttl) for a in alerts[i : i + self.dest.max_batch]]
            try:
                resp = await self.client.post(self.url, json=batch, auth=self._auth or httpx.USE_CLIENT_DEFAULT)
            except httpx.HTTPError as exc:
                self._failed("retry", None, short_error(exc))
                return False
            if 200 <= resp.status_code < 300:
                continue
            result = "retry" if resp.status_code in (408, 429) or resp.status_code >= 500 else "rejected"
            self._failed(result, resp.status_code, resp.text[:300])
            return False
        if self.metrics is not None:
            self.metrics.delivery(self.dest.name, "delivered")
        log.debug("alertmanager %s: pushed %d alerts", self.dest.name, len(alerts))
        return True

    def _failed(self, result: str, status: int | None, error: str) -> None:
        if self.metrics is not None:
            self.metrics.delivery(self.dest.name, result)
        text = redact(error, [self._secret] if self._secret is not None else [])
        level = logging.ERROR if result == "rejected" else logging.WARNING
        log.log(
            level,
            "alertmanager %s: push failed (%s%s), retrying in the backoff: %s",
            self.dest.name,
            "HTTP " if status is not None else "",
            status if status is not None else "no answer",
            text,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
