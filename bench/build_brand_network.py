"""Build a synthetic brand network straight into an embedded store, for the analytics benchmark.

N accounts (followers Pareto-distributed; 1% linked to CRM customers; 2 brand
accounts) and M interaction posts: 55% replies to an earlier post, 35% posts
that mention one account (a tenth of them the brand), 10% shares. Authors and
targets follow a heavy-tailed popularity so the graph has hubs and communities
(accounts are grouped in blocks of 5,000 and interact mostly within their block).
Posts are written with a sentiment already set except the newest ``--unscored``
fraction, as after an earlier analysis run; the benchmark's run scores those. Scored
posts are also understood already (language, sentiment class, intents: what the
understanding step finds in their phrase), as an analysis leaves them; otherwise every
run would first understand ``SCRM_UNDERSTAND_PER_RUN`` posts of the build.

So that the workspace pages have real work (``bench/workspace_bench.py``), the brand has
two competitors that 3% of posts name (drawn from a generator of their own, so every other
column is what it was before), and each CRM customer has 0-6 purchases over the posts'
300 days; the brand's negative mentions are the open care items.

It writes with COPY through the same schema the store applies, in chunks, so
building 10M interactions takes a couple of minutes rather than hours.

    python bench/build_brand_network.py --accounts 1000000 --interactions 10000000 \
        --db bench/out/brand-1m.lbdb
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from graph.embedded import EmbeddedStore

PHRASES = np.array([
    "love my brightloop bike", "battery died again, not happy", "support was helpful",
    "app is slow today", "great ride to work", "anyone know how to pause?",
    "worst subscription ever", "thanks for the quick fix", "meh, it is ok", "brilliant service",
    # named by a post only through ``COMPETITOR_SHARE`` below
    "switched to voltwheel, cheaper", "pedalco support answered in minutes",
    "voltwheel or brightloop?",
])
BASE_PHRASES = 10  # the phrases every post draws from; the rest name a competitor
COMPETITORS = ["Voltwheel", "Pedalco"]
COMPETITOR_SHARE = 0.03


def _understood(phrase: np.ndarray, scored: np.ndarray) -> dict[str, pa.Array]:
    """The understanding columns of posts with these phrase indexes: what the analysis's
    understanding step finds in each phrase for the scored posts, nothing for the rest."""
    from analytics.job import VaderScorer
    from analytics.understanding import understand

    found = understand(PHRASES.tolist(), sentiment=VaderScorer())
    columns: dict[str, pa.Array] = {}
    for name, kind in (("language", pa.string()), ("language_confidence", pa.float64()),
                       ("sentiment_label", pa.string()), ("intents", pa.string()),
                       ("intent_evidence", pa.string())):
        values = found[name].to_numpy(dtype=object)[phrase]
        columns[name] = pa.array(np.where(scored, values, None), kind)
    return columns


def _keys(prefix: str, ids: np.ndarray) -> pa.Array:
    return pa.array(np.char.add(prefix, ids.astype(str)).astype(object), pa.string())


def build(db: Path, accounts: int, interactions: int, *, seed: int = 3, unscored: float = 0.01,
          chunk: int = 1_000_000) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    if db.exists():
        shutil.rmtree(db) if db.is_dir() else db.unlink()
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    store = EmbeddedStore(db)
    copy = store.bulk_load  # the adapter's COPY path, unchecked: every key here is new
    ids = np.arange(accounts)
    followers = np.minimum((rng.pareto(1.2, accounts) * 40).astype(np.int64), 50_000_000)
    brand = np.zeros(accounts, dtype=bool)
    brand[:2] = True
    for s in range(0, accounts, chunk):
        sl = slice(s, min(s + chunk, accounts))
        n = sl.stop - sl.start
        copy("Account", pa.table({
            "key": _keys("twitter:user", ids[sl]), "platform": pa.array(["twitter"] * n),
            "handle": _keys("user", ids[sl]), "user_id": _keys("", ids[sl]),
            "display_name": _keys("User ", ids[sl]), "followers": pa.array(followers[sl]),
            "is_brand": pa.array(brand[sl]), "location": pa.nulls(n, pa.string()),
            "description": pa.nulls(n, pa.string())}))
    customers = rng.choice(np.arange(2, accounts), size=max(1, accounts // 100), replace=False)
    copy("Customer", pa.table({
        "key": _keys("C", customers), "name": _keys("Customer ", customers),
        "email": pa.nulls(len(customers), pa.string()),
        "lifetime_value": pa.array(rng.lognormal(6, 1.2, len(customers))),
        "nps": pa.array(rng.integers(0, 11, len(customers)), pa.int64()),
        "signup_date": pa.nulls(len(customers), pa.date32()),
        "location": pa.nulls(len(customers), pa.string()),
        "company": pa.nulls(len(customers), pa.string())}))
    copy("OWNS", pa.table({"from": _keys("C", customers),
                           "to": _keys("twitter:user", customers),
                           "confidence": pa.array(np.ones(len(customers))),
                           "method": pa.array(["crm"] * len(customers)),
                           "evidence": pa.array(["bench"] * len(customers))}))
    extra = np.random.default_rng(seed + 1000)  # competitors and purchases: the main draws stay
    n_buys = extra.integers(0, 7, len(customers))
    buyer = np.repeat(customers, n_buys)
    order = np.arange(len(buyer))
    bought = np.datetime64("2026-01-01") + extra.integers(0, 300, len(buyer)).astype(
        "timedelta64[D]")
    purchase_keys = np.char.add(np.char.add(np.char.add("C", buyer.astype(str)), ":O"),
                                order.astype(str)).astype(object)
    copy("Purchase", pa.table({
        "key": pa.array(purchase_keys, pa.string()), "customer_id": _keys("C", buyer),
        "order_id": _keys("O", order),
        "amount": pa.array(np.round(extra.lognormal(4.5, 0.8, len(buyer)), 2)),
        "purchased_at": pa.array(bought, pa.date32())}))
    copy("PURCHASED", pa.table({"from": _keys("C", buyer),
                                "to": pa.array(purchase_keys, pa.string())}))
    store.set_brand(["twitter:user0", "twitter:user1"], {
        "brand.name": "Brightloop", "brand.competitors": json.dumps(COMPETITORS)})
    timings["accounts"] = time.monotonic() - t0

    block = 5_000
    base_s = 1_767_225_600  # 2026-01-01
    t1 = time.monotonic()
    for s in range(0, interactions, chunk):
        m = min(chunk, interactions - s)
        post_ids = np.arange(s, s + m)
        authors = rng.integers(0, accounts, m)
        kind_r = rng.random(m)
        is_reply = kind_r < 0.55
        is_mention = (kind_r >= 0.55) & (kind_r < 0.90)
        is_share = kind_r >= 0.90
        # targets mostly within the author's block, weighted by popularity
        local = (authors // block) * block + (rng.pareto(1.3, m) * 50).astype(np.int64) % block
        target_acct = np.where(rng.random(m) < 0.9, np.minimum(local, accounts - 1),
                               rng.integers(0, accounts, m))
        target_acct = np.where(is_mention & (rng.random(m) < 0.1), 0, target_acct)
        created = base_s + post_ids * (300 * 86400 // max(interactions, 1))
        phrase = rng.integers(0, BASE_PHRASES, m)
        phrase = np.where(extra.random(m) < COMPETITOR_SHARE,
                          extra.integers(BASE_PHRASES, len(PHRASES), m), phrase)
        text = PHRASES[phrase]
        sentiment = rng.uniform(-1, 1, m)
        scored = post_ids < int(interactions * (1 - unscored))
        parent_post = np.where(post_ids > 0, rng.integers(0, np.maximum(post_ids, 1)), 0)
        pkeys = _keys("twitter:", post_ids)
        copy("Post", pa.table({
            "key": pkeys, "platform": pa.array(["twitter"] * m), "post_id": _keys("", post_ids),
            "author_key": _keys("twitter:user", authors), "text": pa.array(text.astype(object)),
            "title": pa.nulls(m, pa.string()),
            "created_at": pa.array(created * 1_000_000, pa.int64()).cast(pa.timestamp("us")),
            "url": pa.nulls(m, pa.string()),
            "kind": pa.array(np.where(is_reply, "reply", np.where(is_share, "share", "post"))
                             .astype(object)),
            "parent_key": pa.nulls(m, pa.string()),
            "conversation_key": pkeys, "shared_key": pa.nulls(m, pa.string()),
            "hashtags": pa.nulls(m, pa.list_(pa.string())), "lang": pa.nulls(m, pa.string()),
            "likes": pa.nulls(m, pa.int64()), "reposts": pa.nulls(m, pa.int64()),
            "replies": pa.nulls(m, pa.int64()), "score": pa.nulls(m, pa.int64()),
            "accepted": pa.nulls(m, pa.bool_()), "content_hash": pa.array(post_ids),
            "sentiment": pa.array(np.where(scored, sentiment, np.nan), from_pandas=True),
            "sentiment_model": pa.array(np.where(scored, "vader", None).astype(object),
                                        pa.string()),
            **_understood(phrase, scored)}))
        copy("Conversation", pa.table({"key": pkeys, "platform": pa.array(["twitter"] * m),
                                       "root_post_key": pkeys}))
        copy("POSTED", pa.table({"from": _keys("twitter:user", authors), "to": pkeys}))
        copy("IN_CONVERSATION", pa.table({"from": pkeys, "to": pkeys}))
        # Replies/shares point at an earlier post; the edge's target author is that
        # post's author, which the benchmark does not need to control exactly.
        r_from = pkeys.filter(pa.array(is_reply & (post_ids > 0)))
        r_to = _keys("twitter:", parent_post[is_reply & (post_ids > 0)])
        copy("REPLY_TO", pa.table({"from": r_from, "to": r_to}))
        sh = is_share & (post_ids > 0)
        copy("SHARES", pa.table({"from": pkeys.filter(pa.array(sh)),
                                 "to": _keys("twitter:", parent_post[sh]),
                                 "kind": pa.array(["retweet"] * int(sh.sum()))}))
        copy("MENTIONS", pa.table({"from": pkeys.filter(pa.array(is_mention)),
                                   "to": _keys("twitter:user", target_acct[is_mention])}))
        print(f"  {s + m:,} / {interactions:,} interactions", flush=True)
    timings["interactions"] = time.monotonic() - t1
    store.close()
    return timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--interactions", type=int, default=10_000_000)
    ap.add_argument("--unscored", type=float, default=0.01)
    ap.add_argument("--db", type=Path, default=Path("bench/out/brand-1m.lbdb"))
    args = ap.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    print(build(args.db, args.accounts, args.interactions, unscored=args.unscored))


if __name__ == "__main__":
    main()


def grow(db: Path, accounts: int, interactions: int, *, fraction: float = 0.01,
         seed: int = 11) -> None:
    """Append ``fraction`` more interactions (new, unscored posts) to a built network."""
    rng = np.random.default_rng(seed)
    store = EmbeddedStore(db)
    # post ids above every existing one: the build's are below ``interactions`` and each
    # growth's start after the last (counted in the posts), older growths' included
    start = interactions + store.counts()["Post"] + 10
    m = int(interactions * fraction)
    post_ids = np.arange(start, start + m)
    authors = rng.integers(0, accounts, m)
    targets = rng.integers(0, accounts, m)
    pkeys = _keys("twitter:", post_ids)
    created = 1_767_225_600 + 300 * 86400 + np.arange(m)
    store.bulk_load("Post", pa.table({
        "key": pkeys, "platform": pa.array(["twitter"] * m), "post_id": _keys("", post_ids),
        "author_key": _keys("twitter:user", authors),
        "text": pa.array(PHRASES[rng.integers(0, BASE_PHRASES, m)].astype(object)),
        "title": pa.nulls(m, pa.string()),
        "created_at": pa.array(created * 1_000_000, pa.int64()).cast(pa.timestamp("us")),
        "url": pa.nulls(m, pa.string()), "kind": pa.array(["post"] * m),
        "parent_key": pa.nulls(m, pa.string()), "conversation_key": pkeys,
        "shared_key": pa.nulls(m, pa.string()), "hashtags": pa.nulls(m, pa.list_(pa.string())),
        "lang": pa.nulls(m, pa.string()), "likes": pa.nulls(m, pa.int64()),
        "reposts": pa.nulls(m, pa.int64()), "replies": pa.nulls(m, pa.int64()),
        "score": pa.nulls(m, pa.int64()), "accepted": pa.nulls(m, pa.bool_()),
        "content_hash": pa.array(post_ids), "sentiment": pa.nulls(m, pa.float64()),
        "sentiment_model": pa.nulls(m, pa.string())}))
    store.bulk_load("Conversation", pa.table({"key": pkeys, "platform": pa.array(["twitter"] * m),
                                          "root_post_key": pkeys}))
    store.bulk_load("POSTED", pa.table({"from": _keys("twitter:user", authors), "to": pkeys}))
    store.bulk_load("IN_CONVERSATION", pa.table({"from": pkeys, "to": pkeys}))
    store.bulk_load("MENTIONS", pa.table({"from": pkeys, "to": _keys("twitter:user", targets)}))
    store.close()
