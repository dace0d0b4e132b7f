"""GraphQL types, written by hand, each built from a store record by ``from_domain()``.

Connections follow the Relay cursor specification. Cursors are opaque to
clients; inside they are base64 of:

* ``<run_id>:<kind>:<rank>`` for a ranking (see :func:`encode_target_cursor`);
* ``i:<JSON [time ISO, post key, direction]>`` for a timeline, matching
  :attr:`graph.store.Interaction.cursor_key`.
"""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from api.context import Context, Info
from api.errors import UserError
from graph import store as port

__all__ = [
    "MAX_PAGE_SIZE",
    "Account",
    "AnalysisRun",
    "Customer",
    "Direction",
    "EngagementTarget",
    "EngagementTargetConnection",
    "EngagementTargetEdge",
    "ExplanationFactor",
    "Interaction",
    "InteractionConnection",
    "InteractionEdge",
    "LinkedAccount",
    "PageInfo",
    "ScoreExplanation",
    "Scores",
    "CareNote",
    "CareStatus",
    "TargetKind",
    "TimelineFilter",
    "check_page_size",
    "decode_interaction_cursor",
    "decode_target_cursor",
    "encode_interaction_cursor",
    "encode_target_cursor",
    "interaction_page",
]

MAX_PAGE_SIZE = 100


# ---------------------------------------------------------------- cursors, pages
def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def _unb64(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise UserError("invalid cursor: pass a cursor exactly as the API returned it") from None


def encode_target_cursor(run_id: str, kind: str, rank: int) -> str:
    return _b64(f"{run_id}:{kind}:{rank}")


def decode_target_cursor(cursor: str) -> tuple[str, str, int]:
    """Return ``(run_id, kind, rank)`` of a ranking cursor."""
    parts = _unb64(cursor).rsplit(":", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        raise UserError("invalid cursor: pass a cursor exactly as the API returned it")
    return parts[0], parts[1], int(parts[2])


def encode_interaction_cursor(key: tuple[datetime, str, str]) -> str:
    time, post_key, direction = key
    return _b64("i:" + json.dumps([time.isoformat(), post_key, direction]))


def decode_interaction_cursor(cursor: str) -> tuple[datetime, str, str]:
    """Return ``(time, post key, direction)`` of a timeline cursor."""
    text = _unb64(cursor)
    try:
        if not text.startswith("i:"):
            raise ValueError(text)
        time, post_key, direction = json.loads(text[2:])
        return datetime.fromisoformat(time), str(post_key), str(direction)
    except (ValueError, TypeError):
        raise UserError("invalid cursor: pass a cursor exactly as the API returned it") from None


def check_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise UserError(f"'first' must be between 0 and {MAX_PAGE_SIZE} (got {first})")


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, edges: Sequence[Any], *, has_next: bool, has_previous: bool) -> PageInfo:
        """The page information of a page of ``edges`` (each with a ``cursor``)."""
        return cls(has_next_page=has_next, has_previous_page=has_previous,
                   start_cursor=edges[0].cursor if edges else None,
                   end_cursor=edges[-1].cursor if edges else None)


# ------------------------------------------------------------------------ enums
@strawberry.enum(description="Which ranking of engagement targets to read.")
class TargetKind(Enum):
    ADVOCATE = "advocate"
    INFLUENCER = "influencer"
    DETRACTOR = "detractor"


@strawberry.enum(description="Whose accounts a ranking includes.")
class Audience(Enum):
    ALL = "all"
    CUSTOMERS = "customers"
    PROSPECTS = "prospects"


@strawberry.enum(description="How an interaction relates to the person whose timeline it is in.")
class Direction(Enum):
    AUTHORED = "authored"
    REPLY_RECEIVED = "reply_received"
    MENTION_RECEIVED = "mention_received"
    SHARE_RECEIVED = "share_received"


@strawberry.input(description="Which interactions a timeline shows; omitted fields do not "
                              "filter. 'since' is inclusive, 'until' exclusive.")
class TimelineFilter:
    platforms: list[str] | None = None
    kinds: list[str] | None = strawberry.field(
        default=None, description="Post kinds: post, reply, comment, share, quote, "
                                  "private_reply.")
    directions: list[Direction] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_domain(self) -> port.TimelineFilter:
        if self.since and self.until and self.since >= self.until:
            raise UserError("filter.since must be before filter.until")
        return port.TimelineFilter(
            platforms=tuple(p.lower() for p in self.platforms or ()),
            kinds=tuple(k.lower() for k in self.kinds or ()),
            directions=tuple(d.value for d in self.directions or ()),
            since=_aware_utc(self.since), until=_aware_utc(self.until))


def _aware_utc(value: datetime | None) -> datetime | None:
    """GraphQL DateTime without an offset is taken as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ----------------------------------------------------------------------- scores
@strawberry.type(description="One account's scores from one analysis run.")
class Scores:
    run_id: str
    influence: float
    reach: float
    engagement: float
    brand_sentiment: float | None
    brand_posts: int
    customer_value: float | None
    community: int | None
    bridge: float | None
    advocate: float
    influencer: float
    detractor: float
    advocate_rank: int | None
    influencer_rank: int | None
    detractor_rank: int | None
    explanation: ScoreExplanation = strawberry.field(
        description="The factors behind each score, largest first.")

    @classmethod
    def from_domain(cls, s: port.AccountScores) -> Scores:
        return cls(
            run_id=s.run_id, influence=s.influence, reach=s.reach, engagement=s.engagement,
            brand_sentiment=s.brand_sentiment, brand_posts=s.brand_posts,
            customer_value=s.customer_value, community=s.community, bridge=s.bridge,
            advocate=s.advocate, influencer=s.influencer, detractor=s.detractor,
            advocate_rank=s.ranks.get("advocate"), influencer_rank=s.ranks.get("influencer"),
            detractor_rank=s.ranks.get("detractor"),
            explanation=ScoreExplanation.from_domain(s.explanations))


@strawberry.type(description="One factor of a score and how much it added.")
class ExplanationFactor:
    factor: str
    contribution: float

    @classmethod
    def from_domain(cls, pair: tuple[str, float]) -> ExplanationFactor:
        return cls(factor=pair[0], contribution=pair[1])


@strawberry.type(description="Why an account scores what it does: each score's factors and "
                              "how much each added, largest first. They sum to the score.")
class ScoreExplanation:
    advocate: list[ExplanationFactor]
    influencer: list[ExplanationFactor]
    detractor: list[ExplanationFactor]

    @classmethod
    def from_domain(cls, explanations: dict[str, list[tuple[str, float]]]
                    ) -> ScoreExplanation:
        def factors(kind: str) -> list[ExplanationFactor]:
            return [ExplanationFactor.from_domain(p) for p in explanations.get(kind, [])]

        return cls(advocate=factors("advocate"), influencer=factors("influencer"),
                   detractor=factors("detractor"))


# --------------------------------------------------------------------- accounts
@strawberry.type(description="A social account on one platform.")
class Account:
    key: str = strawberry.field(description="The store key, platform:handle.")
    platform: str
    handle: str
    display_name: str | None
    followers: int | None
    is_brand: bool
    location: str | None
    description: str | None

    @classmethod
    def from_domain(cls, a: port.AccountView) -> Account:
        return cls(key=a.key, platform=a.platform, handle=a.handle, display_name=a.display_name,
                   followers=a.followers, is_brand=a.is_brand, location=a.location,
                   description=a.description)

    @strawberry.field(description="Scores from the latest completed analysis run.")
    async def scores(self, info: Info) -> Scores | None:
        scores = await info.context.scores.load(self.key)
        return Scores.from_domain(scores) if scores else None

    @strawberry.field(description="The CRM customer linked to this account, if any.")
    async def customer(self, info: Info) -> Customer | None:
        customer = await info.context.customers.load(self.key)
        return Customer.from_domain(customer) if customer else None

    @strawberry.field(description="This account's interactions, newest first.")
    async def interactions(self, info: Info, first: int = 20, after: str | None = None,
                           filter: TimelineFilter | None = None) -> InteractionConnection:
        return await interaction_page(info.context, [self.key], first, after, filter,
                                      quick=not self.is_brand)


@strawberry.type(description="An account linked to a customer, with the link's evidence.")
class LinkedAccount:
    key: str
    platform: str
    handle: str
    display_name: str | None
    followers: int | None
    is_brand: bool
    link_confidence: float
    link_method: str
    link_evidence: str
    account: Account

    @classmethod
    def from_domain(cls, link: port.LinkedAccount) -> LinkedAccount:
        a = link.account
        return cls(key=a.key, platform=a.platform, handle=a.handle, display_name=a.display_name,
                   followers=a.followers, is_brand=a.is_brand, link_confidence=link.confidence,
                   link_method=link.method, link_evidence=link.evidence,
                   account=Account.from_domain(a))

    @strawberry.field(description="Scores from the latest completed analysis run.")
    async def scores(self, info: Info) -> Scores | None:
        scores = await info.context.scores.load(self.key)
        return Scores.from_domain(scores) if scores else None


# -------------------------------------------------------------------- customers
@strawberry.type(description="An order or purchase from the CRM.")
class Purchase:
    order_id: str
    amount: float
    purchased_at: date


@strawberry.type(description="A CRM customer.")
class Customer:
    id: strawberry.ID
    name: str | None
    email: str | None
    lifetime_value: float | None
    nps: int | None
    signup_date: date | None
    location: str | None
    company: str | None

    @classmethod
    def from_domain(cls, c: port.CustomerView) -> Customer:
        return cls(id=strawberry.ID(c.customer_id), name=c.name, email=c.email,
                   lifetime_value=c.lifetime_value, nps=c.nps, signup_date=c.signup_date,
                   location=c.location, company=c.company)

    @strawberry.field(description="Orders from the CRM, newest first.")
    async def purchases(self, info: Info) -> list[Purchase]:
        customer_id = str(self.id)
        rows = await info.context.store.call(lambda s: s.purchases(customer_id), quick=True)
        return [Purchase(order_id=r["order_id"], amount=float(r["amount"]),
                         purchased_at=r["purchased_at"]) for r in rows]

    @strawberry.field(description="The customer's social accounts.")
    async def accounts(self, info: Info) -> list[LinkedAccount]:
        links = await info.context.linked_accounts.load(str(self.id))
        info.context.accounts.prime_many({link.account.key: link.account for link in links})
        return [LinkedAccount.from_domain(link) for link in links]

    @strawberry.field(description="Interactions across all the customer's accounts, newest "
                                  "first.")
    async def interactions(self, info: Info, first: int = 20, after: str | None = None,
                           filter: TimelineFilter | None = None) -> InteractionConnection:
        links = await info.context.linked_accounts.load(str(self.id))
        return await interaction_page(info.context, [link.account.key for link in links],
                                      first, after, filter,
                                      quick=not any(link.account.is_brand for link in links))


# ----------------------------------------------------------------- interactions
@strawberry.type(description="One entry in a person's timeline.")
class Interaction:
    post_id: strawberry.ID = strawberry.field(
        description="The post's store key, platform:post_id.")
    time: datetime
    platform: str
    kind: str = strawberry.field(description="post, reply, comment, share, quote or "
                                             "private_reply.")
    direction: Direction
    text: str
    sentiment: float | None
    subject_key: str = strawberry.field(
        description="Which of the person's accounts this interaction is about.")
    counterpart: Account | None = strawberry.field(
        description="The other account: the one replied to, or the one who replied, "
                    "mentioned or shared.")
    conversation_id: str | None = strawberry.field(
        description="The conversation's store key, platform:root_post_id.")
    url: str | None
    is_brand_response: bool = strawberry.field(description="A brand account replied.")

    @classmethod
    def from_domain(cls, i: port.Interaction) -> Interaction:
        return cls(post_id=strawberry.ID(i.post_key), time=i.time, platform=i.platform,
                   kind=i.kind, direction=Direction(i.direction), text=i.text,
                   sentiment=i.sentiment, subject_key=i.subject_key,
                   counterpart=Account.from_domain(i.counterpart) if i.counterpart else None,
                   conversation_id=i.conversation_key, url=i.url,
                   is_brand_response=i.is_brand_response)


@strawberry.type
class InteractionEdge:
    cursor: str
    node: Interaction


@strawberry.type(description="A page of a timeline, newest first.")
class InteractionConnection:
    edges: list[InteractionEdge]
    page_info: PageInfo


QUICK_TIMELINE_ACCOUNTS = 8


async def interaction_page(context: Context, account_keys: list[str], first: int,
                           after: str | None, filter: TimelineFilter | None = None, *,
                           quick: bool = True) -> InteractionConnection:
    """One page of the timeline of ``account_keys``, after the ``after`` cursor.

    ``quick``: the accounts are people, not brand accounts, whose hundreds of thousands
    of mentions make a page take the database's slow path (0.4 s at a million posts),
    which must not hold up the event loop.

    A cursor stays valid under the same filter; with another filter it still marks a
    position in time, so paging never repeats or skips an entry the filter passes."""
    check_page_size(first)
    before = decode_interaction_cursor(after) if after else None
    filters = filter.to_domain() if filter else None
    items: list[port.Interaction] = []
    if account_keys and first:
        # a page of a few people's timelines is a handful of key look-ups: quick
        items = await context.store.call(
            lambda s: s.timeline(account_keys, first=first + 1, before=before, filters=filters),
            quick=quick and len(account_keys) <= QUICK_TIMELINE_ACCOUNTS)
    has_next = len(items) > first
    items = items[:first]
    context.accounts.prime_many({i.counterpart.key: i.counterpart for i in items if i.counterpart})
    edges = [InteractionEdge(cursor=encode_interaction_cursor(i.cursor_key),
                             node=Interaction.from_domain(i)) for i in items]
    return InteractionConnection(edges=edges, page_info=PageInfo.of(
        edges, has_next=has_next, has_previous=after is not None))


# ---------------------------------------------------------------------- targets
_NOT_FETCHED: Any = object()


@strawberry.type(description="An account worth engaging, from one ranking.")
class EngagementTarget:
    kind: TargetKind
    rank: int
    score: float
    account: Account
    scores: Scores
    explanation: list[ExplanationFactor] = strawberry.field(
        description="The factors behind this score, largest first.")
    # the linked customer when the page read it with the ranking (see Query.engagement_targets)
    linked: strawberry.Private[Customer | None] = _NOT_FETCHED

    @classmethod
    def from_domain(cls, s: port.ScoredAccount, linked: Any = _NOT_FETCHED
                    ) -> EngagementTarget:
        return cls(kind=TargetKind(s.kind), rank=s.rank, score=s.score,
                   account=Account.from_domain(s.account), scores=Scores.from_domain(s.scores),
                   explanation=[ExplanationFactor.from_domain(p) for p in s.explanation],
                   linked=linked)

    @strawberry.field(description="The CRM customer linked to this account, if any.")
    def customer(self, info: Info) -> Customer | None:
        # Not async: a page that read its customers answers without an awaitable per
        # row (graphql-core gathers awaitables; 20 of them cost more than the lookups).
        if self.linked is not _NOT_FETCHED:
            linked: Customer | None = self.linked
            return linked
        return cast(Customer | None, self._load_customer(info))  # graphql-core awaits it

    async def _load_customer(self, info: Info) -> Customer | None:
        customer = await info.context.customers.load(self.account.key)
        return Customer.from_domain(customer) if customer else None


@strawberry.type
class EngagementTargetEdge:
    cursor: str
    node: EngagementTarget


@strawberry.type(description="A page of a ranking, best first.")
class EngagementTargetConnection:
    edges: list[EngagementTargetEdge]
    page_info: PageInfo
    run_id: str | None = strawberry.field(
        description="The analysis run the ranking comes from (null before any run).")


# ------------------------------------------------------------------------- runs
@strawberry.type(description="A post in a conversation, placed in the reply tree.")
class ThreadPost:
    post_id: str = strawberry.field(description="The store key, platform:post_id.")
    parent_id: str | None = strawberry.field(
        description="The post this one answers (null for the root or an orphan).")
    depth: int = strawberry.field(description="0 for the root, 1 for its replies, ...")
    time: datetime
    kind: str
    text: str
    title: str | None
    sentiment: float | None
    url: str | None
    author_key: strawberry.Private[str]

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> Account | None:
        account = await info.context.accounts.load(self.author_key)
        return Account.from_domain(account) if account else None


@strawberry.type(description="A thread: its posts in reply-tree order (depth-first, oldest "
                             "first among siblings).")
class Conversation:
    id: str
    posts: list[ThreadPost]
    truncated: bool = strawberry.field(description="More posts exist than were returned.")

    @classmethod
    def from_rows(cls, key: str, rows: list[dict[str, Any]], limit: int) -> Conversation:
        present = {r["key"] for r in rows}
        children: dict[str | None, list[dict[str, Any]]] = {}
        for r in rows:
            parent = r["parent_key"] if r["parent_key"] in present else None
            children.setdefault(parent, []).append(r)
        ordered: list[ThreadPost] = []
        stack = [(r, 0) for r in reversed(children.get(None, []))]
        while stack:
            row, depth = stack.pop()
            ordered.append(ThreadPost(
                post_id=row["key"], parent_id=row["parent_key"], depth=depth,
                time=row["created_at"], kind=row["kind"], text=row["text"] or "",
                title=row["title"], sentiment=row["sentiment"], url=row["url"],
                author_key=row["author_key"]))
            stack.extend((c, depth + 1) for c in reversed(children.get(row["key"], [])))
        return cls(id=key, posts=ordered, truncated=len(rows) >= limit)


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
    def from_row(cls, r: dict[str, Any]) -> CareNote:
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
    sentiment: float
    waiting_hours: float
    reasons: list[ExplanationFactor]
    status: CareStatus
    assignee: str | None
    notes: list[CareNote]
    waiting_since: datetime | None
    author_key: strawberry.Private[str]

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


@strawberry.type(description="One analysis run.")
class AnalysisRun:
    run_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    params: JSON
    stats: JSON
    error: str | None

    @classmethod
    def from_domain(cls, r: port.AnalysisRunInfo) -> AnalysisRun:
        params: Any = r.params
        stats: Any = r.stats
        return cls(run_id=r.run_id, started_at=r.started_at, finished_at=r.finished_at,
                   status=r.status, params=params, stats=stats, error=r.error)
