"""The writer's live work in ``scrm serve``: monitors polled in the background, and
events (new care items, new alerts, settled replies) watched for and told to webhooks
and subscribers.

Everything that writes runs as a job on the server's one job thread (:class:`JobRunner`),
so a monitor round, an events check, an ingest sent by the CLI and an analysis never
write at the same time. Every ``SCRM_EVENTS_SECONDS`` (5) the loop submits a ``monitor``
round when an enabled monitor is due (``SCRM_MONITOR_IN_SERVE``) and the outbox's sends;
the ``events`` check itself runs only when there is something to compare:

* after any write (the read cache's version moved): the care queue and the outbox's
  settled replies, which only writes change; and the alerts too when the write was of
  content (posts, scores, settings: ``ReadCache.content_version``), not a care note,
  an assignment or a resolution, at most every ``SCRM_EVENTS_ALERT_SECONDS`` (60: a
  stream writes every second, and an alerts pass over 100,000 posts takes seconds);
* with nothing written, only the alerts, at most every ``SCRM_EVENTS_IDLE_SECONDS``
  (900). Time alone can end an alert but never start one: a new bucket holds no posts
  (below ``min_count``), the bucket holding ``now`` is tested against a baseline scaled
  by how much of it has passed (so the same posts only grow less significant), and a
  person's post only ages out of ``person_hours``. An idle re-run therefore only lets
  the remembered alerts follow those that ended; it publishes nothing new, so it need
  not run often (it costs a whole-store pass: 7 s of CPU at 100k accounts).

A check reads (:meth:`EventWatcher.observe`) here, on a store handle of its own, beside
the job thread; only what it keeps (:meth:`EventWatcher.record`) and the publishing run
as the ``events`` job, so a stream's writes never wait for an alerts pass.

A check that found nothing changes nothing, so read processes are not told to reopen
the database for it, and one that found something says it touched no cached answer.
With ``SCRM_ANALYZE_EVERY_SECONDS`` set, a warm-started ``analyze`` job refreshes the
scores that often while rounds load new posts; the API keeps answering from the previous
run until the new one completes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from api.events import CHECK_PARTS, EventBus, EventLog, EventWatcher, Observed
from api.webhooks import Dispatcher, StoreWebhooks
from graph.config import Settings
from graph.store import GraphStore

__all__ = ["LiveWork", "watch_events"]

log = logging.getLogger(__name__)


class _QueuedItem:
    """A queued conversation for the events check: its key at once, the rest of the
    item (:class:`analytics.care.CareItem`) made only when asked for (for the few new
    ones), not for every conversation waiting."""

    __slots__ = ("_index", "_item", "_now", "_position", "conversation_key")

    def __init__(self, index: Any, position: int, key: str, now: datetime) -> None:
        self._index, self._position, self._now = index, position, now
        self._item: Any = None
        self.conversation_key = key

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._item is None:
            self._item = self._index.items(self._now, [self._position])[0]
        return getattr(self._item, name)

    @staticmethod
    def fill(items: list[_QueuedItem]) -> None:
        """Make these items whole at once: one pass over the queue's columns for all of
        them (one at a time, each took 3.5 ms with 25,000 conversations waiting, and a
        stream brings thousands between two checks)."""
        groups: dict[tuple[int, datetime], list[_QueuedItem]] = {}
        for item in items:
            if item._item is None:
                groups.setdefault((id(item._index), item._now), []).append(item)
        for group in groups.values():
            made = group[0]._index.items(group[0]._now, [i._position for i in group])
            for item, whole in zip(group, made, strict=True):
                item._item = whole


def _care_queue(store: GraphStore) -> list[Any]:
    from api.carequeue import care_index

    index = care_index(store)
    index.refresh(store)  # from what was written since the last check
    now = datetime.now(UTC)
    view = index.view(now, {})  # every conversation waiting, whatever its case
    return [_QueuedItem(index, int(p), str(k), now)
            for p, k in zip(view.positions, view.keys, strict=True)]


def _alerts(store: GraphStore, now: datetime) -> list[Any]:
    from api.alerts import alert_settings, compute_alerts, watched_series
    from graph.config import get_settings

    settings = get_settings()
    series = watched_series(store.get_settings(), settings.alert_terms, settings.alert_topics)
    return compute_alerts(store, now=now, settings=alert_settings(settings), series=series)


def watch_events(store: GraphStore, bus: EventBus, watcher: EventWatcher | None = None,
                 parts: Collection[str] = CHECK_PARTS, observed: Observed | None = None
                 ) -> dict[str, Any]:
    """One events check of ``parts`` (all by default): publish what is new; the ``events``
    job's result (what it wrote, the remembered states, is read by no cached answer).
    With ``observed`` (what :meth:`EventWatcher.observe` found beside the job thread)
    only its writing half runs here, and the caller publishes the events once the job
    is done (thousands of care items a stream brings took up to 0.9 s to log and hand
    to the webhooks, which the stream's next write waited for)."""
    watcher = watcher or EventWatcher(_care_queue, _alerts, fill=_QueuedItem.fill)
    events = watcher.record(store, observed) if observed is not None else \
        watcher.check(store, parts=parts)
    if observed is None:
        bus.publish_many(events)
    return {"events": len(events), "changed": bool(events), "touched": [],
            "parts": list(parts)}


class LiveWork:
    """Starts the background loop and the webhook dispatcher of a writer app.

    Args:
        app: The FastAPI app; ``app.state.jobs`` must be its :class:`JobRunner`.
        store: The writer's store (the dispatcher logs deliveries on a sibling of it).
        settings: The server's settings.
    """

    def __init__(self, app: Any, store: GraphStore, settings: Settings) -> None:
        self.settings = settings
        self._hooks_store = store.sibling()
        dispatcher = Dispatcher(
            StoreWebhooks(self._hooks_store), allow_private=settings.webhook_allow_private,
            attempts=settings.webhook_attempts, base=settings.webhook_backoff_seconds,
            cap=settings.webhook_backoff_cap_seconds, timeout=settings.webhook_timeout)
        self.bus = EventBus(EventLog.beside(settings.db), dispatcher)
        app.state.events = self.bus
        self.jobs = app.state.jobs
        self._watcher = EventWatcher(_care_queue, _alerts, fill=_QueuedItem.fill)
        # the events check reads here, beside the job thread (see _loop)
        self._reads = store.sibling()
        self.jobs.handlers["events"] = self._events_job
        self._loaded = False  # a round loaded posts since the last analysis
        # every write (a mutation, a job that changed something) clears the read cache and
        # moves its version, and a write of content its content version: the events
        # check runs the parts that a write may have changed (see the module docstring)
        self._cache = getattr(app.state, "read_cache", None)
        self.checks: list[list[str]] = []  # the parts of each check submitted (tests)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scrm-live", daemon=True)
        from api.streams import ServeStreams  # streams kept open, written as jobs

        self.streams = ServeStreams(self.jobs, settings)

    def _events_job(self, store: GraphStore, payload: dict[str, Any], report: Any
                    ) -> dict[str, Any]:
        """The ``events`` job: what the check found, kept. While streams are followed its
        commit leaves the checkpoint to the next stream batch's: a checkpoint here (up
        to a second at 100,000 posts) held the stream's next batch up, and its posts
        missed the care queue's two seconds (BENCHMARKS.md)."""
        with store.deferring_checkpoint() if self.streams.flowing() else nullcontext():
            return watch_events(store, self.bus, self._watcher,
                                payload.get("parts") or CHECK_PARTS,
                                payload.pop("observed", None))  # not kept with the job

    def start(self) -> LiveWork:
        self._thread.start()
        self.streams.start()
        return self

    def _monitors_due(self) -> bool:
        if not self.settings.monitor_in_serve:
            return False
        from ingest.connectors.state import MonitorFile

        now = datetime.now(UTC)
        return any(m.enabled and (not m.state.next_try
                                  or datetime.fromisoformat(m.state.next_try) <= now)
                   for m in MonitorFile.beside(self.settings.db).all())

    def _run(self, payload: dict[str, Any]) -> Any:
        job = self.jobs.run(payload, self._stop)
        if job.status == "failed":
            log.warning("live %s job failed: %s", payload["kind"], job.error)
        return job

    def _versions(self) -> tuple[int | None, int | None]:
        """The read cache's (version, content version): (None, None) without a cache,
        which makes every check a whole one."""
        return (getattr(self._cache, "version", None),
                getattr(self._cache, "content_version", None))

    def _parts_due(self, seen: tuple[int | None, int | None], last_alerts: float
                   ) -> list[str]:
        """What the events check must compare now (empty: nothing to check)."""
        version, content = self._versions()
        written = version is None or version != seen[0]
        parts = ["care_item", "delivery"] if written else []
        idle = self.settings.events_idle_seconds
        since = time.monotonic() - last_alerts
        # new content: the alerts at most every SCRM_EVENTS_ALERT_SECONDS (a stream
        # writes every second, and a pass costs seconds at 100,000 posts)
        changed = content is None or content != seen[1]
        if (changed and since >= self.settings.events_alert_seconds) or (
                idle > 0 and since >= idle):
            parts.append("alert")
        return [p for p in CHECK_PARTS if p in parts]

    def _loop(self) -> None:
        last_analysis = time.monotonic()
        seen: tuple[int | None, int | None] = (-1, -1)  # the first check compares all
        last_alerts = 0.0
        while not self._stop.wait(max(0.5, self.settings.events_seconds)):
            try:
                if self._monitors_due():
                    job = self._run({"kind": "monitor", "due_only": True})
                    self._loaded = self._loaded or bool((job.result or {}).get("changed"))
                if self.settings.outbox_in_serve:  # replies to send (ingest/outbox.py)
                    self._run({"kind": "outbox"})
                every = self.settings.analyze_every_seconds
                if every > 0 and self._loaded and time.monotonic() - last_analysis >= every:
                    self._run({"kind": "analyze", "params": {"warm_start": True}})
                    last_analysis, self._loaded = time.monotonic(), False
                parts = self._parts_due(seen, last_alerts)
                if parts:
                    # a write during the check: checked again; content the alerts were
                    # not compared for: still owed to them
                    version, content = self._versions()
                    seen = (version, content if "alert" in parts else seen[1])
                    self.checks.append(parts)
                    # the reading half here, on a handle of its own, so that the job
                    # thread (a stream's writes) waits only for the states it keeps
                    observed = self._watcher.observe(self._reads, parts=parts)
                    job = self._run({"kind": "events", "parts": parts, "observed": observed})
                    if job.status == "completed":  # kept: told once, and off the job thread
                        self.bus.publish_many(observed.events)
                    if "alert" in parts:
                        last_alerts = time.monotonic()
            except Exception:  # noqa: BLE001 - the loop outlives one bad round
                log.exception("live work: a round failed")

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self.streams.stop()
        self._thread.join(timeout=10)
        self.bus.close()
        self._hooks_store.close()
        self._reads.close()
