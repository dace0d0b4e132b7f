"""The generic interaction format: one JSON object per line, for any channel.

Facebook, blogs, review sites, support tickets, app-store reviews: whatever a
company can export, it can turn into these lines and scrm treats them like any
other platform. Fields:

=================  ========  ==================================================
field              required  meaning
=================  ========  ==================================================
``platform``       yes       channel name, e.g. ``facebook``, ``trustpilot``
``id``             yes       the interaction's id on that channel (string)
``author``         yes       the author's handle on that channel
``text``           no        what was said
``time``           yes       ISO 8601 time (``2026-09-01T10:00:00Z``) or epoch s
``reply_to``       no        id of the interaction this one answers
``conversation``   no        id of the thread's first interaction
``mentions``       no        list of handles named in it
``url``            no        link to it
``kind``           no        post | reply | comment | share | quote (default:
                             reply when ``reply_to`` is set, else post)
``title``          no        a title (reviews, blog posts, tickets)
``author_name``    no        display name of the author
``followers``      no        the author's audience size
``accepted``       no        true when this answer was accepted by the asker
=================  ========  ==================================================

Example::

    {"platform": "trustpilot", "id": "r-981", "author": "jo_k", "time": "2026-09-03T08:00:00Z",
     "title": "Great bikes", "text": "Three months in and no issues."}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from graph.model import Account, Post, PostKind, Record, Reject
from ingest.jsonline import json_object

__all__ = ["parse_line", "parse_lines"]

_REQUIRED = ("platform", "id", "author", "time")


def _time(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string or epoch seconds")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise TypeError(name)
    return str(value)


def parse_line(text: str, line_no: int, source_file: str) -> list[Record]:
    """The records of one generic line, or one Reject naming the problem."""
    def reject(reason: str, field: str | None = None) -> list[Record]:
        return [Reject(source_file, line_no, reason, text, field)]

    obj, problem = json_object(text)
    if obj is None:
        return reject(problem or "unreadable line")
    for name in _REQUIRED:
        if obj.get(name) in (None, ""):
            return reject(f"missing required field {name!r}", name)
    try:
        platform = str(_text(obj, "platform")).strip().lower()
        post_id = str(_text(obj, "id"))
        author = str(_text(obj, "author"))
    except TypeError as exc:
        return reject(f"field {exc.args[0]!r} must be a string", exc.args[0])
    try:
        created = _time(obj["time"])
    except (ValueError, OverflowError, OSError) as exc:
        return reject(f"field 'time' is not a time: {exc}", "time")
    mentions = obj.get("mentions") or []
    if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
        return reject("field 'mentions' must be a list of handles", "mentions")
    followers = obj.get("followers")
    if followers is not None and (not isinstance(followers, int) or isinstance(followers, bool)):
        return reject("field 'followers' must be an integer", "followers")
    try:
        reply_to = _text(obj, "reply_to")
        conversation = _text(obj, "conversation")
        body = _text(obj, "text") or ""
        title = _text(obj, "title")
        url = _text(obj, "url")
    except TypeError as exc:
        return reject(f"field {exc.args[0]!r} must be a string", exc.args[0])
    kind_value = obj.get("kind") or ("reply" if reply_to else "post")
    try:
        kind = PostKind(kind_value)
    except ValueError:
        return reject(f"field 'kind' must be one of {', '.join(k.value for k in PostKind)}",
                      "kind")
    post = Post(platform=platform, post_id=post_id, author_handle=author, created_at=created,
                text=body, kind=kind, url=url, parent_id=reply_to,
                conversation_id=conversation or None, mentions=tuple(mentions), title=title,
                accepted=bool(obj.get("accepted", False)))
    account = Account(platform=platform, handle=author,
                      display_name=_text(obj, "author_name"), followers=followers)
    extra: list[Record] = [Account(platform=platform, handle=m) for m in mentions]
    return [post, account, *extra]


def parse_lines(lines: Iterable[str], source_file: str) -> Iterator[Record]:
    for n, line in enumerate(lines, start=1):
        if line.strip():
            yield from parse_line(line, n, source_file)
