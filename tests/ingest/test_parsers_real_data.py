"""Each parser on the real public files: zero rejects, and exactly the ids in the files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.model import Account, Post, PostKind, Reject, account_key, post_key
from ingest import reddit, twitter


def _records(module, path: Path) -> list:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            out.extend(module.parse_line(line, n, str(path)))
    return out


def _walk_v2(obj: dict, posts: set, users: set) -> None:
    def tweet(t: dict) -> None:
        posts.add(t["id"])
        author = t.get("author")
        if isinstance(author, dict):
            users.add(author["username"].lower())
        for m in (t.get("entities") or {}).get("mentions") or []:
            users.add(m["username"].lower())
        for ref in t.get("referenced_tweets") or []:
            if "text" in ref and "created_at" in ref:
                tweet(ref)
        reply_user = t.get("in_reply_to_user")
        if isinstance(reply_user, dict):
            users.add(reply_user["username"].lower())

    if "data" in obj:
        data = obj["data"] if isinstance(obj["data"], list) else [obj["data"]]
        if data and "username" in data[0] and "text" not in data[0]:
            users.update(u["username"].lower() for u in data)
            return
        for t in [*data, *(obj.get("includes") or {}).get("tweets", [])]:
            tweet(t)
        users.update(u["username"].lower() for u in (obj.get("includes") or {}).get("users", []))
        by_id = {u["id"] for u in (obj.get("includes") or {}).get("users", [])}
        for t in [*data, *(obj.get("includes") or {}).get("tweets", [])]:
            if t["author_id"] not in by_id:
                users.add(f"id:{t['author_id']}")
    else:
        tweet(obj)


def _walk_v1(obj: dict, posts: set, users: set) -> None:
    posts.add(obj["id_str"])
    users.add(obj["user"]["screen_name"].lower())
    for m in obj["entities"]["user_mentions"]:
        users.add(m["screen_name"].lower())
    for inner in ("retweeted_status", "quoted_status"):
        if isinstance(obj.get(inner), dict):
            _walk_v1(obj[inner], posts, users)


@pytest.mark.parametrize("name", ["brexit.jsonl", "kpop.jsonl", "noflat.jsonl", "flat.jsonl",
                                  "mentions_tweet.jsonl", "cotweet.jsonl", "two_tweets.jsonl",
                                  "users.jsonl"])
def test_twitter_v2_files(shared_data: Path, name: str) -> None:
    path = shared_data / "twitter-v2" / name
    records = _records(twitter, path)
    assert not [r for r in records if isinstance(r, Reject)]
    posts, users = set(), set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            _walk_v2(json.loads(line), posts, users)
    assert {r.key for r in records if isinstance(r, Post)} == {post_key("twitter", p)
                                                              for p in posts}
    assert {r.key for r in records if isinstance(r, Account)} == {account_key("twitter", u)
                                                                 for u in users}


def test_twitter_v1_statuses(shared_data: Path) -> None:
    path = shared_data / "twitter-v1" / "tweets.jsonl"
    records = _records(twitter, path)
    assert not [r for r in records if isinstance(r, Reject)]
    posts, users = set(), set()
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    for obj in lines:
        _walk_v1(obj, posts, users)
    parsed = {r.key: r for r in records if isinstance(r, Post)}
    assert set(parsed) == {post_key("twitter", p) for p in posts}
    assert {r.key for r in records if isinstance(r, Account)} == {account_key("twitter", u)
                                                                 for u in users}
    top = [parsed[post_key("twitter", o["id_str"])] for o in lines]
    shares = [p for p in top if p.kind == PostKind.SHARE]
    assert len(shares) == 24 and all(p.shared_id for p in shares)
    replies = [p for p in top if p.kind == PostKind.REPLY]
    assert len(replies) == 3 and all(p.parent_id for p in replies)


def test_twitter_v2_reply_quote_retweet_and_mentions(shared_data: Path) -> None:
    records = _records(twitter, shared_data / "twitter-v2" / "noflat.jsonl")
    posts = [r for r in records if isinstance(r, Post)]
    raw = json.loads((shared_data / "twitter-v2" / "noflat.jsonl").read_text().splitlines()[0])
    for t in raw["data"]:
        p = next(x for x in posts if x.post_id == t["id"])
        kinds = {r["type"]: r["id"] for r in t.get("referenced_tweets", [])}
        if "retweeted" in kinds:
            assert p.kind == PostKind.SHARE and p.shared_id == kinds["retweeted"]
        elif "quoted" in kinds:
            assert p.kind == PostKind.QUOTE and p.shared_id == kinds["quoted"]
        if "replied_to" in kinds:
            assert p.parent_id == kinds["replied_to"]
        assert p.conversation_id == t["conversation_id"]
        assert set(p.mentions) == {m["username"] for m in t.get("entities", {})
                                   .get("mentions", [])}


def test_reddit_comments_and_submissions(shared_data: Path) -> None:
    comments = _records(reddit, shared_data / "reddit" / "comments.jsonl")
    submissions = _records(reddit, shared_data / "reddit" / "submissions.jsonl")
    records = comments + submissions
    assert not [r for r in records if isinstance(r, Reject)]
    raw = [json.loads(x) for f in ("comments.jsonl", "submissions.jsonl")
           for x in (shared_data / "reddit" / f).read_text().splitlines() if x.strip()]
    posts = {r.key: r for r in records if isinstance(r, Post)}
    assert set(posts) == {post_key("reddit", o["name"]) for o in raw}
    authors = {o["author"] for o in raw}
    accounts = {r.key for r in records if isinstance(r, Account)}
    assert {account_key("reddit", a) for a in authors} <= accounts
    for o in raw:
        p = posts[post_key("reddit", o["name"])]
        if o["name"].startswith("t1_"):
            assert p.parent_id == o["parent_id"] and p.conversation_id == o["link_id"]
            assert p.kind == PostKind.COMMENT
        else:
            assert p.kind == PostKind.POST and p.conversation_id == o["name"]


@pytest.mark.parametrize(("line", "reason"), [
    ('{"data": [ {"id": ', "malformed JSON"),
    ('{"data": [{"text": "x", "author_id": "1", "created_at": "2026-01-01T00:00:00Z"}]}',
     "missing required field 'id'"),
    ('{"data": [{"id": "1", "text": "x", "author_id": "1", "created_at": 5}]}', "created_at"),
    ('{"body": "hi", "subreddit": "x", "parent_id": "t3_a"}', "looks like a Reddit"),
    ("[1, 2, 3]", "JSON object"),
])
def test_twitter_bad_lines_are_one_reject_each(line: str, reason: str) -> None:
    out = twitter.parse_line(line, 7, "f.jsonl")
    assert len(out) == 1 and isinstance(out[0], Reject)
    assert out[0].line == 7 and reason in out[0].reason and out[0].raw == line


@pytest.mark.parametrize(("line", "reason"), [
    ('{"body": "x", "parent_id": "t3_a", "author": "u", "id": "c1"}', "created_utc"),
    ('{"title": "x", "created_utc": "soon", "id": "a"}', "created_utc"),
    ('{"id_str": "1", "user": {}}', "looks like Twitter"),
    ('{"body": "x", "created_utc": 1, "author": "u", "id": "c1"}', "parent_id"),
])
def test_reddit_bad_lines_are_one_reject_each(line: str, reason: str) -> None:
    out = reddit.parse_line(line, 3, "r.jsonl")
    assert len(out) == 1 and isinstance(out[0], Reject) and reason in out[0].reason


def test_reddit_deleted_authors_and_mentions() -> None:
    line = json.dumps({"kind": "t1", "data": {"id": "c9", "body": "ask u/Dana_Rides",
                                              "author": "[deleted]", "parent_id": "t3_x",
                                              "link_id": "t3_x", "created_utc": 1700000000}})
    post = next(r for r in reddit.parse_line(line, 1, "r") if isinstance(r, Post))
    assert post.author_handle == "[deleted]" and post.mentions == ("Dana_Rides",)
    assert post.key == "reddit:t1_c9"
