"""The social care queue: which conversations need a response first, and which team.

A post needs care when the brand has not posted in its conversation since and the
post needs a response: understanding (:mod:`analytics.understanding`) flagged an
intent that asks for one (:data:`INTENT_NEED`: churn and security leaks first, then
complaints, questions, purchase intent, suggestions), its sentiment model called it
``negative`` (the model's class, not a band on the score), or it is in a language scrm
cannot score (``unscored``: queued as such rather than dropped). A complaint the
sentiment model reads as positive is not one ("not a single problem"). A post not understood
yet falls back to its sentiment score (≤ ``-0.05``). Priority, in [0, 1]:

    priority = need × (0.4 + 0.3·influence + 0.3·customer value) × urgency

where need is ``0.75 × the strongest intent's need + 0.25 × negativity`` (negativity:
a negative post's score made positive, at least 0.5; 0 otherwise), the negativity
alone for a negative post with no such intent, and 0.5 for an unscored one; influence and
customer value are the author's normalised factors from the latest analysis
(log-scaled to the maximum, as in :mod:`analytics.scoring`), and urgency grows with
waiting time, ``0.5 + 0.5 × (1 − 0.5 ** (hours waiting / 24))``: a fresh post counts
half, one left unanswered for a day three quarters, a week nearly all. The reasons
name the intents with the words that drove them.

Each item is routed to a team by :class:`RoutingRules`: the first rule whose words or
phrases appear in the text as whole words (never substrings: ``plan`` is not in
``planned``) or whose intents the post has (and whose platform matches, if it names
one) wins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.understanding.intents import IntentRule
from graph.config import get_settings
from graph.erasure import ANONYMOUS_PREFIX

__all__ = ["DEFAULT_RULES", "INTENT_NEED", "CareItem", "RoutingRule", "RoutingRules",
           "care_queue"]


# How much a flagged intent asks for a response, in [0, 1]; intents not named here
# (praise) do not admit a post on their own.
INTENT_NEED: dict[str, float] = {
    "churn": 1.0, "security": 1.0, "complaint": 0.9, "question": 0.7, "purchase": 0.6,
    "suggestion": 0.4,
}


@dataclass(frozen=True)
class RoutingRule:
    """A team, the words or phrases (``*`` ends a word stem) and intents that send a
    post to it, and optionally the one platform it applies to."""

    team: str
    terms: tuple[str, ...] = ()
    platform: str | None = None
    intents: tuple[str, ...] = ()
    _matcher: IntentRule | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        terms = tuple(t.lower() for t in self.terms if t and t.strip())
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "_matcher", IntentRule(
            self.team, dict.fromkeys(terms, 1.0)) if terms else None)

    def matches(self, text: str, intents: Sequence[str] = ()) -> list[str]:
        """Why this rule takes the post: its intents the post has, then its words found
        in the text (whole words and phrases); empty when it does not."""
        why = [f"intent {i}" for i in self.intents if i in intents]
        if self._matcher is not None:
            why += self._matcher.find(text)
        return why


@dataclass(frozen=True)
class RoutingRules:
    rules: tuple[RoutingRule, ...]
    default_team: str = "support"

    def route(self, text: str, platform: str, intents: Sequence[str] = ()) -> str:
        """The team of the first rule that matches the post's words or intents."""
        for rule in self.rules:
            if rule.platform and rule.platform != platform:
                continue
            if rule.matches(text or "", intents):
                return rule.team
        return self.default_team

    @classmethod
    def load(cls, path: Path | None = None) -> RoutingRules:
        """Rules from a JSON file (``SCRM_ROUTING_RULES``), else the defaults.

        Format: ``{"default": "support", "rules": [{"team": "pr", "terms": ["press"],
        "intents": ["security"], "platform": "twitter"}, ...]}``, checked in order;
        ``terms`` are whole words or phrases (``refund*`` for a word stem).
        """
        source = path or get_settings().routing_rules
        if source is None:
            return DEFAULT_RULES
        data = json.loads(source.read_text(encoding="utf-8"))
        return cls(rules=tuple(RoutingRule(team=r["team"], terms=tuple(r.get("terms", ())),
                                           platform=r.get("platform"),
                                           intents=tuple(r.get("intents", ())))
                               for r in data["rules"]),
                   default_team=data.get("default", "support"))


DEFAULT_RULES = RoutingRules(rules=(
    RoutingRule("pr", ("journalist", "press", "reporter", "viral", "lawsuit", "lawyer",
                       "boycott"), intents=("security",)),
    RoutingRule("sales", ("price", "pricing", "plan", "plans", "upgrade", "discount",
                          "cancel", "refund", "charged", "money back", "billing"),
                intents=("purchase", "churn")),
    RoutingRule("product", ("feature", "app update", "suggestion", "would be nice", "roadmap",
                            "confusing"), intents=("suggestion",)),
    RoutingRule("support", ("broken", "battery", "crash", "support", "repair", "flat",
                            "locked", "ticket"), intents=("complaint", "question")),
))


@dataclass
class CareItem:
    conversation_key: str
    post_key: str
    author_key: str
    platform: str
    text: str
    url: str | None
    sentiment: float  # NaN when unscored
    waiting_hours: float
    priority: float
    team: str
    reasons: list[tuple[str, float]] = field(default_factory=list)
    created_at: datetime | None = None  # of the post that waits
    language: str | None = None
    sentiment_label: str | None = None  # negative/neutral/positive/unscored; None: not yet
    intents: list[str] = field(default_factory=list)  # strongest first
    evidence: dict[str, list[str]] = field(default_factory=dict)  # intent → cues found


def _scale(values: pd.Series) -> pd.Series:
    positive = values[values > 0]
    if positive.empty:
        return pd.Series(0.0, index=values.index)
    return (np.log1p(values.clip(lower=0)) / np.log1p(positive.max())).clip(0, 1)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _evidence(value: object) -> dict[str, list[str]]:
    try:
        found = json.loads(value) if isinstance(value, str) and value else {}
    except ValueError:
        return {}
    return {str(k): [str(c) for c in v] for k, v in found.items()} \
        if isinstance(found, dict) else {}


def _need(frame: pd.DataFrame, threshold: float) -> tuple[np.ndarray, list[list[str]]]:
    """Each post's need for a response in [0, 1] (0: none) and the intents that need one."""
    n = len(frame)
    sentiment = pd.to_numeric(frame["sentiment"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    labels = frame["sentiment_label"].tolist() if "sentiment_label" in frame else [None] * n
    flagged = frame["intents"].tolist() if "intents" in frame else [None] * n
    need = np.zeros(n)
    needing: list[list[str]] = []
    for i in range(n):
        label, value = labels[i], sentiment[i]
        names = [x for x in _text(flagged[i]).split("|") if x in INTENT_NEED]
        if label == "positive":
            # complaint cues in a post the model reads as positive are mostly negated
            # ("not a single problem"): the model's class decides
            names = [x for x in names if x != "complaint"]
        needing.append(names)
        asked = max((INTENT_NEED[x] for x in names), default=0.0)
        negativity = 0.0
        if label == "negative" or (not isinstance(label, str) and not np.isnan(value)
                                   and value <= threshold):
            negativity = max(0.5, min(1.0, -value) if not np.isnan(value) else 0.0)
        elif label == "unscored":
            asked = max(asked, 0.5)
        # an angry churn threat before a calm one; a negative post asking for nothing
        # specific counts by its negativity alone
        need[i] = 0.75 * asked + 0.25 * negativity if asked else negativity
    return need, needing


def care_queue(brand_posts: pd.DataFrame, details: pd.DataFrame, brand_replies: pd.DataFrame,
               scores: pd.DataFrame, *, now: datetime, rules: RoutingRules = DEFAULT_RULES,
               threshold: float = -0.05) -> list[CareItem]:
    """Conversations waiting for the brand, most urgent first.

    Parameters:
        brand_posts: The store's brand-directed posts (key, author_key, sentiment,
            created_at).
        details: key, platform, conversation_key, text, url of those posts, and what
            understanding found (language, sentiment_label, intents, intent_evidence;
            missing or null for posts not understood yet: their sentiment score
            decides, negative at ``threshold`` or below).
        brand_replies: conversation_key, last_brand_post_at.
        scores: The latest run's scores by account key (influence, customer_value).
        now: The time waiting is measured to.
    """
    if brand_posts.empty:
        return []
    # an erased person's posts (no text, an anonymous author) wait for no one
    brand_posts = brand_posts[~brand_posts["author_key"].astype(str).str.contains(
        f":{ANONYMOUS_PREFIX}", regex=False)]
    frame = brand_posts.merge(details, on="key", how="inner")
    if frame.empty:
        return []
    frame["need"], needing = _need(frame, threshold)
    frame["needing"] = needing
    frame = frame[frame["need"] > 0].copy()
    if frame.empty:
        return []
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    replies = brand_replies.assign(last_brand_post_at=pd.to_datetime(
        brand_replies["last_brand_post_at"], utc=True)).set_index("conversation_key")
    # pandas cannot map through an empty datetime Series (it tries a float cast): a
    # brand that has never replied has answered nothing
    answered_at = frame["conversation_key"].map(replies["last_brand_post_at"]) if len(replies) \
        else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    frame = frame[answered_at.isna() | (frame["created_at"] > answered_at)]
    if frame.empty:
        return []
    # one item per conversation: its neediest unanswered post (the most negative of equals)
    frame = frame.assign(_s=pd.to_numeric(frame["sentiment"], errors="coerce").fillna(0.0))
    frame = frame.sort_values(["need", "_s", "created_at"], ascending=[False, True, True]
                              ).drop_duplicates("conversation_key")
    influence = _scale(scores["influence"] * max(len(scores), 1)) if "influence" in scores \
        else pd.Series(dtype=float)
    value = _scale(scores["customer_value"].fillna(0)) if "customer_value" in scores \
        else pd.Series(dtype=float)
    now_ts = pd.Timestamp(now).tz_convert("UTC") if pd.Timestamp(now).tzinfo else \
        pd.Timestamp(now, tz="UTC")
    columns = {c: frame[c].tolist() if c in frame else [None] * len(frame)
               for c in ("language", "sentiment_label", "intents", "intent_evidence")}
    items = []
    for n, row in enumerate(frame.itertuples(index=False)):
        sentiment = float(row.sentiment) if pd.notna(row.sentiment) else float("nan")
        label = columns["sentiment_label"][n]
        label = label if isinstance(label, str) else None
        intents = [x for x in _text(columns["intents"][n]).split("|") if x]
        evidence = _evidence(columns["intent_evidence"][n])
        language = columns["language"][n]
        inf = float(influence.get(row.author_key, 0.0))
        val = float(value.get(row.author_key, 0.0))
        hours = max(0.0, (now_ts - row.created_at).total_seconds() / 3600)
        urgency = 0.5 + 0.5 * (1 - 0.5 ** (hours / 24))
        weight = 0.4 + 0.3 * inf + 0.3 * val
        priority = float(row.need) * weight * urgency
        reasons: list[tuple[str, float]] = [
            (f"{name}: {', '.join(evidence.get(name, [])) or 'flagged'}", INTENT_NEED[name])
            for name in row.needing]
        if label == "negative" or (label is None and sentiment <= threshold):
            reasons.append(("negative sentiment", round(min(1.0, max(0.0, -sentiment)), 3)
                            if not np.isnan(sentiment) else 0.5))
        elif label == "unscored":
            reasons.append((f"unscored language ({language or 'unknown'})", 0.5))
        reasons += [("author influence", inf), ("customer value", val),
                    ("waiting hours", round(hours, 1))]
        text = row.text if isinstance(row.text, str) else ""
        items.append(CareItem(
            conversation_key=row.conversation_key, post_key=row.key, author_key=row.author_key,
            platform=row.platform, text=text, url=row.url, sentiment=sentiment,
            waiting_hours=hours, priority=priority,
            team=rules.route(text, row.platform, intents), reasons=reasons,
            created_at=row.created_at.to_pydatetime(),
            language=language if isinstance(language, str) else None,
            sentiment_label=label, intents=intents, evidence=evidence))
    items.sort(key=lambda i: (-i.priority, i.conversation_key))
    return items
