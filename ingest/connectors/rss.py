"""RSS and Atom feeds (blogs, forum feeds, comment feeds), read with feedparser.

An entry is keyed by its ``id``/``guid`` (else its link) under the platform name given
(``--platform``, default ``rss``); its author is the entry's author (``@`` and spaces
dropped), else the feed's host. A comments feed (``--comments-of URL``) makes every
entry a reply to that post. The cursor is the newest entry time committed (not past the
poll's time: a misdated entry must not hide later ones); a feed holds only its latest
entries, so when even its oldest is newer than the cursor the state records a possible
gap.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from graph.model import Account, Post, PostKind, Record
from ingest.connectors.base import Connector, Option, Poll, PollContext, item_unit
from ingest.connectors.mastodon import _plain

__all__ = ["CONNECTOR", "entry_records"]


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def entry_records(entry: Any, platform: str, host: str, parent: str | None) -> list[Record]:
    """One feed entry as a post and its author."""
    ident = entry.get("id") or entry.get("link")
    if not ident:
        raise ValueError("entry has neither 'id'/'guid' nor 'link'")
    when = _when(entry)
    if when is None:
        raise ValueError("entry has no 'published' or 'updated' time")
    author = str(entry.get("author") or host).lstrip("@").strip().replace(" ", "_") or host
    content = entry.get("content") or []
    body = content[0].get("value", "") if content else entry.get("summary", "")
    title = entry.get("title") or None
    text = _plain(str(body))
    return [Account(platform=platform, handle=author),
            Post(platform=platform, post_id=str(ident), author_handle=author, created_at=when,
                 text=f"{title}\n\n{text}".strip() if title and not parent else text,
                 title=title if not parent else None,
                 kind=PostKind.COMMENT if parent else PostKind.POST,
                 url=entry.get("link"), parent_id=parent,
                 conversation_id=parent or str(ident),
                 hashtags=tuple(t.get("term", "") for t in entry.get("tags") or []
                                if t.get("term")))]


def poll(ctx: PollContext) -> Poll:
    """Entries not older than the cursor, oldest first."""
    import feedparser  # here, not at the top: every CLI start imports the registry

    reply = ctx.http.get(ctx.options.get("path", ""), raw=True)
    # bytes: feedparser finds the encoding (HTTP charset, else the XML declaration)
    feed = feedparser.parse(reply.body, response_headers={
        k: v for k, v in reply.headers.items() if k == "content-type"})
    if feed.bozo and not feed.entries:
        raise ValueError(f"not a readable feed: {feed.get('bozo_exception')!r}")
    platform = ctx.options.get("platform", "rss")
    host = urlsplit(ctx.http.base_url).netloc
    parent = ctx.options.get("comments_of")
    since = datetime.fromisoformat(ctx.cursor) if ctx.cursor else None
    dated = [(_when(e), e) for e in feed.entries]
    kept = [(w, e) for w, e in dated if w is None or since is None or w >= since]
    kept.sort(key=lambda we: we[0] or datetime.min.replace(tzinfo=UTC))
    times = [w for w, _ in dated if w is not None]
    # not past now: an entry dated years ahead would hide every entry published until then
    now = datetime.now(UTC)
    newest = max((w for w in times if w <= now), default=since)
    gap = since is not None and bool(times) and min(times) > since
    units = [item_unit(n, dict(e), lambda e: entry_records(e, platform, host, parent),
                       ctx.source_file) for n, (_, e) in enumerate(kept, start=1)]
    return Poll(units, newest.isoformat() if newest else None, gap=gap)


CONNECTOR = Connector(
    kind="rss", platform="rss",
    summary="An RSS or Atom feed (--url https://site/feed.xml).",
    options=(Option("platform", "Platform name in keys.", default="rss"),
             Option("comments_of", "Post id these entries comment on (a comments feed)."),
             Option("path", "Path appended to --url (when --url is a site).")),
    base_url=None, base_url_setting=None, poll=poll,
)
