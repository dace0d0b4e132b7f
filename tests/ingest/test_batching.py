"""Loading in batches: the next batch is read while this one is written, a failure on
either side stops the load with its own error, and a store that writes a large batch
alone reopens its database without losing anything."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import graph.embedded.writes as embedded
from graph.embedded import EmbeddedStore
from graph.model import Post, Reject
from graph.store import GraphBatch
from ingest.loader import RejectsWriter, Unit, load_units

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _post(i: int) -> Post:
    return Post(platform="twitter", post_id=str(i), author_handle=f"user{i % 7}",
                created_at=T0 + timedelta(minutes=i), text=f"post {i}")


def _units(n: int, *, bad_every: int = 0, fail_at: int = 0) -> Iterator[Unit]:
    for i in range(1, n + 1):
        if fail_at and i == fail_at:
            raise OSError("the disk went away")
        if bad_every and i % bad_every == 0:
            yield Unit(i, f"raw {i}", [Reject("f.jsonl", i, "malformed", f"raw {i}")])
        else:
            yield Unit(i, f"raw {i}", [_post(i)])


def _load(store: EmbeddedStore, tmp_path: Path, units: Iterator[Unit],
          seen: list[int] | None = None) -> tuple[int, int, int]:
    rejects = RejectsWriter(tmp_path / "rejects.jsonl")
    report = load_units(store, units, source="twitter", source_file="f.jsonl",
                        rejects=rejects, batch_size=10,
                        progress=(lambda r: seen.append(r.read)) if seen is not None else None)
    rejects.close()
    return report.read, report.loaded, report.rejected


def test_batches_read_ahead_keep_every_count(tmp_path: Path) -> None:
    seen: list[int] = []
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        assert _load(store, tmp_path, _units(95, bad_every=9), seen) == (95, 85, 10)
        assert store.counts()["Post"] == 85
    assert seen == sorted(seen) and seen[-1] == 95 and len(seen) == 9  # 85 posts, 10 a batch
    lines = (tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10


def test_a_reader_failure_reaches_the_caller_and_what_was_written_stays(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        with pytest.raises(OSError, match="disk went away"):
            _load(store, tmp_path, _units(100, fail_at=35))
        stored = store.counts()["Post"]
    assert 20 <= stored <= 30  # whole batches before the failure, nothing half-written


def test_a_store_failure_stops_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    consumed: list[int] = []

    def units() -> Iterator[Unit]:
        for u in _units(1000):
            consumed.append(u.line)
            yield u

    calls = 0
    real = EmbeddedStore.write_batch

    def failing(self: EmbeddedStore, batch: GraphBatch) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("store failed")
        return real(self, batch)

    monkeypatch.setattr(EmbeddedStore, "write_batch", failing)
    with EmbeddedStore(tmp_path / "db.lbdb") as store, pytest.raises(RuntimeError):
        _load(store, tmp_path, units())
    for t in threading.enumerate():
        if t.name == "scrm-ingest-reader":
            t.join(timeout=5)
    assert len(consumed) <= 40  # at most one batch read beyond the one that failed


def test_a_large_batch_reopens_a_database_used_alone(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "LARGE_BATCH", 5)
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        first = store._db  # noqa: SLF001 - the database object under test
        store.write_batch(GraphBatch(posts=[_post(i) for i in range(10)]))
        assert store._db is not first  # noqa: SLF001
        store.write_batch(GraphBatch(posts=[_post(i) for i in range(5, 20)]))
        assert store.counts()["Post"] == 20
        small = store._db  # noqa: SLF001
        store.write_batch(GraphBatch(posts=[_post(30)]))
        assert store._db is small  # noqa: SLF001 - a small batch keeps it open

        other = store.sibling()
        shared = store._db  # noqa: SLF001
        store.write_batch(GraphBatch(posts=[_post(i) for i in range(40, 50)]))
        assert store._db is shared  # noqa: SLF001 - the sibling still uses it
        assert other.counts()["Post"] == 31
        other.close()
