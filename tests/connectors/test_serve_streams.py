"""Streaming monitors inside `scrm serve` (the one writer): the stream is held open and
what it brings is written while it stays open (not when a listening window closes);
a dropped Jetstream resumes from the newest event read, a dropped Mastodon stream
catches up through REST from the last REST cursor. The platforms are the local
Jetstream WebSocket replaying the recorded window and the replay server's SSE."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.server import serve

from graph.embedded import EmbeddedStore
from ingest.connectors.jetstream import concerns
from tests.cli.serving import scrm_env, start_serve
from tests.connectors.replay import Canned, ReplayServer, until
from tests.connectors.test_jetstream import Firehose, jetstream_window

# settings put in the environment here must not outlive a test in the cached object
pytestmark = pytest.mark.usefixtures("fresh_settings")
BRAND = {"did:plc:i5y2f3gtpjxs3qg6fwgb6jb4", "did:plc:vqr6qcne2dya6o46z2citxdk"}
STREAM = "mastodon/streaming_public_mastodon.social_48_updates.jsonl"


class HeldFirehose(Firehose):
    """A :class:`Firehose` that holds the connection open until ``release`` is set."""

    def __init__(self, events: list[str], drop_after: int) -> None:
        super().__init__(events, drop_after)
        self.release = threading.Event()

    def hold(self) -> None:
        self.release.wait(60)  # live: open, nothing more for now



@pytest.fixture
def held(shared_data: Path) -> Iterator[tuple[str, HeldFirehose, list[dict[str, Any]]]]:
    events, parsed, mention = jetstream_window(shared_data)
    parsed.append(mention)
    hose = HeldFirehose(events, drop_after=50)
    server = serve(hose.handler, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}", hose, parsed
    finally:
        hose.release.set()
        server.shutdown()


def _scrm(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True,
                          text=True, env=scrm_env(db), timeout=120)


def _state(db: Path) -> dict[str, Any]:
    listed = _scrm(db, "monitor", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    state: dict[str, Any] = json.loads(listed.stdout)[0]["state"]
    return state


def _live_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"SCRM_MONITOR_ALLOW_PRIVATE": "true", "SCRM_EVENTS_SECONDS": "0.3",
                        "SCRM_OUTBOX_IN_SERVE": "false"}.items():
        monkeypatch.setenv(name, value)


def test_serve_writes_a_jetstream_while_it_is_open_and_resumes_after_a_drop(
        tmp_path: Path, held: tuple[str, HeldFirehose, list[dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, hose, events = held
    wanted = [e for e in events if e.get("kind") == "commit"
              and e["commit"].get("collection") == "app.bsky.feed.post"
              and e["commit"].get("operation") == "create" and concerns(e, BRAND)]
    assert len(wanted) == 3  # two replies to the brand, one mention
    keys = [f"bluesky:at://{e['did']}/app.bsky.feed.post/{e['commit']['rkey']}"
            for e in wanted]
    _live_env(monkeypatch)
    db = tmp_path / "stream.lbdb"
    EmbeddedStore(db).close()
    # a poll would listen 600 s before writing anything: serve does not wait for that
    added = _scrm(db, "monitor", "add", "jetstream", "--url", url, "--dids",
                  ",".join(sorted(BRAND)), "--seconds", "600")
    assert added.returncode == 0, added.stderr
    server, base, _ = start_serve(db)
    try:
        # visible over GraphQL while the stream is open: the mention is a thread of its own
        mention = keys[[e["commit"]["rkey"] for e in wanted].index("3mention")]

        def visible() -> bool:
            answer = httpx.post(base + "/graphql", json={
                "query": "query($id: ID!) { conversation(id: $id) { posts { postId text } } }",
                "variables": {"id": mention}}, timeout=30).json()
            return bool((answer.get("data") or {}).get("conversation"))

        assert until(visible), (hose.cursors, _state(db))
        assert not hose.release.is_set()  # the stream is still open
        # the first connection dropped after 50 events; the second resumed from the
        # newest one read, rewound 5 s (Jetstream's advice), not from the start
        assert hose.cursors[0] is None and len(hose.cursors) >= 2
        read_before_drop = [json.loads(e)["time_us"] for e in hose.events[:50]]
        assert hose.cursors[1] == max(read_before_drop) - 5_000_000, hose.cursors
        state = _state(db)
        assert state["last_error"] is None and state["gap_since"] is None
        assert int(state["cursor"]) >= max(e["time_us"] for e in wanted)
    finally:
        hose.release.set()
        server.terminate()
        server.communicate(timeout=30)
    store = EmbeddedStore(db, read_only=True)
    try:
        assert len(store.post_details(keys)) == 3
    finally:
        store.close()


def test_serve_follows_a_mastodon_stream_and_catches_up_through_rest(
        tmp_path: Path, server: ReplayServer, shared_data: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [line for line in (shared_data / STREAM).read_text().split("\n") if line]
    statuses = [json.loads(line) for line in lines]
    # the recording kept only the data payloads: re-wrapped as the SSE the server sends;
    # the connection drops half-way through the 31st event
    chunks = [f"event: update\ndata: {line}\n\n".encode() for line in lines]
    body = b":thump\n\n" + b"".join(chunks)
    cut = len(b":thump\n\n" + b"".join(chunks[:30])) + len(chunks[30]) // 2
    server.add("/api/v1/streaming/hashtag", Canned(body, cut=cut), Canned(b":thump\n\n"))
    rest_calls: list[dict[str, str]] = []

    def rest(query: dict[str, str]) -> Canned:
        rest_calls.append(query)
        if len(rest_calls) == 1:
            return Canned(b"[]")  # nothing yet when the source starts
        since = int(query.get("since_id", 0))
        newer = sorted((s for s in statuses if int(s["id"]) > since),
                       key=lambda s: -int(s["id"]))
        return Canned(json.dumps(newer).encode())

    server.route("/api/v1/timelines/tag/ichbinhanna", rest)
    _live_env(monkeypatch)
    db = tmp_path / "sse.lbdb"
    EmbeddedStore(db).close()
    added = _scrm(db, "monitor", "add", "mastodon", "--url", server.url, "--tag",
                  "ichbinhanna", "--stream", "yes", "--stream-seconds", "600")
    assert added.returncode == 0, added.stderr
    newest = max((s["id"] for s in statuses), key=int)
    process, _, _ = start_serve(db)
    try:
        assert until(lambda: _state(db)["cursor"] == newest), _state(db)
        state = _state(db)
    finally:
        process.terminate()
        process.communicate(timeout=30)
    # REST before the first connection, and again after the drop, from the REST cursor
    assert len(rest_calls) >= 2 and "since_id" not in rest_calls[0]
    assert server.hits("/api/v1/streaming/hashtag") >= 2
    # the connections after the drop close at once with nothing: a failure once said
    assert state["last_error"] is None or "closed the stream" in state["last_error"], state
    host = server.url.split("//")[1]
    store = EmbeddedStore(db, read_only=True)
    try:
        assert len(store.post_details([f"mastodon:{host}/{s['id']}" for s in statuses])) == 48
    finally:
        store.close()
