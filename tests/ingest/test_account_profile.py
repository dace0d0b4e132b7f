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
