"""The agent's memory across restarts, and its outbox: one SQLite file in ``agent.state_dir``.

What is kept, per element: the active conditions (with when and how each was first seen) and the
last ``sysUpTime`` read. A restart therefore does not raise again what was already raised, and a
condition that went away while the agent was down is cleared by the first complete look after the
restart (the tracker still holds it and no longer sees it).

The outbox: the events of a change are written in the *same transaction* as the state change, and
removed only when the publisher acknowledges them (:meth:`StateStore.ack`). A publisher outage
(NATS down, disk full under the JSONL file) therefore loses nothing: the events wait in the file and
go out in their original order when the publisher is back.

The file is opened in WAL mode with ``synchronous=FULL``; each change batch is one transaction.
A file that cannot be read (not SQLite, damaged, another schema) is logged, renamed to
``<name>.unreadable-<UTC time>`` and replaced by an empty one; the agent says so and goes on. If
even that is impossible (a read-only directory), the store lives in memory and the log says that
state will not survive a restart. It never stops the agent.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.observation import Condition
from agent.state import ActiveCondition, DeviceState
from correlator.clock import Clock
from correlator.wire import AlarmEvent, Resource, Severity, Source, WireError, parse_event

log = logging.getLogger(__name__)

FILE_NAME = "agent-state.sqlite3"
SCHEMA_VERSION = "1"

_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS device ( device TEXT PRIMARY KEY, uptime_ticks INTEGER, uptime_read_at TEXT)",
    "CREATE TABLE IF NOT EXISTS active ("
    " device TEXT NOT NULL, pos INTEGER NOT NULL, resource_key TEXT NOT NULL, alarm_type TEXT NOT NULL,"
    " condition TEXT NOT NULL, raised_at TEXT NOT NULL, source TEXT NOT NULL,"
    " PRIMARY KEY (device, resource_key, alarm_type))",
    "CREATE TABLE IF NOT EXISTS outbox ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, event TEXT NOT NULL)",
)


class StateFileError(Exception):
    """The state file's content cannot be used (raised inside the store, handled by :meth:`open`)."""


@dataclass(frozen=True)
class Recovery:
    """What :meth:`StateStore.open` had to do with an unreadable file."""

    path: Path
    reason: str
    moved_to: Path | None


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise StateFileError(f"time '{text}' has no time zone")
    return value


def _condition_json(cond: Condition, seen_by: frozenset[str] = frozenset()) -> str:
    data: dict[str, Any] = {
        "resource": cond.resource.model_dump(mode="json"),
        "alarm_type": cond.alarm_type,
        "severity": cond.severity.value,
        "scope": cond.scope,
        "detail": cond.detail,
    }
    if seen_by:
        data["seen_by"] = sorted(seen_by)
    return json.dumps(data, separators=(",", ":"))


def _condition(text: str) -> tuple[Condition, frozenset[str]]:
    """A stored condition and the scopes that saw it (``seen_by`` is absent in older files)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise StateFileError("a stored condition is not a JSON object")
    cond = Condition(
        resource=Resource.model_validate(data["resource"]),
        alarm_type=str(data["alarm_type"]),
        severity=Severity(data["severity"]),
        scope=str(data["scope"]),
        detail=str(data.get("detail", "")),
    )
    seen_by = data.get("seen_by", [])
    if not isinstance(seen_by, list):
        raise StateFileError("a stored condition's seen_by is not a list")
    return cond, frozenset(str(s) for s in seen_by)


class StateStore:
    """Use :meth:`open`; the constructor takes an already checked connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path | None,
        states: dict[str, DeviceState],
        recovery: Recovery | None = None,
    ) -> None:
        self._conn = conn
        self.path = path
        """The file, or None when the store had to fall back to memory."""
        self._loaded = states
        self.recovery = recovery
        """Set when an unreadable file was moved aside (or could not be replaced) at open."""

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, state_dir: Path, clock: Clock) -> StateStore:
        """Open (or create) ``state_dir/agent-state.sqlite3``; never raises for a bad file."""
        path = state_dir / FILE_NAME
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return cls._in_memory(path, f"cannot create {state_dir}: {exc}")
        conn: sqlite3.Connection | None = None
        try:
            conn = cls._connect(path)
            states = cls._check_and_load(conn)
        except (sqlite3.Error, StateFileError, ValueError, KeyError, TypeError, ValidationError, WireError) as exc:
            if conn is not None:
                conn.close()
            reason = f"{type(exc).__name__}: {exc}"
            moved = cls._move_aside(path, clock)
            if moved is None:
                return cls._in_memory(path, f"{path} is unreadable ({reason}) and cannot be moved aside")
            log.error(
                "agent state file %s is unreadable (%s); moved it to %s and starting with EMPTY state: "
                "alarms still present will be raised again, alarms cleared meanwhile will not be cleared",
                path,
                reason,
                moved,
            )
            try:
                conn = cls._connect(path)
                states = cls._check_and_load(conn)
            except (OSError, sqlite3.Error, StateFileError) as exc2:
                return cls._in_memory(path, f"cannot create {path} after moving the old one aside: {exc2}")
            return cls(conn, path, states, Recovery(path, reason, moved))
        return cls(conn, path, states)

    @classmethod
    def _in_memory(cls, path: Path, reason: str) -> StateStore:
        log.error(
            "%s; the agent state is kept IN MEMORY ONLY and will not survive a restart (fix the state_dir)", reason
        )
        conn = cls._connect(None)
        return cls(conn, None, cls._check_and_load(conn), Recovery(path, reason, None))

    @staticmethod
    def _connect(path: Path | None) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:" if path is None else str(path), isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    @staticmethod
    def _check_and_load(conn: sqlite3.Connection) -> dict[str, DeviceState]:
        (check,) = conn.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise StateFileError(f"quick_check: {check}")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables - {"sqlite_sequence"}:
            row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() if "meta" in tables else None
            if row is None or row[0] != SCHEMA_VERSION:
                found = row[0] if row else "none"
                raise StateFileError(f"not a linewatch agent state file of schema {SCHEMA_VERSION} (found {found})")
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for ddl in _DDL:
                conn.execute(ddl)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        states: dict[str, dict[str, Any]] = {}
        for device, ticks, read_at in conn.execute("SELECT device, uptime_ticks, uptime_read_at FROM device"):
            states[device] = {
                "active": {},
                "uptime_ticks": ticks if ticks is None else int(ticks),
                "uptime_read_at": None if read_at is None else _time(read_at),
            }
        rows = conn.execute(
            "SELECT device, resource_key, alarm_type, condition, raised_at, source FROM active ORDER BY device, pos"
        )
        for device, rkey, atype, ctext, raised, source in rows:
            cond, seen_by = _condition(ctext)
            if cond.key != (rkey, atype):
                raise StateFileError(f"active row {device}|{rkey}|{atype} does not match its condition")
            entry = states.setdefault(device, {"active": {}, "uptime_ticks": None, "uptime_read_at": None})
            entry["active"][cond.key] = ActiveCondition(cond, _time(raised), Source(source), seen_by)
        for (event,) in conn.execute("SELECT event FROM outbox ORDER BY seq"):
            parse_event(event)
        return {device: DeviceState(**entry) for device, entry in states.items()}

    @staticmethod
    def _move_aside(path: Path, clock: Clock) -> Path | None:
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        target = path.with_name(f"{path.name}.unreadable-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.unreadable-{stamp}-{n}")
        try:
            path.rename(target)
        except FileNotFoundError:
            return target
        except OSError:
            return None
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            with suppress(OSError):
                side.rename(target.with_name(target.name + suffix))
        return target

    # -- use -----------------------------------------------------------------------------------

    @property
    def persistent(self) -> bool:
        return self.path is not None

    def load(self) -> dict[str, DeviceState]:
        """The state per element as found at open (to seed the tracker)."""
        return dict(self._loaded)

    def save(self, device: str, state: DeviceState, events: Sequence[AlarmEvent]) -> None:
        """Replace the element's state and queue the events, in one transaction."""
        rows = [
            (
                device,
                pos,
                key[0],
                key[1],
                _condition_json(held.condition, held.seen_by),
                held.raised_at.isoformat(),
                held.source.value,
            )
            for pos, (key, held) in enumerate(state.active.items())
        ]
        read_at = None if state.uptime_read_at is None else state.uptime_read_at.isoformat()
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM active WHERE device = ?", (device,))
            self._conn.executemany("INSERT INTO active VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self._conn.execute(
                "INSERT INTO device (device, uptime_ticks, uptime_read_at) VALUES (?, ?, ?) "
                "ON CONFLICT (device) DO UPDATE SET uptime_ticks = excluded.uptime_ticks, "
                "uptime_read_at = excluded.uptime_read_at",
                (device, state.uptime_ticks, read_at),
            )
            self._conn.executemany(
                "INSERT INTO outbox (event_id, event) VALUES (?, ?)", [(e.event_id, e.to_json()) for e in events]
            )

    def pending(self, limit: int | None = None) -> list[AlarmEvent]:
        """Events not yet acknowledged by the publisher, oldest first."""
        sql = "SELECT event FROM outbox ORDER BY seq"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with closing(self._conn.execute(sql, params)) as cur:
            return [parse_event(text) for (text,) in cur]

    def pending_count(self) -> int:
        (n,) = self._conn.execute("SELECT count(*) FROM outbox").fetchone()
        return int(n)

    def ack(self, event_ids: Iterable[str]) -> None:
        """The publisher has these events: drop them from the outbox."""
        ids = [(i,) for i in event_ids]
        if not ids:
            return
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("DELETE FROM outbox WHERE event_id = ?", ids)

    def close(self) -> None:
        with suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
