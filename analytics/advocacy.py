"""A learned advocate score, for CRMs that know who their promoters are.

Where the CRM has NPS answers, promoters (9–10) are positive examples and
detractors (0–6) negative ones (passives, 7–8, are left out, as NPS itself does).
A logistic regression on standardised network, sentiment, helpfulness and CRM
features, calibrated by Platt scaling on cross-validated decision values (a
sigmoid: strictly increasing, so no two accounts tie at 1.0 the way isotonic
steps make them), predicts P(advocate) for every account. It is only used when it
earns it: at least ``min_labels`` labelled customers of each class and a
cross-validated ROC AUC of at least ``min_auc``; otherwise
:func:`fit_advocate_model` returns the evaluation and ``None``, and the
transparent formula stays in charge.

Explanations add up to the score, like the formula's: the probability of an
average account (every standardised feature 0) is the ``baseline``, and the rest,
``p − baseline``, is shared among the features in proportion to their
contributions to the calibrated log-odds (``A × coefficient × standardised
value``). A feature that pushes towards "promoter" always gets a positive share.
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
    return np.asarray(x, dtype=float)


BASELINE = "baseline (an average account)"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=float)


@dataclass
class AdvocateModel:
    """``p = σ(a · (b + Σ coefᵢ zᵢ) + c)``: the fitted pipeline's decision value,
    Platt-scaled by ``a`` and ``c``."""

    pipeline: Any
    a: float
    c: float
    auc: float
    labels: int

    def _terms(self, features: pd.DataFrame) -> tuple[np.ndarray, float]:
        scaler = self.pipeline.named_steps["scale"]
        model = self.pipeline.named_steps["model"]
        z = scaler.transform(_matrix(features))
        return self.a * z * model.coef_[0], self.a * float(model.intercept_[0]) + self.c

    def predict(self, features: pd.DataFrame) -> pd.Series:
        terms, base = self._terms(features)
        return pd.Series(_sigmoid(base + terms.sum(axis=1)), index=features.index)

    def parts(self, features: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray]:
        """P(advocate), the factor names and every account's contributions (rows sum
        to P): the baseline first, then each feature's share of ``p − baseline``."""
        terms, base = self._terms(features)
        total = terms.sum(axis=1)
        p = _sigmoid(base + total)
        p0 = float(_sigmoid(np.array(base)))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(np.abs(total)[:, None] > 1e-12, terms / total[:, None],
                             1.0 / terms.shape[1])
        matrix = np.column_stack([np.full(len(p), p0), share * (p - p0)[:, None]])
        return p, [BASELINE, *FEATURES], matrix

    def explain(self, features: pd.DataFrame, keys: Sequence[str]
                ) -> dict[str, list[tuple[str, float]]]:
        """Contributions of these accounts, largest first (they sum to P(advocate)).
        ``features`` is every account: influence is scaled by their number."""
        _, names, matrix = self.parts(features)
        rows = matrix[features.index.get_indexer(list(keys))]
        out = {}
        for key, row in zip(keys, rows, strict=True):
            order = np.argsort(-np.abs(row), kind="stable")
            out[key] = [(names[j], float(row[j])) for j in order]
        return out


def fit_advocate_model(features: pd.DataFrame, labels: pd.Series, *, seed: int = 0,
                       min_labels: int = 20, min_auc: float = 0.65
                       ) -> tuple[AdvocateModel | None, dict[str, Any]]:
    """Fit and evaluate; return the model only if it is good enough to use."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score
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
    # Platt scaling on out-of-fold decision values, so calibration is not fitted on
    # the scores of the very customers it calibrates
    held_out = cross_val_predict(pipeline, x, y, cv=folds, method="decision_function")
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(held_out.reshape(-1, 1), y)
    pipeline.fit(x, y)
    report["used"] = True
    report["calibration"] = "platt (sigmoid on cross-validated decision values)"
    return AdvocateModel(pipeline, float(platt.coef_[0][0]), float(platt.intercept_[0]), auc,
                         len(y)), report
