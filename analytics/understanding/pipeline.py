"""``understand(texts) -> frame``: language, sentiment and intents of each post.

The one call the analyze job, the store's new-post path and the CLI make. Pure: texts
in, a frame out, nothing read from or written to the store.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from analytics.understanding.intents import DEFAULT_INTENTS, IntentRule, score_intents
from analytics.understanding.language import UNDETERMINED, detect_languages

__all__ = ["SentimentModel", "VADER_LANGUAGES", "understand"]

# VADER's lexicon is English; undetermined posts (emoji, very short) are scored too,
# since its emoji lexicon reads them.
VADER_LANGUAGES = frozenset({"en", UNDETERMINED})


class SentimentModel(Protocol):
    """What :func:`understand` needs of a sentiment model."""

    def score(self, texts: Sequence[str]) -> np.ndarray: ...

    def predict(self, texts: Sequence[str]) -> list[str]: ...


def understand(texts: Sequence[str], *, rules: Sequence[IntentRule] = DEFAULT_INTENTS,
               sentiment: SentimentModel | None = None,
               sentiment_languages: Collection[str] = VADER_LANGUAGES,
               intent_model: Any | None = None) -> pd.DataFrame:
    """Language, sentiment and intents per post, with the words behind each intent.

    Args:
        texts: Post texts.
        rules: Intent rules (the default set unless a company configures its own).
        sentiment: A sentiment model with ``score`` in [-1, 1] and ``predict`` (its
            classes); VADER when ``None``.
        sentiment_languages: Languages the sentiment model reads; posts in any other are
            left unscored (``sentiment`` NaN, ``sentiment_label`` ``"unscored"``), never
            scored as if they were English. Pass every code a multilingual model was
            trained on (``UNDETERMINED`` included) to score them all.
        intent_model: A trained :class:`~analytics.understanding.model.TextClassifier`;
            its predicted class becomes ``intent_model_label`` beside the rules.

    Returns:
        One row per text, in order: ``language``, ``language_confidence``, ``sentiment``
        (float or NaN), ``sentiment_label`` (``negative``/``neutral``/``positive``/
        ``unscored``), one ``intent_<name>`` score column per rule, ``intents`` (names
        flagged, strongest first, ``|``-joined), ``intent_evidence`` (JSON object: intent
        → the cues found), and ``intent_model_label`` when a model is given.

    Example:
        >>> frame = understand(["My order never arrived, I want a refund"])
        >>> frame.loc[0, "intents"], frame.loc[0, "language"]
        ('complaint', 'en')
    """
    if sentiment is None:
        from analytics.sentiment import VaderScorer

        sentiment = VaderScorer()
    texts = ["" if t is None else str(t) for t in texts]
    # Each distinct text is understood once: every step reads one text at a time, and
    # copies are common (reposts, a stock reply, a bot's message).
    codes, distinct = pd.factorize(pd.Series(texts, dtype=object), sort=False)
    if len(distinct) < len(texts):
        frame = _understand(distinct.tolist(), rules, sentiment, sentiment_languages,
                            intent_model)
        return frame.take(codes).reset_index(drop=True)
    return _understand(texts, rules, sentiment, sentiment_languages, intent_model)


def _understand(texts: list[str], rules: Sequence[IntentRule], sentiment: SentimentModel,
                sentiment_languages: Collection[str], intent_model: Any | None
                ) -> pd.DataFrame:
    languages, confidence = detect_languages(texts)
    readable = np.fromiter((lang in sentiment_languages for lang in languages), dtype=bool,
                           count=len(texts))
    values = np.full(len(texts), np.nan)
    labels = np.full(len(texts), "unscored", dtype=object)
    chosen = [texts[i] for i in np.flatnonzero(readable)]
    if chosen:
        from analytics.sentiment import score_and_predict

        values[readable], labels[readable] = score_and_predict(sentiment, chosen)
    intents = score_intents(texts, rules)
    frame = pd.DataFrame({"language": languages, "language_confidence": confidence,
                          "sentiment": values, "sentiment_label": labels})
    for j, name in enumerate(intents.names):
        frame[f"intent_{name}"] = intents.scores[:, j]
    frame["intents"] = _flagged(intents.names, intents.scores, intents.flags)
    frame["intent_evidence"] = [json.dumps(e, ensure_ascii=False) if e else "{}"
                                for e in intents.evidence]
    if intent_model is not None:
        frame["intent_model_label"] = intent_model.predict(texts) if texts else []
    return frame


def _flagged(names: list[str], scores: np.ndarray, flags: np.ndarray) -> list[str]:
    out = [""] * len(scores)
    for i in np.flatnonzero(flags.any(axis=1)).tolist():
        row = scores[i].tolist()
        chosen = sorted((j for j in range(len(names)) if flags[i, j]), key=lambda j: -row[j])
        out[i] = "|".join(names[j] for j in chosen)
    return out
