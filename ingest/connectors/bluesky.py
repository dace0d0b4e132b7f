"""Bluesky (AT Protocol): a search, an account's feed, the account's mentions, a thread.

Posts are keyed by their ``at://`` URI (``bluesky:at://did/app.bsky.feed.post/rkey``), so
``record.reply.parent.uri`` maps onto them; accounts by handle, with the DID kept as
the user id. Mentions come from ``app.bsky.richtext.facet#mention`` facets (the handle
is the text the facet spans); a quote is a post embedding another post's record.
The cursor is the newest ``indexedAt`` committed; a poll pages back with the XRPC
``cursor`` to it. Rate limits: ``RateLimit-Remaining`` / ``RateLimit-Reset`` (epoch).

:func:`jetstream_records` reads a Jetstream event (a post create), keyed the same way
(its author is known only by DID there, so the account handle is the DID).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from graph.model import Account, Post, PostKind, Record
from ingest.connectors.base import (
    Connector,
    Option,
    Poll,
    PollContext,
    collect_newer,
    item_unit,
    parse_time,
)
from ingest.connectors.http import SourceUnavailable
from ingest.loader import Unit

__all__ = ["CONNECTOR", "jetstream_records", "post_records"]

PLATFORM = "bluesky"
_MENTION = "app.bsky.richtext.facet#mention"


def _mentions(record: dict[str, Any]) -> list[str]:
    text = str(record.get("text") or "").encode("utf-8")
    found = []
    for facet in record.get("facets") or []:
        if not isinstance(facet, dict):
            continue
        if any(isinstance(f, dict) and f.get("$type") == _MENTION
               for f in facet.get("features") or []):
            index = facet.get("index") or {}
            span = text[int(index.get("byteStart", 0)):int(index.get("byteEnd", 0))]
            handle = span.decode("utf-8", "replace").lstrip("@").strip()
            if handle:
                found.append(handle)
    return found


def _quoted(record: dict[str, Any]) -> str | None:
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return None
    inner = embed.get("record")
    if isinstance(inner, dict) and isinstance(inner.get("record"), dict):
        inner = inner["record"]  # recordWithMedia
    uri = inner.get("uri") if isinstance(inner, dict) else None
    return uri if isinstance(uri, str) and "/app.bsky.feed.post/" in uri else None


def _post(uri: str, handle: str, record: dict[str, Any], view: dict[str, Any]) -> Post:
    text = record.get("text", "")
    if not isinstance(text, str):
        raise ValueError("field 'record.text' must be a string")
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
    parent = (reply.get("parent") or {}).get("uri") if reply else None
    root = (reply.get("root") or {}).get("uri") if reply else None
    quoted = _quoted(record)
    kind = PostKind.REPLY if parent else PostKind.QUOTE if quoted else PostKind.POST
    rkey = uri.rsplit("/", 1)[-1]
    return Post(
        platform=PLATFORM, post_id=uri, author_handle=handle,
        created_at=parse_time(record.get("createdAt"), "record.createdAt"), text=text, kind=kind,
        url=f"https://bsky.app/profile/{handle}/post/{rkey}", parent_id=parent,
        conversation_id=root or uri, mentions=tuple(dict.fromkeys(_mentions(record))),
        shared_id=quoted, lang=(record.get("langs") or [None])[0],
        likes=view.get("likeCount"), replies=view.get("replyCount"),
        reposts=(view.get("repostCount") or 0) + (view.get("quoteCount") or 0)
        if view.get("repostCount") is not None else None)


def _opened(value: Any) -> datetime | None:
    """When an account was opened (a profile's ``createdAt``; optional)."""
    try:
        return parse_time(value, "author.createdAt")
    except ValueError:
        return None


def post_records(view: dict[str, Any]) -> list[Record]:
    """A PostView (or a notification, same fields) as its post and accounts."""
    uri = view["uri"]
    author = view["author"]
    if not isinstance(uri, str) or not isinstance(author, dict) or not author.get("handle"):
        raise ValueError("field 'uri' or 'author.handle' is missing")
    record = view.get("record")
    if not isinstance(record, dict):
        raise ValueError("field 'record' is missing")
    post = _post(uri, author["handle"], record, view)
    out: list[Record] = [Account(platform=PLATFORM, handle=author["handle"],
                                 user_id=author.get("did"),
                                 display_name=author.get("displayName") or None,
                                 created_at=_opened(author.get("createdAt")))]
    out.extend(Account(platform=PLATFORM, handle=m) for m in post.mentions)
    out.append(post)
    return out


def jetstream_records(event: dict[str, Any]) -> list[Record]:
    """A Jetstream event as records: a post create gives a post; anything else nothing."""
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict) \
            or commit.get("collection") != "app.bsky.feed.post" \
            or commit.get("operation") != "create":
        return []
    did = event["did"]
    uri = f"at://{did}/app.bsky.feed.post/{commit['rkey']}"
    post = _post(uri, did, commit["record"], {})
    return [Account(platform=PLATFORM, handle=did, user_id=did),
            *(Account(platform=PLATFORM, handle=m) for m in post.mentions), post]


def _key(value: Any) -> datetime | None:
    try:
        return parse_time(value, "indexedAt")
    except ValueError:
        return None


def _thread_views(node: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(node, dict):
        return
    if isinstance(node.get("post"), dict):
        yield node["post"]
    yield from _thread_views(node.get("parent"))
    for child in node.get("replies") or []:
        yield from _thread_views(child)


def _refused(exc: SourceUnavailable, source: str) -> SourceUnavailable:
    """A refusal is never of the stored cursor: it is not sent (the XRPC ``cursor`` only
    pages within a poll), so an HTTP 400 (e.g. an expired access token, XRPC error
    ``ExpiredToken``) keeps it."""
    name = (exc.problem() or {}).get("error")
    if name in ("ExpiredToken", "InvalidToken"):
        return SourceUnavailable(f"{source} refused the credentials ({name}); "
                                 "check the token in the environment")
    return SourceUnavailable(exc.reason, exc.retry_at)


def poll(ctx: PollContext) -> Poll:
    """Posts newer than the cursor, oldest first (a thread: all of it, every time)."""
    o = ctx.options
    if o.get("thread"):
        reply = ctx.http.get("/xrpc/app.bsky.feed.getPostThread",
                             {"uri": o["thread"], "depth": 1000, "parentHeight": 1000})
        views = list(_thread_views(reply.body.get("thread")))
        views.sort(key=lambda v: str((v.get("record") or {}).get("createdAt", "")))
        return Poll([item_unit(n, v, post_records, ctx.source_file)
                     for n, v in enumerate(views, start=1)], ctx.cursor)
    if o.get("query"):
        path, params, key = "/xrpc/app.bsky.feed.searchPosts", \
            {"q": o["query"], "sort": "latest"}, "posts"
    elif o.get("actor"):
        path, params, key = "/xrpc/app.bsky.feed.getAuthorFeed", {"actor": o["actor"]}, "feed"
    elif o.get("mentions"):
        path, params, key = "/xrpc/app.bsky.notification.listNotifications", {}, \
            "notifications"
    else:
        raise ValueError("give --query, --actor, --thread or --mentions yes")
    since = _key(ctx.cursor) if ctx.cursor else None

    def pages() -> Iterator[list[tuple[Any, Any]]]:
        cursor: str | None = None
        while True:
            body = ctx.http.get(path, {**params, "limit": 100, "cursor": cursor}).body
            page: list[tuple[Any, Any]] = []
            for item in body.get(key) or []:
                if key == "feed" and isinstance(item, dict):
                    # the feed item's time is the repost's when it is one
                    stamp = (item.get("reason") or {}).get("indexedAt") or \
                        (item.get("post") or {}).get("indexedAt")
                    page.append((_key(stamp), item))
                elif key == "notifications" and isinstance(item, dict) \
                        and item.get("reason") not in ("mention", "reply", "quote"):
                    page.append((_key(item.get("indexedAt")), None))
                else:
                    page.append((_key(item.get("indexedAt") if isinstance(item, dict)
                                      else None), item))
            yield page
            cursor = body.get("cursor")
            if not cursor:
                return

    items, newest, reached = collect_newer(pages(), since, ctx.max_pages, inclusive=True)
    units: list[Unit] = []
    for item in items:
        if item is None:
            continue
        if key != "feed" or not isinstance(item, dict):  # a post, or a malformed feed item
            units.append(item_unit(len(units) + 1, item, post_records, ctx.source_file))
            continue
        shown: list[Any] = [
            *(v for v in ((item.get("reply") or {}).get("root"),
                          (item.get("reply") or {}).get("parent"))
              if isinstance(v, dict) and v.get("$type", "").endswith("postView")),
            item.get("post")]
        for view in shown:
            units.append(item_unit(len(units) + 1, view, post_records, ctx.source_file))
    return Poll(units, newest.isoformat() if newest is not None else None, gap=not reached)


CONNECTOR = Connector(
    kind="bluesky", platform=PLATFORM,
    summary="Bluesky: a search (--query), an account's feed (--actor), a thread "
            "(--thread at://…), or the token's account's mentions and replies.",
    options=(Option("query", "Search terms."), Option("actor", "Handle or DID."),
             Option("thread", "at:// URI of a thread's post."),
             Option("mentions", "'yes': the account's mentions, replies and quotes.")),
    base_url="https://public.api.bsky.app", base_url_setting="bluesky_url",
    credentials=("bluesky_token",),
    auth=lambda c: {"Authorization": f"Bearer {c['bluesky_token']}"},
    poll=poll, refused=_refused,
)
