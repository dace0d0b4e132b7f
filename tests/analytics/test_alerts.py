"""Alerts: fire on a replayed spike, stay quiet on flat and noisy-but-stationary baselines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.alerts import (
    AlertSettings,
    detect_alerts,
    ewma_baseline,
    matches_any,
    negative_surges,
    person_alerts,
    volume_spikes,
)

NOW = datetime(2026, 10, 15, 0, 0, tzinfo=UTC)
HOURS = 14 * 24


def _times(counts: list[int] | np.ndarray, end: datetime = NOW) -> pd.Series:
    """Posts spread evenly inside each hour, the last count in the hour before ``end``."""
    start = end - timedelta(hours=len(counts))
    out: list[datetime] = []
    for h, c in enumerate(counts):
        base = start + timedelta(hours=h)
        out += [base + timedelta(seconds=3600 * (i + 0.5) / c) for i in range(int(c))]
    return pd.Series(out, dtype="datetime64[ns, UTC]")


def test_ewma_known_values() -> None:
    # a = 0.5: means 2, then 2+0.5·(4−2)=3; variance (1−a)(0 + a·2²) = 1
    mean, var = ewma_baseline(np.array([2.0, 2.0, 4.0, 0.0]), smoothing=0.5)
    assert mean.tolist() == [0.0, 2.0, 2.0, 3.0]
    assert var.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_ewma_clips_outliers_after_warmup() -> None:
    mean, _ = ewma_baseline(np.array([4.0, 4.0, 4.0, 1000.0, 4.0]), smoothing=0.5,
                            clip_z=3.0, warmup=2)
    # 1000 enters as 4 + 3·√4 = 10: mean 4 + 0.5·6 = 7
    assert mean[4] == pytest.approx(7.0)


def test_flat_baseline_is_quiet() -> None:
    assert volume_spikes(_times([30] * HOURS), subject="brand", now=NOW) == []


def test_replayed_spike_fires_once_with_its_first_hour() -> None:
    counts = [20] * (HOURS - 6) + [120, 150, 20, 20, 20, 20]
    alerts = volume_spikes(_times(counts), subject="brand", now=NOW)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.kind == "volume_spike"
    assert alert.started_at == NOW - timedelta(hours=6)
    assert alert.ended_at == NOW - timedelta(hours=4)
    assert alert.observed == 150
    # the baseline before the peak: 20, plus the first spike hour clipped at 20 + 4·√20
    a = AlertSettings().smoothing
    assert alert.expected == pytest.approx(20 + a * 4 * 20 ** 0.5, abs=1e-3)
    assert alert.key == f"volume_spike|brand|{(NOW - timedelta(hours=6)).isoformat()}"
    assert alert.p_value is not None and alert.p_value < 1e-30


def test_spike_fires_within_the_hour_it_happens() -> None:
    # 40 minutes into the current hour, 90 posts: the baseline is 2/3 of 20
    now = NOW + timedelta(minutes=40)
    times = pd.concat([_times([20] * 100),
                       pd.Series([NOW + timedelta(seconds=20 * i) for i in range(90)],
                                 dtype="datetime64[ns, UTC]")], ignore_index=True)
    alerts = volume_spikes(times, subject="brand", now=now)
    assert [a.started_at for a in alerts] == [NOW]
    assert alerts[0].expected == pytest.approx(20 * 40 / 60, rel=1e-3)
    # the same 10 posts at 40 minutes are no spike
    calm = pd.concat([_times([20] * 100), pd.Series([NOW] * 10,
                                                    dtype="datetime64[ns, UTC]")])
    assert volume_spikes(calm, subject="brand", now=now) == []


def test_noisy_stationary_poisson_baseline_is_quiet() -> None:
    rng = np.random.default_rng(7)
    for rate in (3.0, 25.0, 400.0):
        counts = rng.poisson(rate, size=HOURS)
        assert volume_spikes(_times(counts), subject="brand", now=NOW) == [], rate


def test_poisson_baseline_with_a_spike_fires_only_there() -> None:
    rng = np.random.default_rng(11)
    counts = rng.poisson(25.0, size=HOURS)
    counts[200] = 90
    alerts = volume_spikes(_times(counts), subject="brand", now=NOW)
    assert [a.started_at for a in alerts] == [NOW - timedelta(hours=HOURS - 200)]


def test_few_posts_and_small_relative_rises_never_fire() -> None:
    # 0 → 9 posts: significant, but fewer than min_count
    assert volume_spikes(_times([0] * 50 + [1] * 100 + [9]), subject="b", now=NOW) == []
    # 10,000 → 11,000 an hour: z ≈ 10, but only 1.1×
    assert volume_spikes(_times([10_000] * 30 + [11_000]), subject="b", now=NOW,
                         settings=AlertSettings(lookback_buckets=31, warmup_buckets=24)) == []


def test_overdispersed_series_needs_a_bigger_jump() -> None:
    # alternating 10/50: variance ≈ 400 ≫ mean 30; 90 is 3σ, not an alert (Poisson alone
    # would give p ≈ 1e-18)
    counts = [10, 50] * 100 + [90]
    assert volume_spikes(_times(counts), subject="b", now=NOW) == []
    assert stats.poisson.sf(89, 30) < 1e-15


def test_series_starts_at_its_first_post() -> None:
    # no posts for a week, then a steady 20: starting is not a spike
    assert volume_spikes(_times([0] * 168 + [20] * 168), subject="b", now=NOW) == []


def _sentiments(counts: list[int], negative: list[int]) -> list[float]:
    out: list[float] = []
    for c, k in zip(counts, negative, strict=True):
        out += [-0.6] * k + [0.4] * (c - k)
    return out


def test_negative_surge_fires_on_share_not_volume() -> None:
    counts = [40] * (HOURS - 3) + [40, 80, 40]
    negative = [4] * (HOURS - 3) + [24, 8, 4]  # 10% usual; 60% in one hour; 10% at 2×
    alerts = negative_surges(_times(counts), _sentiments(counts, negative), subject="brand",
                             now=NOW)
    assert len(alerts) == 1
    assert alerts[0].started_at == NOW - timedelta(hours=3)
    assert alerts[0].observed == pytest.approx(0.6)
    assert alerts[0].expected == pytest.approx(0.1, abs=1e-3)


def test_negative_share_noise_is_quiet() -> None:
    rng = np.random.default_rng(3)
    counts = rng.poisson(40, size=HOURS).tolist()
    negative = [int(rng.binomial(c, 0.2)) for c in counts]
    assert negative_surges(_times(counts), _sentiments(counts, negative), subject="b",
                           now=NOW) == []


def test_unscored_posts_count_for_neither_side() -> None:
    counts = [20] * 60 + [20]
    sentiments = _sentiments([20] * 60, [2] * 60) + [-0.9] * 3 + [float("nan")] * 17
    assert negative_surges(_times(counts), sentiments, subject="b", now=NOW) == []


def _scores() -> pd.DataFrame:
    influence = [0.001] * 99 + [0.5]
    value = [None] * 90 + [100.0] * 9 + [50_000.0]
    keys = [f"t:u{i}" for i in range(99)] + ["t:star"]
    frame = pd.DataFrame({"influence": influence, "customer_value": value}, index=keys)
    frame.loc["t:u5", "customer_value"] = 90_000.0
    return frame


def test_person_alerts_known_answer() -> None:
    posts = pd.DataFrame([
        {"key": "t:1", "author_key": "t:star", "sentiment": -0.7,
         "created_at": NOW - timedelta(hours=2)},
        {"key": "t:2", "author_key": "t:star", "sentiment": 0.7,
         "created_at": NOW - timedelta(hours=1)},  # praise: no alert
        {"key": "t:3", "author_key": "t:u5", "sentiment": -0.4,
         "created_at": NOW - timedelta(hours=3)},  # high-value customer complaining
        {"key": "t:4", "author_key": "t:u7", "sentiment": -0.9,
         "created_at": NOW - timedelta(hours=1)},  # nobody in particular
        {"key": "t:5", "author_key": "t:u5", "sentiment": -0.9,
         "created_at": NOW - timedelta(hours=30)},  # too old
    ])
    alerts = person_alerts(posts, _scores(), now=NOW)
    # influence: the 99th percentile of 99×0.001 and 0.5 is 0.001 + 0.01·0.499: only t:star;
    # value: the 95th percentile of 9×100, 50,000, 90,000 is 70,000: only t:u5
    assert [(a.kind, a.post_key) for a in alerts] == [
        ("detractor_post", "t:1"), ("customer_complaint", "t:3")]
    assert alerts[0].key == "detractor_post|t:1"
    assert alerts[0].account_key == "t:star"


def test_person_alerts_without_scores() -> None:
    posts = pd.DataFrame([{"key": "t:1", "author_key": "t:a", "sentiment": -0.7,
                           "created_at": NOW}])
    assert person_alerts(posts, pd.DataFrame(), now=NOW) == []


def test_matches_any_is_case_insensitive() -> None:
    hit = matches_any(pd.Series(["Battery died", "refund please", None, "ok"]),
                      ["battery", "REFUND"])
    assert hit.tolist() == [True, True, False, False]


def test_detect_alerts_over_brand_and_term_series() -> None:
    counts = [20] * (HOURS - 2) + [20, 20]
    brand = pd.DataFrame({"key": [f"t:{i}" for i in range(sum(counts))],
                          "author_key": "t:someone", "sentiment": 0.3,
                          "created_at": _times(counts)})
    # every window post; "battery" posts are 5 an hour, then 60 in the last full hour
    battery = [5] * (HOURS - 2) + [60, 5]
    other = _times([30] * HOURS)
    window = pd.DataFrame({
        "created_at": pd.concat([_times(battery), other], ignore_index=True),
        "text": ["my Battery is flat"] * sum(battery) + ["hello"] * len(other),
        "title": None, "sentiment": 0.0})
    alerts = detect_alerts(brand, pd.DataFrame(), now=NOW, window_posts=window,
                           series={"term:battery": ["battery"], "topic:billing": ["refund"]})
    assert [(a.kind, a.subject, a.started_at) for a in alerts] == [
        ("volume_spike", "term:battery", NOW - timedelta(hours=2))]


def test_nobody_stands_out_when_most_share_one_value() -> None:
    scores = pd.DataFrame({"influence": [0.2] * 50, "customer_value": [10.0] * 50},
                          index=[f"t:u{i}" for i in range(50)])
    posts = pd.DataFrame([{"key": "t:1", "author_key": "t:u3", "sentiment": -0.9,
                           "created_at": NOW - timedelta(hours=1)}])
    assert person_alerts(posts, scores, now=NOW) == []


def test_posts_after_now_are_not_seen() -> None:
    posts = pd.DataFrame([{"key": "t:1", "author_key": "t:star", "sentiment": -0.9,
                           "created_at": NOW + timedelta(minutes=1)}])
    assert person_alerts(posts, _scores(), now=NOW) == []
