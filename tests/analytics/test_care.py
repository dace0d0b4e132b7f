"""Care queue ranking and routing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.care import (
    DEFAULT_RULES,
    AuthorWeights,
    RoutingRule,
    RoutingRules,
    care_entries,
    care_queue,
)

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


def _understood(rows: list[tuple[str, str, float, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posts (key, text, sentiment, language) understood as the analyze job does."""
    from analytics.understanding import understand

    texts = [r[1] for r in rows]
    frame = understand(texts)
    posts = pd.DataFrame({"key": [r[0] for r in rows], "author_key": "t:someone",
                          "sentiment": frame["sentiment"],
                          "created_at": pd.Timestamp("2026-09-30 12:00")})
    details = pd.DataFrame({"key": [r[0] for r in rows], "platform": "twitter",
                            "conversation_key": [f"c{r[0]}" for r in rows], "text": texts,
                            "url": None, "language": frame["language"],
                            "sentiment_label": frame["sentiment_label"],
                            "intents": frame["intents"],
                            "intent_evidence": frame["intent_evidence"]})
    return posts, details


def test_queue_admits_by_intent_and_routes_by_whole_words() -> None:
    posts, details = _understood([
        ("1", "I planned a long ride but the motor died", 0, "en"),
        ("2", "How do I reset the app on my bike?", 0, "en"),
        ("3", "Which plan includes insurance? I want to buy one for my son", 0, "en"),
        ("4", "It would be nice to have a dark mode in the app", 0, "en"),
        ("5", "Someone posted our internal roadmap and passwords leaked on a forum", 0, "en"),
        ("6", "Mi bicicleta está rota otra vez, nadie responde", 0, "es"),
        ("7", "Lovely ride today, not a single problem!", 0, "en"),
    ])
    items = {i.post_key: i for i in care_queue(
        posts, details, pd.DataFrame(columns=["conversation_key", "last_brand_post_at"]),
        pd.DataFrame(), now=NOW)}
    assert "complaint" in items["1"].intents and items["1"].team == "support"  # not sales
    assert "question" in items["2"].intents and items["2"].team == "support"
    assert "purchase" in items["3"].intents and items["3"].team == "sales"
    assert items["4"].team == "product"
    assert "security" in items["5"].intents and items["5"].team == "pr"
    assert items["6"].sentiment_label == "unscored" and items["6"].language == "es"
    assert any(r[0].startswith("unscored language (es)") for r in items["6"].reasons)
    assert "7" not in items  # praise needs no response
    why = dict(items["1"].reasons)
    assert any(k.startswith("complaint: ") and "died" in k for k in why)


def test_routing_terms_are_words_not_substrings() -> None:
    assert DEFAULT_RULES.route("I planned a long ride but the motor died", "twitter") \
        == "support"
    assert DEFAULT_RULES.route("what does the family plan cost", "twitter") == "sales"
    rules = RoutingRules((RoutingRule("billing", ("refund*", "money back")),))
    assert rules.route("Refunds take weeks", "twitter") == "billing"
    assert rules.route("I want my money back", "twitter") == "billing"
    assert rules.route("moneyback", "twitter") == "support"
    intents = RoutingRules((RoutingRule("legal", intents=("security",)),), default_team="care")
    assert intents.route("anything", "twitter", ["security"]) == "legal"
    assert intents.route("anything", "twitter", ["question"]) == "care"


def _need_of_one(label: object, value: float, intents: object) -> tuple[float, list[str]]:
    """What one post needs, written out the plain way (the oracle for the array version)."""
    from analytics.care import INTENT_NEED

    names = [x for x in (intents if isinstance(intents, str) else "").split("|")
             if x in INTENT_NEED]
    if label == "positive":
        names = [x for x in names if x != "complaint"]
    asked = max((INTENT_NEED[x] for x in names), default=0.0)
    negativity = 0.0
    if label == "negative" or (not isinstance(label, str) and not np.isnan(value)
                               and value <= -0.05):
        negativity = max(0.5, min(1.0, -value) if not np.isnan(value) else 0.0)
    elif label == "unscored":
        asked = max(asked, 0.5)
    return (0.75 * asked + 0.25 * negativity if asked else negativity), names


def test_each_posts_need_is_what_the_plain_rule_gives() -> None:
    from analytics.care import _need

    rng = np.random.default_rng(7)
    n = 3000
    labels = rng.choice(np.array(["positive", "negative", "neutral", "unscored", None, np.nan],
                                 dtype=object), n)
    values = rng.choice(np.array([np.nan, -0.9, -0.05, -0.04, 0.0, 0.3, -2.0]), n)
    intents = rng.choice(np.array([None, "", "complaint", "question|complaint", "churn",
                                   "purchase|suggestion", np.nan, "question", "other"],
                                  dtype=object), n)
    frame = pd.DataFrame({"sentiment": values, "sentiment_label": labels, "intents": intents})
    need, needing = _need(frame, -0.05)
    expected = [_need_of_one(*row) for row in zip(labels, values, intents, strict=True)]
    assert np.allclose(need, [e[0] for e in expected])
    assert needing == [e[1] for e in expected]
    assert need.max() > 0.5 and (need == 0).any()  # the sample has both kinds


def test_routing_skips_rules_that_cannot_match_and_routes_as_each_rule_says() -> None:
    """``route`` skips the word search of a rule whose cues start with none of the text's
    words; the team is still the first whose own ``matches`` (searching every text) says
    yes, on texts made of cues, parts of phrases, stems, near-stems and other words, on
    every platform."""
    import random

    rules = RoutingRules((
        RoutingRule("press", ("press", "viral"), platform="twitter"),
        RoutingRule("billing", ("refund*", "money back", "charged twice"),
                    intents=("churn",)),
        RoutingRule("product", ("would be nice", "app update", "roadmap"),
                    intents=("suggestion",)),
        RoutingRule("support", ("broken", "?", "ticket")),
        *DEFAULT_RULES.rules,
    ), default_team="care")
    vocabulary = ["press", "viral", "refunds", "refund", "ref", "money", "back", "charged",
                  "twice", "would", "be", "nice", "app", "update", "roadmap", "broken", "?",
                  "ticket", "battery", "the", "my", "order", "late", "!", "cancel",
                  "billing", "lawyer", "Money", "BACK", "refunded."]
    intents = ["churn", "suggestion", "question", "complaint", "security", "purchase"]
    draw = random.Random(7)
    for _ in range(3_000):
        text = " ".join(draw.choice(vocabulary) for _ in range(draw.randint(0, 9)))
        platform = draw.choice(["twitter", "reddit"])
        said = draw.sample(intents, draw.randint(0, 2))
        expected = next((r.team for r in rules.rules
                         if not (r.platform and r.platform != platform)
                         and r.matches(text, said)), rules.default_team)
        assert rules.route(text, platform, said) == expected, (text, platform, said)


def test_entries_are_the_same_whether_details_come_aligned_shuffled_or_with_extras() -> None:
    """care_entries puts posts and details side by side when they hold the same keys in
    the same order (a stream batch's update), else merges them: the same entries either
    way, an erased author's post and a post without details left out."""
    posts, details, replies, scores = _frames()
    posts = pd.concat([posts, pd.DataFrame([
        {"key": "t:5", "author_key": "t:forgotten-1f", "sentiment": -0.9,
         "created_at": pd.Timestamp("2026-10-01 10:00")},
        {"key": "t:6", "author_key": "t:nobody", "sentiment": -0.9,
         "created_at": pd.Timestamp("2026-10-01 10:00")}])], ignore_index=True)
    details = pd.concat([details, pd.DataFrame([
        {"key": "t:5", "platform": "twitter", "conversation_key": "c5", "text": "",
         "url": None}])], ignore_index=True)
    weights = AuthorWeights.of(scores)
    aligned = care_entries(posts.iloc[:5], details, replies, weights)
    merged = care_entries(posts, details.iloc[::-1], replies, weights)
    pd.testing.assert_frame_equal(aligned, merged)
    assert aligned["conversation_key"].tolist() == ["c1", "c2"]  # (t:5's author erased)
    # the same again once no reply is known: c3 now waits too
    none = replies.iloc[:0]
    assert sorted(care_entries(posts.iloc[:5], details, none, weights)["conversation_key"]
                  ) == ["c1", "c2", "c3"]
