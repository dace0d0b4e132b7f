"""Small batches are written through the log: committed (and synced) without the
checkpoint a COPY forces, and still there after the process is killed; large ones are
COPYed. Writes declare themselves: the family's write lock is held for them only."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.model import Post
from graph.schema import EMBEDDED_SCHEMA, REL_ENDS, REL_TYPES
from graph.store import GraphBatch

WRITER = textwrap.dedent("""
    import os, signal, sys
    from datetime import UTC, datetime, timedelta
    from graph.embedded import EmbeddedStore
    from graph.model import Post
    from graph.store import GraphBatch

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    store = EmbeddedStore(sys.argv[1])
    store._write("CALL auto_checkpoint=false")  # a COPY's rows would then never be saved
    for b in range(3):
        store.write_batch(GraphBatch(posts=[
            Post("twitter", str(i), f"u{i % 50}", t0 + timedelta(seconds=i), f"hi {i}",
                 parent_id=str(i - 1) if i % 3 else None, mentions=("brand",),
                 sentiment=-0.5)
            for i in range(b * 500, b * 500 + 500)]))
    print(os.path.getsize(sys.argv[1] + ".wal"), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_small_batch_survives_a_kill_without_a_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "db.lbdb"
    EmbeddedStore(db).close()
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-c", WRITER, str(db)], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == -9, run.stderr
    assert int(run.stdout.split()[-1]) > 0  # the rows went to the log
    with EmbeddedStore(db) as store:
        counts = store.counts()
        frame = store.post_frame(None, None)
        replies = store._rows("MATCH ()-[r:REPLY_TO]->() RETURN count(*) AS n")[0]["n"]
        mentions = store._rows("MATCH ()-[r:MENTIONS]->() RETURN count(*) AS n")[0]["n"]
    assert counts["Post"] == 1500 and counts["Account"] == 51
    assert int(frame["sentiment"].isna().sum()) == 0
    assert replies == 1000 and mentions == 1500


def test_relationship_ends_are_the_ddls() -> None:
    declared = {}
    for statement in EMBEDDED_SCHEMA:
        found = re.search(r"REL TABLE IF NOT EXISTS (\w+)\(\s*FROM (\w+) TO (\w+)", statement)
        if found:
            declared[found.group(1)] = (found.group(2), found.group(3))
    assert declared == REL_ENDS and set(REL_ENDS) == set(REL_TYPES)


def test_reads_do_not_take_the_write_lock(embedded_store: EmbeddedStore) -> None:
    lock = embedded_store._family.write_lock
    held = threading.Event()
    release = threading.Event()

    def writer() -> None:
        with embedded_store._writing():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(10)
        # another thread reads while a write is declared: not held up by it
        assert embedded_store.sibling().counts()["Post"] == 0
        assert not lock.acquire(blocking=False)  # held by the writer thread
    finally:
        release.set()
        thread.join()


def _wal(db: Path) -> int:
    wal = Path(f"{db}.wal")
    return wal.stat().st_size if wal.exists() else 0


def _threshold(store: EmbeddedStore) -> int:
    return int(store._rows("CALL current_setting('checkpoint_threshold') RETURN *")[0][
        "checkpoint_threshold"])


def test_commits_inside_deferring_checkpoint_leave_it_to_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit that takes the log past ``SCRM_CHECKPOINT_MB`` checkpoints, except
    inside ``deferring_checkpoint`` (a stream's posts the care queue waits for): then
    the first commit after it does. The threshold comes back even when the block
    fails."""
    from graph.config import get_settings

    monkeypatch.setenv("SCRM_CHECKPOINT_MB", "1")
    get_settings.cache_clear()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    made = iter(range(10**6))

    def batch(n: int) -> GraphBatch:  # ~1.5 KB of log a post
        return GraphBatch(posts=[Post("twitter", str(i := next(made)), f"u{i % 50}",
                                      t0 + timedelta(seconds=i), f"{i} " + "x" * 1500)
                                 for _ in range(n)])

    db = tmp_path / "db.lbdb"
    try:
        with EmbeddedStore(db) as store:
            assert _threshold(store) == 1 << 20
            store.write_batch(batch(1000))  # past 1 MB: this commit checkpointed
            assert _wal(db) < 1 << 20
            with store.deferring_checkpoint():
                store.write_batch(batch(1000))
                store.write_batch(batch(1000))
                assert _wal(db) > 2 << 20  # both commits left the log as it was
            assert _threshold(store) == 1 << 20
            store.write_batch(batch(1))  # the first commit after it checkpoints
            assert _wal(db) < 1 << 20
            with pytest.raises(ZeroDivisionError), store.deferring_checkpoint():
                store.write_batch(batch(1000))
                raise ZeroDivisionError
            assert _threshold(store) == 1 << 20
            assert store.counts()["Post"] == 4001
    finally:
        get_settings.cache_clear()
