"""Bots: a planted repost ring beside the demo falls out of the advocate top 20, a
person's decision wins, and the labelled-accounts model is measured."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analytics.bots import (
    FLAG_AT,
    MODEL_FEATURES,
    BotModel,
    account_features,
    behaviour_scores,
    bot_cache_path,
    bot_model_path,
    client_category,
    evaluate_labelled,
    read_labelled,
    window_signatures,
)
from analytics.job import run_analysis
from graph.embedded import EmbeddedStore
from graph.model import Account, Post, PostKind
from graph.store import GraphBatch
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
    tweets: list[dict[str, Any]] = []
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


def test_a_ring_counts_partners_who_repost_each_other_twice_or_more() -> None:
    from analytics.bots import _ring_strength

    pairs = [("a", "b"), ("b", "a")] * 2 + [("a", "c"), ("a", "c"), ("c", "a"),  # once back
                                             ("d", "d"), ("d", "d")]  # oneself: no ring
    pairs += [(x, y) for x in "aefg" for y in "aefg" if x != y] * 2
    ring = _ring_strength(pd.DataFrame(pairs, columns=["src", "dst"]))
    assert ring.to_dict() == pytest.approx({"a": 1.0, "b": 1 / 3, "e": 1.0, "f": 1.0,
                                            "g": 1.0})


@pytest.mark.slow
def test_labelled_accounts_held_out(shared_data: Path) -> None:
    path = shared_data / "labelled" / "bots-gilani2017" / "train.jsonl"
    features, labels = read_labelled(path)
    assert list(features.columns) == list(MODEL_FEATURES)
    # the set's client categories are one-hot columns
    assert features.filter(like="client_").sum(axis=1).min() >= 1
    bands = [json.loads(line)["band"] for line in path.read_text().splitlines()]
    result = evaluate_labelled(features, labels, seed=0, strata=bands)
    # Measured 0.752, 0.787, 0.798 (seeds 0-2, BENCHMARKS.md); the target 0.74.
    assert result["bot_f1"] >= 0.74 and result["auc"] >= 0.85


@pytest.fixture
def trained(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the whole labelled set, as ``scrm bots train`` keeps it."""
    features, labels = read_labelled(
        shared_data / "labelled" / "bots-gilani2017" / "train.jsonl")
    path = tmp_path_factory.mktemp("bots") / "model.joblib"
    BotModel.fit(features, labels, seed=0).save(path)
    return path


def _account_posts(handle: str, start: datetime, n: int, hours: float, texts: list[str],
                   kinds: list[PostKind]) -> list[Post]:
    """``n`` posts, on average ``hours`` apart, at irregular times (as people post)."""
    gaps = np.cumsum(np.random.default_rng(len(handle)).exponential(hours, n))
    return [Post("twitter", f"{handle}-{i}", handle, start + timedelta(hours=float(gaps[i])),
                 texts[i % len(texts)], kind=kinds[i % len(kinds)],
                 shared_id="news-1" if kinds[i % len(kinds)] == PostKind.SHARE else None,
                 parent_id="news-1" if kinds[i % len(kinds)] == PostKind.REPLY else None)
            for i in range(n)]


def test_the_trained_model_scores_scrms_own_accounts(trained: Path, tmp_path: Path) -> None:
    """Profiles stored from ingest (opening date, following and listed counts, client)
    are what the trained model reads in ``scrm analyze``: an account a week old,
    reposting links from an automation service, following 60 times as many as follow
    it, is flagged by the model; a person of ten years on a phone app is not."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    rng = np.random.default_rng(1)
    human_texts = [" ".join(rng.choice(WORDS, 9)) for _ in range(30)]
    feed_texts = [f"Top story {i} https://t.co/{i:04d}" for i in range(60)]
    batch = GraphBatch(
        accounts=[
            Account("twitter", "newsfeed4u", followers=50, following=3000, listed=0,
                    created_at=start - timedelta(days=7), client="dlvr.it"),
            Account("twitter", "rider", followers=420, following=300, listed=9,
                    created_at=start - timedelta(days=3650), client="Twitter for iPhone")],
        posts=[Post("twitter", "news-1", "rider", start, "a ride by the river"),
               *_account_posts("newsfeed4u", start, 60, 5.3, feed_texts,
                               [PostKind.SHARE, PostKind.SHARE, PostKind.POST]),
               *_account_posts("rider", start, 30, 23.0, human_texts,
                               [PostKind.POST, PostKind.REPLY])])
    with EmbeddedStore(tmp_path / "scrm.lbdb") as store:
        store.write_batch(batch)
        before = run_analysis(store)
        assert not before.stats["bots"]  # behaviour alone says nothing here
        shutil.copy(trained, bot_model_path(store.location))
        result = run_analysis(store)
        flagged = {b["key"]: b for b in result.stats["bots"]}
        assert set(flagged) == {"twitter:newsfeed4u"}
        assert flagged["twitter:newsfeed4u"]["reasons"]["trained model"] >= FLAG_AT


def test_account_features_follow_the_labelled_sets_definitions() -> None:
    t = pd.Timestamp("2026-03-01")
    posts = pd.DataFrame({
        "author_key": ["x:a"] * 4 + ["x:b"],
        "kind": ["post", "share", "reply", "post", "post"],
        "created_at": [t, t + pd.Timedelta(days=1), t + pd.Timedelta(days=2),
                       t + pd.Timedelta(days=4), t],
        "text": ["see https://a.example https://b.example", "RT x", "yes", "ok", "hi"]})
    profiles = pd.DataFrame({"key": ["x:a"], "followers": [100.0],
                             "created_at": [t - pd.Timedelta(days=96)], "following": [50.0],
                             "listed": [5.0], "client": ["IFTTT"]})
    f = account_features(posts, profiles)
    a = f.loc["x:a"]
    assert (a["user_tweeted"], a["user_retweeted"], a["user_replied"]) == (2, 1, 1)
    assert (a["urls_count"], a["tweet_frequency"]) == (2, 1.0)
    assert (a["lists_per_user"], a["follower_friend_ratio"]) == (0.05, 2.0)
    assert a["age_of_account_in_days"] == 100.0
    assert a.filter(like="client_").tolist() == [0, 0, 0, 0, 1, 0, 0]
    # no profile: NaN, which the model reads as the training set's median
    assert f.loc["x:b"].drop(["user_tweeted", "user_retweeted", "user_replied",
                              "urls_count", "tweet_frequency"]).isna().all()
    assert [client_category(c) for c in ("Twitter Web App", "Hootsuite Inc.", "Instagram",
                                         "Some New App", None)] == [1, 3, 5, 0, None]


def test_texts_are_compared_without_links_mentions_tags_digits_or_rt() -> None:
    from analytics.bots import _normalise

    texts = pd.Series(["RT @ann: Best bike EVER!!! https://t.co/x#y #ebike 2024",
                       "best   bike, ever", None, "# @ lone marks", "rt"],
                      index=[5, 6, 7, 8, 9])
    assert _normalise(texts).to_dict() == {5: "best bike ever", 6: "best bike ever", 7: "",
                                           8: "lone marks", 9: "rt"}


def test_a_warm_start_reads_only_the_newest_posts(tmp_path: Path) -> None:
    """The window's post signatures are kept beside the database: the next run reads
    the posts of the last day on, and gets what reading the whole window gives."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    texts = [" ".join(np.random.default_rng(i).choice(WORDS, 7)) for i in range(12)]
    kinds = [PostKind.POST, PostKind.REPLY, PostKind.SHARE]
    with EmbeddedStore(tmp_path / "scrm.lbdb") as store:
        store.write_batch(GraphBatch(posts=[
            *_account_posts("ann", start, 60, 20.0, texts, kinds),
            *_account_posts("bob", start, 30, 40.0, [PRAISE], [PostKind.POST])]))
        cache = bot_cache_path(store.location)

        def window(**kw: object) -> tuple[pd.DataFrame, int]:
            newest = store.newest_post_at()
            assert newest is not None
            return window_signatures(lambda since: store.post_frame(since, None),
                                     newest - timedelta(days=30), newest,
                                     total=store.counts()["Post"], **kw)  # type: ignore[arg-type]

        first, read = window(cache=cache)
        assert read == len(first) and cache.is_file()
        later = (store.newest_post_at() or start) + timedelta(hours=2)
        store.write_batch(GraphBatch(posts=_account_posts("cy", later, 5, 3.0, texts, kinds)))
        warm, read_warm = window(cache=cache)
        full, read_full = window()
        assert read_warm < read_full / 4
        assert set(warm["author"]) == {"twitter:ann", "twitter:bob", "twitter:cy"}
        order = ["author", "t", "text_hash", "share", "reply", "words", "urls"]

        def rows(frame: pd.DataFrame) -> pd.DataFrame:
            frame = frame.assign(author=frame["author"].astype(str))
            return frame.sort_values(order).reset_index(drop=True)

        pd.testing.assert_frame_equal(rows(warm), rows(full))
        # a late import of older posts (the planted ring of the test above): read again
        store.write_batch(GraphBatch(posts=_account_posts(
            "late", start + timedelta(days=40), 3, 2.0, texts, kinds)))
        late, read_late = window(cache=cache)
        assert read_late == len(late) and "twitter:late" in set(late["author"])
        assert window(cache=cache)[1] < read_late / 4
        # another window (or a damaged file) reads it all again
        read_full = len(late)
        assert window(cache=cache, identity="window 7 days")[1] == read_full
        cache.write_bytes(b"not arrow")
        assert window(cache=cache)[1] == read_full
        shares = pd.DataFrame({"src": [], "dst": []})
        assert behaviour_scores(late, shares).likelihood.round(9).equals(
            behaviour_scores(store.post_frame(
                (store.newest_post_at() or start) - timedelta(days=30), None),
                shares).likelihood.round(9))
