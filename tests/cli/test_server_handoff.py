"""While `scrm serve` holds the database, write commands hand their work to it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from serving import scrm_env, start_serve


def _scrm(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True,
                          text=True, env=scrm_env(db), timeout=300)


@pytest.mark.slow
def test_ingest_and_analyze_go_through_the_running_server(demo_copy: Path,
                                                         tmp_path: Path) -> None:
    db = demo_copy  # the analyzed demo database (tmp_path / "demo.lbdb")
    server, url, before = start_serve(db)
    try:
        assert json.loads((tmp_path / "demo.lbdb.server.json").read_text())["url"] == url
        new = tmp_path / "new.jsonl"
        new.write_text(json.dumps({"data": [
            {"id": "99", "author_id": "7", "text": "@brightloop love it", "created_at":
             "2026-11-01T10:00:00.000Z", "entities": {"mentions": [
                 {"start": 0, "end": 11, "username": "brightloop", "id": "1"}]}}],
            "includes": {"users": [{"id": "7", "username": "newfan"}]}}) + "\n")
        ingest = _scrm(db, "ingest", "twitter", str(new))
        assert ingest.returncode == 0, ingest.stderr
        assert "sending the job there" in ingest.stderr and "Traceback" not in ingest.stderr
        assert "│" in ingest.stdout and "1 │" in ingest.stdout
        analyze = _scrm(db, "analyze")
        assert analyze.returncode == 0, analyze.stderr
        after = httpx.get(url + "/health").json()
        assert after["counts"]["Post"] == before["counts"]["Post"] + 1
        assert after["latest_run_id"] != before["latest_run_id"]
        # reads open the database read-only beside the server
        top = _scrm(db, "top", "advocates", "--json", "--limit", "3")
        assert top.returncode == 0 and json.loads(top.stdout)[0]["handle"] == "danarides"
        # an erasure request goes through the server too, and the API stops naming her
        forget = _scrm(db, "forget", "C00001", "--yes")
        assert forget.returncode == 0, forget.stderr
        assert "forgot C00001: 2 account(s) made anonymous" in forget.stdout
        gone = httpx.post(url + "/graphql", json={"query": '{ customer(id: "C00001") { id } }'})
        assert gone.json()["data"]["customer"] is None
        again = _scrm(db, "forget", "C00001", "--yes")
        assert again.returncode != 0 and "no customer C00001" in again.stderr
        assert "Traceback" not in again.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (tmp_path / "demo.lbdb.server.json").exists()
