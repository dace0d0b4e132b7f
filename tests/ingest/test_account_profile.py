"""Twitter parsers keep what bot detection reads: account age, following and listed
counts, posting client (real v1.1 file and the demo's API v2 pages)."""

from __future__ import annotations

from pathlib import Path

from graph.model import Account
from ingest.twitter import parse_line

DEMO = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo" / "twitter.jsonl"


def _accounts(path: Path) -> list[Account]:
    line = path.read_text(encoding="utf-8").splitlines()[0]
    return [r for r in parse_line(line, 1, str(path)) if isinstance(r, Account)]


def test_v1_profile_fields(shared_data: Path) -> None:
    author = _accounts(shared_data / "twitter-v1" / "tweets.jsonl")[0]
    assert author.created_at is not None and author.created_at.year >= 2006
    assert author.following is not None and author.listed is not None
    assert author.client


def test_v2_profile_fields() -> None:
    counted = [a for a in _accounts(DEMO) if a.following is not None]
    assert counted and all(a.listed is not None for a in counted)


def test_v2_tweet_source_is_the_authors_client(shared_data: Path) -> None:
    """API v2 ``source`` (the flat shape of twarc and friends) names the app."""
    path = shared_data / "twitter-v2" / "flat.jsonl"
    records = parse_line(path.read_text(encoding="utf-8").splitlines()[0], 1, str(path))
    authors = [r for r in records if isinstance(r, Account) and r.client]
    assert {a.client for a in authors} == {"Twitter for Android"}
    assert authors[0].created_at is not None and authors[0].following is not None


def test_mastodon_and_bluesky_profile_fields(shared_data: Path) -> None:
    import json

    from ingest.connectors.bluesky import post_records
    from ingest.connectors.mastodon import status_records

    statuses = json.loads((shared_data / "mastodon" /
                           "timeline_public_mastodon.social_limit20.json").read_text())
    first = status_records(statuses[0], "mastodon.social")[0]
    assert isinstance(first, Account)
    assert first.created_at is not None and first.created_at.year >= 2016
    assert first.following == statuses[0]["account"]["following_count"]
    feed = json.loads((shared_data / "bluesky" /
                       "getAuthorFeed_chriskenny.bsky.social.json").read_text())
    author = post_records(feed["feed"][0]["post"])[0]
    assert isinstance(author, Account) and author.created_at is not None
