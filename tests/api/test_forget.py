"""forgetCustomer: personal data erased, aggregates kept, and a re-import does not
bring the person back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from api_testkit import LiveServer

from graph.embedded import EmbeddedStore
from ingest.pipeline import ingest_paths

SAMPLES = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"
FORGET = """mutation($id: ID!) { forgetCustomer(id: $id) {
  customerId accounts posts mentionsRedacted purchases } }"""
DANA = ("twitter:danarides", "reddit:dana_rides")


@pytest.mark.slow
def test_forget_customer_erases_and_stays_erased(demo_copy: Path, tmp_path: Path) -> None:
    from api.app import create_app

    with EmbeddedStore(demo_copy) as store:
        before = store.counts()
        posts_before = store.post_frame(None, None)
        dana_posts = set(posts_before.loc[posts_before["author_key"].isin(DANA), "key"])
        orders = store.purchases("C00001")
        revenue = store.purchase_frame()["amount"].sum()
        # the audit log: one change about her, one elsewhere that names her
        store.add_audit("ana", "note", "note: Dana Whitfield wants a refund, call her",
                        conversation_key="twitter:1", customer_id="C00001")
        store.add_audit("bo", "note", "note: ask @DanaRides (dana_whitfield25@example.com)",
                        conversation_key="twitter:2")
    assert dana_posts and orders

    store = EmbeddedStore(demo_copy)
    with LiveServer(create_app(store=store)) as server:
        done = server.graphql(FORGET, {"id": "C00001"})
        assert "errors" not in done, done
        result = done["data"]["forgetCustomer"]
        assert result == {"customerId": "C00001", "accounts": 2, "posts": len(dana_posts),
                          "mentionsRedacted": result["mentionsRedacted"],
                          "purchases": len(orders)}
        assert result["mentionsRedacted"] > 50  # Dana is mentioned a lot
        gone = server.graphql("""{ customer(id: "C00001") { id }
            account(platform: "twitter", handle: "danarides") { key } }""")
        assert gone["data"] == {"customer": None, "account": None}
        again = server.graphql(FORGET, {"id": "C00001"})
        assert again["errors"][0]["message"] == "no customer C00001"
        # the explorer data no longer names her either
        explore = server.graphql("""{ network(limit: 2000) { nodes { id } } }""")
        assert not {n["id"] for n in explore["data"]["network"]["nodes"]} & set(DANA)
    store.close()

    with EmbeddedStore(demo_copy) as store:
        # the log keeps that each change happened, by whom and when, not what it said
        # about her; the erasure itself is recorded, naming nobody
        about = {e["action"]: e for e in store.audit_log(customer_id="C00001")}
        assert about["note"]["actor"] == "ana" and "Dana" not in about["note"]["summary"]
        assert about["forget"]["actor"] == "anonymous"
        [elsewhere] = store.audit_log(conversation_key="twitter:2")
        assert elsewhere["summary"] == "note: ask @[redacted] ([redacted])"
        assert "dana" not in " ".join(e["summary"] for e in store.audit_log()).lower()
        after = store.counts()
        # the anonymous aggregates stay: as many posts, customers, orders and interactions
        for label in ("Post", "Customer", "Purchase", "Account", "REPLY_TO", "MENTIONS", "SHARES"):
            assert after[label] == before[label], label
        assert store.purchase_frame()["amount"].sum() == pytest.approx(revenue)
        posts = store.post_frame(None, None).set_index("key")
        erased = posts.loc[sorted(dana_posts)]
        assert (erased["text"] == "").all() and erased["title"].isna().all()
        assert erased["sentiment"].notna().all()  # kept for the aggregates
        assert erased["author_key"].str.contains(":forgotten-").all()
        text = " ".join(posts["text"].fillna("")).lower()
        assert "danarides" not in text and "dana_rides" not in text
        assert "dana whitfield" not in json.dumps(store.customer_frame().to_dict("records")).lower()
        assert not store.score_frame()["explanation"].index.isin(DANA).any()
        # the customer, two accounts, and the other posts redacted because they held her
        assert len(store.forgotten_keys()) > 3

        # a forced re-import of the same exports brings nothing of her back
        reports, rejects = [], ""
        for source, name in (("crm", "crm.csv"), ("orders", "orders.csv"),
                             ("twitter", "twitter.jsonl"), ("reddit", "reddit.jsonl")):
            got, rejects_path = ingest_paths(store, source, [SAMPLES / name],
                                             rejects_dir=tmp_path, force=True)
            reports += got
            rejects += rejects_path.read_text() if rejects_path.exists() else ""
        assert store.get_customer("C00001") is None
        assert not store.get_accounts(list(DANA))
        assert store.counts()["Post"] == after["Post"]
        for r in reports:
            assert r.loaded + r.rejected == r.read
        crm = next(r for r in reports if r.source == "crm")
        assert crm.rejected == 1
        assert "erased on request" in rejects and "Whitfield" not in rejects
        text = " ".join(store.post_frame(None, None)["text"].fillna("")).lower()
        assert "danarides" not in text
