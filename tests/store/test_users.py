"""The store contract for people and permissions: users, sessions and the audit log
(the ``store`` fixture runs each test on every adapter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_contract import sample_batch

from graph.audit import ERASED, REDACTED, session_key
from graph.store import GraphStore, StoreError


def test_users_are_created_changed_listed_and_removed(store: GraphStore) -> None:
    assert store.users() == [] and store.get_user("ana") is None
    with pytest.raises(StoreError, match="needs a password"):
        store.save_user("ana", role="agent")
    with pytest.raises(StoreError, match="unknown role"):
        store.save_user("ana", role="owner", password_hash="h")
    ana = store.save_user("ana", role="agent", password_hash="h1")
    assert (ana["name"], ana["role"], ana["password_hash"], ana["disabled"]) == (
        "ana", "agent", "h1", False)
    assert ana["created_at"].tzinfo is not None
    store.save_user("bo", role="viewer", password_hash="h2")
    changed = store.save_user("ana", role="manager", disabled=True)
    assert (changed["role"], changed["password_hash"], changed["disabled"]) == (
        "manager", "h1", True)
    assert changed["created_at"] == ana["created_at"]
    assert [u["name"] for u in store.users()] == ["ana", "bo"]
    assert store.remove_user("ana") and not store.remove_user("ana")
    assert [u["name"] for u in store.users()] == ["bo"]


def test_sessions_expire_end_and_follow_their_user(store: GraphStore) -> None:
    now = datetime.now(UTC)
    store.save_user("ana", role="agent", password_hash="h1")
    live, old = session_key("token-a"), session_key("token-b")
    store.create_session(live, "ana", now + timedelta(hours=8))
    store.create_session(old, "ana", now - timedelta(seconds=1))
    user = store.session_user(live, now)
    assert user is not None and user["name"] == "ana" and user["role"] == "agent"
    assert store.session_user(old, now) is None
    assert store.session_user(live, now + timedelta(hours=9)) is None
    store.save_user("ana", role="agent", disabled=True)
    assert store.session_user(live, now) is None  # a disabled user is signed out
    store.save_user("ana", role="agent", disabled=False)
    assert store.end_sessions(key=live) == 1 and store.session_user(live, now) is None
    store.create_session(live, "ana", now + timedelta(hours=8))
    store.remove_user("ana")
    assert store.session_user(live, now) is None  # gone with their user
    store.save_user("bo", role="agent", password_hash="h2")
    store.create_session(session_key("c"), "bo", now + timedelta(hours=1))
    store.create_session(session_key("d"), "bo", now + timedelta(hours=1))
    assert store.end_sessions(user="bo") == 2


def test_audit_log_per_conversation_and_customer(store: GraphStore) -> None:
    first = store.add_audit("ana", "assign", "assigned to bo", conversation_key="twitter:1",
                            customer_id="c1")
    store.add_audit("key:crm-sync", "link", "linked twitter:sam", customer_id="c2")
    last = store.add_audit("bo", "resolve", "resolved", conversation_key="twitter:1",
                           customer_id="c1")
    assert first["at"].tzinfo is not None and first["actor"] == "ana"
    conversation = store.audit_log(conversation_key="twitter:1")
    assert [e["key"] for e in conversation] == [last["key"], first["key"]]  # newest first
    assert conversation[1] == first
    assert [e["action"] for e in store.audit_log(customer_id="c2")] == ["link"]
    assert len(store.audit_log()) == 3 and len(store.audit_log(limit=1)) == 1


def test_forgetting_a_customer_redacts_the_log_and_keeps_its_entries(
        store: GraphStore) -> None:
    from neo4j_twin_driver import sent_only

    sent_only(store)  # on the twin, the in-place key rename is recorded, not run
    store.write_batch(sample_batch())
    store.add_audit("ana", "note", "note: Dana West asked for a refund",
                    conversation_key="twitter:1", customer_id="c1")
    store.add_audit("ana", "note", "note: sam says @DanaW and dana@example.com know",
                    conversation_key="twitter:1", customer_id="c2")
    store.add_audit("ana", "assign", "assigned to bo", conversation_key="twitter:9")
    store.forget_customer("c1")
    entries = {e["action"] + e["summary"][:4]: e for e in store.audit_log()}
    assert len(entries) == 3
    assert store.audit_log(customer_id="c1")[0]["summary"] == ERASED
    [about_sam] = store.audit_log(customer_id="c2")
    assert about_sam["summary"] == (f"note: sam says @{REDACTED} and {REDACTED} know")
    assert store.audit_log(conversation_key="twitter:9")[0]["summary"] == "assigned to bo"
    text = " ".join(e["summary"] for e in store.audit_log()).lower()
    assert "dana" not in text
