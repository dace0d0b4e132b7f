"""The writer's background loop: a due monitor's round, a warm-started analysis when posts
arrived and it is time, an events check; all as jobs on the one job thread."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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
