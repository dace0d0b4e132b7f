"""Text classifiers trained on a company's own labels (any label set, two classes or many).

Features: TF-IDF of words (1–2-grams; ``!``, ``?`` and emoji kept as tokens) and of
characters within words (2–5-grams), optionally VADER's four scores; a class-weighted
logistic regression. With up to ``tune_below`` texts the regularisation ``C`` is chosen by
stratified cross-validation on the training file.

Decisions: with many classes, the predicted class (the most probable one). With two,
a threshold on the probability of the rarer class, fitted on the out-of-fold
probabilities of that cross-validation to maximise macro-F1 (0.5 when the file is too
large to tune or too small to split); ``decision`` says which was used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TextClassifier", "intent_model_path"]

_FORMAT_VERSION = 1
_TOKENS = r"[\w']+|[!?]|[^\w\s]"
_C_GRID = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), token_pattern=_TOKENS,
                                  sublinear_tf=True, min_df=1, dtype=np.float32)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                  sublinear_tf=True, dtype=np.float32)),
    ])


def _lexicon(texts: Sequence[str]) -> Any:
    from scipy.sparse import csr_matrix
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    polarity = SentimentIntensityAnalyzer().polarity_scores
    rows = [polarity(t) for t in texts]
    return csr_matrix(np.array(
        [[r["neg"], r["neu"], r["pos"], r["compound"]] for r in rows], dtype=np.float32))


@dataclass
class TextClassifier:
    """A fitted vectorizer and logistic regression, with its decision rule.

    Attributes:
        vectorizer: The fitted TF-IDF features.
        classifier: The fitted ``LogisticRegression``.
        lexicon: Whether VADER's scores are features too.
        threshold: For two classes, the probability of ``positive_class`` at which it
            is chosen; ``None`` with more classes (the most probable class wins).
        positive_class: The rarer class of a two-class model.
        decision: ``"predicted class"`` or a sentence naming the fitted threshold.
        trained_on: Training texts per class.
    """

    vectorizer: Any
    classifier: Any
    lexicon: bool = False
    threshold: float | None = None
    positive_class: str | None = None
    decision: str = "predicted class"
    trained_on: dict[str, int] = field(default_factory=dict)
    tuning: dict[str, Any] = field(default_factory=dict)

    @property
    def classes(self) -> list[str]:
        """The class names, in the order of :meth:`predict_proba`'s columns."""
        return [str(c) for c in self.classifier.classes_]

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], *, lexicon: bool = False,
              C: float | None = None, tune_below: int = 20_000, folds: int = 3,
              seed: int = 0) -> TextClassifier:
        """Fit on labelled texts; labels are class names, whatever they look like.

        Args:
            texts: Training texts.
            labels: One class name per text (``complaint``, ``0``, ``1``...).
            lexicon: Add VADER's scores as features (sentiment).
            C: Inverse regularisation; chosen by cross-validation when ``None`` and
                the file has at most ``tune_below`` texts, else 2.0.
            tune_below: The largest file on which ``C`` and the threshold are tuned.
            folds: Cross-validation folds for tuning.
            seed: Seed of the folds and the solver.

        Raises:
            ValueError: Fewer than two classes, or lengths differ.
        """
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        y = np.array([str(v).strip() for v in labels], dtype=object)
        counts = Counter(y.tolist())
        if len(counts) < 2:
            raise ValueError("training needs at least two different labels; found "
                             f"{', '.join(counts) or 'none'}")
        x_text = ["" if t is None else str(t) for t in texts]
        binary = len(counts) == 2
        positive = min(counts, key=lambda c: (counts[c], c)) if binary else None
        tuning: dict[str, Any] = {}
        threshold: float | None = None
        decision = "predicted class"
        can_tune = len(y) <= tune_below and min(counts.values()) >= folds
        if can_tune and (C is None or binary):
            C, threshold, tuning = _tune(x_text, y, positive, C, lexicon, folds, seed)
            if threshold is not None:
                decision = (f"threshold {threshold:.2f} on P({positive}), fitted on "
                            f"{folds}-fold out-of-fold probabilities")
        elif binary:
            threshold = 0.5
            decision = f"threshold 0.50 on P({positive}) (the predicted class)"
        vectorizer = _vectorizer()
        features = vectorizer.fit_transform(x_text)
        if lexicon:
            from scipy.sparse import hstack

            features = hstack([features, _lexicon(x_text)], format="csr")
        classifier = _classifier(C if C is not None else 2.0, seed).fit(features, y)
        return cls(vectorizer=vectorizer, classifier=classifier, lexicon=lexicon,
                   threshold=threshold, positive_class=positive, decision=decision,
                   trained_on=dict(sorted(counts.items())), tuning=tuning)

    def _features(self, texts: Sequence[str]) -> Any:
        x_text = ["" if t is None else str(t) for t in texts]
        features = self.vectorizer.transform(x_text)
        if self.lexicon:
            from scipy.sparse import hstack

            features = hstack([features, _lexicon(x_text)], format="csr")
        return features

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, columns in :attr:`classes` order."""
        if not texts:
            return np.zeros((0, len(self.classes)))
        return np.asarray(self.classifier.predict_proba(self._features(texts)))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The decided class of each text (see :attr:`decision`)."""
        return self.decide(self.predict_proba(texts))

    def decide(self, proba: np.ndarray) -> list[str]:
        """The decided class of each row of :meth:`predict_proba`'s probabilities."""
        return _decide(proba, self.classes, self.positive_class, self.threshold)

    def explain(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The features that pushed ``text`` most towards its decided class."""
        label = self.predict([text])[0]
        row = self._features([text]).tocsr()
        coef = self.classifier.coef_
        k = 0 if coef.shape[0] == 1 else self.classes.index(label)
        sign = -1.0 if coef.shape[0] == 1 and label == self.classes[0] else 1.0
        names = list(self.vectorizer.get_feature_names_out())
        if self.lexicon:
            names += ["vader neg", "vader neu", "vader pos", "vader compound"]
        contrib = [(names[j].split("__", 1)[-1], float(sign * v * coef[k, j]))
                   for j, v in zip(row.indices, row.data, strict=True)]
        return sorted((c for c in contrib if c[1] > 0), key=lambda c: -c[1])[:top]

    def save(self, path: Path) -> None:
        """Write the model (joblib) to ``path``."""
        import joblib

        joblib.dump({"version": _FORMAT_VERSION, "kind": "scrm-text-classifier",
                     "model": self}, path)

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        """Read a model written by :meth:`save`.

        Raises:
            ValueError: The file is not a model of this version (one line, what to do).
        """
        import joblib

        data = joblib.load(path)
        if (not isinstance(data, dict) or data.get("kind") != "scrm-text-classifier"
                or data.get("version") != _FORMAT_VERSION):
            raise ValueError(f"{path} is not a scrm intent model of this version; train it "
                             "again with 'scrm intent train'")
        model = data["model"]
        assert isinstance(model, TextClassifier)
        return model


def _classifier(C: float, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000,
                              random_state=seed)


def _decide(proba: np.ndarray, classes: list[str], positive: str | None,
            threshold: float | None) -> list[str]:
    if threshold is None or positive is None:
        return [classes[i] for i in proba.argmax(axis=1)]
    other = classes[1 - classes.index(positive)]
    p = proba[:, classes.index(positive)]
    return [positive if v >= threshold else other for v in p]


def _tune(texts: list[str], y: np.ndarray, positive: str | None, C: float | None,
          lexicon: bool, folds: int, seed: int
          ) -> tuple[float, float | None, dict[str, Any]]:
    """C (unless given) by out-of-fold macro-F1, and for two classes the threshold."""
    from scipy.sparse import hstack
    from sklearn.model_selection import StratifiedKFold

    from analytics.understanding.metrics import classification_report

    grid = (C,) if C is not None else _C_GRID
    classes = sorted(set(y.tolist()))
    oof = {c: np.zeros((len(y), len(classes))) for c in grid}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(y)), y):
        vectorizer = _vectorizer()
        x_train = vectorizer.fit_transform([texts[i] for i in train_idx])
        x_test = vectorizer.transform([texts[i] for i in test_idx])
        if lexicon:
            x_train = hstack([x_train, _lexicon([texts[i] for i in train_idx])], format="csr")
            x_test = hstack([x_test, _lexicon([texts[i] for i in test_idx])], format="csr")
        for c in grid:
            model = _classifier(c, seed).fit(x_train, y[train_idx])
            oof[c][test_idx] = model.predict_proba(x_test)
    best: tuple[float, float, float | None] = (-1.0, grid[0], None)
    scores: dict[str, float] = {}
    for c in grid:
        if positive is None:
            f1 = classification_report(y.tolist(), _decide(oof[c], classes, None, None)
                                       )["macro_f1"]
            scores[f"C={c}"] = f1
            if f1 > best[0]:
                best = (f1, c, None)
            continue
        for t in np.round(np.arange(0.2, 0.81, 0.05), 2):
            f1 = classification_report(y.tolist(), _decide(oof[c], classes, positive,
                                                           float(t)))["macro_f1"]
            scores[f"C={c},t={t:.2f}"] = f1
            if f1 > best[0] + 1e-9:
                best = (f1, c, float(t))
    return best[1], best[2], {"cv_macro_f1": best[0], "folds": folds, "grid": scores}


def intent_model_path(location: str) -> Path:
    """Where a trained intent model is kept: beside the database, like the sentiment one."""
    p = Path(location)
    return p.parent / (p.name + ".intent.joblib")
