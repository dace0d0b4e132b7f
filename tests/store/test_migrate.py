"""graph.migrate: a whole store copied into another, completely, and idempotently.

Embedded to embedded here (the copy only uses the port, so the same code fills Neo4j).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from test_contract import ACCOUNTS, sample_batch, score_frame, tw
from test_contract_timelines import timeline_batch

from analytics.understanding import understand
from graph.embedded import EmbeddedStore
from graph.migrate import migrate
from graph.model import OwnsLink, PostKind
from graph.store import GraphBatch, GraphStore


@pytest.fixture
def source(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "source.lbdb")
    store.write_batch(sample_batch())
    store.write_batch(timeline_batch())
    # A reply whose parent never arrived: the wait must survive the copy.
    store.write_batch(GraphBatch(posts=[tw("orphan", "sam", 60, "re: ?", kind=PostKind.REPLY,
                                           parent_id="missing")]))
    store.link_account(OwnsLink("c2", "twitter", "eve", confidence=1.0, method="manual",
                                evidence="support ticket"))
    store.set_brand(["twitter:brand"], {"brand_name": "Brand", "brand_terms": "roast"})
    # understood posts (one in a language VADER does not read: unscored), and one scored on
    # arrival that still waits for understanding
    understood = understand(["My order never arrived, I want a refund",
                             "Bonjour à tous, je voudrais annuler mon abonnement"])
    understood["intent_model_label"] = ["complaint", None]
    store.write_post_understanding(["twitter:2", "twitter:3"], understood, "vader")
    store.write_post_sentiment(["twitter:s1"], [0.1], "roberta")
    for i in range(4):
        run = store.start_run({"i": i})
        store.write_scores(run, score_frame(ACCOUNTS, base=float(i + 1)))
        store.finish_run(run, {"accounts": 3})
    failed = store.start_run({"i": "bad"})
    store.fail_run(failed, "RuntimeError: out of memory")
    yield store
    store.close()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "target.lbdb")
    yield store
    store.close()


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None, so frames compare equal when their data does."""
    return frame.astype(object).where(frame.notna(), None)


POSTS = ["twitter:2", "twitter:3", "twitter:s1"]


def test_understanding_is_copied(source: EmbeddedStore, target: EmbeddedStore) -> None:
    migrate(source, target)
    rows = {r["key"]: r for r in target.post_details(POSTS).to_dict("records")}
    assert rows["twitter:2"]["language"] == "en"
    assert "complaint" in rows["twitter:2"]["intents"].split("|")
    assert rows["twitter:2"]["sentiment_label"] == "negative"
    assert (rows["twitter:3"]["language"], rows["twitter:3"]["sentiment_label"]) == (
        "fr", "unscored")
    assert pd.isna(rows["twitter:s1"]["language"])  # scored on arrival, not understood
    [copied] = list(target.export_post_understanding())
    by_key = copied.set_index("key")
    assert by_key.loc["twitter:2", "intent_model_label"] == "complaint"
    assert by_key.loc["twitter:s1", "sentiment"] == 0.1
    assert by_key.loc["twitter:s1", "sentiment_model"] == "roberta"
    # the copy waits for understanding exactly where the source does
    waiting = sorted(k for f in target.unscored_posts() for k in f["key"])
    assert "twitter:s1" in waiting and "twitter:2" not in waiting and "twitter:3" not in waiting


def test_understanding_round_trips_through_either_adapter(
        source: EmbeddedStore, store: GraphStore, tmp_path: Path) -> None:
    """embedded → the contract store (embedded, or Neo4j's Cypher on its twin) → embedded."""
    migrate(source, store)
    back = EmbeddedStore(tmp_path / "back.lbdb")
    try:
        report = migrate(store, back)
        assert (report["sentiments"], report["understood"]) == (3, 2)

        def understanding(s: GraphStore) -> list[dict[str, object]]:
            frame = pd.concat(s.export_post_understanding())  # type: ignore[attr-defined]
            rows: list[dict[str, object]] = _plain(frame.reset_index(drop=True)).to_dict(
                "records")
            return rows

        assert understanding(store) == understanding(source)
        assert understanding(back) == understanding(source)
        assert sorted(k for f in back.unscored_posts() for k in f["key"]) == sorted(
            k for f in source.unscored_posts() for k in f["key"])
    finally:
        back.close()


def snapshot(store: GraphStore) -> dict[str, object]:
    """Everything the port can read, in a comparable form."""
    accounts = store.account_frame().sort_values("key").reset_index(drop=True)
    interactions = store.interaction_frame()
    interactions = pd.DataFrame({c: interactions[c].astype(object) for c in interactions})
    interactions = interactions.where(interactions.notna(), None)  # NaN != NaN
    interactions = interactions.sort_values(["src", "dst", "kind", "created_at"]).reset_index(
        drop=True)
    keys = accounts["key"].tolist()
    customers = sorted(accounts["customer_id"].dropna().unique())
    return {
        "counts": store.counts(),
        "accounts": _plain(accounts).to_dict("records"),
        "views": store.get_accounts(keys),
        "interactions": interactions.to_dict("records"),
        "customers": {c: store.get_customer(c) for c in customers},
        "links": {c: store.linked_accounts(c) for c in customers},
        "settings": store.get_settings(),
        "unscored": sorted(k for f in store.unscored_posts() for k in f["key"]),
        "understanding": _plain(pd.concat(store.export_post_understanding())  # type: ignore[attr-defined]
                                .reset_index(drop=True)).to_dict("records"),
        "post_details": _plain(store.post_details(POSTS).sort_values("key")
                               .reset_index(drop=True)).to_dict("records"),
        "brand_posts": sorted(store.brand_posts(["roast"])["key"]),
        "runs": store.runs(limit=100),
        "scores": {r.run_id: _plain(store.score_frame(r.run_id).sort_index()).to_dict("index")
                   for r in store.runs(limit=100)},
        "timeline": store.timeline(["twitter:danaw", "twitter:brand"], first=100),
        "ranked": store.ranked_accounts("advocate", first=10),
    }


def test_the_copy_is_complete(source: EmbeddedStore, target: EmbeddedStore) -> None:
    seen: list[str] = []
    report = migrate(source, target, batch_size=3, progress=lambda kind, n: seen.append(kind))
    assert report["conflicts"] == []
    assert snapshot(target) == snapshot(source)
    assert target.counts()["PendingEdge"] == 1
    assert (report["customers"], report["accounts"], report["posts"]) == (2, 4, 16)
    assert report["sentiments"] == 3 and report["brand_accounts"] == 1
    assert report["understood"] == 2
    assert report["runs"] == 5 and report["scores"] == 9  # three kept runs of three accounts
    assert {"customers", "accounts", "posts", "sentiments", "runs"} <= set(seen)
    [eve] = [la for la in target.linked_accounts("c2") if la.account.key == "twitter:eve"]
    assert (eve.method, eve.evidence) == ("manual", "support ticket")


def test_running_it_again_changes_nothing(source: EmbeddedStore, target: EmbeddedStore) -> None:
    migrate(source, target, batch_size=4)
    before = snapshot(target)
    again = migrate(source, target, batch_size=4)
    assert sum(again["created"].values()) == 0
    assert again["scores"] == 0 and again["conflicts"] == []
    assert snapshot(target) == before


def test_an_interrupted_copy_resumes(source: EmbeddedStore, target: EmbeddedStore) -> None:
    class Interrupted(Exception):
        pass

    def stop_in_posts(kind: str, done: int) -> None:
        if kind == "posts":
            raise Interrupted

    with pytest.raises(Interrupted):
        migrate(source, target, batch_size=2, progress=stop_in_posts)
    assert 0 < target.counts()["Post"] < source.counts()["Post"]
    migrate(source, target, batch_size=2)
    assert snapshot(target) == snapshot(source)


def test_source_records_ingested_again_into_the_copy_are_no_news(
        source: EmbeddedStore, target: EmbeddedStore) -> None:
    migrate(source, target)
    for batch in (sample_batch(), timeline_batch()):
        result = target.write_batch(batch)
        assert result.conflicts == []  # content fingerprints survived the copy
        assert result.created.get("posts", 0) == 0
