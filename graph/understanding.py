"""What storing a post's understanding means, shared by both adapters.

:func:`analytics.understanding.understand` gives a frame per batch of posts; the
adapters store the same columns, built here once as an Arrow table (no dict per post
for the embedded COPY-speed path; the Neo4j adapter turns it into rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["EXPORT_COLUMNS", "UNDERSTANDING_FIELDS", "tone", "understanding_table"]

# Post properties an understood post has, with their Arrow types, in write order.
UNDERSTANDING_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("sentiment", pa.float64()),
    ("sentiment_label", pa.string()),
    ("language", pa.string()),
    ("language_confidence", pa.float64()),
    ("intents", pa.string()),
    ("intent_evidence", pa.string()),
    ("intent_model_label", pa.string()),
)

# What ``export_post_understanding`` gives per post (both adapters, for ``graph.migrate``):
# a post is understood when it has a language; one scored on arrival has a sentiment only.
EXPORT_COLUMNS: tuple[str, ...] = (
    "key", "sentiment_model", *(name for name, _ in UNDERSTANDING_FIELDS))


def understanding_table(keys: Sequence[str], frame: pd.DataFrame) -> pa.Table:
    """``key`` plus :data:`UNDERSTANDING_FIELDS` from an ``understand`` frame.

    NaN sentiment (unscored) becomes null; a column the frame lacks
    (``intent_model_label`` without an intent model) is all null.

    Raises:
        ValueError: When ``keys`` and ``frame`` differ in length.
    """
    if len(keys) != len(frame):
        raise ValueError(f"{len(keys)} keys for {len(frame)} understood posts")
    columns: dict[str, pa.Array] = {"key": pa.array(list(keys), pa.string())}
    n = len(frame)
    for name, kind in UNDERSTANDING_FIELDS:
        if name not in frame:
            columns[name] = pa.nulls(n, kind)
        elif kind == pa.float64():
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            columns[name] = pa.array(values, kind, mask=np.isnan(values))
        else:
            columns[name] = pa.array(frame[name].astype(object).where(frame[name].notna(), None)
                                     .tolist(), kind)
    return pa.table(columns)


_TONES = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
#: VADER's band on a compound score: negative at or below, positive at or above (the
#: tone of a post not understood yet; the care queue's need, the alerts' negative share)
NEGATIVE_AT, POSITIVE_AT = -0.05, 0.05


def tone(labels: Sequence[object], scores: np.ndarray) -> np.ndarray:
    """Each post's sentiment class as a number: -1 negative, 0 neutral, 1 positive, NaN
    unscored. A post not understood yet (no label) falls back to VADER's ±0.05 band on
    its score (NaN without one)."""
    values = np.asarray(scores, dtype=float)
    band = np.where(np.isnan(values), np.nan,
                    np.where(values <= NEGATIVE_AT, -1.0,
                             np.where(values >= POSITIVE_AT, 1.0, 0.0)))
    out = np.array([_TONES.get(label, np.nan) if isinstance(label, str) else np.nan
                    for label in labels], dtype=float)
    known = np.array([isinstance(label, str) for label in labels], dtype=bool)
    return np.where(known, out, band) if len(out) else out
