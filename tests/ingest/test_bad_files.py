"""Faults and bad files (issue #15): over-long lines, files that are not text, cut-short
compressed files, the ledger's source, and ingests that load nothing."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import zstandard

from graph.embedded import EmbeddedStore
from ingest.errors import NothingLoadedError, SourceFormatError, TruncatedInputError
from ingest.pipeline import ingest_paths
from ingest.sources import get_source


def _page(tid: int, text: str = "hello") -> str:
    return json.dumps({"data": [{"id": str(tid), "author_id": "1", "text": text,
                                 "created_at": "2026-09-01T10:00:00.000Z"}],
                       "includes": {"users": [{"id": "1", "username": "ada"}]}})


def _comment(cid: str) -> str:
    return json.dumps({"id": cid, "body": "hi", "author": "bob", "parent_id": "t3_x",
                       "link_id": "t3_x", "created_utc": 1_700_000_000})


def _scrm(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCRM_DB": str(db)}
    env.pop("SCRM_NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "api.cli", *args], text=True,
                          capture_output=True, env=env, timeout=300)


def test_a_line_over_the_limit_is_rejected_without_being_held(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(_page(1) + "\n" + _page(2, "x" * (24 << 20)) + "\n" + _page(3) + "\n")
    tracemalloc.start()
    units = list(get_source("twitter").units(path, max_line_bytes=1 << 20))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20  # the 24 MB line was never read whole
    assert [u.line for u in units] == [1, 2, 3]
    (reject,) = units[1].records
    assert "SCRM_MAX_LINE_BYTES" in reject.reason and "25,165,9" in reject.reason
    assert len(reject.raw) < 2_000
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, rejects = ingest_paths(store, "twitter", [path], rejects_dir=tmp_path / "r",
                                        max_line_bytes=1 << 20)
        assert store.counts()["Post"] == 2
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (3, 2, 1)
    assert rejects.stat().st_size < 4_000


def test_the_line_limit_is_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(_page(1) + "\n" + _page(2, "y" * 5_000) + "\n", encoding="utf-8")
    env = {**os.environ, "SCRM_DB": str(tmp_path / "db.lbdb"), "SCRM_MAX_LINE_BYTES": "2000"}
    env.pop("SCRM_NEO4J_URI", None)
    proc = subprocess.run([sys.executable, "-m", "api.cli", "ingest", "twitter", str(path)],
                          text=True, capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rejects = list((tmp_path / "db.lbdb.rejects").glob("*.jsonl"))
    assert "the limit is 2,000" in rejects[0].read_text(encoding="utf-8")


def test_a_file_that_is_not_text_is_refused_up_front(tmp_path: Path) -> None:
    nuls = tmp_path / "zeros.jsonl"
    nuls.write_bytes(b"\0" * (8 << 20))
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        with pytest.raises(SourceFormatError, match="not a text file"):
            ingest_paths(store, "twitter", [nuls], rejects_dir=tmp_path / "r")
        assert store.counts()["Post"] == 0
    assert not list((tmp_path / "r").glob("*.jsonl"))  # no rejects file at all
    proc = _scrm("ingest", "reddit", str(nuls), db=tmp_path / "cli.lbdb")
    assert proc.returncode != 0
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert "not a text file" in proc.stderr and len(lines) <= 3, proc.stderr


def test_binary_lines_after_a_text_start_are_rejected_small(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes((_page(1) + "\n").encode() * 2_000 + b"\0" * 500_000 + b"\n"
                     + (_page(2) + "\n").encode())
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, rejects = ingest_paths(store, "twitter", [path], rejects_dir=tmp_path / "r")
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (2_002, 2_001, 1)
    assert "not text" in rejects.read_text(encoding="utf-8")
    assert rejects.stat().st_size < 2_000


def test_an_ingest_that_loads_nothing_from_a_file_exits_non_zero(tmp_path: Path) -> None:
    reddit = tmp_path / "comments.jsonl"
    reddit.write_text(_comment("c1") + "\n" + _comment("c2") + "\n", encoding="utf-8")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        with pytest.raises(NothingLoadedError, match="Reddit") as caught:
            ingest_paths(store, "twitter", [reddit], rejects_dir=tmp_path / "r")
    assert caught.value.reports[0].rejected == 2
    proc = _scrm("ingest", "twitter", str(reddit), db=tmp_path / "cli.lbdb")
    assert proc.returncode != 0 and "nothing loaded" in proc.stderr


def test_the_ledger_knows_the_source(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(_page(1) + "\n" + _comment("c1") + "\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        as_twitter, _ = ingest_paths(store, "twitter", [mixed], rejects_dir=tmp_path / "r")
        as_reddit, _ = ingest_paths(store, "reddit", [mixed], rejects_dir=tmp_path / "r")
        again, _ = ingest_paths(store, "twitter", [mixed], rejects_dir=tmp_path / "r")
        first_empty, _ = ingest_paths(store, "twitter", [empty], rejects_dir=tmp_path / "r")
        second_empty, _ = ingest_paths(store, "twitter", [empty], rejects_dir=tmp_path / "r")
        counts = store.counts()
    assert (as_twitter[0].loaded, as_twitter[0].skipped) == (1, False)
    assert (as_reddit[0].loaded, as_reddit[0].skipped) == (1, False)
    assert again[0].skipped
    assert not first_empty[0].skipped and not second_empty[0].skipped
    assert counts["Post"] == 2


def _compress(kind: str, data: bytes) -> bytes:
    return gzip.compress(data) if kind == "gz" else zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_a_cut_short_stream_names_the_break_keeps_what_was_read_and_a_rerun_completes(
        tmp_path: Path, kind: str) -> None:
    lines = "".join(_page(n, f"post number {n} " + "z" * (n % 97)) + "\n"
                    for n in range(1, 4001)).encode()
    packed = _compress(kind, lines)
    cut = tmp_path / f"cut.jsonl.{kind}"
    cut.write_bytes(packed[: len(packed) // 2])
    whole = tmp_path / f"whole.jsonl.{kind}"
    whole.write_bytes(packed)
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        with pytest.raises(TruncatedInputError) as caught:
            ingest_paths(store, "twitter", [cut], rejects_dir=tmp_path / "r", batch_size=500)
        message = str(caught.value)
        kept = store.counts()["Post"]
        again = pytest.raises(TruncatedInputError, ingest_paths, store, "twitter", [cut],
                              rejects_dir=tmp_path / "r", batch_size=500)
        reports, _ = ingest_paths(store, "twitter", [whole], rejects_dir=tmp_path / "r")
        total = store.counts()["Post"]
    assert str(cut) in message and "breaks after line" in message and "\n" not in message
    assert 0 < kept < 4000  # every line read before the break is committed
    assert again.value is not None  # a cut file is never recorded as ingested
    assert (reports[0].read, reports[0].loaded, reports[0].rejected) == (4000, 4000, 0)
    assert total == 4000


def test_a_compressed_file_without_its_suffix_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(gzip.compress((_page(1) + "\n").encode()))
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        reports, _ = ingest_paths(store, "twitter", [path], rejects_dir=tmp_path / "r")
    assert reports[0].loaded == 1


@pytest.mark.parametrize(("content", "needle"), [
    (b"customer_id,name\nC1,Jos\xe9\n", "is not UTF-8 text (line 4"),
    (b"\0" * (1 << 20), "not a text file"),
])
def test_a_csv_that_is_not_utf8_text_is_refused_before_any_row(
        tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"customer_id,name\nC0,Ann\n" + content if needle.startswith("is not U")
                     else content)
    with EmbeddedStore(tmp_path / "t.lbdb") as store:
        with pytest.raises(SourceFormatError, match=needle.replace("(", r"\(")) as caught:
            ingest_paths(store, "crm", [path], rejects_dir=tmp_path / "r")
        assert store.counts()["Customer"] == 0
    assert len(str(caught.value)) < 300
