"""The embedded store's connection: a scanned Arrow table is not kept alive, the
checkpoint threshold is the setting, and threads sharing a handle take turns without
deadlocking the engine.

LadybugDB 0.22's driver caches a prepared statement per scanned Python object and frees
it only when the connection closes; a stream's writer connection, open for days, kept
every batch it wrote (``graph.embedded.base._forget_scans``).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from graph.embedded import EmbeddedStore


def test_scanning_tables_does_not_grow_the_connection(tmp_path: Path) -> None:
    keys = pa.array([f"key-{i:08d}" * 4 for i in range(200_000)])  # ~8 MB a table
    with EmbeddedStore(tmp_path / "scan.lbdb") as store:
        def scan() -> None:
            table = pa.table({"k": keys.take(pa.array(range(len(keys))))})  # a new copy
            counted = store._arrow("LOAD FROM $scan RETURN count(*) AS n", {"scan": table})
            assert counted.column("n").to_pylist() == [len(keys)]

        scan()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(30):  # ~240 MB if each table were kept
            scan()
        grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 60, f"peak memory grew {grown_mib:.0f} MiB over 30 scans"


def test_the_checkpoint_threshold_is_the_setting(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.config import get_settings

    def threshold(store: EmbeddedStore) -> int:
        return int(store._rows("CALL current_setting('checkpoint_threshold') RETURN *")[0][
            "checkpoint_threshold"])

    monkeypatch.setenv("SCRM_CHECKPOINT_MB", "48")
    get_settings.cache_clear()
    try:
        with EmbeddedStore(tmp_path / "cp.lbdb") as store:
            assert threshold(store) == 48 << 20
            sibling = store.sibling()
            assert threshold(sibling) == 48 << 20
            sibling.close()
        monkeypatch.delenv("SCRM_CHECKPOINT_MB")
        get_settings.cache_clear()
        with EmbeddedStore(tmp_path / "cp.lbdb") as store:
            assert threshold(store) == 16 << 20
    finally:
        get_settings.cache_clear()


THREADS = textwrap.dedent("""
    import sys, threading, time
    from datetime import UTC, datetime, timedelta
    from graph.embedded import EmbeddedStore
    from graph.model import Post
    from graph.store import GraphBatch

    store = EmbeddedStore(sys.argv[1])
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    store.write_batch(GraphBatch(posts=[Post("twitter", str(i), "u", t0 + timedelta(
        seconds=i), "hi") for i in range(3000)]))
    writer = store.sibling()
    keys = [f"twitter:{i}" for i in range(3000)]
    stop = time.monotonic() + float(sys.argv[2])

    def scans():  # another handle's LOAD FROM $scan, as a stream's writes read
        while time.monotonic() < stop:
            assert len(writer._existing("Post", keys)) == 3000

    def counts():  # a statement without parameters on the shared handle
        while time.monotonic() < stop:
            store.post_count()

    def prepares():  # statements prepared afresh on the same handle
        n = 0
        while time.monotonic() < stop:
            n += 1
            store._rows(f"MATCH (p:Post) WHERE p.key = $k RETURN p.key AS k{n}",
                        {"k": keys[n % 3000]})

    threads = [threading.Thread(target=f, daemon=True) for f in (scans, counts, prepares)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("done", flush=True)
""")


@pytest.mark.slow
def test_threads_sharing_a_handle_beside_a_scan_never_hang(tmp_path: Path) -> None:
    """Two threads on one handle (a statement without parameters, statements prepared
    afresh) beside another handle's ``LOAD FROM $scan``: LadybugDB 0.22 deadlocked
    on the GIL within 30 s of this, for good (``graph.embedded.base._statement_lock``)."""
    root = Path(__file__).resolve().parents[2]
    try:
        run = subprocess.run([sys.executable, "-c", THREADS, str(tmp_path / "t.lbdb"), "15"],
                             cwd=root, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("the threads hung: a deadlock between the GIL and the engine")
    assert run.returncode == 0 and "done" in run.stdout, run.stderr[-2000:]
