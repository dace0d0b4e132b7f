"""The Neo4j adapter's Python side, without a server (the contract suite needs one).

A recording driver answers with canned rows shaped like Neo4j's; these tests check
what the adapter sends (parameters only, aware datetimes, one transaction per batch)
and how it turns answers into the port's types.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest
from neo4j_recording import RecordingDriver, recorded
from pydantic import SecretStr

from graph.config import Settings
from graph.model import Account, Customer, Follow, OwnsLink, Post, PostKind, Purchase
from graph.neo4j import Neo4jStore
from graph.neo4j import queries as q
from graph.schema import NODE_LABELS
from graph.store import GraphBatch, GraphStore, StoreError


@pytest.fixture
def store() -> Neo4jStore:
    return Neo4jStore(RecordingDriver(), "scrm", batch_size=1000)


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _walk(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _walk(v)]
    return [value]


def test_it_implements_the_port(store: Neo4jStore) -> None:
    assert isinstance(store, GraphStore)
    assert store.backend == "neo4j"


def test_opening_applies_the_schema_idempotently() -> None:
    driver = RecordingDriver()
    Neo4jStore(driver, "scrm")
    assert [s for s in driver.sent if s in q.SCHEMA_STATEMENTS] == list(q.SCHEMA_STATEMENTS)
    assert all("IF NOT EXISTS" in s for s in q.SCHEMA_STATEMENTS)
    assert len(q.CONSTRAINT_STATEMENTS) == len(NODE_LABELS)
    assert "FOR (n:AnalysisRun) REQUIRE n.run_id IS UNIQUE" in q.CONSTRAINT_STATEMENTS[6]


def test_every_datetime_sent_is_timezone_aware() -> None:
    driver = recorded()
    stamps = [v for params in driver.values for v in _walk(params) if isinstance(v, datetime)]
    assert stamps and all(v.tzinfo is not None for v in stamps)
    dates = [v for params in driver.values for v in _walk(params) if type(v) is date]
    assert date(2024, 1, 2) in dates  # purchases travel as Neo4j Dates


def test_writes_are_unwind_merge_batches(store: Neo4jStore) -> None:
    for name in ("MERGE_CUSTOMERS", "MERGE_ACCOUNTS", "MERGE_POSTS", "MERGE_LINKS",
                 "MERGE_FOLLOWS", "MERGE_PURCHASES", "MERGE_SCORES", "MERGE_PENDING"):
        text = getattr(q, name)
        assert text.startswith("UNWIND $rows AS row") and "MERGE" in text, name


def test_the_ranking_builder_only_takes_allowed_kinds() -> None:
    assert "s.detractor_rank > $after" in q.ranked_accounts_query("detractor")
    with pytest.raises(ValueError):
        q.ranked_accounts_query("advocate_rank = 1 OR true //")


def test_answers_become_port_types(store: Neo4jStore) -> None:
    [top] = store.ranked_accounts("advocate", first=1)
    assert top.account.key == "twitter:danaw" and top.rank == 1 and top.score == 0.9
    assert top.explanation == [("nps", 0.5)]
    run = store.latest_run()
    assert run is not None and run.started_at.tzinfo is not None
    customer = store.get_customer("c1")
    assert customer is not None and customer.signup_date == date(2021, 5, 4)
    [item, _] = store.timeline(["twitter:danaw"], first=5)
    assert item.time == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert item.counterpart is not None and item.counterpart.key == "twitter:danaw"
    frame = store.interaction_frame()
    assert str(frame["created_at"].dtype) == "datetime64[us]"
    accounts = store.account_frame()
    assert accounts["is_brand"].dtype == bool and accounts["purchases_total"].tolist() == [5.0]
    parents = store.brand_posts(["roast"])["parent_author_key"].tolist()
    assert parents[0] == "twitter:brand" and pd.isna(parents[1])
    with pytest.raises(StoreError):
        store.ranked_accounts("popularity", first=1)


def test_exported_records_round_trip_into_model_types(store: Neo4jStore) -> None:
    batches = list(store.export_batches(batch_size=10))
    customers, accounts, posts = batches
    assert customers.customers[0].signup_date == date(2021, 5, 4)
    assert customers.links[0].account_key == "twitter:danaw"
    assert customers.purchases[0].purchased_at == date(2024, 1, 2)
    assert accounts.follows[0].followee_handle == "brand"
    [post] = posts.posts
    assert (post.key, post.author_key, post.parent_id, post.mentions) == (
        "twitter:2", "twitter:sam", "1", ("danaw",))
    assert post.created_at.tzinfo is not None
    [understanding] = list(store.export_post_understanding())
    assert understanding.to_dict("records") == [
        {"key": "twitter:2", "sentiment_model": "vader", "sentiment": 0.3,
         "sentiment_label": "positive", "language": "en", "language_confidence": 0.9,
         "intents": "praise", "intent_evidence": '{"praise": ["love"]}',
         "intent_model_label": None}]


def test_a_batch_is_one_transaction() -> None:
    driver = RecordingDriver()
    store = Neo4jStore(driver, "scrm")
    sessions: list[str | None] = []
    auto_commit: list[str] = []
    open_session, execute_query = driver.session, driver.execute_query

    def session(database: str | None = None) -> Any:
        sessions.append(database)
        return open_session(database)

    def outside(query: str, *args: Any, **kwargs: Any) -> Any:
        auto_commit.append(query)
        return execute_query(query, *args, **kwargs)

    driver.session = session  # type: ignore[method-assign]
    driver.execute_query = outside  # type: ignore[method-assign]
    result = store.write_batch(GraphBatch(
        customers=[Customer("c9")], accounts=[Account("twitter", "x")],
        posts=[Post("twitter", "9", "x", datetime(2024, 1, 1, tzinfo=UTC), "hi",
                    kind=PostKind.REPLY, parent_id="1")],
        links=[OwnsLink("c1", "twitter", "x")], follows=[Follow("twitter", "x", "y")],
        purchases=[Purchase("c1", "o9", 1.0, date(2024, 1, 1))]))
    assert sessions == ["scrm"] and auto_commit == []
    assert result.created["posts"] == 1


def test_from_settings_says_what_is_wrong_without_the_password() -> None:
    settings = Settings(neo4j_uri="bolt://127.0.0.1:9", neo4j_password=SecretStr("s3cret-pw"))
    with pytest.raises(StoreError) as info:
        Neo4jStore.from_settings(settings)
    assert "bolt://127.0.0.1:9" in str(info.value)
    assert "s3cret-pw" not in str(info.value)


def test_users_sessions_and_audit_answers(store: Neo4jStore) -> None:
    user = store.session_user("s1", datetime(2024, 3, 1, tzinfo=UTC))
    assert user is not None and user["name"] == "ana" and user["disabled"] is False
    assert user["created_at"] == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    [entry] = store.audit_log(customer_id="c1")
    assert entry["at"].tzinfo is not None and entry["actor"] == "ana"
    with pytest.raises(StoreError, match="unknown role"):
        store.save_user("ana", role="owner", password_hash="h")
    with pytest.raises(StoreError, match="needs a session key or a user"):
        store.end_sessions()


def test_erasure_redacts_the_audit_log_in_the_forgetting_call() -> None:
    driver = RecordingDriver()
    Neo4jStore(driver, "scrm", batch_size=1000).forget_customer("c1")
    sent = [query for query, _ in driver.calls]
    # the log is redacted before the person's names are gone, then the forgetting runs
    assert sent.index(q.AUDIT_CUSTOMER_NAMES) < sent.index(q.REDACT_AUDIT) < sent.index(
        q.FORGET_LINKED_ACCOUNTS)
    [terms] = [p["terms"] for query, p in driver.calls if query == q.AUDIT_ABOUT]
    assert terms == ["dana west", "danaw"]
    assert driver.rows_sent(q.REDACT_AUDIT) == [
        {"key": "a1", "summary": "details erased with the customer's data"},
        {"key": "a2", "summary": "asked @[redacted]"}]
