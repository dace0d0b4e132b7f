"""Interaction weighting and influence within a group (``analytics.influence``)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from analytics.influence import (
    INTERACTION_KINDS,
    group_influence,
    interaction_weights,
    kind_weights_from_params,
)


def test_group_influence_matches_networkx_personalised_pagerank() -> None:
    g = nx.karate_club_graph()
    edges = [(a, b) for a, b in g.edges()] + [(b, a) for a, b in g.edges()]
    src = np.array([a for a, _ in edges])
    dst = np.array([b for _, b in edges])
    weight = np.array([1.0 + (a + b) % 3 for a, b in edges])
    seed = np.zeros(g.number_of_nodes())
    seed[[0, 4, 5]] = [1.0, 2.0, 1.0]
    digraph = nx.DiGraph()
    digraph.add_nodes_from(g.nodes())
    for a, b, w in zip(src, dst, weight, strict=True):
        digraph.add_edge(int(a), int(b), weight=float(w))
    theirs = nx.pagerank(digraph, alpha=0.85, weight="weight", tol=1e-12, max_iter=1000,
                         personalization={i: float(s) for i, s in enumerate(seed)})
    ranking = group_influence(len(seed), src, dst, weight=weight, seed=seed, first=34)
    expected = sorted(theirs, key=lambda k: -theirs[k])
    top = theirs[expected[0]]
    assert ranking.seeds == 3
    assert ranking.scores == pytest.approx([theirs[int(j)] / top for j in ranking.positions],
                                           abs=2e-4)
    assert ranking.positions[0] == expected[0]
    assert ranking.in_group.tolist() == [bool(seed[j] > 0) for j in ranking.positions]


def test_group_influence_without_seeds_is_empty() -> None:
    ranking = group_influence(3, np.array([0]), np.array([1]), weight=None, seed=np.zeros(3))
    assert ranking.seeds == 0 and len(ranking.positions) == 0


def test_interaction_weights_by_kind_and_half_life() -> None:
    day = 86400.0
    kind = np.array([0, 1, 2, 3, -1, 0])
    created = np.array([10 * day, 10 * day, 10 * day, 10 * day, 10 * day, 0.0])
    per_kind = kind_weights_from_params({"mention_weight": 0.25})
    assert list(per_kind) == list(INTERACTION_KINDS)
    w = interaction_weights(kind, created, weight=per_kind, half_life_days=10.0)
    assert w.tolist() == pytest.approx([1.0, 0.25, 1.0, 1.0, 0.0, 0.5])


def test_interaction_weights_measure_decay_from_the_newest_valid_interaction() -> None:
    day = 86400.0
    created = np.array([0.0, 5 * day, 100 * day])
    valid = np.array([True, True, False])
    w = interaction_weights(np.zeros(3, dtype=int), created, weight={"reply": 1.0},
                            half_life_days=5.0, valid=valid)
    assert w[:2].tolist() == pytest.approx([0.5, 1.0])
