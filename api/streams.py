"""The writer's streaming monitors (:mod:`ingest.connectors.streaming`), wired into a
server's job runner: ``stream`` jobs write what the streams read, and the ``monitor``
round leaves the streamed monitors to them. :class:`api.live.LiveWork` starts and stops
it with the rest of the live work (``SCRM_MONITOR_IN_SERVE``)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from graph.config import Settings, get_settings
from ingest.connectors.state import MonitorFile
from ingest.connectors.streaming import StreamFollower

__all__ = ["ServeStreams"]

log = logging.getLogger(__name__)


class ServeStreams:
    """Streaming monitors followed by the writer ``jobs`` runs for (see the module).

    Args:
        jobs: The server's :class:`api.jobs.JobRunner`.
        settings: The server's settings (the database; whether monitors run in serve).
    """

    def __init__(self, jobs: Any, settings: Settings) -> None:
        self.enabled = settings.monitor_in_serve
        self.jobs = jobs
        self._stopping = threading.Event()
        self.follower = StreamFollower(
            MonitorFile.beside(settings.db), self._submit,
            settings=lambda: get_settings().model_dump(),
            rejects_dir=lambda: get_settings().resolved_rejects_dir(),
            prepare=self._prepare, writing=self._writing, first=self._first,
            committed=jobs.committed)
        self._db = str(settings.db)
        self._scorer: Any = None
        self._scorer_lock = threading.Lock()
        self._scoring_process = settings.scoring_process
        if self.enabled:
            jobs.handlers["stream"] = lambda store, payload, report: self.follower.flush(
                store, report)
            jobs.handlers.setdefault("monitor", self._monitor_round)

    def _scoring(self) -> Any:
        """The scorer of sentiment on arrival (made on first use; in a process of its
        own with ``SCRM_SCORING_PROCESS``)."""
        with self._scorer_lock:
            if self._scorer is None:
                from analytics.arrivals import ArrivalSentiment, scoring_process

                self._scorer = ArrivalSentiment(
                    self._db, scoring_process() if self._scoring_process else None)
            return self._scorer

    def _prepare(self, units: Any) -> None:
        """Sentiment on arrival, as the monitor rounds score."""
        self._scoring()(units)

    def _warm(self) -> None:
        """Load the scorer (and its process's model) before the first streamed batch,
        which would otherwise wait for it (a second or more)."""
        from analytics.arrivals import score_texts

        try:
            scorer = self._scoring()
            if scorer.pool is not None:
                scorer.pool.submit(score_texts, self._db, ["warming up"]).result()
        except Exception as exc:  # noqa: BLE001 - the first batch loads it instead
            log.warning("streams: could not load the sentiment scorer ahead (%s)", exc)

    @staticmethod
    def _writing(store: Any) -> Any:
        """Each stream batch tells the server's kept care queue what it wrote, which
        then brings itself up to date from the batch alone (``CareQueueIndex.writing``)."""
        from api.carequeue import care_index

        return care_index(store).writing()

    @staticmethod
    def _first(store: Any) -> Any:
        """The posts the server's kept care queue waits for, which each stream batch
        writes first (``CareQueueIndex.waits_on_arrival``)."""
        from api.carequeue import care_index

        return care_index(store).waits_on_arrival()

    def _monitor_round(self, store: Any, payload: dict[str, Any], report: Any
                       ) -> dict[str, Any]:
        from api.jobs import run_monitor_round

        return run_monitor_round(store, int(payload.get("max_pages") or 5), report,
                                 due_only=bool(payload.get("due_only")),
                                 skip=self.follower.followed())

    def _submit(self, payload: dict[str, Any]) -> Any:
        """Run a job on the writer's job thread and wait for it (one at a time)."""
        return self.jobs.run(payload, self._stopping)

    def flowing(self) -> bool:
        """Whether streams are followed here: their batches, every second or so, will
        checkpoint what other jobs' commits leave (``GraphStore.deferring_checkpoint``)."""
        return self.enabled and bool(self.follower.streams)

    def start(self) -> ServeStreams:
        if self.enabled:
            self.follower.start()
            if self.follower.followed():
                threading.Thread(target=self._warm, name="scrm-streams-warm",
                                 daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self.enabled:
            self.follower.stop()
        pool = getattr(self._scorer, "pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
