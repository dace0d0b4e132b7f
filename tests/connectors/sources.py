"""Replayed platforms for end-to-end tests: recorded bodies served like the real APIs
page them (cursors honoured), so a poller can read them back to front."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.connectors.replay import Canned, ReplayServer
from tests.connectors.test_mastodon import tag_timeline

__all__ = ["serve_four_platforms"]

EMPTY_LISTING = json.dumps({"kind": "Listing", "data": {"children": [], "after": None}})


def serve_four_platforms(server: ReplayServer, data: Path, *, delay: float = 0.0,
                         extra_statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Mastodon (tag timeline, 160 statuses), Reddit (100 comments), Discourse (50 posts),
    Bluesky (100 search results); ``delay`` seconds before every answer."""
    statuses = tag_timeline(server, data, extra=extra_statuses)
    mastodon = server.routes["/api/v1/timelines/tag/ichbinhanna"]
    assert callable(mastodon)

    def slow_mastodon(query: dict[str, str]) -> Canned:
        answer = mastodon(query)
        answer.delay = delay
        return answer

    server.route("/api/v1/timelines/tag/ichbinhanna", slow_mastodon)
    reddit = (data / "reddit-api/r_askreddit_comments_limit100.json").read_bytes()
    server.route("/r/askreddit/comments", lambda q: Canned(
        EMPTY_LISTING.encode() if q.get("after") else reddit, delay=delay))
    posts = json.loads((data / "discourse/posts.json").read_text())["latest_posts"]

    def discourse(query: dict[str, str]) -> Canned:
        before = int(query.get("before", 1 << 60))
        page = [p for p in posts if p["id"] < before]
        return Canned(json.dumps({"latest_posts": page}).encode(), delay=delay)

    server.route("/posts.json", discourse)
    bluesky = (data / "bluesky/searchPosts_q-rstats_limit100.json").read_bytes()
    server.route("/xrpc/app.bsky.feed.searchPosts", lambda q: Canned(
        b'{"posts": []}' if q.get("cursor") else bluesky, delay=delay))
    return {"statuses": statuses, "reddit": json.loads(reddit)["data"]["children"],
            "discourse": posts, "bluesky": json.loads(bluesky)["posts"]}


def add_four_monitors(db: Path, url: str) -> None:
    """The four sources of :func:`serve_four_platforms`, as ``scrm monitor add`` makes them."""
    from ingest.connectors.state import MonitorFile

    monitors = MonitorFile.beside(db)
    monitors.add("mastodon", {"tag": "ichbinhanna"}, url, 60.0)
    monitors.add("reddit", {"subreddit": "askreddit"}, url, 60.0)
    monitors.add("discourse", {}, url, 60.0)
    monitors.add("bluesky", {"query": "rstats"}, url, 60.0)
