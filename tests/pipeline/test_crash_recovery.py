"""Killing an ingest at any moment and running it again gives exactly the clean graph."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore

REPO = Path(__file__).resolve().parents[2]


def _generate(path: Path, posts: int) -> None:
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_twitter_v2.py"), "--posts",
                    str(posts), "--accounts", "2000", "-o", str(path)], check=True)


def _ingest(db: Path, data: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SCRM_DB": str(db)}
    env.pop("SCRM_NEO4J_URI", None)
    return subprocess.Popen([sys.executable, "-m", "api.cli", "ingest", "twitter", str(data),
                             "--batch-size", "2000", *extra], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _counts(db: Path) -> dict[str, int]:
    with EmbeddedStore(db, read_only=True) as store:
        return store.counts()


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("crash")
    data = folder / "tweets.jsonl"
    _generate(data, 20_000)
    clean = folder / "clean.lbdb"
    assert _ingest(clean, data).wait(timeout=300) == 0
    return data, clean


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.8, 1.6, 2.6])
def test_kill_9_then_rerun_equals_clean_run(tmp_path: Path, delay: float,
                                            clean_run: tuple[Path, Path]) -> None:
    data, clean = clean_run

    crashed = tmp_path / "crashed.lbdb"
    proc = _ingest(crashed, data)
    time.sleep(delay)
    if proc.poll() is not None:
        pytest.fail(f"the ingest finished before the kill at {delay}s; use a bigger file")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _counts(crashed) if crashed.exists() else {"Post": 0}
    assert _ingest(crashed, data).wait(timeout=300) == 0
    assert _counts(crashed) == _counts(clean)
    assert partial["Post"] <= _counts(clean)["Post"]
