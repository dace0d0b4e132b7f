"""Communities (Louvain/Leiden), modularity, bridges (participation coefficient), betweenness.

All functions take integer edge arrays; direction is ignored for communities
(an interaction ties two accounts whoever started it) and parallel edges add up.
The compiled paths are used where they exist: Leiden via igraph (better
partitions than Louvain, and fast), networkit's PLM, else networkx.

References:
    Blondel et al. Fast unfolding of communities in large networks (2008).
    Traag, Waltman, van Eck. From Louvain to Leiden (2019).
    Fortunato, Barthélemy. Resolution limit in community detection (PNAS 2007).
    Guimerà, Amaral. Functional cartography of complex metabolic networks (2005).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

LARGE_GRAPH_EDGES = 500_000
MIN_COMPONENT = 30
RESOLUTION = 1.2
"""The analysis job's modularity resolution (:func:`louvain` itself defaults to 1.0,
the published known answers'). At 1.0 Leiden merges groups that people name apart:
on email-Eu-core (42 departments) it finds 27 communities, NMI 0.53–0.60 over seeds
0–9; at 1.2, NMI 0.61–0.63 at the same modularity ±0.01 (bench/community_quality.py).
Marketers act on the smaller groups (a product line's users, not the whole forum)."""
"""Connected components this small are one community each; larger ones are
detected on their own (:func:`louvain`)."""

__all__ = [
    "LARGE_GRAPH_EDGES",
    "approximate_betweenness",
    "betweenness",
    "extend_partition",
    "louvain",
    "modularity",
    "participation_coefficient",
    "undirected",
]


def undirected(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None
               ) -> sp.csr_matrix:
    """The symmetric weighted adjacency matrix (self-loops dropped, parallel edges summed).

    Building it is the costly part on ten million edges: build it once and pass it as
    ``adjacency`` to :func:`louvain`, :func:`modularity` and
    :func:`participation_coefficient`."""
    w = np.ones(len(src)) if weight is None else np.asarray(weight, float)
    keep = np.asarray(src) != np.asarray(dst)
    m = sp.coo_matrix((w[keep], (np.asarray(src)[keep], np.asarray(dst)[keep])), shape=(n, n))
    return (m + m.T).tocsr()  # symmetric; each undirected edge weight appears twice


def modularity(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None,
               membership: np.ndarray, *, resolution: float = 1.0,
               adjacency: sp.csr_matrix | None = None) -> float:
    """Newman modularity of a partition on the undirected weighted graph."""
    a = (adjacency if adjacency is not None else undirected(n, src, dst, weight)).tocsr()
    two_m = a.sum()
    if two_m == 0:
        return 0.0
    k = np.asarray(a.sum(axis=1)).ravel()
    same = membership[_rows(a)] == membership[a.indices]
    internal = a.data[same].sum()
    groups = np.bincount(membership, weights=k)
    return float(internal / two_m - resolution * np.sum((groups / two_m) ** 2))


def _rows(a: sp.csr_matrix) -> np.ndarray:
    """The row of each stored entry of a CSR matrix (what COO would hold, without
    copying the values and columns too)."""
    return np.repeat(np.arange(a.shape[0], dtype=a.indices.dtype), np.diff(a.indptr))


def _relabel(membership: np.ndarray) -> np.ndarray:
    """Community ids 0..k-1, largest community first (ties by smallest member)."""
    ids, inverse, counts = np.unique(membership, return_inverse=True, return_counts=True)
    first = np.full(len(ids), len(membership))
    np.minimum.at(first, inverse, np.arange(len(membership)))
    order = np.lexsort((first, -counts))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    return rank[inverse]


def louvain(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None = None, *,
            seed: int = 0, resolution: float = 1.0, method: str = "auto",
            initial_membership: np.ndarray | None = None,
            adjacency: sp.csr_matrix | None = None) -> tuple[np.ndarray, float]:
    """Community membership and its modularity.

    Parameters:
        method: ``auto`` (default: igraph's Leiden below ``LARGE_GRAPH_EDGES`` edges,
            networkit's parallel Leiden, three iterations, above: on the 1M-account
            benchmark graph it reaches PLM's modularity in 60% of the time; run on one
            thread, so the same input and seed give the same partition), ``leiden``
            (igraph), ``parallel-leiden`` (networkit), ``louvain`` (igraph multilevel),
            ``plm`` (networkit's parallel Louvain), or ``networkx``.
        initial_membership: A previous partition to start from (Leiden only): the
            incremental path, after a little new data.
        adjacency: :func:`undirected` of the same edges, when the caller has it.

    Returns:
        (membership with ids 0..k-1 by size, modularity).

    Example:
        >>> m, q = louvain(4, np.array([0, 2]), np.array([1, 3]))
        >>> bool(m[0] == m[1] and m[0] != m[2])
        True
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    full = adjacency if adjacency is not None else undirected(n, src, dst, weight)
    count, component = csgraph.connected_components(full, directed=False)
    if count == 1:
        membership = _detect(full, seed=seed, resolution=resolution, method=method,
                             initial=initial_membership)
    else:
        membership = _by_component(full, count, component, seed=seed,
                                   resolution=resolution, method=method,
                                   initial=initial_membership)
    membership = _relabel(membership)
    return membership, modularity(n, src, dst, weight, membership, resolution=resolution,
                                  adjacency=full)


def _by_component(full: sp.csr_matrix, count: int, component: np.ndarray, *, seed: int,
                  resolution: float, method: str, initial: np.ndarray | None
                  ) -> np.ndarray:
    """Communities detected in each connected component of at least
    ``MIN_COMPONENT`` accounts on its own; a smaller one is one community.

    Modularity's resolution limit (Fortunato and Barthélemy 2007) merges the
    communities of a small component once the rest of the graph is large: a 2014
    thread of 500 accounts (25 communities alone) beside a much larger 2026 data set
    fell to 14. No community spans two components, so judging each one by its own
    modularity changes nothing else.
    """
    sizes = np.bincount(component, minlength=count)
    membership = component.astype(np.int64).copy()  # small components: one community each
    next_id = count
    order = np.argsort(component, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    for c in np.flatnonzero(sizes >= MIN_COMPONENT):
        nodes = order[bounds[c]:bounds[c + 1]]
        start = None if initial is None else np.unique(
            np.asarray(initial)[nodes], return_inverse=True)[1]
        part = _detect(full[nodes][:, nodes].tocsr(), seed=seed, resolution=resolution,
                       method=method, initial=start)
        membership[nodes] = next_id + part
        next_id += int(part.max()) + 1
    return membership


def _detect(full: sp.csr_matrix, *, seed: int, resolution: float, method: str,
            initial: np.ndarray | None) -> np.ndarray:
    """Raw community ids of one graph (its symmetric adjacency) by ``method``."""
    n = full.shape[0]
    if method == "auto":
        method = "leiden" if full.nnz // 2 < LARGE_GRAPH_EDGES else "parallel-leiden"
    if method in ("plm", "parallel-leiden"):
        a = sp.triu(full, format="csr")  # straight to CSR: no COO copy of 10M edges
    else:
        a = sp.triu(full).tocoo()
    if method in ("leiden", "louvain"):
        import igraph as ig

        g = ig.Graph(n=n, edges=np.column_stack([a.row, a.col]).tolist(), directed=False)
        g.es["weight"] = a.data.tolist()
        import random

        random.seed(seed)
        ig.set_random_number_generator(random)
        if method == "leiden":
            start = None if initial is None else [int(x) for x in initial]
            part = g.community_leiden(objective_function="modularity", weights="weight",
                                      resolution=resolution, n_iterations=-1 if a.nnz < 100_000
                                      else 4, initial_membership=start)
        else:
            part = g.community_multilevel(weights="weight", resolution=resolution)
        return np.asarray(part.membership, dtype=np.int64)
    if method in ("plm", "parallel-leiden"):
        import networkit as nk

        # One thread: with more, the threads' interleaving changes the partition (four
        # runs with seed 0 gave four community counts). On a 200,000-account,
        # 1M-edge graph one thread took 9.2 s a run, two 15.8 s on this shared
        # 2-core machine (BENCHMARKS.md, "Deterministic communities").
        threads = nk.getMaxNumberOfThreads()
        nk.setNumberOfThreads(1)
        try:
            nk.setSeed(seed, False)
            g = nk.graph.GraphFromCsr(a, directed=False, weighted=True)
            del a
            algorithm = nk.community.PLM(g, refine=True, gamma=resolution) \
                if method == "plm" else nk.community.ParallelLeiden(
                    g, iterations=3, gamma=resolution)
            algorithm.run()
            membership = np.asarray(algorithm.getPartition().getVector(), dtype=np.int64)
            del algorithm, g
        finally:
            nk.setNumberOfThreads(threads)
        return membership
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(a.row.tolist(), a.col.tolist(), a.data.tolist(),
                                  strict=True))
    membership = np.zeros(n, dtype=np.int64)
    for i, com in enumerate(nx.community.louvain_communities(
            g, weight="weight", resolution=resolution, seed=seed)):
        membership[list(com)] = i
    return membership


def extend_partition(adjacency: sp.csr_matrix, membership: np.ndarray, known: np.ndarray,
                     *, passes: int = 3) -> np.ndarray:
    """A previous partition carried over to a grown graph, without re-running detection.

    Known accounts keep their community; each new one joins the community it has the
    most interaction weight with among already placed neighbours (a few passes, so a
    chain of newcomers follows its anchor); those with no placed neighbour become
    communities of their own. Right after a small amount of new data this is what a
    full run would mostly find, at a fraction of the cost.
    """
    n = adjacency.shape[0]
    labels = np.where(known, membership, -1).astype(np.int64)
    coo = adjacency.tocoo()
    for _ in range(passes):
        todo = labels < 0
        if not todo.any():
            break
        edge = todo[coo.row] & (labels[coo.col] >= 0)
        if not edge.any():
            break
        rows, groups, weights = coo.row[edge], labels[coo.col[edge]], coo.data[edge]
        votes = sp.coo_matrix((weights, (rows, groups)),
                              shape=(n, int(labels.max()) + 1)).tocsr()
        placed = np.unique(rows)
        labels[placed] = np.asarray(votes[placed].argmax(axis=1)).ravel()
    lonely = labels < 0
    labels[lonely] = labels.max() + 1 + np.arange(int(lonely.sum()))
    return _relabel(labels)


def participation_coefficient(n: int, src: np.ndarray, dst: np.ndarray,
                              weight: np.ndarray | None, membership: np.ndarray, *,
                              adjacency: sp.csr_matrix | None = None) -> np.ndarray:
    """P_i = 1 - Σ_c (k_ic / k_i)²: 0 for accounts that talk within one community,
    towards 1 for those whose ties spread evenly across many (bridges)."""
    a = (adjacency if adjacency is not None else undirected(n, src, dst, weight)).tocsr()
    rows = _rows(a)
    k = np.bincount(rows, weights=a.data, minlength=n)
    if len(a.data) == 0:
        return np.zeros(n)
    k_c = sp.coo_matrix((a.data, (rows, membership[a.indices])),
                        shape=(n, int(membership.max()) + 1)).tocsr()
    del rows
    k_c.data = k_c.data ** 2
    sq = np.asarray(k_c.sum(axis=1)).ravel()
    share = np.divide(sq, k ** 2, out=np.ones_like(sq), where=k > 0)
    return np.where(k > 0, 1.0 - share, 0.0)


def betweenness(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None = None, *,
                directed: bool = True, normalized: bool = False) -> np.ndarray:
    """Exact betweenness (Brandes, via networkx); weights are distances when given."""
    import networkx as nx

    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from(range(n))
    w = np.ones(len(src)) if weight is None else weight
    for u, v, d in zip(src.tolist(), dst.tolist(), np.asarray(w).tolist(), strict=True):
        g.add_edge(u, v, weight=d)
    values = nx.betweenness_centrality(g, normalized=normalized,
                                       weight="weight" if weight is not None else None)
    return np.array([values[i] for i in range(n)])


def approximate_betweenness(n: int, src: np.ndarray, dst: np.ndarray, *, samples: int = 256,
                            seed: int = 0) -> np.ndarray:
    """Betweenness estimated from ``samples`` random sources (networkit), undirected."""
    import networkit as nk

    nk.setSeed(seed, False)
    g = nk.Graph(n, directed=False)
    for u, v in zip(src.tolist(), dst.tolist(), strict=True):
        if u != v and not g.hasEdge(u, v):
            g.addEdge(u, v)
    est = nk.centrality.EstimateBetweenness(g, min(samples, max(n, 1)), normalized=False)
    est.run()
    return np.asarray(est.scores())
