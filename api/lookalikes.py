"""Lookalike prospects as a ranking page (``engagementTargets(kind: LOOKALIKE)``):
computed per request by :func:`analytics.job.prospect_lookalikes`."""

from __future__ import annotations

from dataclasses import replace

from graph.store import GraphStore, ScoredAccount

__all__ = ["lookalike_page"]


def lookalike_page(store: GraphStore, first: int, after_rank: int) -> list[ScoredAccount]:
    """Up to ``first`` prospects ranked after ``after_rank``, each with the latest run's
    scores and the lookalike reasons as its explanation (``explanations["lookalike"]``)."""
    from analytics.job import prospect_lookalikes

    result = prospect_lookalikes(store)
    page = result.ranking.iloc[after_rank:after_rank + first]
    keys = [str(k) for k in page.index]
    accounts = store.get_accounts(keys)
    out = []
    for key, row in zip(keys, page.itertuples(), strict=True):
        scores = store.account_scores(key)
        if key not in accounts or scores is None:
            continue
        reasons = result.reasons.get(key, [])
        out.append(ScoredAccount(
            kind="lookalike", rank=int(row.rank), score=float(row.score),
            account=accounts[key],
            scores=replace(scores, explanations={**scores.explanations, "lookalike": reasons})))
    return out
