"""The social care queue: which conversations need a response first, and which team.

A conversation needs care when someone addressed the brand in a negative tone
(sentiment ≤ ``-0.05``) and the brand has not posted in that conversation since.
Priority, in [0, 1]:

    priority = negativity × (0.4 + 0.3·influence + 0.3·customer value) × urgency

where negativity is the most negative unanswered post's sentiment (made positive),
influence and customer value are the author's normalised factors from the latest
analysis (log-scaled to the maximum, as in :mod:`analytics.scoring`), and urgency
grows with waiting time, ``0.5 + 0.5 × (1 − 0.5 ** (hours waiting / 24))``: a fresh
complaint counts half, one left unanswered for a day three quarters, a week nearly
all. Each item is routed to a team by :class:`RoutingRules`: the first rule whose
terms appear in the text (and whose platform matches, if it names one) wins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from graph.config import get_settings

__all__ = ["DEFAULT_RULES", "RoutingRule", "RoutingRules", "care_queue"]


@dataclass(frozen=True)
class RoutingRule:
    team: str
    terms: tuple[str, ...]
    platform: str | None = None


@dataclass(frozen=True)
class RoutingRules:
    rules: tuple[RoutingRule, ...]
    default_team: str = "support"

    def route(self, text: str, platform: str) -> str:
        lowered = (text or "").lower()
        for rule in self.rules:
            if rule.platform and rule.platform != platform:
                continue
            if any(term in lowered for term in rule.terms):
                return rule.team
        return self.default_team

    @classmethod
    def load(cls, path: Path | None = None) -> RoutingRules:
        """Rules from a JSON file (``SCRM_ROUTING_RULES``), else the defaults.

        Format: ``{"default": "support", "rules": [{"team": "pr", "terms": ["press"],
        "platform": "twitter"}, ...]}``, checked in order.
        """
        source = path or get_settings().routing_rules
        if source is None:
            return DEFAULT_RULES
        data = json.loads(source.read_text(encoding="utf-8"))
        return cls(rules=tuple(RoutingRule(team=r["team"],
                                           terms=tuple(t.lower() for t in r["terms"]),
                                           platform=r.get("platform"))
                               for r in data["rules"]),
                   default_team=data.get("default", "support"))


DEFAULT_RULES = RoutingRules(rules=(
    RoutingRule("pr", ("journalist", "press", "reporter", "viral", "lawsuit", "lawyer",
                       "boycott")),
    RoutingRule("sales", ("price", "pricing", "plan", "upgrade", "discount", "cancel",
                          "refund", "charged", "money back", "billing")),
    RoutingRule("product", ("feature", "app update", "suggestion", "would be nice", "roadmap",
                            "confusing")),
    RoutingRule("support", ("broken", "battery", "crash", "support", "repair", "flat",
                            "locked", "ticket")),
))


@dataclass
class CareItem:
    conversation_key: str
    post_key: str
    author_key: str
    platform: str
    text: str
    url: str | None
    sentiment: float
    waiting_hours: float
    priority: float
    team: str
    reasons: list[tuple[str, float]] = field(default_factory=list)
    created_at: datetime | None = None  # of the post that waits


def _scale(values: pd.Series) -> pd.Series:
    positive = values[values > 0]
    if positive.empty:
        return pd.Series(0.0, index=values.index)
    return (np.log1p(values.clip(lower=0)) / np.log1p(positive.max())).clip(0, 1)


def care_queue(brand_posts: pd.DataFrame, details: pd.DataFrame, brand_replies: pd.DataFrame,
               scores: pd.DataFrame, *, now: datetime, rules: RoutingRules = DEFAULT_RULES,
               threshold: float = -0.05) -> list[CareItem]:
    """Conversations waiting for the brand, most urgent first.

    Parameters:
        brand_posts: The store's brand-directed posts (key, author_key, sentiment,
            created_at).
        details: key, platform, conversation_key, text, url of those posts.
        brand_replies: conversation_key, last_brand_post_at.
        scores: The latest run's scores by account key (influence, customer_value).
        now: The time waiting is measured to.
    """
    negative = brand_posts[brand_posts["sentiment"].fillna(0) <= threshold]
    if negative.empty:
        return []
    frame = negative.merge(details, on="key", how="inner")
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
    # one item per conversation: its most negative unanswered post
    frame = frame.sort_values(["sentiment", "created_at"]).drop_duplicates("conversation_key")
    influence = _scale(scores["influence"] * max(len(scores), 1)) if "influence" in scores \
        else pd.Series(dtype=float)
    value = _scale(scores["customer_value"].fillna(0)) if "customer_value" in scores \
        else pd.Series(dtype=float)
    now_ts = pd.Timestamp(now).tz_convert("UTC") if pd.Timestamp(now).tzinfo else \
        pd.Timestamp(now, tz="UTC")
    items = []
    for row in frame.itertuples(index=False):
        negativity = float(min(1.0, -row.sentiment))
        inf = float(influence.get(row.author_key, 0.0))
        val = float(value.get(row.author_key, 0.0))
        hours = max(0.0, (now_ts - row.created_at).total_seconds() / 3600)
        urgency = 0.5 + 0.5 * (1 - 0.5 ** (hours / 24))
        weight = 0.4 + 0.3 * inf + 0.3 * val
        priority = negativity * weight * urgency
        reasons = [("negative sentiment", negativity), ("author influence", inf),
                   ("customer value", val), ("waiting hours", round(hours, 1))]
        items.append(CareItem(
            conversation_key=row.conversation_key, post_key=row.key, author_key=row.author_key,
            platform=row.platform, text=row.text or "", url=row.url,
            sentiment=float(row.sentiment), waiting_hours=hours, priority=priority,
            team=rules.route(row.text or "", row.platform), reasons=reasons,
            created_at=row.created_at.to_pydatetime()))
    items.sort(key=lambda i: (-i.priority, i.conversation_key))
    return items
