"""Incremental analysis: communities carried over after a little new data, detected
afresh after a lot, and the placement of newcomers by their neighbours."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.community import extend_partition, undirected
from analytics.job import AnalysisParams, run_analysis
from graph.embedded import EmbeddedStore
from graph.model import Account, Post, PostKind
from graph.store import GraphBatch


def test_newcomers_join_the_community_they_talk_to() -> None:
    # two triangles (0-1-2, 3-4-5); 6 talks to 3 and 4, 7 only to 6, 8 to nobody
    src = np.array([0, 1, 2, 3, 4, 5, 6, 6, 7])
    dst = np.array([1, 2, 0, 4, 5, 3, 3, 4, 6])
    a = undirected(9, src, dst, None)
    previous = np.array([0, 0, 0, 1, 1, 1, -1, -1, -1])
    known = previous >= 0
    labels = extend_partition(a, previous, known)
    assert labels[0] == labels[1] == labels[2] != labels[3]
    assert labels[6] == labels[3] == labels[4] == labels[5]  # by its neighbours
    assert labels[7] == labels[6]  # a chain follows its anchor
    assert labels[8] not in labels[:8]  # alone: its own community


def test_a_small_increment_keeps_the_communities(demo_copy: Path) -> None:
    path = demo_copy
    with EmbeddedStore(path) as store:
        first = store.latest_run()
        assert first is not None and first.stats["communities_from"] == "detected"
        before = store.score_frame(columns=("community",))["community"]
        # a handful of new replies: far below the 5% refresh threshold
        store.write_batch(GraphBatch(
            accounts=[Account("twitter", "newbie", followers=3)],
            posts=[Post(platform="twitter", post_id=f"new{i}", author_handle="newbie",
                        created_at=datetime(2026, 11, 1, 12, i, tzinfo=UTC),
                        text="@danarides how do you like it?", kind=PostKind.POST,
                        mentions=("danarides",)) for i in range(3)]))
        second = run_analysis(store)
        assert second.stats["communities_from"].startswith("carried over")
        after = store.score_frame(columns=("community",))["community"]
        old = pd.DataFrame({"before": before, "after": after.drop("twitter:newbie")})
        assert (old.groupby("before")["after"].nunique() == 1).all()  # same groups,
        assert (old.groupby("after")["before"].nunique() == 1).all()  # maybe renumbered
        assert after["twitter:newbie"] == after["twitter:danarides"]
        assert second.stats["communities_detected_at"] == first.stats["communities_detected_at"]
        # --full (no warm start) detects them again
        third = run_analysis(store, AnalysisParams(warm_start=False))
        assert third.stats["communities_from"] == "detected"
