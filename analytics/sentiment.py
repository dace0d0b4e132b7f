"""Sentiment: VADER as the transparent baseline, and a model a company trains on its posts.

Scores are in [-1, 1]: VADER's compound score, or P(positive) - P(negative)
from the trained model (TF-IDF word and character n-grams + logistic regression).

References:
    Hutto, Gilbert. VADER: A Parsimonious Rule-based Model for Sentiment Analysis of
    Social Media Text (ICWSM 2014).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from graph.erasure import text_fingerprint

__all__ = [
    "LABELS",
    "SentimentScorer",
    "TrainedSentimentModel",
    "VaderScorer",
    "evaluate",
    "parse_label",
]

LABELS = ("negative", "neutral", "positive")
_FORMAT_VERSION = 1


class SentimentScorer(Protocol):
    def score(self, texts: Sequence[str]) -> np.ndarray: ...


def parse_label(value: Any) -> str:
    """``positive``/``negative``/``neutral`` (any case, or pos/neg/neu), or a number
    whose sign is the polarity."""
    text = str(value).strip().lower()
    for label in LABELS:
        if text in (label, label[:3]):
            return label
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"not a sentiment label: {value!r} (use positive, negative, "
                         "neutral or a signed number)") from None
    return "positive" if number > 0 else "negative" if number < 0 else "neutral"


class VaderScorer:
    """VADER compound score per text."""

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()

    def score(self, texts: Sequence[str]) -> np.ndarray:
        polarity = self._analyzer.polarity_scores
        return np.array([polarity(t or "")["compound"] for t in texts], dtype=float)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [_label(s) for s in self.score(texts)]


def _label(score: float, band: float = 0.05) -> str:
    return "positive" if score >= band else "negative" if score <= -band else "neutral"


@dataclass
class TrainedSentimentModel:
    """TF-IDF (words 1-2, characters 2-5) + logistic regression, trained on your labels."""

    pipeline: Any
    trained_on: int
    texts: list[str] = field(default_factory=list)  # fingerprints of the training texts

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[Any], *, seed: int = 0
              ) -> TrainedSentimentModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        y = [parse_label(v) for v in labels]
        if len(set(y)) < 2:
            raise ValueError("training needs at least two different labels")
        pipeline = Pipeline([
            ("features", FeatureUnion([
                ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                                          lowercase=True)),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                          sublinear_tf=True)),
            ])),
            ("classifier", LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced",
                                              random_state=seed)),
        ])
        pipeline.fit(list(texts), y)
        return cls(pipeline=pipeline, trained_on=len(y),
                   texts=sorted({text_fingerprint(t) for t in texts}))

    def _proba(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        classes = list(self.pipeline.classes_)
        return self.pipeline.predict_proba(list(texts)), classes

    def score(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        proba, classes = self._proba(texts)
        pos = proba[:, classes.index("positive")] if "positive" in classes else 0.0
        neg = proba[:, classes.index("negative")] if "negative" in classes else 0.0
        return np.asarray(pos - neg, dtype=float)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(x) for x in self.pipeline.predict(list(texts))]

    def save(self, path: Path) -> None:
        import joblib

        joblib.dump({"version": _FORMAT_VERSION, "pipeline": self.pipeline,
                     "trained_on": self.trained_on, "texts": self.texts}, path)

    @classmethod
    def load(cls, path: Path) -> TrainedSentimentModel:
        import joblib

        data = joblib.load(path)
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{path} is not a scrm sentiment model of this version; train "
                             "it again with 'scrm sentiment train'")
        return cls(pipeline=data["pipeline"], trained_on=data["trained_on"],
                   texts=list(data.get("texts", ())))


def evaluate(model: Any, texts: Sequence[str], labels: Sequence[Any]) -> dict[str, Any]:
    """Accuracy, macro F1 and the confusion matrix (rows = truth, order = LABELS)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    truth = [parse_label(v) for v in labels]
    predicted = model.predict(list(texts))
    return {
        "n": len(truth),
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, labels=list(LABELS), average="macro",
                                   zero_division=0)),
        "labels": list(LABELS),
        "confusion": confusion_matrix(truth, predicted, labels=list(LABELS)).tolist(),
    }
