"""Reddit: comments (t1) and submissions (t3), one JSON object per line.

Accepted shapes: the bare ``data`` object of the API (as in PRAW recordings),
the wrapped ``{"kind": "t1", "data": {...}}`` form, and Pushshift-style dump lines
(same fields, ``name`` sometimes missing: the fullname is then derived from
``id``). Post ids are fullnames (``t1_…``, ``t3_…``) so ``parent_id`` maps onto
them; ``link_id`` (the submission) is the conversation. Deleted authors keep
the handle ``[deleted]`` so their posts are not lost; analytics ignore that
account. ``u/name`` references in the text are mentions.

Reddit API responses saved as files are read too: a ``Listing`` (a subreddit's or a
user's posts, an inbox; on one line or pretty-printed) and a thread
(``/comments/<id>``: an array of two Listings, replies nested in each comment).
Their comments and submissions are taken one by one (:func:`document_items`); the
"more" stubs (ids of comments the response left out) are not posts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from graph.model import Account, Post, PostKind, Record, Reject
from ingest.jsonline import json_object

__all__ = ["document_items", "parse_line", "parse_lines"]

PLATFORM = "reddit"
_MENTION = re.compile(r"(?<![\w/])/?u/([A-Za-z0-9_-]{3,20})")
_DELETED = ("[deleted]", "[removed]", "")
_THING_KINDS = {"t2": "an account", "t4": "a private message", "t5": "a subreddit",
                "t6": "an award"}


def document_items(document: Any, _path: object = None) -> Iterator[Any]:
    """The comments and submissions in a saved API response (a Listing, a thread's
    array of Listings, a single thing), depth first, each without its nested replies;
    other things (messages, accounts) are given as they are, for the parser to name."""
    if isinstance(document, list):
        for item in document:
            yield from document_items(item)
        return
    if not isinstance(document, dict):
        yield document
        return
    kind, data = document.get("kind"), document.get("data")
    if kind == "Listing" and isinstance(data, dict):
        for child in data.get("children") or []:
            yield from document_items(child)
        return
    if kind == "more":
        return
    if kind in ("t1", "t3") and isinstance(data, dict):
        replies = data.get("replies")
        yield {"kind": kind, "data": {k: v for k, v in data.items() if k != "replies"}}
        if isinstance(replies, dict):
            yield from document_items(replies)
        return
    yield document


def parse_line(text: str, line_no: int, source_file: str) -> list[Record]:
    """The records one line gives, or a single :class:`Reject` saying why not."""
    def reject(reason: str, field: str | None = None) -> list[Record]:
        return [Reject(source_file, line_no, reason, text, field)]

    obj, problem = json_object(text)
    if obj is None:
        return reject(problem or "unreadable line")
    kind = obj.get("kind")
    if kind in ("t1", "t3") and isinstance(obj.get("data"), dict):
        obj = obj["data"]
    elif kind == "Listing" or kind == "more":
        return _listing(obj, line_no, source_file)
    elif kind in _THING_KINDS:
        return reject(f"{_THING_KINDS[kind]} ({kind}), not a comment or submission; "
                      "not loaded")
    is_comment = "body" in obj or kind == "t1" or str(obj.get("name", "")).startswith("t1_")
    is_submission = not is_comment and ("title" in obj or str(obj.get("name", ""))
                                        .startswith("t3_"))
    if not (is_comment or is_submission):
        if "id_str" in obj or "author_id" in obj or "data" in obj:
            return reject("not a Reddit object: looks like Twitter data "
                          "(use 'scrm ingest twitter')")
        return reject("not a Reddit comment or submission: no 'body' or 'title'")
    raw_id = obj.get("id")
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        if not isinstance(raw_id, str) or not raw_id:
            return reject("missing required field 'id'", "id")
        name = ("t1_" if is_comment else "t3_") + raw_id
    created = obj.get("created_utc", obj.get("created"))
    if isinstance(created, str):
        try:
            created = float(created)
        except ValueError:
            return reject(f"field 'created_utc' is not a number: {created!r}", "created_utc")
    if not isinstance(created, int | float) or isinstance(created, bool):
        return reject("missing required field 'created_utc'", "created_utc")
    author = obj.get("author")
    if author is not None and not isinstance(author, str):
        return reject("field 'author' must be a string", "author")
    author = "[deleted]" if author in _DELETED or author is None else author
    body = obj.get("body") if is_comment else obj.get("selftext")
    if body is not None and not isinstance(body, str):
        return reject(f"field '{'body' if is_comment else 'selftext'}' must be a string",
                      "body" if is_comment else "selftext")
    title = obj.get("title") if is_submission else None
    score = obj.get("score")
    score = score if isinstance(score, int) and not isinstance(score, bool) else None
    text_body = body or ""
    if is_comment:
        parent = obj.get("parent_id")
        link = obj.get("link_id")
        if not isinstance(parent, str) or not parent:
            return reject("missing required field 'parent_id'", "parent_id")
        post = Post(platform=PLATFORM, post_id=name, author_handle=author,
                    created_at=datetime.fromtimestamp(float(created), tz=UTC), text=text_body,
                    kind=PostKind.COMMENT, parent_id=parent,
                    conversation_id=link if isinstance(link, str) and link else None,
                    url=_url(obj), score=score,
                    mentions=_mentions(text_body, author))
    else:
        full = f"{title}\n\n{text_body}".strip() if title else text_body
        post = Post(platform=PLATFORM, post_id=name, author_handle=author,
                    created_at=datetime.fromtimestamp(float(created), tz=UTC), text=full,
                    title=title, kind=PostKind.POST, conversation_id=name, url=_url(obj),
                    score=score, replies=obj.get("num_comments") if isinstance(
                        obj.get("num_comments"), int) else None,
                    mentions=_mentions(full, author))
    records: list[Record] = [post, Account(platform=PLATFORM, handle=author,
                                           user_id=obj.get("author_fullname") or None)]
    records.extend(Account(platform=PLATFORM, handle=m) for m in post.mentions)
    return records


def _listing(obj: dict[str, Any], line_no: int, source_file: str) -> list[Record]:
    """A Listing on one line: its comments and submissions, each one rejected only as a
    warning (the rest of the line is kept)."""
    records: list[Record] = []
    for n, item in enumerate(document_items(obj), start=1):
        for r in parse_line(json.dumps(item), line_no, source_file):
            if isinstance(r, Reject):
                r = Reject(r.source_file, r.line, f"item {n} of the Listing: {r.reason}",
                           r.raw, r.field, warning=True)
            records.append(r)
    if not any(not isinstance(r, Reject) for r in records):
        return [Reject(source_file, line_no, "a Listing with no comments or submissions",
                       json.dumps(obj)[:1000])]
    return records


def _url(obj: dict[str, Any]) -> str | None:
    permalink = obj.get("permalink")
    if isinstance(permalink, str) and permalink:
        return "https://www.reddit.com" + permalink if permalink.startswith("/") else permalink
    return obj.get("url") if isinstance(obj.get("url"), str) else None


def _mentions(text: str, author: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for m in _MENTION.findall(text or "")
                               if m.lower() != author.lower()))


def parse_lines(lines: Iterable[str], source_file: str) -> Iterator[Record]:
    for n, line in enumerate(lines, start=1):
        if line.strip():
            yield from parse_line(line, n, source_file)
