"""Community quality on SNAP's email-Eu-core against its 42 ground-truth departments.

    python bench/community_quality.py [--determinism]

Undirected, self-loops dropped (1,005 nodes, 16,064 edges). Compares scrm's default
(Leiden via igraph at this size, at the analysis job's resolution) with networkx's
louvain_communities, seeds 0-9. ``--determinism`` also times networkit's parallel
Leiden on a planted 200,000-account, 1M-edge graph with all threads and with one (what
scrm runs), and counts the distinct partitions of three runs with seed 0.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from analytics.community import RESOLUTION, _detect, louvain, modularity, undirected

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "networks"


def main() -> None:
    edges = np.loadtxt(DATA / "email-Eu-core.txt", dtype=np.int64)
    labels = np.loadtxt(DATA / "email-Eu-core-department-labels.txt", dtype=np.int64)
    truth = labels[np.argsort(labels[:, 0]), 1]
    keep = edges[:, 0] != edges[:, 1]
    pairs = np.unique(np.sort(edges[keep], axis=1), axis=0)
    print(f"{len(truth)} nodes, {len(pairs)} undirected edges\n")
    print("| method | seeds | NMI (mean, min–max) | ARI (mean) | modularity | seconds/run |")
    print("|---|---|---:|---:|---:|---:|")
    runs = [(m, 1.0) for m in ("leiden", "plm", "louvain", "networkx")] + [
        ("leiden", RESOLUTION), ("parallel-leiden", RESOLUTION)]
    for method, resolution in runs:
        nmi, ari, mod, secs = [], [], [], []
        for seed in range(10):
            t = time.monotonic()
            membership, _ = louvain(1005, pairs[:, 0], pairs[:, 1], seed=seed, method=method,
                                    resolution=resolution)
            q = modularity(1005, pairs[:, 0], pairs[:, 1], None, membership)
            secs.append(time.monotonic() - t)
            nmi.append(normalized_mutual_info_score(truth, membership))
            ari.append(adjusted_rand_score(truth, membership))
            mod.append(q)
        print(f"| {method} (resolution {resolution}) | 0–9 | {np.mean(nmi):.3f} "
              f"({min(nmi):.3f}–{max(nmi):.3f}) | "
              f"{np.mean(ari):.3f} | {np.mean(mod):.3f} | {np.mean(secs):.3f} |")
    if "--determinism" in sys.argv:
        determinism()


def determinism() -> None:
    import networkit as nk

    rng = np.random.default_rng(0)
    n, m, k = 200_000, 1_000_000, 2000
    group = rng.integers(0, k, n)
    src = rng.integers(0, n, m)
    members = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[members], np.arange(k))
    sizes = np.bincount(group, minlength=k)
    g = group[src]
    inside = members[starts[g] + rng.integers(0, 1 << 30, m) % np.maximum(sizes[g], 1)]
    dst = np.where(rng.random(m) < 0.7, inside, rng.integers(0, n, m))
    a = undirected(n, src, dst, None)
    print(f"\nparallel Leiden, {n:,} accounts, {a.nnz // 2:,} edges, seed 0, three runs each")
    print("| threads | seconds/run | distinct partitions | communities |")
    print("|---|---:|---:|---|")
    most = nk.getMaxNumberOfThreads()
    for threads in (most, 1):
        t = time.monotonic()
        found = []
        for _ in range(3):
            if threads == 1:
                membership = _detect(a, seed=0, resolution=1.0, method="parallel-leiden",
                                     initial=None)
            else:  # what scrm ran before: networkit's own threads
                nk.setSeed(0, False)
                graph = nk.graph.GraphFromCsr(sp.triu(a, format="csr"), directed=False,
                                              weighted=True)
                algorithm = nk.community.ParallelLeiden(graph, iterations=3)
                algorithm.run()
                membership = np.asarray(algorithm.getPartition().getVector())
            found.append(membership.tobytes())
        counts = ", ".join(str(len(np.unique(np.frombuffer(f, dtype=np.int64))))
                           for f in found)
        print(f"| {threads} | {(time.monotonic() - t) / 3:.1f} | {len(set(found))} | "
              f"{counts} |")


if __name__ == "__main__":
    main()
