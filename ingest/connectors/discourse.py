"""Discourse forums: the latest posts, with their reply structure.

A post is keyed ``discourse:<host>/t/<topic>/<post_number>``, so
``reply_to_post_number`` maps onto its parent in the same topic (a post without one
replies to the topic's first post); the conversation is the topic's first post.
Accounts are ``username@host`` (forums share no user space). The cursor is the
highest post id committed; ``/posts.json`` lists posts newest first and pages with
``before=<id>``. Credentials (optional, for private forums): ``Api-Key`` and
``Api-Username`` headers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

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
from ingest.connectors.mastodon import _plain

__all__ = ["CONNECTOR", "post_records"]

PLATFORM = "discourse"


def post_records(post: dict[str, Any], host: str, base_url: str) -> list[Record]:
    """One post of ``/posts.json`` or a topic's ``post_stream`` as records."""
    topic, number, username = post["topic_id"], post["post_number"], post["username"]
    if not isinstance(username, str) or not username:
        raise ValueError("field 'username' is missing")
    handle = f"{username}@{host}"
    prefix = f"{host}/t/{topic}"
    parent = post.get("reply_to_post_number") or (1 if number != 1 else None)
    text = post.get("raw") or _plain(post.get("cooked") or "")
    title = post.get("topic_title") if number == 1 else None
    mentions = [f"{m}@{host}" for m in post.get("mentioned_users") or []
                if isinstance(m, str)]
    reply_to = post.get("reply_to_user")
    out: list[Record] = [Account(platform=PLATFORM, handle=handle,
                                 user_id=str(post.get("user_id") or "") or None,
                                 display_name=post.get("name") or None)]
    if isinstance(reply_to, dict) and reply_to.get("username"):
        out.append(Account(platform=PLATFORM, handle=f"{reply_to['username']}@{host}"))
    out.extend(Account(platform=PLATFORM, handle=m) for m in mentions)
    out.append(Post(
        platform=PLATFORM, post_id=f"{prefix}/{number}", author_handle=handle,
        created_at=parse_time(post.get("created_at")),
        text=f"{title}\n\n{text}".strip() if title else text, title=title,
        kind=PostKind.REPLY if parent else PostKind.POST,
        url=base_url + post["post_url"] if isinstance(post.get("post_url"), str)
        else f"{base_url}/t/{topic}/{number}",
        parent_id=f"{prefix}/{parent}" if parent else None, conversation_id=f"{prefix}/1",
        mentions=tuple(dict.fromkeys(mentions)), likes=None,
        replies=post.get("reply_count"), score=None))
    return out


def _order(post: Any) -> int | None:
    ident = post.get("id") if isinstance(post, dict) else None
    return ident if isinstance(ident, int) and not isinstance(ident, bool) else None


def poll(ctx: PollContext) -> Poll:
    """Posts newer than the cursor, oldest first."""
    host = urlsplit(ctx.http.base_url).netloc
    since = int(ctx.cursor) if ctx.cursor else None
    topic = ctx.options.get("topic")

    def pages() -> Iterator[list[tuple[Any, Any]]]:
        if topic:  # one topic: its newest posts (a thread followed closely)
            # /t/ID/posts.json alone answers the topic's *first* posts: start from its
            # last page (ending at its newest post), then the posts before, newest first
            number: int | None = None
            while True:
                body = ctx.http.get(f"/t/{topic}/last.json").body if number is None else \
                    ctx.http.get(f"/t/{topic}/posts.json", {"post_number": number}).body
                posts = (body.get("post_stream") or {}).get("posts") or []
                yield sorted(((_order(p), p) for p in posts),
                             key=lambda kp: -(kp[0] or 0))
                numbers = [p["post_number"] for p in posts if isinstance(p, dict)
                           and isinstance(p.get("post_number"), int)]
                if not numbers or (number is not None and min(numbers) >= number):
                    return
                number = min(numbers)
        before: int | None = None
        while True:
            body = ctx.http.get("/posts.json", {"before": before}).body
            posts = body.get("latest_posts") or []
            page = [(_order(p), p) for p in posts]
            yield page
            ids = [k for k, _ in page if k is not None]
            if not ids or (before is not None and min(ids) >= before):
                return
            before = min(ids)

    items, newest, reached = collect_newer(pages(), since, ctx.max_pages)
    units = [item_unit(n, p, lambda p: post_records(p, host, ctx.http.base_url),
                       ctx.source_file) for n, p in enumerate(items, start=1)]
    return Poll(units, str(newest) if newest is not None else None, gap=not reached)


CONNECTOR = Connector(
    kind="discourse", platform=PLATFORM,
    summary="A Discourse forum (--url): its latest posts, or one --topic.",
    options=(Option("topic", "Topic id: follow only this topic."),),
    base_url=None, base_url_setting="discourse_url",
    credentials=("discourse_api_key", "discourse_api_username"),
    auth=lambda c: {"Api-Key": c.get("discourse_api_key", ""),
                    "Api-Username": c.get("discourse_api_username", "system")},
    poll=poll,
)
