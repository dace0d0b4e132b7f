"""Webhooks: other systems subscribe URLs to scrm's events and get them signed, retried, logged.

Events (:data:`EVENT_KINDS`): ``care_item`` (a conversation entered the care queue),
``alert`` (:mod:`analytics.alerts`), ``assignment``, ``response`` and ``resolution`` (the
care workflow), ``response_sent`` (the outbox sent a recorded response: the platform's id
and link) and ``response_failed`` (the outbox gave up on one after trying, or the platform
refused it: it is left to send by hand, with the reason). Each is POSTed as JSON::

    {"id": "evt_…", "kind": "alert", "created_at": "2026-10-15T09:00:00+00:00",
     "data": {…}}

with these headers:

``X-Scrm-Event``
    The event's kind.
``X-Scrm-Delivery``
    The event's id: the same on every retry, so a receiver can drop a duplicate.
``X-Scrm-Signature``
    ``t=<unix seconds>,v1=<hex>`` where ``<hex>`` is HMAC-SHA256, keyed with the
    subscription's secret, of ``"<t>." + <the raw request body>``.

To verify (what :func:`verify` does): split the header at commas into ``t`` and ``v1``;
compute ``hmac.new(secret, f"{t}.".encode() + body, sha256).hexdigest()`` over the body
*as received* (before any JSON parsing); compare it to ``v1`` in constant time
(``hmac.compare_digest``); and refuse a ``t`` more than five minutes from your clock,
which stops a recorded request being replayed later.

Delivery: an answer 2xx is delivered. A connection error, a timeout, 408, 429 or a 5xx
is tried again after an exponential backoff with jitter (between half and all of
``base · 2**(n−1)`` seconds, at most ``cap``; a ``Retry-After`` is honoured up to
``cap``), up to ``attempts`` tries in all, then given up. Any other 4xx is given up at
once (the receiver refused the request itself: trying again cannot help), and 410 Gone
also disables the subscription. Every try is a row of the delivery log. Retries wait in
a queue served by a few threads, so a slow or failing receiver never holds up the
writer or the other subscribers; deliveries still queued when the server stops are
lost (the log shows what was never delivered). Subscriptions and the log live in the
store (:class:`StoreWebhooks`); a subscription's secret is kept there, as it must be to
sign.

A subscription URL must be ``http`` or ``https`` and may not point at a private,
loopback or link-local address unless ``SCRM_WEBHOOK_ALLOW_PRIVATE=true`` (a receiver
on the company network, tests): checked when it is added and again before every try,
as the name may resolve elsewhere by then.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import logging
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import orjson

from api.auth import same_secret
from graph.store import GraphStore
from ingest.connectors.http import backoff_seconds, private_address

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "EVENT_KINDS",
    "SIGNATURE_HEADER",
    "DeliveryAttempt",
    "Dispatcher",
    "Event",
    "Subscription",
    "StoreWebhooks",
    "WebhookError",
    "WebhookStore",
    "attempt_once",
    "check_url",
    "deliver",
    "new_subscription",
    "shown_url",
    "sign",
    "verify",
]

log = logging.getLogger(__name__)

EVENT_KINDS: tuple[str, ...] = ("care_item", "alert", "assignment", "response", "resolution",
                                 "response_sent", "response_failed")
SIGNATURE_HEADER = "X-Scrm-Signature"
EVENT_HEADER = "X-Scrm-Event"
DELIVERY_HEADER = "X-Scrm-Delivery"
#: how far a signature's time may be from the receiver's clock
TOLERANCE_SECONDS = 300
_RETRY_STATUS = frozenset({408, 425, 429})


class WebhookError(ValueError):
    """A subscription cannot be made as asked; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, as subscribers receive it."""

    kind: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: f"evt_{secrets.token_hex(12)}")
    created_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def body(self) -> bytes:
        """The request body: the same bytes on every try (the signature covers them)."""
        return orjson.dumps({"id": self.id, "kind": self.kind, "created_at": self.created_at,
                             "data": self.data}, default=str)


@dataclass(slots=True)
class Subscription:
    """A URL that receives some kinds of events, signed with its own secret."""

    id: str
    url: str
    events: list[str]
    secret: str
    enabled: bool = True
    created_at: str = ""
    description: str = ""

    def wants(self, kind: str) -> bool:
        return self.enabled and kind in self.events


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try of one event to one subscription (a row of the delivery log).

    Attributes:
        outcome: ``delivered``, ``retry`` (another try is scheduled), ``failed`` (given
            up) or ``refused`` (the URL is not allowed).
    """

    subscription_id: str
    event_id: str
    kind: str
    attempt: int
    at: str
    outcome: str
    status: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Scrm-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds).

    Example:
        >>> sign("s3cret", b'{"a":1}', 1700000000)[:20]
        't=1700000000,v1=1698'
    """
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None,
           tolerance: float = TOLERANCE_SECONDS) -> bool:
    """Whether ``header`` (an ``X-Scrm-Signature``) signs ``body`` with ``secret``,
    made within ``tolerance`` seconds of ``now``: what a receiver should check."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    expected = sign(secret, body, stamp).split("v1=", 1)[1]
    return same_secret(expected, given)  # a forged header may carry any character


_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/?#]*@", re.IGNORECASE)


def shown_url(url: str) -> str:
    """``url`` for logs and messages: without the user and password it may carry (the
    receiver gets them as Basic auth; the logs need not).

    Example:
        >>> shown_url("https://hook:pw@example.com/in")
        'https://***@example.com/in'
    """
    return _USERINFO.sub(r"\1***@", url)


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not http(s) or that reaches a private address (WebhookError)."""
    try:  # a malformed one (bracket, port, empty label) would fail every try instead
        parts = urlsplit(url)
        _ = parts.port
        if parts.hostname:
            parts.hostname.encode("idna")
    except ValueError:  # UnicodeError too
        raise WebhookError(f"{shown_url(url)!r} is not a valid http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"{shown_url(url)!r} is not an http(s) URL")
    if not allow_private:
        address = private_address(url)
        if address is not None:
            raise WebhookError(f"{shown_url(url)} is a private or loopback address "
                               f"({address}); refused (SCRM_WEBHOOK_ALLOW_PRIVATE=true "
                               "allows it)")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def attempt_once(subscription: Subscription, event: Event, *, client: httpx.Client,
                 attempt: int, allow_private: bool, now: Callable[[], float] = time.time
                 ) -> tuple[DeliveryAttempt, bool, float | None]:
    """One POST of ``event``: the log row, whether a retry may help, and the receiver's
    ``Retry-After`` (seconds) if it sent one."""
    body = event.body()

    def row(outcome: str, status: int | None = None, error: str | None = None,
            ms: float = 0.0) -> DeliveryAttempt:
        return DeliveryAttempt(subscription.id, event.id, event.kind, attempt, _now_iso(),
                               outcome, status, error, round(ms, 1))

    try:
        check_url(subscription.url, allow_private=allow_private)
    except WebhookError as exc:
        return row("refused", error=str(exc)), False, None
    headers = {"Content-Type": "application/json", EVENT_HEADER: event.kind,
               DELIVERY_HEADER: event.id,
               SIGNATURE_HEADER: sign(subscription.secret, body, int(now())),
               "User-Agent": "scrm-webhooks/1"}
    started = time.perf_counter()
    try:
        response = client.post(subscription.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return row("retry", error="timed out", ms=(time.perf_counter() - started) * 1000), \
            True, None
    except httpx.HTTPError as exc:
        return row("retry", error=f"could not connect: {type(exc).__name__}",
                   ms=(time.perf_counter() - started) * 1000), True, None
    ms = (time.perf_counter() - started) * 1000
    status = response.status_code
    if 200 <= status < 300:
        return row("delivered", status, ms=ms), False, None
    retry = status >= 500 or status in _RETRY_STATUS
    return row("retry" if retry else "failed", status, f"HTTP {status}", ms), retry, \
        _retry_after(response)


def deliver(subscription: Subscription, event: Event, *, client: httpx.Client,
            record: Callable[[DeliveryAttempt], None], attempts: int = 5, base: float = 2.0,
            cap: float = 300.0, allow_private: bool = False,
            sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None
            ) -> bool:
    """Deliver one event to one subscription now, retrying in this thread (the
    :class:`Dispatcher` schedules retries instead). Returns whether it was delivered."""
    for n in range(1, attempts + 1):
        row, retry, after = attempt_once(subscription, event, client=client, attempt=n,
                                         allow_private=allow_private)
        if retry and n == attempts:
            row = _final(row)
        record(row)
        if row.outcome != "retry":
            return row.outcome == "delivered"
        sleep(min(cap, after) if after is not None else backoff_seconds(n, base=base, cap=cap,
                                                                           rng=rng))
    return False


def _final(row: DeliveryAttempt) -> DeliveryAttempt:
    return DeliveryAttempt(row.subscription_id, row.event_id, row.kind, row.attempt, row.at,
                           "failed", row.status, (row.error or "") + "; gave up", row.duration_ms)


class WebhookStore(Protocol):
    """Where subscriptions and the delivery log live."""

    def subscriptions(self) -> list[Subscription]: ...

    def subscribe(self, url: str, events: Sequence[str], *, secret: str | None = None,
                  description: str = "") -> Subscription: ...

    def unsubscribe(self, subscription_id: str) -> bool: ...

    def set_enabled(self, subscription_id: str, enabled: bool) -> bool: ...

    def record(self, attempt: DeliveryAttempt) -> None: ...

    def deliveries(self, *, limit: int = 50, subscription_id: str | None = None
                   ) -> list[DeliveryAttempt]: ...


def new_subscription(url: str, events: Sequence[str], *, secret: str | None,
                     description: str) -> Subscription:
    """A subscription with a fresh id (and secret, unless one is given)."""
    unknown = [e for e in events if e not in EVENT_KINDS]
    if unknown or not events:
        raise WebhookError(f"unknown event {unknown[0]!r}; known: {', '.join(EVENT_KINDS)}"
                           if unknown else "name at least one event")
    return Subscription(id=f"wh_{secrets.token_hex(4)}", url=url, events=list(dict.fromkeys(
        events)), secret=secret or secrets.token_urlsafe(32),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"), description=description)


class StoreWebhooks:
    """Subscriptions and the delivery log in the store (``WebhookSubscription`` and
    ``WebhookDelivery``), one call at a time (the dispatcher's threads share it)."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._lock = threading.Lock()

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            rows = self.store.webhook_subscriptions()
        return [Subscription(id=r["key"], url=r["url"], events=list(r["events"]),
                             secret=r["secret"], enabled=r["enabled"],
                             created_at=r["created_at"].isoformat(timespec="seconds")
                             if r["created_at"] else "", description=r["description"])
                for r in rows]

    def save(self, sub: Subscription) -> None:
        with self._lock:
            self.store.save_webhook_subscription({
                "key": sub.id, "url": sub.url, "events": sub.events, "secret": sub.secret,
                "enabled": sub.enabled, "created_at": sub.created_at or None,
                "description": sub.description})

    def subscribe(self, url: str, events: Sequence[str], *, secret: str | None = None,
                  description: str = "") -> Subscription:
        sub = new_subscription(url, events, secret=secret, description=description)
        self.save(sub)
        return sub

    def unsubscribe(self, subscription_id: str) -> bool:
        with self._lock:
            return self.store.delete_webhook_subscription(subscription_id)

    def set_enabled(self, subscription_id: str, enabled: bool) -> bool:
        sub = next((s for s in self.subscriptions() if s.id == subscription_id), None)
        if sub is None:
            return False
        sub.enabled = enabled
        self.save(sub)
        return True

    def record(self, attempt: DeliveryAttempt) -> None:
        # LadybugDB runs one write transaction at a time and refuses a second one (a job
        # writing on another connection) instead of waiting: wait for it here, up to 30 s
        deadline = time.monotonic() + 30.0
        while True:
            try:
                with self._lock:
                    self.store.add_webhook_deliveries([asdict(attempt)])
                return
            except RuntimeError as exc:
                if "one write transaction" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def deliveries(self, *, limit: int = 50, subscription_id: str | None = None
                   ) -> list[DeliveryAttempt]:
        with self._lock:
            rows = self.store.webhook_deliveries(limit, subscription_id)
        return [DeliveryAttempt(**{**r, "at": r["at"].isoformat(timespec="milliseconds")})
                for r in rows]


@dataclass(order=True)
class _Due:
    at: float
    order: int
    subscription_id: str = field(compare=False)
    event: Event = field(compare=False)
    attempt: int = field(compare=False, default=1)


class Dispatcher:
    """Delivers published events to every subscription that wants them, in the
    background: a time-ordered queue of tries served by ``workers`` threads.

    Args:
        store: Subscriptions (read at each publish) and the delivery log.
        allow_private: Allow receivers on private addresses (tests, company network).
        attempts: Tries per delivery, the first included.
        base / cap: Backoff before try *n*: between half and all of ``base·2**(n−1)``
            seconds, at most ``cap``.
        timeout: Seconds a receiver has to answer one try.
        max_pending: Tries queued at most; beyond it new events are dropped and logged.
    """

    def __init__(self, store: WebhookStore, *, allow_private: bool = False, attempts: int = 5,
                 base: float = 2.0, cap: float = 300.0, timeout: float = 10.0,
                 workers: int = 2, max_pending: int = 10_000,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.allow_private = allow_private
        self.attempts, self.base, self.cap = attempts, base, cap
        self.max_pending = max_pending
        self._rng = rng or random.Random()
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._queue: list[_Due] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"webhooks-{n}", daemon=True)
                         for n in range(workers)]
        for thread in self._threads:
            thread.start()

    def publish(self, event: Event) -> int:
        """Queue ``event`` for every enabled subscription to its kind; returns how many."""
        return self.publish_many([event])

    def publish_many(self, events: Sequence[Event]) -> int:
        """Queue each event for every enabled subscription to its kind (the
        subscriptions read once); returns how many tries were queued."""
        if not events:
            return 0
        subscriptions = self.store.subscriptions()
        queued = 0
        with self._cond:
            for event in events:
                for sub in [s for s in subscriptions if s.wants(event.kind)]:
                    if len(self._queue) >= self.max_pending:
                        log.warning("webhooks: %d tries already queued; %s to %s dropped",
                                    len(self._queue), event.id, sub.id)
                        continue
                    heapq.heappush(self._queue, _Due(time.monotonic(), next(self._order),
                                                     sub.id, event))
                    queued += 1
            self._cond.notify_all()
        return queued

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._queue
                                            or self._queue[0].at > time.monotonic()):
                    wait = self._queue[0].at - time.monotonic() if self._queue else None
                    self._cond.wait(wait)
                if self._closed:
                    return
                due = heapq.heappop(self._queue)
                self._busy += 1
            try:
                self._try(due)
            except Exception:  # noqa: BLE001 - a broken log must not kill the worker
                log.exception("webhooks: delivery of %s failed unexpectedly", due.event.id)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _try(self, due: _Due) -> None:
        sub = next((s for s in self.store.subscriptions() if s.id == due.subscription_id), None)
        if sub is None or not sub.enabled:
            return  # removed or disabled since: nothing to deliver
        row, retry, after = attempt_once(sub, due.event, client=self._client,
                                         attempt=due.attempt, allow_private=self.allow_private)
        if retry and due.attempt >= self.attempts:
            row, retry = _final(row), False
        self.store.record(row)
        if row.status == 410:
            self.store.set_enabled(sub.id, False)
            log.warning("webhooks: %s answered 410 Gone; subscription %s disabled",
                        shown_url(sub.url), sub.id)
        if retry:
            wait = min(self.cap, after) if after is not None else backoff_seconds(
                due.attempt, base=self.base, cap=self.cap, rng=self._rng)
            with self._cond:
                heapq.heappush(self._queue, _Due(time.monotonic() + wait, next(self._order),
                                                 due.subscription_id, due.event,
                                                 due.attempt + 1))
                self._cond.notify_all()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or being tried (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        """Stop the workers; tries still queued are not made."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
        self._client.close()
