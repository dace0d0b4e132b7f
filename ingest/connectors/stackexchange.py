"""Stack Exchange API: questions, answers and comments on a site, by tag.

Keys are those of the data-dump parser (:mod:`ingest.stackexchange`): posts ``p<id>``,
comments ``c<id>``, accounts by numeric user id with the display name kept. A poll
asks for the tag's questions by activity since the cursor (``min`` of
``last_activity_date``), then their answers and comments; the cursor is the newest
activity time committed. The API's own ``backoff`` field (seconds to wait before asking
the same method again) and an exhausted ``quota_remaining`` are honoured like a rate-limit
header: the next page of a method that asked for a backoff waits for it within the poll
(up to ``INLINE_BACKOFF_SECONDS``; longer, the round is given up, nothing committed, and
the source tries again once the wait is over), and the next poll waits for the longest.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.model import Account, Post, PostKind, Record
from ingest.connectors.base import Connector, Option, Poll, PollContext, collect_newer, item_unit
from ingest.connectors.http import SourceUnavailable
from ingest.connectors.mastodon import _plain

__all__ = ["CONNECTOR", "item_records"]

API = "/2.3"


def _owner(item: dict[str, Any]) -> Account:
    owner = item.get("owner") or {}
    if owner.get("user_id") is not None:
        return Account(platform="", handle=str(owner["user_id"]), user_id=str(owner["user_id"]),
                       display_name=html.unescape(owner.get("display_name") or "") or None)
    name = owner.get("display_name")
    return Account(platform="", handle=f"name:{html.unescape(name)}" if name else "[deleted]")


def item_records(item: dict[str, Any], platform: str, question_of: dict[int, int]
                 ) -> list[Record]:
    """A question, answer or comment object (``filter=withbody``) as records."""
    owner = _owner(item)
    author = Account(platform=platform, handle=owner.handle, user_id=owner.user_id,
                     display_name=owner.display_name)
    created = datetime.fromtimestamp(int(item["creation_date"]), UTC)
    body = _plain(item.get("body") or "")
    if "comment_id" in item:
        on = int(item["post_id"])
        post = Post(platform=platform, post_id=f"c{item['comment_id']}",
                    author_handle=author.handle, created_at=created, text=body,
                    kind=PostKind.COMMENT, parent_id=f"p{on}",
                    conversation_id=f"p{question_of.get(on, on)}", score=item.get("score"),
                    url=item.get("link"))
    elif "answer_id" in item:
        question = int(item["question_id"])
        post = Post(platform=platform, post_id=f"p{item['answer_id']}",
                    author_handle=author.handle, created_at=created, text=body,
                    kind=PostKind.REPLY, parent_id=f"p{question}",
                    conversation_id=f"p{question}", score=item.get("score"),
                    accepted=bool(item.get("is_accepted")), url=item.get("link"))
    else:
        activity = item.get("last_activity_date")
        if activity is not None and _activity(item) is None:
            raise ValueError(f"field 'last_activity_date' is not a number: {activity!r}")
        question = int(item["question_id"])
        title = html.unescape(item.get("title") or "")
        post = Post(platform=platform, post_id=f"p{question}", author_handle=author.handle,
                    created_at=created, text=f"{title}\n\n{body}".strip(), title=title or None,
                    kind=PostKind.POST, conversation_id=f"p{question}",
                    score=item.get("score"), replies=item.get("answer_count"),
                    hashtags=tuple(item.get("tags") or ()), url=item.get("link"))
    return [author, post]


def _check(body: Any, url: str) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ValueError(f"{url}: expected an object with 'items'")
    if body.get("quota_remaining") == 0:
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
            hour=0, minute=0, second=0, microsecond=0)
        raise SourceUnavailable("Stack Exchange daily quota used up", tomorrow)


def _activity(question: Any) -> int | None:
    """A question's ``last_activity_date`` (its order key), None when it has none that is
    a number (the question then goes to the rejects file)."""
    value = question.get("last_activity_date") if isinstance(question, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _refused(exc: SourceUnavailable, source: str) -> SourceUnavailable:
    """Stack Exchange answers every error with HTTP 400 and an error object (a throttle
    violation too, saying how many seconds to wait); its time cursor is never the cause,
    so the cursor stays and the source waits as told."""
    error = exc.problem()
    if error is None or "error_id" not in error:
        return exc
    message = " ".join(str(error.get("error_message") or "").split())
    wait = re.search(r"available in (\d+) seconds", message)
    retry_at = datetime.now(UTC) + timedelta(seconds=int(wait.group(1))) if wait else None
    return SourceUnavailable(f"Stack Exchange refused the request: {error.get('error_name')} "
                             f"({message[:160]})", retry_at)


#: longest a poll waits, inline, to ask a method again that answered with ``backoff``
#: (short: ``scrm serve`` polls on the writer's job thread, where a stream's batches wait)
INLINE_BACKOFF_SECONDS = 2.0
_sleep = time.sleep  # (tests move it)
_IDS = re.compile(r"/[0-9;]+(?=/|$)")


def _method(path: str) -> str:
    """The API method of a request path: ``/questions/1;2/answers`` → ``/questions/{ids}/answers``
    (what the API's ``backoff`` applies to)."""
    return _IDS.sub("/{ids}", path)


def poll(ctx: PollContext) -> Poll:
    """Questions active since the cursor, with their answers and comments."""
    site, tag = ctx.options.get("site", "stackoverflow"), ctx.options.get("tag")
    if not tag:
        raise ValueError("give --tag")
    platform = ctx.options.get("platform", "stackexchange")
    since = int(ctx.cursor) if ctx.cursor else None
    backoff = 0
    ready: dict[str, float] = {}  # a method that asked for a backoff: when to ask again

    def get(path: str, **params: Any) -> list[dict[str, Any]]:
        return get_page(path, **params)[0]

    def get_page(path: str, **params: Any) -> tuple[list[dict[str, Any]], bool]:
        nonlocal backoff
        method = _method(path)
        wait = ready.get(method, 0.0) - time.monotonic()
        if wait > INLINE_BACKOFF_SECONDS:
            raise SourceUnavailable(
                f"Stack Exchange asked to wait {wait:.0f} s before asking {method} again",
                datetime.now(UTC) + timedelta(seconds=wait))
        if wait > 0:
            _sleep(wait)
        reply = ctx.http.get(API + path, {"site": site, "filter": "withbody", "pagesize": 100,
                                          "key": ctx.credentials.get("stackexchange_key"),
                                          **params})
        _check(reply.body, reply.url)
        asked = reply.body.get("backoff")
        if isinstance(asked, int) and not isinstance(asked, bool) and asked > 0:
            backoff = max(backoff, asked)
            ready[method] = time.monotonic() + asked
        return list(reply.body["items"]), bool(reply.body.get("has_more"))

    def get_all(path: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page, more = 1, True
        while more:
            items, more = get_page(path, page=page, **params)
            found += items
            page += 1
        return found

    def pages() -> Iterator[list[tuple[Any, Any]]]:
        page = 1
        while True:
            items = get("/questions", tagged=tag, sort="activity", order="desc",
                        min=since, page=page)
            # a malformed time is no order key: the item goes to the rejects file
            yield [(_activity(q), q) for q in items]
            if len(items) < 100:
                return
            page += 1

    questions, newest, reached = collect_newer(pages(), since, ctx.max_pages, inclusive=True)
    ids = [int(q["question_id"]) for q in questions
           if isinstance(q, dict) and isinstance(q.get("question_id"), int)]
    answers: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for start in range(0, len(ids), 100):  # the API takes up to 100 ids a call
        chunk = ";".join(map(str, ids[start:start + 100]))
        answers += get_all(f"/questions/{chunk}/answers", sort="creation", order="asc")
    posts = [*ids, *(int(a["answer_id"]) for a in answers
                     if isinstance(a, dict) and isinstance(a.get("answer_id"), int))]
    for start in range(0, len(posts), 100):
        chunk = ";".join(map(str, posts[start:start + 100]))
        comments += get_all(f"/posts/{chunk}/comments", sort="creation", order="asc")
    question_of = {int(a["answer_id"]): int(a["question_id"]) for a in answers
                   if "answer_id" in a}
    items = [*questions, *answers, *comments]
    units = [item_unit(n, i, lambda i: item_records(i, platform, question_of), ctx.source_file)
             for n, i in enumerate(items, start=1)]
    result = Poll(units, str(newest) if newest is not None else None, gap=not reached)
    if backoff:
        ctx.not_before = datetime.now(UTC) + timedelta(seconds=backoff)
    return result


CONNECTOR = Connector(
    kind="stackexchange", platform="stackexchange",
    summary="Stack Exchange: questions, answers and comments tagged --tag on --site.",
    options=(Option("tag", "Tag to follow.", required=True),
             Option("site", "Site name (stackoverflow, serverfault, …).",
                    default="stackoverflow"),
             Option("platform", "Platform name in keys (as in 'scrm ingest stackexchange').",
                    default="stackexchange")),
    base_url="https://api.stackexchange.com", base_url_setting="stackexchange_url",
    credentials=("stackexchange_key",), auth=None, poll=poll, refused=_refused,
)
