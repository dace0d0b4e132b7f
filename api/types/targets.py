"""Engagement targets: the rankings of advocates, influencers and detractors."""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

from enum import Enum
from typing import Any, cast

import strawberry

from api.context import Info
from api.types.pagination import PageInfo
from api.types.people import Account, Customer, ExplanationFactor, Scores
from graph import store as port

__all__ = [
    "Audience",
    "EngagementTarget",
    "EngagementTargetConnection",
    "EngagementTargetEdge",
    "TargetKind",
]


# ------------------------------------------------------------------------ enums
@strawberry.enum(description="Which ranking of engagement targets to read.")
class TargetKind(Enum):
    ADVOCATE = "advocate"
    INFLUENCER = "influencer"
    DETRACTOR = "detractor"
    LOOKALIKE = strawberry.enum_value(
        "lookalike", description="Non-customers most like the best customers and advocates "
        "(neighbourhood, words, engagement); computed on request, filters do not apply.")


@strawberry.enum(description="Whose accounts a ranking includes.")
class Audience(Enum):
    ALL = "all"
    CUSTOMERS = "customers"
    PROSPECTS = "prospects"


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
