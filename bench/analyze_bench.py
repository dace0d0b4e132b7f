"""Analytics benchmark: ``scrm analyze`` end to end on a synthetic brand network.

    python bench/analyze_bench.py --accounts 1000000 --interactions 10000000

1. Builds the network into an embedded store (bench/build_brand_network.py), with
   1% of the posts not yet scored for sentiment, as after an earlier run.
2. Times ``scrm analyze`` in a fresh process: projection, sentiment of the new
   posts, influence, communities, the three scores, write-back.
3. Adds 1% more interactions and times ``scrm analyze`` again (warm start from
   the previous run).
4. On a slice (``--slice`` accounts, 10 interactions each), times the same score
   algorithms through the compiled path and through pure networkx, and reports
   the ratio.
Prints a markdown report; ``--write`` appends it to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure  # noqa: E402
from build_brand_network import build, grow  # noqa: E402


def _slice_ratio(accounts: int, seed: int = 5) -> tuple[float, float, float, float]:
    """(ours seconds, networkx seconds) for PageRank and communities on a random
    heavy-tailed graph with ``accounts`` nodes and 10 edges per node."""
    from analytics.community import louvain
    from analytics.pagerank import pagerank, pagerank_networkx

    rng = np.random.default_rng(seed)
    m = accounts * 10
    block = 5_000
    src = rng.integers(0, accounts, m)
    local = (src // block) * block + (rng.pareto(1.3, m) * 50).astype(np.int64) % block
    dst = np.where(rng.random(m) < 0.9, np.minimum(local, accounts - 1),
                   rng.integers(0, accounts, m))
    w = rng.random(m)
    t = time.monotonic()
    pagerank(accounts, src, dst, w)
    pr_fast = time.monotonic() - t
    t = time.monotonic()
    pagerank_networkx(accounts, src, dst, w)
    pr_nx = time.monotonic() - t
    t = time.monotonic()
    louvain(accounts, src, dst, w)
    cm_fast = time.monotonic() - t
    t = time.monotonic()
    louvain(accounts, src, dst, w, method="networkx")
    cm_nx = time.monotonic() - t
    return pr_fast, pr_nx, cm_fast, cm_nx


def _steps(db: Path) -> dict[str, float]:
    """The latest run's step timings, read back from the store."""
    from graph.embedded import EmbeddedStore

    with EmbeddedStore(db, read_only=True) as store:
        run = store.latest_run()
        return dict(run.stats.get("timings", {})) if run else {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--interactions", type=int, default=10_000_000)
    ap.add_argument("--slice", type=int, default=100_000)
    ap.add_argument("--db", type=Path, default=Path("bench/out/analyze-bench.lbdb"))
    ap.add_argument("--reuse", action="store_true", help="reuse an existing database")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if not (args.reuse and args.db.exists()):
        t = time.monotonic()
        build(args.db, args.accounts, args.interactions)
        print(f"built in {time.monotonic() - t:.0f}s", flush=True)
    analyze = [sys.executable, "-m", "api.cli", "analyze", "--db", str(args.db)]
    full_s, full_mem, full_out = measure([*analyze, "--full"])
    full_steps = _steps(args.db)
    print(f"full: {full_s:.1f}s {full_mem:.0f} MiB\n{full_out}", flush=True)
    grow(args.db, args.accounts, args.interactions, fraction=0.01)
    inc_s, inc_mem, inc_out = measure(analyze)
    inc_steps = _steps(args.db)
    print(f"incremental: {inc_s:.1f}s {inc_mem:.0f} MiB\n{inc_out}", flush=True)
    pr_fast, pr_nx, cm_fast, cm_nx = _slice_ratio(args.slice)
    lines = [
        f"### Analyze: {args.accounts:,} accounts, {args.interactions:,} interactions — "
        f"{datetime.now(UTC):%Y-%m-%d}",
        "",
        f"Command: `python bench/analyze_bench.py --accounts {args.accounts} --interactions "
        f"{args.interactions} --slice {args.slice}` on {platform.machine()}, "
        f"{os.cpu_count()} cores.",
        "",
        "| run | seconds | peak RSS (MiB) |",
        "|---|---:|---:|",
        f"| `scrm analyze`, full (1% of posts new to sentiment) | {full_s:.1f} | "
        f"{full_mem:,.0f} |",
        f"| `scrm analyze` after +1% interactions (warm start) | {inc_s:.1f} | "
        f"{inc_mem:,.0f} |",
        "",
        "| step (the run's own timings, s) | full | incremental |",
        "|---|---:|---:|",
        *[f"| {step} | {full_steps.get(step, 0):.1f} | {inc_steps.get(step, 0):.1f} |"
          for step in ("projection", "sentiment", "bots", "influence", "communities",
                       "scores", "write")],
        "",
        f"Slice of {args.slice:,} accounts / {args.slice * 10:,} interactions, same algorithms:",
        "",
        "| step | scrm (scipy CSR / networkit Leiden) s | networkx s | ratio |",
        "|---|---:|---:|---:|",
        f"| weighted PageRank | {pr_fast:.2f} | {pr_nx:.1f} | {pr_nx / pr_fast:,.0f}× |",
        f"| communities | {cm_fast:.2f} | {cm_nx:.1f} | {cm_nx / cm_fast:,.0f}× |",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        with open("BENCHMARKS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + report)


if __name__ == "__main__":
    main()
