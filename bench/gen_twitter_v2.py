"""Synthetic Twitter API v2 response pages at scale, for the ingest benchmark.

Each line is a real-shaped v2 page: ``data`` (100 tweets) plus ``includes.users``
for every author and mentioned user on the page. About 40% of tweets reply to
an earlier tweet, 30% mention one or two accounts, 10% retweet, 5% quote.
Deterministic for a given seed.

    python bench/gen_twitter_v2.py --posts 1000000 --accounts 200000 -o bench/out/tw.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = ("bike battery ride love great broken support slow fast app subscription commute "
         "city price helpful awful brilliant question answer thanks weekend rain").split()


def generate(out: Path, posts: int, accounts: int, seed: int = 1, page: int = 100) -> None:
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    followers = [int(rng.paretovariate(1.2) * 50) for _ in range(accounts)]

    def user(i: int) -> dict[str, object]:
        return {"id": str(10_000_000 + i), "username": f"user{i}", "name": f"User {i}",
                "public_metrics": {"followers_count": followers[i], "following_count": 10,
                                   "tweet_count": 5, "listed_count": 0}}

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for start in range(0, posts, page):
            tweets, users = [], {}
            for n in range(start, min(start + page, posts)):
                author = min(int(rng.paretovariate(1.1)) - 1, accounts - 1) if rng.random() < 0.3 \
                    else rng.randrange(accounts)
                users[author] = user(author)
                tid = str(1_000_000_000 + n)
                text = " ".join(rng.choice(WORDS) for _ in range(12))
                tweet: dict[str, object] = {
                    "id": tid, "author_id": str(10_000_000 + author),
                    "created_at": (base + timedelta(seconds=n * 15)).strftime(
                        "%Y-%m-%dT%H:%M:%S.000Z"),
                    "conversation_id": tid, "lang": "en",
                    "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count":
                                       rng.randrange(20), "quote_count": 0}}
                r = rng.random()
                mentions = []
                if n > 0 and r < 0.40:
                    parent = rng.randrange(max(0, n - 5000), n)
                    tweet["referenced_tweets"] = [{"type": "replied_to",
                                                   "id": str(1_000_000_000 + parent)}]
                    tweet["conversation_id"] = str(1_000_000_000 + parent)
                elif n > 0 and r < 0.50:
                    target = rng.randrange(max(0, n - 5000), n)
                    tweet["referenced_tweets"] = [{"type": "retweeted",
                                                   "id": str(1_000_000_000 + target)}]
                    text = "RT " + text
                elif n > 0 and r < 0.55:
                    target = rng.randrange(max(0, n - 5000), n)
                    tweet["referenced_tweets"] = [{"type": "quoted",
                                                   "id": str(1_000_000_000 + target)}]
                if rng.random() < 0.30:
                    for _ in range(rng.choice((1, 1, 2))):
                        m = rng.randrange(accounts)
                        users[m] = user(m)
                        mentions.append(m)
                prefix = " ".join(f"@user{m}" for m in mentions)
                full = (prefix + " " + text).strip()
                if mentions:
                    ents, pos = [], 0
                    for m in mentions:
                        handle = f"@user{m}"
                        ents.append({"start": pos, "end": pos + len(handle),
                                     "username": f"user{m}", "id": str(10_000_000 + m)})
                        pos += len(handle) + 1
                    tweet["entities"] = {"mentions": ents}
                tweet["text"] = full
                tweets.append(tweet)
            fh.write(json.dumps({"data": tweets, "includes": {"users": list(users.values())},
                                 "meta": {"result_count": len(tweets)}}) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", type=Path, default=Path("bench/out/twitter-v2.jsonl"))
    args = ap.parse_args()
    generate(args.output, args.posts, args.accounts, args.seed)


if __name__ == "__main__":
    main()
