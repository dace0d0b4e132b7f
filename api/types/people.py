"""People: social accounts, CRM customers and their links, with the accounts' scores
and each score's explanation."""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from api.context import Info
from api.types.audit import AuditEntry, check_audit_size
from api.types.timeline import InteractionConnection, TimelineFilter, interaction_page
from graph import store as port

__all__ = [
    "Account",
    "Customer",
    "ExplanationFactor",
    "LinkedAccount",
    "Purchase",
    "ScoreExplanation",
    "Scores",
]


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
    # made into factors only when a query asks (a ranking page built every row's three
    # explanations, asked or not)
    explanations: strawberry.Private[dict[str, list[tuple[str, float]]]]

    @strawberry.field(description="The factors behind each score, largest first.")
    def explanation(self) -> ScoreExplanation:
        return ScoreExplanation.from_domain(self.explanations)

    @classmethod
    def from_domain(cls, s: port.AccountScores) -> Scores:
        return cls(
            run_id=s.run_id, influence=s.influence, reach=s.reach, engagement=s.engagement,
            brand_sentiment=s.brand_sentiment, brand_posts=s.brand_posts,
            customer_value=s.customer_value, community=s.community, bridge=s.bridge,
            advocate=s.advocate, influencer=s.influencer, detractor=s.detractor,
            advocate_rank=s.ranks.get("advocate"), influencer_rank=s.ranks.get("influencer"),
            detractor_rank=s.ranks.get("detractor"), explanations=s.explanations)


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

    @classmethod
    def from_domain(cls, r: dict[str, Any]) -> Purchase:
        """From a store row (``order_id``, ``amount``, ``purchased_at``)."""
        return cls(order_id=r["order_id"], amount=float(r["amount"]),
                   purchased_at=r["purchased_at"])


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
        return [Purchase.from_domain(r) for r in rows]

    @strawberry.field(description="Changes recorded about this customer, newest first.")
    async def audit(self, info: Info, first: int = 50) -> list[AuditEntry]:
        customer_id, limit = str(self.id), check_audit_size(first)
        rows = await info.context.store.call(
            lambda s: s.audit_log(customer_id=customer_id, limit=limit), quick=True)
        return [AuditEntry.from_domain(r) for r in rows]

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
