"""A stand-in Neo4j driver that records what :class:`Neo4jStore` sends.

No Neo4j server runs here, so this is how the adapter's Python side is exercised:
every port method runs against canned rows shaped like the real answers, and every
statement and the parameter names sent with it are recorded. The Cypher check
(``test_cypher_lint.py``) declares exactly those parameters to Neo4j's linter, so a
statement that uses a parameter the adapter never sends is an error.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from neo4j import Record, RoutingControl
from neo4j.time import Date, DateTime

from graph.model import Account, Customer, Follow, OwnsLink, Post, PostKind, Purchase
from graph.neo4j import Neo4jStore
from graph.neo4j import queries as q
from graph.planning import post_fingerprint
from graph.schema import SCORE_KINDS
from graph.store import AnalysisRunInfo, GraphBatch, TimelineFilter

NOW = DateTime.from_native(datetime(2024, 3, 1, 12, 0, tzinfo=UTC))

ACCOUNT = {"key": "twitter:danaw", "platform": "twitter", "handle": "danaw", "user_id": "2",
           "display_name": "Dana", "followers": 300, "is_brand": False, "location": None,
           "description": None, "created_at": NOW, "following": 120, "listed": 1,
           "client": "Twitter for Android"}
CUSTOMER = {"key": "c1", "name": "Dana West", "email": None, "lifetime_value": 10.0, "nps": 9,
            "signup_date": Date(2021, 5, 4), "location": None, "company": None}
SCORE = {"run_id": "r1", "account_key": "twitter:danaw", "influence": 0.5, "reach": 1.0,
         "engagement": 0.2, "brand_sentiment": None, "brand_posts": 2, "customer_value": None,
         "community": 1, "bridge": 0.0, "advocate": 0.9, "influencer": 0.4, "detractor": 0.0,
         "advocate_rank": 1, "influencer_rank": 2, "detractor_rank": 3,
         "explanation": json.dumps({"advocate": [["nps", 0.5]]})}

USER = {"name": "ana", "role": "agent", "password_hash": "$argon2id$x", "created_at": NOW,
        "disabled": False}
AUDIT = {"key": "a1", "at": NOW, "actor": "ana", "action": "note",
         "conversation_key": "twitter:1", "customer_id": "c1", "summary": "note: called"}


def _run(run_id: str, status: str) -> dict[str, Any]:
    return {"run_id": run_id, "started_at": NOW, "finished_at": NOW, "status": status,
            "params": "{}", "stats": "{}", "error": None}


def _timeline_row(key: str) -> dict[str, Any]:
    return {"subject": "twitter:danaw", "key": key, "time": NOW, "platform": "twitter",
            "kind": "reply", "text": "hi", "sentiment": None, "conversation_key": key,
            "url": None, "counterpart": "twitter:danaw"}


def _post_row(key: str) -> dict[str, Any]:
    return {"key": key, "author_key": "twitter:sam", "sentiment": 0.1, "created_at": NOW,
            "kind": "reply"}


CANNED: dict[str, list[dict[str, Any]]] = {
    q.PENDING_TOTAL: [{"n": 1}],
    q.PENDING_FOR_TARGETS: [{"key": "REPLY_TO|twitter:3|twitter:1", "rel": "REPLY_TO",
                             "from_key": "twitter:3", "to_key": "twitter:1",
                             "share_kind": None}],
    q.EXISTING_CUSTOMERS: [CUSTOMER],
    q.EXISTING_ACCOUNTS: [ACCOUNT],
    # post 1 is stored with the shortened text the workload's full text replaces
    q.EXISTING_POSTS: [{"key": "twitter:1", "content_hash": post_fingerprint(
        "twitter:brand", NOW.to_native(), "hel…", None)}],
    q.STORED_POST_TEXTS: [{"key": "twitter:1", "text": "hel…"}],
    q.POST_CONVERSATIONS: [{"key": "twitter:404", "conversation_key": "twitter:400"}],
    # a conversation filed under reply 3's key before 3 arrived: it moves to 3's thread
    q.EXISTING_CONVERSATIONS: [{"key": "twitter:3"}],
    q.EXISTING_LINKS: [{"customer_id": "c1", "account_key": "twitter:danaw",
                        "confidence": 0.5, "method": "fuzzy"}],
    q.DELETE_LINK: [{"n": 1}],
    q.GET_SETTINGS: [{"key": "brand_name", "value": "Brand"}],
    q.FILE_INGESTED: [{"key": "f1"}],
    q.COUNTS: [{"Customer": 1, "Account": 2}],
    q.ACCOUNT_FRAME_PAGE: [{"key": "twitter:danaw", "platform": "twitter", "handle": "danaw",
                            "followers": 3, "is_brand": None, "customer_id": "c1",
                            "lifetime_value": 10.0, "nps": 9, "link_confidence": 1.0}],
    q.ACCOUNT_PROFILES: [{k: ACCOUNT[k] for k in (
        "key", "followers", "created_at", "following", "listed", "client")}],
    q.PURCHASE_PAGE: [{"key": "c1:o1", "customer_id": "c1", "amount": 5.0}],
    q.POST_KEY_PAGE: [{"key": "twitter:1"}],
    q.REPLY_INTERACTIONS: [{"src": "twitter:sam", "dst": "twitter:danaw", "kind": "reply",
                            "created_at": NOW, "sentiment": None}],
    q.UNSCORED_POST_PAGE: [{"key": "twitter:1", "title": None, "text": "hi"}],
    q.UNSCORED_BY_MODEL_POST_PAGE: [{"key": "twitter:1", "title": None, "text": "hi"}],
    q.BRAND_MENTION_POSTS: [_post_row("twitter:2")],
    q.TERM_POSTS: [_post_row("twitter:3")],
    q.PARENT_AUTHORS: [{"key": "twitter:2", "parent_author_key": "twitter:brand"}],
    # a batch told to the care queue: a customer's post and the brand's answer
    q.POSTS_AMONG: [{**_post_row("twitter:2"), "conversation_key": "twitter:1", "title": None,
                     "text": "@brand hi"},
                    {**_post_row("twitter:9"), "author_key": "twitter:brand",
                     "conversation_key": "twitter:1", "title": None, "text": "hello"}],
    q.BRAND_ACCOUNT_KEYS: [{"key": "twitter:brand"}],
    q.AUTHOR_ACTIVITY: [{"author_key": "twitter:sam", "posts": 2, "last_post_at": NOW}],
    q.LATEST_RUN: [_run("r1", "completed")],
    q.RUNS: [_run(f"r{i}", "completed") for i in range(1, 6)] + [_run("r0", "failed")],
    q.SCORE_FRAME: [SCORE],
    q.ACCOUNT_SCORE: [SCORE],
    q.ACCOUNT_SCORES: [SCORE],
    **{q.ranked_accounts_query(kind): [{**SCORE, **ACCOUNT}] for kind in SCORE_KINDS},
    q.GET_ACCOUNTS: [ACCOUNT],
    q.GET_CUSTOMER: [CUSTOMER],
    q.CUSTOMERS_FOR_ACCOUNTS: [{**CUSTOMER, "account_key": "twitter:danaw", "confidence": 1.0}],
    q.LINKED_ACCOUNTS: [{**ACCOUNT, "confidence": 1.0, "method": "crm", "evidence": None}],
    q.TIMELINE_AUTHORED: [_timeline_row("twitter:1")],
    q.TIMELINE_MENTIONS_RECEIVED: [_timeline_row("twitter:2")],
    q.EXPORT_CUSTOMER_PAGE: [{**CUSTOMER, "links": [
        {"platform": "twitter", "handle": "danaw", "confidence": 1.0, "method": "crm",
         "evidence": None}], "purchases": [
        {"order_id": "o1", "amount": 5.0, "purchased_at": Date(2024, 1, 2)}]}],
    q.EXPORT_ACCOUNT_PAGE: [{**ACCOUNT, "follows": ["brand"]}],
    q.EXPORT_POST_PAGE: [{
        "key": "twitter:2", "platform": "twitter", "post_id": "2", "author_key": "twitter:sam",
        "text": "hi", "title": None, "created_at": NOW, "url": None, "kind": "reply",
        "parent_key": "twitter:1", "conversation_key": "twitter:1", "shared_key": None,
        "hashtags": ["x"], "lang": "en", "likes": 1, "reposts": None, "replies": None,
        "score": None, "accepted": None, "mentions": ["danaw"]}],
    q.EXPORT_UNDERSTANDING_PAGE: [{
        "key": "twitter:2", "sentiment_model": "vader", "sentiment": 0.3,
        "sentiment_label": "positive", "language": "en", "language_confidence": 0.9,
        "intents": "praise", "intent_evidence": '{"praise": ["love"]}',
        "intent_model_label": None}],
    q.ACTIVE_ACCOUNTS: [{"k": "twitter:danaw"}],
    q.POST_FRAME_PAGE: [{**_post_row("twitter:2"), "platform": "twitter", "text": "hi",
                         "title": None}],
    q.NEWEST_POST: [{"t": NOW}],
    q.WEBHOOK_SUBSCRIPTIONS: [{"key": "wh_1", "url": "https://example.com/h",
                               "events": '["alert"]', "secret": "s", "enabled": True,
                               "created_at": NOW, "description": ""}],
    q.DELETE_WEBHOOK_SUBSCRIPTION: [{"n": 1}],
    q.WEBHOOK_DELIVERIES: [{"subscription_id": "wh_1", "event_id": "e1", "kind": "alert",
                            "attempt": 1, "at": NOW, "outcome": "delivered", "status": 200,
                            "error": None, "duration_ms": 2.0}],
    q.EVENT_STATES_CHECKED: [{"key": "alert|*"}],
    q.EVENT_STATES: [{"item_key": "a1"}],
    q.TOPIC_AUTHORS: [{"author_key": "twitter:sam", "posts": 2}],
    q.PURCHASE_FRAME: [{"customer_id": "c1", "amount": 5.0, "purchased_at": Date(2024, 1, 2)}],
    q.BRAND_REPLY_ENGAGEMENTS: [{"account_key": "twitter:sam", "first_at": NOW}],
    q.BRAND_MENTION_ENGAGEMENTS: [{"account_key": "twitter:sam", "first_at": NOW}],
    q.BRAND_ACCOUNTS: [{**ACCOUNT, "key": "twitter:brand", "handle": "brand", "is_brand": True}],
    q.SAVE_CARE_CASE: [{"key": "twitter:1", "status": "assigned", "assignee": "ana",
                        "team": "pr", "updated_at": NOW, "resolved_at": None}],
    q.CARE_CASES: [{"key": "twitter:1", "status": "assigned", "assignee": "ana",
                    "team": "pr", "updated_at": NOW, "resolved_at": None}],
    q.CARE_NOTES: [{"key": "n1", "conversation_key": "twitter:1", "author": "ana",
                    "text": "called", "created_at": NOW}],
    q.FORGOTTEN_KEYS: [{"key": "abc"}],
    q.PRIVACY_SALT: [{"value": "0123456789abcdef"}],
    q.FORGET_LINKED_ACCOUNTS: [{"key": "twitter:danaw", "platform": "twitter",
                                "handle": "danaw"}],
    q.FORGET_ACCOUNT: [{"posts": 2}],
    q.PERSON_CUSTOMER: [{"name": "Dana West", "email": "dana@example.com"}],
    q.PERSON_ACCOUNTS: [ACCOUNT],
    q.PERSON_POSTS: [{"key": "twitter:1", "text": "my bike broke on the bridge again",
                      "title": None, "conversation_key": "twitter:1"}],
    q.POSTS_ABOUT_PERSON: [
        {"key": "twitter:3", "text": "@danaw yes", "title": None, "author": "twitter:sam",
         "created_at": NOW, "kind": "reply", "conversation_key": "twitter:1", "shares": False},
        {"key": "twitter:4", "text": "RT @danaw: my bike broke on the bridge again",
         "title": None, "author": "twitter:sam", "created_at": NOW, "kind": "share",
         "conversation_key": "twitter:4", "shares": True}],
    q.ALL_CARE_NOTES: [{"key": "n1", "text": "called Dana West on dana@example.com"}],
    q.CUSTOMER_ORDERS: [{"key": "c1:o1"}],
    q.GET_USER: [USER],
    q.ALL_USERS: [USER],
    q.SAVE_USER: [USER],
    q.SESSION_USER: [USER],
    q.DELETE_USER: [{"n": 1}],
    q.END_SESSION: [{"n": 1}],
    q.END_USER_SESSIONS: [{"n": 2}],
    q.AUDIT_ALL: [AUDIT],
    q.AUDIT_OF_CONVERSATION: [AUDIT],
    q.AUDIT_OF_CUSTOMER: [AUDIT],
    q.AUDIT_CUSTOMER_NAMES: [{"name": "Dana West", "email": None, "handles": ["danaw"]}],
    q.AUDIT_ABOUT: [{"key": "a1", "customer_id": "c1", "summary": "note: called Dana"},
                    {"key": "a2", "customer_id": None, "summary": "asked @danaw"}],
}


def _records(query: str) -> list[Record]:
    return [Record(row) for row in CANNED.get(query, [])]


@dataclass
class RecordingDriver:
    """Answers like ``neo4j.Driver`` with :data:`CANNED` rows; keeps what was sent."""

    sent: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    values: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    # A scenario's stored state, per statement: rows answered instead of CANNED (only
    # those whose key was asked for, when the statement takes ``$keys``); every
    # statement and its parameters in the order sent.
    answers: dict[str, list[dict[str, Any]]] | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _record(self, query: str, params: dict[str, Any] | None) -> list[Record]:
        self.sent[query] |= set(params or {})
        self.values.append(dict(params or {}))
        self.calls.append((query, dict(params or {})))
        if self.answers is None:
            return _records(query)
        rows = self.answers.get(query, [])
        if params and "keys" in params:
            asked = set(params["keys"])
            rows = [r for r in rows if r.get("key") in asked]
        return [Record(row) for row in rows]

    def rows_sent(self, query: str) -> list[dict[str, Any]]:
        """Every row sent with ``query`` (its ``$rows``, or its ``$keys`` as keys)."""
        out: list[dict[str, Any]] = []
        for sent, params in self.calls:
            if sent == query:
                out.extend(params.get("rows") or [{"key": k} for k in params.get("keys", [])])
        return out

    def execute_query(self, query: str, parameters_: dict[str, Any] | None = None,
                      routing_: RoutingControl = RoutingControl.WRITE,
                      database_: str | None = None, **_: Any) -> tuple[Any, Any, Any]:
        assert isinstance(routing_, RoutingControl)
        assert database_ == "scrm"
        return self._record(query, parameters_), None, []

    def session(self, database: str | None = None) -> RecordingSession:
        assert database == "scrm"
        return RecordingSession(self)

    def close(self) -> None:
        self.closed = True


@dataclass
class RecordingSession:
    driver: RecordingDriver

    def __enter__(self) -> RecordingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute_write(self, work: Callable[[Any], Any]) -> Any:
        return work(self)  # the session stands in for the transaction

    def run(self, query: str, parameters: dict[str, Any] | None = None) -> Iterator[Record]:
        return iter(self.driver._record(query, parameters))


def workload(store: Neo4jStore) -> None:
    """Call every port method (and the migration extras) at least once."""
    t = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    store.write_batch(GraphBatch(
        customers=[Customer("c1", name="Dana West", nps=10), Customer("c2")],
        accounts=[Account("twitter", "DanaW", followers=301, created_at=t, following=120,
                          listed=1, client="Twitter for Android"), Account("twitter", "sam")],
        posts=[Post("twitter", "1", "brand", t, "hello"),
               Post("twitter", "3", "sam", t, "@danaw yes", kind=PostKind.REPLY, parent_id="1",
                    mentions=("danaw",)),
               Post("twitter", "4", "sam", t, "RT", kind=PostKind.SHARE, shared_id="1"),
               Post("twitter", "5", "sam", t, "q", kind=PostKind.QUOTE, shared_id="404"),
               Post("twitter", "6", "sam", t, "a reply to a post stored elsewhere",
                    kind=PostKind.REPLY, parent_id="404")],
        links=[OwnsLink("c1", "twitter", "danaw", 0.9, "email")],
        follows=[Follow("twitter", "danaw", "brand")],
        purchases=[Purchase("c1", "o1", 5.0, date(2024, 1, 2))]))
    store.set_brand(["twitter:brand"], {"brand_name": "Brand"})
    store.get_settings()
    store.file_ingested("f1")
    store.record_file("f1", "/data/x.jsonl", "twitter", 1, 1, 0)
    store.link_account(OwnsLink("c1", "twitter", "danaw", method="manual"))
    store.unlink_account("c1", "twitter:danaw")
    store.account_frame()
    store.account_profiles(["twitter:danaw", "twitter:sam"])
    store.interaction_frame()
    list(store.unscored_posts(batch_size=1))
    list(store.unscored_posts(model="vader"))
    store.brand_posts(["roast"])
    store.author_activity()
    store.write_post_sentiment(["twitter:1"], [0.5], "vader")
    store.write_post_understanding(["twitter:1"], pd.DataFrame({
        "language": ["en"], "language_confidence": [0.9], "sentiment": [float("nan")],
        "sentiment_label": ["unscored"], "intents": ["question"],
        "intent_evidence": ['{"question": ["?"]}']}), "vader")
    run_id = store.start_run({"alpha": 0.85})
    store.write_scores(run_id, pd.DataFrame(
        [{k: v for k, v in SCORE.items() if k not in ("run_id", "account_key")}],
        index=pd.Index(["twitter:danaw"], name="account_key")))
    store.finish_run(run_id, {"accounts": 1})
    store.fail_run("r9", "boom")
    store.latest_run()
    store.runs()
    for kind in SCORE_KINDS:
        store.ranked_accounts(kind, first=5)
    store.account_scores("twitter:danaw")
    store.scores_for_accounts(["twitter:danaw", "twitter:sam"])
    store.score_frame()
    store.counts()
    store.get_account("twitter:danaw")
    store.get_customer("c1")
    store.customers_for_accounts(["twitter:danaw"])
    store.linked_accounts("c1")
    store.timeline(["twitter:danaw"], first=5)
    store.timeline(["twitter:danaw"], first=5, before=(t, "twitter:9", "authored"))
    store.customer_frame()
    store.link_frame()
    store.record_decision("c1", "twitter:danaw", "reject")
    store.decision_frame()
    store.replace_candidates([{"customer_id": "c2", "account_key": "twitter:sam",
                               "confidence": 0.6, "evidence": ["display name"]}])
    store.pending_candidates(10)
    store.conversation_posts("twitter:1")
    store.post_details(["twitter:1"])
    store.brand_reply_times()
    store.brand_posts_among(["roast"], ["twitter:2", "twitter:9"])
    store.replies_to(["twitter:2"])
    store.purchases("c1")
    list(store.export_batches(batch_size=10))
    list(store.export_post_understanding(batch_size=10))
    store.import_run(AnalysisRunInfo("r1", t, t, "completed", {}, {}))
    store.timeline(["twitter:danaw"], first=5, filters=TimelineFilter(
        platforms=("twitter",), kinds=("reply",), directions=("mention_received",),
        since=t, until=t, intents=("complaint",), languages=("en",)))
    store.active_accounts(["twitter:danaw"], t, None)
    store.post_frame(t, None)
    store.newest_post_at()
    store.topic_authors("Roast")
    store.purchase_frame()
    store.brand_engagements()
    store.brand_accounts()
    store.score_frame(columns=("influence", "community"))
    store.care_cases()
    store.care_cases(["twitter:1"])
    store.save_care_case("twitter:1", status="assigned", assignee="ana", team="pr")
    store.add_care_note("twitter:1", "ana", "called")
    store.care_notes(["twitter:1"])
    store.care_notes_containing("@ana")
    store.post_count()
    store.save_webhook_subscription({"key": "wh_1", "url": "https://example.com/h",
                                     "events": ["alert"], "secret": "s", "enabled": True,
                                     "created_at": t, "description": ""})
    store.webhook_subscriptions()
    store.delete_webhook_subscription("wh_1")
    store.add_webhook_deliveries([{"subscription_id": "wh_1", "event_id": "e1",
                                   "kind": "alert", "attempt": 1, "at": t,
                                   "outcome": "delivered", "status": 200, "error": None,
                                   "duration_ms": 2.0}])
    store.webhook_deliveries(10)
    store.webhook_deliveries(10, "wh_1")
    store.save_outbox_items([{"key": "mastodon:scrm-1", "conversation_key": "mastodon:m/1",
                              "platform": "mastodon", "target_key": "mastodon:m/1",
                              "target_author": "mastodon:ana@m", "author_key": "mastodon:b@m",
                              "state": "queued", "attempts": 0, "idempotency_key": "scrm-1",
                              "remote_id": None, "remote_url": None, "error": None,
                              "next_try": t, "sending_at": None, "sent_at": None,
                              "created_at": t, "updated_at": t}])
    store.outbox_items()
    store.outbox_items(states=["queued"])
    store.outbox_items(keys=["mastodon:scrm-1"])
    store.outbox_items_answering(["mastodon:ana@m"])
    store.blank_post_texts(["twitter:1"])
    store.event_states("alert")
    store.save_event_states("alert", ["a2"], ["a1"])
    store.forgotten_keys()
    store.save_user("ana", role="agent", password_hash="$argon2id$x")
    store.save_user("ana", role="viewer", disabled=True)
    store.get_user("ana")
    store.users()
    store.create_session("s1", "ana", t)
    store.session_user("s1", t)
    store.end_sessions(key="s1")
    store.end_sessions(user="ana")
    store.remove_user("ana")
    store.add_audit("ana", "note", "note: called", conversation_key="twitter:1",
                    customer_id="c1")
    store.audit_log()
    store.audit_log(conversation_key="twitter:1")
    store.audit_log(customer_id="c1")
    store.forget_customer("c1")
    store.sibling().close()


def recorded() -> RecordingDriver:
    driver = RecordingDriver()
    store = Neo4jStore(driver, "scrm", batch_size=1000)
    workload(store)
    store.close()
    return driver
