"""The learned advocate score: used only when the CRM's labels support it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.advocacy import BASELINE, FEATURES, fit_advocate_model, nps_labels


def _features(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "brand_sentiment": rng.uniform(-1, 1, n), "brand_posts": rng.integers(0, 20, n),
        "engagement": rng.exponential(3, n), "influence": rng.exponential(1 / n, n),
        "reach": rng.pareto(1.5, n) * 100, "helpfulness": rng.integers(0, 5, n),
        "customer_value": rng.lognormal(6, 1, n),
    }, index=[f"twitter:u{i}" for i in range(n)])


def test_nps_labels_follow_the_nps_bands() -> None:
    labels = nps_labels(pd.Series([10, 9, 8, 7, 6, 0, None]))
    assert labels.iloc[:2].eq(1).all() and labels.iloc[4:6].eq(0).all()
    assert labels.iloc[[2, 3, 6]].isna().all()  # passives and unknowns are not labels


def test_learns_when_labels_carry_signal_and_explains_additively() -> None:
    f = _features(400)
    logit = 3 * f["brand_sentiment"] + 0.2 * f["helpfulness"] - 0.3
    truth = (np.random.default_rng(1).uniform(size=len(f)) < 1 / (1 + np.exp(-logit)))
    labels = pd.Series(np.where(truth, 1.0, 0.0), index=f.index)
    model, report = fit_advocate_model(f, labels)
    assert model is not None and report["used"] and report["cv_roc_auc"] > 0.8
    p = model.predict(f)
    assert p.between(0, 1).all()
    # a sigmoid calibration keeps the order of the model: no block of accounts tied at 1.0
    assert p.nunique() == len(p) and (p < 0.9999).all()
    happy, grumpy = f["brand_sentiment"].idxmax(), f["brand_sentiment"].idxmin()
    assert p[happy] > p[grumpy]
    probability, names, matrix = model.parts(f)
    assert names == [BASELINE, *FEATURES]
    np.testing.assert_allclose(matrix.sum(axis=1), probability, atol=1e-12)  # adds up
    np.testing.assert_allclose(probability, p.to_numpy())
    parts = dict(model.explain(f, [happy])[happy])
    features_only = {k: v for k, v in parts.items() if k != BASELINE}
    assert max(features_only, key=lambda k: abs(features_only[k])) == "brand_sentiment"
    assert features_only["brand_sentiment"] > 0
    assert model.explain(f, [grumpy])[grumpy][0][1] != 0
    assert dict(model.explain(f, [grumpy])[grumpy])["brand_sentiment"] < 0
    baseline = parts[BASELINE]
    assert 0 < baseline < 1 and sum(parts.values()) == pytest.approx(p[happy])


def test_falls_back_when_labels_are_noise_or_too_few() -> None:
    f = _features(400, seed=2)
    noise = pd.Series(np.random.default_rng(3).integers(0, 2, len(f)).astype(float),
                      index=f.index)
    model, report = fit_advocate_model(f, noise)
    assert model is None and "ROC AUC" in report["reason"]
    few = pd.Series(np.nan, index=f.index)
    few.iloc[:10] = 1.0
    model, report = fit_advocate_model(f, few)
    assert model is None and "needs" in report["reason"]
