"""The analyze job and the incremental ``understand`` write job store what
understanding finds, on the demo data."""

from __future__ import annotations

import json
from pathlib import Path

from api.jobs import execute
from graph.embedded import EmbeddedStore
from graph.model import Post, PostKind
from graph.store import GraphBatch

NEW = {
    "twitter:9001": "I planned a long ride but the motor died",
    "twitter:9002": "How do I reset the lock on my bike?",
    "twitter:9003": "Mi bicicleta está rota otra vez y nadie responde",
}


def test_understand_job_reads_only_new_posts(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    with EmbeddedStore(tmp_path / "u.lbdb") as store:
        posts = [Post(platform="twitter", post_id=k.split(":")[1], author_handle="rider",
                      text=t, created_at=datetime(2026, 10, 1, tzinfo=UTC), kind=PostKind.POST)
                 for k, t in NEW.items()]
        store.write_batch(GraphBatch(posts=posts))
        first = execute(store, {"kind": "understand"}, lambda _: None)
        assert first["understood"] == 3 and first["sentiment_model"] == "vader"
        assert execute(store, {"kind": "understand"}, lambda _: None)["understood"] == 0
        details = store.post_details(list(NEW)).set_index("key")
        assert details.loc["twitter:9001", "intents"].split("|")[0] == "complaint"
        assert "died" in json.loads(details.loc["twitter:9001", "intent_evidence"])["complaint"]
        assert "question" in details.loc["twitter:9002", "intents"].split("|")
        assert details.loc["twitter:9003", "language"] == "es"
        assert details.loc["twitter:9003", "sentiment_label"] == "unscored"
        assert details.loc["twitter:9001", "sentiment_label"] in ("negative", "neutral")
