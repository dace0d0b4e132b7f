"""Posts as they arrive: sentiment scored before they are written, so they reach the care
queue in seconds.

``scrm analyze`` scores every post that has no sentiment yet; a live source cannot wait
for it (the care queue shows only negative posts, and a post without a score is not
negative). :class:`ArrivalSentiment` scores a batch's posts with the model ``analyze``
uses (the trained model beside the database, else VADER) *before* the batch is written,
so each post is stored with its score in the batch's one transaction (``analyze`` later
skips them: they have one). Writing the scores afterwards, as a second statement, is not
safe on LadybugDB 0.22 while another connection reads (the update can be lost:
``tests/store/test_read_while_writing.py``), and costs a second transaction.

Scoring is pure Python (VADER: about a fifth of the GIL a 2,000 posts/s stream takes in
the writer), so the server scores in a process of its own (:func:`scoring_process`,
``SCRM_SCORING_PROCESS``): only the texts go there and only the numbers come back, so
the writer's GIL is left to writes and requests. Should that process die, the posts are
scored here and the stream goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from analytics.job import sentiment_model_path
from graph.model import Post
from ingest.loader import Unit

__all__ = ["ArrivalSentiment", "arrival_sentiment", "score_texts", "scoring_process"]

log = logging.getLogger(__name__)


class ArrivalSentiment:
    """Scores arriving posts (``title text``) in place, in loader units.

    Args:
        location: The store's location (where a trained model would be kept).
        pool: Where the texts are scored (:func:`scoring_process`); None: here.
    """

    def __init__(self, location: str, pool: Executor | None = None) -> None:
        from analytics.sentiment import TrainedSentimentModel, VaderScorer

        self.location = location
        self.pool = pool
        path = sentiment_model_path(location)
        self.scorer: Any
        if path.exists():
            self.scorer = TrainedSentimentModel.load(path)
            self.model = f"trained:{path.name}"
        else:
            self.scorer = VaderScorer()
            self.model = "vader"
        self.scored = 0

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickled as its location: another process (``follow``'s pool) loads the model
        once and keeps it."""
        return arrival_sentiment, (self.location,)

    def score(self, posts: Sequence[Post]) -> list[Post]:
        """The posts with their sentiment (those that have one already are kept)."""
        todo = [i for i, p in enumerate(posts) if p.sentiment is None]
        if not todo:
            return list(posts)
        texts = [f"{posts[i].title} {posts[i].text}".strip() if posts[i].title
                 else posts[i].text for i in todo]
        out = list(posts)
        for i, value in zip(todo, self._values(texts), strict=True):
            out[i] = posts[i].scored(float(value), self.model)
        self.scored += len(todo)
        return out

    def _values(self, texts: list[str]) -> Sequence[float]:
        if self.pool is not None:
            try:
                return self.pool.submit(score_texts, self.location, texts).result()
            except Exception as exc:  # noqa: BLE001 - a dead process, never the stream
                log.warning("The scoring process failed (%s); scoring here from now on.",
                            exc)
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
        return self.scorer.score(texts)  # type: ignore[no-any-return]

    def __call__(self, units: Sequence[Unit]) -> None:
        """Score every post of ``units`` in place (before they are loaded)."""
        where = [(u, i) for u in units for i, r in enumerate(u.records) if isinstance(r, Post)]
        scored = self.score([u.records[i] for u, i in where])  # type: ignore[misc]
        for (unit, i), post in zip(where, scored, strict=True):
            unit.records[i] = post


_LOADED: dict[str, ArrivalSentiment] = {}


def arrival_sentiment(location: str) -> ArrivalSentiment:
    """This process's :class:`ArrivalSentiment` for ``location`` (loaded once)."""
    found = _LOADED.get(location)
    if found is None:
        found = _LOADED[location] = ArrivalSentiment(location)
    return found


def score_texts(location: str, texts: list[str]) -> list[float]:
    """Scores of ``texts`` by this process's scorer for ``location`` (a pool's worker)."""
    return [float(v) for v in arrival_sentiment(location).scorer.score(texts)]


def scoring_process() -> ProcessPoolExecutor:
    """One process that scores texts for :class:`ArrivalSentiment` (spawned, so it holds
    no copy of the server's threads or database handles; it loads its model on first
    use and keeps it)."""
    import multiprocessing

    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
