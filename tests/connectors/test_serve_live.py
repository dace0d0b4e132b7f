"""`scrm serve` as the one writer of live work: it polls the enabled monitors in the
background, `scrm monitor run` beside it hands its round over, webhooks are added through
it, and subscriptions' events come from it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from graph.embedded import EmbeddedStore
from ingest.connectors.state import MonitorFile
from tests.cli.serving import as_from_a_terminal, scrm_env, signal_state, start_serve
from tests.connectors.replay import ReplayServer, recorded, until

PAGE = "mastodon/timeline_tag_ichbinhanna_mastodon.social_page1.json"


def _scrm(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True,
                          text=True, env=scrm_env(db), timeout=300)


@pytest.mark.slow
def test_serve_runs_monitors_and_takes_rounds_and_webhooks(
        tmp_path: Path, server: ReplayServer, shared_data: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server.add("/api/v1/timelines/tag/ichbinhanna",
               recorded(shared_data / PAGE, keep_headers=False))
    monkeypatch.setenv("SCRM_MONITOR_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("SCRM_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("SCRM_EVENTS_SECONDS", "0.5")
    db = tmp_path / "live.lbdb"
    EmbeddedStore(db).close()
    added = _scrm(db, "monitor", "add", "mastodon", "--url", server.url, "--tag",
                  "ichbinhanna")
    assert added.returncode == 0, added.stderr
    expected = len(json.loads((shared_data / PAGE).read_text()))
    serve, url, _ = start_serve(db)
    try:
        deadline = time.monotonic() + 60
        posts = 0
        while time.monotonic() < deadline:
            posts = httpx.get(url + "/health").json()["counts"]["Post"]
            if posts >= expected:
                break
            time.sleep(0.3)
        assert posts >= expected  # polled by the server itself, in the background
        state = json.loads(_scrm(db, "monitor", "list", "--json").stdout)[0]["state"]
        assert state["items"] >= expected and state["last_error"] is None
        # beside the server, a round is a job there
        handed = _scrm(db, "monitor", "run", "--once")
        assert handed.returncode == 0, handed.stderr
        assert "each round runs there as a job" in handed.stderr
        assert "1 round(s) run by the server" in handed.stderr
        # a webhook is added through the server and read beside it
        hook = _scrm(db, "webhooks", "add", "http://127.0.0.1:9/hook", "--event", "alert")
        assert hook.returncode == 0, hook.stderr
        listed = json.loads(_scrm(db, "webhooks", "list", "--json").stdout)
        assert [w["url"] for w in listed] == ["http://127.0.0.1:9/hook"]
        assert listed[0]["secret"] is None
    finally:
        serve.terminate()
        serve.wait(timeout=30)


@pytest.mark.slow
def test_a_continuous_run_beside_the_server_polls_only_the_sources_that_are_due(
        tmp_path: Path, server: ReplayServer, shared_data: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`scrm monitor run` (no --once) beside a server polls each source when it is due,
    as it does alone. Its rounds polled every source, due or not: one that a 429 had
    put off until the platform's reset was asked again every round."""
    page = recorded(shared_data / PAGE, keep_headers=False)
    server.add("/api/v1/timelines/tag/due", page)
    server.add("/api/v1/timelines/tag/later", page)
    monkeypatch.setenv("SCRM_MONITOR_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("SCRM_MONITOR_IN_SERVE", "false")  # only the handed rounds poll
    db = tmp_path / "live.lbdb"
    EmbeddedStore(db).close()
    monitors = MonitorFile.beside(db)
    monitors.add("mastodon", {"tag": "due"}, server.url, 0.5)
    later = monitors.add("mastodon", {"tag": "later"}, server.url, 60.0)
    # rate limited: not to be asked before the platform's reset, an hour from now
    reset = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    monitors.save_state(later.id, replace(later.state, next_try=reset,
                                          last_error="rate limited", failures=1))
    serve, _, _ = start_serve(db)
    try:
        run = subprocess.Popen([sys.executable, "-m", "api.cli", "monitor", "run"],
                               env=scrm_env(db), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=as_from_a_terminal)
        try:
            assert until(lambda: server.hits("/api/v1/timelines/tag/due") >= 2, 120, 0.1)
        finally:
            state = signal_state(run.pid)
            run.send_signal(signal.SIGINT)
            try:
                _, stderr = run.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                run.kill()
                raise AssertionError(f"Ctrl-C did not stop `scrm monitor run` ({state}): "
                                     f"{run.communicate()[1][-1500:]}") from None
        assert "each round runs there as a job" in stderr, stderr
        assert server.hits("/api/v1/timelines/tag/later") == 0
        assert next(m for m in monitors.all() if m.id == later.id).state.next_try == reset
    finally:
        serve.terminate()
        serve.wait(timeout=30)
