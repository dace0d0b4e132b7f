"""A corpus of broken files: every bad record is rejected with its reason, nothing is lost,
and for every file loaded + rejected = read. Plus standard input and --watch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from ingest.errors import IngestError
from ingest.loader import MAX_TEXT_CHARS
from ingest.pipeline import ingest_paths


def _page(tid: str, text: str = "hello", author: str = "1") -> str:
    return json.dumps({"data": [{"id": tid, "author_id": author, "text": text,
                                 "created_at": "2026-09-01T10:00:00.000Z"}],
                       "includes": {"users": [{"id": author, "username": f"user{author}"}]}})


CORPUS = {
    "malformed.jsonl": [_page("1"), '{"data": [', _page("2")],
    "wrong_types.jsonl": [_page("3"), json.dumps({"data": [{"id": "4", "author_id": "1",
                                                             "text": 5, "created_at": "x"}]})],
    "missing_fields.jsonl": [json.dumps({"data": [{"text": "no id", "author_id": "1",
                                                   "created_at": "2026-09-01T10:00:00Z"}]}),
                             _page("5")],
    "oversize.jsonl": [_page("6", "x" * (MAX_TEXT_CHARS + 1)), _page("7")],
    "wrong_format.jsonl": [json.dumps({"body": "a reddit comment", "subreddit": "x",
                                       "parent_id": "t3_a", "id": "c"}), _page("8")],
    "conflicts.jsonl": [_page("9", "original"), _page("9", "changed")],
}


def _write_corpus(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    paths = {}
    for name, lines in CORPUS.items():
        paths[name] = folder / name
        paths[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad_utf8 = folder / "bad_utf8.jsonl"
    bad_utf8.write_bytes(_page("10").encode() + b"\n" + b'{"data": "\xff\xfe"}\n')
    paths["bad_utf8.jsonl"] = bad_utf8
    truncated = folder / "truncated.jsonl"
    truncated.write_text(_page("11") + "\n" + _page("12")[:40], encoding="utf-8")
    paths["truncated.jsonl"] = truncated
    empty = folder / "empty.jsonl"
    empty.write_text("")
    paths["empty.jsonl"] = empty
    return paths


EXPECTED = {  # file: (read, loaded, rejected)
    "malformed.jsonl": (3, 2, 1), "wrong_types.jsonl": (2, 1, 1),
    "missing_fields.jsonl": (2, 1, 1), "oversize.jsonl": (2, 1, 1),
    "wrong_format.jsonl": (2, 1, 1), "conflicts.jsonl": (2, 1, 1),
    "bad_utf8.jsonl": (2, 1, 1), "truncated.jsonl": (2, 1, 1), "empty.jsonl": (0, 0, 0),
}


def test_broken_corpus_accounting(tmp_path: Path) -> None:
    paths = _write_corpus(tmp_path / "corpus")
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        reports, rejects = ingest_paths(store, "twitter", [tmp_path / "corpus"],
                                        rejects_dir=tmp_path / "rejects", batch_size=1)
        posts = store.counts()["Post"]
    by_file = {Path(r.source_file).name: r for r in reports}
    assert set(by_file) == set(EXPECTED)
    for name, (read, loaded, rejected) in EXPECTED.items():
        r = by_file[name]
        assert (r.read, r.loaded, r.rejected) == (read, loaded, rejected), name
        assert r.loaded + r.rejected == r.read
    lines = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == sum(e[2] for e in EXPECTED.values())
    for entry in lines:
        assert entry["source_file"] in {str(p) for p in paths.values()}
        assert entry["line"] >= 1 and entry["reason"] and entry["raw"]
    reasons = " | ".join(x["reason"] for x in lines)
    for needle in ("malformed JSON", "UTF-8", "missing required field 'id'", "Reddit",
                   "conflicting content", "characters"):
        assert needle in reasons
    assert posts == 9  # the good tweets: 1, 2, 3, 5, 7, 8, 9 (original), 10, 11


def test_unknown_source_and_unreadable_path_write_nothing(tmp_path: Path) -> None:
    locked = tmp_path / "locked.jsonl"
    locked.write_text(_page("1") + "\n")
    locked.chmod(0)
    with EmbeddedStore(tmp_path / "db.lbdb") as store:
        if os.geteuid() != 0:  # root reads anything
            with pytest.raises(IngestError, match="permission denied"):
                ingest_paths(store, "twitter", [locked], rejects_dir=tmp_path)
        with pytest.raises(IngestError, match="no such file"):
            ingest_paths(store, "twitter", [tmp_path / "a.jsonl", locked],
                         rejects_dir=tmp_path)
        assert store.counts()["Post"] == 0


def _scrm(*args: str, db: Path, stdin: str | None = None, timeout: float = 300
          ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCRM_DB": str(db)}
    env.pop("SCRM_NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "api.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=timeout)


def test_standard_input(tmp_path: Path) -> None:
    db = tmp_path / "db.lbdb"
    proc = _scrm("ingest", "twitter", "-", db=db, stdin=_page("1") + "\n{bad\n" + _page("2"))
    assert proc.returncode == 0, proc.stderr
    assert "<stdin>" in proc.stdout
    with EmbeddedStore(db, read_only=True) as store:
        assert store.counts()["Post"] == 2


def test_unknown_source_is_a_clear_cli_error(tmp_path: Path) -> None:
    proc = _scrm("ingest", "twitter", str(tmp_path / "missing.jsonl"), db=tmp_path / "db")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    assert not (tmp_path / "db").exists()


def test_watch_ingests_each_new_file_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.jsonl").write_text(_page("1") + "\n")
    db = tmp_path / "db.lbdb"
    env = {**os.environ, "SCRM_DB": str(db)}
    env.pop("SCRM_NEO4J_URI", None)
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "ingest", "twitter", "--watch",
                             str(inbox), "--watch-seconds", "12"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # wait for a.jsonl's summary: start-up time varies
        lines.append(line)
        if "Ingest summary" in line:
            break
    (inbox / "b.jsonl").write_text(_page("2") + "\n" + _page("3") + "\n")
    (inbox / "c.jsonl").write_text((inbox / "a.jsonl").read_text())  # same bytes as a
    rest, _ = proc.communicate(timeout=60)
    out = "".join(lines) + rest
    assert proc.returncode == 0, out
    assert out.count("Ingest summary") == 2  # a.jsonl, then b.jsonl + c.jsonl
    assert "already ingested" in out  # c.jsonl has a.jsonl's bytes: the ledger skips it
    with EmbeddedStore(db, read_only=True) as store:
        assert store.counts()["Post"] == 3
