"""The writer's background loop: a due monitor's round, a warm-started analysis when posts
arrived and it is time, an events check; all as jobs on the one job thread."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from api.jobs import JobRunner
from api.live import LiveWork
from graph.config import Settings
from graph.embedded import EmbeddedStore
from ingest.connectors.state import MonitorFile


def test_the_loop_runs_rounds_analyses_and_checks_as_jobs(tmp_path: Path) -> None:
    db = tmp_path / "live.lbdb"
    store = EmbeddedStore(db)
    MonitorFile.beside(db).add("rss", {}, "https://example.com/feed", 60.0)
    settings = Settings(db=db, events_seconds=0.5, analyze_every_seconds=0.1)
    jobs = JobRunner(store)
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(kind: str, result: dict[str, Any]) -> Any:
        def handler(s: Any, payload: dict[str, Any], report: Any) -> dict[str, Any]:
            seen.append((kind, payload))
            return result
        return handler

    jobs.handlers["monitor"] = record("monitor", {"changed": True})
    jobs.handlers["analyze"] = record("analyze", {"changed": True})
    app = SimpleNamespace(state=SimpleNamespace(jobs=jobs))
    live = LiveWork(app, store, settings).start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (
                any(k == "analyze" for k, _ in seen) and jobs_done(jobs, "events")):
            time.sleep(0.1)
        kinds = [k for k, _ in seen]
        assert kinds[:2] == ["monitor", "analyze"]
        assert seen[0][1] == {"kind": "monitor", "due_only": True}
        assert seen[1][1] == {"kind": "analyze", "params": {"warm_start": True}}
        assert app.state.events is live.bus
    finally:
        live.stop()
        live.stop()  # twice: the server's signal handler and its finally both stop it
        store.close()
    # the events check ran on the real store: its first check only learned what is there
    reopened = EmbeddedStore(db)
    assert reopened.event_states("care_item") == set()
    reopened.close()


def jobs_done(jobs: JobRunner, kind: str) -> bool:
    return any(j.payload.get("kind") == kind and j.status == "completed"
               for j in list(jobs._jobs.values()))  # noqa: SLF001 - what ran, for the test


def test_the_events_check_compares_only_what_a_write_may_have_changed(tmp_path: Path) -> None:
    """Idle: no check at all (the alerts again only every SCRM_EVENTS_IDLE_SECONDS); a care
    note: the queue and the replies; new content: the alerts too."""
    from api.auth import CARE
    from api.cache import ReadCache

    db = tmp_path / "idle.lbdb"
    store = EmbeddedStore(db)
    settings = Settings(db=db, events_seconds=0.5, events_idle_seconds=900,
                        events_alert_seconds=0, monitor_in_serve=False)
    cache = ReadCache()
    app = SimpleNamespace(state=SimpleNamespace(jobs=JobRunner(store), read_cache=cache))
    live = LiveWork(app, store, settings).start()
    everything = ["care_item", "alert", "delivery"]
    try:
        wait_for(lambda: len(live.checks) >= 1)
        assert live.checks == [everything]  # the first check learns what is there
        time.sleep(2.0)  # four rounds of the loop with nothing written
        assert live.checks == [everything]
        cache.clear(frozenset({CARE}))  # a note, an assignment, a resolution
        wait_for(lambda: len(live.checks) >= 2)
        assert live.checks[1] == ["care_item", "delivery"]
        cache.clear()  # new posts, a run, settings: anything
        wait_for(lambda: len(live.checks) >= 3)
        assert live.checks[2] == everything
        # idle for longer than SCRM_EVENTS_IDLE_SECONDS: the alerts alone
        seen = live._versions()  # noqa: SLF001 - the loop's decision, for the test
        assert live._parts_due(seen, time.monotonic()) == []  # noqa: SLF001
        assert live._parts_due(seen, time.monotonic() - 901) == ["alert"]  # noqa: SLF001
        live.settings = Settings(db=db, events_idle_seconds=0)  # 0: never when idle
        assert live._parts_due(seen, time.monotonic() - 10**6) == []  # noqa: SLF001
        # new content: the alerts at most every SCRM_EVENTS_ALERT_SECONDS (60), the
        # queue at once; the content stays owed to the alerts until they run
        live.settings = Settings(db=db, events_idle_seconds=900)
        cache.clear()
        assert live._parts_due(seen, time.monotonic() - 30) == [  # noqa: SLF001
            "care_item", "delivery"]
        assert live._parts_due(seen, time.monotonic() - 61) == everything  # noqa: SLF001
    finally:
        live.stop()
        store.close()


def test_a_check_of_some_parts_reads_and_moves_on_only_those(tmp_path: Path) -> None:
    from api.events import EventWatcher

    read: list[str] = []

    def queue(store: Any) -> list[Any]:
        read.append("care_item")
        return []

    def alerts(store: Any, now: Any) -> list[Any]:
        read.append("alert")
        return []

    def deliveries(store: Any) -> list[Any]:
        read.append("delivery")
        return []

    store = EmbeddedStore(tmp_path / "parts.lbdb")
    try:
        watcher = EventWatcher(queue, alerts, deliveries)
        assert watcher.check(store, parts=["alert"]) == []
        assert read == ["alert"]
        assert store.event_states("alert") == set()  # learned (empty), not unknown
        assert store.event_states("care_item") is None  # not compared yet
        watcher.check(store)
        assert read == ["alert", "care_item", "alert", "delivery"]
    finally:
        store.close()


def wait_for(done: Any, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done(), "not within a minute"


def test_an_events_check_leaves_the_checkpoint_to_the_streams_while_they_flow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While streams are followed, the events job's commit defers the checkpoint to the
    next stream batch (a checkpoint there, up to a second, held the stream's next batch
    up); with no stream, its commits checkpoint as any other's."""
    import threading
    from collections.abc import Iterator
    from contextlib import contextmanager

    db = tmp_path / "defer.lbdb"
    store = EmbeddedStore(db)
    # the loop's first round is 600 s away: the jobs here are run by hand
    settings = Settings(db=db, events_seconds=600, monitor_in_serve=False)
    jobs = JobRunner(store)
    app = SimpleNamespace(state=SimpleNamespace(jobs=jobs))
    live = LiveWork(app, store, settings).start()
    deferred: list[str] = []
    real = EmbeddedStore.deferring_checkpoint

    @contextmanager
    def noting(self: EmbeddedStore) -> Iterator[None]:
        with real(self):
            deferred.append(threading.current_thread().name)
            yield

    monkeypatch.setattr(EmbeddedStore, "deferring_checkpoint", noting)
    stop = threading.Event()
    try:
        assert jobs.run({"kind": "events", "parts": ["care_item"]}, stop).status == "completed"
        assert deferred == []  # no stream: nothing to leave it to
        monkeypatch.setattr(live.streams, "flowing", lambda: True)
        assert jobs.run({"kind": "events", "parts": ["care_item"]}, stop).status == "completed"
        assert deferred == ["scrm-jobs"]
    finally:
        live.stop()
        jobs.stop()
        store.close()
