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
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.understanding.intents import IntentRule, _Matcher, _tokens
from graph.config import get_settings
from graph.erasure import ANONYMOUS_PREFIX
from graph.understanding import NEGATIVE_AT

__all__ = ["DEFAULT_RULES", "ENTRY_COLUMNS", "INTENT_NEED", "AuthorWeights", "CareItem",
           "RoutingRule", "RoutingRules", "care_entries", "care_item", "care_items",
           "care_queue", "entry_times", "needs_answer_on_arrival", "rank", "urgency",
           "waiting_hours"]


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
    _matcher: Any = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        terms = tuple(t.lower() for t in self.terms if t and t.strip())
        object.__setattr__(self, "terms", terms)
        # the cue table is built once per rule, not once per post routed
        object.__setattr__(self, "_matcher", _Matcher([IntentRule(
            self.team, dict.fromkeys(terms, 1.0))]) if terms else None)

    def matches(self, text: str, intents: Sequence[str] = (), *,
                tokens: list[str] | None = None,
                words: AbstractSet[str] | None = None) -> list[str]:
        """Why this rule takes the post: its intents the post has, then its words found
        in the text (whole words and phrases); empty when it does not. ``tokens``: the
        text's words when the caller has them already; ``words``: the same as a set, so
        a text none of whose words starts a cue is not searched."""
        why = [f"intent {i}" for i in self.intents if i in intents]
        if self._matcher is not None and (words is None or self._matcher.may_find(words)):
            why += self._matcher.find(tokens if tokens is not None
                                      else _tokens(text or ""))[0]
        return why


@dataclass(frozen=True)
class RoutingRules:
    rules: tuple[RoutingRule, ...]
    default_team: str = "support"

    def route(self, text: str, platform: str, intents: Sequence[str] = ()) -> str:
        """The team of the first rule that matches the post's words or intents."""
        tokens = _tokens(text or "")
        words = set(tokens)
        for rule in self.rules:
            if rule.platform and rule.platform != platform:
                continue
            if rule.matches(text or "", intents, tokens=tokens, words=words):
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
    """Each post's need for a response in [0, 1] (0: none) and the intents that need one.

    Worked out once per distinct intents text (a handful of combinations), then spread
    over the posts as arrays: a loop over a million brand posts took 28 s of a cold
    start's 53 at 1M accounts."""
    n = len(frame)
    sentiment = pd.to_numeric(frame["sentiment"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    labels = frame["sentiment_label"].to_numpy(dtype=object) if "sentiment_label" in frame \
        else np.full(n, None, dtype=object)
    positive = labels == "positive"
    flagged = frame["intents"].to_numpy(dtype=object) if "intents" in frame \
        else np.full(n, None, dtype=object)
    # complaint cues in a post the model reads as positive are mostly negated ("not a
    # single problem"): the model's class decides, so each distinct text is worked out
    # twice, as read positive (odd codes) and not
    found, uniques = pd.factorize(flagged)  # None and NaN: -1
    codes = (found + 1) * 2 + positive
    names_of: list[list[str]] = []
    asked_of = np.zeros(2 * (len(uniques) + 1))
    for u, text in enumerate([None, *uniques]):
        for read_positive in (False, True):
            names = [x for x in _text(text).split("|") if x in INTENT_NEED]
            if read_positive:
                names = [x for x in names if x != "complaint"]
            names_of.append(names)
            asked_of[2 * u + read_positive] = max((INTENT_NEED[x] for x in names), default=0.0)
    asked = asked_of[codes] if n else np.zeros(0)
    labelled = np.array([isinstance(v, str) for v in labels], dtype=bool) if n \
        else np.zeros(0, dtype=bool)
    scored = ~np.isnan(sentiment)
    negative = (labels == "negative") | (~labelled & scored & (np.nan_to_num(
        sentiment, nan=np.inf) <= threshold))
    negativity = np.where(negative, np.maximum(0.5, np.where(
        scored, np.minimum(1.0, -np.nan_to_num(sentiment)), 0.0)), 0.0)
    asked = np.where(~negative & (labels == "unscored"), np.maximum(asked, 0.5), asked)
    # an angry churn threat before a calm one; a negative post asking for nothing
    # specific counts by its negativity alone
    need = np.where(asked > 0, 0.75 * asked + 0.25 * negativity, negativity)
    return need, [names_of[c] for c in codes]


@dataclass(frozen=True)
class AuthorWeights:
    """Each author's normalised influence and customer value from one run's scores
    (log-scaled to the maximum, as in :mod:`analytics.scoring`): constant until the
    next run, so kept with it."""

    influence: pd.Series
    value: pd.Series

    @classmethod
    def of(cls, scores: pd.DataFrame) -> AuthorWeights:
        influence = _scale(scores["influence"] * max(len(scores), 1)) if "influence" in scores \
            else pd.Series(dtype=float)
        value = _scale(scores["customer_value"].fillna(0)) if "customer_value" in scores \
            else pd.Series(dtype=float)
        return cls(influence, value)


ENTRY_COLUMNS = ("conversation_key", "key", "author_key", "platform", "text", "url",
                 "sentiment", "created_at", "need", "needing", "influence", "value", "base",
                 "team", "language", "sentiment_label", "intents", "intent_evidence")


def care_entries(brand_posts: pd.DataFrame, details: pd.DataFrame, brand_replies: pd.DataFrame,
                 weights: AuthorWeights, *, rules: RoutingRules = DEFAULT_RULES,
                 threshold: float = NEGATIVE_AT) -> pd.DataFrame:
    """One row per conversation waiting for the brand, with what does not change while
    it waits: its neediest unanswered post, that post's need and author weights, its
    ``base`` priority (``need × (0.4 + 0.3·influence + 0.3·customer value)``) and team.
    Only urgency (:func:`rank`) depends on the time it is read.

    The conversations are independent: the entries of some conversations are those
    computed from their posts alone (how :class:`api.carequeue.CareQueueIndex` keeps
    the queue as writes happen). Parameters as for :func:`care_queue`.
    """
    if brand_posts.empty:
        return _no_entries()
    # an erased person's posts (no text, an anonymous author) wait for no one
    erased = f":{ANONYMOUS_PREFIX}"
    if any(erased in str(a) for a in brand_posts["author_key"].tolist()):
        brand_posts = brand_posts[~brand_posts["author_key"].astype(str).str.contains(
            erased, regex=False)]
    frame = _joined(brand_posts, details)
    if frame.empty:
        return _no_entries()
    need, needing = _need(frame, threshold)
    wanted = need > 0
    if not wanted.any():
        return _no_entries()
    # (a per-update batch: the column set once, not one pandas assignment per column)
    frame = frame[wanted] if not wanted.all() else frame
    frame = frame.assign(need=need[wanted], needing=[n for n, w in zip(needing, wanted,
                                                                       strict=True) if w])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    if len(brand_replies):
        replies = brand_replies.assign(last_brand_post_at=pd.to_datetime(
            brand_replies["last_brand_post_at"], utc=True)).drop_duplicates(
            "conversation_key").set_index("conversation_key")
        answered_at = frame["conversation_key"].map(replies["last_brand_post_at"])
        # (pandas cannot map through an empty datetime Series: a brand that has never
        # replied has answered nothing)
        waiting = (answered_at.isna() | (frame["created_at"] > answered_at)).to_numpy()
        if not waiting.all():
            frame = frame[waiting]
            if frame.empty:
                return _no_entries()
    # one item per conversation: its neediest unanswered post (the most negative of equals)
    sentiment = pd.to_numeric(frame["sentiment"], errors="coerce").astype(float)
    frame = frame.assign(_s=sentiment.fillna(0.0), sentiment=sentiment)
    frame = frame.sort_values(["need", "_s", "created_at", "key"],
                              ascending=[False, True, True, True])
    conversations = frame["conversation_key"]
    if conversations.duplicated().any():
        frame = frame[~conversations.duplicated().to_numpy()]
    authors = frame["author_key"]
    influence = authors.map(weights.influence).astype(float).fillna(0.0).to_numpy() \
        if len(weights.influence) else np.zeros(len(frame))
    value = authors.map(weights.value).astype(float).fillna(0.0).to_numpy() \
        if len(weights.value) else np.zeros(len(frame))
    teams: dict[tuple[str, str, str], str] = {}  # the same text routes the same way
    routed = []
    intents = frame["intents"].tolist() if "intents" in frame else [None] * len(frame)
    for t, p, i in zip(frame["text"].tolist(), frame["platform"].tolist(), intents,
                       strict=True):
        what = (_text(t), str(p), _text(i))
        team = teams.get(what)
        if team is None:
            team = teams[what] = rules.route(what[0], what[1],
                                             [x for x in what[2].split("|") if x])
        routed.append(team)
    missing = {c: None for c in ("language", "sentiment_label", "intents", "intent_evidence")
               if c not in frame}
    frame = frame.assign(influence=influence, value=value,
                         base=frame["need"].to_numpy(dtype=float) * (
                             0.4 + 0.3 * influence + 0.3 * value),
                         team=routed, **missing)
    return frame.loc[:, list(ENTRY_COLUMNS)].reset_index(drop=True)


def _joined(posts: pd.DataFrame, details: pd.DataFrame) -> pd.DataFrame:
    """``posts.merge(details, on="key", how="inner")``; side by side when both hold the
    same keys in the same order, once each (the care queue's update from a batch: the
    merge was a fifth of its time)."""
    keys = posts["key"].tolist()
    if keys == details["key"].tolist() and len(set(keys)) == len(keys) \
            and not (set(posts.columns) & set(details.columns)) - {"key"}:
        return pd.concat([posts.reset_index(drop=True),
                          details.drop(columns="key").reset_index(drop=True)], axis=1)
    return posts.merge(details, on="key", how="inner")


def _no_entries() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ENTRY_COLUMNS})


def urgency(hours: np.ndarray) -> np.ndarray:
    """How much waiting adds: a fresh post counts half, a day three quarters."""
    return 0.5 + 0.5 * (1 - 0.5 ** (hours / 24))


def waiting_hours(created_at: np.ndarray, now: datetime) -> np.ndarray:
    """Hours from each ``created_at`` (UTC epoch nanoseconds, int64) to ``now``, at least 0."""
    now_ns = pd.Timestamp(now).tz_convert("UTC").value if pd.Timestamp(now).tzinfo else \
        pd.Timestamp(now, tz="UTC").value
    hours: np.ndarray = np.maximum(0.0, (now_ns - created_at.astype("int64")) / 3.6e12)
    return hours


def rank(base: np.ndarray, created_at: np.ndarray, tiebreak: np.ndarray, now: datetime
         ) -> tuple[np.ndarray, np.ndarray]:
    """The queue's order at ``now``: positions, most urgent first, and every entry's
    priority (``base × urgency``); equal priorities by ``tiebreak`` (the conversation
    key's place among the keys, ascending)."""
    priority = base * urgency(waiting_hours(created_at, now))
    return np.lexsort((tiebreak, -priority)), priority


def entry_times(entries: pd.DataFrame) -> np.ndarray:
    """The entries' ``created_at`` as UTC epoch nanoseconds (what :func:`rank` takes)."""
    times: np.ndarray = pd.to_datetime(entries["created_at"], utc=True).to_numpy(
        dtype="datetime64[ns]").astype("int64")
    return times


def needs_answer_on_arrival(sentiment: float | None,
                            threshold: float = NEGATIVE_AT) -> bool:
    """Whether a post may wait for an answer as soon as it is written: what the queue
    weighs it by then is its sentiment on arrival alone (intents and labels come with
    understanding, later), and it waits when that is negative (:func:`care_entries`)."""
    return sentiment is not None and sentiment <= threshold


def care_item(row: Mapping[str, object], now: datetime,
              threshold: float = NEGATIVE_AT) -> CareItem:
    """The queue item of one entry (a row of :func:`care_entries`), as read at ``now``."""
    return care_items({c: [v] for c, v in row.items()}, now, threshold)[0]


def care_items(columns: Mapping[str, Sequence[Any] | np.ndarray], now: datetime,
               threshold: float = NEGATIVE_AT) -> list[CareItem]:
    """The queue items of some entries (columns of :func:`care_entries` rows, in the
    same order), as read at ``now``: their waiting and priority worked out over arrays
    at once (an events check makes thousands, and one at a time each cost more in
    numpy calls on one value than the rest of its item)."""
    count = len(columns["key"])
    if count == 0:
        return []
    created = [_utc(pd.Timestamp(v)) for v in columns["created_at"]]
    hours = waiting_hours(np.array([c.value for c in created], dtype="int64"), now)
    priority = np.asarray(columns["base"], dtype=float) * urgency(hours)
    return [_care_item({c: v[n] for c, v in columns.items()}, created[n], float(hours[n]),
                       float(priority[n]), threshold) for n in range(count)]


def _utc(stamp: pd.Timestamp) -> pd.Timestamp:
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp


def _care_item(row: Mapping[str, object], created: pd.Timestamp, hours: float,
               priority: float, threshold: float) -> CareItem:
    sentiment = float(row["sentiment"]) if pd.notna(row["sentiment"]) else float("nan")  # type: ignore[arg-type]
    label = row["sentiment_label"] if isinstance(row["sentiment_label"], str) else None
    language = row["language"] if isinstance(row["language"], str) else None
    intents = [x for x in _text(row["intents"]).split("|") if x]
    evidence = _evidence(row["intent_evidence"])
    inf, val = float(row["influence"]), float(row["value"])  # type: ignore[arg-type]
    needing = list(row["needing"])  # type: ignore[call-overload]
    reasons: list[tuple[str, float]] = [
        (f"{name}: {', '.join(evidence.get(name, [])) or 'flagged'}", INTENT_NEED[name])
        for name in needing]
    if label == "negative" or (label is None and sentiment <= threshold):
        reasons.append(("negative sentiment", round(min(1.0, max(0.0, -sentiment)), 3)
                        if not np.isnan(sentiment) else 0.5))
    elif label == "unscored":
        reasons.append((f"unscored language ({language or 'unknown'})", 0.5))
    reasons += [("author influence", inf), ("customer value", val),
                ("waiting hours", round(hours, 1))]
    return CareItem(
        conversation_key=str(row["conversation_key"]), post_key=str(row["key"]),
        author_key=str(row["author_key"]), platform=str(row["platform"]),
        text=_text(row["text"]), url=row["url"] if isinstance(row["url"], str) else None,
        sentiment=sentiment, waiting_hours=hours, priority=priority, team=str(row["team"]),
        reasons=reasons, created_at=created.to_pydatetime(), language=language,
        sentiment_label=label, intents=intents, evidence=evidence)


def care_queue(brand_posts: pd.DataFrame, details: pd.DataFrame, brand_replies: pd.DataFrame,
               scores: pd.DataFrame, *, now: datetime, rules: RoutingRules = DEFAULT_RULES,
               threshold: float = NEGATIVE_AT) -> list[CareItem]:
    """Conversations waiting for the brand, most urgent first (the whole queue computed
    afresh: :func:`care_entries`, then :func:`rank` at ``now``).

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
    entries = care_entries(brand_posts, details, brand_replies, AuthorWeights.of(scores),
                           rules=rules, threshold=threshold)
    if entries.empty:
        return []
    keys = entries["conversation_key"].astype(str).to_numpy()
    order, _ = rank(entries["base"].to_numpy(dtype=float), entry_times(entries),
                    np.argsort(np.argsort(keys, kind="stable"), kind="stable"), now)
    return care_items({c: entries[c].to_numpy(dtype=object)[order] for c in entries.columns},
                      now, threshold)
