"""A write of new posts into a store holding many edges that wait for their target.

    python bench/pending_bench.py [--pending 100000] [--batch 500] [--rounds 3]

Replies to posts never seen (a stream of replies whose parents nobody ingested) each leave
an edge waiting (``PendingEdge``), and their number only grows. The embedded store reads
them all in one statement while they are few, and past ``PENDING_READ_ALL`` asks for the
ones a write needs (a count, the edges to its new posts, its waiting keys by key). This
writes ``--pending`` such replies, then times writes of ``--batch`` more replies, each
way in turn (``read all`` / ``asked for``, by moving the threshold), and prints the
seconds of each write and the pending count it reported (the same both ways).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from graph.embedded import EmbeddedStore, writes
    from graph.model import Post, PostKind
    from graph.store import GraphBatch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pending", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    t0 = datetime(2026, 11, 1, tzinfo=UTC)

    def reply(n: int, parent: str) -> Post:
        return Post(platform="bluesky", post_id=f"r{n}", author_handle=f"u{n % 5000}",
                    created_at=t0 + timedelta(seconds=n), text="same here",
                    kind=PostKind.REPLY, parent_id=parent)

    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(Path(folder) / "pending.lbdb")
        try:
            for start in range(0, args.pending, 50_000):
                store.write_batch(GraphBatch(posts=[
                    reply(n, f"missing{n}")
                    for n in range(start, min(args.pending, start + 50_000))]))
            print(f"pending edges: {store.counts()['PendingEdge']:,}", flush=True)
            n = 10 * max(args.pending, 1)
            for _ in range(args.rounds):
                for way, limit in (("read all", 2**62), ("asked for", 0)):
                    writes.PENDING_READ_ALL = limit
                    posts = [reply(n + i, f"missing{n + i}") for i in range(args.batch)]
                    n += args.batch
                    started = time.perf_counter()
                    result = store.write_batch(GraphBatch(posts=posts))
                    print(f"{way:9s} {time.perf_counter() - started:.3f} s, "
                          f"{result.pending_edges:,} pending after", flush=True)
        finally:
            store.close()


if __name__ == "__main__":
    main()
