"""The outbox: replies recorded in scrm, sent through the platforms that allow it.

:func:`enqueue_response` gives a newly recorded response its item (``queued``, or
``by hand`` with the reason: :mod:`graph.outbox`). :func:`run_outbox` is one round: every
due item is tried once. It runs as the ``outbox`` job, so in ``scrm serve`` it is the
one writer's work on the job thread, never beside an ingest or a ``forget`` job, and
``scrm outbox send`` hands its rounds to a running server like every write. The
``forgetCustomer`` mutation erases on the API's own thread, though, maybe mid-round: a
reply's text is read again after asking the platform, just before it is posted, and a
save keeps the stored ``target_author`` (an erasure's blank is never undone).

Never twice: ``sending`` is committed before each request. Before any retry, and for a
``sending`` left by a process that died mid-request, the platform is asked whether the
reply already exists (:meth:`ingest.connectors.send.Sender.find`); only if not is it
posted again, with the same idempotency key (Mastodon) or record key (Bluesky). A
timeout counts as "may have been created": it is a failure retried this way. Retries
wait an exponential backoff with jitter (``SCRM_OUTBOX_BACKOFF_SECONDS`` doubling, at
most ``SCRM_OUTBOX_BACKOFF_CAP_SECONDS``), or as long as the platform's ``Retry-After`` /
rate-limit reset says, which also holds back that platform's other replies. After
``SCRM_OUTBOX_ATTEMPTS`` tries, confirmed not posted, an item is left to send by hand.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from graph.outbox import (
    BY_HAND,
    ERASED,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    OutboxItem,
    missing_credentials,
    plan_item,
)
from graph.store import GraphStore
from ingest.connectors.http import backoff_seconds, private_address
from ingest.connectors.send import Reply, Sender, SendError, Sent, base_url, sender_for

__all__ = ["OutboxRound", "enqueue_response", "retry_item", "run_outbox"]

log = logging.getLogger(__name__)

#: the longest a platform's Retry-After is believed (a broken header must not park a reply)
MAX_RETRY_AFTER = timedelta(days=1)


def enqueue_response(store: GraphStore, *, response: Any, conversation_key: str,
                     target: dict[str, Any], public: bool, settings: Any) -> OutboxItem:
    """The outbox item of a response just written (``response``: its ``graph.model.Post``;
    ``target``: the answered post's row, with ``key`` and ``author_key``)."""
    item = plan_item(response_key=response.key, conversation_key=conversation_key,
                     target_key=str(target["key"]), target_author=target.get("author_key"),
                     author_key=response.author_key, text=response.text, public=public,
                     created_at=response.created_at, settings=settings)
    store.save_outbox_items([item.row()])
    return item


def retry_item(store: GraphStore, key: str, now: datetime | None = None) -> OutboxItem:
    """Queue a failed or by-hand item again, now (``scrm outbox retry``): its tries are
    counted afresh, and a reply that may already exist is looked for first."""
    rows = store.outbox_items(keys=[key])
    if not rows:
        raise LookupError(f"no outbox item {key!r}; see 'scrm outbox list'")
    item = OutboxItem.from_row(rows[0])
    if item.state not in (FAILED, BY_HAND):
        raise ValueError(f"{key} is {item.state}; only failed or by-hand replies are retried")
    when = now or datetime.now(UTC)
    # tries so far may have posted it: the round looks first, as ``sending_at`` says a
    # try was made; they are not counted against the new ones (with SCRM_OUTBOX_ATTEMPTS=1
    # a retry kept one, and the round gave up again before trying)
    item.state, item.next_try, item.updated_at = QUEUED, None, when
    item.attempts = 0
    store.save_outbox_items([item.row()])
    return item


@dataclass(slots=True)
class OutboxRound:
    """What one round did, per item key."""

    outcomes: dict[str, str] = field(default_factory=dict)

    def count(self, state: str) -> int:
        return sum(1 for s in self.outcomes.values() if s == state)

    def as_dict(self) -> dict[str, Any]:
        return {"tried": len(self.outcomes), "sent": self.count(SENT),
                "failed": self.count(FAILED), "by_hand": self.count(BY_HAND),
                "erased": self.count(ERASED), "waiting": self.count(QUEUED),
                "changed": bool(self.outcomes)}


class _Round:
    def __init__(self, store: GraphStore, settings: Any, client: httpx.Client,
                 report: Callable[[str], None], rng: random.Random | None) -> None:
        self.store, self.settings, self.client = store, settings, client
        self.report, self.rng = report, rng
        self.senders: dict[str, Sender] = {}
        self.blocked: dict[str, datetime] = {}  # platform → rate limited until
        self.private: dict[str, str | None] = {}  # base URL → a private address it has
        self._taken: set[str] | None = None  # platform ids replies were sent as
        self.result = OutboxRound()

    def save(self, item: OutboxItem, now: datetime) -> None:
        item.updated_at = now
        # whom it answers is never the round's to change, and an erasure on another thread
        # (forgetCustomer) may have forgotten it since the round read the item
        stored = self.store.outbox_items(keys=[item.key])
        if stored:
            item.target_author = stored[0]["target_author"]
        self.store.save_outbox_items([item.row()])  # committed before anything else
        self.result.outcomes[item.key] = item.state

    def sent(self, item: OutboxItem, sent: Sent, now: datetime, how: str) -> None:
        item.state, item.remote_id, item.remote_url = SENT, sent.remote_id, sent.url
        item.sent_at, item.error, item.next_try = now, None, None
        self.save(item, now)
        if self._taken is not None:
            self._taken.add(sent.remote_id)
        self.report(f"{item.key}: {how} {sent.url or sent.remote_id}")
        log.info("outbox: %s %s as %s", item.key, how, sent.remote_id)

    def by_hand(self, item: OutboxItem, reason: str, now: datetime) -> None:
        item.state, item.error, item.next_try = BY_HAND, reason, None
        self.save(item, now)
        self.report(f"{item.key}: to send by hand ({reason})")
        log.warning("outbox: %s left to send by hand: %s", item.key, reason)

    def failed(self, item: OutboxItem, exc: SendError, now: datetime) -> None:
        if exc.retry_at is not None:
            wait = min(max(exc.retry_at - now, timedelta(0)), MAX_RETRY_AFTER)
        else:
            wait = timedelta(seconds=backoff_seconds(
                max(1, item.attempts), base=self.settings.outbox_backoff_seconds,
                cap=self.settings.outbox_backoff_cap_seconds, rng=self.rng))
        item.state, item.error, item.next_try = FAILED, exc.reason, now + wait
        if exc.retry_at is not None:
            self.blocked[item.platform] = max(item.next_try,
                                              self.blocked.get(item.platform, item.next_try))
        self.save(item, now)
        self.report(f"{item.key}: failed ({exc.reason}); next try "
                    f"{item.next_try.isoformat(timespec='seconds')}")
        log.warning("outbox: %s failed: %s", item.key, exc.reason)

    def text(self, item: OutboxItem) -> str:
        details = self.store.post_details([item.key])
        if details.empty:
            return ""
        value = details["text"].iloc[0]
        return value if isinstance(value, str) else ""

    def gone(self, item: OutboxItem, text: str, now: datetime) -> bool:
        """Whether the reply's text is gone (its person erased): then it is never sent."""
        if text.strip():
            return False
        item.state, item.error, item.next_try = ERASED, "the reply's text is gone", None
        self.save(item, now)
        return True

    def taken(self) -> set[str]:
        """The platform ids sent replies have (read once a round, when a look-up needs them)."""
        if self._taken is None:
            self._taken = {str(r["remote_id"]) for r in self.store.outbox_items(
                states=(SENT,), limit=100_000) if r["remote_id"]}
        return self._taken

    def sender(self, platform: str) -> Sender:
        if platform not in self.senders:
            self.senders[platform] = sender_for(platform, self.client, self.settings)
        return self.senders[platform]

    def one(self, item: OutboxItem) -> None:
        now = datetime.now(UTC)
        missing = missing_credentials(item.platform, self.settings)
        if missing:
            self.by_hand(item, f"no credentials to send on {item.platform}: set "
                         f"{', '.join(missing)}", now)
            return
        blocked = self.blocked.get(item.platform)
        if blocked is not None and blocked > now:
            if item.state != SENDING:  # a cut-short try is settled once the limit ends
                item.next_try = blocked
                self.save(item, now)
            return
        url = base_url(item.platform, self.settings)
        if not self.settings.outbox_allow_private:
            if url not in self.private:
                self.private[url] = private_address(url)
            address = self.private[url]
            if address is not None:
                self.by_hand(item, f"{url} is a private or loopback address ({address}); "
                             "refused (SCRM_OUTBOX_ALLOW_PRIVATE=true allows it)", now)
                return
        text = self.text(item)
        if self.gone(item, text, now):
            return
        reply = Reply(item, text)
        sender = self.sender(item.platform)
        if item.state == SENDING or item.attempts > 0 or item.sending_at is not None:
            # a try may have reached the platform: ask before posting again
            try:
                existing = sender.find(Reply(item, text, self.taken()))
            except SendError as exc:
                if exc.permanent:  # refused (credentials revoked, say): asking again cannot help
                    self.by_hand(item, exc.reason, now)
                else:
                    self.failed(item, exc, now)
                return
            if existing is not None:
                self.sent(item, existing, now, "was already sent as")
                return
            # its person may have been erased while the platform was asked
            if self.gone(item, self.text(item), now):
                return
            if item.attempts >= self.settings.outbox_attempts:
                self.by_hand(item, f"gave up after {item.attempts} tries: "
                             f"{item.error or 'no answer'}", now)
                return
        item.state, item.attempts, item.sending_at = SENDING, item.attempts + 1, now
        self.save(item, now)
        try:
            sent = sender.send(reply)
        except SendError as exc:
            after = datetime.now(UTC)
            if exc.permanent:
                self.by_hand(item, exc.reason, after)
            else:
                self.failed(item, exc, after)
            return
        self.sent(item, sent, datetime.now(UTC), "sent as")


def run_outbox(store: GraphStore, settings: Any, *, client: httpx.Client | None = None,
               report: Callable[[str], None] = lambda message: None,
               rng: random.Random | None = None, now: datetime | None = None
               ) -> dict[str, Any]:
    """One round: try every due item once (oldest first); the ``outbox`` job's result
    (``changed: false`` when nothing was due)."""
    when = now or datetime.now(UTC)
    items = [OutboxItem.from_row(r)
             for r in store.outbox_items(states=(QUEUED, SENDING, FAILED), limit=100_000)]
    due = sorted((i for i in items if i.due(when)),
                 key=lambda i: (i.created_at or when, i.key))
    if not due:
        return OutboxRound().as_dict()
    own = client is None
    http = client or httpx.Client(timeout=settings.outbox_timeout, follow_redirects=False,
                                  headers={"User-Agent": "scrm-outbox/1"})
    work = _Round(store, settings, http, report, rng)
    try:
        for item in due:
            work.one(item)
    finally:
        if own:
            http.close()
    return work.result.as_dict()
