"""Alerts over GraphQL and for the CLI: the store's frames fed to :mod:`analytics.alerts`.

Which series are watched: the **brand** (every post that addresses it), each **term**
of ``SCRM_ALERT_TERMS`` (comma-separated; default: the brand's competitors) and each
**topic** of ``SCRM_ALERT_TOPICS`` (JSON ``{"billing": ["refund", "charged"]}``;
default: the care routing rules' teams with their terms). Term and topic series count
every post of the window that names them, brand-directed or not.
"""

# strawberry.field(description=...) is typed to return Any, so mypy sees resolvers as untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum

import strawberry

from analytics.alerts import Alert as DomainAlert
from analytics.alerts import AlertSettings
from api.context import Info
from api.errors import UserError
from api.types import Account
from graph.config import Settings, get_settings
from graph.store import GraphStore

__all__ = ["Alert", "AlertKind", "alert_settings", "alerts", "compute_alerts", "watched_series"]

MAX_ALERTS = 500


def alert_settings(settings: Settings) -> AlertSettings:
    """The thresholds from the ``SCRM_ALERT_*`` settings."""
    minutes = max(1, settings.alert_bucket_minutes)
    return AlertSettings(
        bucket_minutes=minutes,
        lookback_buckets=max(2, int(settings.alert_lookback_hours * 60 // minutes)),
        min_count=settings.alert_min_count, p_value=settings.alert_p_value)


def watched_series(store_settings: Mapping[str, str], terms: str = "", topics: str = ""
                   ) -> dict[str, list[str]]:
    """Subject → terms of every term and topic series (see the module docstring)."""
    from analytics.care import RoutingRules

    named = [t.strip() for t in terms.split(",") if t.strip()] if terms else \
        [str(c) for c in json.loads(store_settings.get("brand.competitors", "[]") or "[]")]
    series = {f"term:{t.lower()}": [t] for t in named}
    if topics:
        try:
            table = json.loads(topics)
        except json.JSONDecodeError as exc:
            raise UserError(f"SCRM_ALERT_TOPICS is not JSON ({exc.msg}); write "
                            '{"billing": ["refund", "charged"]}') from None
        if not isinstance(table, dict):
            raise UserError('SCRM_ALERT_TOPICS must be an object: {"billing": ["refund"]}')
        for name, words in table.items():  # a string would watch each of its letters
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise UserError(f"SCRM_ALERT_TOPICS: topic {name!r} must list its terms: "
                                f'{{"{name}": ["refund", "charged"]}}')
        series |= {f"topic:{name}": [str(t) for t in words] for name, words in table.items()}
    else:
        rules = RoutingRules.load()
        for rule in rules.rules:
            series.setdefault(f"topic:{rule.team}", []).extend(rule.terms)
    return series


def compute_alerts(store: GraphStore, *, now: datetime, settings: AlertSettings,
                   series: Mapping[str, Sequence[str]]) -> list[DomainAlert]:
    """Every alert at ``now``, newest first, from the store's brand posts, the window's
    posts (for term and topic series) and the latest run's scores."""
    from analytics.alerts import detect_alerts

    stored = store.get_settings()
    terms = json.loads(stored.get("brand.terms", "[]") or "[]") + (
        [stored["brand.name"]] if stored.get("brand.name") else [])
    since = now - settings.bucket * settings.lookback_buckets
    window = store.post_frame(since, now) if series else None
    return detect_alerts(store.brand_posts(terms),
                         store.score_frame(columns=("influence", "customer_value")),
                         now=now, window_posts=window, series=series, settings=settings)


@strawberry.enum(description="What an alert is about.")
class AlertKind(Enum):
    VOLUME_SPIKE = "volume_spike"
    NEGATIVE_SURGE = "negative_surge"
    DETRACTOR_POST = "detractor_post"
    CUSTOMER_COMPLAINT = "customer_complaint"


@strawberry.type(description="Something that changed against its own baseline (a volume "
                              "spike, a surge of negative posts) for the brand, a term or a "
                              "topic, or a negative post by a top-influence account or a "
                              "high-value customer.")
class Alert:
    id: strawberry.ID = strawberry.field(description="Stable: the same spike or post keeps it.")
    kind: AlertKind
    subject: str = strawberry.field(description="'brand', 'term:…', 'topic:…' or the author's "
                                                "account key.")
    started_at: datetime
    ended_at: datetime | None = strawberry.field(description="End of the last unusual bucket "
                                                             "(null for a post).")
    observed: float = strawberry.field(description="Posts in the peak bucket (volume), its "
                                                   "negative share (surge), or the post's "
                                                   "sentiment.")
    expected: float | None = strawberry.field(description="What the baseline expected.")
    p_value: float | None = strawberry.field(description="Poisson (volume) or binomial "
                                                         "(negative share) tail probability.")
    message: str
    post_id: str | None
    account_key: strawberry.Private[str | None]

    @classmethod
    def from_domain(cls, alert: DomainAlert) -> Alert:
        return cls(id=strawberry.ID(alert.key), kind=AlertKind(alert.kind),
                   subject=alert.subject, started_at=alert.started_at,
                   ended_at=alert.ended_at, observed=alert.observed, expected=alert.expected,
                   p_value=alert.p_value, message=alert.message, post_id=alert.post_key,
                   account_key=alert.account_key)

    @strawberry.field(description="Who posted (person alerts).")
    async def account(self, info: Info) -> Account | None:
        if self.account_key is None:
            return None
        found = await info.context.accounts.load(self.account_key)
        return Account.from_domain(found) if found else None


async def alerts(info: Info, kinds: list[AlertKind] | None = None,
                 at: datetime | None = None, first: int = 50) -> list[Alert]:
    if not 0 <= first <= MAX_ALERTS:
        raise UserError(f"first must be between 0 and {MAX_ALERTS}")
    when = datetime.now(UTC) if at is None else at if at.tzinfo else at.replace(tzinfo=UTC)
    config = get_settings()
    thresholds = alert_settings(config)
    wanted = {k.value for k in kinds} if kinds else None

    def work(store: GraphStore) -> list[DomainAlert]:
        series = watched_series(store.get_settings(), config.alert_terms, config.alert_topics)
        return compute_alerts(store, now=when, settings=thresholds, series=series)

    found = await info.context.store.call(work)
    return [Alert.from_domain(a) for a in found if wanted is None or a.kind in wanted][:first]
