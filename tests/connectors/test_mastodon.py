"""Mastodon: a hashtag timeline replayed from four recorded pages of mastodon.social."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from ingest.connectors.mastodon import sse_events, status_records
from tests.connectors.replay import Canned, ReplayServer

TAG = "/api/v1/timelines/tag/ichbinhanna"


def tag_timeline(server: ReplayServer, data: Path, *, extra: list[dict[str, Any]] | None = None
                 ) -> list[dict[str, Any]]:
    """Serve the recorded tag timeline like Mastodon does: newest first, ``since_id`` and
    ``max_id`` honoured, 40 a page, ``Link: rel=next``. Returns every status served."""
    statuses: list[dict[str, Any]] = []
    for n in range(1, 5):
        statuses += json.loads((data / f"mastodon/timeline_tag_ichbinhanna_mastodon.social_page{n}"
                                     ".json").read_text())
    statuses += extra or []
    statuses.sort(key=lambda s: -int(s["id"]))

    def respond(query: dict[str, str]) -> Canned:
        chosen = [s for s in statuses
                  if ("max_id" not in query or int(s["id"]) < int(query["max_id"]))
                  and ("since_id" not in query or int(s["id"]) > int(query["since_id"]))]
        page = chosen[:int(query.get("limit", 40))]
        headers = {"x-ratelimit-limit": "300", "x-ratelimit-remaining": "295",
                   "x-ratelimit-reset": "2022-11-29T18:10:00.247977Z"}
        if len(chosen) > len(page):
            nxt = {k: v for k, v in query.items() if k != "max_id"}
            nxt["max_id"] = page[-1]["id"]
            headers["link"] = f'<{{base}}{TAG}?{urlencode(nxt)}>; rel="next"'
        return Canned(json.dumps(page).encode(), headers=headers)

    server.route(TAG, respond)
    return statuses


def test_tag_timeline_loads_every_status_once(poller: Any, server: ReplayServer,
                                              shared_data: Path) -> None:
    statuses = tag_timeline(server, shared_data)
    monitor = poller.add("mastodon", server.url, tag="ichbinhanna")
    outcome = poller.poll(monitor)
    assert outcome.error is None
    assert outcome.loaded == len(statuses) == 160
    state = poller.get(monitor.id).state
    assert state.cursor == max(s["id"] for s in statuses)
    assert state.items == 160 and state.gap_since is None
    counts = poller.store.counts()
    again = poller.poll(monitor)  # nothing new: asks since the cursor, writes nothing
    assert again.read == 0
    assert server.requests[-1][1]["since_id"] == state.cursor
    assert poller.store.counts() == counts
    host = server.url.split("//")[1]
    replies = [s for s in statuses if s["in_reply_to_id"]]
    details = poller.store.post_details([f"mastodon:{host}/{replies[0]['id']}"])
    assert len(details) == 1


def test_new_statuses_arrive_after_the_cursor(poller: Any, server: ReplayServer,
                                              shared_data: Path) -> None:
    statuses = tag_timeline(server, shared_data)
    monitor = poller.add("mastodon", server.url, tag="ichbinhanna")
    poller.poll(monitor)
    newer = dict(statuses[0], id=str(int(statuses[0]["id"]) + 5), in_reply_to_id=statuses[0]["id"])
    tag_timeline(server, shared_data, extra=[newer])
    outcome = poller.poll(monitor)
    assert outcome.loaded == 1
    assert poller.get(monitor.id).state.cursor == newer["id"]


def test_page_cap_records_a_possible_gap(poller: Any, server: ReplayServer,
                                         shared_data: Path) -> None:
    statuses = tag_timeline(server, shared_data)
    monitor = poller.add("mastodon", server.url, tag="ichbinhanna")
    # the first poll starts from now: a page cap is history, not a gap
    poller.poll(monitor, max_pages=1)
    assert poller.get(monitor.id).state.gap_since is None
    extra = [dict(statuses[0], id=str(int(statuses[0]["id"]) + n)) for n in range(1, 90)]
    tag_timeline(server, shared_data, extra=extra)
    poller.poll(monitor, max_pages=1)
    state = poller.get(monitor.id).state
    assert state.gap_since is not None  # 89 new, one page of 40 read
    assert state.cursor == extra[-1]["id"]


def test_malformed_status_goes_to_rejects(poller: Any, server: ReplayServer,
                                          shared_data: Path) -> None:
    page = json.loads((shared_data / "mastodon/timeline_public_mastodon.social_limit20.json")
                      .read_text())
    page[3] = dict(page[3], created_at="yesterday")
    del page[5]["account"]
    server.add("/api/v1/timelines/tag/x", Canned(json.dumps(page).encode()))
    monitor = poller.add("mastodon", server.url, tag="x")
    outcome = poller.poll(monitor)
    assert (outcome.read, outcome.loaded, outcome.rejected) == (20, 18, 2)
    reasons = [json.loads(line)["reason"] for line in poller.rejects()]
    assert any("created_at" in r for r in reasons)
    assert any("account" in r for r in reasons)


def test_mentions_with_deleted_status_advance_the_cursor(poller: Any, server: ReplayServer,
                                                         shared_data: Path) -> None:
    body = (shared_data / "mastodon/notifications_mastodon.social_40_mentions_status_null.json"
            ).read_bytes()
    server.add("/api/v1/notifications", Canned(body))
    monitor = poller.add("mastodon", server.url)
    outcome = poller.poll(monitor)
    with_status = [n for n in json.loads(body) if n["status"] is not None]
    assert outcome.error is None and outcome.read == len(with_status) == 1
    assert poller.get(monitor.id).state.cursor == max(
        (n["id"] for n in json.loads(body)), key=int)


def test_notifications_mention_is_a_post(shared_data: Path) -> None:
    notes = json.loads((shared_data / "mastodon/notifications_emacs.ch_limit3.json").read_text())
    mention = next(n for n in notes if n["type"] == "mention")
    records = status_records(mention["status"], "emacs.ch")
    post = records[-1]
    assert post.platform == "mastodon" and post.post_id.startswith("emacs.ch/")
    assert post.mentions


def test_sse_events_from_the_docs_and_a_dropped_stream(shared_data: Path) -> None:
    text = (shared_data / "mastodon/streaming_examples_from_docs.sse").read_text()
    events = list(sse_events(text.splitlines()))
    kinds = {e for e, _ in events}
    assert {"update", "notification", "delete"} <= kinds
    updates = [json.loads(d) for e, d in events if e == "update"]
    assert all("id" in u for u in updates)
    # a stream dropped mid-event: the half event is not returned
    cut = "event: update\ndata: {\"id\": \"1\"}\n\nevent: update\ndata: {\"id\""
    assert list(sse_events(cut.splitlines(keepends=True))) == [("update", '{"id": "1"}')]


def test_recorded_stream_statuses_parse(shared_data: Path) -> None:
    lines = (shared_data / "mastodon/streaming_public_mastodon.social_48_updates.jsonl"
             ).read_text().split("\n")  # not splitlines(): statuses hold U+2028
    sse = "".join(f"event: update\ndata: {line}\n\n" for line in lines if line)
    events = list(sse_events(sse.split("\n")))
    assert len(events) == 48
    posts = [status_records(json.loads(d), "mastodon.social")[-1] for _, d in events]
    assert sum(1 for p in posts if p.parent_id) == 5


@pytest.mark.parametrize("fault", ["429", "500", "timeout", "cut"])
def test_faults_back_off_and_say_why(poller: Any, server: ReplayServer, shared_data: Path,
                                     fault: str) -> None:
    good = json.loads((shared_data / "mastodon/timeline_public_mastodon.social_limit20.json")
                      .read_text())
    body = json.dumps(good).encode()
    bad = {"429": Canned(b"{}", 429, {"retry-after": "120"}),
           "500": Canned(b"oops", 500),
           "timeout": Canned(body, delay=3.0),
           "cut": Canned(body, cut=len(body) // 2)}[fault]
    server.add("/api/v1/timelines/tag/x", bad, Canned(body))
    monitor = poller.add("mastodon", server.url, tag="x")
    other = poller.add("mastodon", server.url, tag="y")
    server.add("/api/v1/timelines/tag/y", Canned(json.dumps(good[:3]).encode()))
    outcome = poller.poll(monitor)
    assert outcome.error and outcome.loaded == 0
    state = poller.get(monitor.id).state
    assert state.failures == 1 and state.cursor is None and state.last_error
    assert state.next_try is not None
    from datetime import UTC, datetime
    wait = (datetime.fromisoformat(state.next_try) - datetime.now(UTC)).total_seconds()
    if fault == "429":
        assert 100 < wait <= 121
        assert "rate limited" in state.last_error
    else:
        assert 1 < wait <= 6  # first backoff: 2.5-5 s with jitter
    # the other source is unaffected, and the failing one recovers on its next try
    assert poller.poll(other).loaded == 3
    assert poller.poll(monitor).loaded == 20
    state = poller.get(monitor.id).state
    assert state.failures == 0 and state.last_error is None and state.items == 20


def test_stream_dropped_mid_event_then_rest_catches_up(poller: Any, server: ReplayServer,
                                                       shared_data: Path) -> None:
    lines = [line for line in (shared_data / "mastodon/streaming_public_mastodon.social_48_"
                                              "updates.jsonl").read_text().split("\n") if line]
    statuses = [json.loads(line) for line in lines]
    # the recording kept only the data payloads: re-wrapped as the SSE the server sends,
    # with a heartbeat comment; the connection drops half-way through the 31st event
    events = [f"event: update\ndata: {line}\n\n".encode() for line in lines]
    body = b":thump\n\n" + b"".join(events)
    cut = len(b":thump\n\n" + b"".join(events[:30])) + len(events[30]) // 2
    server.add("/api/v1/streaming/hashtag", Canned(body, cut=cut), Canned(b":thump\n\n"))
    rest_calls = []

    def rest(query: dict[str, str]) -> Canned:
        rest_calls.append(query)
        if len(rest_calls) == 1:
            return Canned(b"[]")  # nothing yet when the source starts
        since = int(query.get("since_id", 0))
        newer = sorted((s for s in statuses if int(s["id"]) > since), key=lambda s: -int(s["id"]))
        return Canned(json.dumps(newer).encode())

    server.route("/api/v1/timelines/tag/ichbinhanna", rest)
    monitor = poller.add("mastodon", server.url, tag="ichbinhanna", stream="yes",
                         stream_seconds="1")
    outcome = poller.poll(monitor)
    assert outcome.error is None and outcome.loaded == 30  # the half event is not taken
    assert poller.get(monitor.id).state.cursor is None  # the stream does not move it
    outcome = poller.poll(monitor)  # REST from the last REST cursor: all 48, 30 again
    assert outcome.error is None and outcome.read == 48
    host = server.url.split("//")[1]
    found = poller.store.post_details([f"mastodon:{host}/{s['id']}" for s in statuses])
    assert len(found) == 48
    assert poller.get(monitor.id).state.cursor == max((s["id"] for s in statuses), key=int)
