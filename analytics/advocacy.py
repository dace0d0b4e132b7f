"""A learned advocate score, for CRMs that know who their promoters are.

Where the CRM has NPS answers, promoters (9–10) are positive examples and
detractors (0–6) negative ones (passives, 7–8, are left out, as NPS itself does).
A logistic regression on standardised network, sentiment, helpfulness and CRM
features, calibrated (isotonic, cross-fitted), predicts P(advocate) for every
account. It is only used when it earns it: at least ``min_labels`` labelled
customers of each class and a cross-validated ROC AUC of at least ``min_auc``;
otherwise :func:`fit_advocate_model` returns the evaluation and ``None``, and the
transparent formula stays in charge. Explanations are per-account contributions
to the log-odds (coefficient × standardised value), largest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FEATURES", "AdvocateModel", "fit_advocate_model", "nps_labels"]

FEATURES: tuple[str, ...] = ("brand_sentiment", "brand_posts", "engagement", "influence",
                             "reach", "helpfulness", "customer_value")


def nps_labels(nps: pd.Series) -> pd.Series:
    """1 for promoters (9–10), 0 for detractors (0–6), NaN for passives and unknowns."""
    values = pd.to_numeric(nps, errors="coerce")
    return pd.Series(np.where(values >= 9, 1.0, np.where(values <= 6, 0.0, np.nan)),
                     index=nps.index).where(values.notna())


def _matrix(features: pd.DataFrame) -> np.ndarray:
    x = features.reindex(columns=list(FEATURES)).astype(float).fillna(0.0).to_numpy()
    for j, name in enumerate(FEATURES):
        if name in ("brand_posts", "engagement", "reach", "helpfulness", "customer_value"):
            x[:, j] = np.log1p(np.clip(x[:, j], 0.0, None))
        if name == "influence":
            x[:, j] = np.log1p(np.clip(x[:, j], 0.0, None) * len(x))
    return x


@dataclass
class AdvocateModel:
    pipeline: Any
    calibrated: Any
    auc: float
    labels: int

    def predict(self, features: pd.DataFrame) -> pd.Series:
        x = _matrix(features)
        return pd.Series(self.calibrated.predict_proba(x)[:, 1], index=features.index)

    def explain(self, features: pd.DataFrame, keys: Sequence[str]
                ) -> dict[str, list[tuple[str, float]]]:
        scaler = self.pipeline.named_steps["scale"]
        coef = self.pipeline.named_steps["model"].coef_[0]
        z = scaler.transform(_matrix(features.loc[list(keys)]))
        out = {}
        for key, row in zip(keys, z * coef, strict=True):
            parts = sorted(zip(FEATURES, row, strict=True), key=lambda p: -abs(p[1]))
            out[key] = [(f"{name} (log-odds)", float(v)) for name, v in parts]
        return out


def fit_advocate_model(features: pd.DataFrame, labels: pd.Series, *, seed: int = 0,
                       min_labels: int = 20, min_auc: float = 0.65
                       ) -> tuple[AdvocateModel | None, dict[str, Any]]:
    """Fit and evaluate; return the model only if it is good enough to use."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    known = labels.dropna()
    y = known.astype(int).to_numpy()
    report: dict[str, Any] = {"labelled": int(len(y)), "promoters": int(y.sum()),
                              "detractors": int(len(y) - y.sum())}
    if min(report["promoters"], report["detractors"]) < min_labels:
        report["used"] = False
        report["reason"] = (f"needs {min_labels}+ promoters and detractors with NPS; have "
                            f"{report['promoters']} and {report['detractors']}")
        return None, report
    x = _matrix(features.loc[known.index])
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("model", LogisticRegression(max_iter=1000, random_state=seed))])
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    auc = float(np.mean(cross_val_score(pipeline, x, y, cv=folds, scoring="roc_auc")))
    report["cv_roc_auc"] = round(auc, 4)
    if auc < min_auc:
        report["used"] = False
        report["reason"] = f"cross-validated ROC AUC {auc:.3f} < {min_auc}"
        return None, report
    pipeline.fit(x, y)
    calibrated = CalibratedClassifierCV(
        Pipeline([("scale", StandardScaler()),
                  ("model", LogisticRegression(max_iter=1000, random_state=seed))]),
        method="isotonic", cv=folds).fit(x, y)
    report["used"] = True
    return AdvocateModel(pipeline, calibrated, auc, len(y)), report
