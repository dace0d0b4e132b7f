"""``scrm monitor add/list/remove``, the refusal of private addresses, and a continuous run."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from ingest.connectors.runner import run_monitors
from ingest.connectors.state import MonitorFile
from tests.cli.clirun import scrm
from tests.connectors.replay import Canned, ReplayServer

runner = CliRunner()


def test_add_list_remove(tmp_path: Path) -> None:
    db = tmp_path / "m.lbdb"
    result = runner.invoke(app, ["monitor", "add", "mastodon", "--db", str(db),
                                 "--url", "https://mastodon.example", "--tag", "brightloop"])
    assert result.exit_code == 0, result.output
    assert "SCRM_MASTODON_TOKEN" in result.output  # says which credential is not set
    result = runner.invoke(app, ["monitor", "add", "rss", "--db", str(db),
                                 "--url", "https://blog.example/feed.xml"])
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(app, ["monitor", "list", "--db", str(db), "--json"]
                                      ).output)
    assert [m["kind"] for m in listed] == ["mastodon", "rss"]
    assert listed[0]["options"] == {"tag": "brightloop"}
    assert "never" in runner.invoke(app, ["monitor", "list", "--db", str(db)]).output
    result = runner.invoke(app, ["monitor", "remove", listed[0]["id"], "--db", str(db)])
    assert result.exit_code == 0
    assert len(MonitorFile.beside(db).all()) == 1
    assert scrm("monitor", "remove", "nope", "--db", db).code == 2


def test_add_refuses_missing_options(tmp_path: Path) -> None:
    db = tmp_path / "m.lbdb"
    run = scrm("monitor", "add", "stackexchange", "--db", db)
    assert run.code == 2 and "--tag" in run.err
    run = scrm("monitor", "add", "rss", "--db", db)
    assert run.code == 2 and "--url" in run.err


def test_add_refuses_a_url_no_poll_could_follow(tmp_path: Path) -> None:
    """Refused when added, with what to do, instead of failing on every poll later."""
    db = tmp_path / "m.lbdb"
    for kind, url, extra, says in (
            ("rss", "ftp://blog.example/feed.xml", (), "needs http:// or https://"),
            ("rss", "blog.example/feed.xml", (), "needs http:// or https://"),
            ("rss", "http://127.0.0.1:9/feed.xml", (), "SCRM_MONITOR_ALLOW_PRIVATE"),
            ("discourse", "https://10.1.2.3", (), "private or loopback address (10.1.2.3)"),
            ("mastodon", "http://localhost:3000", (), "SCRM_MONITOR_ALLOW_PRIVATE"),
            ("rss", "http://[::1]/feed.xml", (), "private or loopback address (::1)"),
            ("jetstream", "https://jetstream.example", ("--dids", "did:plc:x"),
             "needs ws:// or wss://")):
        run = scrm("monitor", "add", kind, "--url", url, *extra, "--db", db)
        assert run.code == 2 and says in run.err, (url, run.err)
        assert "Traceback" not in run.err and len(run.err.strip().splitlines()) == 1
    assert MonitorFile.beside(db).all() == []
    allowed = scrm("monitor", "add", "rss", "--url", "http://127.0.0.1:9/feed.xml", "--db", db,
                   env={"SCRM_MONITOR_ALLOW_PRIVATE": "true"})
    assert allowed.code == 0, allowed.err
    assert [m.url for m in MonitorFile.beside(db).all()] == ["http://127.0.0.1:9/feed.xml"]


def test_add_looks_no_name_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name is looked up before each poll, not when added (no wait on a slow resolver)."""
    def no_lookup(*args: object, **kwargs: object) -> object:
        raise AssertionError(f"looked up {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    run = scrm("monitor", "add", "rss", "--url", "https://blog.example/feed.xml",
               "--db", tmp_path / "m.lbdb")
    assert run.code == 0, run.err


def test_private_addresses_are_refused_unless_allowed(poller: Any,
                                                      server: ReplayServer) -> None:
    from ingest.connectors.runner import poll_monitor

    server.add("/api/v1/timelines/tag/x", Canned(b"[]"))
    monitor = poller.add("mastodon", server.url, tag="x")
    outcome = poll_monitor(poller.store, poller.states, monitor, client=poller.client,
                           settings={}, rejects_dir=poller.rejects_dir)
    assert outcome.error is not None and "SCRM_MONITOR_ALLOW_PRIVATE" in outcome.error
    assert server.requests == []
    assert poller.poll(monitor).error is None


def test_a_next_link_to_another_site_is_not_followed(poller: Any, server: ReplayServer,
                                                     shared_data: Path) -> None:
    page = (shared_data / "mastodon/timeline_public_mastodon.social_limit20.json").read_bytes()
    server.add("/api/v1/timelines/tag/x", Canned(page, headers={
        "link": '<https://elsewhere.example/api/v1/timelines/tag/x?max_id=1>; rel="next"'}))
    monitor = poller.add("mastodon", server.url, tag="x")
    outcome = poller.poll(monitor, settings={"mastodon_token": "secret"})
    assert outcome.error is not None and "another site" in outcome.error
    assert poller.get(monitor.id).state.cursor is None


def test_continuous_run_polls_when_due(poller: Any, server: ReplayServer,
                                       shared_data: Path) -> None:
    page = (shared_data / "mastodon/timeline_public_mastodon.social_limit20.json").read_bytes()
    server.add("/api/v1/timelines/tag/x", Canned(b"oops", 500), Canned(page))
    poller.states.add("mastodon", {"tag": "x"}, server.url, 0.5)
    seen: list[Any] = []

    def stop() -> bool:
        return len(seen) >= 3

    # the first poll fails (backoff 2.5-5 s), then succeeds; then one more poll, due 0.5 s later
    polls = run_monitors(poller.store, poller.states,
                         settings={"monitor_allow_private": True},
                         rejects_dir=poller.rejects_dir, report=seen.append, stop=stop)
    assert polls == 3
    assert seen[0].error is not None
    assert seen[1].loaded == 20 and seen[2].read == 0


def test_an_unexpected_response_fails_only_its_source(poller: Any, server: ReplayServer,
                                                      shared_data: Path) -> None:
    server.add("/xrpc/app.bsky.feed.searchPosts", Canned(b"[1, 2]"))  # not an object
    server.add("/api/v1/timelines/tag/x", Canned(
        (shared_data / "mastodon/timeline_public_mastodon.social_limit20.json").read_bytes()))
    broken = poller.add("bluesky", server.url, query="x")
    poller.add("mastodon", server.url, tag="x")
    seen: list[Any] = []
    run_monitors(poller.store, poller.states, settings={"monitor_allow_private": True},
                 rejects_dir=poller.rejects_dir, once=True, report=seen.append)
    assert [o.error is None for o in seen] == [False, True]
    assert seen[1].loaded == 20
    assert "unexpected response" in (poller.get(broken.id).state.last_error or "")


def test_a_source_with_no_base_url_backs_off(poller: Any) -> None:
    """A Discourse source added while SCRM_DISCOURSE_URL was set, run after it was unset,
    has no base URL: it fails and backs off as any failing source does. It kept no next
    try, so every round found it due again: a continuous run asked (and said the error)
    every 0.2 s, and a server ran a monitor job for it every few seconds."""
    monitor = poller.states.add("discourse", {}, None, 60.0)
    seen: list[Any] = []
    for _ in range(2):  # two rounds of the due sources, as a server's loop runs them
        run_monitors(poller.store, poller.states, settings={}, rejects_dir=poller.rejects_dir,
                     once=True, due_only=True, report=seen.append)
    assert len(seen) == 1 and "no base URL" in (seen[0].error or ""), seen
    state = poller.get(monitor.id).state
    assert state.failures == 1 and state.next_try is not None, state


def test_a_source_failing_for_weeks_still_backs_off(poller: Any, server: ReplayServer) -> None:
    """After 1,024 failures in a row (six weeks of a forum that went away, one try an
    hour) the backoff still caps at an hour. 5 * 2**1024 overflowed a float: the poll
    raised OverflowError before saving its state, so the round stopped there (the other
    sources were not polled) and the next found the source due again."""
    server.add("/api/v1/timelines/tag/x", Canned(b"down", 500))
    monitor = poller.add("mastodon", server.url, tag="x")
    poller.states.save_state(monitor.id, replace(monitor.state, failures=1024))
    before = datetime.now(UTC)
    outcome = poller.poll(monitor)
    assert outcome.error is not None and "HTTP 500" in outcome.error
    state = poller.get(monitor.id).state
    assert state.failures == 1025 and state.next_try is not None
    assert datetime.fromisoformat(state.next_try) <= before + timedelta(seconds=3601)
