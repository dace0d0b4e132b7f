"""Exactly once: ``scrm monitor run`` killed with SIGKILL at random moments, then run to
the end, leaves the same graph as an uninterrupted run: no post missing, none twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.replay import ReplayServer
from tests.connectors.sources import add_four_monitors, serve_four_platforms

REPO = Path(__file__).resolve().parents[2]


def _run(db: Path, *, kill_after: float | None = None, kill_after_commits: int = 0,
         rng: random.Random | None = None) -> int | None:
    """Run ``scrm monitor run --once``; kill it with SIGKILL after ``kill_after`` seconds,
    or a moment (0-0.3 s) after it reported its ``kill_after_commits``-th committed poll."""
    env = {**os.environ, "SCRM_DB": str(db), "PYTHONPATH": str(REPO),
           "SCRM_MONITOR_ALLOW_PRIVATE": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "monitor", "run", "--once"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    if kill_after is None and not kill_after_commits:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode()[-2000:]
        return proc.returncode
    if kill_after_commits:
        commits = 0
        for line in proc.stderr:
            commits += b" loaded, " in line
            if commits >= kill_after_commits:
                time.sleep((rng or random).uniform(0.0, 0.3))
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    else:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    proc.stderr.close()
    return proc.returncode


def _graph(db: Path) -> tuple[dict[str, int], dict[str, str]]:
    from graph.embedded import EmbeddedStore

    with EmbeddedStore(db, read_only=True) as store:
        rows = store._rows("MATCH (p:Post) RETURN p.key AS key, p.text AS text")
        return store.counts(), {r["key"]: r["text"] for r in rows}


def _state(db: Path) -> list[dict[str, Any]]:
    data = json.loads(db.with_name(db.name + ".monitors.json").read_text())
    return sorted(({"kind": m["kind"], "cursor": m["state"]["cursor"],
                    "gap": m["state"]["gap_since"]} for m in data["monitors"]),
                  key=lambda m: m["kind"])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_9_at_random_moments_equals_an_uninterrupted_run(
        server: ReplayServer, shared_data: Path, tmp_path: Path) -> None:
    rng = random.Random(18)
    first = serve_four_platforms(server, shared_data, delay=0.2)
    newest = first["statuses"][0]
    later = [dict(newest, id=str(int(newest["id"]) + n), in_reply_to_id=newest["id"],
                  content=f"<p>later reply {n}</p>") for n in range(1, 50)]

    reference = tmp_path / "reference" / "ref.lbdb"
    reference.parent.mkdir()
    add_four_monitors(reference, server.url)
    _run(reference)
    serve_four_platforms(server, shared_data, delay=0.2, extra_statuses=later)
    _run(reference)

    serve_four_platforms(server, shared_data, delay=0.2)
    killed = tmp_path / "killed" / "k.lbdb"
    killed.parent.mkdir()
    add_four_monitors(killed, server.url)
    kills = 0
    for extra in (None, later):
        serve_four_platforms(server, shared_data, delay=0.2, extra_statuses=extra)
        for n in range(4):
            # at random moments, and just after a commit (the next source's read or write)
            code = _run(killed, kill_after=rng.uniform(0.5, 8.0)) if n % 2 == 0 else \
                _run(killed, kill_after_commits=rng.randint(1, 3), rng=rng)
            kills += code == -signal.SIGKILL
        _run(killed)
    assert kills >= 4, "the runs ended before they could be killed; raise the delay"

    ref_counts, ref_posts = _graph(reference)
    counts, posts = _graph(killed)
    assert posts.keys() == ref_posts.keys()
    assert posts == ref_posts
    assert counts == ref_counts
    assert ref_counts["Post"] >= 160 + 49 + 100 + 50 + 100
    assert _state(killed) == _state(reference)
    assert all(s["gap"] is None for s in _state(killed))
