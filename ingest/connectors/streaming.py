"""Streaming monitors kept connected inside ``scrm serve``, written by the one writer.

``scrm monitor run`` reads a stream (Bluesky Jetstream; Mastodon with ``--stream yes``)
as a poll that listens for ``--seconds`` / ``--stream-seconds`` and writes at the end.
Inside ``scrm serve`` that would hold the server's one job thread for the whole window
(no outbox round, no events check, no CLI hand-off meanwhile) and show a post only when
the window closes. So the writer follows them instead (:class:`StreamFollower`): each
streaming monitor has a reader thread that holds the connection open and only buffers
what arrives (it never writes). A preparing thread makes loader units of what each
stream buffered once its oldest item has waited ``flush_seconds`` (parsed, and scored
for sentiment on arrival), off the job thread, so that the writer commits one batch
while the next is made; as soon as prepared units wait, a ``stream`` job on the job
thread writes all of them through the loader (same idempotence, rejects and
forgotten-person filter as every poll) and only then moves the source's cursor and
state. The polling round skips the monitors followed this way.

A dropped stream reconnects with backoff and catches up: Jetstream from the newest
``time_us`` read, rewound by ``--rewind-seconds`` (a restarted server: from the stored
cursor, which moves only after its events are committed); Mastodon through its REST
timeline from the stored REST cursor (a REST catch-up runs before the first connection
and after every drop), as the poll does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import orjson

from graph.model import Post, post_key
from graph.store import GraphStore, Tell
from ingest.connectors import get_connector
from ingest.connectors.base import PollContext, item_unit
from ingest.connectors.bluesky import jetstream_records
from ingest.connectors.http import (
    Http,
    SourceUnavailable,
    backoff_seconds,
    rate_limited,
    source_url_refusal,
)
from ingest.connectors.jetstream import _GAP_US, concerns
from ingest.connectors.mastodon import status_records, stream_statuses
from ingest.connectors.runner import credentials_for, poll_monitor
from ingest.connectors.state import Monitor, MonitorStore
from ingest.loader import FileReport, RejectsWriter, Unit, load_units, now_stamp

__all__ = ["StreamFollower", "Writing", "care_first", "is_streaming", "written"]

log = logging.getLogger(__name__)

#: how long one Mastodon streaming connection is held before it is opened again (a
#: REST catch-up runs in between); a stream with no line for this long is reconnected
MASTODON_WINDOW_SECONDS = 300.0
#: most items buffered per stream before its reader waits for the writer
MAX_PENDING = 50_000
#: longest a streamed item waits in its buffer before it is prepared for the writer: a
#: longer wait makes fewer, larger batches (each costs the writer ~0.1 s besides its
#: posts), a shorter one less latency; at 2,000 posts/s, 0.12 s gave p99 1.80-2.42 s
#: against 0.25 s's 1.86-3.20 s in four alternating pairs (BENCHMARKS.md)
FLUSH_SECONDS = 0.12
#: a stream that ends sooner than this after it opened, having brought nothing, failed:
#: the next connection waits as after an error (with backoff), not a moment
QUICK_DROP_SECONDS = 10.0
#: longest a stream job waits, as it starts, for what arrived until then to be prepared
TAKE_WAIT_SECONDS = 0.15
#: fewest units a batch must have to be written in two parts (posts needing an answer
#: first): a commit costs the writer ~0.1 s besides its posts, which a small batch's
#: rest does not take to write, and the writer of a fast stream is seldom idle
FIRST_PART_UNITS = 1_000


#: opened around a write of posts; gives what is told the written posts' keys, how many
#: of them were new and the new posts as written (``CareQueueIndex.writing``)
Writing = Callable[[], AbstractContextManager[Tell]]


def written(store: GraphStore, units: list[Unit], writing: Writing | None, *, source: str,
            source_file: str, rejects: RejectsWriter, batch_size: int) -> FileReport:
    """``load_units`` of ``units``, inside ``writing()`` when given, which is then told
    the keys of the posts written and how many were new."""
    with writing() if writing is not None else nullcontext(None) as tell:
        result = load_units(store, iter(units), source=source, source_file=source_file,
                            rejects=rejects, batch_size=batch_size,
                            give_written=tell is not None)
        if tell is not None:
            tell([r.key for u in units for r in u.records if isinstance(r, Post)],
                 result.created.get("posts", 0), result.written)
    return result


def care_first(units: list[Unit], first: Callable[[Post], bool]) -> list[list[Unit]]:
    """``units`` as the parts to write one after the other: the units holding a post
    ``first`` picks (those the care queue waits for), with the units of the posts they
    reply to within the batch, up to their conversation's root (a reply written before
    its parent is filed under a provisional conversation, and moving it costs the queue
    a whole read), then the rest. One part when either would be empty. Order within
    each part is kept."""
    of_post: dict[str, int] = {}
    above: dict[str, tuple[str, ...]] = {}  # each post's parent and conversation root
    for n, unit in enumerate(units):
        for record in unit.records:
            if isinstance(record, Post):
                of_post[record.key] = n
                above[record.key] = tuple(post_key(record.platform, i) for i in (
                    record.parent_id, record.conversation_id) if i)
    chosen: set[int] = set()
    for n, unit in enumerate(units):
        if n in chosen or not any(isinstance(r, Post) and first(r) for r in unit.records):
            continue
        chosen.add(n)
        todo = [k for r in unit.records if isinstance(r, Post) for k in above[r.key]]
        while todo:
            key = todo.pop()
            if key in of_post and of_post[key] not in chosen:
                chosen.add(of_post[key])
                todo.extend(k for r in units[of_post[key]].records
                            if isinstance(r, Post) for k in above[r.key])
    if not chosen or len(chosen) == len(units):
        return [units]
    return [[u for n, u in enumerate(units) if n in chosen],
            [u for n, u in enumerate(units) if n not in chosen]]


def is_streaming(monitor: Monitor) -> bool:
    """Whether a monitor reads a stream: Jetstream, or Mastodon with ``stream: yes``
    (a Mastodon search has no stream)."""
    if monitor.kind == "jetstream":
        return True
    return (monitor.kind == "mastodon" and monitor.options.get("stream") == "yes"
            and not monitor.options.get("query"))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class _Buffer:
    """What one stream's reader left for the writer (guarded by the follower's lock):
    items as read, and units prepared from earlier ones (``ready``)."""

    items: list[Any] = field(default_factory=list)
    newest: int | None = None  # Jetstream: the highest time_us read
    catch_up: bool = False  # Mastodon: a REST catch-up is owed (first connection, a drop)
    gap: bool = False  # a resume found events missing
    error: str | None = None  # why the stream is not connected
    failures: int = 0
    since: float | None = None  # when the oldest of ``items`` arrived (monotonic)
    ready: list[Unit] = field(default_factory=list)  # prepared, waiting for the writer
    ready_newest: int | None = None  # Jetstream: the highest time_us the ready units cover
    preparing: bool = False  # items taken by the preparing thread, not yet ready
    numbered: int = 0  # units numbered so far (their line in a rejects file)
    sent: int = 0  # items handed to the preparing thread (less those it gave back)
    prepared: int = 0  # of those, how many it made ready (in order)


def _newer(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


class _Stream:
    """A reader thread holding one monitor's stream open."""

    def __init__(self, follower: StreamFollower, monitor: Monitor) -> None:
        self.follower = follower
        self.monitor = monitor
        self.buffer = _Buffer(catch_up=monitor.kind == "mastodon")
        self.newest_read: int | None = None  # Jetstream: where a reconnection resumes
        self.reported: str | None = None  # the stream error the state last got
        #: Mastodon: no REST catch-up before this (a failed one's rate-limit reset or
        #: backoff; a catch-up owed meanwhile is made at the first reconnect after it)
        self.rest_after: datetime | None = None
        self.received = 0  # events read (of any kind), to tell a stream that brought none
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"scrm-stream-{monitor.id}",
                                       daemon=True)

    # ------------------------------------------------------------ reader side
    def put(self, item: Any | None, stamp: int | None = None) -> None:
        cv = self.follower.cv
        with cv:
            while (len(self.buffer.items) >= self.follower.max_pending
                   and not self.stop.is_set()):
                cv.wait(0.5)  # the writer is behind: slow the stream, not the memory
            self.received += 1
            if item is not None:
                if not self.buffer.items:
                    self.buffer.since = time.monotonic()
                    cv.notify_all()  # the preparing thread times its batch from now
                self.buffer.items.append(item)
            if stamp is not None:
                newest = self.buffer.newest
                self.buffer.newest = stamp if newest is None else max(newest, stamp)
                read = self.newest_read
                self.newest_read = stamp if read is None else max(read, stamp)
            self.buffer.error, self.buffer.failures = None, 0

    def _failed(self, reason: str) -> float:
        with self.follower.cv:
            self.buffer.error = reason
            self.buffer.failures += 1
            failures = self.buffer.failures
        log.warning("%s: %s", self.monitor.id, reason)
        return backoff_seconds(failures, base=self.follower.backoff_base, cap=60.0)

    def _run(self) -> None:
        settings = self.follower.settings()
        connector = get_connector(self.monitor.kind)
        base = str(self.monitor.url or (settings.get(connector.base_url_setting)
                                        if connector.base_url_setting else None)
                   or connector.base_url)
        allow_private = bool(settings.get("monitor_allow_private"))
        while not self.stop.is_set():
            # before every connection: the name may resolve to a private address by now
            refusal = source_url_refusal(base, schemes=connector.schemes,
                                         allow_private=allow_private)
            if refusal is not None:
                self.stop.wait(self._failed(refusal))
                continue
            opened, received = time.monotonic(), self.received
            try:
                if self.monitor.kind == "jetstream":
                    self._jetstream(base)
                else:
                    self._mastodon(base, settings)
                # ended (a drop): open it again soon, unless it ended as soon as it opened
                # with nothing (a proxy that closes it, a server turning us away): each
                # reconnection also costs a REST catch-up, so that backs off as a failure
                lasted = time.monotonic() - opened
                wait = self.follower.backoff_base / 5
                if self.received == received and lasted < QUICK_DROP_SECONDS:
                    wait = self._failed(f"{base} closed the stream {lasted:.1f} s after it "
                                        "opened, with nothing on it")
            except SourceUnavailable as exc:
                wait = self._failed(exc.reason)
                if exc.retry_at is not None:  # a rate limit's own time, if later
                    wait = max(wait, (exc.retry_at - datetime.now(UTC)).total_seconds())
            except Exception as exc:  # noqa: BLE001 - said in the state, the reader lives on
                wait = self._failed(f"unexpected stream from {base}: "
                                    f"{exc or type(exc).__name__}")
            self.stop.wait(wait)

    def _jetstream(self, base: str) -> None:
        from websockets.exceptions import (
            ConnectionClosed,
            InvalidHandshake,
            InvalidStatus,
            InvalidURI,
        )
        from websockets.sync.client import connect

        options = self.monitor.options
        dids = {d.strip() for d in options.get("dids", "").split(",") if d.strip()}
        if not dids:
            raise SourceUnavailable("give --dids (the brand accounts' DIDs, comma-separated)")
        rewind = int(float(options.get("rewind_seconds") or 5) * 1_000_000)
        with self.follower.cv:
            since = self.newest_read
        if since is None:  # a (re)started server: from the committed cursor
            stored = self.follower.states.get(self.monitor.id)
            since = int(stored.state.cursor) if stored and stored.state.cursor else None
        query = {"wantedCollections": "app.bsky.feed.post"}
        if since is not None:
            query["cursor"] = str(max(0, since - rewind))
        first = True
        try:
            with connect(f"{base.rstrip('/')}/subscribe?{urlencode(query)}", open_timeout=10,
                         max_size=2**22) as ws:
                while not self.stop.is_set():
                    try:
                        message = ws.recv(timeout=1.0)
                    except TimeoutError:
                        continue
                    try:
                        event = orjson.loads(message)
                        stamp = int(event["time_us"])
                    except (ValueError, KeyError, TypeError):
                        self.put({"unreadable": str(message)[:2000]})
                        continue
                    if first and since is not None and stamp - since > _GAP_US + rewind:
                        with self.follower.cv:
                            self.buffer.gap = True
                    first = False
                    self.put(event if concerns(event, dids) else None, stamp)
        except ConnectionClosed:
            return  # dropped: resumed from the newest time_us read
        except InvalidStatus as exc:  # turned away at the handshake
            answer = exc.response
            raise rate_limited(answer.status_code, answer.headers, datetime.now(UTC), base) \
                or SourceUnavailable(f"could not subscribe to {base}: HTTP "
                                     f"{answer.status_code}") from None
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise SourceUnavailable(f"could not subscribe to {base}: "
                                    f"{type(exc).__name__}") from None

    def _mastodon(self, base: str, settings: Mapping[str, Any]) -> None:
        connector = get_connector("mastodon")
        creds = credentials_for(tuple(connector.credentials), settings)
        headers = connector.auth(creds) if connector.auth and creds else {}
        with self.follower.cv:
            self.buffer.catch_up = True  # what passed while not connected comes by REST
        with httpx.Client(timeout=10, follow_redirects=True,
                          headers={"User-Agent": "scrm-monitor/1"}) as client:
            ctx = PollContext(http=Http(client, base, headers), options=self.monitor.options,
                              cursor=None, source_file=f"monitor:{self.monitor.id}",
                              credentials=creds)
            for status in stream_statuses(ctx, self.follower.mastodon_window):
                if self.stop.is_set():
                    return
                self.put(status)


def _records(monitor: Monitor, settings: Mapping[str, Any]) -> Callable[[Any], Any]:
    """How one streamed item of ``monitor`` becomes records (an error: a reject)."""
    if monitor.kind == "jetstream":
        def event_records(event: dict[str, Any]) -> Any:
            if "unreadable" in event:
                raise ValueError("not a Jetstream event (malformed JSON or no 'time_us')")
            return jetstream_records(event)

        return event_records
    connector = get_connector(monitor.kind)
    host = urlsplit(str(monitor.url or settings.get("mastodon_url") or connector.base_url)
                    ).netloc
    return lambda status: status_records(status, host)


class StreamFollower:
    """Follows the enabled streaming monitors of a writer (see the module's docstring).

    Args:
        states: The monitors and their states (``<db>.monitors.json``).
        submit: Runs ``{"kind": "stream"}`` on the writer's job thread and returns when it
            is done (the job's handler calls :meth:`flush`).
        settings: The settings as a mapping (``Settings.model_dump()``), read afresh for
            every connection and flush.
        rejects_dir: Where malformed items go.
        prepare: Sees each batch's units before they are written (sentiment on arrival).
        writing: Opened around each stream batch's write to a store, and told what it
            wrote (:data:`Writing`; the server's care queue is then brought up to
            date from the batch).
        first: Gives, for a store, which posts its care queue waits for: each batch
            writes and commits those first (:func:`care_first`), leaving the
            checkpoint to the rest (:meth:`GraphStore.deferring_checkpoint`), so that
            a post needing an answer is not held up by the rest of its batch nor by a
            checkpoint its own commit would start. The state moves after both. Only
            batches of ``first_part_units`` or more are split.
        committed: Called once the first of a batch's two parts is committed (the
            server's readers are told then, not when the job ends).
        flush_seconds: Longest an item waits in a buffer before it is prepared; a
            ``stream`` job that starts has what was read until then prepared at once
            (waiting at most ``TAKE_WAIT_SECONDS``), so it is not left to the next job.
    """

    def __init__(self, states: MonitorStore, submit: Callable[[dict[str, Any]], Any], *,
                 settings: Callable[[], Mapping[str, Any]], rejects_dir: Callable[[], Path],
                 prepare: Callable[[list[Unit]], None] | None = None,
                 writing: Callable[[GraphStore], AbstractContextManager[Tell]] | None = None,
                 first: Callable[[GraphStore], Callable[[Post], bool]] | None = None,
                 committed: Callable[[], None] | None = None,
                 first_part_units: int = FIRST_PART_UNITS,
                 flush_seconds: float = FLUSH_SECONDS, sync_seconds: float = 2.0,
                 backoff_base: float = 5.0, max_pending: int = MAX_PENDING,
                 mastodon_window: float = MASTODON_WINDOW_SECONDS) -> None:
        self.states = states
        self.submit = submit
        self.settings = settings
        self.rejects_dir = rejects_dir
        self.prepare = prepare
        self.writing = writing
        self.first = first
        self.committed = committed
        self.first_part_units = first_part_units
        self.flush_seconds = flush_seconds
        self.sync_seconds = sync_seconds
        self.backoff_base = backoff_base
        self.max_pending = max_pending
        self.mastodon_window = mastodon_window
        self.cv = threading.Condition()
        self.streams: dict[str, _Stream] = {}
        self._paused_until = 0.0  # a stream job failed: the next waits until then
        self._now = False  # a job is starting: prepare what waits without waiting more
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scrm-streams", daemon=True)
        self._preparer = threading.Thread(target=self._prepare_loop,
                                          name="scrm-streams-prepare", daemon=True)

    def followed(self) -> Collection[str]:
        """The ids of the monitors followed here, started or about to be (the polling
        round skips them: a poll would hold the job thread for its listening window)."""
        return frozenset(m.id for m in self.states.all() if m.enabled and is_streaming(m))

    def start(self) -> StreamFollower:
        self._preparer.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for stream in list(self.streams.values()):
            stream.stop.set()
        with self.cv:
            self.cv.notify_all()
        for thread in (self._thread, self._preparer):
            if thread.ident is not None:  # started
                thread.join(timeout=5)

    # ------------------------------------------------------------ supervision
    def sync(self) -> None:
        """Start a reader for each enabled streaming monitor, stop the others'."""
        wanted = {m.id: m for m in self.states.all() if m.enabled and is_streaming(m)}
        started = []
        # under the lock the preparing thread and the writer read the streams with (a
        # change in the middle of their loop over them would end the preparing thread)
        with self.cv:
            for monitor_id in list(self.streams):
                stream = self.streams[monitor_id]
                if monitor_id not in wanted \
                        or wanted[monitor_id].options != stream.monitor.options \
                        or wanted[monitor_id].url != stream.monitor.url:
                    stream.stop.set()
                    del self.streams[monitor_id]
            for monitor_id, monitor in wanted.items():
                if monitor_id not in self.streams:
                    self.streams[monitor_id] = _Stream(self, monitor)
                    started.append(self.streams[monitor_id])
        for stream in started:
            stream.thread.start()

    def _owed(self) -> bool:
        now = datetime.now(UTC)
        preparing = self._preparer.is_alive()
        with self.cv:
            # prepared units (items as read, when nothing prepares them), a catch-up, a
            # gap or a new error: now; a cursor moved by events that concern no one waits
            # for the periodic refresh below (every ``interval``)
            if any(s.buffer.ready or (s.buffer.items and not preparing) or s.buffer.catch_up
                   or s.buffer.gap or s.buffer.error != s.reported
                   for s in self.streams.values()):
                return True
        return any(m.id in self.streams and (not m.state.next_try or
                                             datetime.fromisoformat(m.state.next_try) <= now)
                   for m in self.states.all())

    def _ready(self) -> bool:
        """Whether prepared units wait for the writer (under the lock)."""
        return any(s.buffer.ready for s in self.streams.values())

    def _loop(self) -> None:
        last_sync = 0.0
        while not self._stop.is_set():
            with self.cv:
                # prepared units: a job at once, the next ones being made meanwhile;
                # otherwise a look every flush_seconds (a catch-up, an error, the state)
                self.cv.wait_for(lambda: self._stop.is_set() or (
                    self._ready() and time.monotonic() >= self._paused_until),
                    timeout=self.flush_seconds)
            if self._stop.is_set():
                break
            try:
                if time.monotonic() - last_sync >= self.sync_seconds:
                    self.sync()
                    last_sync = time.monotonic()
                if self.streams and time.monotonic() >= self._paused_until \
                        and self._owed():
                    self.submit({"kind": "stream"})
            except Exception:  # noqa: BLE001 - the loop outlives one bad round
                log.exception("streams: a round failed")

    # ------------------------------------------------------------ preparing side
    def _prepare_loop(self) -> None:
        """Units of each stream's items once the oldest has waited ``flush_seconds``:
        parsed and prepared (sentiment on arrival) here, while the job thread writes
        the units made before; it waits while ``max_pending`` units wait for it."""
        while not self._stop.is_set():
            with self.cv:
                now = time.monotonic()
                # each stream with items: when its batch is due
                waiting = [(s, since + self.flush_seconds) for s in self.streams.values()
                           if s.buffer.items and (since := s.buffer.since) is not None]
                behind = sum(len(s.buffer.ready) for s in self.streams.values()) \
                    >= self.max_pending
                due = [s for s, when in waiting if when <= now or self._now]
                if behind or not due:
                    soonest = min((when for _, when in waiting), default=now + 0.5)
                    self.cv.wait(0.1 if behind else max(0.005, soonest - now))
                    continue
                taken = []
                for stream in due:
                    buffer = stream.buffer
                    taken.append((stream, buffer.items, buffer.newest, buffer.numbered + 1))
                    buffer.numbered += len(buffer.items)
                    buffer.sent += len(buffer.items)
                    buffer.items, buffer.newest, buffer.since = [], None, None
                    buffer.preparing = True
                self.cv.notify_all()  # a reader waiting for room
            for stream, items, newest, first in taken:
                try:
                    units = self._units(stream.monitor, items, first, self.settings())
                except Exception:  # noqa: BLE001 - the items go back; the thread lives on
                    log.exception("streams: preparing %s's items failed", stream.monitor.id)
                    with self.cv:
                        buffer = stream.buffer
                        buffer.items[:0] = items
                        buffer.sent -= len(items)
                        buffer.newest = _newer(buffer.newest, newest)
                        buffer.since = time.monotonic()
                        buffer.preparing = False
                        self.cv.wait(1.0)
                    continue
                with self.cv:
                    buffer = stream.buffer
                    buffer.ready.extend(units)
                    buffer.prepared += len(items)
                    buffer.ready_newest = _newer(buffer.ready_newest, newest)
                    buffer.preparing = False
                    self.cv.notify_all()  # the loop submits the job that writes them

    def _units(self, monitor: Monitor, items: list[Any], first: int,
               settings: Mapping[str, Any]) -> list[Unit]:
        """Streamed items as loader units numbered from ``first``, prepared."""
        if not items:
            return []
        records = _records(monitor, settings)
        units = [item_unit(n, item, records, f"monitor:{monitor.id}")
                 for n, item in enumerate(items, start=first)]
        if self.prepare is not None:
            try:
                self.prepare(units)
            except Exception as exc:  # noqa: BLE001 - written unscored, understood later
                log.warning("%s: sentiment on arrival failed (%s); the posts are written "
                            "without it", monitor.id, exc or type(exc).__name__)
        return units

    # ------------------------------------------------------------ writer side
    def _take(self) -> dict[str, tuple[Monitor, _Buffer]]:
        """What each stream has for the writer: its prepared units (and, when no thread
        prepares them, its items as read), the flags, and the Jetstream cursor they
        allow: the ready units', and past events that concerned no one only while no
        item read before them is still to be written. What arrived until now is
        prepared first (for at most ``TAKE_WAIT_SECONDS``): left to the next job, it
        would wait for the whole of this one."""
        taken: dict[str, tuple[Monitor, _Buffer]] = {}
        preparing = self._preparer.is_alive()
        with self.cv:
            # each stream's items read until now
            read = {m: s.buffer.sent + len(s.buffer.items) for m, s in self.streams.items()}
            if preparing and any(n > self.streams[m].buffer.prepared for m, n in read.items()):
                self._now = True
                self.cv.notify_all()
                self.cv.wait_for(lambda: self._stop.is_set() or all(
                    s.buffer.prepared >= read.get(m, 0) for m, s in self.streams.items()),
                    timeout=TAKE_WAIT_SECONDS)
                self._now = False
            for monitor_id, stream in self.streams.items():
                buffer = stream.buffer
                snapshot = replace(buffer, items=[] if preparing else buffer.items)
                if not preparing:
                    buffer.numbered += len(buffer.items)
                    buffer.items, buffer.since = [], None
                pending = bool(buffer.items) or buffer.preparing
                snapshot.newest = _newer(buffer.ready_newest,
                                         None if pending else buffer.newest)
                if not pending:
                    buffer.newest = None
                buffer.ready, buffer.ready_newest = [], None
                buffer.catch_up, buffer.gap = False, False
                taken[monitor_id] = (stream.monitor, snapshot)
                stream.reported = buffer.error
            self.cv.notify_all()
        return taken

    def flush(self, store: GraphStore, report: Callable[[str], None] = lambda m: None
              ) -> dict[str, Any]:
        """Write what the streams read, then their state (the ``stream`` job; run only
        on the writer's job thread)."""
        settings = self.settings()
        loaded = 0
        outcomes = []
        taken = list(self._take().items())
        for n, (monitor_id, (monitor, buffer)) in enumerate(taken):
            try:
                done = self._write(store, monitor, buffer, settings)
            except BaseException:
                # not committed (or not known to be): what was taken goes back to its
                # stream, so no cursor moves past it; the next job writes it again
                # (what was written is written as nothing new), after a pause
                self._give_back(taken[n:])
                raise
            loaded += done["loaded"]
            outcomes.append(done)
            if done["loaded"] or done["error"]:
                report(f"{monitor_id}: " + (done["error"] or f"{done['loaded']} loaded"))
        return {"streams": outcomes, "loaded": loaded, "changed": loaded > 0}

    def _give_back(self, taken: list[tuple[str, tuple[Monitor, _Buffer]]]) -> None:
        """Put what :meth:`_take` took back in front of what was read since, and hold
        the next ``stream`` job back for ``backoff_base`` seconds."""
        with self.cv:
            for monitor_id, (monitor, snapshot) in taken:
                stream = self.streams.get(monitor_id)
                if stream is None or stream.monitor is not monitor:
                    continue  # stopped meanwhile: a new stream reads from the cursor
                buffer = stream.buffer
                buffer.ready[:0] = snapshot.ready
                if snapshot.items:  # read when nothing prepares them
                    buffer.items[:0] = snapshot.items
                    buffer.since = buffer.since or time.monotonic()
                buffer.ready_newest = _newer(buffer.ready_newest, snapshot.newest)
                buffer.catch_up = buffer.catch_up or snapshot.catch_up
                buffer.gap = buffer.gap or snapshot.gap
                stream.reported = None  # its error, if any, is not in the state yet
            self._paused_until = time.monotonic() + self.backoff_base
            self.cv.notify_all()

    def _write(self, store: GraphStore, monitor: Monitor, buffer: _Buffer,
               settings: Mapping[str, Any]) -> dict[str, Any]:
        source_file = f"monitor:{monitor.id}"
        read = stream_loaded = stream_rejected = 0
        error = buffer.error
        # prepared by the preparing thread, and what was read when nothing prepares
        units = buffer.ready + self._units(monitor, buffer.items, buffer.numbered + 1,
                                           settings)
        if units:
            rejects = RejectsWriter(self.rejects_dir() / f"monitor-{monitor.id}-"
                                    f"{now_stamp()}.jsonl")
            writing = self.writing
            parts = [units] if self.first is None or len(units) < self.first_part_units \
                else care_first(units, self.first(store))
            try:
                for n, part in enumerate(parts):
                    # the first of two parts leaves the checkpoint to the second
                    with store.deferring_checkpoint() if n + 1 < len(parts) \
                            else nullcontext():
                        result = written(store, part, None if writing is None else
                                         lambda: writing(store),
                                         source=get_connector(monitor.kind).platform,
                                         source_file=source_file, rejects=rejects,
                                         batch_size=200_000)
                    read += result.read
                    stream_loaded += result.loaded
                    stream_rejected += result.rejected
                    if n + 1 < len(parts) and self.committed is not None:
                        self.committed()
            finally:
                rejects.close()
        loaded, rejected = stream_loaded, stream_rejected
        # REST from the stored cursor: what passed while unconnected. The state is the
        # stored one: the stream's copy is the one it started with, and the poll saves it
        stream = self.streams.get(monitor.id)
        put_off = stream is not None and stream.rest_after is not None \
            and stream.rest_after > datetime.now(UTC)
        latest = self.states.get(monitor.id) if buffer.catch_up and not put_off else None
        polled = None
        if latest is not None:
            rest = replace(latest, options={k: v for k, v in latest.options.items()
                                            if k != "stream"})
            with httpx.Client(timeout=float(settings.get("monitor_timeout") or 20),
                              follow_redirects=True,
                              headers={"User-Agent": "scrm-monitor/1"}) as client:
                # writes the REST items, then the REST cursor and its counts
                polled = poll_monitor(store, self.states, rest, client=client,
                                      settings=settings, rejects_dir=self.rejects_dir(),
                                      prepare=self.prepare)
            loaded += polled.loaded
            rejected += polled.rejected
            error = polled.error or error
        out = {"monitor": monitor.id, "read": read, "loaded": loaded, "rejected": rejected,
               "error": error}
        # committed: only now may the state (and Jetstream's cursor) move
        current = self.states.get(monitor.id)
        if current is None:
            return out  # removed meanwhile
        state = current.state
        if polled is not None and stream is not None:  # the time the failed poll gave
            stream.rest_after = datetime.fromisoformat(state.next_try) \
                if polled.error and state.next_try else None
        now = datetime.now(UTC)
        if monitor.kind == "jetstream" and buffer.newest is not None:
            stored = int(state.cursor) if state.cursor else None
            state.cursor = str(buffer.newest if stored is None else max(stored, buffer.newest))
        if buffer.gap:
            state.gap_since = state.gap_since or state.last_success or _iso(now)
        state.items += stream_loaded
        state.rejected += stream_rejected
        if error is not None and not units:
            state.last_error = error
            state.failures = max(state.failures, buffer.failures)
        else:
            state.last_error, state.failures = None, 0
            state.last_success = _iso(now)
        state.next_try = _iso(now + timedelta(seconds=monitor.interval))
        self.states.save_state(monitor.id, state)
        return out
