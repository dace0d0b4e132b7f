"""The demo's world: its clock, the planted accounts, and the people and posts being made."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from ingest.demo.phrases import CITIES

__all__ = [
    "BASE",
    "DAYS",
    "END",
    "FAN_IDS",
    "FRIENDS_FIRST",
    "HIDDEN_COUNT",
    "MIN_CUSTOMERS",
    "NAMESAKES",
    "PAGE_SIZE",
    "PLANTED",
    "PLANTED_NAMES",
    "Person",
    "Planted",
    "REDDIT_PROSPECTS",
    "SAME_CIRCLE",
    "SHIPPED",
    "TWITTER_EPOCH_MS",
    "TWITTER_PROSPECTS",
    "World",
    "b36",
    "handle_forms",
    "iso",
]

BASE = datetime(2026, 9, 1, tzinfo=UTC)
"""The demo's clock starts here; nothing reads the wall clock."""
DAYS = 60
SHIPPED = Path(__file__).resolve().parents[1] / "samples" / "demo"
"""Where ``python -m ingest.demo_data`` writes the files ``scrm demo`` ingests."""

END = BASE + timedelta(days=DAYS)
TWITTER_EPOCH_MS = 1_288_834_974_657
PAGE_SIZE = 100
MIN_CUSTOMERS = 100


@dataclass(frozen=True, slots=True)
class Planted:
    """An account the demo plants on purpose, with the keys tests look it up by."""

    role: str
    customer_id: str | None
    name: str
    twitter: str | None
    reddit: str | None


PLANTED: tuple[Planted, ...] = (
    Planted("advocate", "C00001", "Dana Whitfield", "danarides", "dana_rides"),
    Planted("influencer", None, "Tech Wheels Reviews", "techwheels", None),
    Planted("detractor", "C00002", "Gus Grimsby", "grumpygus", "gus_grimsby"),
    Planted("mild_detractor", "C00003", "Megan Holt", "meganholt", None),
)
FAN_IDS = ("C00011", "C00027", "C00042", "C00063", "C00088")
HIDDEN_COUNT = 20
NAMESAKES = 3
TWITTER_PROSPECTS = 300
REDDIT_PROSPECTS = 120
"""Prospects (no CRM record) on each platform: a brand's social audience outnumbers its
customers."""
SAME_CIRCLE = 0.75
"""The chance that a friend someone makes is of their own kind (customer or prospect):
customers cluster, since friends recommend what they ride (word of mouth, referrals)."""
FRIENDS_FIRST = 0.6
"""The chance that someone answering or sharing an ordinary person's post is one of
that person's friends (else anyone in the crowd)."""

PLANTED_NAMES = frozenset(p.name for p in PLANTED)


# --------------------------------------------------------------------------- people


@dataclass(eq=False)  # people are compared by identity, not by their fields
class Person:
    name: str
    twitter: str | None = None
    reddit: str | None = None
    customer_id: str | None = None
    role: str = "ordinary"  # advocate|influencer|detractor|mild|fan|brand|ordinary|prospect
    mood: str = "neutral"  # happy|neutral|unhappy: what an ordinary account tends to post
    crm_twitter: bool = True
    followers: int = 0
    location: str = ""
    description: str = ""
    user_id: str = ""
    fullname: str = ""
    weight: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)
    friends: list[Person] = field(default_factory=list, repr=False)


@dataclass
class World:
    rng: Random
    people: list[Person] = field(default_factory=list)
    by_twitter: dict[str, Person] = field(default_factory=dict)
    by_reddit: dict[str, Person] = field(default_factory=dict)
    user_ids: set[str] = field(default_factory=set)
    handle_keys: set[str] = field(default_factory=set)
    tweets: list[dict[str, Any]] = field(default_factory=list)
    tweet_ids: set[int] = field(default_factory=set)
    reddit: list[dict[str, Any]] = field(default_factory=list)
    next_submission: int = int("1g0a000", 36)
    next_comment: int = int("n1a0000", 36)

    def add(self, p: Person) -> Person:
        rng = self.rng
        for handle in (p.twitter, p.reddit):
            if handle:
                self.handle_keys |= handle_forms(handle)
        if p.twitter:
            while not p.user_id or p.user_id in self.user_ids:
                digits = rng.choice((9, 10, 10, 18, 19))
                p.user_id = str(rng.randrange(10 ** (digits - 1), 10 ** digits))
            self.user_ids.add(p.user_id)
            self.by_twitter[p.twitter.lower()] = p
            p.extra["following"] = rng.randrange(40, 1500)
            p.extra["tweet_count"] = rng.randrange(50, 20000)
        if p.reddit:
            p.fullname = "t2_" + b36(rng.randrange(36**7, 36**9))
            self.by_reddit[p.reddit.lower()] = p
        if not p.location and rng.random() < 0.8:
            p.location = rng.choice(CITIES)
        self.people.append(p)
        return p


def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def handle_forms(handle: str) -> set[str]:
    """What makes two handles look like the same person's: separators, and for long
    names digits too, ignored (``uma_pedals`` ~ ``umapedals7``)."""
    plain = re.sub(r"[^a-z0-9]", "", handle.lower())
    core = re.sub(r"[^a-z]", "", handle.lower())
    return {plain, core} if len(core) >= 6 else {plain}
