"""Events: what happened, told to webhooks and to live GraphQL subscribers.

The writer (``scrm serve``) is the one process that makes events: the care workflow's
mutations (``assignment``, ``response``, ``resolution``) and :class:`EventWatcher`,
which compares the care queue, the alerts and the outbox with what it saw last
(``care_item``: a conversation entered the queue; ``alert``: a new alert;
``response_sent`` / ``response_failed``: a recorded response reached its platform, or
was given up on after tries and is left to send by hand). :meth:`EventBus.publish`
appends each to ``<db>.events.jsonl`` and hands it to the webhook dispatcher. Every
server process (the writer and ``--readers``) follows that file and passes new events
to its own subscribers, so a browser sees them whichever process it is connected to.

The watcher keeps what it saw in the store (``EventState``): a server started again
tells only what changed while it was away; a first start tells nothing of what was
already there.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from api.webhooks import Dispatcher, Event
from graph.outbox import BY_HAND, SENT, OutboxItem

__all__ = ["CHECK_PARTS", "EventBus", "EventLog", "EventWatcher", "Observed", "publish_from"]

log = logging.getLogger(__name__)


class EventLog:
    """Events as JSON lines in one file: appended by the writer, read from an offset."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, db: Path) -> EventLog:
        return cls(db.parent / (db.name + ".events.jsonl"))

    def append(self, event: Event) -> None:
        self.append_many([event])

    def append_many(self, events: Iterable[Event]) -> None:
        # each event as subscribers receive it (``asdict`` copied every event's data
        # deeply: a third of an events check that found thousands of new care items)
        lines = b"".join(e.body() + b"\n" for e in events)
        if not lines:
            return
        with self._lock, open(self.path, "ab") as fh:
            fh.write(lines)  # whole lines: a reader takes only up to the last newline

    def end(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def read_from(self, offset: int) -> tuple[list[Event], int]:
        """Whole events after byte ``offset``, and the offset after the last of them."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:
            return [], 0
        if offset > 0 and not data and self.end() < offset:
            return [], 0  # the file was replaced: start again
        complete = data[:data.rfind(b"\n") + 1]
        events = []
        for line in complete.splitlines():
            try:
                events.append(Event(**orjson.loads(line)))
            except (orjson.JSONDecodeError, TypeError):
                log.warning("%s: a malformed event line skipped", self.path)
        return events, offset + len(complete)


class EventBus:
    """Publishes events (writer) and fans them out to this process's subscribers.

    Args:
        event_log: Where published events go, and where subscribers' events come from.
        dispatcher: Webhook delivery (the writer only).
        poll_seconds: How often the log is looked at for new events.
    """

    def __init__(self, event_log: EventLog, dispatcher: Dispatcher | None = None,
                 poll_seconds: float = 0.2) -> None:
        self.log = event_log
        self.dispatcher = dispatcher
        self.poll_seconds = poll_seconds
        self._subscribers: set[tuple[asyncio.Queue[Event], frozenset[str]]] = set()
        self._offset = event_log.end()  # subscribers see what happens from now on
        self._task: asyncio.Task[None] | None = None

    def publish(self, event: Event) -> None:
        """Record ``event`` and send it to the webhooks (from any thread)."""
        self.log.append(event)
        if self.dispatcher is not None:
            self.dispatcher.publish(event)

    def publish_many(self, events: Iterable[Event]) -> None:
        """:meth:`publish` for many: one append, one read of the subscriptions (a
        stream brings thousands of care items between two checks)."""
        events = list(events)
        self.log.append_many(events)
        if self.dispatcher is not None:
            self.dispatcher.publish_many(events)

    async def subscribe(self, kinds: Iterable[str], max_queued: int = 1000
                        ) -> AsyncIterator[Event]:
        """New events of these kinds as they are recorded (a subscriber that falls
        ``max_queued`` behind loses the oldest)."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=max_queued)
        entry = (queue, frozenset(kinds))
        self._subscribers.add(entry)
        self._ensure_following()
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(entry)

    def _ensure_following(self) -> None:
        if self._task is None or self._task.done():
            # nobody followed the log since the last subscriber left: what was recorded
            # meanwhile is not for those who subscribe now
            self._offset = self.log.end()
            self._task = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        while self._subscribers:
            events, self._offset = self.log.read_from(self._offset)
            for event in events:
                self._deliver(event)
            await asyncio.sleep(self.poll_seconds)

    def _deliver(self, event: Event) -> None:
        for queue, kinds in list(self._subscribers):
            if event.kind not in kinds:
                continue
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.dispatcher is not None:
            self.dispatcher.close()


#: what an events check compares: the care queue, the alerts, the outbox's settled items
CHECK_PARTS = ("care_item", "alert", "delivery")


class EventWatcher:
    """New care-queue conversations, new alerts and settled deliveries, as events.

    What was current at the last check is kept in the store (``EventState``, through
    :meth:`graph.store.GraphStore.save_event_states`), so a server started again tells
    what changed while it was away, and the very first check tells nothing.

    Args:
        care_queue: Reads the queue's items (``conversation_key``, ``post_key``, …).
        alerts: Reads the current alerts (each with a stable ``key``).
        deliveries: Reads the settled deliveries (:func:`settled_deliveries`).
        fill: Makes the new care items whole at once, before their events are made
            (``scrm serve``'s queue items are read lazily: filled one at a time, each
            took 3.5 ms with 25,000 conversations waiting, and a stream brings
            thousands between two checks).
    """

    def __init__(self, care_queue: Callable[[Any], list[Any]],
                 alerts: Callable[[Any, datetime], list[Any]],
                 deliveries: Callable[[Any], list[OutboxItem]] | None = None,
                 fill: Callable[[list[Any]], None] | None = None) -> None:
        self._care_queue = care_queue
        self._alerts = alerts
        self._deliveries = deliveries or settled_deliveries
        self._fill = fill

    def check(self, store: Any, now: datetime | None = None,
              parts: Collection[str] = CHECK_PARTS) -> list[Event]:
        """Events for what is in the queue or alerting now and was not at the last
        check (nothing on the very first check: it only learns what is there).

        ``parts`` (of :data:`CHECK_PARTS`) are compared; the others are neither read nor
        moved on (a check when nothing was written compares only the alerts)."""
        return self.record(store, self.observe(store, now, parts))

    def observe(self, store: Any, now: datetime | None = None,
                parts: Collection[str] = CHECK_PARTS) -> Observed:
        """The reading half of :meth:`check` (the queue, the alerts, the settled
        deliveries, what the last check kept, and the events for what is new), which
        ``scrm serve`` runs beside the writer's jobs (an alerts pass over 100,000 posts
        takes seconds, which a stream's writes would otherwise wait for); what it found
        is kept by :meth:`record`, which only writes."""
        when = now or datetime.now(UTC)
        found: list[tuple[str, dict[str, Any], Callable[[Any], Event]]] = []
        if "care_item" in parts:
            items = {i.conversation_key: i for i in self._care_queue(store)}
            found.append(("care_item", items, lambda i: Event("care_item", _care_item(i))))
        if "alert" in parts:
            alerts = {a.key: a for a in self._alerts(store, when)}
            found.append(("alert", alerts, lambda a: Event("alert", _alert(a))))
        if "delivery" in parts:
            # one state per settled delivery: ``<response key>|<state>`` (a retried reply
            # leaves the set, and is told again when it settles again)
            settled = {f"{d.key}|{d.state}": d for d in self._deliveries(store)}
            found.append(("delivery", settled, _delivery))
        observed = Observed()
        for kind, current, data in found:
            seen = store.event_states(kind)
            added = sorted(set(current) - (seen or set()))
            removed = sorted((seen or set()) - set(current))
            if seen is not None:
                new = [current[k] for k in added]
                if new and kind == "care_item" and self._fill is not None:
                    self._fill(new)
                observed.events += [data(i) for i in new]
            if added or removed or seen is None:
                observed.changes.append((kind, added, removed))
        return observed

    @staticmethod
    def record(store: Any, observed: Observed) -> list[Event]:
        """Keep what :meth:`observe` found as the states the next check compares with;
        its events."""
        for kind, added, removed in observed.changes:
            store.save_event_states(kind, added, removed)
        return observed.events


@dataclass
class Observed:
    """What one events check found (:meth:`EventWatcher.observe`): its events, and for
    each kind compared the item keys that came and went (``changes``)."""

    events: list[Event] = field(default_factory=list)
    changes: list[tuple[str, list[str], list[str]]] = field(default_factory=list)


def settled_deliveries(store: Any) -> list[OutboxItem]:
    """Recorded responses the outbox is done with: sent, or left to send by hand after
    it tried (a reply by hand from the start, e.g. with no credentials, was never tried:
    not an event)."""
    rows = store.outbox_items(states=(SENT, BY_HAND), limit=MAX_SETTLED)
    items = [OutboxItem.from_row(r) for r in rows]
    return [i for i in items if i.state == SENT or i.attempts > 0]


#: the most settled deliveries compared at one check
MAX_SETTLED = 1_000_000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _delivery(item: OutboxItem) -> Event:
    kind = "response_sent" if item.state == SENT else "response_failed"
    return Event(kind, {
        "post_id": item.key, "conversation_id": item.conversation_key,
        "in_reply_to": item.target_key, "platform": item.platform, "state": item.state,
        "platform_id": item.remote_id, "url": item.remote_url, "reason": item.error,
        "attempts": item.attempts, "sent_at": _iso(item.sent_at),
        "at": _iso(item.updated_at)})


def _care_item(item: Any) -> dict[str, Any]:
    return {"conversation_id": item.conversation_key, "post_id": item.post_key,
            "author_key": item.author_key, "platform": item.platform, "text": item.text,
            "url": item.url, "sentiment": item.sentiment, "priority": round(item.priority, 4),
            "team": item.team,
            "waiting_since": item.created_at.isoformat() if item.created_at else None}


def _alert(alert: Any) -> dict[str, Any]:
    data = asdict(alert)
    for name in ("started_at", "ended_at"):
        if data.get(name) is not None:
            data[name] = data[name].isoformat()
    return data


def publish_from(info: Any, kind: str, data: dict[str, Any]) -> None:
    """Publish from a GraphQL resolver, when this server makes events (``scrm serve``
    sets ``app.state.events`` in the writer; elsewhere nothing happens)."""
    request = getattr(info.context, "request", None)
    bus = getattr(getattr(getattr(request, "app", None), "state", None), "events", None)
    if isinstance(bus, EventBus):
        bus.publish(Event(kind, data))
