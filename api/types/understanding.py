"""What understanding found in a post: its intents with the words behind them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import strawberry

from analytics.understanding import DEFAULT_INTENTS

__all__ = ["PostIntent", "post_intents"]

_WEIGHTS: dict[str, Mapping[str, float]] = {rule.name: rule.cues for rule in DEFAULT_INTENTS}


@strawberry.type(description="An intent understanding flagged in a post, with the cues "
                              "(words, phrases, punctuation) that drove it.")
class PostIntent:
    name: str = strawberry.field(description="complaint, question, suggestion, praise, "
                                             "purchase, churn, security, or a configured one.")
    score: float | None = strawberry.field(
        description="1 − ∏(1 − weight) over the cues found, in [0, 1] (null for an intent "
                    "outside the default rules).")
    cues: list[str]


def post_intents(intents: str | Sequence[str] | None,
                 evidence: str | Mapping[str, Sequence[str]] | None) -> list[PostIntent]:
    """The flagged intents (``|``-joined or a list, strongest first) with their cues from
    the stored evidence (JSON or a mapping)."""
    names = [n for n in (intents.split("|") if isinstance(intents, str) else intents or ())
             if n]
    if isinstance(evidence, str):
        try:
            found = json.loads(evidence) if evidence else {}
        except ValueError:
            found = {}
    else:
        found = dict(evidence or {})
    out = []
    for name in names:
        cues = [str(c) for c in found.get(name, [])] if isinstance(found, dict) else []
        weights = _WEIGHTS.get(name)
        score = None if weights is None else round(
            1 - math.prod(1 - weights.get(c, 0.0) for c in cues), 4)
        out.append(PostIntent(name=name, score=score, cues=cues))
    return out
