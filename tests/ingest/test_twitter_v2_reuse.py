"""The v2 parser makes each repeated user's Account once; what it gives is unchanged."""

from __future__ import annotations

import json

from graph.model import Account, Post
from ingest.twitter import parse_line


def page(users: list[dict[str, object]], tweets: list[dict[str, object]]) -> str:
    return json.dumps({"data": tweets, "includes": {"users": users}})


def tweet(tid: str, author: str) -> dict[str, object]:
    return {"id": tid, "author_id": author, "created_at": "2026-01-01T00:00:00.000Z",
            "conversation_id": tid, "text": f"tweet {tid}"}


def accounts(line: str) -> list[Account]:
    return [r for r in parse_line(line, 1, "f.jsonl") if isinstance(r, Account)]


def test_the_same_user_on_two_pages_gives_equal_accounts() -> None:
    user = {"id": "7", "username": "Dana", "name": "Dana W",
            "created_at": "2020-05-01T10:00:00.000Z",
            "public_metrics": {"followers_count": 12, "following_count": 3,
                               "listed_count": 0}}
    first = accounts(page([user], [tweet("1", "7")]))
    again = accounts(page([dict(user)], [tweet("2", "7")]))
    assert first == again == [Account(
        platform="twitter", handle="Dana", user_id="7", display_name="Dana W", followers=12,
        created_at=first[0].created_at, following=3, listed=0)]
    assert first[0].created_at is not None and first[0].created_at.year == 2020


def test_values_that_compare_equal_but_differ_in_type_are_read_each_time() -> None:
    # 1 == 1.0 == True: a count must be an integer, whatever was read before
    metrics: list[object] = [1, True, 1.0, "1", 1]
    got = []
    for n, followers in enumerate(metrics):
        user = {"id": "8", "username": "sam", "public_metrics": {"followers_count": followers}}
        got.append(accounts(page([user], [tweet(str(n), "8")]))[0].followers)
    assert got == [1, None, None, None, 1]


def test_an_integer_id_and_a_missing_name_still_parse() -> None:
    user = {"id": 9, "username": "kim"}
    records = parse_line(page([user], [tweet("5", "9")]), 1, "f.jsonl")
    (account,) = [r for r in records if isinstance(r, Account)]
    (post,) = [r for r in records if isinstance(r, Post)]
    assert (account.user_id, account.display_name, post.author_handle) == ("9", None, "kim")
