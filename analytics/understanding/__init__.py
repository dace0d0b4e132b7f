"""Post understanding: language, sentiment and intents, with the words behind them.

``understand(texts) -> frame`` is the entry point (:mod:`.pipeline`); trained intent
models live in :mod:`.model`, metrics in :mod:`.metrics`.
"""

from __future__ import annotations

from analytics.understanding.intents import (
    DEFAULT_INTENTS,
    IntentRule,
    IntentScores,
    rules_from_mapping,
    score_intents,
)
from analytics.understanding.language import UNDETERMINED, detect_languages
from analytics.understanding.metrics import classification_report
from analytics.understanding.pipeline import VADER_LANGUAGES, understand

__all__ = [
    "DEFAULT_INTENTS",
    "UNDETERMINED",
    "VADER_LANGUAGES",
    "IntentRule",
    "IntentScores",
    "classification_report",
    "detect_languages",
    "rules_from_mapping",
    "score_intents",
    "understand",
]
