"""Access through the real CLI: hand-offs to a server with keys on, and jobs' limits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from security_kit import KEYS, READ_KEY, WRITE_KEY, bearer, start_scrm_serve, stop
from serving import scrm_env


def _scrm(db: Path, *args: str, key: str | None = None, stdin: str | None = None,
          ) -> subprocess.CompletedProcess[str]:
    env = scrm_env(db)
    env.pop("SCRM_API_KEY", None)
    if key:
        env["SCRM_API_KEY"] = key
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()
             and "sending the job there" not in line]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.slow
def test_cli_hands_work_to_a_keyed_server(demo_copy: Path) -> None:
    server, url = start_scrm_serve(demo_copy, env={"SCRM_API_KEYS": KEYS})
    try:
        post = ('{"platform": "forum", "id": "sec1", "author": "secfan", "text": "hello @acme", '
                '"time": "2024-05-01T10:00:00Z"}\n')
        spool_before = set(_spooled())
        ingest = _scrm(demo_copy, "ingest", "generic", "-", key=WRITE_KEY, stdin=post)
        assert ingest.returncode == 0, ingest.stderr
        assert "sending the job there" in ingest.stderr
        assert set(_spooled()) <= spool_before  # spooled standard input is gone
        analyze = _scrm(demo_copy, "analyze", key=WRITE_KEY)
        assert analyze.returncode == 0, analyze.stderr
        assert "need" in _one_line(_scrm(demo_copy, "analyze")).lower()  # no key: one line
        assert "write key" in _one_line(_scrm(demo_copy, "analyze", key=READ_KEY))
    finally:
        stop(server)


def _spooled() -> list[str]:
    from api.jobs import spool_dir

    folder = spool_dir()
    return [p.name for p in folder.iterdir()] if folder.is_dir() else []


@pytest.mark.slow
def test_a_server_killed_during_a_handed_over_job_is_one_line(demo_copy: Path) -> None:
    import threading

    server, _url = start_scrm_serve(demo_copy)
    analyze = subprocess.Popen([sys.executable, "-m", "api.cli", "analyze"],
                               env=scrm_env(demo_copy), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    handed = threading.Event()

    def read() -> None:
        assert analyze.stderr is not None
        for line in analyze.stderr:
            lines.append(line)
            if "sending the job there" in line:
                handed.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert handed.wait(60), "".join(lines)
        time.sleep(0.5)  # the job is submitted and running
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        analyze.wait(timeout=120)
        reader.join(timeout=10)
    finally:
        if analyze.poll() is None:
            analyze.kill()
        if server.poll() is None:
            server.kill()
    err = "".join(lines)
    assert analyze.returncode != 0, err
    assert "Traceback" not in err and "ConnectError" not in err, err
    assert "stopped answering" in err.splitlines()[-1], err


@pytest.mark.slow
def test_jobs_read_only_under_ingest_roots_and_choose_their_rejects(demo_copy: Path,
                                                                   tmp_path: Path) -> None:
    server, url = start_scrm_serve(demo_copy, env={"SCRM_API_KEYS": KEYS})
    writer = bearer(WRITE_KEY)
    try:
        for path in ("/etc/shadow", "/etc/passwd", "relative.jsonl",
                     str(demo_copy.parent / ".." / ".." / "etc" / "passwd")):
            answer = httpx.post(url + "/jobs", headers=writer, json={
                "kind": "ingest", "source": "twitter", "paths": [path],
                "rejects_dir": str(tmp_path / "stolen")})
            assert answer.status_code == 403, (path, answer.text)
            assert "SCRM_INGEST_ROOTS" in answer.text
        inside = demo_copy.parent / "bad.jsonl"
        inside.write_text("not json\n")
        job = httpx.post(url + "/jobs", headers=writer, json={
            "kind": "ingest", "source": "twitter", "paths": [str(inside)],
            "rejects_dir": str(tmp_path / "stolen")}).json()
        job = _wait(url, job["id"])
        assert not (tmp_path / "stolen").exists()
        assert job["result"] is None or str(demo_copy.parent) in str(job["result"]["rejects"])
        missing = _wait(url, httpx.post(url + "/jobs", headers=writer, json={
            "kind": "link", "link": {"customer_id": "C1"}}).json()["id"])
        odd = _wait(url, httpx.post(url + "/jobs", headers=writer, json={
            "kind": "analyze", "params": {"no_such_param": 1}}).json()["id"])
        for failed in (missing, odd):
            assert failed["status"] == "failed"
            assert "Error" not in failed["error"] and "Exception" not in failed["error"]
    finally:
        stop(server)


def _wait(url: str, job_id: str) -> dict[str, Any]:
    for _ in range(300):
        job: dict[str, Any] = httpx.get(f"{url}/jobs/{job_id}",
                                           headers=bearer(WRITE_KEY)).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
    raise AssertionError("the job did not end")


@pytest.mark.slow
def test_privacy_salt_cannot_be_set_by_a_job(demo_copy: Path) -> None:
    server, url = start_scrm_serve(demo_copy)
    try:
        answer = httpx.post(url + "/jobs", json={
            "kind": "brand", "accounts": ["twitter:acme"],
            "settings": {"brand.name": "Acme", "privacy.salt": "attacker-known"}})
        assert answer.status_code == 200, (answer.status_code, answer.text)  # queued
        done = _wait(url, answer.json()["id"])
        assert done["status"] == "failed" and "privacy.salt" in str(done["error"])
    finally:
        stop(server)
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(demo_copy, read_only=True)
    try:
        assert store.get_settings().get("privacy.salt") != "attacker-known"
    finally:
        store.close()


@pytest.mark.slow
def test_identities_link_refuses_phantom_and_malformed_accounts(demo_copy: Path) -> None:
    phantom = _scrm(demo_copy, "identities", "link", "C00018", "twitter:nosuchhandle")
    assert "no account twitter:nosuchhandle" in _one_line(phantom)
    empty = _scrm(demo_copy, "identities", "link", "C00018", "twitter:")
    assert "not a twitter handle" in _one_line(empty)
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(demo_copy, read_only=True)
    try:
        assert store.get_account("twitter:nosuchhandle") is None
    finally:
        store.close()
