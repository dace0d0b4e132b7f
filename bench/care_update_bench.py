"""The kept care queue's update step alone, on the database the stream bench left.

    python bench/care_update_bench.py [--db bench/out/stream-bench.lbdb] [--batches 6]
        [--size 500]

A copy of the database (100,000 streamed posts after ``bench/stream_bench.py --posts
100000``) gets batches of ``--size`` new posts addressed to the brand; after each, one
:meth:`api.carequeue.CareQueueIndex.refresh`. Measured both ways, alternating: *told*
(the batch written inside ``CareQueueIndex.writing``, as the stream job writes: the queue
is brought up to date from the batch, reading the store about it), *in hand* (told, with
the posts as written, ``WriteResult.written``, as the stream job tells them: the update
reads nothing) and *untold* (nobody tells it: every brand post and brand reply time is
read, as before). Reported per update: wall and CPU seconds (the CPU is this process's,
a fairer figure on a shared machine), p50 and max, and the load.

    python bench/care_update_bench.py --modes hand --rounds 3 --batches 30 --size 400
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _copy(db: Path, into: Path) -> Path:
    target = into / db.name
    for path in db.parent.glob(db.name + "*"):
        copy = into / path.name
        shutil.copytree(path, copy) if path.is_dir() else shutil.copy(path, copy)
    return target


MODES = ("hand", "told", "untold")


def measure(db: Path, mode: str, batches: int, size: int) -> dict[str, Any]:
    import pandas as pd

    from api.carequeue import CareQueueIndex
    from graph.embedded import EmbeddedStore
    from graph.model import Post
    from graph.store import GraphBatch

    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(_copy(db, Path(folder)))
        try:
            index = CareQueueIndex()
            index.refresh(store)
            brand = next(a for a in store.brand_accounts())
            platform, handle = brand.key.split(":", 1)
            host = handle.split("@", 1)[1]
            walls, cpus = [], []
            for n in range(batches):
                posts = [Post(platform=platform, post_id=str(10**12 + n * size + i),
                              author_handle=f"step{i}@{host}", created_at=datetime.now(UTC),
                              text=f"@{brand.handle} my order never arrived, awful",
                              mentions=(handle,), sentiment=-0.8, sentiment_model="vader")
                         for i in range(size)]
                if mode != "untold":
                    batch = GraphBatch(posts=posts)
                    batch.give_written = mode == "hand"
                    with index.writing() as tell:
                        result = store.write_batch(batch)
                        tell([p.key for p in posts], result.created.get("posts", 0),
                             result.written if mode == "hand" else None)
                else:
                    store.write_batch(GraphBatch(posts=posts))
                wall, cpu = time.perf_counter(), time.process_time()
                index.refresh(store)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            return {"mode": mode, "queued": index.size, "from_batches": index.batch_updates,
                    "from_hand": index.hand_updates,
                    "wall_p50_max": [round(float(pd.Series(walls).median()), 3),
                                     round(max(walls), 3)],
                    "cpu_p50_max": [round(float(pd.Series(cpus).median()), 3),
                                    round(max(cpus), 3)],
                    "load": round(os.getloadavg()[0], 1)}
        finally:
            store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("bench/out/stream-bench.lbdb"))
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--size", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=2, help="rounds of every mode [2]")
    ap.add_argument("--modes", default=",".join(MODES),
                    help=f"which of {', '.join(MODES)} to measure, in turn [all]")
    args = ap.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} does not exist: run bench/stream_bench.py --posts 100000 first")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        sys.exit(f"--modes takes some of {', '.join(MODES)}, comma-separated")
    for _ in range(args.rounds):
        for mode in modes:
            print(json.dumps(measure(args.db, mode, args.batches, args.size)), flush=True)


if __name__ == "__main__":
    main()
