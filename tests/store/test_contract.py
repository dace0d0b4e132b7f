"""The store contract: every port method, the same expectations for every adapter.

The ``store`` fixture (``tests/store/conftest.py``) runs each test on the embedded
store and on the Neo4j adapter: against a server when ``SCRM_NEO4J_URI`` is set,
else through the twin driver (``neo4j_twin_driver.py``), which runs the adapter's own
statements on LadybugDB and records them for the linter.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from graph.model import Account, Customer, Follow, OwnsLink, Post, PostKind, Purchase
from graph.store import GraphBatch, GraphStore, StoreError

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def tw(post_id: str, author: str, minutes: int, text: str = "", **kw: object) -> Post:
    return Post(platform="twitter", post_id=post_id, author_handle=author,
                created_at=at(minutes), text=text or f"post {post_id}", **kw)  # type: ignore[arg-type]


def sample_batch() -> GraphBatch:
    """A small brand conversation: the brand posts, fans reply, mention and share."""
    return GraphBatch(
        customers=[
            Customer("c1", name="Dana West", email="dana@example.com", lifetime_value=1200.0,
                     nps=9, signup_date=date(2021, 5, 4), location="Leeds", company="Acme"),
            Customer("c2", name="Sam Lee", lifetime_value=80.0, nps=3),
        ],
        accounts=[
            Account("twitter", "@Brand", user_id="1", display_name="The Brand", followers=50_000),
            Account("twitter", "DanaW", user_id="2", display_name="Dana", followers=300,
                    location="Leeds", description="coffee"),
            Account("twitter", "sam", followers=12),
        ],
        posts=[
            tw("1", "brand", 0, "Our new roast is out"),
            tw("2", "danaw", 5, "@brand love it", kind=PostKind.REPLY, parent_id="1",
               conversation_id="1", mentions=("brand",), hashtags=("coffee",), likes=3),
            tw("3", "sam", 10, "@danaw @brand meh", kind=PostKind.REPLY, parent_id="2",
               conversation_id="1", mentions=("danaw", "brand")),
            tw("4", "sam", 15, "RT new roast", kind=PostKind.SHARE, shared_id="1"),
            tw("5", "danaw", 20, "so good", kind=PostKind.QUOTE, shared_id="1"),
            tw("6", "eve", 25, "hey @DanaW", mentions=("DanaW",)),
        ],
        links=[
            OwnsLink("c1", "twitter", "danaw", confidence=1.0, method="crm", evidence="CRM"),
            OwnsLink("c2", "twitter", "sam", confidence=0.7, method="fuzzy", evidence="name"),
        ],
        follows=[Follow("twitter", "danaw", "brand"), Follow("twitter", "sam", "brand")],
        purchases=[Purchase("c1", "o1", 20.0, date(2024, 1, 2)),
                   Purchase("c1", "o2", 30.5, date(2024, 2, 2))],
    )


EXPECTED_COUNTS = {
    "Customer": 2, "Account": 4, "Post": 6, "Conversation": 4, "Purchase": 2, "OWNS": 2,
    "POSTED": 6, "REPLY_TO": 2, "MENTIONS": 4, "SHARES": 2, "FOLLOWS": 2, "PendingEdge": 0,
    "IdentityCandidate": 0,
}


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:
    result = store.write_batch(sample_batch())
    assert result.conflicts == []
    return store


def score_frame(keys: list[str], base: float = 1.0) -> pd.DataFrame:
    """Scores in the analytics job's shape: index account key, ranks by descending score."""
    n = len(keys)
    frame = pd.DataFrame({
        "influence": [base / (i + 1) for i in range(n)],
        "reach": [float(i) for i in range(n)],
        "engagement": [0.5] * n,
        "brand_sentiment": [0.2] + [float("nan")] * (n - 1),
        "brand_posts": list(range(n)),
        "customer_value": [None] * n,
        "community": [0] * n,
        "bridge": [0.1] * n,
        "advocate": [base * (n - i) for i in range(n)],
        "influencer": [base * (i + 1) for i in range(n)],
        "detractor": [0.0] * n,
        "advocate_rank": [i + 1 for i in range(n)],
        "influencer_rank": [n - i for i in range(n)],
        "detractor_rank": [i + 1 for i in range(n)],
        "explanation": [json.dumps({"advocate": [["brand_sentiment", 0.4]]})] * n,
    }, index=pd.Index(keys, name="account_key"))
    return frame


# ------------------------------------------------------------------ writes
def test_write_batch_creates_every_kind(store: GraphStore) -> None:
    result = store.write_batch(sample_batch())
    assert result.conflicts == []
    assert result.created["customers"] == 2
    assert result.created["accounts"] == 4  # eve exists only as a post author stub
    assert result.created["posts"] == 6
    assert result.created["conversations"] == 4
    assert result.created["mentions"] == 4
    assert result.created["replies"] == 2
    assert result.created["shares"] == 2
    assert result.created["links"] == 2
    assert result.created["follows"] == 2
    assert result.created["purchases"] == 2
    assert result.pending_edges == 0
    assert store.counts() == EXPECTED_COUNTS


def test_a_batch_written_while_deferring_the_checkpoint_is_the_same(store: GraphStore) -> None:
    """``deferring_checkpoint`` (a stream's first commit) changes when the database
    checkpoints, never what is written; a write after it is as usual."""
    with store.deferring_checkpoint():
        result = store.write_batch(sample_batch())
    assert result.created["posts"] == 6 and result.created["replies"] == 2
    assert store.counts() == EXPECTED_COUNTS
    assert sum(store.write_batch(sample_batch()).created.values()) == 0


def test_writing_the_same_batch_twice_changes_nothing(loaded: GraphStore) -> None:
    before = loaded.counts()
    again = loaded.write_batch(sample_batch())
    assert loaded.counts() == before
    assert again.conflicts == []
    assert sum(again.created.values()) == 0
    assert sum(again.updated.values()) == 0


def test_an_empty_batch_is_harmless(store: GraphStore) -> None:
    result = store.write_batch(GraphBatch())
    assert sum(result.created.values()) == 0
    assert store.counts()["Account"] == 0


def test_updates_count_and_stubs_never_erase_known_values(loaded: GraphStore) -> None:
    result = loaded.write_batch(GraphBatch(
        customers=[Customer("c2", nps=8)],
        accounts=[Account("twitter", "sam", followers=99)],
        posts=[tw("7", "danaw", 30, "hi @sam", mentions=("sam",))],  # a stub for both
    ))
    assert result.updated["customers"] == 1
    assert result.updated["accounts"] == 1
    customer = loaded.get_customer("c2")
    assert customer is not None and customer.nps == 8 and customer.lifetime_value == 80.0
    dana = loaded.get_account("twitter:danaw")
    assert dana is not None and dana.followers == 300 and dana.display_name == "Dana"
    sam = loaded.get_account("twitter:sam")
    assert sam is not None and sam.followers == 99


def test_reading_back_accounts_and_customers(loaded: GraphStore) -> None:
    brand = loaded.get_account("twitter:brand")
    assert brand is not None
    assert (brand.platform, brand.handle, brand.display_name, brand.followers, brand.user_id) == (
        "twitter", "brand", "The Brand", 50_000, "1")
    assert brand.is_brand is False  # only set_brand marks brands
    eve = loaded.get_account("twitter:eve")
    assert eve is not None and eve.followers is None
    assert loaded.get_account("twitter:nobody") is None
    assert set(loaded.get_accounts(["twitter:sam", "twitter:danaw", "twitter:sam", "x:y"])) == {
        "twitter:sam", "twitter:danaw"}
    assert loaded.get_accounts([]) == {}
    dana = loaded.get_customer("c1")
    assert dana is not None
    assert (dana.name, dana.email, dana.lifetime_value, dana.nps, dana.signup_date,
            dana.location, dana.company) == ("Dana West", "dana@example.com", 1200.0, 9,
                                             date(2021, 5, 4), "Leeds", "Acme")
    assert loaded.get_customer("nobody") is None


# ------------------------------------------------------------ pending edges
@pytest.mark.parametrize("parent_first", [True, False])
def test_reply_edge_waits_for_its_parent_in_either_order(store: GraphStore,
                                                         parent_first: bool) -> None:
    parent = tw("p", "brand", 0, "question?")
    child = tw("c", "danaw", 5, "answer", kind=PostKind.REPLY, parent_id="p")
    first, second = (parent, child) if parent_first else (child, parent)
    r1 = store.write_batch(GraphBatch(posts=[first]))
    assert r1.pending_edges == (0 if parent_first else 1)
    assert store.counts()["PendingEdge"] == (0 if parent_first else 1)
    r2 = store.write_batch(GraphBatch(posts=[second]))
    assert r2.pending_edges == 0
    counts = store.counts()
    assert counts["REPLY_TO"] == 1 and counts["PendingEdge"] == 0
    frame = store.interaction_frame()
    assert frame[["src", "dst", "kind"]].values.tolist() == [
        ["twitter:danaw", "twitter:brand", "reply"]]


def test_share_edge_waits_for_the_shared_post(store: GraphStore) -> None:
    store.write_batch(GraphBatch(posts=[tw("q", "sam", 5, "so true", kind=PostKind.QUOTE,
                                           shared_id="orig")]))
    store.write_batch(GraphBatch(posts=[tw("q", "sam", 5, "so true", kind=PostKind.QUOTE,
                                           shared_id="orig")]))
    assert store.counts()["PendingEdge"] == 1  # re-sending the post does not duplicate it
    store.write_batch(GraphBatch(posts=[tw("orig", "brand", 0, "news")]))
    counts = store.counts()
    assert counts["SHARES"] == 1 and counts["PendingEdge"] == 0
    kinds = store.interaction_frame()["kind"].tolist()
    assert kinds == ["quote"]


# ------------------------------------------------------------------ threads
def _thread(store: GraphStore, conversation_key: str) -> list[str]:
    return sorted(r["key"] for r in store.conversation_posts(conversation_key))


def test_a_reply_naming_no_thread_joins_its_stored_parents_conversation(
        store: GraphStore) -> None:
    store.write_batch(GraphBatch(posts=[
        tw("r", "brand", 0), tw("p", "sam", 1, kind=PostKind.REPLY, parent_id="r",
                                conversation_id="r")]))
    store.write_batch(GraphBatch(posts=[tw("c", "danaw", 2, kind=PostKind.REPLY,
                                           parent_id="p")]))
    assert _thread(store, "twitter:r") == ["twitter:c", "twitter:p", "twitter:r"]
    assert store.counts()["Conversation"] == 1


def test_a_reply_before_its_parent_moves_to_the_parents_conversation(
        store: GraphStore) -> None:
    store.write_batch(GraphBatch(posts=[tw("c", "danaw", 2, kind=PostKind.REPLY,
                                           parent_id="p")]))
    # filed under the unknown parent's key for now
    assert _thread(store, "twitter:p") == ["twitter:c"]
    store.write_batch(GraphBatch(posts=[tw("p", "sam", 1, kind=PostKind.REPLY, parent_id="r",
                                           conversation_id="r")]))
    assert _thread(store, "twitter:r") == ["twitter:c", "twitter:p"]
    assert _thread(store, "twitter:p") == []
    assert store.counts()["Conversation"] == 1
    store.write_batch(GraphBatch(posts=[tw("r", "brand", 0)]))
    assert _thread(store, "twitter:r") == ["twitter:c", "twitter:p", "twitter:r"]
    counts = store.counts()
    assert counts["Conversation"] == 1 and counts["REPLY_TO"] == 2
    assert counts["PendingEdge"] == 0


def test_a_care_case_on_a_provisional_conversation_moves_with_it(store: GraphStore) -> None:
    store.write_batch(GraphBatch(posts=[tw("c", "danaw", 2, kind=PostKind.REPLY,
                                           parent_id="p")]))
    # the orphan reply is in the inbox under its parent's key; an agent takes it
    store.save_care_case("twitter:p", status="assigned", assignee="ana", team="care")
    store.add_care_note("twitter:p", "ana", "asked for the order number")
    # a case the real conversation already has stays; the notes of both are kept
    store.write_batch(GraphBatch(posts=[tw("q", "sam", 3, kind=PostKind.REPLY, parent_id="s")]))
    store.save_care_case("twitter:s", status="assigned", assignee="bo", team="care")
    store.save_care_case("twitter:r", status="open", assignee=None, team=None)
    store.add_care_note("twitter:r", "bo", "seen the root")
    store.write_batch(GraphBatch(posts=[
        tw("p", "sam", 1, kind=PostKind.REPLY, parent_id="r", conversation_id="r"),
        tw("s", "sam", 1, kind=PostKind.REPLY, parent_id="r", conversation_id="r")]))
    assert _thread(store, "twitter:r") == ["twitter:c", "twitter:p", "twitter:q", "twitter:s"]
    cases = store.care_cases(["twitter:p", "twitter:s", "twitter:r"])
    assert set(cases) == {"twitter:r"}
    assert cases["twitter:r"]["status"] == "open"  # the real conversation's own case
    notes = store.care_notes(["twitter:p", "twitter:r"])
    assert notes["twitter:p"] == []
    assert sorted(n["text"] for n in notes["twitter:r"]) == [
        "asked for the order number", "seen the root"]


def test_a_care_case_moves_when_the_real_conversation_has_none(store: GraphStore) -> None:
    store.write_batch(GraphBatch(posts=[tw("c", "danaw", 2, kind=PostKind.REPLY,
                                           parent_id="p")]))
    saved = store.save_care_case("twitter:p", status="assigned", assignee="ana", team="care")
    store.write_batch(GraphBatch(posts=[tw("p", "sam", 1, kind=PostKind.REPLY, parent_id="r",
                                           conversation_id="r")]))
    cases = store.care_cases(["twitter:p", "twitter:r"])
    assert set(cases) == {"twitter:r"}
    moved = cases["twitter:r"]
    assert (moved["status"], moved["assignee"], moved["team"]) == ("assigned", "ana", "care")
    assert moved["updated_at"] == saved["updated_at"]


@pytest.mark.parametrize("one_batch", [False, True])
def test_a_chain_arriving_in_reverse_ends_in_its_roots_conversation(
        store: GraphStore, one_batch: bool) -> None:
    chain = [tw("g", "danaw", 2, kind=PostKind.REPLY, parent_id="c"),
             tw("c", "sam", 1, kind=PostKind.REPLY, parent_id="r"),
             tw("r", "brand", 0)]
    if one_batch:
        store.write_batch(GraphBatch(posts=chain))
    else:
        store.write_batch(GraphBatch(posts=chain[:1]))
        assert _thread(store, "twitter:c") == ["twitter:g"]
        store.write_batch(GraphBatch(posts=chain[1:2]))
        assert _thread(store, "twitter:r") == ["twitter:c", "twitter:g"]
        assert _thread(store, "twitter:c") == []
        store.write_batch(GraphBatch(posts=chain[2:]))
    assert _thread(store, "twitter:r") == ["twitter:c", "twitter:g", "twitter:r"]
    counts = store.counts()
    assert counts["Conversation"] == 1 and counts["REPLY_TO"] == 2
    assert counts["PendingEdge"] == 0
    timeline = store.timeline(["twitter:danaw"], first=10)
    assert {i.conversation_key for i in timeline} == {"twitter:r"}


# ---------------------------------------------------------------- conflicts
def test_a_post_resent_with_other_content_is_a_conflict(loaded: GraphStore) -> None:
    result = loaded.write_batch(GraphBatch(posts=[tw("1", "brand", 0, "edited text")]))
    assert [(c.key, c.kind) for c in result.conflicts] == [("twitter:1", "stored")]
    assert loaded.timeline(["twitter:brand"], first=10)[-1].text == "Our new roast is out"


@pytest.mark.parametrize("full_first", [True, False])
def test_the_fuller_text_wins_in_either_order(store: GraphStore, full_first: bool) -> None:
    full = tw("7", "sam", 0, "The whole story of the new roast, every word of it")
    cut = tw("7", "sam", 0, "The whole story of the new… https://t.co/abc123", truncated=True)
    first, second = (full, cut) if full_first else (cut, full)
    store.write_batch(GraphBatch(posts=[first]))
    store.write_post_sentiment(["twitter:7"], [0.4], "vader")
    result = store.write_batch(GraphBatch(posts=[second]))
    assert result.conflicts == []
    assert result.updated.get("posts", 0) == (0 if full_first else 1)
    [post] = store.conversation_posts("twitter:7")
    assert post["text"] == full.text
    # scored again when its text changed
    assert (post["sentiment"] is None) == (not full_first)
    again = store.write_batch(GraphBatch(posts=[full, cut]))
    assert again.conflicts == [] and sum(again.updated.values()) == 0
    embedded = store.write_batch(GraphBatch(posts=[
        tw("7", "sam", 0, "something else entirely", embedded=True)]))
    assert embedded.conflicts == []


@pytest.mark.parametrize("arrival", [None, -0.7])
def test_a_replaced_text_is_understood_again(store: GraphStore, arrival: float | None) -> None:
    cut = tw("7", "sam", 0, "Loving the new roast so… https://t.co/abc123", truncated=True)
    full = tw("7", "sam", 0, "Loving the new roast so far, but the grinder broke twice",
              sentiment=arrival, sentiment_model=None if arrival is None else "vader")
    store.write_batch(GraphBatch(posts=[cut]))
    store.write_post_understanding(["twitter:7"], _understood(1, intents=["praise"]), "vader")
    assert [len(f) for f in store.unscored_posts()] == []
    assert store.write_batch(GraphBatch(posts=[full])).updated.get("posts") == 1
    # understood from the shortened text: all of it goes, so the next analysis reads the
    # full text; the sentiment is the one scored on arrival, if the batch brought one
    assert [f["key"].tolist() for f in store.unscored_posts()] == [["twitter:7"]]
    [post] = store.conversation_posts("twitter:7")
    assert post["text"] == full.text and post["sentiment"] == arrival
    assert post["intents"] is None and post["language"] is None


def test_new_counters_alone_are_not_a_conflict(loaded: GraphStore) -> None:
    result = loaded.write_batch(GraphBatch(posts=[tw("1", "brand", 0, "Our new roast is out",
                                                     likes=999)]))
    assert result.conflicts == []
    assert result.created.get("posts", 0) == 0


def test_conflicting_duplicates_in_one_batch(store: GraphStore) -> None:
    result = store.write_batch(GraphBatch(posts=[tw("9", "sam", 0, "one"),
                                                 tw("9", "sam", 0, "two")]))
    assert [(c.key, c.kind) for c in result.conflicts] == [("twitter:9", "in_batch")]
    assert store.counts()["Post"] == 1


def test_links_and_purchases_need_a_known_customer(store: GraphStore) -> None:
    result = store.write_batch(GraphBatch(
        links=[OwnsLink("ghost", "twitter", "sam")],
        purchases=[Purchase("ghost", "o9", 5.0, date(2024, 1, 1))]))
    assert sorted(k for k, *_ in result.conflicts) == ["ghost:o9", "twitter:sam"]
    counts = store.counts()
    assert counts["OWNS"] == 0 and counts["Purchase"] == 0


# ---------------------------------------------------------- identity links
def test_manual_links_win_over_crm_and_automatic_ones(loaded: GraphStore) -> None:
    loaded.link_account(OwnsLink("c2", "twitter", "sam", confidence=1.0, method="manual",
                                 evidence="checked by hand"))
    result = loaded.write_batch(GraphBatch(links=[
        OwnsLink("c2", "twitter", "sam", confidence=0.4, method="fuzzy", evidence="name")]))
    assert result.updated.get("links", 0) == 0
    [link] = loaded.linked_accounts("c2")
    assert (link.method, link.confidence, link.evidence) == ("manual", 1.0, "checked by hand")
    assert link.account.key == "twitter:sam"


def test_automatic_links_update_automatic_ones(loaded: GraphStore) -> None:
    result = loaded.write_batch(GraphBatch(links=[
        OwnsLink("c2", "twitter", "sam", confidence=0.9, method="email", evidence="same email")]))
    assert result.updated["links"] == 1
    [link] = loaded.linked_accounts("c2")
    assert (link.method, link.confidence, link.evidence) == ("email", 0.9, "same email")


def test_link_account_creates_the_account_and_unlink_removes_it(loaded: GraphStore) -> None:
    loaded.link_account(OwnsLink("c1", "reddit", "u/Dana_W", method="manual"))
    keys = [la.account.key for la in loaded.linked_accounts("c1")]
    assert keys == ["reddit:dana_w", "twitter:danaw"]  # ordered by platform, handle
    assert loaded.get_account("reddit:dana_w") is not None
    assert loaded.unlink_account("c1", "reddit:dana_w") is True
    assert loaded.unlink_account("c1", "reddit:dana_w") is False
    assert [la.account.key for la in loaded.linked_accounts("c1")] == ["twitter:danaw"]
    with pytest.raises(StoreError):
        loaded.link_account(OwnsLink("ghost", "twitter", "sam", method="manual"))


def test_customers_for_accounts_prefers_the_most_confident_link(loaded: GraphStore) -> None:
    loaded.write_batch(GraphBatch(links=[OwnsLink("c2", "twitter", "danaw", confidence=0.3,
                                                  method="fuzzy")]))
    found = loaded.customers_for_accounts(["twitter:danaw", "twitter:sam", "twitter:eve"])
    assert {k: c.customer_id for k, c in found.items()} == {"twitter:danaw": "c1",
                                                            "twitter:sam": "c2"}
    assert loaded.customers_for_accounts([]) == {}


def test_customers_for_accounts_follow_link_changes(loaded: GraphStore) -> None:
    """Every link change shows at once, written through this handle or a sibling."""
    assert "twitter:eve" not in loaded.customers_for_accounts(["twitter:eve"])
    loaded.link_account(OwnsLink("c2", "twitter", "eve", method="manual"))
    assert loaded.customers_for_accounts(["twitter:eve"])["twitter:eve"].customer_id == "c2"
    other = loaded.sibling()
    try:
        assert other.unlink_account("c2", "twitter:eve") is True
        assert loaded.customers_for_accounts(["twitter:eve"]) == {}
        other.write_batch(GraphBatch(links=[OwnsLink("c1", "twitter", "eve", confidence=0.6,
                                                     method="fuzzy")]))
    finally:
        other.close()
    assert loaded.customers_for_accounts(["twitter:eve"])["twitter:eve"].customer_id == "c1"


# --------------------------------------------------------------- projection
def test_account_frame(loaded: GraphStore) -> None:
    loaded.write_batch(GraphBatch(links=[OwnsLink("c2", "twitter", "danaw", confidence=0.3,
                                                  method="fuzzy")]))
    loaded.set_brand(["twitter:brand"], {})
    frame = loaded.account_frame().set_index("key").sort_index()
    assert list(frame.index) == ["twitter:brand", "twitter:danaw", "twitter:eve", "twitter:sam"]
    for col in ("platform", "handle", "followers", "is_brand", "customer_id", "lifetime_value",
                "nps", "link_confidence", "purchases_total"):
        assert col in frame.columns
    dana = frame.loc["twitter:danaw"]
    assert (dana["customer_id"], dana["lifetime_value"], dana["nps"], dana["link_confidence"],
            dana["purchases_total"]) == ("c1", 1200.0, 9, 1.0, 50.5)
    sam = frame.loc["twitter:sam"]
    assert sam["customer_id"] == "c2" and pd.isna(sam["purchases_total"])
    eve = frame.loc["twitter:eve"]
    assert pd.isna(eve["customer_id"]) and pd.isna(eve["followers"])
    assert frame["is_brand"].dtype == bool
    assert frame["is_brand"].tolist() == [True, False, False, False]
    assert frame.loc["twitter:brand", "followers"] == 50_000
    assert frame.loc["twitter:brand", "handle"] == "brand"
    # without the profile texts: the same rows and numbers, fewer columns
    slim = loaded.account_frame(profile=False).set_index("key").sort_index()
    assert not {"platform", "display_name", "location", "description"} & set(slim.columns)
    pd.testing.assert_frame_equal(slim, frame[slim.columns])


def test_interaction_frame(loaded: GraphStore) -> None:
    frame = loaded.interaction_frame()
    assert list(frame.columns)[:5] == ["src", "dst", "kind", "created_at", "sentiment"]
    got = sorted(map(tuple, frame[["src", "dst", "kind"]].values.tolist()))
    assert got == sorted([
        ("twitter:danaw", "twitter:brand", "reply"),
        ("twitter:sam", "twitter:danaw", "reply"),
        ("twitter:danaw", "twitter:brand", "mention"),
        ("twitter:sam", "twitter:danaw", "mention"),
        ("twitter:sam", "twitter:brand", "mention"),
        ("twitter:eve", "twitter:danaw", "mention"),
        ("twitter:sam", "twitter:brand", "share"),
        ("twitter:danaw", "twitter:brand", "quote"),
    ])
    created = pd.to_datetime(frame["created_at"])
    assert created.dt.tz is None  # naive UTC, like the embedded store
    when = dict(zip(frame["kind"].astype(str) + frame["src"].astype(str), created, strict=True))
    assert when["sharetwitter:sam"] == pd.Timestamp(at(15).replace(tzinfo=None))
    assert frame["sentiment"].isna().all()
    loaded.write_post_sentiment(["twitter:2"], [0.75], "vader")
    frame = loaded.interaction_frame()
    reply = frame[(frame["kind"] == "reply") & (frame["src"] == "twitter:danaw")]
    assert reply["sentiment"].tolist() == [0.75]
    assert reply["tone"].tolist() == [1.0]  # not understood yet: the band on the score
    # understood: the model's class decides, not the score
    loaded.write_post_understanding(["twitter:2"], _understood(
        1, sentiment=[-0.03], sentiment_label=["negative"]), "trained:x")
    frame = loaded.interaction_frame()
    reply = frame[(frame["kind"] == "reply") & (frame["src"] == "twitter:danaw")]
    assert reply["tone"].tolist() == [-1.0]
    assert "tone" not in loaded.interaction_frame(sentiment=False)


def _understood(n: int, **columns: Any) -> pd.DataFrame:
    base: dict[str, Any] = {"language": ["en"] * n, "language_confidence": [0.9] * n,
                            "sentiment": [0.1] * n, "sentiment_label": ["positive"] * n,
                            "intents": [""] * n, "intent_evidence": ["{}"] * n}
    return pd.DataFrame({**base, **columns})


def test_unscored_posts_and_sentiment(loaded: GraphStore) -> None:
    batches = list(loaded.unscored_posts(batch_size=4))
    assert [len(b) for b in batches] == [4, 2]
    assert set(pd.concat(batches)["key"]) == {f"twitter:{i}" for i in range(1, 7)}
    assert {"key", "title", "text"} <= set(batches[0].columns)
    loaded.write_post_understanding([f"twitter:{i}" for i in range(1, 6)], _understood(5),
                                    "vader")
    left = pd.concat(loaded.unscored_posts())
    assert left["key"].tolist() == ["twitter:6"]
    assert sum(len(b) for b in loaded.unscored_posts(model="vader")) == 1
    assert sum(len(b) for b in loaded.unscored_posts(model="roberta")) == 6


def test_sentiment_alone_leaves_a_post_to_understand(loaded: GraphStore) -> None:
    loaded.write_post_sentiment(["twitter:1"], [0.5], "vader")
    assert "twitter:1" in set(pd.concat(loaded.unscored_posts())["key"])


def test_unscored_posts_can_be_scored_while_iterating(loaded: GraphStore) -> None:
    seen: list[str] = []
    for batch in loaded.unscored_posts(batch_size=2):
        keys = batch["key"].tolist()
        seen.extend(keys)
        loaded.write_post_understanding(keys, _understood(len(keys)), "vader")
    assert sorted(seen) == sorted(f"twitter:{i}" for i in range(1, 7))
    assert list(loaded.unscored_posts()) == []


def test_post_understanding_round_trip(loaded: GraphStore) -> None:
    evidence = json.dumps({"complaint": ["broken"], "question": ["?"]})
    loaded.write_post_understanding(
        ["twitter:1", "twitter:2"],
        _understood(2, language=["en", "de"], sentiment=[-0.6, float("nan")],
                    sentiment_label=["negative", "unscored"],
                    intents=["complaint|question", ""], intent_evidence=[evidence, "{}"]),
        "vader")
    details = loaded.post_details(["twitter:1", "twitter:2", "twitter:3"]).set_index("key")
    assert details.loc["twitter:1", "intents"] == "complaint|question"
    assert json.loads(details.loc["twitter:1", "intent_evidence"]) == json.loads(evidence)
    assert details.loc["twitter:1", "sentiment_label"] == "negative"
    assert details.loc["twitter:2", "language"] == "de"
    assert details.loc["twitter:2", "sentiment_label"] == "unscored"
    assert pd.isna(details.loc["twitter:3", "language"])


def test_understanding_written_again_clears_what_the_frame_lacks(loaded: GraphStore) -> None:
    """A column the frame lacks (no intent model now), or holds no value of, is cleared
    on the posts written, and only there."""
    loaded.write_post_understanding(["twitter:1", "twitter:2"], _understood(
        2, intent_model_label=["complaint", "praise"]), "trained:x")
    loaded.write_post_understanding(["twitter:1"], _understood(
        1, sentiment=[float("nan")], sentiment_label=["unscored"]), "vader")
    rows = pd.concat(loaded.export_post_understanding()).set_index("key")
    assert pd.isna(rows.loc["twitter:1", "intent_model_label"])
    assert pd.isna(rows.loc["twitter:1", "sentiment"])
    assert rows.loc["twitter:1", "sentiment_model"] == "vader"
    assert rows.loc["twitter:1", "language"] == "en"
    assert rows.loc["twitter:2", "intent_model_label"] == "praise"
    assert rows.loc["twitter:2", "sentiment"] == 0.1


def test_brand_posts(loaded: GraphStore) -> None:
    loaded.write_batch(GraphBatch(posts=[tw("8", "zed", 40, "Thinking about the ROAST"),
                                         tw("9", "zed", 41, "unrelated")]))
    loaded.set_brand(["twitter:brand"], {})
    frame = loaded.brand_posts(["roast", ""])
    for col in ("key", "author_key", "sentiment", "created_at", "kind", "parent_author_key"):
        assert col in frame.columns
    # 2 replies to and mentions the brand, 3 sits in the brand's conversation, 4 and 8
    # name the term; 5 only quotes the brand, 9 and the brand's own post are out.
    assert sorted(frame["key"]) == ["twitter:2", "twitter:3", "twitter:4", "twitter:8"]
    parents = dict(zip(frame["key"], frame["parent_author_key"], strict=True))
    assert parents["twitter:2"] == "twitter:brand"
    assert parents["twitter:3"] == "twitter:danaw"
    assert pd.isna(parents["twitter:8"])


def test_replies_to_names_the_stored_replies_of_the_posts_asked_for(loaded: GraphStore) -> None:
    # 2 replies to 1 and 3 to 2; 4 shares 1 and 5 quotes it (not replies); 6 has none
    assert loaded.replies_to(["twitter:1"]) == ["twitter:2"]
    assert sorted(loaded.replies_to(["twitter:1", "twitter:2", "twitter:6", "twitter:404"])
                  ) == ["twitter:2", "twitter:3"]
    assert loaded.replies_to(["twitter:3", "twitter:4", "twitter:5"]) == []
    assert loaded.replies_to([]) == []
    loaded.write_batch(GraphBatch(posts=[tw("7", "sam", 30, "me too", kind=PostKind.REPLY,
                                            parent_id="1", conversation_id="1")]))
    assert sorted(loaded.replies_to(["twitter:1", "twitter:1"])) == ["twitter:2", "twitter:7"]


def test_author_activity(loaded: GraphStore) -> None:
    frame = loaded.author_activity().set_index("author_key").sort_index()
    assert frame["posts"].to_dict() == {"twitter:brand": 1, "twitter:danaw": 2,
                                        "twitter:eve": 1, "twitter:sam": 2}
    last = pd.to_datetime(frame["last_post_at"])
    assert last["twitter:danaw"] == pd.Timestamp(at(20).replace(tzinfo=None))


# --------------------------------------------------------- runs and scores
ACCOUNTS = ["twitter:danaw", "twitter:sam", "twitter:brand"]


def test_run_lifecycle_and_ranked_reads(loaded: GraphStore) -> None:
    assert loaded.latest_run() is None
    assert loaded.ranked_accounts("advocate", first=10) == []
    assert loaded.account_scores("twitter:danaw") is None
    run = loaded.start_run({"alpha": 0.85})
    [info] = loaded.runs()
    assert (info.run_id, info.status, info.params, info.finished_at) == (
        run, "running", {"alpha": 0.85}, None)
    assert info.started_at.tzinfo is not None
    loaded.write_scores(run, score_frame(ACCOUNTS))
    assert loaded.latest_run() is None  # not readable as "latest" until it finishes
    assert len(loaded.ranked_accounts("advocate", first=10, run_id=run)) == 3
    loaded.finish_run(run, {"accounts": 3})
    latest = loaded.latest_run()
    assert latest is not None and latest.run_id == run and latest.status == "completed"
    assert latest.stats == {"accounts": 3} and latest.finished_at is not None

    top = loaded.ranked_accounts("advocate", first=2)
    assert [(s.rank, s.account.key) for s in top] == [(1, "twitter:danaw"), (2, "twitter:sam")]
    assert top[0].score == 3.0 and top[0].kind == "advocate"
    assert top[0].explanation == [("brand_sentiment", 0.4)]
    nxt = loaded.ranked_accounts("advocate", first=2, after_rank=2)
    assert [(s.rank, s.account.key) for s in nxt] == [(3, "twitter:brand")]
    assert [s.account.key for s in loaded.ranked_accounts("influencer", first=1)] == [
        "twitter:brand"]
    with pytest.raises(StoreError):
        loaded.ranked_accounts("popularity", first=1)

    scores = loaded.account_scores("twitter:danaw")
    assert scores is not None
    assert scores.run_id == run and scores.influence == 1.0 and scores.brand_sentiment == 0.2
    assert scores.customer_value is None and scores.community == 0 and scores.brand_posts == 0
    assert scores.ranks == {"advocate": 1, "influencer": 3, "detractor": 1}
    sam = loaded.account_scores("twitter:sam", run_id=run)
    assert sam is not None and sam.brand_sentiment is None
    assert loaded.account_scores("twitter:eve") is None
    # a page of accounts in one read: those the run scored, by key
    page = loaded.scores_for_accounts(["twitter:sam", "twitter:eve", "twitter:danaw",
                                       "twitter:sam"])
    assert sorted(page) == ["twitter:danaw", "twitter:sam"]
    assert page["twitter:danaw"] == scores and page["twitter:sam"] == sam
    assert loaded.scores_for_accounts([]) == {}

    frame = loaded.score_frame()
    assert sorted(frame.index) == sorted(ACCOUNTS)
    assert frame.loc["twitter:sam", "advocate"] == 2.0
    assert set(frame["run_id"]) == {run}
    assert "explanation" in frame.columns


def test_previous_run_stays_readable_until_the_new_one_finishes(loaded: GraphStore) -> None:
    first = loaded.start_run({})
    loaded.write_scores(first, score_frame(ACCOUNTS, base=1.0))
    loaded.finish_run(first, {})
    second = loaded.start_run({})
    loaded.write_scores(second, score_frame(ACCOUNTS, base=10.0))
    latest = loaded.latest_run()
    assert latest is not None and latest.run_id == first
    assert loaded.ranked_accounts("advocate", first=1)[0].score == 3.0
    loaded.finish_run(second, {})
    latest = loaded.latest_run()
    assert latest is not None and latest.run_id == second
    assert loaded.ranked_accounts("advocate", first=1)[0].score == 30.0
    # The previous run is still there, by id.
    assert loaded.ranked_accounts("advocate", first=1, run_id=first)[0].score == 3.0


def test_failed_runs_keep_no_scores(loaded: GraphStore) -> None:
    good = loaded.start_run({})
    loaded.write_scores(good, score_frame(ACCOUNTS))
    loaded.finish_run(good, {})
    bad = loaded.start_run({})
    loaded.write_scores(bad, score_frame(ACCOUNTS))
    loaded.fail_run(bad, "ValueError: boom")
    statuses = {r.run_id: (r.status, r.error) for r in loaded.runs()}
    assert statuses[bad] == ("failed", "ValueError: boom")
    assert len(loaded.score_frame(bad)) == 0
    latest = loaded.latest_run()
    assert latest is not None and latest.run_id == good


def test_only_the_last_three_completed_runs_keep_scores(loaded: GraphStore) -> None:
    ids = []
    for i in range(5):
        run = loaded.start_run({"i": i})
        loaded.write_scores(run, score_frame(ACCOUNTS, base=float(i + 1)))
        loaded.finish_run(run, {})
        ids.append(run)
    runs = loaded.runs(limit=10)
    assert [r.run_id for r in runs] == ids[::-1]  # newest first
    assert [r.status for r in runs] == ["completed"] * 3 + ["expired"] * 2
    for old in ids[:2]:
        assert len(loaded.score_frame(old)) == 0
        assert loaded.ranked_accounts("advocate", first=5, run_id=old) == []
    for kept in ids[2:]:
        assert len(loaded.score_frame(kept)) == 3
    assert len(loaded.runs(limit=2)) == 2
