"""Analysis runs and what the whole graph says: networks, communities, influence within
a group, metrics."""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from analytics.metrics import Metrics as DomainMetrics
from api.context import Info
from api.types.people import Account
from graph import store as port

__all__ = [
    "AnalysisRun",
    "Awareness",
    "Change",
    "Communities",
    "Community",
    "DailyPoint",
    "GroupInfluence",
    "GroupInfluencer",
    "Metrics",
    "NetworkEdge",
    "NetworkGraph",
    "NetworkNode",
    "RisingTerm",
    "Sales",
    "Voice",
]


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


@strawberry.type(description="An account in a network picture, with its scores.")
class NetworkNode:
    id: str = strawberry.field(description="The account key, platform:handle.")
    handle: str
    platform: str
    display_name: str | None
    kind: str = strawberry.field(description="brand, customer or prospect.")
    community: int | None
    influence: float
    advocate: float
    influencer: float
    detractor: float
    bridge: float
    followers: int | None
    customer_id: str | None
    is_center: bool

    @classmethod
    def from_domain(cls, n: dict[str, Any]) -> NetworkNode:
        """From a node of :func:`api.network.build_network`'s view."""
        return cls(id=n["id"], handle=n["handle"], platform=n["platform"],
                   display_name=n["display_name"], kind=n["kind"], community=n["community"],
                   influence=n["influence"], advocate=n["advocate"], influencer=n["influencer"],
                   detractor=n["detractor"], bridge=n["bridge"], followers=n["followers"],
                   customer_id=n["customer_id"], is_center=n["center"])


@strawberry.type(description="Interactions from one account to another, summed.")
class NetworkEdge:
    source: str
    target: str
    weight: int = strawberry.field(description="How many interactions (replies, mentions, "
                                               "shares, quotes).")
    sentiment: float | None = strawberry.field(description="Their mean sentiment.")

    @classmethod
    def from_domain(cls, e: dict[str, Any]) -> NetworkEdge:
        """From an edge of :func:`api.network.build_network`'s view."""
        return cls(source=e["from"], target=e["to"], weight=e["weight"],
                   sentiment=e["sentiment"])


@strawberry.type(description="Nodes and edges around an account (or the most influential "
                              "accounts), for apps that draw their own pictures.")
class NetworkGraph:
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    total_nodes: int = strawberry.field(description="Accounts in the selection before the "
                                                    "limit.")
    truncated: bool
    run_id: str | None


@strawberry.type(description="A community found by the latest analysis run.")
class Community:
    id: int
    size: int
    internal_interactions: int = strawberry.field(
        description="Interactions between two members.")
    external_interactions: int = strawberry.field(
        description="Interactions between a member and an outsider.")
    mean_brand_sentiment: float | None
    top_member_keys: strawberry.Private[list[str]]
    bridge_keys: strawberry.Private[list[str]]

    @strawberry.field(description="The most influential members, best first.")
    async def top_members(self, info: Info) -> list[Account]:
        found = await info.context.accounts.load_many(self.top_member_keys)
        return [Account.from_domain(a) for a in found if a is not None]

    @strawberry.field(description="Members that connect this community to others, by "
                                  "participation coefficient, best first.")
    async def bridges(self, info: Info) -> list[Account]:
        found = await info.context.accounts.load_many(self.bridge_keys)
        return [Account.from_domain(a) for a in found if a is not None]


@strawberry.type(description="The communities of the latest analysis run, largest first.")
class Communities:
    run_id: str | None
    modularity: float | None
    total: int
    communities: list[Community]


@strawberry.type(description="An account ranked by personalised PageRank seeded on a "
                              "community or a topic: whose voice travels in that group.")
class GroupInfluencer:
    rank: int
    score: float = strawberry.field(description="Personalised PageRank, scaled so the top "
                                                "account is 1.")
    in_group: bool = strawberry.field(description="A member of the community, or an author "
                                                  "on the topic (a seed).")
    account_key: strawberry.Private[str]

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        found = await info.context.accounts.load(self.account_key)
        return Account.from_domain(found) if found else None


@strawberry.type(description="Who is influential within a community or on a topic.")
class GroupInfluence:
    run_id: str | None
    seeds: int = strawberry.field(description="Accounts the walk restarts from.")
    accounts: list[GroupInfluencer]


@strawberry.type(description="How often the brand or a competitor is named.")
class Voice:
    name: str
    mentions: int
    share: float
    is_brand: bool


@strawberry.type(description="Awareness: how much the brand is talked about.")
class Awareness:
    mention_volume: int = strawberry.field(description="Posts addressing the brand.")
    unique_authors: int
    reach: int = strawberry.field(description="Followers of those authors, summed.")
    share_of_voice: list[Voice]


@strawberry.type(description="Sales: revenue and social engagement.")
class Sales:
    total_revenue: float = strawberry.field(description="Orders in the window.")
    linked_customers: int = strawberry.field(description="Customers with a linked social "
                                                         "account.")
    linked_revenue: float = strawberry.field(description="Window revenue from those "
                                                         "customers.")
    engaged_customers: int = strawberry.field(description="Customers a brand account has "
                                                          "replied to or mentioned.")
    purchases_after_engagement: int
    revenue_after_engagement: float


@strawberry.type(description="How many posts carried an intent.")
class IntentCount:
    intent: str
    posts: int


@strawberry.type(description="One day of brand-addressing posts.")
class DailyPoint:
    day: str
    posts: int
    sentiment: float | None
    negative_share: float = strawberry.field(
        description="Share of the day's posts the sentiment model classed negative.")
    unscored: int = strawberry.field(
        description="Posts in a language the sentiment model does not read.")
    intents: list[IntentCount] = strawberry.field(
        description="Posts per intent that day (complaint, question, ...).")


@strawberry.type(description="A key term of one intent's posts in the window.")
class TopicTerm:
    term: str
    count: int = strawberry.field(description="Posts of the intent using it in the window.")
    previous: int = strawberry.field(description="In the window before, of the same length.")
    lift: float = strawberry.field(description="Its smoothed share of the intent's posts "
                                               "now over before.")
    rising: bool


@strawberry.type(description="What one intent's posts are about in the window (e.g. what "
                              "the complaints are about), against the window before.")
class IntentTopics:
    intent: str
    posts: int
    previous_posts: int
    terms: list[TopicTerm]


@strawberry.type(description="A word used more in the second half of the window.")
class RisingTerm:
    term: str
    count: int
    previous: int
    lift: float


@strawberry.type(description="Change: trends by day, rising terms and topics per intent.")
class Change:
    daily: list[DailyPoint]
    rising_terms: list[RisingTerm]
    topics: list[IntentTopics] = strawberry.field(
        description="Per intent (complaint, suggestion, question, churn, purchase): its "
                    "key terms in the window, rising ones marked.")


@strawberry.type(description="The three metric families over a date window.")
class Metrics:
    since: datetime
    until: datetime
    awareness: Awareness
    sales: Sales
    change: Change
    notes: list[str]
    computed_at: datetime = strawberry.field(
        description="When these figures were computed (they are kept until a write of "
                    "posts, scores, links, purchases or the brand).")
    updating: bool = strawberry.field(
        description="True when a write came after these figures and newer ones are being "
                    "computed (only when asked with whileUpdating: true).")

    @classmethod
    def from_domain(cls, m: DomainMetrics, *, computed_at: datetime,
                    updating: bool = False) -> Metrics:
        a, s, c = m.awareness, m.sales, m.change
        return cls(
            since=m.since, until=m.until, notes=m.notes, computed_at=computed_at,
            updating=updating,
            awareness=Awareness(mention_volume=a.mention_volume, unique_authors=a.unique_authors,
                                reach=a.reach, share_of_voice=[
                                    Voice(name=v.name, mentions=v.mentions, share=v.share,
                                          is_brand=v.is_brand) for v in a.share_of_voice]),
            sales=Sales(total_revenue=s.total_revenue, linked_customers=s.linked_customers,
                        linked_revenue=s.linked_revenue, engaged_customers=s.engaged_customers,
                        purchases_after_engagement=s.purchases_after_engagement,
                        revenue_after_engagement=s.revenue_after_engagement),
            change=Change(daily=[DailyPoint(
                day=d.day, posts=d.posts, sentiment=d.sentiment, negative_share=d.negative_share,
                unscored=d.unscored, intents=[IntentCount(intent=k, posts=v)
                                              for k, v in d.intents.items()])
                for d in c.daily],
                          rising_terms=[RisingTerm(term=t.term, count=t.count,
                                                   previous=t.previous, lift=t.lift)
                                        for t in c.rising_terms],
                          topics=[IntentTopics(intent=t.intent, posts=t.posts,
                                               previous_posts=t.previous_posts, terms=[
                                                   TopicTerm(term=x.term, count=x.count,
                                                             previous=x.previous, lift=x.lift,
                                                             rising=x.rising)
                                                   for x in t.terms]) for t in c.topics]))
