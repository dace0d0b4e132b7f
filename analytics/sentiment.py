"""Sentiment: VADER as the transparent baseline, and a model a company trains on its posts.

Scores are in [-1, 1]: VADER's compound score, or P(positive) - P(negative)
from the trained model (TF-IDF word and character n-grams and VADER's scores + logistic
regression). Labels come from the model's classes (``predict``), not from a band on the
score.

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
    "parse_labels",
]

LABELS = ("negative", "neutral", "positive")
_FORMAT_VERSION = 2


class SentimentScorer(Protocol):
    def score(self, texts: Sequence[str]) -> np.ndarray: ...


def score_and_predict(model: Any, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """A model's scores and classes of ``texts``, from one pass when the model offers
    ``classify`` (both scorers here: VADER's class is its score's band, a trained
    model's both come from one ``predict_proba``), else ``score`` and ``predict``."""
    classify = getattr(model, "classify", None)
    if classify is not None:
        values, labels = classify(texts)
        return np.asarray(values, dtype=float), list(labels)
    return np.asarray(model.score(texts), dtype=float), list(model.predict(texts))


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


def parse_labels(values: Sequence[Any], names: Sequence[str] | None = None) -> list[str]:
    """A column of sentiment labels, read without guessing.

    Args:
        values: Class names (``positive``/``negative``/``neutral``, any case, or
            ``pos``/``neg``/``neu``), signed polarity numbers (the sign is the label), or
            class ids ``0..k-1`` when ``names`` is given.
        names: The class each id stands for, in id order (the TweetEval and Hugging Face
            convention is ``negative,neutral,positive``).

    Returns:
        One of ``LABELS`` per value.

    Raises:
        ValueError: A value is not a label; or the column holds only non-negative whole
            numbers (class ids, not signs) and ``names`` is not given.
    """
    if names is not None:
        mapped = [parse_label(n) for n in names]
        out = []
        for value in values:
            text = str(value).strip()
            if not text.isdigit() or int(text) >= len(mapped):
                raise ValueError(f"label {value!r} is not a class id 0..{len(mapped) - 1} "
                                 f"of {','.join(names)}")
            out.append(mapped[int(text)])
        return out
    texts = [str(v).strip() for v in values]
    if texts and all(t.isdigit() for t in texts):
        raise ValueError(f"labels are class ids ({', '.join(sorted(set(texts))[:5])}), not "
                         "signed polarities: say what they mean, e.g. "
                         "--labels negative,neutral,positive")
    return [parse_label(v) for v in values]


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

    def classify(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """``score`` and ``predict`` from one pass over the texts."""
        values = self.score(texts)
        return values, [_label(s) for s in values.tolist()]


def _label(score: float, band: float = 0.05) -> str:
    return "positive" if score >= band else "negative" if score <= -band else "neutral"


@dataclass
class TrainedSentimentModel:
    """A :class:`~analytics.understanding.model.TextClassifier` over sentiment classes.

    Features: TF-IDF of words (1–2) and characters (2–5) plus VADER's four scores; a
    class-weighted logistic regression (``C`` tuned by cross-validation up to 20,000 posts,
    1.0 above). ``predict`` is the model's decided class (see ``classifier.decision``);
    ``score`` is P(positive) − P(negative) for ranking, not for deciding.
    """

    classifier: Any
    trained_on: int
    texts: list[str] = field(default_factory=list)  # fingerprints of the training texts

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[Any], *, seed: int = 0
              ) -> TrainedSentimentModel:
        from analytics.understanding.model import TextClassifier

        y = [parse_label(v) for v in labels]
        if len(set(y)) < 2:
            raise ValueError("training needs at least two different labels")
        classifier = TextClassifier.train(texts, y, lexicon=True,
                                          C=None if len(y) <= 20_000 else 1.0, seed=seed)
        return cls(classifier=classifier, trained_on=len(y),
                   texts=sorted({text_fingerprint(t) for t in texts}))

    def score(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        return self._score(self.classifier.predict_proba(texts))

    def _score(self, proba: np.ndarray) -> np.ndarray:
        classes = self.classifier.classes
        pos = proba[:, classes.index("positive")] if "positive" in classes else 0.0
        neg = proba[:, classes.index("negative")] if "negative" in classes else 0.0
        return np.asarray(pos - neg, dtype=float)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(x) for x in self.classifier.predict(list(texts))] if texts else []

    def classify(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """``score`` and ``predict`` from one ``predict_proba`` (the features, VADER's
        among them, are computed once)."""
        if not texts:
            return np.zeros(0), []
        proba = self.classifier.predict_proba(list(texts))
        return self._score(proba), [str(x) for x in self.classifier.decide(proba)]

    def save(self, path: Path) -> None:
        import joblib

        joblib.dump({"version": _FORMAT_VERSION, "classifier": self.classifier,
                     "trained_on": self.trained_on, "texts": self.texts}, path)

    @classmethod
    def load(cls, path: Path) -> TrainedSentimentModel:
        import joblib

        data = joblib.load(path)
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{path} is not a scrm sentiment model of this version; train "
                             "it again with 'scrm sentiment train'")
        return cls(classifier=data["classifier"], trained_on=data["trained_on"],
                   texts=list(data.get("texts", ())))


def evaluate(model: Any, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """The model's predicted classes against parsed labels (one of ``LABELS`` each).

    Returns:
        :func:`analytics.understanding.metrics.classification_report`: macro figures over
        the classes present in ``labels``; confusion rows and columns in ``LABELS`` order.
    """
    from analytics.understanding.metrics import classification_report

    truth = [parse_label(v) for v in labels]
    predicted = model.predict(list(texts))
    return classification_report(truth, predicted, labels=list(LABELS))
