"""Posts as they arrive: sentiment scored at once, so they reach the care queue in seconds.

``scrm analyze`` scores every post that has no sentiment yet; a live source cannot wait
for it (the care queue shows only negative posts, and a post without a score is not
negative). :class:`ArrivalSentiment` scores a committed batch's posts with the same
model ``analyze`` uses (the trained model beside the database, else VADER) and writes
the scores in one statement; ``analyze`` later skips them (they have a score).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analytics.job import sentiment_model_path
from graph.model import Post
from graph.store import GraphStore

__all__ = ["ArrivalSentiment"]


class ArrivalSentiment:
    """Scores arriving posts (``title text``) and writes their sentiment.

    Args:
        location: The store's location (where a trained model would be kept).
    """

    def __init__(self, location: str) -> None:
        from analytics.sentiment import TrainedSentimentModel, VaderScorer

        path = sentiment_model_path(location)
        self.scorer: Any
        if path.exists():
            self.scorer = TrainedSentimentModel.load(path)
            self.model = f"trained:{path.name}"
        else:
            self.scorer = VaderScorer()
            self.model = "vader"
        self.scored = 0

    def __call__(self, store: GraphStore, posts: Sequence[Post]) -> None:
        if not posts:
            return
        texts = [f"{p.title} {p.text}".strip() if p.title else p.text for p in posts]
        values = self.scorer.score(texts)
        store.write_post_sentiment([p.key for p in posts], [float(v) for v in values],
                                   self.model)
        self.scored += len(posts)
