"""Mastodon (any instance): a hashtag timeline, a search, or the account's mentions.

Statuses are keyed ``mastodon:<host>/<id>`` (ids are per instance; the host is the
one polled, so ``in_reply_to_id`` maps onto the same key space); accounts by their
full ``user@host`` address (a local account's ``acct`` has no host: the polled one
is added). The cursor is the highest status id committed; a poll asks for
``since_id`` and follows ``Link: rel="next"`` back to it. :func:`sse_events` reads
the streaming API's server-sent events (an event cut off mid-way is not returned).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from graph.model import Account, Post, PostKind, Record
from ingest.connectors.base import Connector, Option, Poll, PollContext, item_unit, parse_time

__all__ = ["CONNECTOR", "sse_events", "status_records", "stream_statuses"]

PLATFORM = "mastodon"
_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p>", re.I)
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


def _plain(content: str) -> str:
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", content or ""))).strip()


def _acct(account: dict[str, Any], host: str) -> str:
    acct = account["acct"]
    if not isinstance(acct, str) or not acct:
        raise ValueError("field 'account.acct' is missing")
    return acct if "@" in acct else f"{acct}@{host}"


def _opened(value: Any) -> datetime | None:
    """When an account was opened (optional: None when absent or unreadable)."""
    try:
        return parse_time(value, "account.created_at")
    except ValueError:
        return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _app(application: Any) -> str | None:
    """The app a status was posted from (Mastodon shows it for some statuses only)."""
    name = application.get("name") if isinstance(application, dict) else None
    return name.strip() or None if isinstance(name, str) else None


def status_records(status: dict[str, Any], host: str) -> list[Record]:
    """A status (and the status it boosts) as posts and accounts."""
    out: list[Record] = []
    author = status.get("account")
    if not isinstance(author, dict):
        raise ValueError("field 'account' is missing")
    handle = _acct(author, host)
    out.append(Account(platform=PLATFORM, handle=handle, user_id=str(author.get("id") or "")
                       or None, display_name=author.get("display_name") or None,
                       followers=author.get("followers_count"),
                       description=_plain(author.get("note") or "") or None,
                       created_at=_opened(author.get("created_at")),
                       following=_count(author.get("following_count")),
                       client=_app(status.get("application"))))
    status_id = status.get("id")
    if not isinstance(status_id, str) or not status_id:
        raise ValueError("field 'id' is missing")
    kind, parent, shared = PostKind.POST, None, None
    boosted = status.get("reblog")
    if isinstance(boosted, dict):
        out.extend(status_records(boosted, host))
        kind, shared = PostKind.SHARE, f"{host}/{boosted['id']}"
    elif status.get("in_reply_to_id"):
        kind, parent = PostKind.REPLY, f"{host}/{status['in_reply_to_id']}"
    mentions = []
    for m in status.get("mentions") or []:
        if isinstance(m, dict) and m.get("acct"):
            full = _acct(m, host)
            mentions.append(full)
            out.append(Account(platform=PLATFORM, handle=full, user_id=str(m.get("id") or "")
                               or None))
    out.append(Post(
        platform=PLATFORM, post_id=f"{host}/{status_id}", author_handle=handle,
        created_at=parse_time(status.get("created_at")), text=_plain(status.get("content", "")),
        kind=kind, url=status.get("url") or status.get("uri"), parent_id=parent,
        mentions=tuple(dict.fromkeys(mentions)), shared_id=shared,
        hashtags=tuple(t["name"] for t in status.get("tags") or [] if isinstance(t, dict)
                       and isinstance(t.get("name"), str)),
        lang=status.get("language"), likes=status.get("favourites_count"),
        reposts=status.get("reblogs_count"), replies=status.get("replies_count")))
    return out


def _endpoint(options: dict[str, str]) -> tuple[str, dict[str, Any], str | None]:
    """Path, parameters and the key holding the statuses (None: the body is a list)."""
    if options.get("tag"):
        return f"/api/v1/timelines/tag/{options['tag'].lstrip('#')}", {"limit": 40}, None
    if options.get("query"):
        return "/api/v2/search", {"q": options["query"], "type": "statuses", "limit": 40}, \
            "statuses"
    return "/api/v1/notifications", {"types[]": "mention", "limit": 40}, None


def poll(ctx: PollContext) -> Poll:
    """Statuses newer than the cursor, oldest first."""
    host = urlsplit(ctx.http.base_url).netloc
    path, params, key = _endpoint(ctx.options)
    notifications = path.endswith("/notifications")
    since = int(ctx.cursor) if ctx.cursor else None
    if since is not None:
        params["since_id" if key is None else "min_id"] = str(since)
    found: dict[int, Any] = {}
    newest = since or 0
    url: str | None = path
    pages, reached = 0, since is None
    while url and pages < ctx.max_pages:
        reply = ctx.http.get(url, params if pages == 0 else None)
        pages += 1
        body = reply.body[key] if key else reply.body
        if not isinstance(body, list):
            raise ValueError(f"{reply.url}: expected a list of statuses")
        older = False
        for item in body:
            status = item.get("status") if notifications and isinstance(item, dict) else item
            marker = item.get("id") if isinstance(item, dict) else None
            try:
                number = int(marker) if marker is not None else None
            except (TypeError, ValueError):
                number = None
            if number is None:
                found[-len(found) - 1] = item  # malformed: rejected below, keeps its place
                continue
            if since is not None and number <= since:
                older = True
                continue
            newest = max(newest, number)
            if status is not None:  # a mention whose status was deleted has none
                found[number] = status
        if older or not body:
            reached = True
            break
        match = _NEXT.search(reply.headers.get("link", ""))
        url = match.group(1) if match else None
        if url is None:
            reached = True
    streamed = _stream(ctx) if ctx.options.get("stream") == "yes" else []
    # streamed statuses do not move the cursor: the stream has no way back and its order
    # is not id order, so the next REST catch-up reads from the last REST cursor (what
    # the stream already wrote is written again as nothing new)
    items = [found[k] for k in sorted(found)]
    seen = {s.get("id") for s in items if isinstance(s, dict)}
    items += [s for s in streamed if s.get("id") not in seen]
    units = [item_unit(n, s, lambda s: status_records(s, host), ctx.source_file)
             for n, s in enumerate(items, start=1)]
    return Poll(units, str(newest) if newest else ctx.cursor, gap=not reached)


def _stream(ctx: PollContext) -> list[dict[str, Any]]:
    """Statuses from the streaming API for ``stream_seconds`` (default 20)."""
    return list(stream_statuses(ctx, float(ctx.options.get("stream_seconds") or 20)))


def stream_statuses(ctx: PollContext, seconds: float) -> Iterator[dict[str, Any]]:
    """Statuses from the streaming API as they come, for up to ``seconds`` (a hashtag's
    ``update`` events, or the account's mention notifications)."""
    if ctx.options.get("query"):
        return  # a search has no stream
    if ctx.options.get("tag"):
        path, params = "/api/v1/streaming/hashtag", {"tag": ctx.options["tag"].lstrip("#")}
        wanted = "update"
    else:
        path, params, wanted = "/api/v1/streaming/user/notification", {}, "notification"
    for event, data in sse_events(ctx.http.stream_lines(path, params, seconds)):
        if event != wanted:
            continue
        try:
            obj = orjson.loads(data)
        except ValueError:
            continue  # a malformed event: the next REST catch-up reads that status
        status = obj.get("status") if wanted == "notification" and isinstance(obj, dict) \
            and obj.get("type") == "mention" else obj if wanted == "update" else None
        if isinstance(status, dict):
            yield status


def sse_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` for every complete server-sent event; a block not ended by a
    blank line (the connection dropped mid-event) is dropped, and comments are skipped."""
    event, data = "message", list[str]()
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)


CONNECTOR = Connector(
    kind="mastodon", platform=PLATFORM,
    summary="A Mastodon instance: a hashtag timeline (--tag), a search (--query), "
            "or the token's account's mentions.",
    options=(Option("tag", "Hashtag to follow."), Option("query", "Search terms."),
             Option("stream", "'yes': after each REST catch-up, listen to the streaming API."),
             Option("stream_seconds", "How long each poll listens to the stream.",
                    default="20")),
    base_url="https://mastodon.social", base_url_setting="mastodon_url",
    credentials=("mastodon_token",),
    auth=lambda c: {"Authorization": f"Bearer {c['mastodon_token']}"},
    poll=poll,
)
