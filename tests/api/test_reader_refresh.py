"""With read processes, the server's own background writes (a stream's batches every
0.12 s or so) are published to the readers at a bounded pace, while a client's own write is
published at once (api.readers.WriteGeneration, with real timers)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.jobs import JobRunner
from api.readers import WriteGeneration, WriterFollower, generation_file, read_generation
from graph.embedded import EmbeddedStore
from graph.model import Post
from graph.store import GraphBatch


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


def _follower(tmp_path: Path) -> tuple[WriteGeneration, WriterFollower, list[bool],
                                       asyncio.Event]:
    """A writer's generation and a reader's follower whose refresh records how it was
    asked and waits until the test lets it finish (an open that waits out a checkpoint)."""
    path = generation_file(tmp_path / "x.lbdb")
    generation = WriteGeneration(path, interval=0.0)
    calls: list[bool] = []
    release = asyncio.Event()

    async def refresh(touched: frozenset[str], background: bool) -> None:
        calls.append(background)
        await release.wait()

    return generation, WriterFollower(path, refresh), calls, release


def test_background_writes_never_hold_a_readers_request(tmp_path: Path) -> None:
    async def run() -> None:
        generation, follow, calls, release = _follower(tmp_path)
        generation.touched(frozenset({"content"}))
        generation.soon()  # a stream batch
        await asyncio.wait_for(follow(), 1)  # answered from the old snapshot
        assert calls == [True]  # the new one is being opened beside it
        generation.soon()
        await asyncio.wait_for(follow(), 1)  # still opening: no second refresh
        assert calls == [True]
        release.set()
        await follow.settle()
        await asyncio.wait_for(follow(), 1)  # the second batch: another background open
        await follow.settle()
        assert calls == [True, True]

    asyncio.run(run())


def test_a_clients_write_is_read_at_once_even_during_a_background_open(
        tmp_path: Path) -> None:
    async def run() -> None:
        generation, follow, calls, release = _follower(tmp_path)
        generation.soon()
        await follow()
        await asyncio.sleep(0.01)  # the background open starts
        assert calls == [True]
        generation.touched(frozenset({"care"}))
        generation.bump()  # a note, through another process
        waiting = asyncio.get_running_loop().create_task(follow())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # the client's next read waits for the open under way
        release.set()
        await asyncio.wait_for(waiting, 1)
        assert calls == [True, False]  # and then for one that sees the note

        generation.bump()
        await asyncio.wait_for(follow(), 1)
        assert calls == [True, False, False]
        await asyncio.wait_for(follow(), 1)  # nothing new: nothing opened
        assert calls == [True, False, False]

    asyncio.run(run())


def test_a_snapshot_opened_on_another_thread_is_swapped_in(tmp_path: Path) -> None:
    db = tmp_path / "swap.lbdb"
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with EmbeddedStore(db) as writer:
        writer.write_batch(GraphBatch(posts=[Post("twitter", "1", "ann", t0, "first")]))
        with EmbeddedStore(db, read_only=True) as reader:
            before = reader.counts()
            writer.write_batch(GraphBatch(posts=[
                Post("twitter", "2", "bob", t0 + timedelta(minutes=1), "second")]))
            with ThreadPoolExecutor(1) as pool:
                opened = pool.submit(reader.open_snapshot)
                assert reader.counts() == before  # the old snapshot answers meanwhile
                reader.adopt_snapshot(opened.result(timeout=60))
            after = reader.counts()
            assert after != before
            assert writer.counts() == after
