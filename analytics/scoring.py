"""The three rankings as transparent weighted formulas, each with its explanation.

Every factor is first put on a 0..1 scale: ``log1p(x) / log1p(max)`` over
non-brand accounts (influence is first multiplied by the number of accounts so
that 1 is "average"). Log scaling keeps one celebrity from flattening everyone
else, and only the very top account of a factor reaches 1.

Brand sentiment is the mean over the account's posts that address the brand,
shrunk towards neutral by the evidence behind it: ``mean × n / (n + k)`` with
``k = sentiment_prior`` (3 posts). One angry post is a signal; twenty are a
pattern, and rank above it.

* **advocate** = S⁺ × Σ wᵢ·fᵢ over (brand sentiment, brand posts, engagement,
  influence, customer value, helpfulness), where S⁺ is the positive part of the
  account's mean brand sentiment; the sentiment factor itself is 1, so its
  contribution is S⁺ × its weight. No positive brand sentiment, no advocate.
* **influencer** = Σ wᵢ·fᵢ over (influence, reach, engagement), sentiment-blind.
* **detractor** (care priority) = S⁻ × recency × Σ wᵢ·fᵢ over (negative sentiment,
  brand posts, influence, customer value, reach), S⁻ the negative part of brand
  sentiment and recency ``0.5 ** (days since the account last posted / 30)``.

Weights of each score sum to 1, so every score is in [0, 1] and the
contributions listed in its explanation add up to it exactly. Brand accounts
score 0 everywhere.

The Orbit Model's love and reach (orbit.love) are provided too, for teams that
prefer that vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = ["ScoreWeights", "normalise", "orbit_love", "orbit_reach", "score_accounts"]


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of each score's factors; each group sums to 1."""

    advocate_sentiment: float = 0.25
    advocate_volume: float = 0.10
    advocate_engagement: float = 0.20
    advocate_influence: float = 0.15
    advocate_value: float = 0.15
    advocate_helpfulness: float = 0.15
    influencer_influence: float = 0.45
    influencer_reach: float = 0.30
    influencer_engagement: float = 0.25
    detractor_sentiment: float = 0.25
    detractor_volume: float = 0.15
    detractor_influence: float = 0.20
    detractor_value: float = 0.20
    detractor_reach: float = 0.20
    sentiment_prior: float = 3.0
    recency_half_life_days: float = 30.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def group(self, kind: str) -> dict[str, float]:
        return {k.split("_", 1)[1]: v for k, v in asdict(self).items()
                if k.startswith(kind + "_")}


_FACTOR_NAMES = {
    "sentiment": "brand sentiment", "volume": "posts about the brand",
    "engagement": "engagement received", "influence": "influence (PageRank)",
    "value": "customer value", "helpfulness": "helping others", "reach": "reach (followers)",
}


def normalise(values: pd.Series, reference: pd.Series) -> pd.Series:
    """``log1p(x) / log1p(max)`` clipped to [0, 1], the max taken over ``reference``."""
    positive = reference[reference > 0]
    if positive.empty:
        return pd.Series(0.0, index=values.index)
    scale = float(np.log1p(positive.max()))
    if scale <= 0:
        return pd.Series(0.0, index=values.index)
    return (np.log1p(values.fillna(0.0).clip(lower=0.0)) / scale).clip(0.0, 1.0)


def score_accounts(features: pd.DataFrame, weights: ScoreWeights | None = None, *,
                   explain: pd.Series | None = None) -> pd.DataFrame:
    """Advocate, influencer and detractor scores with explanations.

    Parameters:
        features: Indexed by account key, with columns influence, reach, engagement,
            brand_sentiment (NaN: never addressed the brand), brand_posts,
            customer_value (NaN: prospect), is_brand, helpfulness.
        weights: Factor weights (defaults documented in :class:`ScoreWeights`).
        explain: A boolean mask of the accounts to explain (default: all). Building a
            million explanation lists costs more than the scores themselves, and only
            the accounts someone will look at need one; the others get ``None``.

    Returns:
        Columns advocate, influencer, detractor and ``<kind>_explanation`` (a list of
        ``(factor, contribution)`` pairs, largest first, summing to the score).
    """
    weights = weights or ScoreWeights()
    f = features
    brand = f.get("is_brand", pd.Series(False, index=f.index)).fillna(False).astype(bool)
    people = ~brand
    n = max(len(f), 1)
    scaled = {
        "influence": f["influence"].fillna(0.0) * n,
        "reach": f["reach"].fillna(0.0),
        "engagement": f["engagement"].fillna(0.0),
        "value": f["customer_value"].fillna(0.0),
        "volume": f["brand_posts"].fillna(0.0).astype(float),
        "helpfulness": f.get("helpfulness", pd.Series(0.0, index=f.index)).fillna(0.0),
    }
    factor = {k: normalise(v, v[people]) for k, v in scaled.items()}
    factor["sentiment"] = pd.Series(1.0, index=f.index)
    posts = f["brand_posts"].fillna(0.0).astype(float)
    sentiment = (f["brand_sentiment"].fillna(0.0).clip(-1.0, 1.0)
                 * posts / (posts + weights.sentiment_prior))
    # Care priority fades with silence: a complaint from last week outranks one from a
    # season ago (half-life ``recency_half_life_days``; unknown activity counts as recent).
    idle = f.get("last_active_days", pd.Series(0.0, index=f.index)).fillna(0.0).clip(lower=0.0)
    recency = np.power(0.5, idle / weights.recency_half_life_days)
    gates = {
        "advocate": sentiment.clip(lower=0.0),
        "influencer": pd.Series(1.0, index=f.index),
        "detractor": (-sentiment).clip(lower=0.0) * recency,
    }
    out = pd.DataFrame(index=f.index)
    for kind, gate in gates.items():
        gate = gate.where(people, 0.0)
        parts = {name: gate * w * factor[name] for name, w in weights.group(kind).items()}
        frame = pd.DataFrame(parts)
        out[kind] = frame.sum(axis=1)
        names = [_FACTOR_NAMES[c] for c in frame.columns]
        mask = np.ones(len(frame), dtype=bool) if explain is None else \
            explain.reindex(frame.index).fillna(False).to_numpy(dtype=bool)
        values = frame.to_numpy()[mask]
        order = np.argsort(-np.abs(values), axis=1, kind="stable")
        explained: list[list[tuple[str, float]] | None] = [None] * len(frame)
        for pos, row, idx in zip(np.flatnonzero(mask), values, order, strict=True):
            explained[pos] = [(names[j], float(row[j])) for j in idx]
        out[f"{kind}_explanation"] = explained
    return out


def orbit_love(activity_by_month: Sequence[float], decay: float = 0.9) -> float:
    """Orbit Model love: Σ activity weight of month m × decay^(months ago).

    ``activity_by_month[0]`` is the current month, ``[1]`` last month, and so on.

    Example:
        >>> round(orbit_love([3, 0, 3]), 3)
        5.43
    """
    return float(sum(a * decay ** i for i, a in enumerate(activity_by_month)))


def orbit_reach(strengths: Sequence[float], idle_months: Sequence[int] | None = None,
                decay: float = 0.9) -> float:
    """Orbit Model reach: Σ connection strengths, each idle connection × decay^months.

    Example:
        >>> orbit_reach([4, 3, 1, 7])
        15.0
        >>> round(orbit_reach([7], [3]), 1)
        5.1
    """
    idle = idle_months or [0] * len(strengths)
    return float(sum(s * decay ** m for s, m in zip(strengths, idle, strict=True)))
