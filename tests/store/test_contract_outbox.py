"""The store contract for the outbox's rows (``graph.outbox``): saved, replaced, read by key
and by state, and a post's text blanked. Same ``store`` fixture (both adapters)."""

from __future__ import annotations

from datetime import UTC, datetime

from test_contract import loaded, sample_batch, tw  # noqa: F401 - loaded is a fixture

from graph.outbox import BY_HAND, FAILED, QUEUED, SENDING, SENT, OutboxItem, plan_item
from graph.store import GraphStore

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def _item(key: str, state: str, **more: object) -> OutboxItem:
    item = OutboxItem(key=key, conversation_key="mastodon:m.example/1", platform="mastodon",
                      target_key="mastodon:m.example/1", target_author="mastodon:ana@m.example",
                      author_key="mastodon:brand@m.example", state=state,
                      idempotency_key=f"scrm-{key[-1]}", created_at=T0, updated_at=T0)
    for name, value in more.items():
        setattr(item, name, value)
    return item


def test_outbox_items_are_saved_replaced_and_read(store: GraphStore) -> None:
    queued = _item("mastodon:scrm-a", QUEUED)
    failed = _item("mastodon:scrm-b", FAILED, attempts=2, error="HTTP 503",
                   next_try=T0.replace(minute=5), sending_at=T0.replace(minute=1),
                   created_at=T0.replace(minute=1))
    manual = _item("mastodon:scrm-c", BY_HAND, error="no credentials",
                   created_at=T0.replace(minute=2))
    assert store.outbox_items() == []
    store.save_outbox_items([queued.row(), failed.row(), manual.row()])
    rows = store.outbox_items()
    assert [r["key"] for r in rows] == ["mastodon:scrm-c", "mastodon:scrm-b", "mastodon:scrm-a"]
    assert OutboxItem.from_row(rows[1]) == failed
    assert rows[1]["next_try"].tzinfo is not None and rows[2]["sent_at"] is None
    assert {r["key"] for r in store.outbox_items(states=[QUEUED, FAILED])} == {
        "mastodon:scrm-a", "mastodon:scrm-b"}
    assert store.outbox_items(keys=[]) == []
    assert [r["key"] for r in store.outbox_items(keys=["mastodon:scrm-c", "x:none"])] == [
        "mastodon:scrm-c"]
    # a transition replaces the row: the state moves, nothing is added
    queued.state, queued.attempts, queued.sending_at = SENDING, 1, T0.replace(second=30)
    store.save_outbox_items([queued.row()])
    queued.state, queued.remote_id, queued.remote_url = SENT, "m.example/99", "https://m/99"
    queued.sent_at = T0.replace(second=31)
    store.save_outbox_items([queued.row()])
    assert len(store.outbox_items()) == 3
    assert OutboxItem.from_row(store.outbox_items(keys=[queued.key])[0]) == queued
    assert len(store.outbox_items(limit=2)) == 2


def test_outbox_items_answering_an_account(store: GraphStore) -> None:
    older = _item("mastodon:scrm-a", SENT, target_author="mastodon:ana@m.example")
    newer = _item("mastodon:scrm-b", QUEUED, target_author="mastodon:ana@m.example",
                  created_at=T0.replace(minute=3))
    other = _item("mastodon:scrm-c", QUEUED, target_author="mastodon:bo@m.example")
    nobody = _item("mastodon:scrm-d", BY_HAND, target_author=None)
    store.save_outbox_items([i.row() for i in (older, newer, other, nobody)])
    assert store.outbox_items_answering([]) == []
    assert store.outbox_items_answering(["mastodon:none@m.example"]) == []
    rows = store.outbox_items_answering(["mastodon:ana@m.example", "mastodon:ana@m.example"])
    assert [r["key"] for r in rows] == ["mastodon:scrm-b", "mastodon:scrm-a"]
    assert OutboxItem.from_row(rows[0]) == newer
    both = store.outbox_items_answering(["mastodon:bo@m.example", "mastodon:ana@m.example"])
    assert {r["key"] for r in both} == {"mastodon:scrm-a", "mastodon:scrm-b", "mastodon:scrm-c"}


def test_blank_post_texts(loaded: GraphStore) -> None:
    assert loaded.blank_post_texts([]) == 0
    assert loaded.blank_post_texts(["twitter:1", "twitter:none"]) == 1
    details = loaded.post_details(["twitter:1"])
    assert details["text"].iloc[0] == "" and not isinstance(details["url"].iloc[0], str)


def test_plan_item_says_why_a_reply_is_by_hand() -> None:
    from graph.config import Settings

    settings = Settings(mastodon_url="https://m.example", mastodon_token="t")
    common = {"conversation_key": "mastodon:m.example/1", "target_author": None,
              "author_key": "mastodon:brand@m.example", "text": "Sorry!", "created_at": T0,
              "settings": settings}
    ok = plan_item(response_key="mastodon:scrm-1", target_key="mastodon:m.example/1",
                   public=True, **common)
    assert (ok.state, ok.error) == (QUEUED, None) and ok.idempotency_key.startswith("scrm-")
    other = plan_item(response_key="mastodon:scrm-2", target_key="mastodon:other.host/1",
                      public=True, **common)
    assert other.state == BY_HAND and "other.host" in (other.error or "")
    private = plan_item(response_key="mastodon:scrm-3", target_key="mastodon:m.example/1",
                        public=False, **common)
    assert private.state == BY_HAND
    bare = plan_item(response_key="bluesky:scrm-4", target_key="bluesky:at://did:x/p/1",
                     public=True, **common)
    assert bare.state == BY_HAND and "SCRM_BLUESKY_APP_PASSWORD" in (bare.error or "")


def test_the_stores_return_every_field_of_an_outbox_item() -> None:
    from dataclasses import fields

    from graph import schema
    from graph.outbox import OutboxItem

    assert [f.name for f in fields(OutboxItem)] == list(schema.OUTBOX_COLUMNS)
