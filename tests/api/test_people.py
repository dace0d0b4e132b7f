"""customer, account and latestRun over HTTP: the timeline across a person's accounts."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from api_testkit import DANA_TIMELINE, LiveServer

INTERACTION = """
  cursor
  node { postId time platform kind direction text sentiment subjectKey conversationId url
         isBrandResponse counterpart { key platform handle displayName isBrand } }
"""
CUSTOMER = f"""
query Customer($id: ID!, $first: Int!, $after: String) {{
  customer(id: $id) {{
    id name email lifetimeValue nps signupDate
    accounts {{ platform handle key displayName followers linkConfidence linkMethod
               linkEvidence scores {{ advocate advocateRank influencerRank }} }}
    interactions(first: $first, after: $after) {{
      edges {{ {INTERACTION} }}
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    }}
  }}
}}
"""
ACCOUNT = f"""
query Account($platform: String!, $handle: String!, $first: Int!, $after: String) {{
  account(platform: $platform, handle: $handle) {{
    key platform handle displayName followers isBrand
    scores {{ influence advocate advocateRank detractorRank runId }}
    customer {{ id name }}
    interactions(first: $first, after: $after) {{
      edges {{ {INTERACTION} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""


def customer(server: LiveServer, first: int = 20, after: str | None = None,
             customer_id: str = "C1") -> dict[str, Any]:
    body = server.graphql(CUSTOMER, {"id": customer_id, "first": first, "after": after})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["customer"]
    return result


def test_customer_fields_and_linked_accounts(server: LiveServer) -> None:
    dana = customer(server)
    assert {k: dana[k] for k in ("id", "name", "email", "lifetimeValue", "nps", "signupDate")} \
        == {"id": "C1", "name": "Dana Whitfield", "email": "dana@example.com",
            "lifetimeValue": 1234.5, "nps": 9, "signupDate": "2022-05-01"}
    assert dana["accounts"] == [
        {"platform": "reddit", "handle": "dana_w", "key": "reddit:dana_w", "displayName": None,
         "followers": None, "linkConfidence": 0.8, "linkMethod": "fuzzy",
         "linkEvidence": "same name and city",
         "scores": {"advocate": 0.97, "advocateRank": 3, "influencerRank": 4}},
        {"platform": "twitter", "handle": "danaw", "key": "twitter:danaw", "displayName": "Dana W",
         "followers": 1500, "linkConfidence": 1.0, "linkMethod": "crm", "linkEvidence": "",
         "scores": {"advocate": 0.99, "advocateRank": 1, "influencerRank": 3}},
    ]


def test_timeline_newest_first_across_accounts(server: LiveServer) -> None:
    page = customer(server)["interactions"]
    nodes = [e["node"] for e in page["edges"]]
    assert [n["postId"] for n in nodes] == DANA_TIMELINE
    times = [datetime.fromisoformat(n["time"]) for n in nodes]
    assert times == sorted(times, reverse=True)
    assert all(t.utcoffset() is not None for t in times)
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["hasPreviousPage"] is False

    by_post = {n["postId"]: n for n in nodes}
    assert by_post["twitter:tw1"]["direction"] == "AUTHORED"
    assert by_post["twitter:tw1"]["counterpart"] is None
    assert by_post["twitter:tw1"]["url"] == "https://x.com/danaw/status/tw1"
    assert by_post["twitter:tw6"]["direction"] == "AUTHORED"
    assert by_post["twitter:tw6"]["counterpart"]["key"] == "twitter:bob"
    assert by_post["twitter:tw3"]["direction"] == "REPLY_RECEIVED"
    assert by_post["twitter:tw4"]["direction"] == "MENTION_RECEIVED"
    assert by_post["twitter:tw5"]["direction"] == "SHARE_RECEIVED"
    assert by_post["twitter:tw5"]["counterpart"]["handle"] == "carol"
    assert by_post["reddit:t1_def"]["subjectKey"] == "reddit:dana_w"
    assert by_post["reddit:t1_def"]["conversationId"] == "reddit:t3_abc"

    # The brand's replies are flagged (the tweet also mentions Dana: listed once, as a reply).
    brand = [n["postId"] for n in nodes if n["isBrandResponse"]]
    assert brand == ["reddit:t1_ghi", "twitter:tw2"]
    assert by_post["twitter:tw2"]["direction"] == "REPLY_RECEIVED"
    assert by_post["twitter:tw2"]["counterpart"] == {
        "key": "twitter:acme", "platform": "twitter", "handle": "acme", "displayName": "Acme",
        "isBrand": True}
    assert not by_post["twitter:tw3"]["isBrandResponse"]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 11, 12])
def test_timeline_pagination_has_no_duplicates_or_gaps(server: LiveServer, size: int) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = customer(server, first=size, after=after)["interactions"]
        pages += 1
        assert len(page["edges"]) <= size
        seen += [e["node"]["postId"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
        assert pages < 20
    assert seen == DANA_TIMELINE  # includes the two mentions made at the same instant
    assert pages == -(-len(DANA_TIMELINE) // size)


def test_timeline_cursor_is_opaque_time_post_direction(server: LiveServer) -> None:
    edge = customer(server, first=1)["interactions"]["edges"][0]
    decoded = base64.urlsafe_b64decode(edge["cursor"]).decode()
    assert decoded.startswith("i:")
    time, post, direction = json.loads(decoded[2:])
    assert (post, direction) == ("twitter:tw8", "mention_received")
    assert datetime.fromisoformat(time) == datetime.fromisoformat(edge["node"]["time"])


def test_timeline_page_size_cap_and_bad_cursor(server: LiveServer) -> None:
    body = server.graphql(CUSTOMER, {"id": "C1", "first": 101})
    assert body["errors"][0]["message"] == "'first' must be between 0 and 100 (got 101)"
    assert body["errors"][0]["path"] == ["customer", "interactions"]
    body = server.graphql(CUSTOMER, {"id": "C1", "first": 5, "after": "bm9wZQ=="})
    assert body["errors"][0]["message"].startswith("invalid cursor")
    # A ranking cursor is not a timeline cursor.
    ranking = server.graphql("{ engagementTargets(kind: ADVOCATE, first: 1) "
                             "{ pageInfo { endCursor } } }")
    cursor = ranking["data"]["engagementTargets"]["pageInfo"]["endCursor"]
    body = server.graphql(CUSTOMER, {"id": "C1", "first": 5, "after": cursor})
    assert body["errors"][0]["message"].startswith("invalid cursor")


def test_unknown_customer_is_null(server: LiveServer) -> None:
    body = server.graphql(CUSTOMER, {"id": "no-such-customer", "first": 5})
    assert body == {"data": {"customer": None}}


@pytest.mark.parametrize("handle", ["danaw", "@DanaW", " DANAW "])
def test_account_by_platform_and_handle(server: LiveServer, handle: str) -> None:
    body = server.graphql(ACCOUNT, {"platform": "Twitter", "handle": handle, "first": 3})
    assert "errors" not in body
    account = body["data"]["account"]
    assert {k: account[k] for k in ("key", "platform", "handle", "displayName", "followers",
                                    "isBrand")} == {
        "key": "twitter:danaw", "platform": "twitter", "handle": "danaw",
        "displayName": "Dana W", "followers": 1500, "isBrand": False}
    assert account["scores"]["advocateRank"] == 1
    assert account["scores"]["detractorRank"] is None
    assert account["customer"] == {"id": "C1", "name": "Dana Whitfield"}
    twitter_only = [p for p in DANA_TIMELINE if p.startswith("twitter:")]
    edges = account["interactions"]["edges"]
    assert [e["node"]["postId"] for e in edges] == twitter_only[:3]
    rest = server.graphql(ACCOUNT, {"platform": "twitter", "handle": handle, "first": 50,
                                    "after": account["interactions"]["pageInfo"]["endCursor"]})
    assert [e["node"]["postId"] for e in rest["data"]["account"]["interactions"]["edges"]] \
        == twitter_only[3:]


def test_brand_and_unknown_accounts(server: LiveServer) -> None:
    body = server.graphql(ACCOUNT, {"platform": "reddit", "handle": "u/Acme_Official",
                                    "first": 1})
    brand = body["data"]["account"]
    assert brand["isBrand"] is True and brand["customer"] is None and brand["scores"] is None
    assert brand["interactions"]["edges"][0]["node"]["postId"] == "reddit:t1_ghi"
    body = server.graphql(ACCOUNT, {"platform": "twitter", "handle": "nobody", "first": 1})
    assert body == {"data": {"account": None}}


def test_latest_run(server: LiveServer, graph_db: tuple[Path, str]) -> None:
    body = server.graphql("{ latestRun { runId startedAt finishedAt status params stats "
                          "error } }")
    run = body["data"]["latestRun"]
    assert run["runId"] == graph_db[1]
    assert run["status"] == "completed" and run["error"] is None
    assert run["params"] == {"alpha": 0.85, "test": True}
    assert run["stats"] == {"accounts": 65, "seconds": 0.1}
    assert datetime.fromisoformat(run["startedAt"]) <= datetime.fromisoformat(run["finishedAt"])
