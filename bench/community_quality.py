"""Community quality on SNAP's email-Eu-core against its 42 ground-truth departments.

    python bench/community_quality.py

Undirected, self-loops dropped (1,005 nodes, 16,064 edges). Compares scrm's default
(Leiden via igraph at this size) with networkx's louvain_communities, seeds 0-9.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from analytics.community import louvain

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
    for method in ("leiden", "plm", "louvain", "networkx"):
        nmi, ari, mod, secs = [], [], [], []
        for seed in range(10):
            t = time.monotonic()
            membership, q = louvain(1005, pairs[:, 0], pairs[:, 1], seed=seed, method=method)
            secs.append(time.monotonic() - t)
            nmi.append(normalized_mutual_info_score(truth, membership))
            ari.append(adjusted_rand_score(truth, membership))
            mod.append(q)
        print(f"| {method} | 0–9 | {np.mean(nmi):.3f} ({min(nmi):.3f}–{max(nmi):.3f}) | "
              f"{np.mean(ari):.3f} | {np.mean(mod):.3f} | {np.mean(secs):.3f} |")


if __name__ == "__main__":
    main()
