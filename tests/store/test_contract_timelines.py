"""The store contract, continued: timelines and their filters, the brand, settings, the
file ledger, counts, windows and metrics. Same ``store`` fixture (both adapters); the
shared records and the ``loaded`` fixture come from ``test_contract``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from test_contract import (  # noqa: F401 - loaded is a fixture
    EXPECTED_COUNTS,
    _understood,
    at,
    loaded,
    tw,
)

from graph.model import Account, PostKind
from graph.store import GraphBatch, GraphStore


# ---------------------------------------------------------------- timelines
def timeline_batch() -> GraphBatch:
    """Dana's history: her posts, a reply that also mentions her, mentions, shares, ties."""
    return GraphBatch(posts=[
        tw("d1", "danaw", 0, "first"),
        tw("b1", "brand", 1, "@danaw thanks!", kind=PostKind.REPLY, parent_id="d1",
           mentions=("danaw",)),
        tw("s1", "sam", 2, "hi @danaw", mentions=("danaw",)),
        tw("s2", "sam", 2, "also @danaw", mentions=("danaw",)),  # same time: key breaks the tie
        tw("r1", "eve", 3, "RT", kind=PostKind.SHARE, shared_id="d1"),
        tw("d2", "danaw", 4, "@brand ok", kind=PostKind.REPLY, parent_id="b1",
           mentions=("brand",)),
        tw("d3", "danaw", 5, "talking to myself @danaw", mentions=("danaw",)),
        tw("x1", "sam", 6, "not about dana"),
        tw("s3", "sam", 7, "again @danaw", mentions=("danaw",)),
    ])


def test_timeline_newest_first_with_reply_over_mention(store: GraphStore) -> None:
    store.write_batch(timeline_batch())
    items = store.timeline(["twitter:danaw"], first=50)
    got = [(i.post_key, i.direction) for i in items]
    assert got == [
        ("twitter:s3", "mention_received"),
        ("twitter:d3", "authored"),
        ("twitter:d2", "authored"),
        ("twitter:r1", "share_received"),
        ("twitter:s2", "mention_received"),
        ("twitter:s1", "mention_received"),
        ("twitter:b1", "reply_received"),  # a reply that mentions her shows once
        ("twitter:d1", "authored"),
    ]
    by_key = {i.post_key: i for i in items}
    assert by_key["twitter:b1"].counterpart is not None
    assert by_key["twitter:b1"].counterpart.key == "twitter:brand"
    assert by_key["twitter:d2"].counterpart is not None
    assert by_key["twitter:d2"].counterpart.key == "twitter:brand"  # the account answered
    assert by_key["twitter:d1"].counterpart is None
    assert by_key["twitter:s3"].time == at(7) and by_key["twitter:s3"].time.tzinfo is not None
    assert by_key["twitter:s3"].subject_key == "twitter:danaw"
    assert by_key["twitter:s3"].platform == "twitter" and by_key["twitter:s3"].kind == "post"
    # a reply that names no conversation joins its parent's
    assert by_key["twitter:b1"].conversation_key == "twitter:d1"
    assert store.timeline([], first=5) == []
    assert store.timeline(["twitter:nobody"], first=5) == []


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_timeline_cursor_pages_have_no_gaps_or_duplicates(store: GraphStore,
                                                           page_size: int) -> None:
    store.write_batch(timeline_batch())
    store.set_brand(["twitter:brand"], {})
    everything = [i.cursor_key for i in store.timeline(["twitter:danaw", "twitter:brand"],
                                                        first=100)]
    assert len(everything) == len(set(everything))
    paged: list[tuple[datetime, str, str]] = []
    cursor = None
    while True:
        page = store.timeline(["twitter:danaw", "twitter:brand"], first=page_size,
                              before=cursor)
        if not page:
            break
        assert len(page) <= page_size
        paged.extend(i.cursor_key for i in page)
        cursor = page[-1].cursor_key
    assert paged == everything
    assert paged == sorted(paged, reverse=True)


def test_brand_response_is_visible_on_the_timeline(store: GraphStore) -> None:
    store.write_batch(timeline_batch())
    store.set_brand(["twitter:brand"], {})
    [b1] = [i for i in store.timeline(["twitter:danaw"], first=50) if i.post_key == "twitter:b1"]
    assert b1.is_brand_response


# ------------------------------------------------- brand, settings, ledger, counts
def test_set_brand_marks_exactly_the_given_accounts(loaded: GraphStore) -> None:
    assert loaded.set_brand(["twitter:brand", "reddit:brandco"], {"brand_name": "Brand"}) == 2
    assert loaded.get_settings() == {"brand_name": "Brand"}
    assert loaded.get_account("reddit:brandco") is not None  # stub created
    marked = {k for k, a in loaded.get_accounts(
        ["twitter:brand", "reddit:brandco", "twitter:danaw"]).items() if a.is_brand}
    assert marked == {"twitter:brand", "reddit:brandco"}
    loaded.set_brand(["twitter:brand"], {"brand_terms": "roast,brew"})
    assert loaded.get_settings() == {"brand_name": "Brand", "brand_terms": "roast,brew"}
    reddit = loaded.get_account("reddit:brandco")
    assert reddit is not None and reddit.is_brand is False
    loaded.set_brand([], {"brand_name": "Brand 2"})
    assert loaded.get_settings()["brand_name"] == "Brand 2"
    brand = loaded.get_account("twitter:brand")
    assert brand is not None and brand.is_brand is False


def test_save_settings_keeps_the_brand_accounts(loaded: GraphStore) -> None:
    loaded.set_brand(["twitter:brand"], {"brand.name": "Brand"})
    loaded.save_settings({"replies.refund": "We have refunded it.", "brand.name": "Brand 2"})
    loaded.save_settings({"replies.refund": ""})
    settings = loaded.get_settings()
    assert settings["brand.name"] == "Brand 2" and settings["replies.refund"] == ""
    assert [a.key for a in loaded.brand_accounts()] == ["twitter:brand"]


def test_brand_flag_survives_ordinary_writes(loaded: GraphStore) -> None:
    loaded.set_brand(["twitter:brand"], {})
    loaded.write_batch(GraphBatch(accounts=[Account("twitter", "brand", followers=60_000)]))
    brand = loaded.get_account("twitter:brand")
    assert brand is not None and brand.is_brand and brand.followers == 60_000


def test_file_ledger(store: GraphStore) -> None:
    assert store.file_ingested("sha256:abc") is False
    store.record_file("sha256:abc", "/data/tweets.jsonl", "twitter", 10, 9, 1)
    assert store.file_ingested("sha256:abc") is True
    store.record_file("sha256:abc", "/data/tweets.jsonl", "twitter", 10, 10, 0)  # re-record
    assert store.file_ingested("sha256:abc") is True
    assert store.file_ingested("sha256:other") is False


def test_counts_of_an_empty_store(store: GraphStore) -> None:
    assert store.counts() == dict.fromkeys(EXPECTED_COUNTS, 0)


def test_sibling_sees_the_same_data(loaded: GraphStore) -> None:
    other = loaded.sibling()
    try:
        assert other.counts() == loaded.counts()
        assert other.backend == loaded.backend
    finally:
        other.close()
    assert loaded.counts() == EXPECTED_COUNTS  # closing the sibling leaves this one open


# --------------------------------------------------- timeline filters, windows, metrics
def test_timeline_filters(loaded: GraphStore) -> None:
    from graph.store import TimelineFilter

    def keys(**kw: object) -> list[str]:
        return [i.post_key for i in loaded.timeline(["twitter:danaw"], first=20,
                                                    filters=TimelineFilter(**kw))]  # type: ignore[arg-type]

    everything = keys()
    assert everything == ["twitter:6", "twitter:5", "twitter:3", "twitter:2"]
    assert keys(directions=("authored",)) == ["twitter:5", "twitter:2"]
    # sam's reply also mentions Dana: it is a reply, never also a mention
    assert keys(directions=("mention_received",)) == ["twitter:6"]
    assert keys(kinds=("quote",)) == ["twitter:5"]
    assert keys(since=at(5), until=at(20)) == ["twitter:3", "twitter:2"]
    assert keys(platforms=("reddit",)) == []


def test_timeline_filters_by_intent_and_language(loaded: GraphStore) -> None:
    from graph.store import TimelineFilter

    loaded.write_post_understanding(
        ["twitter:6", "twitter:5", "twitter:3", "twitter:2"],
        _understood(4, language=["en", "de", "en", "en"],
                    sentiment_label=["negative", "unscored", "neutral", "positive"],
                    intents=["complaint|question", "complaint", "question", "praise"],
                    intent_evidence=['{"complaint": ["broken"], "question": ["?"]}',
                                     '{"complaint": ["kaputt"]}', '{"question": ["how"]}',
                                     '{"praise": ["love"]}']), "vader")

    def keys(**kw: object) -> list[str]:
        return [i.post_key for i in loaded.timeline(["twitter:danaw"], first=20,
                                                    filters=TimelineFilter(**kw))]  # type: ignore[arg-type]

    assert keys(intents=("complaint",)) == ["twitter:6", "twitter:5"]
    assert keys(intents=("question", "praise")) == ["twitter:6", "twitter:3", "twitter:2"]
    assert keys(intents=("compl",)) == []  # a name, not a substring
    assert keys(languages=("de",)) == ["twitter:5"]
    assert keys(languages=("en",), intents=("complaint",)) == ["twitter:6"]
    first = loaded.timeline(["twitter:danaw"], first=1)[0]
    assert (first.language, first.sentiment_label, first.intents) == (
        "en", "negative", "complaint|question")
    assert json.loads(first.intent_evidence)["complaint"] == ["broken"]


def test_active_accounts_and_post_frame(loaded: GraphStore) -> None:
    keys = ["twitter:danaw", "twitter:sam", "twitter:brand", "twitter:nobody"]
    assert loaded.active_accounts(keys, at(5), at(11)) == {"twitter:danaw", "twitter:sam"}
    assert loaded.active_accounts(keys, None, at(1)) == {"twitter:brand"}
    assert loaded.active_accounts([], None, None) == set()
    frame = loaded.post_frame(at(10), None)
    assert sorted(frame["key"]) == ["twitter:3", "twitter:4", "twitter:5", "twitter:6"]
    assert set(frame.columns) >= {"key", "author_key", "platform", "kind", "created_at",
                                  "sentiment", "text", "title"}
    few = loaded.post_frame(at(10), None, columns=("key", "kind", "text"))
    assert list(few.columns) == ["key", "kind", "text"]
    assert few.set_index("key")["text"].to_dict() == frame.set_index("key")["text"].to_dict()
    empty = loaded.post_frame(at(99), None, columns=("key", "created_at"))
    assert list(empty.columns) == ["key", "created_at"] and empty.empty
    with pytest.raises(ValueError, match="no column 'password'"):
        loaded.post_frame(None, None, columns=("key", "password"))
    assert loaded.newest_post_at() == at(25)
    orders = loaded.purchase_frame()
    assert sorted(orders["amount"]) == [20.0, 30.5] and set(orders["customer_id"]) == {"c1"}


def test_brand_engagements_and_accounts(loaded: GraphStore) -> None:
    loaded.write_batch(GraphBatch(posts=[
        tw("7", "brand", 30, "@sam sorry to hear", kind=PostKind.REPLY, parent_id="3",
           conversation_id="1", mentions=("sam",)),
        tw("8", "brand", 40, "thanks @danaw", mentions=("danaw",))]))
    loaded.set_brand(["twitter:brand"], {})
    assert [a.key for a in loaded.brand_accounts()] == ["twitter:brand"]
    first = loaded.brand_engagements().set_index("account_key")["first_at"]
    assert set(first.index) == {"twitter:sam", "twitter:danaw"}
    assert pd.Timestamp(first["twitter:sam"]).to_pydatetime().replace(tzinfo=UTC) == at(30)
    assert pd.Timestamp(first["twitter:danaw"]).to_pydatetime().replace(tzinfo=UTC) == at(40)
