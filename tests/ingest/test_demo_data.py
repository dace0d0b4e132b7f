"""The demo data set: deterministic, identical to what ships, well-formed, planted as documented."""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.model import normalize_handle
from ingest.demo import BASE, DAYS, PLANTED, SHIPPED, generate

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")


def _pages() -> list[dict[str, Any]]:
    with (SHIPPED / "twitter.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _tweets() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every tweet in ``data`` by id, and every user by id."""
    tweets: dict[str, dict[str, Any]] = {}
    users: dict[str, dict[str, Any]] = {}
    for page in _pages():
        users.update({u["id"]: u for u in page["includes"]["users"]})
        tweets.update({t["id"]: t for t in page["data"]})
    return tweets, users


def _crm() -> dict[str, dict[str, str]]:
    with (SHIPPED / "crm.csv").open(encoding="utf-8", newline="") as fh:
        return {r["customer_id"]: r for r in csv.DictReader(fh)}


def test_same_seed_same_bytes_and_the_shipped_files_never_drift(tmp_path: Path) -> None:
    files = generate(tmp_path / "a")
    again = generate(tmp_path / "b")
    assert set(files) == {"brand.json", "crm.csv", "orders.csv", "twitter.jsonl",
                          "reddit.jsonl", "identity_truth.csv", "README.md"}
    for name, path in files.items():
        assert path.read_bytes() == again[name].read_bytes(), f"{name} is not deterministic"
        assert path.read_bytes() == (SHIPPED / name).read_bytes(), (
            f"ingest/samples/demo/{name} drifted from the generator: "
            "run '.venv/bin/python -m ingest.demo_data'")
    other = generate(tmp_path / "c", seed=8)
    assert other["twitter.jsonl"].read_bytes() != files["twitter.jsonl"].read_bytes()
    assert sum(p.stat().st_size for p in files.values()) < 2_400_000


def test_too_few_customers_for_the_planted_ones_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 100"):
        generate(tmp_path, customers=20)


def test_brand_file() -> None:
    assert json.loads((SHIPPED / "brand.json").read_text(encoding="utf-8")) == {
        "name": "Brightloop",
        "accounts": ["twitter:brightloop", "twitter:brightloop_help", "reddit:brightloop_team"],
        "terms": ["brightloop", "#brightloop"], "competitors": ["Loopwise", "Cyclify"]}


def test_every_twitter_line_is_a_v2_page_with_its_users_included() -> None:
    pages = _pages()
    seen: set[str] = set()
    for n, page in enumerate(pages):
        assert set(page) == {"data", "includes", "meta"}
        assert page["meta"]["result_count"] == len(page["data"]) > 0
        assert ("next_token" in page["meta"]) == (n < len(pages) - 1)
        users = {u["id"]: u for u in page["includes"]["users"]}
        for u in users.values():
            assert {"id", "username", "name", "public_metrics"} <= set(u)
            assert "followers_count" in u["public_metrics"]
        included = {t["id"] for t in page["includes"]["tweets"]}
        for tweet in page["data"] + page["includes"]["tweets"]:
            assert tweet["id"].isdigit() and tweet["author_id"] in users
            assert ISO_MS.match(tweet["created_at"])
            assert set(tweet["public_metrics"]) == {"retweet_count", "reply_count",
                                                    "like_count", "quote_count"}
            if "in_reply_to_user_id" in tweet:
                assert tweet["in_reply_to_user_id"] in users
            for m in tweet.get("entities", {}).get("mentions", []):
                assert m["id"] in users and users[m["id"]]["username"] == m["username"]
                assert tweet["text"][m["start"]:m["end"]] == "@" + m["username"]
            for h in tweet.get("entities", {}).get("hashtags", []):
                assert tweet["text"][h["start"]:h["end"]] == "#" + h["tag"]
        for tweet in page["data"]:
            assert tweet["id"] not in seen, "tweet ids are unique"
            seen.add(tweet["id"])
            for ref in tweet.get("referenced_tweets", []):
                assert ref["id"] in included  # the expansion the real API returns
        ids = [int(t["id"]) for t in page["data"]]
        assert ids == sorted(ids, reverse=True)  # newest first, ids follow time


def test_tweets_reference_each_other_consistently() -> None:
    tweets, users = _tweets()
    start, end = BASE, BASE + timedelta(days=DAYS)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for t in tweets.values():
        at = datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))
        assert start <= at < end
        for ref in t.get("referenced_tweets", []):
            target = tweets[ref["id"]]
            assert target["created_at"] <= t["created_at"]
            counts[ref["id"]][ref["type"]] += 1
            if ref["type"] == "retweeted":
                author = users[target["author_id"]]["username"]
                assert t["text"].startswith(f"RT @{author}: ")
                assert t["conversation_id"] == t["id"]
            if ref["type"] == "replied_to":
                assert t["in_reply_to_user_id"] == target["author_id"]
                assert t["conversation_id"] == target["conversation_id"]
    for tid, t in tweets.items():
        if not t["text"].startswith("RT @"):
            assert t["public_metrics"]["retweet_count"] == counts[tid]["retweeted"]
            assert t["public_metrics"]["reply_count"] == counts[tid]["replied_to"]
            assert t["public_metrics"]["quote_count"] == counts[tid]["quoted"]
    assert 1_800 <= len(tweets) <= 2_400


def test_reddit_items_are_bare_t1_and_t3_objects_in_threads() -> None:
    with (SHIPPED / "reddit.jsonl").open(encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh]
    names: dict[str, dict[str, Any]] = {}
    for item in items:
        common = {"name", "id", "author", "score", "created_utc", "subreddit", "permalink"}
        assert common <= set(item)
        assert item["subreddit"] in ("ebikes", "bikecommuting", "brightloop")
        if item["name"].startswith("t1_"):
            assert {"parent_id", "link_id", "body"} <= set(item)
            assert item["parent_id"] in names, "parents come before their comments"
            assert names[item["link_id"]]["name"].startswith("t3_")
            assert item["created_utc"] > names[item["parent_id"]]["created_utc"]
        else:
            assert item["name"].startswith("t3_") and {"title", "selftext"} <= set(item)
        if item["author"] != "[deleted]":
            assert item["author_fullname"].startswith("t2_")
        names[item["name"]] = item
    assert 700 <= len(items) <= 1_000
    assert sum(i["author"] == "dana_rides" for i in items) >= 30


def test_crm_has_the_planted_customers_and_unlisted_accounts() -> None:
    rows = _crm()
    assert len(rows) == 300
    with (SHIPPED / "crm.csv").open(encoding="utf-8") as fh:
        assert fh.readline().strip() == (
            "customer_id,name,email,twitter,reddit,lifetime_value,nps,signup_date")
    for p in PLANTED:
        if p.customer_id is None:
            assert all(normalize_handle(r["twitter"]) != p.twitter for r in rows.values())
            continue
        row = rows[p.customer_id]
        assert row["name"] == p.name
        assert normalize_handle(row["twitter"]) == p.twitter
        assert normalize_handle(row["reddit"]) == (p.reddit or "")
    assert (rows["C00001"]["lifetime_value"], rows["C00001"]["nps"]) == ("12000.00", "10")
    assert (rows["C00002"]["lifetime_value"], rows["C00002"]["nps"]) == ("9000.00", "1")
    handles = [r["twitter"] for r in rows.values() if r["twitter"]]
    assert any(h.startswith("@") for h in handles) and any(h[0].isalnum() for h in handles)
    assert any(h != h.lower() for h in handles)

    _tweets_by_id, users = _tweets()
    by_handle = {u["username"].lower(): u for u in users.values()}
    with (SHIPPED / "identity_truth.csv").open(encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    assert len(truth) == 20
    for link in truth:
        row = rows[link["customer_id"]]
        assert row["twitter"] == ""
        account = by_handle[link["account_key"].removeprefix("twitter:")]
        assert account["name"] == row["name"]
    assert by_handle["techwheels"]["public_metrics"]["followers_count"] == 250_000


def test_orders_add_up_to_lifetime_value() -> None:
    totals: dict[str, float] = defaultdict(float)
    with (SHIPPED / "orders.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            totals[r["customer_id"]] += float(r["amount"])
    for cid, row in _crm().items():
        assert totals[cid] == pytest.approx(float(row["lifetime_value"]), abs=0.01)


def test_planted_accounts_stand_out_in_the_graph() -> None:
    tweets, users = _tweets()
    handle = {uid: u["username"] for uid, u in users.items()}
    inbound: dict[str, set[str]] = defaultdict(set)  # who points at whom
    for t in tweets.values():
        source = handle[t["author_id"]]
        targets = {handle[tweets[r["id"]]["author_id"]] for r in t.get("referenced_tweets", [])}
        targets |= {m["username"] for m in t.get("entities", {}).get("mentions", [])}
        for target in targets - {source}:
            inbound[target].add(source)
    people = sorted((h for h in inbound if not h.startswith("brightloop")),
                    key=lambda h: len(inbound[h]), reverse=True)
    assert people[0] == "techwheels"
    assert people[1] == "danarides"
    assert len(inbound["grumpygus"]) >= 40


def test_sentiment_of_the_planted_accounts() -> None:
    vader = pytest.importorskip("vaderSentiment.vaderSentiment")
    analyzer = vader.SentimentIntensityAnalyzer()
    tweets, users = _tweets()
    scores: dict[str, list[float]] = defaultdict(list)
    for t in tweets.values():
        if not t["text"].startswith("RT @"):
            scores[users[t["author_id"]]["username"]].append(
                analyzer.polarity_scores(t["text"])["compound"])
    mean = {h: statistics.mean(v) for h, v in scores.items()}
    assert mean["danarides"] > 0.5
    assert mean["grumpygus"] < -0.5
    assert mean["grumpygus"] < mean["meganholt"] < -0.1
    assert abs(mean["techwheels"]) < 0.3


def test_the_old_module_name_is_the_package() -> None:
    import ingest.demo
    import ingest.demo_data

    assert ingest.demo_data.generate is ingest.demo.generate
    assert ingest.demo_data.SHIPPED == ingest.demo.SHIPPED == SHIPPED
