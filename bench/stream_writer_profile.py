"""The streaming writer's path, batch by batch: time per stage and CPU, no SSE and no reader
thread (what ``bench/stream_bench.py`` runs, taken apart).

    python bench/stream_writer_profile.py --posts 100000 --batch 2000 --profile 2,48

The bench's statuses in batches of ``--batch``, each parsed (``item_unit`` +
``status_records``), scored (``ArrivalSentiment``), written (``load_units``), then the kept
care queue brought up to date on a sibling. Prints one CSV line per batch (seconds per
stage; ``commit`` includes any checkpoint; ``lookups`` is every ``LOAD``/``MATCH``/``UNWIND``
statement, the logged inserts among them; ``cpu`` the process's CPU time) and the
statements' times; cProfile listings of the ``--profile`` batches go to ``--out``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    import stream_bench as sb

    from analytics.arrivals import ArrivalSentiment
    from api.carequeue import care_index
    from graph.embedded import EmbeddedStore
    from ingest.connectors.base import item_unit
    from ingest.connectors.mastodon import status_records
    from ingest.loader import RejectsWriter, load_units

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=2_000)
    ap.add_argument("--profile", default="", help="batch numbers to profile, e.g. 2,48")
    ap.add_argument("--out", type=Path, default=Path("bench/out/writer-profile"))
    args = ap.parse_args()
    profiled = {int(x) for x in args.profile.split(",") if x}
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    db = args.out / "p.lbdb"
    statuses, texts = sb._templates()
    host = "127.0.0.1:9"
    store = EmbeddedStore(db)
    store.set_brand([f"mastodon:{sb.BRAND}@{host}"], {"brand.name": "BrightLoop"})
    scorer = ArrivalSentiment(str(db))
    rejects = RejectsWriter(args.out / "rejects.jsonl")
    reader = store.sibling()
    index = care_index(reader)
    spent: dict[str, float] = {}
    run = type(store)._exec

    def timed(self: Any, query: str, params: dict[str, Any] | None = None) -> Any:
        started = time.perf_counter()
        try:
            return run(self, query, params)
        finally:
            word = query.split()[0]
            kind = word if word in ("COMMIT", "BEGIN", "LOAD", "MATCH", "UNWIND") else "other"
            if word == "COPY":
                kind = "COPY " + query.split()[1].split("(")[0]
            spent[kind] = spent.get(kind, 0.0) + time.perf_counter() - started

    type(store)._exec = timed  # type: ignore[method-assign]
    print("batch,db_posts,parse,vader,load,commit,copy,lookups,queue_refresh,queue_size,cpu",
          flush=True)
    done = number = 0
    while done < args.posts:
        number += 1
        items = [json.loads(json.dumps(sb._status(statuses[i % len(statuses)], i,
                                                  texts[i % len(texts)])))
                 for i in range(done, min(args.posts, done + args.batch))]
        prof = cProfile.Profile() if number in profiled else None
        if prof:
            prof.enable()
        cpu = time.process_time()
        spent.clear()
        t0 = time.perf_counter()
        units = [item_unit(done + k + 1, it, lambda s: status_records(s, host), "monitor:x")
                 for k, it in enumerate(items)]
        t1 = time.perf_counter()
        scorer(units)
        t2 = time.perf_counter()
        load_units(store, iter(units), source="mastodon", source_file="monitor:x",
                   rejects=rejects, batch_size=max(len(units) * 8, 1000))
        t3 = time.perf_counter()
        written = dict(spent)
        index.refresh(reader)
        t4 = time.perf_counter()
        cpu = time.process_time() - cpu
        if prof:
            prof.disable()
            for order in ("cumulative", "tottime"):
                text = io.StringIO()
                pstats.Stats(prof, stream=text).sort_stats(order).print_stats(45)
                (args.out / f"batch{number}-{order}.txt").write_text(text.getvalue())
        done += len(items)
        lookups = sum(v for k, v in written.items() if k in ("LOAD", "MATCH", "UNWIND"))
        copies = sum(v for k, v in written.items() if k.startswith("COPY"))
        print(f"{number},{done},{t1 - t0:.3f},{t2 - t1:.3f},{t3 - t2:.3f},"
              f"{written.get('COMMIT', 0):.3f},{copies:.3f},{lookups:.3f},{t4 - t3:.3f},"
              f"{index.size},{cpu:.3f}", flush=True)
        print("   ", {k: round(v, 3) for k, v in written.items()}, flush=True)
    reader.close()
    store.close()


if __name__ == "__main__":
    main()
