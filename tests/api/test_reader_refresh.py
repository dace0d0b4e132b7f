"""With read processes, the server's own background writes (a stream's batches every
0.25 s) are published to the readers at a bounded pace, while a client's own write is
published at once (api.readers.WriteGeneration, with real timers)."""

from __future__ import annotations

import time
from pathlib import Path

from api.jobs import JobRunner
from api.readers import WriteGeneration, generation_file, read_generation
from graph.embedded import EmbeddedStore


def _generation(path: Path) -> int:
    counts = read_generation(path)
    assert counts is not None
    return counts["n"]


def test_a_burst_of_background_writes_is_published_at_a_bounded_pace(tmp_path: Path) -> None:
    path = generation_file(tmp_path / "x.lbdb")
    generation = WriteGeneration(path, interval=0.4)
    started = time.monotonic()
    while time.monotonic() - started < 1.0:  # a stream committing every 20 ms for 1 s
        generation.soon()
        time.sleep(0.02)
    burst_end = time.monotonic()
    # the first at once, then at most one per 0.4 s: 3 within the second (0, 0.4, 0.8)
    # (fewer if a loaded machine runs the timers late)
    assert 1 <= _generation(path) <= 3
    # the last write waiting is published about one interval after the one before
    while generation._timer is not None and time.monotonic() - burst_end < 5:
        time.sleep(0.02)
    assert generation._timer is None
    assert 2 <= _generation(path) <= 4
    assert generation.published == _generation(path)
    settled = _generation(path)
    time.sleep(0.5)
    assert _generation(path) == settled  # nothing waiting, nothing published


def test_a_clients_write_is_published_at_once_and_carries_the_waiting_one(
        tmp_path: Path) -> None:
    path = generation_file(tmp_path / "x.lbdb")
    generation = WriteGeneration(path, interval=5.0)
    generation.soon()
    assert _generation(path) == 1  # the first background write: at once
    generation.touched(frozenset({"content"}))  # a stream batch's posts
    generation.soon()  # within the interval: waits
    assert _generation(path) == 1
    generation.touched(frozenset({"care"}))  # a note
    generation.bump()  # a mutation: at once, and it carries the waiting write
    assert _generation(path) == 2
    counts = read_generation(path)
    assert counts is not None and counts.get("content") == 1 and counts.get("care") == 1
    time.sleep(0.2)
    generation.close()  # nothing waits any more
    assert _generation(path) == 2
    generation.soon()
    generation.close()  # a waiting write is published when the server stops
    assert _generation(path) == 3


def test_the_job_runner_publishes_background_jobs_through_their_own_hook(
        tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "jobs.lbdb")
    seen: list[str] = []
    runner = JobRunner(store, on_change=lambda *a: seen.append("client"),
                       on_background_change=lambda *a: seen.append("background"))
    runner.handlers["noop"] = lambda store, payload, report: {"changed": True}
    try:
        for job in (runner.submit({"kind": "noop"}),
                    runner.submit({"kind": "noop"}, background=True)):
            deadline = time.monotonic() + 30
            while job.status in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.02)
            assert job.status == "completed", job.error
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen == ["client", "background"]
    finally:
        store.close()
