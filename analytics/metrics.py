"""The social-CRM metrics: awareness, sales and change, over a date window.

Three families, as marketers report them:

* **awareness** — how much the brand is talked about in the window: the volume of
  posts addressing the brand (mentioning or replying to a brand account, in a
  thread a brand post started, or naming a brand term; brand accounts' own posts
  excluded), how many distinct accounts wrote them, their reach (the sum of those
  authors' followers) and the **share of voice** of the brand against each named
  competitor (posts naming each, as a share of all posts naming any of them);
* **sales** — revenue from customers with a linked social account against all
  revenue, and purchases made *after* a brand account first engaged the customer
  (replied to or mentioned one of their accounts), with their revenue;
* **change** — per day: volume and mean sentiment of brand-addressing posts, the
  share that is negative (the sentiment model's class, ``sentiment_label``; the
  ±0.05 band only for posts not understood yet), how many were unscored (a language
  the model does not read) and how many carry each intent; **rising terms**: words
  whose frequency in the second half of the window most exceeds the first half
  (add-one smoothed ratio, at least ``min_count`` uses in the second half); and
  **topics**: per intent (complaints, suggestions, questions, ...), the key terms of
  its posts in the window against the window before it of the same length (the
  same smoothed ratio; ``rising`` when the share of that intent's posts using the
  term grew), so a product team sees "battery" rising among complaints.

All functions are pure over frames; :func:`compute_metrics` reads them from a store.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from analytics.team import excluded_authors
from analytics.understanding import DEFAULT_INTENTS
from graph.store import GraphStore
from graph.understanding import NEGATIVE_AT

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "Awareness",
    "Change",
    "DailyPoint",
    "Metrics",
    "RisingTerm",
    "Sales",
    "Voice",
    "IntentTopics",
    "TopicTerm",
    "compute_metrics",
    "intent_topics",
    "negative_posts",
    "rising_terms",
    "share_of_voice",
]

DEFAULT_WINDOW_DAYS = 30

_TOKEN = re.compile(r"[#]?[a-z][a-z0-9'-]{2,}")
_URL_OR_HANDLE = re.compile(r"https?://\S+|(?<!\w)@\w+|\bu/\w+")


@dataclass(frozen=True)
class Voice:
    name: str
    mentions: int
    share: float
    is_brand: bool


@dataclass(frozen=True)
class Awareness:
    mention_volume: int
    unique_authors: int
    reach: int
    share_of_voice: list[Voice]


@dataclass(frozen=True)
class Sales:
    total_revenue: float
    linked_customers: int
    linked_revenue: float
    engaged_customers: int
    purchases_after_engagement: int
    revenue_after_engagement: float


@dataclass(frozen=True)
class DailyPoint:
    day: str
    posts: int
    sentiment: float | None
    negative_share: float
    unscored: int = 0
    intents: dict[str, int] = field(default_factory=dict)  # intent → posts that day


@dataclass(frozen=True)
class RisingTerm:
    term: str
    count: int
    previous: int
    lift: float


@dataclass(frozen=True)
class TopicTerm:
    term: str
    count: int  # posts of the intent using it in the window
    previous: int  # in the window before
    lift: float  # smoothed share now / share before
    rising: bool


@dataclass(frozen=True)
class IntentTopics:
    intent: str
    posts: int
    previous_posts: int
    terms: list[TopicTerm]


@dataclass(frozen=True)
class Change:
    daily: list[DailyPoint]
    rising_terms: list[RisingTerm]
    topics: list[IntentTopics] = field(default_factory=list)


@dataclass(frozen=True)
class Metrics:
    since: datetime
    until: datetime
    awareness: Awareness
    sales: Sales
    change: Change
    notes: list[str] = field(default_factory=list)


def _naive(ts: datetime) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo else t


def _texts(frame: pd.DataFrame) -> pd.Series:
    title = frame["title"].fillna("") if "title" in frame else ""
    return (title + " " + frame["text"].fillna("")).str.lower()


def _names(text: pd.Series, terms: list[str]) -> pd.Series:
    if not terms:
        return pd.Series(False, index=text.index)
    pattern = "|".join(rf"(?<![\w]){re.escape(t.lower().lstrip('#'))}(?![\w])" for t in terms)
    return text.str.contains(pattern, regex=True)


def share_of_voice(posts: pd.DataFrame, brand_keys: set[str], brand_name: str,
                   brand_terms: list[str], competitors: list[str]) -> list[Voice]:
    """Posts naming the brand (or in ``brand_keys``: addressing it) and each competitor."""
    text = _texts(posts)
    counts = [(brand_name or "brand", int((_names(text, brand_terms)
                                           | posts["key"].isin(brand_keys)).sum()), True)]
    counts += [(c, int(_names(text, [c]).sum()), False) for c in competitors]
    total = sum(n for _, n, _ in counts)
    return [Voice(name=name, mentions=n, share=(n / total) if total else 0.0, is_brand=brand)
            for name, n, brand in counts]


def _tokens(text: str, skip: set[str]) -> list[str]:
    words = _TOKEN.findall(_URL_OR_HANDLE.sub(" ", text.lower()))
    return [w for w in words if w not in ENGLISH_STOP_WORDS and w.lstrip("#") not in skip]


def rising_terms(posts: pd.DataFrame, since: datetime, until: datetime, *, skip: set[str],
                 top: int = 10, min_count: int = 3) -> list[RisingTerm]:
    """Words whose use in the second half of the window most exceeds the first."""
    if posts.empty:
        return []
    middle = _naive(since) + (_naive(until) - _naive(since)) / 2
    late = posts["created_at"] >= middle
    text = _texts(posts)
    recent = Counter(w for t in text[late] for w in set(_tokens(t, skip)))
    earlier = Counter(w for t in text[~late] for w in set(_tokens(t, skip)))
    n_recent, n_earlier = max(int(late.sum()), 1), max(int((~late).sum()), 1)
    out = []
    for term, count in recent.items():
        if count < min_count:
            continue
        lift = ((count + 1) / n_recent) / ((earlier.get(term, 0) + 1) / n_earlier)
        if lift > 1:
            out.append(RisingTerm(term=term, count=count, previous=earlier.get(term, 0),
                                  lift=round(float(lift), 3)))
    out.sort(key=lambda r: (-r.lift, -r.count, r.term))
    return out[:top]


def negative_posts(posts: pd.DataFrame) -> pd.Series:
    """Which posts are negative: the sentiment model's class where the post was
    understood, the ±0.05 band on the score only where it was not."""
    sentiment = pd.to_numeric(posts["sentiment"], errors="coerce")
    band = sentiment <= NEGATIVE_AT
    if "sentiment_label" not in posts:
        return band
    label = posts["sentiment_label"]
    return (label == "negative").where(label.notna(), band).astype(bool)


def _intent_lists(posts: pd.DataFrame) -> list[list[str]]:
    if "intents" not in posts:
        return [[] for _ in range(len(posts))]
    return [[x for x in v.split("|") if x] if isinstance(v, str) else []
            for v in posts["intents"].tolist()]


def _daily(posts: pd.DataFrame) -> list[DailyPoint]:
    if posts.empty:
        return []
    day = pd.to_datetime(posts["created_at"]).dt.strftime("%Y-%m-%d")
    sentiment = pd.to_numeric(posts["sentiment"], errors="coerce")
    unscored = (posts["sentiment_label"] == "unscored") if "sentiment_label" in posts \
        else pd.Series(False, index=posts.index)
    grouped = pd.DataFrame({"day": day, "s": sentiment, "neg": negative_posts(posts),
                            "u": unscored, "i": _intent_lists(posts)}).groupby("day")
    out = []
    for d, g in grouped:
        mean = g["s"].mean()
        counts = Counter(x for names in g["i"] for x in names)
        out.append(DailyPoint(day=str(d), posts=len(g),
                              sentiment=None if np.isnan(mean) else round(float(mean), 4),
                              negative_share=round(float(g["neg"].mean()), 4),
                              unscored=int(g["u"].sum()),
                              intents=dict(sorted(counts.items()))))
    return out


TOPIC_INTENTS: tuple[str, ...] = ("complaint", "suggestion", "question", "churn", "purchase")


def intent_topics(posts: pd.DataFrame, previous: pd.DataFrame, *, skip: set[str],
                  intents: tuple[str, ...] = TOPIC_INTENTS, top: int = 10,
                  min_count: int = 2) -> list[IntentTopics]:
    """What each intent's posts are about: their most used terms in the window (at
    least ``min_count`` posts), most risen first, against the window before.

    Args:
        posts: Posts of the window (``intents``, ``text``, ``title``).
        previous: Posts of the window before it, the same columns.
        skip: Words never counted (brand names and terms).
        intents: Which intents to describe, in this order.
        top: Terms per intent.
        min_count: Posts of the intent that must use a term in the window.
    """
    out = []
    now_lists, before_lists = _intent_lists(posts), _intent_lists(previous)
    now_text, before_text = (_texts(posts) if len(posts) else pd.Series(dtype=str),
                             _texts(previous) if len(previous) else pd.Series(dtype=str))
    # an intent's own cue words ("awful", "refund") say what it is, not what it is about
    words_skipped = skip | {cue.lower() for rule in DEFAULT_INTENTS for cue in rule.cues
                            if " " not in cue and not cue.endswith("*")}
    everywhere = Counter(w for t in now_text.tolist() for w in set(_tokens(t, words_skipped)))
    n_all = len(now_text)
    for intent in intents:
        now = [t for t, names in zip(now_text.tolist(), now_lists, strict=True)
               if intent in names]
        before = [t for t, names in zip(before_text.tolist(), before_lists, strict=True)
                  if intent in names]
        if not now:
            continue
        counts = Counter(w for t in now for w in set(_tokens(t, words_skipped)))
        earlier = Counter(w for t in before for w in set(_tokens(t, words_skipped)))
        n_now, n_before = len(now), len(before)
        ranked = []
        for term, count in counts.items():
            # characteristic of this intent: used by a larger share of its posts than of
            # all the window's posts
            specific = ((count + 1) / (n_now + 1)) / ((everywhere[term] + 1) / (n_all + 1))
            if count < min_count or specific <= 1:
                continue
            lift = ((count + 1) / (n_now + 1)) / ((earlier.get(term, 0) + 1) / (n_before + 1))
            ranked.append((count * min(specific, 4.0), TopicTerm(
                term=term, count=count, previous=earlier.get(term, 0),
                lift=round(float(lift), 3), rising=lift > 1)))
        ranked.sort(key=lambda r: (-r[0], -r[1].count, r[1].term))
        terms = [t for _, t in ranked]
        out.append(IntentTopics(intent=intent, posts=n_now, previous_posts=len(before),
                                terms=terms[:top]))
    return out


def _sales(links: pd.DataFrame, purchases: pd.DataFrame, engagements: pd.DataFrame,
           since: pd.Timestamp, until: pd.Timestamp) -> Sales:
    when = pd.to_datetime(purchases["purchased_at"])
    in_window = purchases[(when >= since.normalize()) & (when < until)]
    amount = pd.to_numeric(in_window["amount"], errors="coerce").fillna(0.0)
    linked = set(links["customer_id"]) if len(links) else set()
    first = pd.Series(dtype="datetime64[us]")
    if len(engagements) and len(links):
        merged = links.merge(engagements, on="account_key")
        first = pd.to_datetime(merged.groupby("customer_id")["first_at"].min())
    # pandas cannot map through an empty datetime Series (it tries a float cast)
    engaged_at = in_window["customer_id"].map(first) if len(first) else \
        pd.Series(pd.NaT, index=in_window.index, dtype="datetime64[us]")
    after = pd.to_datetime(in_window["purchased_at"]) >= engaged_at.dt.normalize()
    return Sales(
        total_revenue=round(float(amount.sum()), 2),
        linked_customers=len(linked),
        linked_revenue=round(float(amount[in_window["customer_id"].isin(linked)].sum()), 2),
        engaged_customers=len(first),
        purchases_after_engagement=int(after.sum()),
        revenue_after_engagement=round(float(amount[after].sum()), 2))


def _default_until(store: GraphStore, addressed: pd.DataFrame, notes: list[str]) -> datetime:
    """Where the default window ends: just after the customers' newest post to the brand.

    The brand's own posts do not move it: a response recorded today to an archive's
    thread would otherwise leave the last 30 days, and so the dashboard, empty.
    """
    if len(addressed):
        newest = pd.to_datetime(addressed["created_at"], utc=True).max()
        if not pd.isna(newest):
            notes.append("the window ends at the newest post addressing the brand")
            end: datetime = newest.to_pydatetime() + timedelta(seconds=1)
            return end
    latest = store.newest_post_at()
    if latest is not None:
        notes.append("the window ends at the newest post")
        return latest + timedelta(seconds=1)
    return datetime.now(UTC)


def compute_metrics(store: GraphStore, since: datetime | None = None,
                    until: datetime | None = None) -> Metrics:
    """The three metric families over ``[since, until)``.

    Without ``until`` the window ends just after the newest post addressing the brand
    (the customers' conversation, not the brand's own posts; the newest post of any kind
    when none does); without ``since`` it starts :data:`DEFAULT_WINDOW_DAYS` days before
    ``until``.
    """
    notes: list[str] = []
    settings = store.get_settings()
    brand_name = settings.get("brand.name", "")
    terms = json.loads(settings.get("brand.terms", "[]")) + ([brand_name] if brand_name else [])
    competitors = json.loads(settings.get("brand.competitors", "[]"))
    if not terms and not store.brand_accounts():
        notes.append("no brand configured (scrm brand): awareness and change are empty")
    addressed = store.brand_posts(terms)
    run = store.latest_run()
    apart = excluded_authors(run.stats if run else {})
    if apart and len(addressed):
        # Flagged bots and the team are not the customers' conversation.
        addressed = addressed[~addressed["author_key"].isin(apart)]
    if until is None:
        until = _default_until(store, addressed, notes)
    if since is None:
        since = until - timedelta(days=DEFAULT_WINDOW_DAYS)
    if since >= until:
        raise ValueError("'since' must be before 'until'")
    start, end = _naive(since), _naive(until)

    posts = store.post_frame(since, until)
    posts["created_at"] = pd.to_datetime(posts["created_at"])
    addressing = set(addressed["key"]) if len(addressed) else set()
    addressed = addressed[addressed["key"].isin(set(posts["key"]))] if len(addressed) else addressed
    authors = sorted(set(addressed["author_key"])) if len(addressed) else []
    followers = store.get_accounts(authors)
    awareness = Awareness(
        mention_volume=len(addressed), unique_authors=len(authors),
        reach=int(sum(a.followers or 0 for a in followers.values())),
        share_of_voice=share_of_voice(posts, set(addressed["key"]) if len(addressed) else set(),
                                      brand_name, terms, competitors))

    brand_posts = posts[posts["key"].isin(set(addressed["key"]) if len(addressed) else set())]
    skip = {t.lower().lstrip("#") for t in terms} | {"https", "http", "amp"}
    before = store.post_frame(since - (until - since), since)
    before = before[before["key"].isin(addressing)]
    change = Change(daily=_daily(brand_posts),
                    rising_terms=rising_terms(brand_posts, since, until, skip=skip),
                    topics=intent_topics(brand_posts, before, skip=skip))
    sales = _sales(store.link_frame(), store.purchase_frame(), store.brand_engagements(),
                   start, end)
    return Metrics(since=since, until=until, awareness=awareness, sales=sales, change=change,
                   notes=notes)
