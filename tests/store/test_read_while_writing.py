"""Read-only opens while another process writes: 'scrm top', 'scrm info' and the like run
beside a server that is ingesting. A read-only open that meets the writer's checkpoint waits
for it instead of failing; each handle reads one consistent snapshot."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore

WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from graph.embedded import EmbeddedStore
    from graph.model import Post
    from graph.store import GraphBatch

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with EmbeddedStore(sys.argv[1]) as store:
        print("open", flush=True)
        for i in range(0, 10**9, 5000):
            store.write_batch(GraphBatch(posts=[
                Post("twitter", str(i + j), f"u{(i + j) % 500}", t0 + timedelta(seconds=i + j),
                     f"text {i + j}", mentions=(f"u{(i + 7 * j) % 500}",))
                for j in range(5000)]))  # a COPY: every commit checkpoints
            if i >= 5000 * 400:
                break
""")


def test_read_only_opens_wait_out_a_writers_checkpoints(tmp_path: Path) -> None:
    db = tmp_path / "db.lbdb"
    EmbeddedStore(db).close()
    root = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=root,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "open"
        seen: list[int] = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and writer.poll() is None:
            with EmbeddedStore(db, read_only=True) as reader:  # never a lock error
                before = reader.counts()
                posts = reader._rows(  # noqa: SLF001 - a full scan of the snapshot
                    "MATCH (a:Account)-[:POSTED]->(p:Post) RETURN count(*) AS n")[0]["n"]
                assert posts == before.get("Post", 0) == reader.counts().get("Post", 0)
                seen.append(posts)
        assert writer.poll() is None, "the writer ended before the readers were done"
    finally:
        writer.kill()
        writer.wait()
    assert len(seen) >= 5
    assert seen == sorted(seen) and seen[-1] > seen[0]  # later opens see later commits


def test_a_database_killed_before_its_tables_reads_as_empty(tmp_path: Path) -> None:
    import ladybug

    ladybug.Database(str(tmp_path / "db.lbdb")).close()  # created, then the writer died
    with EmbeddedStore(tmp_path / "db.lbdb", read_only=True) as reader:
        counts = reader.counts()
    assert counts["Post"] == 0 and set(counts.values()) == {0}


@pytest.mark.xfail(strict=True, reason="LadybugDB 0.22 loses SET updates (post sentiment) "
                   "committed while another connection of the same database reads; found by "
                   "bench/stream_bench.py. Until it is fixed, readers and writers of one "
                   "process must not overlap (or sentiment be written with the posts)")
def test_sentiment_written_while_a_sibling_reads_is_kept(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    import threading
    from datetime import UTC, datetime, timedelta

    from graph.embedded import EmbeddedStore, writes
    from graph.model import Post
    from graph.store import GraphBatch

    # the posts COPYed, as every batch was when this was found: it loses updates at every
    # run. Small batches are now logged instead (CREATE); the update was lost there too,
    # though not at every run (1 of 2 on 2026-12-01), so the race is the engine's
    monkeypatch.setattr(writes, "LOGGED_BATCH", 0)
    store = EmbeddedStore(tmp_path / "race.lbdb")
    done = threading.Event()

    def read() -> None:
        reader = store.sibling()
        while not done.is_set():
            reader.counts()
        reader.close()

    thread = threading.Thread(target=read)
    thread.start()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        for b in range(0, 20_000, 2_000):
            posts = [Post("twitter", str(i), f"u{i % 500}", t0 + timedelta(seconds=i),
                          f"hi {i}") for i in range(b, b + 2_000)]
            store.write_batch(GraphBatch(posts=posts))
            store.write_post_sentiment([p.key for p in posts], [-0.5] * len(posts), "test")
    finally:
        done.set()
        thread.join()
    frame = store.post_frame(None, None)
    store.close()
    assert len(frame) == 20_000
    assert int(frame["sentiment"].isna().sum()) == 0
