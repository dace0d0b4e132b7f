"""Care queue ranking and routing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analytics.care import DEFAULT_RULES, RoutingRules, care_queue

NOW = datetime(2026, 10, 1, 12, tzinfo=UTC)


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    posts = pd.DataFrame([
        {"key": "t:1", "author_key": "t:vip", "sentiment": -0.8,
         "created_at": pd.Timestamp("2026-09-30 12:00")},
        {"key": "t:2", "author_key": "t:nobody", "sentiment": -0.8,
         "created_at": pd.Timestamp("2026-09-30 12:00")},
        {"key": "t:3", "author_key": "t:answered", "sentiment": -0.9,
         "created_at": pd.Timestamp("2026-09-29 12:00")},
        {"key": "t:4", "author_key": "t:vip", "sentiment": -0.2,
         "created_at": pd.Timestamp("2026-10-01 11:00")},
    ])
    details = pd.DataFrame([
        {"key": "t:1", "platform": "twitter", "conversation_key": "c1",
         "text": "@brand battery broken again", "url": None},
        {"key": "t:2", "platform": "twitter", "conversation_key": "c2",
         "text": "@brand you charged me twice", "url": None},
        {"key": "t:3", "platform": "twitter", "conversation_key": "c3", "text": "awful",
         "url": None},
        {"key": "t:4", "platform": "twitter", "conversation_key": "c1", "text": "still?",
         "url": None},
    ])
    replies = pd.DataFrame([{"conversation_key": "c3",
                             "last_brand_post_at": pd.Timestamp("2026-09-29 13:00")}])
    scores = pd.DataFrame({"influence": [0.5, 0.001, 0.01], "customer_value": [9000.0, None,
                                                                               10.0]},
                          index=["t:vip", "t:nobody", "t:answered"])
    return posts, details, replies, scores


def test_influential_valuable_customer_first_answered_threads_gone() -> None:
    items = care_queue(*_frames(), now=NOW)
    assert [i.conversation_key for i in items] == ["c1", "c2"]  # c3 was answered
    top = items[0]
    assert top.post_key == "t:1"  # the most negative unanswered post of the thread
    assert top.team == "support" and items[1].team == "sales"
    assert dict(top.reasons)["customer value"] == 1.0
    assert 0 < items[1].priority < top.priority <= 1


def test_waiting_longer_raises_priority() -> None:
    posts, details, replies, scores = _frames()
    early = care_queue(posts, details, replies, scores, now=NOW)[1].priority
    later = care_queue(posts, details, replies, scores,
                       now=datetime(2026, 10, 5, tzinfo=UTC))[1].priority
    assert later > early


def test_routing_rules_file_and_platform_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"default": "care", "rules": [{"team": "pr", "terms": ["press"], '
                    '"platform": "reddit"}]}')
    rules = RoutingRules.load(path)
    assert rules.route("talking to the press", "reddit") == "pr"
    assert rules.route("talking to the press", "twitter") == "care"
    assert DEFAULT_RULES.route("A journalist asked about the refund", "twitter") == "pr"
