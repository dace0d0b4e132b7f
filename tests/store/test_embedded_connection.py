"""The embedded store's connection: a scanned Arrow table is not kept alive, and the
checkpoint threshold is the setting.

LadybugDB 0.22's driver caches a prepared statement per scanned Python object and frees
it only when the connection closes; a stream's writer connection, open for days, kept
every batch it wrote (``graph.embedded.base._forget_scans``).
"""

from __future__ import annotations

import resource
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
