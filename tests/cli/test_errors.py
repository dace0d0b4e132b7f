"""Every documented command ends a person's mistake, or a state the product can be in,
with one line and a documented exit code: no traceback (real CLI runs, real databases)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from clirun import assert_one_line, scrm

from graph.errors import EXIT_BUSY, EXIT_FAILURE, EXIT_USER, BusyError, Failure, UserError
from graph.store import StoreBusyError, StoreError
from ingest.errors import IngestError

SAMPLES = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"


def test_the_error_root_carries_the_exit_codes() -> None:
    assert (UserError.exit_code, Failure.exit_code, BusyError.exit_code) == (2, 1, 3)
    assert (EXIT_USER, EXIT_FAILURE, EXIT_BUSY) == (2, 1, 3)
    assert issubclass(StoreError, Failure) and issubclass(IngestError, UserError)
    assert StoreBusyError.exit_code == EXIT_BUSY and issubclass(StoreBusyError, StoreError)


def test_a_read_command_never_creates_a_database(tmp_path: Path) -> None:
    typo = tmp_path / "typo.lbdb"
    for args in (["top", "advocates"], ["info"], ["identities", "pending"],
                 ["identities", "show", "C1"], ["viz", "-o", str(tmp_path / "x.html")]):
        run = scrm(*args, "--db", typo)
        assert_one_line(run, 2, f"no database at {typo}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("variable", "value", "accepts"), [
    ("SCRM_QUERY_TIMEOUT", "abc", "a number"),
    ("SCRM_PORT", "eighty", "a whole number"),
    ("SCRM_PUBLIC_GRAPHIQL", "maybe", "true or false"),
])
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, variable: str, value: str,
                                             accepts: str) -> None:
    run = scrm("info", "--db", tmp_path / "x.lbdb", env={variable: value})
    assert_one_line(run, 2, f"{variable}={value} is not valid: it accepts {accepts}")


def test_a_bad_setting_in_dot_env_is_named_too(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SCRM_BATCH_SIZE=lots\n")
    assert_one_line(scrm("info"), 2, "SCRM_BATCH_SIZE=lots is not valid")


def test_analyze_with_nothing_to_analyze_says_so(tmp_path: Path) -> None:
    assert_one_line(scrm("analyze", "--db", tmp_path / "new.lbdb"), 2,
                    "no social accounts yet: ingest posts first")
    crm_only = tmp_path / "crm.lbdb"
    assert scrm("ingest", "crm", SAMPLES / "crm.csv", "--db", crm_only).code == 0
    assert_one_line(scrm("analyze", "--db", crm_only), 2,
                    "no social accounts yet: ingest posts first")


def test_linking_a_mistyped_customer_names_it(tmp_path: Path) -> None:
    db = tmp_path / "crm.lbdb"
    assert scrm("ingest", "crm", SAMPLES / "crm.csv", "--db", db).code == 0
    assert_one_line(scrm("identities", "link", "C0000l", "twitter:someone", "--db", db), 2,
                    "no customer 'C0000l'")
    assert_one_line(scrm("identities", "show", "C0000l", "--db", db), 2,
                    "no customer 'C0000l'")


def _forum_lines(count: int) -> bytes:
    return "".join(json.dumps({"platform": "forum", "id": str(i), "author": f"user{i}",
                               "text": f"post number {i} says {i * 7919 % 104729}",
                               "time": "2024-05-01T10:00:00Z"}) + "\n"
                   for i in range(count)).encode()


def _compress(suffix: str, data: bytes) -> bytes:
    if suffix == ".gz":
        return gzip.compress(data)
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_a_truncated_file_names_itself_and_where_it_broke(tmp_path: Path, suffix: str) -> None:
    whole = _compress(suffix, _forum_lines(4000))
    broken = tmp_path / f"forum.jsonl{suffix}"
    broken.write_bytes(whole[: len(whole) // 2])
    run = scrm("ingest", "generic", broken, "--db", tmp_path / "g.lbdb")
    kind = {".gz": "gzip", ".zst": "zstd"}[suffix]
    assert_one_line(run, 2, f"{broken}: the {kind} stream breaks after line ")
    assert "Aborted" not in run.err


def test_a_zst_of_several_frames_is_read_to_the_end(tmp_path: Path) -> None:
    import zstandard

    from ingest.sources import open_binary

    data = _forum_lines(3000)
    path = tmp_path / "frames.jsonl.zst"
    path.write_bytes(b"".join(zstandard.ZstdCompressor().compress(part)
                              for part in (data[:70_000], data[70_000:], b"")))
    with open_binary(path) as fh:
        assert fh.read() == data


def test_a_busy_database_exits_3(tmp_path: Path) -> None:
    from graph.embedded import EmbeddedStore

    db = tmp_path / "busy.lbdb"
    with EmbeddedStore(db):  # this process writes; the CLI run below is another writer
        pass
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from graph.embedded import EmbeddedStore; "
        f"s = EmbeddedStore({str(db)!r}); print('ready', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        run = scrm("brand", "--name", "Acme", "--db", db)
        assert run.code == 3, run.err
        assert "Traceback" not in run.err and len(run.error_lines) == 1
    finally:
        holder.kill()
        holder.wait()


def test_an_unexpected_error_is_one_line_and_names_scrm_debug(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.cli.info as info_module

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(info_module, "open_reader", broken)
    run = scrm("info", "--db", tmp_path / "x.lbdb")
    assert_one_line(run, 1, "unexpected ZeroDivisionError: division by zero "
                            "(SCRM_DEBUG=1 shows the traceback)")
    shown = scrm("info", "--db", tmp_path / "x.lbdb", env={"SCRM_DEBUG": "1"})
    assert shown.code == 1 and "Traceback" in shown.err


def test_usage_mistakes_exit_2(tmp_path: Path) -> None:
    assert scrm("top", "heroes", "--db", tmp_path / "x.lbdb").code == 2
    assert scrm("analyze", "--no-such-option").code == 2


def test_empty_advocates_without_a_brand_say_how_to_name_it(tmp_path: Path) -> None:
    db = tmp_path / "nobrand.lbdb"
    assert scrm("ingest", "twitter", SAMPLES / "twitter.jsonl", "--db", db).code == 0
    assert scrm("analyze", "--db", db).code == 0
    run = scrm("top", "advocates", "--db", db)
    assert run.code == 0 and "Traceback" not in run.err
    assert "no brand is configured" in run.err and "scrm brand --name" in run.err
    assert "no brand is configured" not in scrm("top", "influencers", "--db", db).err
    # the GraphQL answer's run says it too, in its stats
    from fastapi.testclient import TestClient

    from api.app import create_app
    from graph.config import Settings

    with TestClient(create_app(settings=Settings(db=db)), base_url="http://localhost") as client:
        answer = client.post("/graphql", json={"query": "{ latestRun { stats } }"}).json()
    assert "scrm brand --name" in answer["data"]["latestRun"]["stats"]["notes"][0]


@pytest.mark.slow
def test_serve_refuses_alert_topics_it_could_not_watch(tmp_path: Path) -> None:
    """Said at start, in one line, before the database is opened: the events check would
    fail every round otherwise, and no care-item or alert event would be told."""
    import os
    import subprocess
    import sys

    db = tmp_path / "x.lbdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRM_")}
    run = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--db", str(db),
                          "--port", "0"], capture_output=True, text=True, timeout=120,
                         env={**env, "SCRM_ALERT_TOPICS": '{"billing": 5}'})
    assert run.returncode == EXIT_USER, run.stderr
    assert "SCRM_ALERT_TOPICS" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert not db.exists()
