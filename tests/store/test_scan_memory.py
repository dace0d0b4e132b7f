"""A scanned Arrow table is not kept alive by the embedded store's connection.

LadybugDB 0.22's driver caches a prepared statement per scanned Python object and frees
it only when the connection closes; a stream's writer connection, open for days, kept
every batch it wrote (``graph.embedded.base._forget_scans``).
"""

from __future__ import annotations

import resource
from pathlib import Path

import pyarrow as pa

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
