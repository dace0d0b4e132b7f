"""The kept care queue (api.carequeue) on both adapters: after arrivals, a late parent,
brand answers, assignments and resolutions its order is the order a full recompute
(``analytics.care.care_queue`` over fresh reads) gives, and it got there by updates,
not by building itself again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from analytics.care import RoutingRules, care_queue
from api import carequeue
from api.carequeue import CareQueueIndex, effective_status
from graph.model import Account, Post, PostKind
from graph.store import GraphBatch, GraphStore

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)


def tw(post_id: str, author: str, minutes: int | datetime, text: str, sentiment: float,
       **kw: Any) -> Post:
    when = minutes if isinstance(minutes, datetime) else T0 + timedelta(minutes=minutes)
    return Post(platform="twitter", post_id=post_id, author_handle=author,
                created_at=when, text=text,
                mentions=kw.pop("mentions", ("brand",)), sentiment=sentiment,
                sentiment_model="vader", **kw)


def full(store: GraphStore) -> list[tuple[str, str, str, float]]:
    """The queue computed afresh from the store, as it was before it was kept."""
    settings = store.get_settings()
    terms = json.loads(settings.get("brand.terms", "[]")) + (
        [settings["brand.name"]] if settings.get("brand.name") else [])
    posts = store.brand_posts(terms)
    items = care_queue(posts, store.post_details(posts["key"].tolist()),
                       store.brand_reply_times(),
                       store.score_frame(columns=("influence", "customer_value")), now=NOW,
                       rules=RoutingRules.load())
    return [(i.conversation_key, i.post_key, i.team, round(i.priority, 12)) for i in items]


def kept(index: CareQueueIndex) -> list[tuple[str, str, str, float]]:
    return [(i.conversation_key, i.post_key, i.team, round(i.priority, 12))
            for i in index.items(NOW)]


def full_view(store: GraphStore, **filters: str) -> list[tuple[str, str, str, str | None]]:
    """What the inbox showed before: the full queue with each case applied, filtered."""
    cases = store.care_cases()
    out = []
    for key, post, team, _ in full(store):
        case = cases.get(key)
        when = next(p["created_at"] for p in store.conversation_posts(key, 100)
                    if p["key"] == post)
        state = effective_status(case, when)
        routed = (case or {}).get("team") or team
        who = (case or {}).get("assignee") if state == "assigned" else None
        if state == "resolved" or ("team" in filters and routed != filters["team"]) or (
                "status" in filters and state != filters["status"]):
            continue
        out.append((key, state, routed, who))
    return out


def kept_view(index: CareQueueIndex, store: GraphStore, **filters: str
              ) -> list[tuple[str, str, str, str | None]]:
    return [(r.conversation_key, r.status, r.team, r.assignee)
            for r in index.view(NOW, store.care_cases(), **filters).rows()]


def check(index: CareQueueIndex, store: GraphStore) -> None:
    index.refresh(store)
    expected = full(store)
    assert kept(index) == expected
    fresh = CareQueueIndex()
    fresh.refresh(store)
    assert kept(fresh) == expected
    for filters in ({}, {"team": "sales"}, {"status": "assigned"}, {"status": "open"}):
        assert kept_view(index, store, **filters) == full_view(store, **filters)


def test_the_kept_queue_is_the_recomputed_queue(store: GraphStore) -> None:
    store.write_batch(GraphBatch(accounts=[Account("twitter", "brand", followers=9000)], posts=[
        tw("a1", "ann", 0, "@brand my order never arrived, awful", -0.8),
        tw("b1", "bob", 1, "@brand the app keeps crashing", -0.3),
        tw("c1", "cat", 2, "@brand great coffee", 0.8),
        # a reply whose parent is not here yet: filed under the parent's key
        tw("d2", "dan", 3, "@brand still broken", -0.6, kind=PostKind.REPLY,
           parent_id="d1")]))
    store.set_brand(["twitter:brand"], {"brand.name": "Brand"})
    index = CareQueueIndex()
    check(index, store)
    assert [k for k, *_ in full(store)] == ["twitter:a1", "twitter:d1", "twitter:b1"]

    # arrivals: a worse post in a waiting thread, a new thread, the late parent (which
    # moves its reply into its own conversation)
    store.write_batch(GraphBatch(posts=[
        tw("a2", "ann", 10, "@brand still nothing, I want a refund", -0.9,
           kind=PostKind.REPLY, parent_id="a1", conversation_id="a1"),
        tw("e1", "eve", 11, "@brand terrible service, cancel my plan", -0.95),
        tw("d1", "dan", 2, "@brand my bike", -0.1, kind=PostKind.REPLY, parent_id="r1",
           conversation_id="r1")]))
    check(index, store)
    keys = [k for k, *_ in full(store)]
    assert "twitter:r1" in keys and "twitter:d1" not in keys
    assert next(p for k, p, *_ in full(store) if k == "twitter:a1") == "twitter:a2"

    # the brand answers one thread: it leaves the queue
    store.write_batch(GraphBatch(posts=[
        tw("x1", "brand", 20, "@bob sorry, try the new version", 0.3, kind=PostKind.REPLY,
           parent_id="b1", conversation_id="b1", mentions=("bob",))]))
    check(index, store)
    assert "twitter:b1" not in [k for k, *_ in full(store)]

    # assignments and resolutions change what a view shows, not the ranking
    store.save_care_case("twitter:a1", status="assigned", assignee="ana", team="sales")
    store.save_care_case("twitter:e1", status="resolved", assignee=None, team=None)
    check(index, store)
    assert [k for k, *_ in kept_view(index, store)] == [
        k for k, *_ in full(store) if k != "twitter:e1"]
    assert kept_view(index, store, status="assigned") == [
        ("twitter:a1", "assigned", "sales", "ana")]

    # the customer writes again after the resolution: the thread is open again
    store.write_batch(GraphBatch(posts=[
        tw("e2", "eve", datetime.now(UTC) + timedelta(seconds=1), "@brand it happened again",
           -0.99, kind=PostKind.REPLY,
           parent_id="e1", conversation_id="e1")]))
    check(index, store)
    assert ("twitter:e1", "open", "support", None) in kept_view(index, store)
    assert (index.rebuilds, index.updates) == (1, 3)  # cases alone: nothing to read again


def test_notes_mentioning_someone_are_found_across_the_queue(store: GraphStore) -> None:
    store.write_batch(GraphBatch(posts=[tw("a1", "ann", 0, "@brand broken", -0.8),
                                        tw("b1", "bob", 1, "@brand broken too", -0.8)]))
    assert store.post_count() == 2
    store.add_care_note("twitter:a1", "bo", "@Ana can you take this?")
    store.add_care_note("twitter:b1", "bo", "ask anakin")
    store.add_care_note("twitter:b1", "ana", "done")
    found = store.care_notes_containing("@ana")
    assert found == {"twitter:a1": ["@Ana can you take this?"]}
    assert store.care_notes_containing("nobody") == {}


def _scores(keys: list[str]) -> pd.DataFrame:
    """A run's scores in the analytics job's shape (influence and value vary)."""
    n = len(keys)
    return pd.DataFrame({
        "influence": [1.0 / (i + 1) for i in range(n)], "reach": [float(i) for i in range(n)],
        "engagement": [0.5] * n, "brand_sentiment": [float("nan")] * n,
        "brand_posts": list(range(n)), "customer_value": [100.0 * i for i in range(n)],
        "community": [0] * n, "bridge": [0.1] * n, "advocate": [float(n - i) for i in range(n)],
        "influencer": [float(i + 1) for i in range(n)], "detractor": [0.0] * n,
        "advocate_rank": [i + 1 for i in range(n)], "influencer_rank": [n - i for i in range(n)],
        "detractor_rank": [i + 1 for i in range(n)],
        "explanation": [json.dumps({"advocate": [["reach", 0.4]]})] * n,
    }, index=pd.Index(keys, name="account_key"))


def test_understanding_and_a_new_run_rebuild_the_kept_queue(store: GraphStore) -> None:
    from analytics.job import understand_posts

    def plain(post_id: str, author: str, minutes: int, text: str) -> Post:
        return Post(platform="twitter", post_id=post_id, author_handle=author,
                    created_at=T0 + timedelta(minutes=minutes), text=text,
                    mentions=("brand",))

    store.write_batch(GraphBatch(accounts=[Account("twitter", "brand")], posts=[
        plain("a1", "ann", 0, "@brand my order never arrived and nobody answers, awful"),
        plain("b1", "bob", 1, "@brand how do I change my delivery address?"),
        plain("c1", "cat", 2, "@brand I want a refund, cancel my subscription")]))
    store.set_brand(["twitter:brand"], {})
    index = CareQueueIndex()
    index.refresh(store)  # not understood yet: understood provisionally for the queue
    assert index.size == 3
    understand_posts(store)  # the real understanding: every entry may weigh otherwise
    check(index, store)
    assert index.rebuilds == 1 + 1
    run = store.start_run({})
    store.write_scores(run, _scores(["twitter:cat", "twitter:bob", "twitter:ann"]))
    store.finish_run(run, {"accounts": 3})
    check(index, store)  # authors' influence and value changed
    assert index.rebuilds == 3
    assert {i.author_key: dict(i.reasons)["customer value"] for i in index.items(NOW)}[
        "twitter:ann"] == 1.0


def write_told(index: CareQueueIndex, store: GraphStore, posts: list[Post],
               in_hand: bool = False) -> None:
    """Write ``posts`` as the stream job does: inside ``index.writing()``, telling it
    which posts were written and how many were new (``in_hand``: and the new posts as
    written, as the stream job does)."""
    with index.writing() as tell:
        result = store.write_batch(GraphBatch(posts=posts, give_written=in_hand))
        tell([p.key for p in posts], result.created.get("posts", 0),
             result.written if in_hand else None)


def test_what_was_written_is_checked_against_the_stores_state_every_state_seconds(
        store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Told the posts as written, the queue does not read the store's state (the brand,
    its terms, the analysis run, the post count) for each batch: a change to it made
    meanwhile is taken within ``STATE_SECONDS``, and then the queue is the one a fresh
    build gives, a write nobody told of included."""
    store.write_batch(GraphBatch(accounts=[Account("twitter", "brand", followers=9000)]))
    store.set_brand(["twitter:brand"], {"brand.name": "Brand"})
    index = CareQueueIndex()
    clock = [1000.0]
    monkeypatch.setattr(carequeue, "_clock", lambda: clock[0])
    check(index, store)
    write_told(index, store, [tw("a1", "ann", 0, "@brand my order never arrived", -0.8)],
               in_hand=True)
    check(index, store)
    assert index.hand_updates == 1
    # a new term, and a post naming only it, told within the window: not yet in it
    store.set_brand(["twitter:brand"], {"brand.name": "Brand",
                                        "brand.terms": json.dumps(["sprocket"])})
    store.write_batch(GraphBatch(posts=[tw("u1", "uma", 2, "@brand where is my refund",
                                           -0.7)]))  # nobody told of it
    clock[0] += carequeue.STATE_SECONDS / 2
    write_told(index, store, [tw("s1", "sam", 1, "my Sprocket broke, useless", -0.7,
                                 mentions=())], in_hand=True)
    index.refresh(store)
    assert index.hand_updates == 2
    assert "twitter:s1" not in [i.conversation_key for i in index.items(NOW)]
    # past the window: the state is read, the queue built again with the new term
    clock[0] += carequeue.STATE_SECONDS
    check(index, store)
    assert {"twitter:s1", "twitter:u1"} <= {i.conversation_key for i in index.items(NOW)}
    assert index.rebuilds == 2 and index.hand_updates == 2


@pytest.mark.parametrize("in_hand", [False, True], ids=["keys", "written"])
def test_the_queue_kept_from_told_batches_is_the_recomputed_queue(
        store: GraphStore, in_hand: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # the store's state is read again after STATE_SECONDS whatever was told: not here
    monkeypatch.setattr(carequeue, "STATE_SECONDS", 3600.0)
    def told(index: CareQueueIndex, store: GraphStore, posts: list[Post]) -> None:
        write_told(index, store, posts, in_hand)

    store.write_batch(GraphBatch(accounts=[Account("twitter", "brand", followers=9000)], posts=[
        tw("a1", "ann", 0, "@brand my order never arrived, awful", -0.8),
        tw("b1", "bob", 1, "@brand the app keeps crashing", -0.3),
        # the brand starts a thread: what is posted in it addresses the brand
        tw("r1", "brand", 2, "our new plans are out", 0.5, mentions=())]))
    store.set_brand(["twitter:brand"], {"brand.name": "Brand",
                                        "brand.terms": json.dumps(["sprocket"])})
    index = CareQueueIndex()
    check(index, store)

    # arrivals: a worse post in a waiting thread, a new thread, a post that only names a
    # term, one that only sits in the brand's thread, one that addresses no one
    told(index, store, [
        tw("a2", "ann", 10, "@brand still nothing, I want a refund", -0.9,
           kind=PostKind.REPLY, parent_id="a1", conversation_id="a1"),
        tw("e1", "eve", 11, "@brand terrible service, cancel my plan", -0.95),
        tw("s1", "sam", 12, "my Sprocket broke on day one, useless", -0.7, mentions=()),
        tw("t1", "tom", 13, "these plans are a rip-off", -0.6, mentions=(),
           kind=PostKind.REPLY, parent_id="r1", conversation_id="r1"),
        tw("n1", "nia", 14, "what a terrible day", -0.9, mentions=())])
    check(index, store)
    keys = [k for k, *_ in full(store)]
    assert {"twitter:s1", "twitter:r1", "twitter:e1"} <= set(keys)
    assert "twitter:n1" not in keys
    assert index.batch_updates == 1

    # the brand answers one thread (a brand post told in a batch): it leaves the queue;
    # the same batch again changes nothing
    answer = [tw("x1", "brand", 20, "@bob sorry, try the new version", 0.3,
                 kind=PostKind.REPLY, parent_id="b1", conversation_id="b1",
                 mentions=("bob",)),
              tw("f1", "fay", 21, "@brand my card was charged twice", -0.8)]
    told(index, store, answer)
    check(index, store)
    assert "twitter:b1" not in [k for k, *_ in full(store)]
    told(index, store, answer)
    check(index, store)
    assert index.batch_updates == 2

    # a late parent moves its replies: read the whole way, and still the same queue
    told(index, store, [tw("d2", "dan", 30, "@brand still broken", -0.6,
                           kind=PostKind.REPLY, parent_id="d1")])
    told(index, store, [tw("d1", "dan", 25, "@brand my bike", -0.1, kind=PostKind.REPLY,
                           parent_id="g1", conversation_id="g1")])
    check(index, store)
    # (told the posts as written, the queue knows the second write answered a stored
    # reply, and reads both the whole way; told keys, it finds the reply among the keys)
    late = 1 if in_hand else 0
    assert index.batch_updates == 3 - late and index.rebuilds == 1

    # posts nobody told of (another writer): read the whole way
    updates = index.updates
    store.write_batch(GraphBatch(posts=[tw("h1", "hal", 40, "@brand where is my order", -0.5)]))
    check(index, store)
    assert index.updates == updates + 1 and index.batch_updates == 3 - late

    # a write under way that has not told its posts yet: the queue stays as it was
    with index.writing() as tell:
        result = store.write_batch(GraphBatch(posts=[
            tw("k1", "kim", 50, "@brand nothing works", -0.9)], give_written=in_hand))
        index.refresh(store)
        assert "twitter:k1" not in [i.conversation_key for i in index.items(NOW)]
        tell(["twitter:k1"], result.created.get("posts", 0),
             result.written if in_hand else None)
    check(index, store)
    assert index.batch_updates == 4 - late and index.rebuilds == 1

    # a writer that is always writing: what it told is applied while its next batch is
    # committed but not told yet, and that one when it is told
    told(index, store, [tw("m1", "max", 60, "@brand refund me now", -0.9)])
    with index.writing() as tell:
        result = store.write_batch(GraphBatch(posts=[
            tw("m2", "mia", 61, "@brand awful support", -0.9)], give_written=in_hand))
        index.refresh(store)
        waiting = [i.conversation_key for i in index.items(NOW)]
        assert "twitter:m1" in waiting and "twitter:m2" not in waiting
        tell(["twitter:m2"], result.created.get("posts", 0),
             result.written if in_hand else None)
    check(index, store)
    assert index.batch_updates == 6 - late and index.rebuilds == 1
    # new posts that answer nothing outside their batch, by no brand account, and a
    # batch with nothing new: brought in from what was written, without a read of the
    # store (k1, m1, m2 and the answer told again)
    assert index.hand_updates == (4 if in_hand else 0)
