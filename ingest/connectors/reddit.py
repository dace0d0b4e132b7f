"""Reddit API: new comments or posts of a subreddit, a search, or the account's mentions.

Items become records through the file parser (:mod:`ingest.reddit`), so keys are the
same fullnames (``t1_…``, ``t3_…``). The cursor is the newest fullname committed; a
poll reads the newest listing page and follows ``after`` back to it, comparing base-36
ids rather than asking ``before=`` (which answers nothing once that item is deleted).
Rate limits: ``x-ratelimit-remaining`` / ``x-ratelimit-reset`` (seconds from now).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import orjson

from graph.model import Record
from ingest import reddit as reddit_file
from ingest.connectors.base import Connector, Option, Poll, PollContext, collect_newer, item_unit

__all__ = ["CONNECTOR"]


def _order(child: Any) -> tuple[int, int] | None:
    """Fullname as a comparable (type, number); None when malformed."""
    data = child.get("data") if isinstance(child, dict) else None
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or "_" not in name:
        return None
    kind, _, ident = name.partition("_")
    try:
        return (int(kind[1:]), int(ident, 36))
    except ValueError:
        return None


def _endpoint(options: dict[str, str]) -> tuple[str, dict[str, Any]]:
    sub = options.get("subreddit", "").removeprefix("r/")
    if options.get("query"):
        path = f"/r/{sub}/search" if sub else "/search"
        return path, {"q": options["query"], "sort": "new", "restrict_sr": 1 if sub else None}
    if options.get("mentions"):
        return "/message/mentions", {}
    if not sub:
        raise ValueError("give --subreddit, --query or --mentions yes")
    return (f"/r/{sub}/new" if options.get("posts") else f"/r/{sub}/comments"), {}


def _records(child: Any, source_file: str, n: int) -> list[Record]:
    return reddit_file.parse_line(orjson.dumps(child).decode(), n, source_file)


def poll(ctx: PollContext) -> Poll:
    """Listing items newer than the cursor, oldest first."""
    path, params = _endpoint(ctx.options)
    since = _order({"data": {"name": ctx.cursor}}) if ctx.cursor else None

    def pages() -> Iterator[list[tuple[Any, Any]]]:
        after: str | None = None
        while True:
            reply = ctx.http.get(path, {**params, "limit": 100, "raw_json": 1, "after": after})
            listing = reply.body.get("data") if isinstance(reply.body, dict) else None
            if not isinstance(listing, dict) or not isinstance(listing.get("children"), list):
                raise ValueError(f"{reply.url}: not a Listing")
            yield [(_order(c), c) for c in listing["children"]]
            after = listing.get("after")
            if not after:
                return

    items, newest, reached = collect_newer(pages(), since, ctx.max_pages)
    units = [item_unit(n, c, partial(_records, source_file=ctx.source_file, n=n),
                       ctx.source_file) for n, c in enumerate(items, start=1)]
    cursor = ctx.cursor
    if newest is not None and newest != since:
        cursor = next(c for c in items if _order(c) == newest)["data"]["name"]
    return Poll(units, cursor, gap=not reached)


CONNECTOR = Connector(
    kind="reddit", platform="reddit",
    summary="Reddit: new comments (or --posts yes) of --subreddit, a --query, "
            "or --mentions yes of the token's account.",
    options=(Option("subreddit", "Subreddit name."), Option("query", "Search terms."),
             Option("posts", "'yes': new posts instead of comments."),
             Option("mentions", "'yes': the account's username mentions.")),
    base_url="https://oauth.reddit.com", base_url_setting="reddit_url",
    credentials=("reddit_token",),
    auth=lambda c: {"Authorization": f"Bearer {c['reddit_token']}"},
    poll=poll,
)
