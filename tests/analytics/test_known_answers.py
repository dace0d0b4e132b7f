"""Known-answer tests against published results (networkx, Neo4j GDS docs, SNAP, Orbit)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from analytics.community import (
    RESOLUTION,
    betweenness,
    louvain,
    modularity,
    participation_coefficient,
)
from analytics.pagerank import gds_pagerank, hits, pagerank, pagerank_networkx
from analytics.scoring import orbit_love, orbit_reach

VARIANTS = [pagerank, pagerank_networkx]


def _arrays(edges: list[tuple], names: list[str] | None = None):
    names = names or sorted({e[0] for e in edges} | {e[1] for e in edges})
    index = {n: i for i, n in enumerate(names)}
    src = np.array([index[e[0]] for e in edges])
    dst = np.array([index[e[1]] for e in edges])
    w = np.array([e[2] if len(e) > 2 else 1.0 for e in edges], dtype=float)
    return names, src, dst, w


@pytest.mark.parametrize("variant", VARIANTS)
def test_karate_club_unweighted(variant) -> None:
    g = nx.karate_club_graph()
    edges = [(u, v) for u, v in g.edges()] + [(v, u) for u, v in g.edges()]
    src = np.array([e[0] for e in edges])
    dst = np.array([e[1] for e in edges])
    pr = variant(34, src, dst, None, alpha=0.85)  # networkx's defaults: tol 1e-6
    assert pr[33] == pytest.approx(0.1009179, abs=1e-6)
    assert pr[0] == pytest.approx(0.0970018, abs=1e-6)
    assert pr[32] == pytest.approx(0.0716921, abs=1e-6)


@pytest.mark.parametrize("variant", VARIANTS)
def test_networkx_test_graph_alpha_09(variant) -> None:
    edges = [(1, 2), (1, 3), (3, 1), (3, 2), (3, 5), (4, 5), (4, 6), (5, 4), (5, 6), (6, 4)]
    src = np.array([u - 1 for u, _ in edges])
    dst = np.array([v - 1 for _, v in edges])
    pr = variant(6, src, dst, None, alpha=0.9, tol=1e-10, max_iter=1000)
    expected = [0.03721197, 0.05395735, 0.04150565, 0.37508082, 0.20599833, 0.28624589]
    assert pr == pytest.approx(expected, abs=1e-6)


PAGES = [("Home", "About", 0.2), ("Home", "Links", 0.2), ("Home", "Product", 0.6),
         ("About", "Home", 1.0), ("Product", "Home", 1.0), ("Site A", "Home", 1.0),
         ("Site B", "Home", 1.0), ("Site C", "Home", 1.0), ("Site D", "Home", 1.0),
         ("Links", "Home", 0.8), ("Links", "Site A", 0.05), ("Links", "Site B", 0.05),
         ("Links", "Site C", 0.05), ("Links", "Site D", 0.05)]


def test_gds_pages_graph_to_the_last_digit() -> None:
    names, src, dst, w = _arrays(PAGES)
    at = {n: i for i, n in enumerate(names)}
    plain = gds_pagerank(len(names), src, dst)
    weighted = gds_pagerank(len(names), src, dst, w)
    personal = gds_pagerank(len(names), src, dst, source_nodes=[at["Site A"]])
    assert plain[at["Home"]] == pytest.approx(3.215681999884452, abs=1e-9)
    assert plain[at["About"]] == pytest.approx(1.0542700552146722, abs=1e-9)
    assert plain[at["Site A"]] == pytest.approx(0.3278578964488539, abs=1e-9)
    assert weighted[at["Home"]] == pytest.approx(3.53751028396339, abs=1e-9)
    assert weighted[at["Product"]] == pytest.approx(1.9357838291651097, abs=1e-9)
    assert weighted[at["About"]] == pytest.approx(0.7452612763883698, abs=1e-9)
    assert weighted[at["Site B"]] == pytest.approx(0.18152677135466103, abs=1e-9)
    assert personal[at["Home"]] == pytest.approx(0.39902290442518784, abs=1e-9)
    assert personal[at["Site A"]] == pytest.approx(0.16890325301726694, abs=1e-9)
    assert personal[at["Site B"]] == pytest.approx(0.01890325301726691, abs=1e-9)


@pytest.mark.parametrize("variant", VARIANTS)
def test_pages_graph_ordering_matches_gds_and_networkx(variant) -> None:
    """Our PageRank is normalised and converged (networkx's definition), GDS's is not:
    the values differ by definition, the order must not."""
    names, src, dst, w = _arrays(PAGES)
    at = {n: i for i, n in enumerate(names)}
    pr = variant(len(names), src, dst, w, tol=1e-10, max_iter=1000)
    assert pr[at["Home"]] == pytest.approx(0.46067, abs=1e-4)
    assert pr[at["Product"]] == pytest.approx(0.25370, abs=1e-4)
    assert pr[at["About"]] == pytest.approx(0.09707, abs=1e-4)
    order = np.argsort(-pr, kind="stable")
    gds_order = np.argsort(-gds_pagerank(len(names), src, dst, w), kind="stable")
    assert [names[i] for i in order] == [names[i] for i in gds_order]


def test_personalized_pagerank_matches_networkx() -> None:
    names, src, dst, w = _arrays(PAGES)
    p = np.zeros(len(names))
    p[names.index("Site A")] = 1.0
    ours = pagerank(len(names), src, dst, w, personalization=p, tol=1e-10, max_iter=1000)
    theirs = pagerank_networkx(len(names), src, dst, w, personalization=p, tol=1e-10, max_iter=1000)
    assert ours == pytest.approx(theirs, abs=1e-8)


def test_warm_start_converges_to_the_same_answer() -> None:
    g = nx.gnp_random_graph(300, 0.03, seed=1, directed=True)
    src = np.array([u for u, _ in g.edges()])
    dst = np.array([v for _, v in g.edges()])
    cold = pagerank(300, src, dst, tol=1e-10, max_iter=1000)
    warm = pagerank(300, src, dst, tol=1e-10, max_iter=1000, start=cold * 1.1)
    assert warm == pytest.approx(cold, abs=1e-9)


def test_hits_matches_networkx() -> None:
    g = nx.DiGraph([(1, 2), (1, 3), (3, 1), (3, 2), (3, 5), (4, 5), (4, 6), (5, 4), (5, 6),
                    (6, 4)])
    h_nx, a_nx = nx.hits(g, tol=1e-10, max_iter=1000)
    src = np.array([u - 1 for u, _ in g.edges()])
    dst = np.array([v - 1 for _, v in g.edges()])
    hubs, auths = hits(6, src, dst, tol=1e-12)
    assert hubs == pytest.approx([h_nx[i] for i in range(1, 7)], abs=1e-6)
    assert auths == pytest.approx([a_nx[i] for i in range(1, 7)], abs=1e-6)


BETWEEN = [("Alice", "Carol", 1.0), ("Bob", "Carol", 1.0), ("Carol", "Dan", 1.0),
           ("Carol", "Eve", 1.3), ("Dan", "Frank", 1.0), ("Eve", "Frank", 0.5),
           ("Frank", "Gale", 1.0)]


def test_gds_betweenness() -> None:
    names, src, dst, w = _arrays(BETWEEN)
    at = {n: i for i, n in enumerate(names)}
    directed = betweenness(len(names), src, dst)
    assert [directed[at[n]] for n in ("Carol", "Frank", "Dan", "Eve", "Alice")] == \
        [8, 5, 3, 3, 0]
    undirected = betweenness(len(names), src, dst, directed=False)
    assert [undirected[at[n]] for n in ("Carol", "Frank", "Dan", "Eve")] == [9.5, 5.5, 3, 3]
    weighted = betweenness(len(names), src, dst, w)
    assert [weighted[at[n]] for n in ("Carol", "Eve", "Frank", "Dan")] == [8, 6, 5, 0]


LOUVAIN = [("Alice", "Bridget", 1.0), ("Alice", "Charles", 1.0), ("Charles", "Bridget", 1.0),
           ("Alice", "Doug", 5.0), ("Mark", "Doug", 1.0), ("Mark", "Michael", 1.0),
           ("Mark", "Michael", 1.0)]


def _partition(names: list[str], membership: np.ndarray) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for name, c in zip(names, membership, strict=True):
        groups.setdefault(int(c), set()).add(name)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("method", ["leiden", "louvain", "networkx"])
def test_gds_louvain_partitions(method: str) -> None:
    names, src, dst, w = _arrays(LOUVAIN)
    plain, q = louvain(len(names), src, dst, None, method=method)
    assert _partition(names, plain) == {frozenset({"Alice", "Bridget", "Charles"}),
                                        frozenset({"Doug", "Mark", "Michael"})}
    assert q == pytest.approx(5 / 14)
    weighted, _ = louvain(len(names), src, dst, w, method=method)
    assert _partition(names, weighted) == {frozenset({"Alice", "Doug"}),
                                           frozenset({"Bridget", "Charles"}),
                                           frozenset({"Mark", "Michael"})}


def test_bridges_have_high_participation() -> None:
    # two triangles joined through one bridge account (6)
    edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (6, 0), (6, 3)]
    src = np.array([u for u, _ in edges])
    dst = np.array([v for _, v in edges])
    membership, _ = louvain(7, src, dst)
    pc = participation_coefficient(7, src, dst, None, membership)
    assert int(np.argmax(pc)) == 6 and pc[6] == pytest.approx(0.5)
    assert pc[1] == 0.0


def test_email_eu_core_communities_beat_the_networkx_baseline(shared_data: Path) -> None:
    edges = np.loadtxt(shared_data / "networks" / "email-Eu-core.txt", dtype=np.int64)
    labels = np.loadtxt(shared_data / "networks" / "email-Eu-core-department-labels.txt",
                        dtype=np.int64)
    keep = edges[:, 0] != edges[:, 1]
    pairs = np.unique(np.sort(edges[keep], axis=1), axis=0)
    truth = labels[np.argsort(labels[:, 0]), 1]
    for seed in (0, 1, 2):  # the analysis job's resolution, whatever the seed
        membership, _ = louvain(1005, pairs[:, 0], pairs[:, 1], seed=seed,
                                resolution=RESOLUTION)
        nmi = normalized_mutual_info_score(truth, membership)
        assert nmi >= 0.60  # networkx louvain, seeds 0-9: mean NMI 0.568
    q = modularity(1005, pairs[:, 0], pairs[:, 1], None, membership)
    assert adjusted_rand_score(truth, membership) > 0.25
    assert q > 0.40


def test_orbit_model_examples() -> None:
    assert orbit_reach([4, 3, 1, 7]) == 15.0  # reach(Jennifer) in the Orbit README
    assert orbit_reach([7], [3]) == pytest.approx(5.103)  # an idle strength-7 tie, 3 months
    assert orbit_love([1.0, 1.0]) == pytest.approx(1.9)
