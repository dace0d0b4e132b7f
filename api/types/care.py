"""The care queue: conversations waiting for the brand, their status and notes."""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import math
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from analytics.care import CareItem as DomainCareItem
from api.context import Info
from api.types.pagination import PageInfo
from api.types.people import Account, Customer, ExplanationFactor
from api.types.understanding import PostIntent, post_intents

__all__ = [
    "CareItem",
    "CareItemEdge",
    "CareNote",
    "CareQueueConnection",
    "CareStatus",
]


@strawberry.enum(description="Where a conversation is in the care workflow.")
class CareStatus(Enum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


@strawberry.type(description="An internal note on a conversation (not visible to the "
                              "customer).")
class CareNote:
    id: str
    author: str
    text: str
    created_at: datetime

    @classmethod
    def from_domain(cls, r: dict[str, Any]) -> CareNote:
        """From a store row (``key``, ``author``, ``text``, ``created_at``)."""
        return cls(id=r["key"], author=r["author"], text=r["text"], created_at=r["created_at"])


@strawberry.type(description="A conversation waiting for the brand, with why it ranks there.")
class CareItem:
    conversation_id: str
    post_id: str
    priority: float
    team: str
    platform: str
    text: str
    url: str | None
    sentiment: float | None = strawberry.field(
        description="The waiting post's sentiment in [-1, 1]; null when its language is "
                    "not one the sentiment model reads.")
    sentiment_label: str | None = strawberry.field(
        description="negative, neutral, positive (the sentiment model's class) or unscored; "
                    "null until the post is understood.")
    language: str | None = strawberry.field(
        description="ISO 639-1 code of the waiting post, 'und' when undetermined.")
    intents: list[PostIntent] = strawberry.field(
        description="What the waiting post asks for, strongest first, with the cues found.")
    waiting_hours: float
    reasons: list[ExplanationFactor]
    status: CareStatus
    assignee: str | None
    notes: list[CareNote]
    waiting_since: datetime | None
    author_key: strawberry.Private[str]

    @classmethod
    def from_domain(cls, item: DomainCareItem, *, status: str, team: str,
                    assignee: str | None, notes: list[dict[str, Any]]) -> CareItem:
        """A queue entry with its workflow state (``status``, the ``team`` it is routed
        to, ``assignee``) and its notes' store rows."""
        return cls(
            conversation_id=item.conversation_key, post_id=item.post_key,
            priority=item.priority, team=team, platform=item.platform, text=item.text,
            url=item.url if isinstance(item.url, str) else None,  # a frame gives NaN
            sentiment=None if math.isnan(item.sentiment) else item.sentiment,
            sentiment_label=item.sentiment_label, language=item.language,
            intents=post_intents(item.intents, item.evidence),
            waiting_hours=item.waiting_hours,
            author_key=item.author_key, status=CareStatus(status), assignee=assignee,
            waiting_since=item.created_at, notes=[CareNote.from_domain(n) for n in notes],
            reasons=[ExplanationFactor.from_domain(r) for r in item.reasons])

    @strawberry.field(description="Who is waiting.")
    async def author(self, info: Info) -> Account | None:
        account = await info.context.accounts.load(self.author_key)
        return Account.from_domain(account) if account else None

    @strawberry.field(description="Their CRM record, if the account is linked to one.")
    async def customer(self, info: Info) -> Customer | None:
        customer = await info.context.customers.load(self.author_key)
        return Customer.from_domain(customer) if customer else None


@strawberry.type
class CareItemEdge:
    cursor: str
    node: CareItem


@strawberry.type(description="A page of the care queue, most urgent first.")
class CareQueueConnection:
    edges: list[CareItemEdge]
    page_info: PageInfo
    total: int
