"""Time decay never erases an era: the shared 2014–2016 Reddit thread loaded beside the
2026 demo keeps its communities and its most-replied author's engagement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.community import modularity
from analytics.job import run_analysis
from graph.embedded import EmbeddedStore
from ingest.pipeline import ingest_paths


def _thread(store: EmbeddedStore, shared: Path, rejects: Path) -> None:
    reddit = shared / "reddit"
    ingest_paths(store, "reddit", [reddit / "submissions.jsonl", reddit / "comments.jsonl"],
                 rejects_dir=rejects)


def _thread_modularity(scores: pd.DataFrame, keys: list[str], edges: pd.DataFrame) -> float:
    at = {k: i for i, k in enumerate(keys)}
    src = np.array([at.get(str(k), -1) for k in edges["src"]])
    dst = np.array([at.get(str(k), -1) for k in edges["dst"]])
    ok = (src >= 0) & (dst >= 0) & (src != dst)
    membership = pd.factorize(scores.loc[keys, "community"])[0]
    return modularity(len(keys), src[ok], dst[ok], None, membership)


@pytest.mark.slow
def test_an_old_thread_keeps_its_communities_and_engagement(
        shared_data: Path, demo_copy: Path, tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "alone.lbdb") as store:
        _thread(store, shared_data, tmp_path)
        run_analysis(store)
        alone = store.score_frame(columns=("community", "engagement"))
        edges = store.interaction_frame(sentiment=False)[["src", "dst"]]
    keys = sorted(str(k) for k in alone.index)
    with EmbeddedStore(demo_copy) as store:
        _thread(store, shared_data, tmp_path)
        run_analysis(store)
        mixed = store.score_frame(columns=("community", "engagement"))

    assert abs(_thread_modularity(mixed, keys, edges)
               - _thread_modularity(alone, keys, edges)) <= 0.02
    assert mixed.loc[keys, "community"].nunique() >= 0.8 * alone["community"].nunique()
    top = str(alone["engagement"].idxmax())
    # Still the thread's most-replied author, with engagement of the order of its replies
    # (floor 0.05 per reply), not the 1e-12 that 40 half-lives of decay leave.
    assert str(mixed.loc[keys, "engagement"].idxmax()) == top
    assert mixed.loc[top, "engagement"] >= 0.05 * alone.loc[top, "engagement"]
