"""The job runner understands new posts by itself after writes, debounced."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from api.jobs import JobRunner, loaded_posts
from graph.embedded import EmbeddedStore


def _runner(tmp_path: Path, after: float, factor: float | None = None
            ) -> tuple[JobRunner, list[str], EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "jobs.lbdb")
    jobs = JobRunner(store, understand_after=after, understand_limit=100)
    if factor is not None:
        jobs.STREAM_FACTOR = factor
    ran: list[str] = []

    def ingest(s: Any, payload: dict[str, Any], report: Any) -> dict[str, Any]:
        time.sleep(float(payload.get("sleep", 0)))
        ran.append("ingest")
        return {"files": [{"created": {"posts": payload.get("posts", 1)}}]}

    def understand(s: Any, payload: dict[str, Any], report: Any) -> dict[str, Any]:
        assert payload["limit"] == 100
        ran.append("understand")
        return {"understood": 1, "more": False, "changed": True}

    jobs.handlers["ingest"] = ingest
    jobs.handlers["understand"] = understand
    return jobs, ran, store


def _wait(jobs: JobRunner, until: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        time.sleep(0.05)


def test_a_burst_of_ingests_is_understood_once_after_it(tmp_path: Path) -> None:
    jobs, ran, store = _runner(tmp_path, after=3.0)
    gate = threading.Event()
    jobs.handlers["hold"] = lambda s, payload, report: {"held": gate.wait(30)}
    try:
        jobs.submit({"kind": "hold"})  # the burst queues up behind it, then runs back to back
        submitted = [jobs.submit({"kind": "ingest"}) for _ in range(20)]
        gate.set()
        _wait(jobs, lambda: "understand" in ran)
        assert ran == ["ingest"] * 20 + ["understand"]
        assert all(j.status == "completed" for j in submitted)
        assert jobs._understand_due() is None  # noqa: SLF001 - nothing waits any more
        # an ingest that created no posts schedules nothing
        jobs.submit({"kind": "ingest", "posts": 0})
        after = jobs.submit({"kind": "hold"})  # done only once the ingest's follow-up was
        _wait(jobs, lambda: after.status == "completed")
        assert after.status == "completed" and jobs._understand_due() is None  # noqa: SLF001
        assert ran.count("understand") == 1
    finally:
        store.close()


def test_a_busy_stream_is_understood_every_so_often(tmp_path: Path) -> None:
    jobs, ran, store = _runner(tmp_path, after=0.2, factor=2.0)
    try:
        for _ in range(40):
            jobs.submit({"kind": "ingest", "sleep": 0.05})
        _wait(jobs, lambda: ran.count("ingest") == 40 and ran[-1] == "understand")
        assert ran.count("ingest") == 40
        last_ingest = len(ran) - 1 - ran[::-1].index("ingest")
        assert "understand" in ran[:last_ingest]  # not only when the stream stopped
        assert ran.count("understand") < 20  # nor after every batch
    finally:
        store.close()


def test_which_jobs_wrote_posts() -> None:
    assert loaded_posts({"kind": "ingest"}, {"files": [{"created": {"posts": 2}}]})
    assert not loaded_posts({"kind": "ingest"}, {"files": [{"created": {}}]})
    assert loaded_posts({"kind": "monitor"}, {"changed": True})
    assert not loaded_posts({"kind": "monitor"}, {"changed": False})
    assert not loaded_posts({"kind": "analyze"}, {"run_id": "r"})
    assert not loaded_posts({"kind": "ingest"}, None)


def test_stopping_lets_the_running_job_end_and_starts_no_other(tmp_path: Path) -> None:
    """The server stops its runner before it closes the store: the job under way ends
    on an open store, the queued ones never start."""
    jobs, ran, store = _runner(tmp_path, after=0)
    running = jobs.submit({"kind": "ingest", "sleep": 0.5})
    queued = jobs.submit({"kind": "ingest"})
    _wait(jobs, lambda: running.status == "running")
    assert jobs.stop(timeout=10)
    assert running.status == "completed" and ran == ["ingest"]
    assert queued.status == "queued"
    late = jobs.submit({"kind": "ingest"})
    time.sleep(0.2)
    assert late.status == "queued" and ran == ["ingest"]
    store.close()


def test_finished_jobs_are_kept_only_so_many(tmp_path: Path) -> None:
    """The server's own jobs (a stream's batches, events checks) come several a second:
    only the latest finished ones are kept, and a client's job is kept longer."""
    jobs, ran, store = _runner(tmp_path, after=0)
    jobs.KEPT_FINISHED_BACKGROUND = 5
    try:
        mine = jobs.submit({"kind": "ingest"})
        for _ in range(20):
            jobs.submit({"kind": "ingest"}, background=True)
        last = jobs.submit({"kind": "ingest"}, background=True)
        assert last.done.wait(30)
        assert len(ran) == 22
        kept = [j for j in jobs._jobs.values() if j.background]  # noqa: SLF001
        assert len(kept) == 5 and kept[-1] is last  # the latest ones
        assert jobs.get(mine.id) is mine and mine.status == "completed"
    finally:
        jobs.stop()
        store.close()
