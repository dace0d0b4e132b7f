"""The writer's live work in ``scrm serve``: monitors polled in the background, and
events (new care items, new alerts) watched for and told to webhooks and subscribers.

Everything that writes runs as a job on the server's one job thread (:class:`JobRunner`),
so a monitor round, an events check, an ingest sent by the CLI and an analysis never
write at the same time. Every ``SCRM_EVENTS_SECONDS`` (5) the loop submits a ``monitor``
round when an enabled monitor is due (``SCRM_MONITOR_IN_SERVE``) and then an ``events``
check; a check that found nothing new changes nothing, so read processes are not told
to reopen the database for it (they reopen at most once per round). With
``SCRM_ANALYZE_EVERY_SECONDS`` set, a warm-started ``analyze`` job refreshes the scores
that often while rounds load new posts; the API keeps answering from the previous run
until the new one completes.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from api.events import EventBus, EventLog, EventWatcher
from api.webhooks import Dispatcher, StoreWebhooks
from graph.config import Settings
from graph.store import GraphStore

__all__ = ["LiveWork", "watch_events"]

log = logging.getLogger(__name__)


# how often the events check runs when nothing was written (time alone can make an alert)
IDLE_EVENTS_SECONDS = 60.0


def _care_queue(store: GraphStore) -> list[Any]:
    from api.care import _queue

    return _queue(store)


def _alerts(store: GraphStore, now: datetime) -> list[Any]:
    from api.alerts import alert_settings, compute_alerts, watched_series
    from graph.config import get_settings

    settings = get_settings()
    series = watched_series(store.get_settings(), settings.alert_terms, settings.alert_topics)
    return compute_alerts(store, now=now, settings=alert_settings(settings), series=series)


def watch_events(store: GraphStore, bus: EventBus, watcher: EventWatcher | None = None
                 ) -> dict[str, Any]:
    """One events check: publish what is new; the ``events`` job's result."""
    events = (watcher or EventWatcher(_care_queue, _alerts)).check(store)
    bus.publish_many(events)
    return {"events": len(events), "changed": bool(events)}


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
        watcher = EventWatcher(_care_queue, _alerts)
        self.jobs.handlers["events"] = lambda s, payload, report: watch_events(
            s, self.bus, watcher)
        self._loaded = False  # a round loaded posts since the last analysis
        # every write (a mutation, a job that changed something) clears the read cache and
        # moves its version: the events check (the whole care queue and the alerts) runs
        # after writes, and when idle only once a minute, not every few seconds
        self._cache = getattr(app.state, "read_cache", None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scrm-live", daemon=True)
        from api.streams import ServeStreams  # streams kept open, written as jobs

        self.streams = ServeStreams(self.jobs, settings)

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
        job = self.jobs.submit(payload)
        while job.status in ("queued", "running") and not self._stop.is_set():
            time.sleep(0.1)
        if job.status == "failed":
            log.warning("live %s job failed: %s", payload["kind"], job.error)
        return job

    def _written_since(self, seen: int | None) -> int | None:
        """The read cache's version when it moved since ``seen`` (None: it did not)."""
        version = getattr(self._cache, "version", None)
        return version if version is None or version != seen else None

    def _loop(self) -> None:
        last_analysis = time.monotonic()
        seen: int | None = -1
        last_check = 0.0
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
                moved = self._written_since(seen)
                if moved is not None or time.monotonic() - last_check >= IDLE_EVENTS_SECONDS:
                    seen = getattr(self._cache, "version", None)
                    self._run({"kind": "events"})
                    last_check = time.monotonic()
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
