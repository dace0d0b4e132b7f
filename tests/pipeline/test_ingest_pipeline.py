"""Ingest through the real loader into the real embedded store."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from ingest.errors import IngestError, NothingLoadedError
from ingest.pipeline import ingest_paths


def _tweet_page(tweets: list[dict], users: list[dict]) -> str:
    return json.dumps({"data": tweets, "includes": {"users": users}, "meta": {}})


def _tweet(tid: str, author: str, text: str, when: str, *, reply_to: str | None = None,
           conv: str | None = None) -> dict:
    t = {"id": tid, "author_id": author, "text": text, "created_at": when,
         "conversation_id": conv or tid}
    if reply_to:
        t["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
    return t


USERS = [{"id": "1", "username": "Alice", "name": "Alice A",
          "public_metrics": {"followers_count": 10}},
         {"id": "2", "username": "bob", "name": "Bob B",
          "public_metrics": {"followers_count": 20}}]


def _ingest(store: EmbeddedStore, tmp_path: Path, source: str, *files: Path,
            force: bool = False):
    return ingest_paths(store, source, list(files), rejects_dir=tmp_path / "rejects",
                        force=force)


def test_reply_edge_arrives_whichever_file_comes_first(tmp_path: Path) -> None:
    parent = tmp_path / "parent.jsonl"
    child = tmp_path / "child.jsonl"
    parent.write_text(_tweet_page([_tweet("10", "1", "hello", "2026-09-01T10:00:00.000Z")],
                                  USERS) + "\n")
    child.write_text(_tweet_page([_tweet("11", "2", "@Alice hi", "2026-09-01T11:00:00.000Z",
                                         reply_to="10", conv="10")], USERS) + "\n")
    counts = []
    for order in ((parent, child), (child, parent)):
        db = tmp_path / f"{order[0].stem}.lbdb"
        with EmbeddedStore(db) as store:
            for f in order:
                _ingest(store, tmp_path, "twitter", f)
            counts.append(store.counts())
    assert counts[0] == counts[1]
    assert counts[0]["REPLY_TO"] == 1
    assert counts[0]["PendingEdge"] == 0


def test_reingest_changes_nothing(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text(_tweet_page([_tweet("10", "1", "hello @bob", "2026-09-01T10:00:00.000Z"),
                              _tweet("11", "2", "@Alice yes", "2026-09-01T11:00:00.000Z",
                                     reply_to="10", conv="10")], USERS) + "\n")
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        first, _ = _ingest(store, tmp_path, "twitter", f)
        before = store.counts()
        skipped, _ = _ingest(store, tmp_path, "twitter", f)
        forced, _ = _ingest(store, tmp_path, "twitter", f, force=True)
        assert store.counts() == before
    assert first[0].loaded == 1 and first[0].read == 1
    assert skipped[0].skipped
    assert forced[0].loaded == 1 and forced[0].created.get("posts", 0) == 0


def test_bad_lines_are_rejected_with_line_numbers_and_good_lines_load(tmp_path: Path) -> None:
    f = tmp_path / "mixed.jsonl"
    good = _tweet_page([_tweet("10", "1", "hello", "2026-09-01T10:00:00.000Z")], USERS)
    f.write_bytes(b"\n".join([
        good.encode(),
        b'{"data": [ {"id": ',  # malformed
        b"\xff\xfe not utf8",
        _tweet_page([_tweet("12", "2", "again", "2026-09-02T10:00:00.000Z")], USERS).encode(),
    ]) + b"\n")
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        reports, rejects = _ingest(store, tmp_path, "twitter", f)
        assert store.counts()["Post"] == 2
    r = reports[0]
    assert (r.read, r.loaded, r.rejected) == (4, 2, 2)
    lines = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [x["line"] for x in lines] == [2, 3]
    assert all(x["source_file"] == str(f) and x["reason"] for x in lines)
    assert "UTF-8" in lines[1]["reason"]


def test_conflicting_duplicate_id_is_rejected_not_overwritten(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    a.write_text(_tweet_page([_tweet("10", "1", "original", "2026-09-01T10:00:00.000Z")],
                             USERS) + "\n")
    b.write_text(_tweet_page([_tweet("10", "1", "tampered", "2026-09-01T10:00:00.000Z")],
                             USERS) + "\n")
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        _ingest(store, tmp_path, "twitter", a)
        # a file that loaded nothing is an error (the command exits non-zero)
        with pytest.raises(NothingLoadedError, match="nothing loaded") as caught:
            _ingest(store, tmp_path, "twitter", b)
        assert store.timeline(["twitter:alice"], first=5)[0].text == "original"
    reports, rejects = caught.value.reports, caught.value.rejects
    assert (reports[0].loaded, reports[0].rejected) == (0, 1)
    assert "conflicting content" in rejects.read_text()


def test_missing_path_is_an_error_before_anything_is_written(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        with pytest.raises(IngestError, match="no such file"):
            _ingest(store, tmp_path, "twitter", tmp_path / "nope.jsonl")
        with pytest.raises(IngestError, match="Unknown source"):
            _ingest(store, tmp_path, "myspace", tmp_path)
        assert store.counts()["Post"] == 0


def test_real_shared_files_load_with_zero_rejects(tmp_path: Path, shared_data: Path) -> None:
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        for source, folder in (("twitter", "twitter-v2"), ("twitter", "twitter-v1"),
                               ("reddit", "reddit")):
            reports, _ = _ingest(store, tmp_path, source, shared_data / folder)
            for r in reports:
                assert r.rejected == 0, r
                assert r.loaded == r.read
        counts = store.counts()
    assert counts["Post"] > 1000
    assert counts["REPLY_TO"] > 400  # the Reddit thread's replies are all there


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_conflict_reject_carries_its_line(tmp_path: Path, suffix: str) -> None:
    # Units of a plain file do not keep their text; the reject reads the line again.
    good = _tweet_page([_tweet("10", "1", "original", "2026-09-01T10:00:00.000Z")], USERS)
    other = _tweet_page([_tweet("11", "2", "unrelated", "2026-09-01T11:00:00.000Z")], USERS)
    bad = _tweet_page([_tweet("10", "1", "tampered", "2026-09-01T10:00:00.000Z")], USERS)
    first, second = tmp_path / "a.jsonl", tmp_path / f"b{suffix}"
    first.write_text(good + "\n")
    text = f"{other}\r\n\n{bad}\n"
    if suffix.endswith(".gz"):
        second.write_bytes(gzip.compress(text.encode()))
    else:
        second.write_text(text, newline="")
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        _ingest(store, tmp_path, "twitter", first)
        reports, rejects = _ingest(store, tmp_path, "twitter", second)
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (2, 1, 1)
    [entry] = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()]
    assert (entry["line"], entry["raw"]) == (3, bad)
    assert "conflicting content" in entry["reason"]
