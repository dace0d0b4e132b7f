"""Alerts: what changed, against each series' own rolling baseline, and who to watch.

Four kinds, all pure functions over frames:

* **volume_spike** — the number of posts in a time bucket (an hour by default) for the
  brand, a term or a topic is far above what that series usually sees;
* **negative_surge** — the *share* of negative posts (sentiment ≤ ``-0.05``) in a bucket
  is far above that series' usual share (a volume spike with the usual mix is not one);
* **detractor_post** — a negative brand-directed post by a high-influence account (at
  least the 99th percentile of the latest run's influence, and above its median);
* **customer_complaint** — a negative brand-directed post by a high-value customer (at
  least the 95th percentile of customer value among accounts that have one, and above
  its median: when most share one value, none of them stands out).

Method (series alerts). Posts are counted per bucket over a look-back window. The
baseline of bucket *t* is an exponentially weighted moving average (EWMA) of the
buckets before it, with smoothing ``a = 1 − 0.5 ** (1 / halflife)`` (half-life 24
buckets: a day of hours), and an EWMA variance updated incrementally (Finch 2009):
``d = x − μ; μ += a·d; σ² = (1 − a)(σ² + a·d²)``. No bucket is tested before
``warmup`` buckets were seen (24). A bucket fires a volume spike only when all hold:

1. at least ``min_count`` posts (10), so a handful of posts is never a spike;
2. an exact Poisson upper tail ``P(X ≥ x | λ = μ) < p_value`` (1e-4);
3. ``z = (x − μ) / √max(σ², μ) ≥ z_min`` (4): an over-dispersed series (σ² > μ) needs a
   bigger jump than Poisson alone would ask;
4. ``x ≥ min_ratio · μ`` (1.5): at high volume a few percent more is significant but
   not news.

A negative surge asks, of the negative count *k* out of *n* posts, the exact binomial
upper tail ``P(K ≥ k | n, p̂) < p_value`` with *p̂* the ratio of the EWMAs of negative
and all posts, at least ``min_negative`` (5) negative posts, and a share at least
``negative_lift`` (0.15) above *p̂*. So that a spike does not teach the baseline that
spikes are normal, a bucket enters the EWMAs clipped at the level that would have
fired (``μ + z_min·σ``; ``n·(p̂ + lift)`` negatives); a lasting change of level is
still absorbed, at the speed of the half-life. The bucket that holds ``now`` is
tested against the baseline scaled by the part of it that has passed (a Poisson
process's count over a fraction *f* of a bucket has mean *f·μ*), so a spike fires
before its hour ends. Consecutive firing buckets of one series are one alert, keyed
by the series, the kind and its first bucket: the same spike keeps its key as it
grows.

References:
    Roberts. Control chart tests based on geometric moving averages (Technometrics,
    1959). Lucas, Saccucci. Exponentially weighted moving average control schemes:
    properties and enhancements (Technometrics, 1990). Finch. Incremental calculation
    of weighted mean and variance (University of Cambridge, 2009).

Example:
    >>> import pandas as pd
    >>> from datetime import UTC, datetime
    >>> hours = pd.date_range("2026-01-01", periods=48, freq="h", tz="UTC")
    >>> times = pd.Series(hours.repeat(20).append(hours[-1:].repeat(100)))
    >>> [a.kind for a in volume_spikes(times, subject="brand",
    ...                                now=datetime(2026, 1, 3, tzinfo=UTC))]
    ['volume_spike']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from graph.understanding import NEGATIVE_AT

__all__ = [
    "ALERT_KINDS",
    "Alert",
    "AlertSettings",
    "detect_alerts",
    "ewma_baseline",
    "matches_any",
    "negative_surges",
    "person_alerts",
    "volume_spikes",
]

ALERT_KINDS: tuple[str, ...] = ("volume_spike", "negative_surge", "detractor_post",
                                "customer_complaint")


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """Thresholds of every alert kind (see the module docstring for the method).

    Attributes:
        bucket_minutes: Width of a time bucket.
        lookback_buckets: Buckets of history read for the baselines (14 days of hours).
        halflife_buckets: EWMA half-life, in buckets.
        warmup_buckets: Buckets seen before any is tested.
        min_count: Fewest posts in a bucket that can be a volume spike.
        p_value: Poisson (volume) and binomial (negative share) tail probability below
            which a bucket is unusual.
        z_min: Fewest standard deviations above the baseline for a volume spike.
        min_ratio: Least ratio of a spike's count to the baseline.
        min_negative: Fewest negative posts in a bucket that can be a surge.
        negative_lift: Least rise of the negative share over the baseline share.
        negative_threshold: Sentiment at or below which a post is negative.
        influence_quantile: Quantile of influence a detractor must reach.
        value_quantile: Quantile of customer value (over customers with a value) a
            complaining customer must reach.
        person_hours: How far back posts are checked for person alerts.
    """

    bucket_minutes: int = 60
    lookback_buckets: int = 14 * 24
    halflife_buckets: float = 24.0
    warmup_buckets: int = 24
    min_count: int = 10
    p_value: float = 1e-4
    z_min: float = 4.0
    min_ratio: float = 1.5
    min_negative: int = 5
    negative_lift: float = 0.15
    negative_threshold: float = NEGATIVE_AT
    influence_quantile: float = 0.99
    value_quantile: float = 0.95
    person_hours: float = 24.0

    @property
    def bucket(self) -> timedelta:
        return timedelta(minutes=self.bucket_minutes)

    @property
    def smoothing(self) -> float:
        return float(1.0 - 0.5 ** (1.0 / self.halflife_buckets))


@dataclass(frozen=True, slots=True)
class Alert:
    """Something that changed, or someone who posted, worth a look now.

    Attributes:
        key: Stable identity (``kind|subject|first bucket`` or ``kind|post key``): the
            same spike or post keeps its key on every evaluation.
        kind: One of :data:`ALERT_KINDS`.
        subject: ``brand``, ``term:<term>``, ``topic:<name>``, or the account key.
        started_at: First firing bucket's start, or the post's time (aware UTC).
        ended_at: End of the last firing bucket (None for a post).
        observed: Posts (volume), negative share (surge) or the post's sentiment.
        expected: The baseline's count or share (None for a post).
        p_value: The test's tail probability (None for a post).
        message: One line for people.
        post_key: The post that fired a person alert.
        account_key: Its author.
    """

    key: str
    kind: str
    subject: str
    started_at: datetime
    ended_at: datetime | None
    observed: float
    expected: float | None
    p_value: float | None
    message: str
    post_key: str | None = None
    account_key: str | None = None


def ewma_baseline(counts: np.ndarray, *, smoothing: float, clip_z: float | None = None,
                  warmup: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One-step-ahead EWMA mean and variance of a count series.

    Args:
        counts: One count per bucket, oldest first.
        smoothing: Weight of the newest bucket, ``0 < a ≤ 1``.
        clip_z: Once ``warmup`` buckets were seen, a bucket enters the averages clipped
            at ``μ + clip_z·√max(σ², μ)`` (None: unclipped).
        warmup: Buckets taken unclipped.

    Returns:
        ``(mean, variance)``: entry *t* is the baseline *before* bucket *t* was seen
        (both 0 for *t* = 0).

    Example:
        >>> mean, var = ewma_baseline(np.array([4.0, 4.0, 4.0]), smoothing=0.5)
        >>> mean.tolist(), var.tolist()
        ([0.0, 4.0, 4.0], [0.0, 0.0, 0.0])
    """
    mean = np.zeros(len(counts))
    var = np.zeros(len(counts))
    mu, s2 = 0.0, 0.0
    for t, x in enumerate(np.asarray(counts, dtype=float)):
        mean[t], var[t] = mu, s2
        if t == 0:
            mu = x  # the first bucket seeds the mean; its variance is unknown
            continue
        if clip_z is not None and t >= warmup:
            x = min(x, mu + clip_z * math.sqrt(max(s2, mu)))
        d = x - mu
        mu += smoothing * d
        s2 = (1.0 - smoothing) * (s2 + smoothing * d * d)
    return mean, var


def _utc(values: pd.Series | Sequence[datetime]) -> pd.Series:
    """Times as a UTC datetime64 series (naive values are taken as UTC)."""
    return pd.Series(pd.to_datetime(pd.Series(values), utc=True))


def _buckets(times: pd.Series, now: datetime, settings: AlertSettings,
             start: datetime | None) -> tuple[pd.Timestamp, np.ndarray, float, int]:
    """Bucket boundaries ending with the bucket that holds ``now``: the first bucket's
    start, the index of each time's bucket (-1 outside the window), the part of the
    last bucket that has passed, and the first bucket the series exists in (that of
    ``start``, else of its earliest time: empty buckets before a series began are not
    observations of it)."""
    width = pd.Timedelta(settings.bucket)
    end = pd.Timestamp(now).tz_convert("UTC") if pd.Timestamp(now).tzinfo \
        else pd.Timestamp(now, tz="UTC")
    last = end.floor(width)
    first = last - width * (settings.lookback_buckets - 1)
    when = _utc(times)
    index = ((when - first) // width).to_numpy(dtype="float64", na_value=-1.0)
    inside = (when >= first).to_numpy() & (when <= end).to_numpy()
    index = np.where(inside, index, -1).astype(np.int64)
    fraction = max((end - last) / width, 1e-9)
    if start is not None:
        begin = pd.Timestamp(start)
        begin = begin.tz_convert("UTC") if begin.tzinfo else begin.tz_localize("UTC")
        origin = int(max(0, (begin - first) // width))
    else:
        origin = int(index[index >= 0].min()) if (index >= 0).any() else 0
    return first, index, float(fraction), origin


def _episodes(fired: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for t in fired:
        if runs and runs[-1][-1] == t - 1:
            runs[-1].append(t)
        else:
            runs.append([t])
    return runs


def volume_spikes(times: pd.Series | Sequence[datetime], *, subject: str, now: datetime,
                  settings: AlertSettings | None = None, start: datetime | None = None
                  ) -> list[Alert]:
    """Volume spikes of one series (the times of its posts) up to ``now``.

    Args:
        times: Each post's time (aware, or naive UTC).
        subject: What the series is (``brand``, ``term:…``, ``topic:…``), for the key.
        now: End of the evaluation; the bucket holding it is scaled to its elapsed part.
        settings: Thresholds; the defaults of :class:`AlertSettings`.
        start: When the series began (default: its earliest post); buckets before it
            are not part of the baseline.

    Returns:
        One alert per run of consecutive firing buckets, oldest first.
    """
    cfg = settings or AlertSettings()
    first, index, fraction, origin = _buckets(pd.Series(times), now, cfg, start)
    n = cfg.lookback_buckets
    counts = np.bincount(index[index >= 0], minlength=n)[:n].astype(float)
    mean, var = np.zeros(n), np.zeros(n)
    mean[origin:], var[origin:] = ewma_baseline(counts[origin:], smoothing=cfg.smoothing,
                                                clip_z=cfg.z_min, warmup=cfg.warmup_buckets)
    fired: list[int] = []
    detail: dict[int, tuple[float, float]] = {}
    for t in range(origin + cfg.warmup_buckets, n):
        scale = fraction if t == n - 1 else 1.0
        x, lam = counts[t], max(mean[t], 0.1) * scale
        if x < cfg.min_count or x < cfg.min_ratio * lam:
            continue
        z = (x - lam) / math.sqrt(max(var[t], mean[t], 0.1) * scale)
        p = float(stats.poisson.sf(x - 1, lam))
        if z >= cfg.z_min and p < cfg.p_value:
            fired.append(t)
            detail[t] = (lam, p)
    alerts = []
    width = pd.Timedelta(cfg.bucket)
    for run in _episodes(fired):
        peak = max(run, key=lambda t: counts[t])
        lam, p = detail[peak]
        start = (first + width * run[0]).to_pydatetime()
        alerts.append(Alert(
            key=f"volume_spike|{subject}|{start.isoformat()}", kind="volume_spike",
            subject=subject, started_at=start,
            ended_at=(first + width * (run[-1] + 1)).to_pydatetime(),
            observed=float(counts[peak]), expected=round(float(lam), 3), p_value=p,
            message=f"{_label(subject)}: {int(counts[peak])} posts in {_span(cfg)} "
                    f"against {lam:.1f} expected"))
    return alerts


def negative_surges(times: pd.Series | Sequence[datetime], sentiments: Sequence[float] |
                    pd.Series, *, subject: str, now: datetime,
                    settings: AlertSettings | None = None, start: datetime | None = None
                    ) -> list[Alert]:
    """Surges of the negative share of one series (its posts' times and sentiments).

    Posts without a sentiment yet count towards neither the negatives nor the total;
    ``start`` as in :func:`volume_spikes`.

    Returns:
        One alert per run of consecutive firing buckets, oldest first.
    """
    cfg = settings or AlertSettings()
    score = pd.Series(np.asarray(sentiments, dtype=float))
    known = score.notna().to_numpy()
    first, index, _, origin = _buckets(pd.Series(times)[known].reset_index(drop=True), now,
                                       cfg, start)
    negative = (score[known] <= cfg.negative_threshold).to_numpy()
    n = cfg.lookback_buckets
    inside = index >= 0
    totals = np.bincount(index[inside], minlength=n)[:n].astype(float)
    negatives = np.bincount(index[inside & negative], minlength=n)[:n].astype(float)
    a = cfg.smoothing
    all_avg = neg_avg = 0.0
    fired: list[int] = []
    detail: dict[int, tuple[float, float, float]] = {}
    warm = origin + cfg.warmup_buckets
    for t in range(origin, n):
        total, k = totals[t], negatives[t]
        share = neg_avg / all_avg if all_avg > 0 else 0.0
        if t >= warm and total > 0 and k >= cfg.min_negative \
                and k / total >= share + cfg.negative_lift:
            base = min(max(share, 0.01), 0.99)
            p = float(stats.binom.sf(k - 1, int(total), base))
            if p < cfg.p_value:
                fired.append(t)
                detail[t] = (k / total, share, p)
        if t >= warm:
            k = min(k, total * min(1.0, share + cfg.negative_lift))
        if t == origin:
            all_avg, neg_avg = total, k
        else:
            all_avg += a * (total - all_avg)
            neg_avg += a * (k - neg_avg)
    alerts = []
    width = pd.Timedelta(cfg.bucket)
    for run in _episodes(fired):
        peak = max(run, key=lambda t: negatives[t])
        observed, share, p = detail[peak]
        start = (first + width * run[0]).to_pydatetime()
        alerts.append(Alert(
            key=f"negative_surge|{subject}|{start.isoformat()}", kind="negative_surge",
            subject=subject, started_at=start,
            ended_at=(first + width * (run[-1] + 1)).to_pydatetime(),
            observed=round(float(observed), 4), expected=round(float(share), 4), p_value=p,
            message=f"{_label(subject)}: {int(negatives[peak])} of {int(totals[peak])} posts "
                    f"negative in {_span(cfg)} ({observed:.0%} against the usual "
                    f"{share:.0%})"))
    return alerts


def person_alerts(posts: pd.DataFrame, scores: pd.DataFrame, *, now: datetime,
                  settings: AlertSettings | None = None) -> list[Alert]:
    """Negative brand-directed posts by a high-influence account or a high-value customer.

    Args:
        posts: Brand-directed posts: key, author_key, sentiment, created_at.
        scores: The latest run's scores indexed by account key, with ``influence`` and
            ``customer_value`` (missing columns: that kind never fires).
        now: Posts from ``person_hours`` before it are checked.

    Returns:
        One alert per post and kind, newest post first.
    """
    cfg = settings or AlertSettings()
    if posts.empty or scores.empty:
        return []
    when = _utc(posts["created_at"])
    end = pd.Timestamp(now)
    end = end.tz_convert("UTC") if end.tzinfo else end.tz_localize("UTC")
    since = end - pd.Timedelta(hours=cfg.person_hours)
    recent = posts.assign(created_at=when.to_numpy())[
        (when >= since).to_numpy() & (when <= end).to_numpy()
        & (posts["sentiment"].fillna(0) <= cfg.negative_threshold).to_numpy()]
    if recent.empty:
        return []
    limits: dict[str, tuple[pd.Series, float]] = {}
    for kind, column, quantile in (("detractor_post", "influence", cfg.influence_quantile),
                                   ("customer_complaint", "customer_value",
                                    cfg.value_quantile)):
        if column not in scores:
            continue
        values = scores[column].dropna()
        values = values[values > 0]
        if not values.empty:
            # above the median too: when most share one value, none of them stands out
            floor = float(values.quantile(quantile))
            median = float(values.median())
            limits[kind] = (scores[column], floor if floor > median else np.nextafter(
                median, np.inf))
    alerts = []
    for row in recent.sort_values(["created_at", "key"], ascending=False).itertuples():
        for kind, (column, floor) in limits.items():
            value = column.get(row.author_key)
            if value is None or pd.isna(value) or value <= 0 or value < floor:
                continue
            who = "a top-influence account" if kind == "detractor_post" \
                else "a high-value customer"
            alerts.append(Alert(
                key=f"{kind}|{row.key}", kind=kind, subject=str(row.author_key),
                started_at=pd.Timestamp(row.created_at).to_pydatetime(), ended_at=None,
                observed=float(row.sentiment), expected=None, p_value=None,
                message=f"{row.author_key} ({who}) posted negatively about the brand "
                        f"(sentiment {row.sentiment:+.2f})",
                post_key=str(row.key), account_key=str(row.author_key)))
    return alerts


def matches_any(texts: pd.Series, terms: Sequence[str]) -> np.ndarray:
    """Which texts name any of ``terms`` (case-insensitive substrings)."""
    lowered = texts.fillna("").astype(str).str.lower()
    hit = np.zeros(len(texts), dtype=bool)
    for term in terms:
        if term:
            hit |= lowered.str.contains(term.lower(), regex=False).to_numpy()
    return hit


def detect_alerts(brand_posts: pd.DataFrame, scores: pd.DataFrame, *, now: datetime,
                  window_posts: pd.DataFrame | None = None,
                  series: Mapping[str, Sequence[str]] | None = None,
                  settings: AlertSettings | None = None) -> list[Alert]:
    """Every alert kind over the brand's posts, named term and topic series, and people.

    Args:
        brand_posts: Brand-directed posts (key, author_key, sentiment, created_at): the
            ``brand`` series and the person alerts.
        scores: Latest run's scores by account key (influence, customer_value).
        now: End of the evaluation.
        window_posts: Posts of the look-back window with ``text`` (and ``title``),
            created_at and sentiment, for the term and topic series.
        series: Subject (``term:…``, ``topic:…``) → the terms that put a post in it.
        settings: Thresholds.

    Returns:
        Alerts, newest first.
    """
    cfg = settings or AlertSettings()
    found = [*volume_spikes(brand_posts["created_at"], subject="brand", now=now, settings=cfg),
             *negative_surges(brand_posts["created_at"], brand_posts["sentiment"],
                              subject="brand", now=now, settings=cfg),
             *person_alerts(brand_posts, scores, now=now, settings=cfg)]
    if window_posts is not None and series and not window_posts.empty:
        text = window_posts["text"].fillna("").astype(str)
        if "title" in window_posts:
            text = text + " " + window_posts["title"].fillna("").astype(str)
        # a term's series exists from the first post of the window, not from its first use
        began = _utc(window_posts["created_at"]).min().to_pydatetime()
        for subject, terms in series.items():
            hit = window_posts[matches_any(text, terms)]
            if hit.empty:
                continue
            found += volume_spikes(hit["created_at"], subject=subject, now=now, settings=cfg,
                                   start=began)
            found += negative_surges(hit["created_at"], hit["sentiment"], subject=subject,
                                     now=now, settings=cfg, start=began)
    found.sort(key=lambda a: (a.ended_at or a.started_at, a.key), reverse=True)
    return found


def _label(subject: str) -> str:
    kind, _, name = subject.partition(":")
    return f"{kind} {name!r}" if name else subject


def _span(settings: AlertSettings) -> str:
    minutes = settings.bucket_minutes
    return "an hour" if minutes == 60 else f"{minutes} minutes"
