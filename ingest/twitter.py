"""Twitter/X: API v2 response pages, v2 "flat" tweets, v1.1 statuses, v2 user lookups.

The shape is detected per line, so one file may mix them:

* a **v2 page** has ``data`` (tweets, or users for a user lookup) and usually
  ``includes.users`` / ``includes.tweets``;
* a **v2 flat tweet** (twarc's form) is one tweet with ``author``,
  ``referenced_tweets[*]`` and mentions inlined;
* a **v1.1 status** has ``id_str`` and a ``user`` object;
* a **Gnip / Activity Streams** activity has ``actor``, ``verb`` and ``postedTime``;
* an **academictwitteR / twarc users file** (``{"users": [...]}``) gives accounts.

A file that is one JSON document (see :func:`document_items`) is read item by item:
an array of v2 tweets as academictwitteR saves it (``*_data_<id>.json``) takes its
authors from the ``*_users_<id>.json`` file beside it.

Every tweet becomes a :class:`Post`; replies, quotes and retweets keep the id of
the tweet they point at (the loader turns those into edges, pending until the
target is stored). Every user object becomes an :class:`Account` with its
follower count; a mentioned user seen only as a mention becomes a bare account.
A tweet whose author object is missing from ``includes`` (a deleted or
suspended user) is kept with the handle ``id:<author_id>`` so no post is lost.
In v1.1 the conversation is the tweet being replied to (the root is not in the
status object); v2 gives ``conversation_id`` and that is used as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from graph.model import Account, Post, PostKind, Record, Reject
from ingest.jsonline import json_object

__all__ = ["document_items", "parse_line", "parse_lines"]

PLATFORM = "twitter"


class _Bad(Exception):
    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.field = reason, field


def _v2_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Bad("field 'created_at' is missing or not a string", "created_at")
    try:
        when = datetime.fromisoformat(value)  # Python 3.11 reads a "Z" suffix as UTC
    except ValueError:
        raise _Bad(f"field 'created_at' is not an ISO time: {value!r}", "created_at") from None
    return when if when.tzinfo is UTC else when.astimezone(UTC)


def _v1_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Bad("field 'created_at' is missing or not a string", "created_at")
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except ValueError:
        raise _Bad(f"field 'created_at' is not a Twitter time: {value!r}", "created_at") from None


def _id(obj: dict[str, Any], *names: str) -> str:
    for name in names:
        value = obj.get(name)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    raise _Bad(f"missing required field {names[0]!r}", names[0])


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opened(value: Any) -> datetime | None:
    """An account's creation time: ISO 8601 (API v2) or Twitter's v1.1 form
    ("Wed Oct 10 20:19:24 +0000 2018"); None when absent or unreadable (it is optional)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except ValueError:
        return None


# Accounts already made from a v2 user object, by what was read from it: every page of an
# export repeats its users (authors and mentioned accounts), and making an Account again
# cost more than reading the page. Bounded; emptied when full.
_V2_ACCOUNTS: dict[tuple[Any, ...], Account] = {}
_V2_ACCOUNTS_MAX = 1 << 15


def _v2_account(user: dict[str, Any]) -> Account:
    metrics = user.get("public_metrics") or {}
    given = (user.get("username"), user.get("id"), user.get("name"), user.get("location"),
             user.get("description"), user.get("created_at"), metrics.get("followers_count"),
             metrics.get("following_count"), metrics.get("listed_count"))
    handle, user_id, name, location, description, opened, followers, following, listed = given
    # only values of these exact types make the same Account whenever they compare equal
    # (1 == 1.0 == True, which _int tells apart)
    plain = (type(handle) is str and handle and type(user_id) is str and user_id
             and (name is None or type(name) is str)
             and (location is None or type(location) is str)
             and (description is None or type(description) is str)
             and (opened is None or type(opened) is str)
             and (followers is None or type(followers) is int)
             and (following is None or type(following) is int)
             and (listed is None or type(listed) is int))
    if plain:
        known = _V2_ACCOUNTS.get(given)
        if known is not None:
            return known
    account = Account(platform=PLATFORM, handle=_id(user, "username"), user_id=_id(user, "id"),
                      display_name=name, followers=_int(followers),
                      location=location or None, description=description or None,
                      created_at=_opened(opened), following=_int(following),
                      listed=_int(listed))
    if plain:
        if len(_V2_ACCOUNTS) >= _V2_ACCOUNTS_MAX:
            _V2_ACCOUNTS.clear()
        _V2_ACCOUNTS[given] = account
    return account


def _v1_account(user: dict[str, Any]) -> Account:
    return Account(platform=PLATFORM, handle=_id(user, "screen_name"),
                   user_id=_id(user, "id_str", "id"), display_name=user.get("name"),
                   followers=_int(user.get("followers_count")),
                   location=user.get("location") or None,
                   description=user.get("description") or None,
                   created_at=_opened(user.get("created_at")),
                   following=_int(user.get("friends_count")),
                   listed=_int(user.get("listed_count")))


def _url(handle: str, tweet_id: str) -> str:
    return f"https://twitter.com/{handle}/status/{tweet_id}"


def _v2_post(tweet: dict[str, Any], users_by_id: dict[str, Account],
             out: list[Record], embedded: bool = False) -> Post:
    """One v2 tweet; the author comes from ``author`` (flat) or ``includes.users``."""
    tweet_id = tweet.get("id")
    if type(tweet_id) is not str or not tweet_id:
        tweet_id = _id(tweet, "id")
    if not isinstance(tweet.get("text", ""), str):
        raise _Bad("field 'text' must be a string", "text")
    author_obj = tweet.get("author")
    if isinstance(author_obj, dict) and author_obj.get("username"):
        author = _v2_account(author_obj)
        users_by_id[author.user_id or ""] = author
        out.append(author)
    else:
        author_id = tweet.get("author_id")
        if type(author_id) is not str or not author_id:
            author_id = _id(tweet, "author_id")
        found = users_by_id.get(author_id)
        author = found or Account(platform=PLATFORM, handle=f"id:{author_id}", user_id=author_id)
        if found is None:
            out.append(author)
    source = tweet.get("source")
    client = _client(source) if source else None
    if client:  # the app this tweet was sent from: the author's latest
        out.append(replace(author, client=client))
    kind, parent, shared = PostKind.POST, None, None
    for ref in tweet.get("referenced_tweets") or []:
        if not isinstance(ref, dict):
            raise _Bad("field 'referenced_tweets' must hold objects", "referenced_tweets")
        ref_id = _id(ref, "id")
        if ref.get("type") == "retweeted":
            kind, shared = PostKind.SHARE, ref_id
        elif ref.get("type") == "quoted" and kind != PostKind.SHARE:
            kind, shared = PostKind.QUOTE, ref_id
        elif ref.get("type") == "replied_to":
            parent = ref_id
            if kind == PostKind.POST:
                kind = PostKind.REPLY
    entities = tweet.get("entities") or {}
    mentions = []
    for m in entities.get("mentions") or []:
        handle = m.get("username") if isinstance(m, dict) else None
        if handle:
            mentions.append(handle)
            if m.get("id") and m["id"] not in users_by_id:
                users_by_id[m["id"]] = Account(platform=PLATFORM, handle=handle, user_id=m["id"])
                out.append(users_by_id[m["id"]])
            elif not m.get("id"):
                out.append(Account(platform=PLATFORM, handle=handle))
    metrics = tweet.get("public_metrics") or {}
    note = tweet.get("note_tweet")
    retweets, quotes, likes, replies = (metrics.get("retweet_count"), metrics.get("quote_count"),
                                        metrics.get("like_count"), metrics.get("reply_count"))
    reposts = retweets if type(retweets) is int else _int(retweets)
    if reposts is not None:
        reposts += (quotes if type(quotes) is int else _int(quotes)) or 0
    tags = entities.get("hashtags")
    conversation = tweet.get("conversation_id")
    handle = author.handle
    # by position (the fields' order in graph.model.Post, platform to replies): this
    # runs for every tweet, and binding 17 keywords made parsing a page measurably slower
    return Post(
        PLATFORM, tweet_id, handle, _v2_time(tweet.get("created_at")),
        str(note["text"]) if note and isinstance(note.get("text"), str)
        else str(tweet.get("text") or ""),
        kind, f"https://twitter.com/{handle}/status/{tweet_id}", parent,
        str(conversation) if conversation else None,
        tuple(dict.fromkeys(mentions)) if mentions else (), shared,
        tuple(h.get("tag", "") for h in tags if isinstance(h, dict)) if tags else (),
        tweet.get("lang"), likes if type(likes) is int else _int(likes),
        reposts, replies if type(replies) is int else _int(replies),
        embedded=embedded)


def _v2_page(obj: dict[str, Any]) -> list[Record]:
    out: list[Record] = []
    includes = obj.get("includes") or {}
    users_by_id: dict[str, Account] = {}
    for user in includes.get("users") or []:
        account = _v2_account(user)
        users_by_id[account.user_id or ""] = account
        out.append(account)
    data = obj["data"]
    items = data if isinstance(data, list) else [data]
    if items and isinstance(items[0], dict) and "username" in items[0] and "text" not in items[0]:
        for user in items:  # a user lookup page
            out.append(_v2_account(user))
        return out
    seen: set[str] = set()
    included = includes.get("tweets") or []
    own = len(items)
    for n, tweet in enumerate([*items, *included]):
        if not isinstance(tweet, dict):
            raise _Bad("field 'data' must hold tweet objects", "data")
        tweet_id = tweet.get("id")
        if tweet_id in seen:
            continue
        seen.add(str(tweet_id))
        out.append(_v2_post(tweet, users_by_id, out, embedded=n >= own))
    return out


def _v2_flat(obj: dict[str, Any]) -> list[Record]:
    out: list[Record] = []
    users_by_id: dict[str, Account] = {}
    post = _v2_post(obj, users_by_id, out)
    out.append(post)
    for ref in obj.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("text") is not None and ref.get("created_at") \
                and (ref.get("author") or ref.get("author_id")):
            out.append(_v2_post(ref, users_by_id, out, embedded=True))
    reply_user = obj.get("in_reply_to_user")
    if isinstance(reply_user, dict) and reply_user.get("username"):
        out.append(_v2_account(reply_user))
    return out


def _v1_text(obj: dict[str, Any]) -> tuple[str, bool]:
    """A status's fullest text, and whether that is still the shortened "compat" text.

    A status from the streaming or compat endpoints carries 140 characters and
    ``truncated: true``; ``extended_tweet.full_text`` (streaming) or ``full_text``
    (``tweet_mode=extended``) is the whole text when given. A retweet's own text is
    always a shortened ``RT @author: …`` copy, so it is rebuilt from the retweeted
    status, and is as truncated as that status is.
    """
    retweeted = obj.get("retweeted_status")
    if isinstance(retweeted, dict) and isinstance(retweeted.get("user"), dict):
        inner, truncated = _v1_text(retweeted)
        return f"RT @{retweeted['user'].get('screen_name', '')}: {inner}", truncated
    extended = obj.get("extended_tweet")
    if isinstance(extended, dict) and isinstance(extended.get("full_text"), str):
        return extended["full_text"], False
    if isinstance(obj.get("full_text"), str):
        return obj["full_text"], False
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise _Bad("field 'text' must be a string", "text")
    return text or "", obj.get("truncated") is True


def _v1_status(obj: dict[str, Any], out: list[Record], seen: set[str],
               embedded: bool = False) -> Post:
    tweet_id = _id(obj, "id_str", "id")
    user = obj.get("user")
    if not isinstance(user, dict):
        raise _Bad("missing required field 'user'", "user")
    author = _v1_account(user)
    if _client(obj.get("source")):
        author = replace(author, client=_client(obj.get("source")))
    out.append(author)
    kind, parent, shared = PostKind.POST, None, None
    retweeted = obj.get("retweeted_status")
    quoted = obj.get("quoted_status")
    if isinstance(retweeted, dict):
        kind = PostKind.SHARE
        shared = _id(retweeted, "id_str", "id")
        if shared not in seen:
            seen.add(shared)
            out.append(_v1_status(retweeted, out, seen, embedded=True))
    elif isinstance(quoted, dict) or obj.get("quoted_status_id_str"):
        kind = PostKind.QUOTE
        shared = _id(quoted, "id_str", "id") if isinstance(quoted, dict) else str(
            obj["quoted_status_id_str"])
        if isinstance(quoted, dict) and shared not in seen:
            seen.add(shared)
            out.append(_v1_status(quoted, out, seen, embedded=True))
    if obj.get("in_reply_to_status_id_str") or obj.get("in_reply_to_status_id"):
        parent = str(obj.get("in_reply_to_status_id_str") or obj["in_reply_to_status_id"])
        if kind == PostKind.POST:
            kind = PostKind.REPLY
    entities = obj.get("entities") or {}
    mentions, hashtags = _v1_entities(entities, out)
    text, truncated = _v1_text(obj)
    return Post(
        platform=PLATFORM, post_id=tweet_id, author_handle=author.handle,
        created_at=_v1_time(obj.get("created_at")), text=text, kind=kind,
        url=_url(author.handle, tweet_id), parent_id=parent,
        conversation_id=parent or tweet_id, mentions=mentions,
        shared_id=shared,
        hashtags=hashtags,
        lang=obj.get("lang"), likes=_int(obj.get("favorite_count")),
        reposts=_int(obj.get("retweet_count")), truncated=truncated, embedded=embedded)


def _v1_entities(entities: dict[str, Any], out: list[Record]
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Mentioned handles (each also an account in ``out``) and hashtags of v1.1-shaped
    entities (statuses, and Gnip's ``twitter_entities``)."""
    mentions = []
    for m in entities.get("user_mentions") or []:
        if isinstance(m, dict) and m.get("screen_name"):
            mentions.append(m["screen_name"])
            out.append(Account(platform=PLATFORM, handle=m["screen_name"],
                               user_id=str(m.get("id_str") or m.get("id") or "") or None,
                               display_name=m.get("name")))
    hashtags = tuple(h.get("text", "") for h in entities.get("hashtags") or []
                     if isinstance(h, dict))
    return tuple(dict.fromkeys(mentions)), hashtags


def _gnip_id(value: Any, name: str) -> str:
    """The number at the end of a Gnip id (``tag:search.twitter.com,2005:123``,
    ``id:twitter.com:456``)."""
    if not isinstance(value, str) or not value:
        raise _Bad(f"missing required field {name!r}", name)
    return value.rsplit(":", 1)[-1]


def _gnip_account(actor: Any) -> Account:
    if not isinstance(actor, dict):
        raise _Bad("missing required field 'actor'", "actor")
    location = actor.get("location")
    return Account(platform=PLATFORM, handle=_id(actor, "preferredUsername"),
                   user_id=_gnip_id(actor.get("id"), "actor.id"),
                   display_name=actor.get("displayName"),
                   followers=_int(actor.get("followersCount")),
                   location=location.get("displayName") if isinstance(location, dict) else None,
                   description=actor.get("summary") or None,
                   created_at=_opened(actor.get("postedTime")),
                   following=_int(actor.get("friendsCount")),
                   listed=_int(actor.get("listedCount")))


def _client(source: Any) -> str | None:
    """The posting app's name from a tweet's ``source`` (v1.1: ``<a href=...>Twitter for
    iPhone</a>``; v2: the plain name), or None."""
    if not isinstance(source, str):
        return None
    return re.sub(r"<[^>]+>", "", source).strip() or None


def _gnip_text(activity: dict[str, Any]) -> tuple[str, bool]:
    """Like :func:`_v1_text`: ``long_object.body`` is the full text of a long tweet, and
    a share's text is rebuilt from the shared activity."""
    shared = activity.get("object")
    if activity.get("verb") == "share" and isinstance(shared, dict) \
            and isinstance(shared.get("actor"), dict):
        inner, truncated = _gnip_text(shared)
        return f"RT @{shared['actor'].get('preferredUsername', '')}: {inner}", truncated
    long = activity.get("long_object")
    if isinstance(long, dict) and isinstance(long.get("body"), str):
        return long["body"], False
    body = activity.get("body")
    if body is not None and not isinstance(body, str):
        raise _Bad("field 'body' must be a string", "body")
    return body or "", bool(body) and str(body).rstrip().endswith("…")


_STATUS_LINK = re.compile(r"/status(?:es)?/(\d+)")


def _gnip_activity(obj: dict[str, Any], out: list[Record], seen: set[str],
                   embedded: bool = False) -> Post:
    tweet_id = _gnip_id(obj.get("id"), "id")
    author = _gnip_account(obj.get("actor"))
    generator = obj.get("generator")
    if isinstance(generator, dict) and _client(generator.get("displayName")):
        author = replace(author, client=_client(generator.get("displayName")))
    out.append(author)
    kind, parent, shared = PostKind.POST, None, None
    inner = obj.get("object")
    quoted = obj.get("twitter_quoted_status")
    if obj.get("verb") == "share" and isinstance(inner, dict):
        kind, shared = PostKind.SHARE, _gnip_id(inner.get("id"), "object.id")
        if shared not in seen:
            seen.add(shared)
            out.append(_gnip_activity(inner, out, seen, embedded=True))
    elif isinstance(quoted, dict):
        kind, shared = PostKind.QUOTE, _gnip_id(quoted.get("id"), "twitter_quoted_status.id")
        if shared not in seen:
            seen.add(shared)
            out.append(_gnip_activity(quoted, out, seen, embedded=True))
    reply_to = obj.get("inReplyTo")
    if isinstance(reply_to, dict):
        found = _STATUS_LINK.search(str(reply_to.get("link") or ""))
        if found:
            parent = found.group(1)
            if kind == PostKind.POST:
                kind = PostKind.REPLY
    entities = obj.get("twitter_entities") or {}
    mentions, hashtags = _v1_entities(entities, out)
    text, truncated = _gnip_text(obj)
    return Post(
        platform=PLATFORM, post_id=tweet_id, author_handle=author.handle,
        created_at=_v2_time(obj.get("postedTime")), text=text, kind=kind,
        url=_url(author.handle, tweet_id), parent_id=parent,
        conversation_id=parent or tweet_id, mentions=mentions,
        shared_id=shared,
        hashtags=hashtags,
        lang=obj.get("twitter_lang"), likes=_int(obj.get("favoritesCount")),
        reposts=_int(obj.get("retweetCount")), truncated=truncated, embedded=embedded)


def _is_gnip(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("actor"), dict) and "verb" in obj and "postedTime" in obj


def _users_file(data_file: Path) -> Path | None:
    """academictwitteR saves a request as ``<prefix>data_<id>.json`` (the tweets) and
    ``<prefix>users_<id>.json`` (their ``includes``)."""
    found = re.fullmatch(r"(.*)data_(\w+)\.json", data_file.name)
    if not found:
        return None
    users = data_file.with_name(f"{found.group(1)}users_{found.group(2)}.json")
    return users if users.is_file() else None


def document_items(document: Any, path: Path | str) -> Iterator[Any]:
    """The items of a file that is one JSON document, each parsed as one line would be.

    An array of v2 tweets (academictwitteR's ``data_*.json``, or tweets saved as a JSON
    array) becomes one v2 page per tweet, with its author from the ``users_*.json``
    file beside it when there is one; any other array gives its elements; an object
    (a pretty-printed page or status) is one item.
    """
    if not isinstance(document, list):
        yield document
        return
    users: dict[str, Any] = {}
    if str(path) != "-" and any(isinstance(t, dict) and "author_id" in t for t in document):
        found = _users_file(Path(path))
        if found is not None:
            includes = orjson.loads(found.read_bytes())
            for user in includes.get("users") or [] if isinstance(includes, dict) else []:
                if isinstance(user, dict) and user.get("id"):
                    users[str(user["id"])] = user
    for item in document:
        if isinstance(item, dict) and "author_id" in item and "text" in item:
            author = users.get(str(item["author_id"]))
            yield {"data": [item], "includes": {"users": [author] if author else []}}
        else:
            yield item


def parse_line(text: str, line_no: int, source_file: str) -> list[Record]:
    """The records one line gives, or a single :class:`Reject` saying why not."""
    obj, problem = json_object(text)
    if obj is None:
        return [Reject(source_file, line_no, problem or "unreadable line", text)]
    try:
        if obj.get("kind") in ("Listing", "t1", "t3"):
            raise _Bad("not a Twitter object: a Reddit API listing or thing (use 'scrm "
                       "ingest reddit')")
        if "data" in obj and isinstance(obj["data"], list | dict):
            return _v2_page(obj)
        if "id_str" in obj and "user" in obj:
            out: list[Record] = []
            post = _v1_status(obj, out, {str(obj["id_str"])})
            return [*out, post]
        if "author_id" in obj or ("author" in obj and "text" in obj and "id" in obj):
            return _v2_flat(obj)
        if _is_gnip(obj):
            gnip: list[Record] = []
            post = _gnip_activity(obj, gnip, {_gnip_id(obj.get("id"), "id")})
            return [*gnip, post]
        if isinstance(obj.get("users"), list) and "data" not in obj:
            # an academictwitteR / twarc users file: the includes of a request
            return [_v2_account(u) for u in obj["users"] if isinstance(u, dict)]

        if "body" in obj or "subreddit" in obj or "link_id" in obj:
            raise _Bad("not a Twitter object: looks like a Reddit comment or submission "
                       "(use 'scrm ingest reddit')")
        if "errors" in obj and "data" not in obj:
            raise _Bad("an API error response, not tweets: " + json.dumps(obj["errors"])[:200])
        raise _Bad("not a Twitter object: expected a v2 page ('data'), a v2 tweet "
                   "('author_id'), a v1.1 status ('id_str' and 'user') or a Gnip activity "
                   "('actor', 'verb', 'postedTime')")
    except _Bad as exc:
        return [Reject(source_file, line_no, exc.reason, text, exc.field)]
    except (KeyError, TypeError, AttributeError) as exc:
        return [Reject(source_file, line_no, f"unexpected structure: {exc!r}", text)]


def parse_lines(lines: Iterable[str], source_file: str) -> Iterator[Record]:
    for n, line in enumerate(lines, start=1):
        if line.strip():
            yield from parse_line(line, n, source_file)
