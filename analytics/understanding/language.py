"""Language of each post: py3langid (langid.py's naive Bayes model, 97 languages, shipped
inside the package; no download at run time).

Mentions, links, hashtags' ``#`` and ``RT`` markers are removed first: "@user" and URLs
are not words of any language. A post with fewer than ``min_letters`` letters left (an
emoji, a link) is ``und`` (undetermined), as is one whose best language has a normalised
probability below ``min_confidence``.

References:
    Lui, Baldwin. langid.py: An Off-the-shelf Language Identification Tool (ACL 2012).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["UNDETERMINED", "detect_languages"]

UNDETERMINED = "und"
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\bRT\b|&\w+;|\\u[0-9a-fA-F]{4}")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_languages(texts: Sequence[str], *, min_letters: int = 3,
                     min_confidence: float = 0.5) -> tuple[list[str], np.ndarray]:
    """ISO 639-1 code (or ``und``) and its probability for each text.

    Args:
        texts: Post texts.
        min_letters: Fewer letters than this (after removing mentions and links) give
            ``und``.
        min_confidence: A best language less probable than this gives ``und``.

    Returns:
        The codes and a float array of confidences (0 for texts too short to read).

    Example:
        >>> detect_languages(["Das ist wirklich ein schöner Tag heute", "👍"])[0]
        ['de', 'und']
    """
    classify = _identifier().classify
    codes: list[str] = []
    confidence = np.zeros(len(texts))
    for i, text in enumerate(texts):
        cleaned = _NOISE.sub(" ", text or "")
        if sum(ch.isalpha() for ch in cleaned) < min_letters:
            codes.append(UNDETERMINED)
            continue
        code, conf = classify(cleaned)
        confidence[i] = conf
        codes.append(code if conf >= min_confidence else UNDETERMINED)
    return codes, confidence
