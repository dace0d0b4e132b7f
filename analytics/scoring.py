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

__all__ = ["ScoreWeights", "Scored", "normalise", "orbit_love", "orbit_reach", "score_accounts"]


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


def _normalised(values: np.ndarray, people: np.ndarray) -> np.ndarray:
    """:func:`normalise` on arrays (no index alignment), for a million rows at a time."""
    x = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    reference = x[people]
    top = reference[reference > 0].max() if (reference > 0).any() else 0.0
    scale = float(np.log1p(top))
    if scale <= 0:
        return np.zeros(len(x))
    return np.asarray(np.clip(np.log1p(np.clip(x, 0.0, None)) / scale, 0.0, 1.0), dtype=float)


@dataclass
class Scored:
    """The three scores and, per score, every account's factor contributions.

    ``parts[kind]`` is ``(factor names, matrix)``: row *i* holds account *i*'s
    contribution of each factor, and the row sums to its score. Contributions stay a
    matrix (no per-account Python objects) until they are serialised.
    """

    scores: pd.DataFrame
    parts: dict[str, tuple[list[str], np.ndarray]]

    def explanation(self, kind: str, key: str) -> list[tuple[str, float]]:
        """One account's factors for one score, largest first, zeros left out."""
        names, matrix = self.parts[kind]
        row = matrix[self.scores.index.get_loc(key)]
        order = np.argsort(-np.abs(row), kind="stable")
        return [(names[j], float(row[j])) for j in order if row[j] != 0]


def score_accounts(features: pd.DataFrame, weights: ScoreWeights | None = None) -> Scored:
    """Advocate, influencer and detractor scores with their factor contributions.

    Parameters:
        features: Indexed by account key, with columns influence, reach, engagement,
            brand_sentiment (NaN: never addressed the brand), brand_posts,
            customer_value (NaN: prospect), is_brand, helpfulness, last_active_days.
        weights: Factor weights (defaults documented in :class:`ScoreWeights`).
    """
    weights = weights or ScoreWeights()
    f = features
    n = len(f)

    def column(name: str, default: float = 0.0) -> np.ndarray:
        if name not in f:
            return np.full(n, default)
        return np.asarray(np.nan_to_num(pd.to_numeric(f[name], errors="coerce").to_numpy(
            dtype=float), nan=default), dtype=float)

    brand = f["is_brand"].fillna(False).to_numpy(dtype=bool) if "is_brand" in f \
        else np.zeros(n, dtype=bool)
    people = ~brand
    raw = {
        "influence": column("influence") * max(n, 1),
        "reach": column("reach"),
        "engagement": column("engagement"),
        "value": column("customer_value"),
        "volume": column("brand_posts"),
        "helpfulness": column("helpfulness"),
    }
    factor = {k: _normalised(v, people) for k, v in raw.items()}
    factor["sentiment"] = np.ones(n)
    posts = raw["volume"]
    sentiment = np.clip(column("brand_sentiment"), -1.0, 1.0) * posts / (
        posts + weights.sentiment_prior)
    # Care priority fades with silence: a complaint from last week outranks one from a
    # season ago (half-life ``recency_half_life_days``; unknown activity counts as recent).
    idle = np.clip(column("last_active_days"), 0.0, None)
    recency = np.power(0.5, idle / weights.recency_half_life_days)
    gates = {
        "advocate": np.clip(sentiment, 0.0, None),
        "influencer": np.ones(n),
        "detractor": np.clip(-sentiment, 0.0, None) * recency,
    }
    scores = pd.DataFrame(index=f.index)
    parts: dict[str, tuple[list[str], np.ndarray]] = {}
    for kind, gate in gates.items():
        gate = np.where(people, gate, 0.0)
        group = weights.group(kind)
        matrix = np.column_stack([gate * w * factor[name] for name, w in group.items()])
        scores[kind] = matrix.sum(axis=1)
        parts[kind] = ([_FACTOR_NAMES[name] for name in group], matrix)
    return Scored(scores=scores, parts=parts)


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
