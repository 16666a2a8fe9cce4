"""The bus: events from any worker to the subscribers of every worker.

- `LocalBus` (SQLite, one process): an event is delivered to this process's subscribers.
- `PostgresBus`: an event is a `NOTIFY` on one channel (payload: the event's JSON, ids only);
  every worker LISTENs on a dedicated asyncpg connection and delivers what it hears to its own
  subscribers, its own notifications included (each event reaches each worker once).

A subscriber holds an `Inbox`: the keys (topic, company, id) of the objects changed since it
last looked, a set, so a burst of changes to one object within the coalescing window is one
delivery however many events named it. The bus counts the events it delivered; an inbox notes
the count when its batch is taken, which says which reads of other subscribers are recent
enough to share (`reads`, gql_portal/live/shared.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.engine import make_url

from gql_portal.live.events import Event, Topic
from gql_portal.live.shared import SharedReads

log = logging.getLogger("gql_portal.live")

CHANNEL = "gql_portal_live"
# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more: events are split below it.
MOST_IDS_PER_NOTIFY = 500
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)

Key = tuple[Topic, int | None, int]
NOTIFY_ALL = "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload"


def merged(events: Iterable[Event]) -> list[Event]:
    """The events as one per topic and company, with all their ids (each once)."""
    grouped: dict[tuple[Topic, int | None], dict[int, None]] = {}
    for event in events:
        grouped.setdefault((event.topic, event.company_id), {}).update(dict.fromkeys(event.ids))
    return [Event(topic, company, tuple(ids)) for (topic, company), ids in grouped.items()]


class Inbox:
    """One subscriber's changes so far: `offer` adds an event's keys, `batch` waits for some,
    lets a burst settle for the window, and takes them all."""

    def __init__(self, bus: Bus, topics: frozenset[Topic], window: float) -> None:
        self.bus = bus
        self.topics = topics
        self.window = window
        self.pending: set[Key] = set()
        self.taken_at = 0  # the bus's delivered count when the last batch was taken
        self._wake = asyncio.Event()

    def offer(self, event: Event) -> None:
        self.pending.update((event.topic, event.company_id, i) for i in event.ids)
        self._wake.set()

    def nudge(self) -> None:
        """Wake the subscriber without a change (its viewer's access changed)."""
        self._wake.set()

    async def batch(self) -> set[Key]:
        """The keys changed since the last batch (empty after a nudge alone)."""
        await self._wake.wait()
        if self.window > 0 and self.pending:
            await asyncio.sleep(self.window)  # a burst to one object: one delivery
        self._wake.clear()
        taken, self.pending = self.pending, set()
        self.taken_at = self.bus.delivered
        return taken

    def close(self) -> None:
        self.bus.remove(self)


class Bus:
    """Delivers events to this process's inboxes; subclasses say how events travel."""

    def __init__(self, window: float = 0.2) -> None:
        self.window = window
        self._inboxes: dict[Topic, set[Inbox]] = defaultdict(set)
        self._sending: set[asyncio.Task[Any]] = set()
        self.delivered = 0  # events delivered to this process's inboxes so far
        self.reads = SharedReads()
        # Told of each event this process publishes, once, after its commit (the webhooks'
        # outbox, jobs/deliveries.py): never of events heard from other workers.
        self.taps: list[Callable[[Event], None]] = []

    def inbox(self, topics: Iterable[Topic], window: float | None = None) -> Inbox:
        """An inbox for `topics`; `window`: its coalescing window (the bus's by default)."""
        inbox = Inbox(self, frozenset(topics), self.window if window is None else window)
        for topic in inbox.topics:
            self._inboxes[topic].add(inbox)
        return inbox

    def remove(self, inbox: Inbox) -> None:
        for topic in inbox.topics:
            self._inboxes[topic].discard(inbox)

    @property
    def subscribers(self) -> int:
        return len({inbox for inboxes in self._inboxes.values() for inbox in inboxes})

    def deliver(self, event: Event) -> None:
        self.delivered += 1
        for inbox in tuple(self._inboxes.get(event.topic, ())):
            inbox.offer(event)

    async def ready(self) -> None:
        """Returns once events published anywhere reach this process."""

    async def publish(self, event: Event) -> None:
        raise NotImplementedError

    def publish_soon(self, event: Event) -> None:
        """Publish from code that cannot wait (SQLAlchemy's after-commit hook)."""
        self.tap(event)
        task = asyncio.get_running_loop().create_task(self.publish(event), name="live-publish")
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def tap(self, event: Event) -> None:
        for listener in self.taps:
            try:
                listener(event)
            except Exception:
                log.exception("a tap of the live events failed")

    def _sent(self, task: asyncio.Task[Any]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not publish a live event", exc_info=task.exception())

    async def stop(self) -> None:
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=5)


class LocalBus(Bus):
    """One process (SQLite): events go straight to this process's inboxes."""

    async def publish(self, event: Event) -> None:
        self.deliver(event)

    def publish_soon(self, event: Event) -> None:
        self.tap(event)
        self.deliver(event)


class PostgresBus(Bus):
    """Events through PostgreSQL's LISTEN/NOTIFY, on one dedicated connection per process
    (opened when first needed, opened again after it was lost; what was published meanwhile is
    not heard here)."""

    def __init__(self, dsn: str, window: float = 0.2) -> None:
        super().__init__(window)
        self.dsn = dsn
        self._connection: Any = None  # asyncpg.Connection
        self._connecting: asyncio.Task[Any] | None = None
        self._lock: asyncio.Lock | None = None
        self._stopped = False
        self._outbox: list[Event] = []

    async def ready(self) -> None:
        await self._listening()

    async def _listening(self) -> Any:
        if self._connection is not None and not self._connection.is_closed():
            return self._connection
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.get_running_loop().create_task(self._connect())
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> Any:
        import asyncpg  # only PostgreSQL deployments have it loaded

        connection = await asyncpg.connect(self.dsn)
        await connection.add_listener(CHANNEL, self._heard)
        connection.add_termination_listener(self._lost)
        self._connection = connection
        self._lock = asyncio.Lock()
        return connection

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = Event.from_json(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed live event")
            return
        self.deliver(event)

    def _lost(self, _connection: Any) -> None:
        self._connection = None
        if self._stopped:
            return
        log.warning("the live events' connection to PostgreSQL was lost: reconnecting")
        self._connecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> Any:
        attempt = 0
        while not self._stopped:
            try:
                return await self._connect()
            except Exception:
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                log.warning("could not reconnect for live events; again in %s s", delay)
                await asyncio.sleep(delay)
                attempt += 1
        return None

    async def publish(self, event: Event) -> None:
        """NOTIFY the event, with every other one waiting to be sent: a burst of changes (a
        thousand commits' after-commit hooks) is one statement, its events merged per topic
        and company."""
        self._outbox.append(event)
        connection = await self._listening()
        assert self._lock is not None
        async with self._lock:  # one statement at a time on a connection
            if not self._outbox:
                return  # sent by the publisher that held the lock before
            events, self._outbox = self._outbox, []
            payloads = [
                part.to_json()
                for merged_event in merged(events)
                for part in merged_event.split(MOST_IDS_PER_NOTIFY)
            ]
            await connection.execute(NOTIFY_ALL, CHANNEL, payloads)

    async def stop(self) -> None:
        self._stopped = True
        await super().stop()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


def bus_for(database_url: str, window: float = 0.2) -> Bus:
    """The bus for this deployment's database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return LocalBus(window)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresBus(dsn, window)
