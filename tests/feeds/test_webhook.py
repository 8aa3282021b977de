"""Webhook delivery against a real HTTP receiver on loopback: outages, restarts, refusals.

Delivery is strictly ordered per destination and at least once: every event the outbox holds
reaches the receiver, in id order of first arrival; the only repeats are of an event whose answer
was lost when the sender was killed mid-request (the receiver de-duplicates by event id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from correlator.feeds import Feeds
from correlator.feeds.events import parse_document
from correlator.feeds.tables import FeedDeliveryRow, FeedEventRow
from tests.conftest import ROOT
from tests.correlator.conftest import at, read_jsonl
from tests.feeds.conftest import SECRET, SECRET_ENV, FeedingHarness, Receiver, TicketEvent, make_feeds, webhook_settings

pytestmark = pytest.mark.asyncio


async def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Wait (yielding to the event loop) until ``check`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def count(feeds: Feeds, result: str, destination: str = "noc") -> float:
    value = feeds.metrics.registry.get_sample_value(
        "linewatch_feed_deliveries_total", {"destination": destination, "result": result}
    )
    return value or 0.0


def pending(feeds: Feeds, destination: str = "noc") -> int:
    stats = feeds.outbox.stats().get(destination)
    return stats.pending if stats is not None else 0


def scenario(feeding: Callable[..., FeedingHarness], feeds: Feeds, name: str = "sdh-cable-cut") -> None:
    """A lab scenario through the correlator into the feeds, plus the tickets it would open."""
    h = feeding(feeds)
    events = read_jsonl(name)
    h.feed(*events[:3])
    h.settle(30)
    feeds.on_ticket_events(
        [
            TicketEvent("opened", "T-1", at(31), {"tier": "provincial", "circuit": "C-009"}),
            TicketEvent("dispatched", "T-1", at(40), {"team": "east-fibre"}),
        ]
    )
    h.run(events[3:])


async def stop(feeds: Feeds, task: asyncio.Task[None]) -> None:
    feeds.stop()
    await asyncio.wait_for(task, 30)


async def test_receiver_down_then_up_gets_every_event_in_order_signed(
    store: Engine, receiver: Receiver, feeding: Callable[..., FeedingHarness]
) -> None:
    feeds = make_feeds(store, webhook_settings(receiver.url))
    task = asyncio.create_task(feeds.run())
    scenario(feeding, feeds)
    stored = feeds.outbox.events()
    kinds = [e.kind for e in stored]
    assert {"incident.opened", "incident.cleared", "incident.closed", "ticket.opened", "ticket.dispatched"} <= set(
        kinds
    )
    assert "incident.created" not in kinds  # not published yet when created: not sent by default
    assert [e.id for e in stored] == sorted(e.id for e in stored)

    await until(lambda: count(feeds, "retry") >= 4, "retries while the receiver is down")
    assert receiver.ids() == []
    stats = feeds.outbox.stats()["noc"]
    assert stats.pending == len(stored)
    assert stats.last_error is not None and "ConnectError" in stats.last_error

    receiver.start()
    await until(lambda: pending(feeds) == 0, "the outbox to drain")
    await stop(feeds, task)

    assert receiver.ids() == [e.id for e in stored]
    assert all(r.verified for r in receiver.received)
    assert [r.body for r in receiver.received] == [e.body() for e in stored]
    docs = [parse_document(r.body) for r in receiver.received]
    assert [d["kind"] for d in docs] == kinds
    opened = next(d for d in docs if d["kind"] == "incident.opened")
    assert opened["data"]["root"]["key"] == "cable:CB-WES-CEN"
    assert opened["data"]["url"] == f"http://noc.example:8080/incidents/{opened['data']['id']}"
    assert opened["data"]["single_route_risk"] == ["C-002", "C-004", "C-006"]
    assert count(feeds, "delivered") == len(stored)
    assert feeds.outbox.stats()["noc"].delivered == len(stored)


async def test_killed_mid_request_restart_resends_only_the_event_in_flight(
    store: Engine, receiver: Receiver, feeding: Callable[..., FeedingHarness]
) -> None:
    settings = webhook_settings(receiver.url)
    first = make_feeds(store, settings)
    scenario(feeding, first)
    stored = [e.id for e in first.outbox.events()]
    in_flight = stored[3]
    receiver.hold[in_flight] = threading.Event()
    receiver.start()
    task = asyncio.create_task(first.run())
    await until(lambda: in_flight in receiver.ids(), "the held event to arrive")
    task.cancel()  # a hard stop: the answer to the event in flight is never read
    with contextlib.suppress(asyncio.CancelledError):
        await task
    receiver.hold[in_flight].set()
    assert pending(first) == len(stored) - 3

    second = make_feeds(store, settings)  # a new process's objects on the same store
    task = asyncio.create_task(second.run())
    await until(lambda: pending(second) == 0, "the outbox to drain after the restart")
    await stop(second, task)

    got = receiver.ids()
    first_seen = list(dict.fromkeys(got))
    assert first_seen == stored  # nothing lost, in order
    repeats = [i for i, n in Counter(got).items() if n > 1]
    assert repeats == [in_flight]  # at least once: only the event whose answer was lost
    assert got.count(in_flight) == 2
    assert all(r.verified for r in receiver.received)


async def test_graceful_stop_finishes_the_request_in_flight_nothing_repeats(
    store: Engine, receiver: Receiver, feeding: Callable[..., FeedingHarness]
) -> None:
    settings = webhook_settings(receiver.url)
    first = make_feeds(store, settings)
    scenario(feeding, first)
    stored = [e.id for e in first.outbox.events()]
    in_flight = stored[2]
    receiver.hold[in_flight] = threading.Event()
    receiver.start()
    task = asyncio.create_task(first.run())
    await until(lambda: in_flight in receiver.ids(), "the held event to arrive")
    first.stop()
    receiver.hold[in_flight].set()
    await asyncio.wait_for(task, 30)
    assert pending(first) == len(stored) - 3

    second = make_feeds(store, settings)
    task = asyncio.create_task(second.run())
    await until(lambda: pending(second) == 0, "the outbox to drain")
    await stop(second, task)
    assert receiver.ids() == stored


async def test_a_refused_event_blocks_the_later_ones_until_the_receiver_takes_it(
    store: Engine, receiver: Receiver, feeding: Callable[..., FeedingHarness], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    feeds = make_feeds(store, webhook_settings(receiver.url))
    scenario(feeding, feeds)
    stored = [e.id for e in feeds.outbox.events()]
    bad = stored[1]
    refusals = {"left": 3}

    def status(event_id: int) -> int:
        if event_id == bad and refusals["left"] > 0:
            refusals["left"] -= 1
            return 422
        return 200

    receiver.status = status
    receiver.start()
    task = asyncio.create_task(feeds.run())
    await until(lambda: pending(feeds) == 0, "the outbox to drain")
    await stop(feeds, task)

    assert list(dict.fromkeys(receiver.ids())) == stored  # nothing after `bad` overtook it
    assert receiver.ids().count(bad) == 4
    assert count(feeds, "rejected") == 3
    assert "HTTP 422" in caplog.text and f"event {bad}" in caplog.text
    assert SECRET not in caplog.text


async def test_dead_letter_on_reject_parks_the_event_keeps_it_and_requeue_sends_it(
    store: Engine, receiver: Receiver, feeding: Callable[..., FeedingHarness]
) -> None:
    settings = webhook_settings(receiver.url, on_reject="dead_letter")
    feeds = make_feeds(store, settings)
    scenario(feeding, feeds)
    stored = [e.id for e in feeds.outbox.events()]
    bad = stored[1]
    answers = {"bad": 400}
    receiver.status = lambda event_id: answers["bad"] if event_id == bad else 200
    receiver.start()
    task = asyncio.create_task(feeds.run())
    await until(lambda: pending(feeds) == 0, "the outbox to drain")

    assert receiver.ids() == stored  # the refused one went once, then the rest
    dead = feeds.outbox.dead("noc")
    assert [d.event.id for d in dead] == [bad]
    assert dead[0].last_status == 400 and dead[0].attempts == 1
    assert feeds.outbox.stats()["noc"].dead == 1
    assert count(feeds, "dead") == 1

    answers["bad"] = 200  # the receiver is fixed; the operator re-queues
    assert feeds.outbox.requeue("noc") == 1
    feeds.on_ticket_events([TicketEvent("closed", "T-1", datetime.now(UTC))])  # wakes the sender
    await until(lambda: pending(feeds) == 0 and feeds.outbox.stats()["noc"].dead == 0, "the re-queued event")
    await stop(feeds, task)
    assert receiver.ids()[len(stored)] == bad
    assert receiver.ids()[-1] > stored[-1]


async def test_max_attempts_dead_letters_and_goes_on(store: Engine, receiver: Receiver) -> None:
    feeds = make_feeds(store, webhook_settings(receiver.url, max_attempts=2))
    t = datetime.now(UTC)
    feeds.on_ticket_events([TicketEvent("opened", f"T-{i}", t) for i in range(3)])
    receiver.status = lambda event_id: 503
    receiver.start()
    task = asyncio.create_task(feeds.run())
    await until(lambda: feeds.outbox.stats()["noc"].dead == 3, "every event dead-lettered")
    await stop(feeds, task)
    assert len(receiver.ids()) == 6  # two attempts each, in order
    assert receiver.ids() == sorted(receiver.ids())
    assert all(d.attempts == 2 and d.last_status == 503 for d in feeds.outbox.dead())


async def test_enqueue_in_the_callers_transaction_commits_or_rolls_back_with_it(
    store: Engine, receiver: Receiver
) -> None:
    feeds = make_feeds(store, webhook_settings(receiver.url))
    t = datetime.now(UTC)
    with contextlib.suppress(RuntimeError), store.begin() as conn:
        feeds.on_ticket_events([TicketEvent("opened", "T-lost", t)], connection=conn)
        raise RuntimeError("the state change failed")
    assert feeds.outbox.events() == []
    with store.connect() as conn:
        assert conn.execute(select(FeedDeliveryRow)).all() == []

    receiver.start()
    task = asyncio.create_task(feeds.run())
    await asyncio.sleep(0.1)
    with store.begin() as conn:
        stored = feeds.on_ticket_events([TicketEvent("opened", "T-kept", t)], connection=conn)
    await until(lambda: len(receiver.ids()) == 1, "the committed event")
    await stop(feeds, task)
    assert receiver.ids() == [stored[0].id]
    assert receiver.received[0].doc["subject"] == "T-kept"


async def test_secrets_stay_out_of_the_store_and_the_logs(
    store: Engine, receiver: Receiver, feeding: Callable[..., FeedingHarness], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.secret = "another-key"  # the receiver has a different key: every request is refused
    feeds = make_feeds(store, webhook_settings(receiver.url))
    scenario(feeding, feeds)
    receiver.start()
    task = asyncio.create_task(feeds.run())
    await until(lambda: count(feeds, "rejected") >= 2, "refusals")
    await stop(feeds, task)
    assert {r.verified for r in receiver.received} == {False}
    with store.connect() as conn:
        dump = repr(conn.execute(select(FeedEventRow)).all()) + repr(conn.execute(select(FeedDeliveryRow)).all())
    assert "HTTP 401" in dump
    assert SECRET not in dump and SECRET not in caplog.text
    assert SECRET not in repr(feeds.senders[0].__dict__)
    assert all(d.last_status == 401 for d in feeds.outbox.pending("noc")[:1])


CHILD = """
import asyncio, json, sys
from pathlib import Path
from correlator.clock import SystemClock
from correlator.feeds import Feeds, FeedsSettings
from correlator.secrets import SecretResolver
from correlator.store.db import make_engine

settings = FeedsSettings.model_validate(json.loads(sys.argv[2]))
secrets = SecretResolver(Path("."))  # the key comes in the environment, as in production
feeds = Feeds(make_engine(sys.argv[1]), settings, secrets, SystemClock())
asyncio.run(feeds.run())
"""


async def test_a_killed_process_resends_at_most_record_every_events(
    store: Engine, store_url: str, receiver: Receiver, feeding: Callable[..., FeedingHarness]
) -> None:
    settings = webhook_settings(receiver.url, record_every=5)
    feeds = make_feeds(store, settings)
    for _ in range(3):
        scenario(feeding, feeds)
    stored = [e.id for e in feeds.outbox.events()]
    assert len(stored) > 20
    in_flight = stored[12]
    receiver.hold[in_flight] = threading.Event()
    receiver.start()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        store_url,
        settings.model_dump_json(),
        cwd=str(ROOT),
        env={**os.environ, **SECRET_ENV},
    )
    try:
        await until(lambda: in_flight in receiver.ids(), "the held event to arrive")
    finally:
        child.kill()  # SIGKILL: no finally, no flush
        await child.wait()
    receiver.hold[in_flight].set()
    recorded = feeds.outbox.stats()["noc"].delivered
    assert recorded == 10  # two batches of five were written before the kill

    task = asyncio.create_task(feeds.run())
    await until(lambda: pending(feeds) == 0, "the outbox to drain after the restart")
    await stop(feeds, task)
    got = receiver.ids()
    assert list(dict.fromkeys(got)) == stored  # nothing lost, in order
    repeats = sorted(i for i, n in Counter(got).items() if n > 1)
    assert repeats == stored[recorded : stored.index(in_flight) + 1]  # the unrecorded ones, up to the one in flight
    assert len(repeats) <= settings.webhooks[0].record_every
    assert all(n <= 2 for n in Counter(got).values())
