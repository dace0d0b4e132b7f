"""The store contract, continued: care cases and notes, erasure, the privacy salt, webhook
subscriptions and event states, posts scored on arrival. Same ``store`` fixture (both
adapters); the shared records and the ``loaded`` fixture come from ``test_contract``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_contract import loaded, sample_batch, tw  # noqa: F401 - loaded is a fixture

from graph.model import Post, PostKind
from graph.store import GraphBatch, GraphStore, StoreError


def test_care_cases_and_notes(loaded: GraphStore) -> None:
    assert loaded.care_cases() == {}
    case = loaded.save_care_case("twitter:1", status="assigned", assignee="ana", team="pr")
    assert (case["status"], case["assignee"], case["team"]) == ("assigned", "ana", "pr")
    assert case["updated_at"].tzinfo is not None and case["resolved_at"] is None
    done = loaded.save_care_case("twitter:1", status="resolved", assignee="ana", team="pr")
    assert done["resolved_at"] is not None
    assert set(loaded.care_cases(["twitter:1", "twitter:9"])) == {"twitter:1"}
    with pytest.raises(StoreError):
        loaded.save_care_case("twitter:1", status="lost", assignee=None, team=None)
    first = loaded.add_care_note("twitter:1", "ana", "called")
    loaded.add_care_note("twitter:1", "bo", "refunded")
    notes = loaded.care_notes(["twitter:1", "twitter:9"])
    assert [n["text"] for n in notes["twitter:1"]] == ["called", "refunded"]
    assert notes["twitter:9"] == [] and notes["twitter:1"][0]["key"] == first["key"]


# ------------------------------------------------------------------------ privacy
def test_forget_customer(loaded: GraphStore) -> None:
    from neo4j_twin_driver import sent_only

    from graph.model import tombstone
    from graph.neo4j import queries as q

    driver = sent_only(loaded)
    if driver is not None:  # LadybugDB cannot rename a primary key: judge what is sent
        assert loaded.forget_customer("nobody") is None
        counts = loaded.forget_customer("c1")
        assert counts is not None and counts["accounts"] == 1 and counts["purchases"] == 2
        [forget] = [p for s, p in driver.calls if s == q.FORGET_ACCOUNT]
        assert forget["old"] == "twitter:danaw" and forget["new"].startswith("twitter:forgotten-")
        [orders] = [p for s, p in driver.calls if s == q.MOVE_ORDERS]
        assert sorted(r["key"] for r in orders["rows"]) == ["c1:o1", "c1:o2"]
        assert [p["customer_id"] for s, p in driver.calls if s == q.DELETE_CUSTOMER] == ["c1"]
        salt = loaded.get_settings()["privacy.salt"]
        [stones] = [p["keys"] for s, p in driver.calls if s == q.ADD_TOMBSTONES]
        # the person and their account, besides the redacted posts' tombstones
        assert {tombstone("customer", "c1", salt),
                tombstone("account", "twitter:danaw", salt)} <= set(stones)
        return

    assert loaded.forget_customer("nobody") is None
    counts = loaded.forget_customer("c1")
    assert counts == {"accounts": 1, "posts": 2, "mentions_redacted": 2, "copies_blanked": 0,
                      "notes_redacted": 0, "purchases": 2}
    assert loaded.get_customer("c1") is None and loaded.get_account("twitter:danaw") is None
    after = loaded.counts()
    assert {k: after[k] for k in ("Customer", "Account", "Post", "Purchase", "MENTIONS",
                                  "POSTED", "FOLLOWS")} == {
        "Customer": 2, "Account": 4, "Post": 6, "Purchase": 2, "MENTIONS": 4, "POSTED": 6,
        "FOLLOWS": 2}
    posts = loaded.post_frame(None, None).set_index("key")
    assert posts.loc["twitter:2", "text"] == "" and posts.loc["twitter:5", "text"] == ""
    assert posts.loc["twitter:6", "text"] == "hey @[erased]"
    assert posts.loc["twitter:3", "text"] == "@[erased] @brand meh"
    assert "danaw" not in " ".join(loaded.account_frame()["key"])
    salt = loaded.get_settings()["privacy.salt"]
    # the posts redacted for her: a re-import skips them instead of refusing a conflict
    assert loaded.forgotten_keys() == {tombstone("customer", "c1", salt),
                                       tombstone("account", "twitter:danaw", salt),
                                       tombstone("post", "twitter:3", salt),
                                       tombstone("post", "twitter:6", salt)}
    assert sum(loaded.purchase_frame()["amount"]) == 50.5


def test_forget_redacts_notes_and_blanks_copies(loaded: GraphStore) -> None:
    from neo4j_twin_driver import sent_only

    sent_only(loaded)  # on the twin, the in-place key rename is recorded, not run
    person = loaded.personal_data("c1")
    assert person is not None and "danaw" in person.handles
    words = "my words exactly as I wrote them"
    loaded.write_batch(GraphBatch(posts=[
        Post(platform="twitter", post_id="70", author_handle="danaw", text=words,
             created_at=datetime(2024, 3, 1, tzinfo=UTC)),
        Post(platform="twitter", post_id="71", author_handle="sam", text=f"RT @danaw: {words}",
             kind=PostKind.SHARE, shared_id="70", created_at=datetime(2024, 3, 2, tzinfo=UTC)),
    ]))
    name = loaded.get_customer("c1").name  # type: ignore[union-attr]
    loaded.add_care_note("twitter:1", "ana", f"spoke to {name} about it")
    counts = loaded.forget_customer("c1")
    assert counts is not None and counts["copies_blanked"] == 1 and counts["notes_redacted"] == 1
    posts = loaded.post_frame(None, None).set_index("key")
    assert posts.loc["twitter:71", "text"] == ""
    note = loaded.care_notes(["twitter:1"])["twitter:1"][0]["text"]
    assert name not in note and "[erased]" in note


def test_the_privacy_salt_is_written_once(loaded: GraphStore) -> None:
    from neo4j_twin_driver import sent_only

    sent_only(loaded)  # on the twin, the in-place key rename is recorded, not run
    loaded.forget_customer("c1")
    salt = loaded.get_settings()["privacy.salt"]
    loaded.set_brand([], {"privacy.salt": "guessable"})  # nothing may replace it
    assert loaded.get_settings()["privacy.salt"] == salt


def test_webhook_subscriptions_and_deliveries(store: GraphStore) -> None:
    from datetime import UTC, datetime

    created = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    sub = {"key": "wh_1", "url": "https://example.com/h", "events": ["alert", "care_item"],
           "secret": "s3", "enabled": True, "created_at": created, "description": "crm"}
    store.save_webhook_subscription(sub)
    store.save_webhook_subscription({**sub, "key": "wh_2", "created_at": created.replace(
        hour=10), "enabled": False, "events": ["resolution"]})
    assert store.webhook_subscriptions()[0] == sub
    assert [(s["key"], s["enabled"], s["events"]) for s in store.webhook_subscriptions()] == [
        ("wh_1", True, ["alert", "care_item"]), ("wh_2", False, ["resolution"])]
    store.save_webhook_subscription({**sub, "enabled": False})  # replaced, not added
    assert [s["enabled"] for s in store.webhook_subscriptions()] == [False, False]
    assert store.delete_webhook_subscription("wh_2") is True
    assert store.delete_webhook_subscription("wh_2") is False
    tries = [{"subscription_id": "wh_1", "event_id": "evt_1", "kind": "alert", "attempt": n,
              "at": created.replace(minute=n), "outcome": o, "status": c, "error": e,
              "duration_ms": 1.5} for n, o, c, e in ((1, "retry", 500, "HTTP 500"),
                                                    (2, "retry", None, "timed out"),
                                                    (3, "delivered", 200, None))]
    store.add_webhook_deliveries(tries)
    store.add_webhook_deliveries([{**tries[0], "subscription_id": "wh_9", "event_id": "e2"}])
    log = store.webhook_deliveries(limit=10, subscription_id="wh_1")
    assert log == tries[::-1]
    assert len(store.webhook_deliveries(limit=2)) == 2
    assert store.webhook_deliveries(limit=10)[0]["attempt"] == 3


def test_event_states(store: GraphStore) -> None:
    assert store.event_states("alert") is None  # never checked
    store.save_event_states("alert", [], [])
    assert store.event_states("alert") == set()
    store.save_event_states("alert", ["a1", "a2"], [])
    store.save_event_states("care_item", ["twitter:1"], [])
    assert store.event_states("alert") == {"a1", "a2"}
    store.save_event_states("alert", ["a3"], ["a1"])
    assert store.event_states("alert") == {"a2", "a3"}
    store.save_event_states("alert", ["a1"], [])  # back again
    assert store.event_states("alert") == {"a1", "a2", "a3"}
    assert store.event_states("care_item") == {"twitter:1"}


def test_a_post_scored_on_arrival_is_stored_with_its_sentiment(store: GraphStore) -> None:
    from datetime import UTC, datetime

    from graph.model import Post
    from graph.store import GraphBatch

    at = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    scored = Post("twitter", "s1", "ann", at, "awful", sentiment=-0.7, sentiment_model="vader")
    store.write_batch(GraphBatch(posts=[scored, Post("twitter", "s2", "bob", at, "ok")]))
    store.write_batch(GraphBatch(posts=[Post("twitter", "s1", "ann", at, "awful")]))  # again
    frame = store.post_frame(None, None).set_index("key")
    assert frame.loc["twitter:s1", "sentiment"] == -0.7  # kept, not cleared by the re-write
    assert frame.loc["twitter:s2", "sentiment"] != frame.loc["twitter:s2", "sentiment"]  # NaN
    # both still wait for understanding (language, intents): a score on arrival is not that
    waiting = [f["key"] for f in store.unscored_posts(model="vader")][0].tolist()
    assert sorted(waiting) == ["twitter:s1", "twitter:s2"]
