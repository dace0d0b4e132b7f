"""The whole slice through the real CLI: demo → rankings → JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRM = [sys.executable, "-m", "api.cli"]


def run(*args: str, env: dict[str, str] | None = None, check: bool = True,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SCRM_NEO4J_URI", None)
    proc = subprocess.run([*SCRM, *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"scrm {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.lbdb"
    proc = run("demo", "--no-serve", "--db", str(db))
    assert "Workspace: http://" in proc.stdout and "GraphQL: " in proc.stdout
    assert "sign in as admin (admin), password " in proc.stdout
    assert "sign in as agent (agent), password " in proc.stdout
    return db


def top(db: Path, kind: str, n: int = 10) -> list[dict]:
    out = run("top", kind, "--limit", str(n), "--json", "--db", str(db)).stdout
    return json.loads(out)


@pytest.mark.slow
def test_planted_advocate_ranks_first(demo_db: Path) -> None:
    rows = top(demo_db, "advocates")
    assert rows[0]["handle"] in ("danarides", "dana_rides")
    assert rows[0]["customer_id"] == "C00001"
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["score"] >= rows[i + 1]["score"] for i, r in enumerate(rows[:-1]))
    contributions = sum(e["contribution"] for e in rows[0]["explanation"])
    assert contributions == pytest.approx(rows[0]["score"], abs=1e-5)
    assert {"rank", "score", "platform", "handle", "customer_id", "explanation"} <= set(rows[0])


@pytest.mark.slow
def test_planted_influencer_and_detractor(demo_db: Path) -> None:
    influencer = top(demo_db, "influencers")[0]
    assert influencer["handle"] == "techwheels"
    assert influencer["customer_id"] is None  # a prospect
    detractor = top(demo_db, "detractors")[0]
    assert detractor["handle"] == "grumpygus" and detractor["customer_id"] == "C00002"


@pytest.mark.slow
def test_brand_accounts_are_never_ranked(demo_db: Path) -> None:
    for kind in ("advocates", "influencers", "detractors"):
        handles = {r["handle"] for r in top(demo_db, kind, 50)}
        assert not handles & {"brightloop", "brightloop_help", "brightloop_team"}


def test_unknown_ranking_is_a_clear_error(demo_db: Path) -> None:
    proc = run("top", "fans", "--db", str(demo_db), check=False)
    assert proc.returncode == 2
    assert "advocates, influencers, detractors or lookalikes" in proc.stderr


@pytest.mark.slow
def test_demo_refuses_to_replace_a_database_it_did_not_make(tmp_path: Path) -> None:
    db = tmp_path / "mine.lbdb"
    f = tmp_path / "c.csv"
    f.write_text("customer_id,name\nX1,Someone\n")
    run("ingest", "crm", str(f), "--db", str(db))
    proc = run("demo", "--no-serve", "--db", str(db), check=False)
    assert proc.returncode == 2 and "not made by 'scrm demo'" in proc.stderr
    assert "Customer" in run("info", "--db", str(db)).stdout


@pytest.mark.slow
def test_second_writer_gets_a_human_error_not_a_lock_trace(tmp_path: Path) -> None:
    db = tmp_path / "busy.lbdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from graph.embedded import EmbeddedStore; "
         f"s = EmbeddedStore({str(db)!r}); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        f = tmp_path / "c.csv"
        f.write_text("customer_id,name\nX1,Someone\n")
        proc = run("ingest", "crm", str(f), "--db", str(db), check=False)
        assert proc.returncode == 3
        assert f"pid {holder.pid}" in proc.stderr
        assert "Traceback" not in proc.stderr and "IO exception" not in proc.stderr
    finally:
        holder.kill()
        holder.wait()
