"""Whom ``recordResponse`` answers, and what a recorded response does to the metrics.

A real embedded store with two customers in one thread: Dana complains to the brand
(the queued post), Bob then replies in the same thread in a friendly tone. Analyzed
for real, so the care queue is the product's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from api_testkit import LiveServer

from analytics.job import run_analysis
from graph.embedded import EmbeddedStore
from graph.model import Account, Customer, OwnsLink, Post, PostKind
from graph.store import GraphBatch

QUEUE = """{ careQueue(first: 10) { edges { node { conversationId postId author { key } } } } }"""
RESPOND = """mutation($id: ID!, $text: String!, $public: Boolean!, $to: ID) {
  recordResponse(conversationId: $id, text: $text, public: $public, replyTo: $to) {
    post { postId parentId kind author { key } } } }"""
TIMELINE = """query($c: ID!) { customer(id: $c) { interactions(first: 20,
  filter: {directions: [REPLY_RECEIVED]}) { edges { node { postId kind isBrandResponse
  counterpart { key } } } } } }"""
METRICS = """{ metrics { since until notes awareness { mentionVolume uniqueAuthors }
  change { daily { day posts } } } }"""
THREAD = "twitter:k1"


def _at(day: int, hour: int) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=UTC)


def _batch() -> GraphBatch:
    tw = "twitter"
    posts = [
        Post(tw, "k1", "dana", _at(1, 9), "@acme my kettle broke after two days. Terrible, "
             "awful, useless product and the worst support ever!", mentions=("acme",)),
        Post(tw, "k2", "bob", _at(1, 10), "@dana @acme mine works great, I love it, "
             "thank you Acme!", kind=PostKind.REPLY, parent_id="k1", conversation_id="k1",
             mentions=("dana", "acme")),
        Post(tw, "k3", "bob", _at(2, 9), "@acme happy with my order, great service",
             mentions=("acme",)),
    ]
    return GraphBatch(
        customers=[Customer("C1", name="Dana", signup_date=date(2023, 1, 1)),
                   Customer("C2", name="Bob", signup_date=date(2023, 1, 1))],
        accounts=[Account(tw, "dana"), Account(tw, "bob"), Account(tw, "acme")],
        posts=posts,
        links=[OwnsLink("C1", tw, "dana", 1.0, "crm"), OwnsLink("C2", tw, "bob", 1.0, "crm")])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    from api.app import create_app

    store = EmbeddedStore(tmp_path / "thread.lbdb")
    store.write_batch(_batch())
    store.set_brand(["twitter:acme"], {"brand.name": "Acme"})
    run_analysis(store)
    with LiveServer(create_app(store=store)) as live:
        yield live
    store.close()


def _received(server: LiveServer, customer: str) -> dict[str, str]:
    edges = server.data(TIMELINE, c=customer)["customer"]["interactions"]["edges"]
    return {e["node"]["postId"]: e["node"]["kind"] for e in edges
            if e["node"]["isBrandResponse"]}


def test_a_response_answers_the_queued_post_not_the_newest(server: LiveServer) -> None:
    queued = [e["node"] for e in server.data(QUEUE)["careQueue"]["edges"]]
    assert [(q["conversationId"], q["postId"]) for q in queued] == [(THREAD, "twitter:k1")]
    public = server.data(RESPOND, id=THREAD, text="Sorry Dana, we will fix it",
                 public=True)["recordResponse"]["post"]
    assert public["parentId"] == "twitter:k1" and public["kind"] == "reply"
    assert public["author"]["key"] == "twitter:acme"
    # answered now, so no longer queued: a private message still goes to Dana, whose
    # post the thread was waiting on, not to Bob, who wrote last
    private = server.data(RESPOND, id=THREAD, text="Dana, DM us your order number",
                  public=False, to="twitter:k1")["recordResponse"]["post"]
    assert private["parentId"] == "twitter:k1" and private["kind"] == "private_reply"
    dana = _received(server, "C1")
    assert dana == {public["postId"]: "reply", private["postId"]: "private_reply"}
    assert _received(server, "C2") == {}


def test_a_private_response_to_the_queued_post_reaches_that_customer(
        server: LiveServer) -> None:
    private = server.data(RESPOND, id=THREAD, text="Dana, we sent a new kettle",
                  public=False)["recordResponse"]["post"]
    assert private["parentId"] == "twitter:k1" and private["kind"] == "private_reply"
    assert _received(server, "C1") == {private["postId"]: "private_reply"}
    assert _received(server, "C2") == {}


def test_reply_to_names_the_other_person(server: LiveServer) -> None:
    post = server.data(RESPOND, id=THREAD, text="Thanks Bob!", public=True,
               to="twitter:k2")["recordResponse"]["post"]
    assert post["parentId"] == "twitter:k2"
    assert _received(server, "C2") == {post["postId"]: "reply"}
    assert _received(server, "C1") == {}


def test_an_unqueued_thread_of_two_people_needs_reply_to(server: LiveServer) -> None:
    server.data(RESPOND, id=THREAD, text="Sorry Dana", public=True)
    again = server.graphql(RESPOND, {"id": THREAD, "text": "And?", "public": True})
    assert "pass replyTo" in again["errors"][0]["message"]


def test_a_recorded_response_does_not_empty_the_dashboard(server: LiveServer) -> None:
    before = server.data(METRICS)["metrics"]
    assert before["awareness"]["mentionVolume"] == 3
    server.data(RESPOND, id=THREAD, text="Sorry Dana, we will fix it", public=True)
    after = server.data(METRICS)["metrics"]
    assert after == before
    assert after["notes"] == ["the window ends at the newest post addressing the brand"]
    assert datetime.fromisoformat(after["until"]) < _at(3, 0)


def test_analyzed_scores_carry_explanations_that_sum_to_them(server: LiveServer) -> None:
    query = """{ customer(id: "C1") { accounts { key scores { advocate influencer detractor
      explanation { advocate { contribution } influencer { contribution }
                    detractor { contribution } } } } } }"""
    (account,) = server.data(query)["customer"]["accounts"]
    scores = account["scores"]
    assert scores["detractor"] > 0
    for kind in ("advocate", "influencer", "detractor"):
        parts = [f["contribution"] for f in scores["explanation"][kind]]
        assert sum(parts) == pytest.approx(scores[kind], abs=1e-6), kind
