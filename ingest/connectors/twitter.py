"""Twitter/X API v2: recent search, or an account's mentions (bearer token).

Each tweet becomes one unit through the file parser (:mod:`ingest.twitter`), with the
page's ``includes`` users and only the included tweets it references, so keys are the
same as a file import. The cursor is the newest tweet id committed (``since_id``);
pages follow ``meta.next_token``. A ``since_id`` older than the search window (7 days)
is refused with HTTP 400: the runner then starts from the newest tweets and records
the gap. Rate limits: ``x-rate-limit-remaining`` / ``x-rate-limit-reset`` (epoch).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import orjson

from graph.model import Record
from ingest import twitter as twitter_file
from ingest.connectors.base import Connector, Option, Poll, PollContext, collect_newer, item_unit
from ingest.connectors.http import SourceUnavailable

__all__ = ["CONNECTOR"]

_FIELDS = {
    "tweet.fields": "created_at,author_id,conversation_id,referenced_tweets,entities,"
                    "public_metrics,lang,note_tweet",
    "expansions": "author_id,referenced_tweets.id,entities.mentions.username,"
                  "referenced_tweets.id.author_id",
    "user.fields": "username,name,public_metrics,location,description",
}


def _order(tweet: Any) -> int | None:
    try:
        return int(tweet["id"])
    except (KeyError, TypeError, ValueError):
        return None


def _unit_page(tweet: dict[str, Any], includes: dict[str, Any]) -> dict[str, Any]:
    refs = {str(r.get("id")) for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)}
    tweets = [t for t in includes.get("tweets") or [] if isinstance(t, dict)
              and str(t.get("id")) in refs]
    return {"data": [tweet], "includes": {"users": includes.get("users") or [],
                                          "tweets": tweets}}


def _records(page: dict[str, Any], source_file: str, n: int) -> list[Record]:
    return twitter_file.parse_line(orjson.dumps(page).decode(), n, source_file)


def _refused(exc: SourceUnavailable, source: str) -> SourceUnavailable:
    """A refusal is of the cursor only when it names ``since_id`` (older than the search
    window); any other invalid request (a query the API will not take) keeps the cursor
    and says what Twitter said, in one line."""
    problem = exc.problem() or {}
    errors = problem.get("errors")
    errors = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    if any("since_id" in (e.get("parameters") or {}) for e in errors):
        return exc
    said = "; ".join(str(e.get("message")) for e in errors if e.get("message")) or \
        problem.get("detail") or exc.reason
    return SourceUnavailable(f"Twitter refused the request: {' '.join(str(said).split())}"
                             [:300], exc.retry_at)


def poll(ctx: PollContext) -> Poll:
    """Tweets newer than the cursor, oldest first."""
    if ctx.options.get("user_id"):
        path, token_name = f"/2/users/{ctx.options['user_id']}/mentions", "pagination_token"
        params: dict[str, Any] = {"max_results": 100}
    elif ctx.options.get("query"):
        path, token_name = "/2/tweets/search/recent", "next_token"
        params = {"query": ctx.options["query"], "max_results": 100}
    else:
        raise ValueError("give --query or --user-id (mentions)")
    params.update(_FIELDS)
    params["since_id"] = ctx.cursor
    since = int(ctx.cursor) if ctx.cursor else None

    def pages() -> Iterator[list[tuple[Any, Any]]]:
        token: str | None = None
        while True:
            reply = ctx.http.get(path, {**params, token_name: token})
            body = reply.body if isinstance(reply.body, dict) else {}
            includes = body.get("includes") or {}
            yield [(_order(t), _unit_page(t, includes) if isinstance(t, dict) else t)
                   for t in body.get("data") or []]
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return

    items, newest, reached = collect_newer(pages(), since, ctx.max_pages)
    units = [item_unit(n, p, partial(_records, source_file=ctx.source_file, n=n),
                       ctx.source_file) for n, p in enumerate(items, start=1)]
    return Poll(units, str(newest) if newest is not None else None, gap=not reached)


CONNECTOR = Connector(
    kind="twitter", platform="twitter",
    summary="Twitter/X API v2: recent search (--query) or mentions of --user-id.",
    options=(Option("query", "Search query (v2 syntax)."),
             Option("user_id", "Numeric id of the account whose mentions to follow.")),
    base_url="https://api.twitter.com", base_url_setting="twitter_url",
    credentials=("twitter_bearer_token",),
    auth=lambda c: {"Authorization": f"Bearer {c['twitter_bearer_token']}"},
    poll=poll, refused=_refused,
)
