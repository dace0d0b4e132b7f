"""Lookalike prospects as a ranking page (``engagementTargets(kind: LOOKALIKE)``): the
ranking of :func:`analytics.job.prospect_lookalikes`, computed once and kept by the
server until content is written (:data:`LOOKALIKE_MEMO_SECONDS`), then sliced per page."""

from __future__ import annotations

from dataclasses import replace

from analytics.lookalike import Lookalikes
from graph.store import GraphStore, ScoredAccount

__all__ = ["LOOKALIKE_MEMO_SECONDS", "lookalike_page"]

#: how long a server keeps a lookalike ranking it computed when nothing is written (a
#: content write, such as new posts, a link or an analysis run, drops it at once)
LOOKALIKE_MEMO_SECONDS = 600.0


def lookalike_page(store: GraphStore, first: int, after_rank: int,
                   result: Lookalikes) -> list[ScoredAccount]:
    """Up to ``first`` prospects of ``result`` ranked after ``after_rank``, each with the
    latest run's scores and the lookalike reasons as its explanation
    (``explanations["lookalike"]``)."""
    page = result.ranking.iloc[after_rank:after_rank + first]
    keys = [str(k) for k in page.index]
    accounts = store.get_accounts(keys)
    scored = store.scores_for_accounts(keys)  # one read for the page
    out = []
    for key, row in zip(keys, page.itertuples(), strict=True):
        scores = scored.get(key)
        if key not in accounts or scores is None:
            continue
        reasons = result.reasons.get(key, [])
        out.append(ScoredAccount(
            kind="lookalike", rank=int(row.rank), score=float(row.score),
            account=accounts[key],
            scores=replace(scores, explanations={**scores.explanations, "lookalike": reasons})))
    return out
