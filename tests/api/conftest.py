"""Fixtures of the API tests: the lab with API tokens, a store the real correlator writes, the app.

:class:`Lab` is the correlator daemon's pipeline run by hand on the lab inventory and a real store
(SQLite and PostgreSQL, ``store`` fixture): the alarm book and the correlator save alarms and
incidents, the ticket book opens tickets from the incident changes, and the API's broadcaster gets
both, as the daemon's stages do. Events come from ``tests/data/events/*.jsonl`` (the recorded
scenarios); a :class:`~correlator.clock.ManualClock` moves in their time and ticks at every
deadline, so the API reads what a live correlator would have written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from correlator.alarms import AlarmBook, AlarmRepository, Resolver
from correlator.alarmtypes import load_alarm_types
from correlator.api.app import create_app
from correlator.api.context import ApiContext
from correlator.api.live import Broadcaster
from correlator.api.settings import ApiToken, Role
from correlator.clock import ManualClock
from correlator.configfile.loader import LoadedConfig, load_config
from correlator.correlation import Correlator, IncidentChange, load_rules
from correlator.correlation.replay import read_events
from correlator.correlation.repository import IncidentRepository
from correlator.diversity import NetworkIndex
from correlator.store.importer import import_inventory
from correlator.tickets.book import TicketBook, build_ticket_book
from correlator.tickets.model import TicketEvent
from correlator.wire import AlarmEvent
from tests.conftest import LAB, ROOT

EVENTS = ROOT / "tests" / "data" / "events"
SCENARIOS = sorted(p.stem for p in EVENTS.glob("*.jsonl"))

READ_TOKEN = "lw-test-read-5c1f0e2a9b"
OP_TOKEN = "lw-test-op-77d3a10c42"
ENV = {"LW_API_READ": READ_TOKEN, "LW_API_OP": OP_TOKEN}
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
OP = {"Authorization": f"Bearer {OP_TOKEN}"}


def scenario(name: str) -> list[AlarmEvent]:
    return read_events(EVENTS / f"{name}.jsonl")


_LAB: LoadedConfig | None = None


def lab_config(anonymous_read: bool = False) -> LoadedConfig:
    """The lab config with two API tokens (read_only ``noc-wall``, operator ``noc-op``) by env reference."""
    global _LAB
    if _LAB is None:
        _LAB = load_config(LAB)
    api = _LAB.daemon.api.model_copy(
        update={
            "tokens": [
                ApiToken(name="noc-wall", role=Role.read_only, secret="env:LW_API_READ"),
                ApiToken(name="noc-op", role=Role.operator, secret="env:LW_API_OP"),
            ],
            "anonymous_read": anonymous_read,
        }
    )
    return dataclasses.replace(_LAB, daemon=_LAB.daemon.model_copy(update={"api": api}))


class Lab:
    """The correlator, its ticket book and the API's broadcaster on one store, fed by hand."""

    def __init__(self, engine: Engine, start: datetime, cfg: LoadedConfig | None = None) -> None:
        self.cfg = cfg or lab_config()
        self.engine = engine
        import_inventory(engine, self.cfg.inventory, self.cfg.policy)
        self.clock = ManualClock(start)
        self.index = NetworkIndex(self.cfg.inventory, self.cfg.policy)
        rules = load_rules()
        self.rules = rules
        self.book = AlarmBook(rules.dedup, load_alarm_types(), self.clock, Resolver(self.cfg.inventory))
        self.alarms = AlarmRepository(engine)
        self.cor = Correlator(
            self.cfg.inventory, self.cfg.policy, rules, self.clock, self.index, self.book, IncidentRepository(engine)
        )
        self.tickets: TicketBook = build_ticket_book(
            self.cfg, engine, self.clock, incidents=self.cor.incidents(), index=self.index
        )
        self.broadcaster = Broadcaster()
        self.changes: list[IncidentChange] = []
        self.ticket_events: list[TicketEvent] = []

    def context(self, cfg: LoadedConfig | None = None, **kw: Any) -> ApiContext:
        """The API on this lab's store and clock; its broadcaster is the one the pipeline feeds unless
        ``broadcaster=`` says otherwise (an API running apart from the correlator)."""
        kw.setdefault("broadcaster", self.broadcaster)
        kw.setdefault("clock", self.clock)
        return ApiContext.build(cfg or self.cfg, engine=self.engine, index=self.index, env=ENV, **kw)

    def app(self, cfg: LoadedConfig | None = None) -> FastAPI:
        return create_app(self.context(cfg))

    # -- the pipeline ---------------------------------------------------------------------------

    def _commit(self, changes: list[IncidentChange], tick: bool = False) -> None:
        self.alarms.save(self.book.take_writes())
        now = self.clock.now()
        events = self.tickets.apply(changes, now) if changes else []
        if tick:
            events += self.tickets.tick(now)
        self.changes += changes
        self.ticket_events += events
        self.broadcaster.on_incident_changes(changes)
        self.broadcaster.on_ticket_events(events)

    def _advance(self, when: datetime) -> None:
        while True:
            due = [d for d in (self.cor.next_deadline(), self.tickets.next_deadline()) if d is not None]
            nxt = min(due) if due else None
            if nxt is None or nxt > when:
                break
            self.clock.set(max(self.clock.now(), nxt))
            self._commit(self.cor.tick(), tick=True)
        if when > self.clock.now():
            self.clock.set(when)
            self._commit(self.cor.tick(), tick=True)

    def feed(self, events: Iterable[AlarmEvent]) -> Lab:
        for e in events:
            self._advance(e.observed_at)
            self._commit(self.cor.ingest(e))
        return self

    def settle(self, seconds: float = 30) -> Lab:
        self._advance(self.clock.now() + timedelta(seconds=seconds))
        return self

    def until(self, when: datetime) -> Lab:
        self._advance(when)
        return self


def shifted(events: list[AlarmEvent], first_at: datetime) -> list[AlarmEvent]:
    """The recorded events moved in time so the first one is observed at ``first_at``."""
    delta = first_at - events[0].observed_at
    out = []
    for e in events:
        out.append(
            e.model_copy(
                update={
                    "observed_at": e.observed_at + delta,
                    "raised_at": e.raised_at + delta if e.raised_at else None,
                    "cleared_at": e.cleared_at + delta if e.cleared_at else None,
                    "event_id": f"{e.event_id}-{first_at.timestamp():.0f}",
                }
            )
        )
    return out


def cut_part(events: list[AlarmEvent]) -> list[AlarmEvent]:
    """The events before the first clear: the fault, not yet repaired."""
    out = []
    for e in events:
        if e.action.value == "clear" and out:
            break
        out.append(e)
    return out


@pytest.fixture
def lab_at(store: Engine) -> Iterator[Any]:
    """lab_at(start) -> a Lab on the migrated store (SQLite and PostgreSQL)."""

    def make(start: datetime, cfg: LoadedConfig | None = None) -> Lab:
        return Lab(store, start, cfg)

    yield make


def make_duct_cut(lab_at: Any) -> Lab:
    """The duct D-013 cut of the lab, 10 minutes in: C-001 in outage, C-006 down to one route."""
    events = scenario("duct-cut")
    lab: Lab = lab_at(events[0].observed_at)
    lab.feed(cut_part(events)).settle(600)
    return lab


@pytest.fixture
def duct_cut(lab_at: Any) -> Lab:
    """:func:`make_duct_cut` on SQLite and on PostgreSQL. Modules about the HTTP layer only (auth,
    validation) override it with ``duct_cut_sqlite``."""
    return make_duct_cut(lab_at)


@pytest.fixture
def client(duct_cut: Lab) -> Iterator[TestClient]:
    with TestClient(duct_cut.app()) as c:
        yield c


def shipped_file(path: str) -> Path:
    return ROOT / path


@pytest.fixture
def sqlite_lab(tmp_path: Path) -> Iterator[Any]:
    """lab_at(start) on a SQLite file store only (for tests that run a real server on loopback)."""
    from correlator.store.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)

    def make(start: datetime, cfg: LoadedConfig | None = None) -> Lab:
        return Lab(engine, start, cfg)

    yield make
    engine.dispose()


@pytest.fixture
def duct_cut_sqlite(sqlite_lab: Any) -> Lab:
    return make_duct_cut(sqlite_lab)
