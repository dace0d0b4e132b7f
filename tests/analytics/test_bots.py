"""Bots: a planted repost ring beside the demo falls out of the advocate top 20, a
person's decision wins, and the labelled-accounts model is measured."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.bots import behaviour_scores, evaluate_labelled, read_labelled
from analytics.job import run_analysis
from graph.embedded import EmbeddedStore
from ingest.pipeline import ingest_paths

WORDS = ("bike ride river hill rain sun commute battery app dock friend coffee work "
         "park tyre brake light city weekend morning").split()
PRAISE = "@brightloop Brightloop is the best e-bike I have ever owned, absolutely love it!"


def _ring_file(path: Path, start: datetime, members: int = 5, posts: int = 60) -> list[str]:
    """Twitter API v2 pages: ``members`` accounts each posting ``PRAISE`` ``posts`` times
    and retweeting each other's."""
    users = [{"id": str(900_000 + i), "username": f"ringfan{i}", "name": f"Ring Fan {i}",
              "public_metrics": {"followers_count": 900, "following_count": 900,
                                 "tweet_count": 5000, "listed_count": 0}}
             for i in range(members)]
    tweets = []
    for i in range(members):
        for j in range(posts):
            at = start + timedelta(hours=6 * j, minutes=i)
            tid = str(7_000_000 + i * 1000 + j)
            tweets.append({"id": tid, "text": PRAISE, "author_id": users[i]["id"],
                           "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                           "conversation_id": tid, "entities": {"mentions": [
                               {"start": 0, "end": 11, "username": "brightloop"}]},
                           "public_metrics": {"retweet_count": members - 1, "reply_count": 0,
                                              "like_count": 3, "quote_count": 0}})
            for k in range(members):
                if k == i or j % 4:
                    continue
                rid = str(8_000_000 + k * 100_000 + i * 1000 + j)
                tweets.append({
                    "id": rid, "text": f"RT @ringfan{i}: {PRAISE}", "author_id": users[k]["id"],
                    "created_at": (at + timedelta(minutes=5)).strftime(
                        "%Y-%m-%dT%H:%M:%S.000Z"),
                    "conversation_id": rid,
                    "referenced_tweets": [{"type": "retweeted", "id": tid}],
                    "entities": {"mentions": [{"start": 3, "end": 12,
                                               "username": f"ringfan{i}"}]},
                    "public_metrics": {"retweet_count": 0, "reply_count": 0,
                                       "like_count": 0, "quote_count": 0}})
    by_id = {t["id"]: t for t in tweets}
    lines = []
    for n in range(0, len(tweets), 100):
        page = tweets[n:n + 100]
        refs = [by_id[r["id"]] for t in page for r in t.get("referenced_tweets", [])]
        lines.append(json.dumps({"data": page, "includes": {"users": users, "tweets": refs}}))
    path.write_text("\n".join(lines) + "\n")
    return [f"twitter:ringfan{i}" for i in range(members)]


def _advocates(store: EmbeddedStore, first: int = 20) -> list[str]:
    scores = store.score_frame(columns=("advocate_rank",))["advocate_rank"].dropna()
    return [str(k) for k in scores.sort_values().index[:first]]


def test_a_planted_ring_falls_out_of_the_advocate_top_20(demo_copy: Path,
                                                          tmp_path: Path) -> None:
    with EmbeddedStore(demo_copy) as store:
        newest = store.newest_post_at()
        assert newest is not None
        ring = _ring_file(tmp_path / "ring.jsonl",
                          newest.replace(tzinfo=None) - timedelta(days=16))
        ingest_paths(store, "twitter", [tmp_path / "ring.jsonl"], rejects_dir=tmp_path)
        result = run_analysis(store)
        flagged = {b["key"] for b in result.stats["bots"]}
        assert set(ring) <= flagged
        assert not set(ring) & set(_advocates(store))
        reasons = next(b for b in result.stats["bots"] if b["key"] == ring[0])["reasons"]
        assert {"duplicate texts", "reciprocal repost ring"} <= set(reasons)
        # The demo's own people are not flagged.
        assert not {k for k in flagged if not k.startswith("twitter:ringfan")}

        # A person's decision wins on the next run: "not a bot" ranks them again.
        brands = [a.key for a in store.brand_accounts()]
        store.set_brand(brands, {"bots.decisions": json.dumps(
            dict.fromkeys(ring, "human"))})
        result = run_analysis(store)
        assert not set(ring) & {b["key"] for b in result.stats["bots"]}
        assert set(ring) & set(_advocates(store))


def test_people_posting_unlike_bots_score_low() -> None:
    rng = np.random.default_rng(0)
    t = pd.Timestamp("2026-01-01") + pd.to_timedelta(
        np.cumsum(rng.exponential(3600 * 20, 40)), unit="s")
    posts = pd.DataFrame({"author_key": "x:person", "kind": "post", "created_at": t,
                          "text": [" ".join(rng.choice(WORDS, 8)) for _ in range(40)]})
    scores = behaviour_scores(posts, pd.DataFrame({"src": [], "dst": []}))
    assert scores.likelihood["x:person"] < 0.5


@pytest.mark.slow
def test_labelled_accounts_held_out(shared_data: Path) -> None:
    path = shared_data / "labelled" / "bots-gilani2017" / "train.jsonl"
    features, labels = read_labelled(path)
    bands = [json.loads(line)["band"] for line in path.read_text().splitlines()]
    result = evaluate_labelled(features, labels, seed=0, strata=bands)
    # Measured 0.704-0.724 (seeds 0-2); the published random forest on every feature
    # is about 0.74 (the README's target), which these scrm-computable ones miss.
    assert result["bot_f1"] >= 0.68 and result["auc"] >= 0.80
