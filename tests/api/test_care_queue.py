"""careQueue on the demo data, through a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_testkit import LiveServer

from analytics.job import run_analysis
from graph.embedded import EmbeddedStore
from ingest.pipeline import ingest_paths

SAMPLES = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"
QUERY = """query($team: String, $first: Int!, $after: String) {
  careQueue(team: $team, first: $first, after: $after) {
    total pageInfo { hasNextPage endCursor }
    edges { node { conversationId priority team sentiment waitingHours text
                   author { handle } customer { id } reasons { factor contribution } } } } }"""
INTENTS = """query($intent: String, $language: String) {
  careQueue(intent: $intent, language: $language, first: 100) {
    total
    edges { node { conversationId team text sentiment sentimentLabel language
                   intents { name score cues } author { handle }
                   reasons { factor contribution } } } } }"""
NEEDS = {"complaint", "churn", "question", "purchase", "suggestion", "security"}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from api.app import create_app

    path = tmp_path_factory.mktemp("care") / "demo.lbdb"
    with EmbeddedStore(path) as store:
        store.set_brand(["twitter:brightloop", "twitter:brightloop_help",
                         "reddit:brightloop_team"], {"brand.name": "Brightloop",
                                                     "brand.terms": '["brightloop"]'})
        for source, name in (("crm", "crm.csv"), ("orders", "orders.csv"),
                             ("twitter", "twitter.jsonl"), ("reddit", "reddit.jsonl")):
            ingest_paths(store, source, [SAMPLES / name], rejects_dir=path.parent)
        run_analysis(store)
    store = EmbeddedStore(path, read_only=True)
    with LiveServer(create_app(store=store)) as server:
        yield server
    store.close()


def test_queue_is_ranked_routed_and_paged(demo_server: LiveServer) -> None:
    data = demo_server.graphql(QUERY, {"first": 100})["data"]["careQueue"]
    items = [e["node"] for e in data["edges"]]
    assert data["total"] >= len(items) > 5
    assert [i["priority"] for i in items] == sorted((i["priority"] for i in items),
                                                    reverse=True)
    assert all(i["sentiment"] is None or i["sentiment"] <= -0.05
               or any(r["factor"].split(":")[0] in NEEDS for r in i["reasons"]) for i in items)
    handles = [i["author"]["handle"] for i in items]
    # the high-value angry customer is near the top, behind churn (threats to leave)
    assert "grumpygus" in handles[:10]
    assert {i["team"] for i in items} <= {"support", "sales", "product", "pr"}
    assert "customer value" in {r["factor"] for r in items[0]["reasons"]}
    assert any(r["factor"].split(":")[0] in NEEDS for r in items[0]["reasons"])
    gus = items[handles.index("grumpygus")]["reasons"]
    assert "negative sentiment" in {r["factor"] for r in gus}
    assert any(r["factor"].startswith("complaint: ") for r in gus)
    sales = demo_server.graphql(QUERY, {"team": "sales", "first": 100})["data"]["careQueue"]
    assert all(e["node"]["team"] == "sales" for e in sales["edges"])
    first = demo_server.graphql(QUERY, {"first": 2})["data"]["careQueue"]
    second = demo_server.graphql(QUERY, {"first": 2, "after": first["pageInfo"]["endCursor"]}
                                 )["data"]["careQueue"]
    assert [e["node"]["conversationId"] for e in first["edges"] + second["edges"]] == [
        i["conversationId"] for i in items[:4]]


def test_customer_360_has_purchases_and_link_evidence(demo_server: LiveServer) -> None:
    import csv

    with (SAMPLES / "orders.csv").open() as fh:
        orders = [r for r in csv.DictReader(fh) if r["customer_id"] == "C00001"]
    data = demo_server.graphql("""{ customer(id: "C00001") { name lifetimeValue
        purchases { orderId amount purchasedAt }
        accounts { key linkConfidence linkMethod linkEvidence } } }""")["data"]["customer"]
    assert data["name"] == "Dana Whitfield" and data["lifetimeValue"] == 12000.0
    assert sorted(p["orderId"] for p in data["purchases"]) == sorted(o["order_id"]
                                                                     for o in orders)
    dates = [p["purchasedAt"] for p in data["purchases"]]
    assert dates == sorted(dates, reverse=True)
    assert {a["key"] for a in data["accounts"]} == {"twitter:danarides", "reddit:dana_rides"}
    assert all(a["linkMethod"] == "crm" and a["linkEvidence"] for a in data["accounts"])


def _queue(server: LiveServer, **variables: str) -> list[dict[str, Any]]:
    data = server.graphql(INTENTS, variables)
    assert "errors" not in data, data
    return [e["node"] for e in data["data"]["careQueue"]["edges"]]


def test_queue_admits_posts_that_need_a_response_by_intent(demo_server: LiveServer) -> None:
    items = _queue(demo_server)
    for item in items:
        names = {i["name"] for i in item["intents"]}
        assert names & NEEDS or item["sentimentLabel"] in ("negative", "unscored"), item
        for intent in item["intents"]:
            assert intent["cues"] and 0 < intent["score"] <= 1
    # the planted detractor's complaint is a complaint, with the words that say so
    gus = [i for i in items if i["author"]["handle"] == "grumpygus"]
    assert gus and "complaint" in {n["name"] for n in gus[0]["intents"]}
    # not only negative posts: questions are in the queue too, and go to support
    questions = _queue(demo_server, intent="question")
    assert questions and all("question" in {n["name"] for n in i["intents"]}
                             for i in questions)
    assert any(i["team"] == "support" for i in questions)
    assert any(i["sentimentLabel"] != "negative" for i in items)


def test_queue_filters_by_language(demo_server: LiveServer) -> None:
    english = _queue(demo_server, language="en")
    assert english and all(i["language"] == "en" for i in english)
    assert _queue(demo_server, language="xx") == []
    complaints = _queue(demo_server, intent="complaint", language="en")
    assert complaints and all(i["language"] == "en" and "complaint" in
                              {n["name"] for n in i["intents"]} for i in complaints)


TIMELINE = """query($filter: TimelineFilter) {
  account(platform: "twitter", handle: "grumpygus") {
    interactions(first: 50, filter: $filter) {
      edges { node { postId text language sentimentLabel intents { name score cues } } } } } }"""


def _timeline(server: LiveServer, **filters: list[str]) -> list[dict[str, Any]]:
    data = server.graphql(TIMELINE, {"filter": filters or None})
    assert "errors" not in data, data
    return [e["node"] for e in data["data"]["account"]["interactions"]["edges"]]


def test_timeline_items_carry_and_filter_by_intent_and_language(
        demo_server: LiveServer) -> None:
    everything = _timeline(demo_server)
    assert everything and all(i["language"] for i in everything)
    complaints = _timeline(demo_server, intents=["complaint"])
    assert complaints and len(complaints) <= len(everything)
    for item in complaints:
        found = {n["name"]: n for n in item["intents"]}
        assert "complaint" in found and found["complaint"]["cues"]
        assert item["sentimentLabel"] in ("negative", "neutral", "positive", "unscored")
    assert _timeline(demo_server, languages=["xx"]) == []
    english = _timeline(demo_server, languages=["EN"], intents=["complaint", "churn"])
    assert english and all(i["language"] == "en" and {n["name"] for n in i["intents"]}
                           & {"complaint", "churn"} for i in english)


def test_thread_posts_carry_their_understanding(demo_server: LiveServer) -> None:
    item = _queue(demo_server, intent="complaint")[0]
    data = demo_server.graphql(
        """query($id: ID!) { conversation(id: $id) { posts {
             postId language sentimentLabel intents { name cues } } } }""",
        {"id": item["conversationId"]})
    assert "errors" not in data, data
    posts = data["data"]["conversation"]["posts"]
    assert posts and all(p["language"] for p in posts)
    assert any("complaint" in {i["name"] for i in p["intents"]} for p in posts)
