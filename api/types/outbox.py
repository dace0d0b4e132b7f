"""Delivery of the brand's recorded responses: the outbox's state (:mod:`graph.outbox`)
as GraphQL, on a response post (``ThreadPost.delivery``, ``Interaction.delivery``), on a
care case (``CareCase.deliveries``) and as a whole (``deliveries``).

A post whose id does not start with ``scrm-`` came from the platform: its delivery is
null without asking the store. Cursors of a delivery page are offsets into the list,
newest first (an item's place moves only when a newer response is recorded).
"""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import strawberry

from api.context import Info
from api.errors import UserError
from api.types.pagination import PageInfo, check_page_size
from graph import outbox as meaning
from graph.outbox import OutboxItem

__all__ = [
    "Delivery",
    "DeliveryConnection",
    "DeliveryEdge",
    "DeliveryState",
    "conversation_deliveries",
    "deliveries",
    "delivery_of",
    "delivery_page",
    "is_recorded_response",
]


@strawberry.enum(description="Where a response recorded in scrm is on its way to the "
                             "platform (see README, Sending replies).")
class DeliveryState(Enum):
    QUEUED = meaning.QUEUED
    SENDING = meaning.SENDING
    SENT = meaning.SENT
    FAILED = meaning.FAILED
    BY_HAND = meaning.BY_HAND
    ERASED = meaning.ERASED


@strawberry.type(description="How a response recorded in scrm reaches its platform.")
class Delivery:
    response_id: str = strawberry.field(description="The response's post key "
                                                    "(platform:scrm-…).")
    conversation_id: str
    in_reply_to: str = strawberry.field(description="The post it answers.")
    platform: str
    state: DeliveryState
    platform_id: str | None = strawberry.field(
        description="The platform's id of the sent reply (a status id, an at:// URI, a "
                    "post id); null until sent.")
    url: str | None = strawberry.field(description="The sent reply's link on the platform.")
    reason: str | None = strawberry.field(
        description="Why it failed (and is tried again at nextTry) or is to send by hand.")
    next_try: datetime | None = strawberry.field(
        description="When a failed or rate-limited reply is tried again.")
    attempts: int = strawberry.field(description="Requests that may have created it.")
    sent_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_domain(cls, item: OutboxItem) -> Delivery:
        return cls(response_id=item.key, conversation_id=item.conversation_key,
                   in_reply_to=item.target_key, platform=item.platform,
                   state=DeliveryState(item.state), platform_id=item.remote_id,
                   url=item.remote_url, reason=item.error, next_try=_utc(item.next_try),
                   attempts=item.attempts, sent_at=_utc(item.sent_at),
                   updated_at=_utc(item.updated_at))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_recorded_response(post_key: str) -> bool:
    """Whether a post key names a response recorded in scrm (``platform:scrm-…``)."""
    return post_key.partition(":")[2].startswith("scrm-")


async def delivery_of(info: Info, post_key: str) -> Delivery | None:
    """The delivery of the post ``post_key`` (null for posts that came from a platform)."""
    if not is_recorded_response(post_key):
        return None
    item = await info.context.deliveries.load(post_key)
    return Delivery.from_domain(item) if item is not None else None


@strawberry.type
class DeliveryEdge:
    cursor: str
    node: Delivery


@strawberry.type(description="A page of deliveries, newest response first.")
class DeliveryConnection:
    edges: list[DeliveryEdge]
    page_info: PageInfo
    total: int


def _encode(n: int) -> str:
    return base64.urlsafe_b64encode(f"delivery:{n}".encode()).decode("ascii")


def _decode(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        kind, _, n = base64.urlsafe_b64decode(cursor.encode("ascii")).decode().partition(":")
        if kind != "delivery" or not n.isdigit():
            raise ValueError(cursor)
        return int(n) + 1
    except (binascii.Error, UnicodeError, ValueError):
        raise UserError("invalid cursor: pass a cursor exactly as the API returned it") from None


def delivery_page(items: list[OutboxItem], first: int, after: str | None
                  ) -> DeliveryConnection:
    """A page of ``items`` (any order in; newest first out) after the ``after`` cursor."""
    check_page_size(first)
    start = _decode(after)
    never = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(items, key=lambda i: (_utc(i.created_at) or never, i.key), reverse=True)
    edges = [DeliveryEdge(cursor=_encode(n), node=Delivery.from_domain(i))
             for n, i in enumerate(ordered[start:start + first], start=start)]
    return DeliveryConnection(edges=edges, total=len(ordered), page_info=PageInfo.of(
        edges, has_next=start + first < len(ordered), has_previous=start > 0))


def _items(rows: list[dict[str, Any]]) -> list[OutboxItem]:
    return [OutboxItem.from_row(r) for r in rows]


#: the most posts of one conversation looked through for its responses
CONVERSATION_POSTS = 5000


async def conversation_deliveries(info: Info, conversation_key: str, first: int,
                                  after: str | None) -> DeliveryConnection:
    """The deliveries of the responses recorded in one conversation (``CareCase``)."""
    check_page_size(first)

    def work(s: Any) -> list[dict[str, Any]]:
        rows = s.conversation_posts(conversation_key, CONVERSATION_POSTS)
        keys = [r["key"] for r in rows if is_recorded_response(str(r["key"]))]
        return s.outbox_items(keys=keys, limit=len(keys)) if keys else []

    return delivery_page(_items(await info.context.store.call(work)), first, after)


async def deliveries(info: Info, states: list[DeliveryState] | None = None,
                     platform: str | None = None, first: int = 20, after: str | None = None
                     ) -> DeliveryConnection:
    """Every recorded response's delivery, newest first; ``states`` and ``platform``
    keep those in any of these states, on that platform."""
    check_page_size(first)
    wanted = [s.value for s in states] if states else None
    rows = await info.context.store.call(
        lambda s: s.outbox_items(states=wanted, limit=MAX_DELIVERIES) if wanted
        else s.outbox_items(limit=MAX_DELIVERIES))
    items = [i for i in _items(rows) if platform is None or i.platform == platform.lower()]
    return delivery_page(items, first, after)


#: the most outbox items one ``deliveries`` page is chosen from
MAX_DELIVERIES = 100_000
