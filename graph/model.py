"""The domain model: what scrm stores, independent of any database.

Parsers in ``ingest/`` yield these records; the store port in :mod:`graph.store`
persists them. Keys are derived here, once, so every adapter agrees on them:

* an account is keyed by ``platform:handle`` with the handle lower-cased and
  without a leading ``@`` or ``u/`` (CRM files name people by handle, so the
  handle, not the platform's numeric id, is what joins CRM to social);
* a post by ``platform:post_id`` (Reddit ids are fullnames such as ``t1_abc``,
  so ``parent_id`` values map onto them directly);
* a conversation by ``platform:root_id``;
* a customer by its CRM ``customer_id``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter

__all__ = [
    "Account",
    "Customer",
    "Follow",
    "OwnsLink",
    "Post",
    "PostKind",
    "Purchase",
    "Record",
    "Reject",
    "account_key",
    "normalize_handle",
    "REDACTED_MENTION",
    "post_key",
    "redact_handles",
    "tombstone",
]


class PostKind(StrEnum):
    """What a post is in its conversation."""

    POST = "post"
    REPLY = "reply"
    COMMENT = "comment"
    SHARE = "share"
    QUOTE = "quote"
    PRIVATE_REPLY = "private_reply"  # a brand's private answer, recorded from the care queue


@lru_cache(maxsize=1 << 20)
def normalize_handle(handle: str) -> str:
    """Return the canonical form of a handle: stripped, no ``@`` / ``u/``, lower case.

    Example:
        >>> normalize_handle(" @DanaW ")
        'danaw'
        >>> normalize_handle("u/Some_User")
        'some_user'
    """
    h = handle.strip()
    if h.startswith("@"):
        h = h[1:]
    elif h[:2].lower() == "u/":
        h = h[2:]
    elif h[:3].lower() == "/u/":
        h = h[3:]
    return h.strip().lower()


@lru_cache(maxsize=1 << 20)
def account_key(platform: str, handle: str) -> str:
    """The store key of an account: ``platform:normalized_handle``."""
    return f"{platform.lower()}:{normalize_handle(handle)}"


def post_key(platform: str, post_id: str) -> str:
    """The store key of a post: ``platform:post_id``."""
    return f"{platform.lower()}:{post_id}"


@dataclass(frozen=True, slots=True)
class Customer:
    """A CRM record."""

    customer_id: str
    name: str | None = None
    email: str | None = None
    lifetime_value: float | None = None
    nps: int | None = None
    signup_date: date | None = None
    location: str | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """A social account on one platform.

    ``followers`` is ``None`` where the source does not say (a mention only
    names the account); the store never overwrites a known value with ``None``.
    ``created_at`` (when the account was opened), ``following``, ``listed`` (how many
    lists name it) and ``client`` (the app it last posted from) are what bot detection
    reads where a platform gives them (Twitter v1.1, API v2 and Gnip; Mastodon; Bluesky's
    opening date); both stores keep them like the other fields (a later known value
    replaces an earlier one, ``None`` never erases).
    """

    platform: str
    handle: str
    user_id: str | None = None
    display_name: str | None = None
    followers: int | None = None
    is_brand: bool = False
    location: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    following: int | None = None
    listed: int | None = None
    client: str | None = None

    @property
    def key(self) -> str:
        return account_key(self.platform, self.handle)


@dataclass(frozen=True, slots=True)
class Post:
    """One post, reply, comment, share or quote.

    References to other posts use the platform's own ids (same platform);
    references to accounts use handles. The loader turns them into edges,
    and an edge whose target is not stored yet is kept pending until it is.
    """

    platform: str
    post_id: str
    author_handle: str
    created_at: datetime
    text: str = ""
    kind: PostKind = PostKind.POST
    url: str | None = None
    parent_id: str | None = None
    conversation_id: str | None = None
    mentions: tuple[str, ...] = ()
    shared_id: str | None = None
    hashtags: tuple[str, ...] = ()
    lang: str | None = None
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    score: int | None = None
    title: str | None = None
    accepted: bool = False
    # The text is the platform's shortened copy (a v1.1 "compat" status): a fuller
    # copy of the same post is the same post, and its text is the one to keep.
    truncated: bool = False
    # A copy carried inside another record (a retweeted or quoted status): when it
    # disagrees with a stored copy it is dropped, never the post that carried it.
    embedded: bool = False
    # Sentiment scored before the post is written (a live source scores on arrival), so
    # it is stored with the post in one transaction; None: scored later by analysis.
    sentiment: float | None = None
    sentiment_model: str | None = None

    @property
    def key(self) -> str:
        return post_key(self.platform, self.post_id)

    @property
    def author_key(self) -> str:
        return account_key(self.platform, self.author_handle)

    def scored(self, sentiment: float, model: str) -> Post:
        """This post with its sentiment on arrival, made from its values in order:
        ``dataclasses.replace`` took 9.5 µs a post, this 3.4 µs (a third of the time
        scoring a stream's posts on arrival took, on the thread that shares the GIL with
        the writer)."""
        values = list(_POST_VALUES(self))
        values[_POST_SENTIMENT], values[_POST_SENTIMENT + 1] = sentiment, model
        return Post(*values)


_POST_FIELDS = [f.name for f in fields(Post)]
_POST_VALUES = attrgetter(*_POST_FIELDS)
_POST_SENTIMENT = _POST_FIELDS.index("sentiment")
if _POST_FIELDS[_POST_SENTIMENT + 1] != "sentiment_model":
    raise ImportError("Post.scored expects sentiment_model right after sentiment")


@dataclass(frozen=True, slots=True)
class OwnsLink:
    """A Customer→Account identity link with its confidence and evidence."""

    customer_id: str
    platform: str
    handle: str
    confidence: float = 1.0
    method: str = "crm"
    evidence: str = ""

    @property
    def account_key(self) -> str:
        return account_key(self.platform, self.handle)


@dataclass(frozen=True, slots=True)
class Follow:
    """``follower`` follows ``followee`` on ``platform``."""

    platform: str
    follower_handle: str
    followee_handle: str


@dataclass(frozen=True, slots=True)
class Purchase:
    """An order or purchase from the CRM, feeding customer value."""

    customer_id: str
    order_id: str
    amount: float
    purchased_at: date


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be read, with where and why.

    ``line`` is 1-based; ``field`` names the offending field when one is to blame.
    """

    source_file: str
    line: int
    reason: str
    raw: str = ""
    field: str | None = None
    # Only this field was dropped; the rest of the record was kept (a warning).
    warning: bool = False


Record = Customer | Account | Post | OwnsLink | Follow | Purchase | Reject


@dataclass(slots=True)
class IngestStats:
    """What one file (or stream) gave: read = loaded + rejected."""

    source_file: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def tombstone(kind: str, key: str, salt: str) -> str:
    """The salted hash that stands for a forgotten customer (``kind`` ``customer``,
    key = customer id) or account (``account``, key = account key): enough to
    recognise the same person in a later import, not to recover who it was."""
    return hashlib.sha256(f"{salt}|{kind}|{key}".encode()).hexdigest()


REDACTED_MENTION = "@[erased]"


def redact_handles(text: str, handles: tuple[str, ...] | list[str]) -> str:
    """``text`` with every mention of these handles (``@x``, ``u/x`` or bare ``x``, any
    case) replaced by ``@[erased]``: the same rule for stored posts and later imports."""
    for handle in handles:
        name = normalize_handle(handle)
        if name:
            text = re.sub(r"(?i)(?<![\w@/])(?:@|u/|/u/)?" + re.escape(name) + r"(?![\w])",
                          REDACTED_MENTION, text)
    return text
