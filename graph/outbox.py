"""What the outbox means: which recorded responses are sent, their states, and the keys that
keep a reply from being posted twice.

A response recorded in scrm (``recordResponse``, the workspace's reply form) is a post by a
brand account with a ``scrm-…`` id. The outbox gives each one an :class:`OutboxItem`
(``OutboxItem`` rows in the store, keyed by the response's post key)::

    queued ──► sending ──► sent (platform id, URL, time)
      ▲           │
      │           ├──► failed (reason, next try) ──► sending …
      │           └──► by hand (a refusal, or too many tries)
      └── retry ◄─────── by hand / failed          queued/failed/by hand ──► erased

``sending`` is written (and committed) *before* the request goes out. A ``sending`` found
when a round starts was cut short (the process died mid-request): it is settled by asking
the platform whether the reply exists (:mod:`ingest.outbox`), never by posting blindly.
A response whose platform cannot be sent to (no credentials, a private reply, another
instance than the configured one) is ``by hand`` from the start, with the reason.
Adapters only store and read these rows; everything here is decided once, above them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "BY_HAND",
    "ERASED",
    "FAILED",
    "QUEUED",
    "SENDABLE_PLATFORMS",
    "SENDING",
    "SENT",
    "STATES",
    "UNSENT",
    "OutboxItem",
    "bluesky_rkey",
    "erase_unsent",
    "idempotency_key",
    "missing_credentials",
    "plan_item",
]

QUEUED, SENDING, SENT, FAILED, BY_HAND, ERASED = (
    "queued", "sending", "sent", "failed", "by hand", "erased")
STATES: tuple[str, ...] = (QUEUED, SENDING, SENT, FAILED, BY_HAND, ERASED)
#: states whose text has not reached the platform through scrm
UNSENT: tuple[str, ...] = (QUEUED, SENDING, FAILED, BY_HAND)
#: platform → the ``Settings`` fields that must all be set to send there
SENDABLE_PLATFORMS: dict[str, tuple[str, ...]] = {
    "mastodon": ("mastodon_url", "mastodon_token"),
    "bluesky": ("bluesky_identifier", "bluesky_app_password"),
    "discourse": ("discourse_url", "discourse_api_key", "discourse_api_username"),
}
#: Bluesky counts graphemes; code points are a close, never lower, bound
BLUESKY_MAX_CHARS = 300
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


@dataclass(slots=True)
class OutboxItem:
    """One response's way to its platform (a row of the store's ``OutboxItem``).

    Attributes:
        key: The response's post key (``mastodon:scrm-…``).
        conversation_key: Its conversation.
        platform: Where it goes.
        target_key: The post it answers (``mastodon:host/123``).
        target_author: That post's author's account key (erasure finds items by it).
        author_key: The brand account it is written as.
        state: One of :data:`STATES`.
        attempts: Requests that may have created it (each ``sending``).
        idempotency_key: Sent with every try (Mastodon's ``Idempotency-Key``; Bluesky's
            record key is derived from it too).
        remote_id / remote_url: The platform's id and link, once sent.
        error: Why it failed or is to send by hand.
        next_try: When a failed (or rate-limited) item may be tried again.
        sending_at: When the latest try started.
        sent_at: When the platform confirmed it.
    """

    key: str
    conversation_key: str
    platform: str
    target_key: str
    target_author: str | None
    author_key: str
    state: str
    attempts: int = 0
    idempotency_key: str = ""
    remote_id: str | None = None
    remote_url: str | None = None
    error: str | None = None
    next_try: datetime | None = None
    sending_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def target_id(self) -> str:
        """The answered post's id on its platform (its key without the platform)."""
        return self.target_key.split(":", 1)[1]

    def row(self) -> dict[str, Any]:
        """The store row (every field)."""
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxItem:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        values["attempts"] = int(values.get("attempts") or 0)
        return cls(**values)

    def due(self, now: datetime) -> bool:
        """Whether a round should act on it now: queued or failed and past its next try,
        or ``sending`` (left by a process that died mid-request)."""
        if self.state == SENDING:
            return True
        return self.state in (QUEUED, FAILED) and (self.next_try is None
                                                   or self.next_try <= now)


def idempotency_key(response_key: str) -> str:
    """The key every try of one response carries: ``scrm-`` and a hash of its post key."""
    return "scrm-" + hashlib.sha256(response_key.encode()).hexdigest()[:32]


def bluesky_rkey(item: OutboxItem) -> str:
    """The record key the reply is created under: a valid TID (13 base32-sortable
    characters: microseconds since 1970 and a 10-bit clock id) fixed by the response's
    recorded time and key, so a second create of the same reply fails instead of
    posting it twice."""
    when = item.created_at
    micros = int(when.timestamp() * 1_000_000) if when is not None else 0
    clock = int(hashlib.sha256(item.key.encode()).hexdigest(), 16) & 0x3FF
    value = ((micros & ((1 << 53) - 1)) << 10) | clock
    out = []
    for _ in range(13):
        out.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def _set(settings: Any, name: str) -> bool:
    value = getattr(settings, name, None)
    if value is not None and hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return bool(value)


def missing_credentials(platform: str, settings: Any) -> list[str]:
    """The ``SCRM_*`` variables still to set before replies on ``platform`` are sent
    (empty: it can send)."""
    from graph.config import env_name

    return [env_name(n) for n in SENDABLE_PLATFORMS.get(platform, ()) if not _set(settings, n)]


def _host(url: str | None) -> str:
    return urlsplit(url or "").netloc.lower()


def by_hand_reason(platform: str, target_id: str, text: str, public: bool,
                   settings: Any) -> str | None:
    """Why a response cannot be sent by scrm (None: it can)."""
    if platform not in SENDABLE_PLATFORMS:
        return f"scrm does not send on {platform}"
    if not public:
        return "private replies are not sent by scrm"
    missing = missing_credentials(platform, settings)
    if missing:
        return f"no credentials to send on {platform}: set {', '.join(missing)}"
    if platform in ("mastodon", "discourse"):
        configured = _host(getattr(settings, f"{platform}_url", None))
        host = target_id.split("/", 1)[0].lower()
        if host != configured:
            return (f"the post is on {host}, the {platform} credentials are for "
                    f"{configured or 'another site'}")
    if platform == "bluesky":
        if not target_id.startswith("at://"):
            return "the post has no at:// URI to answer"
        if len(text) > BLUESKY_MAX_CHARS:
            return f"longer than Bluesky's {BLUESKY_MAX_CHARS} characters"
    if platform == "discourse" and "/t/" not in target_id:
        return "the post has no topic to answer in"
    return None


def plan_item(*, response_key: str, conversation_key: str, target_key: str,
              target_author: str | None, author_key: str, text: str, public: bool,
              created_at: datetime, settings: Any) -> OutboxItem:
    """The outbox item of a newly recorded response: ``queued`` when its platform can be
    sent to with the credentials set, else ``by hand`` with the reason."""
    platform = response_key.split(":", 1)[0]
    reason = by_hand_reason(platform, target_key.split(":", 1)[1], text, public, settings)
    return OutboxItem(
        key=response_key, conversation_key=conversation_key, platform=platform,
        target_key=target_key, target_author=target_author, author_key=author_key,
        state=BY_HAND if reason else QUEUED, idempotency_key=idempotency_key(response_key),
        error=reason, created_at=created_at, updated_at=created_at)


def erase_unsent(store: Any, account_keys: Sequence[str], now: datetime) -> int:
    """An erased person's replies that were not sent are never sent, and their texts
    are erased: items answering ``account_keys`` in an :data:`UNSENT` state become
    ``erased`` and their response posts lose their text. Every item answering them, sent
    or not, forgets whom it answered (the account key names the person). Returns how many
    unsent items were erased."""
    wanted = set(account_keys)
    if not wanted:
        return 0
    answering = [OutboxItem.from_row(r) for r in store.outbox_items_answering(sorted(wanted))]
    unsent = [i for i in answering if i.state in UNSENT]
    for item in unsent:
        item.state, item.error, item.next_try = ERASED, None, None
    for item in answering:
        item.target_author, item.updated_at = "", now
    if unsent:
        store.blank_post_texts([i.key for i in unsent])
    if answering:
        store.save_outbox_items([i.row() for i in answering])
    return len(unsent)
