"""Bluesky Jetstream: the recorded 152-event window served over a local WebSocket."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.sync.server import ServerConnection, serve

BRAND = {"did:plc:i5y2f3gtpjxs3qg6fwgb6jb4", "did:plc:vqr6qcne2dya6o46z2citxdk"}


class Firehose:
    """Sends the events at or after the subscriber's cursor; the first connection drops
    after ``drop_after`` events."""

    def __init__(self, events: list[str], drop_after: int) -> None:
        self.events = events
        self.drop_after = drop_after
        self.cursors: list[int | None] = []

    def handler(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        self.cursors.append(cursor)
        sent = 0
        for text in self.events:
            stamp = json.loads(text).get("time_us", 0) if text.startswith("{") else 0
            if cursor is not None and stamp < cursor:
                continue
            if len(self.cursors) == 1 and sent == self.drop_after:
                return  # the connection drops
            ws.send(text)
            sent += 1
        self.hold()

    def hold(self) -> None:
        time.sleep(3)  # live: nothing more for now


def jetstream_window(shared_data: Path) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    """The recorded Jetstream window (its lines, parsed) and a planted mention of the brand
    inserted after the 61st event (line index 61): no recorded event mentions anyone, so
    this one follows the documented facet shape (lexicon app.bsky.richtext.facet) and sits
    inside the recorded window."""
    lines = (shared_data / "bluesky/jetstream_v1_window_152_events.jsonl").read_text()
    events = [line for line in lines.split("\n") if line]
    parsed = [json.loads(e) for e in events]
    mention = {"did": "did:plc:fan", "time_us": parsed[60]["time_us"] + 1, "kind": "commit",
               "commit": {"operation": "create", "collection": "app.bsky.feed.post",
                          "rkey": "3mention", "record": {
                              "text": "hi @brand.bsky.social", "createdAt":
                              "2026-07-04T12:00:00Z", "facets": [{
                                  "index": {"byteStart": 3, "byteEnd": 21}, "features": [{
                                      "$type": "app.bsky.richtext.facet#mention",
                                      "did": "did:plc:i5y2f3gtpjxs3qg6fwgb6jb4"}]}]}}}
    events.insert(61, json.dumps(mention))
    return events, parsed, mention


@pytest.fixture
def firehose(shared_data: Path) -> Iterator[tuple[str, Firehose, list[dict[str, Any]]]]:
    events, parsed, mention = jetstream_window(shared_data)
    events.insert(10, "not json")
    parsed.append(mention)
    hose = Firehose(events, drop_after=50)
    server = serve(hose.handler, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}", hose, parsed
    finally:
        server.shutdown()


def test_jetstream_keeps_brand_posts_and_resumes_after_a_drop(
        poller: Any, firehose: tuple[str, Firehose, list[dict[str, Any]]]) -> None:
    from ingest.connectors.jetstream import concerns

    url, hose, events = firehose
    wanted = [e for e in events if e.get("kind") == "commit"
              and e["commit"].get("collection") == "app.bsky.feed.post"
              and e["commit"].get("operation") == "create" and concerns(e, BRAND)]
    assert len(wanted) == 3  # two replies to the brand, one mention
    monitor = poller.add("jetstream", url, dids=",".join(sorted(BRAND)), seconds="1")
    first = poller.poll(monitor)
    assert first.error is None and first.rejected == 1  # the malformed message
    cursor = poller.get(monitor.id).state.cursor
    assert cursor is not None
    second = poller.poll(monitor)
    assert second.error is None
    # resumed from the cursor rewound by 5 s (the whole recorded window is 0.3 s)
    assert hose.cursors[1] == int(cursor) - 5_000_000
    keys = [f"bluesky:at://{e['did']}/app.bsky.feed.post/{e['commit']['rkey']}"
            for e in wanted]
    assert len(poller.store.post_details(keys)) == 3
    state = poller.get(monitor.id).state
    assert state.cursor == str(max(e["time_us"] for e in events))
    assert state.gap_since is None
