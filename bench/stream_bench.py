"""Streaming benchmark: a local fake Mastodon streams posts through the connector into the
embedded store; throughput and time from arrival to the care queue.

    python bench/stream_bench.py --posts 100000 --rate 2000 [--write]

A child process serves Mastodon's streaming API (``/api/v1/streaming/hashtag``, server-
sent events) on 127.0.0.1: real-shaped statuses (the recorded public stream in
``../shared/data/mastodon`` as templates; texts from the labelled customer complaints
data set, each mentioning the brand account), ``created_at`` stamped with the moment the
event is written to the socket, at ``--rate`` posts a second (0: as fast as it can).
This process follows the stream as ``scrm serve`` will: the Mastodon connector's SSE
reader and parser (:func:`ingest.connectors.mastodon.stream_statuses`), micro-batches
through the loader (:func:`ingest.connectors.follow.follow`, 0.25 s), sentiment scored
on arrival and written with the posts (:class:`analytics.arrivals.ArrivalSentiment`,
VADER), each batch telling the kept care queue what it wrote, as the server's stream job
does (:meth:`api.carequeue.CareQueueIndex.writing`; ``--full-updates``: not told, so
each update reads every brand post). Another thread, on a sibling connection, brings the
kept care queue up to date the way GraphQL's ``careQueue`` does after a write
(:class:`api.carequeue.CareQueueIndex`: from the batches told) every 50 ms after a commit
(between commits the server answers from the kept queue, memoized until a write) and notes
when each negative post first appears; its reads run beside the commits, as the server's
do (``--serialise``: one waits for the other). Sentiment is scored in a process of its own, as the
server does (``SCRM_SCORING_PROCESS``; ``--score-here``: on a thread of this one).
``--workers N`` parses and scores in N spawned processes
(``follow(pool=...)``) instead of a thread of this one.

Reported: posts/s from the first event to the last commit, and the p50/p90/p99/max time
from a post's ``created_at`` to the end of the care queue read that first showed it.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import multiprocessing
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("SCRM_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not DATA.exists():
    DATA = Path("/work/wt/shared/data")
BRAND = "brightloop"


# ----------------------------------------------------------------- the fake source
def _templates() -> tuple[list[dict[str, Any]], list[str]]:
    path = DATA / "mastodon" / "streaming_public_mastodon.social_48_updates.jsonl"
    # split on "\n" only: statuses carry U+2028 raw, which splitlines() breaks at
    statuses = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n")
                if line.strip()]
    with open(DATA / "labelled" / "complaints" / "train.csv", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    return statuses, texts


def _status(template: dict[str, Any], n: int, text: str) -> dict[str, Any]:
    user = f"user{n % 20_000}"
    body = " ".join(w for w in text.split() if not w.startswith("@"))
    status = dict(template)
    status.update(
        id=str(10**17 + n), created_at=datetime.now(UTC).isoformat(timespec="microseconds")
        .replace("+00:00", "Z"), in_reply_to_id=None, in_reply_to_account_id=None, reblog=None,
        uri=f"https://bench.example/users/{user}/statuses/{n}",
        url=f"https://bench.example/@{user}/{n}",
        content=f'<p><span class="h-card"><a href="https://bench.example/@{BRAND}" '
                f'class="u-url mention">@<span>{BRAND}</span></a></span> {body}</p>',
        mentions=[{"id": "1", "username": BRAND, "acct": BRAND,
                   "url": f"https://bench.example/@{BRAND}"}],
        tags=[{"name": BRAND, "url": f"https://bench.example/tags/{BRAND}"}])
    status["account"] = {**template["account"], "id": str(n % 20_000), "username": user,
                         "acct": user, "display_name": f"User {n % 20_000}",
                         "followers_count": (n * 7919) % 5000}
    return status


def sse_chunks(rate: float, posts: int | None = None,
               stop: threading.Event | None = None) -> Iterator[bytes]:
    """The stream's events as SSE bytes, paced at ``rate`` a second from the first call
    (0: as fast as they are asked for), in chunks of at most 500, until ``posts`` were
    given (None: for ever) or ``stop`` is set. Each status is made when its chunk is,
    so ``created_at`` is the moment it leaves."""
    statuses, texts = _templates()
    started = time.monotonic()
    sent = 0
    while (posts is None or sent < posts) and not (stop is not None and stop.is_set()):
        due = (sent + 500) if rate <= 0 else int((time.monotonic() - started) * rate) + 1
        due = due if posts is None else min(posts, due)
        if due <= sent:
            time.sleep(0.005)
            continue
        chunk = []
        for n in range(sent, min(due, sent + 500)):
            status = _status(statuses[n % len(statuses)], n, texts[n % len(texts)])
            chunk.append(b"event: update\ndata: " + json.dumps(status).encode() + b"\n\n")
        yield b"".join(chunk)
        sent += len(chunk)


def fake_source(posts: int, rate: float) -> None:
    """Serve one SSE stream of ``posts`` statuses at ``rate``/s, then close it."""
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    conn, _ = listener.accept()
    conn.recv(65536)  # the request; one stream only
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")
    for chunk in sse_chunks(rate, posts):
        conn.sendall(chunk)
    conn.close()


# ------------------------------------------------------------------ the follower
class _Serialised:
    """The store, its writes taken under ``lock`` (shared with the reader with
    ``--serialise``); with ``checkpoint_every`` the database
    checkpoints at most that often instead of when the engine does (an experiment: the
    store does not offer it)."""

    def __init__(self, store: Any, lock: threading.Lock, checkpoint_every: float) -> None:
        self._store, self._lock = store, lock
        self._every = checkpoint_every
        self._last = time.monotonic()
        if checkpoint_every > 0:
            store._write("CALL auto_checkpoint=false")

        self.waits: list[float] = []  # per commit: waiting for the lock
        self.writes: list[float] = []  # per commit: the write itself (wall)
        self.posts: list[int] = []  # per commit: posts in it
        self.spans: list[tuple[float, float]] = []  # per commit: wall clock start, end

    def write_batch(self, batch: Any) -> Any:
        asked = time.monotonic()
        with self._lock:
            held, begun = time.monotonic(), time.time()
            result = self._store.write_batch(batch)
            if self._every > 0 and time.monotonic() - self._last >= self._every:
                self._store._write("CHECKPOINT")
                self._last = time.monotonic()
            self.waits.append(held - asked)
            self.writes.append(time.monotonic() - held)
            self.posts.append(len(batch.posts))
            self.spans.append((begun, time.time()))
            return result

    def write_post_sentiment(self, *args: Any) -> None:
        with self._lock:
            self._store.write_post_sentiment(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _EachCallLocked:
    """A reading store whose every call is made under ``lock`` (the writer's commits
    take it too): store reads never overlap a write, and what the caller computes
    from them (the kept queue's ranking) does not hold the writer up."""

    def __init__(self, store: Any, lock: threading.Lock) -> None:
        self._store, self._lock = store, lock
        self.waited = 0.0  # seconds spent waiting for the lock (a commit), all calls
        # per store operation: calls, seconds in it (lock held), seconds waiting for it
        self.calls: dict[str, list[float]] = {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        if not callable(value):
            return value

        def locked(*args: Any, **kwargs: Any) -> Any:
            asked = time.monotonic()
            with self._lock:
                held = time.monotonic()
                self.waited += held - asked
                try:
                    return value(*args, **kwargs)
                finally:
                    spent = self.calls.setdefault(name, [0, 0.0, 0.0])
                    spent[0] += 1
                    spent[1] += time.monotonic() - held
                    spent[2] += held - asked
        return locked


def run(posts: int, rate: float, workdir: Path, checkpoint_every: float = 0.0,
        overlap: bool = True, full_updates: bool = False, workers: int = 0,
        score_here: bool = False, timeline: Path | None = None) -> dict[str, Any]:
    import httpx
    import pandas as pd

    from analytics.arrivals import ArrivalSentiment, score_texts, scoring_process
    from api.carequeue import care_index
    from graph.embedded import EmbeddedStore
    from ingest.connectors.base import PollContext
    from ingest.connectors.follow import follow, prepared_units
    from ingest.connectors.http import Http
    from ingest.connectors.mastodon import status_records, stream_statuses
    from ingest.loader import RejectsWriter

    db = workdir / "stream-bench.lbdb"
    for old in workdir.glob("stream-bench.lbdb*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    source = subprocess.Popen([sys.executable, __file__, "--fake-source", "--posts",
                               str(posts), "--rate", str(rate)], stdout=subprocess.PIPE,
                              text=True)
    assert source.stdout is not None
    port = int(source.stdout.readline())
    base = f"http://127.0.0.1:{port}"
    host = f"127.0.0.1:{port}"
    store = EmbeddedStore(db)
    store.set_brand([f"mastodon:{BRAND}@{host}"], {"brand.name": "BrightLoop"})
    seen: dict[str, float] = {}
    done = threading.Event()
    reads: list[float] = []  # from asking to answer, the wait for a commit included
    updates: list[float] = []  # the kept queue's update alone
    own: list[float] = []  # the same, less the waits for a commit
    cpus: list[float] = []  # the CPU time the observing thread spent on it
    spans: list[tuple[float, float]] = []  # each update's wall clock start and end
    arrived: dict[str, float] = {}  # each seen post's created_at (wall clock)
    # care-queue reads run beside commits, as in the server (GraphQL reads on their own
    # connection while the stream job writes); ``--serialise`` makes them wait for each
    # other, which LadybugDB 0.22's lost update would need if sentiment were written apart
    # from the posts (tests/store/test_read_while_writing.py)
    lock = threading.Lock()
    writer = _Serialised(store, lock, checkpoint_every)
    read_lock = threading.Lock() if overlap else lock

    def observe() -> None:
        reader = store.sibling()
        index = care_index(reader)
        # each store call of the update runs beside commits; with ``--serialise`` it
        # waits for (and holds off) one
        calls = _EachCallLocked(reader, read_lock)
        calls_of.append(calls)
        known = -1  # commits the kept queue was last brought up to date after
        try:
            while True:
                finished = done.is_set()
                commits = len(writer.writes)
                if commits == known and not finished:
                    # nothing committed since: the server answers careQueue from the
                    # queue it keeps (memoized until a write of content), as here
                    time.sleep(0.05)
                    continue
                known = commits
                started, thread0, waited = time.monotonic(), time.thread_time(), calls.waited
                begun = time.time()
                index.refresh(calls)  # what GraphQL's careQueue does after a write
                waiting = index.waiting_posts()
                updates.append(time.monotonic() - started)
                own.append(updates[-1] - (calls.waited - waited))
                cpus.append(time.thread_time() - thread0)
                now = time.time()
                spans.append((begun, now))
                reads.append(time.monotonic() - started)
                keys, created = waiting
                for i in [i for i, key in enumerate(keys) if key not in seen]:
                    seen[keys[i]] = now - float(created[i])
                    arrived[keys[i]] = float(created[i])
                if finished:
                    return
                time.sleep(0.05)  # a reader asks again, not a spin on the lock
        finally:
            reader.close()

    calls_of: list[_EachCallLocked] = []
    watcher = threading.Thread(target=observe, daemon=True)
    # scored in a process of their own, as `scrm serve` does (SCRM_SCORING_PROCESS),
    # loaded before the stream; ``--score-here``: on the preparing thread of this one
    scoring = None if score_here or workers > 0 else scoring_process()
    if scoring is not None:
        scoring.submit(score_texts, str(db), ["warming up"]).result()
    scorer = ArrivalSentiment(str(db), scoring)
    records = functools.partial(status_records, host=host)
    pool = None
    if workers > 0:  # parsing and scoring in other processes, loaded before the stream
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        warm = [_status(_templates()[0][0], 0, "warming up")]
        for loading in [pool.submit(prepared_units, 1, warm, records, "warm", scorer)
                        for _ in range(workers)]:
            loading.result()
    cpu0, load0 = time.process_time(), os.getloadavg()[0]
    with httpx.Client(timeout=30) as client:
        ctx = PollContext(http=Http(client, base), options={"tag": BRAND}, cursor=None,
                          source_file="monitor:bench")
        rejects = RejectsWriter(workdir / "stream-bench.rejects.jsonl")
        watcher.start()
        started = time.monotonic()
        # each batch tells the kept queue what it wrote, as the server's stream job does
        report = follow(writer, stream_statuses(ctx, seconds=3600), records,
                        source="mastodon", source_file="monitor:bench", rejects=rejects,
                        prepare=scorer, pool=pool,
                        writing=None if full_updates else care_index(store).writing)
        seconds = time.monotonic() - started
        rejects.close()
    done.set()
    watcher.join()
    workers_cpu = 0.0
    if pool is not None or scoring is not None:
        # their CPU: counted once they are reaped (the source is not yet)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for executor in (pool, scoring):
            if executor is not None:
                executor.shutdown()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    source.wait(timeout=30)
    final = care_index(store)
    batch_updates, all_updates = final.batch_updates, final.updates
    final.refresh(store)
    negative = final.size
    unscored = int(store.post_frame(None, None)["sentiment"].isna().sum())
    store.close()
    cpu = time.process_time() - cpu0
    lat = pd.Series(list(seen.values()), dtype=float)
    if timeline is not None:  # for looking at what held the slowest posts up
        timeline.write_text(json.dumps({
            "commits": [[a, b, n] for (a, b), n in zip(writer.spans, writer.posts,
                                                        strict=True)],
            "updates": spans, "posts": [[arrived[k], arrived[k] + v] for k, v in seen.items()],
        }))
    writes = pd.Series(writer.writes, dtype=float)
    per_post = pd.Series(writer.writes, dtype=float) / pd.Series(writer.posts).clip(lower=1)
    return {
        "posts": report.loaded, "read": report.read, "rejected": report.rejected,
        "batches": report.batches, "seconds": round(seconds, 2),
        "posts_per_s": round(report.loaded / seconds, 1), "rate": rate,
        "checkpoint_every": checkpoint_every, "overlap": overlap,
        "full_updates": full_updates, "workers": workers,
        "scoring_process": scoring is not None and scorer.pool is not None,
        "unscored": unscored,
        "in_queue": negative, "observed": len(lat),
        "p50": round(float(lat.quantile(0.5)), 3), "p90": round(float(lat.quantile(0.9)), 3),
        "p99": round(float(lat.quantile(0.99)), 3), "max": round(float(lat.max()), 3),
        "queue_read_p50": round(float(pd.Series(reads).quantile(0.5)), 3),
        "queue_read_max": round(max(reads), 3),
        "queue_update_p50": round(float(pd.Series(updates).quantile(0.5)), 3),
        "queue_update_max": round(max(updates), 3),
        "queue_update_p99": round(float(pd.Series(updates).quantile(0.99)), 3),
        # less the waits for a commit, and the CPU the update itself took (p50 / p99)
        "queue_update_own_p50_p99": [round(float(pd.Series(own).quantile(q)), 3)
                                     for q in (0.5, 0.99)],
        "queue_update_cpu_p50_p99": [round(float(pd.Series(cpus).quantile(q)), 3)
                                     for q in (0.5, 0.99)],
        "queue_updates_from_batches": batch_updates,
        "queue_updates_whole": all_updates - batch_updates,
        # the queue updates' store operations: calls, seconds in them, seconds waiting
        "queue_update_store_calls": {k: [int(v[0]), round(v[1], 2), round(v[2], 2)]
                                     for k, v in sorted(calls_of[0].calls.items())},
        "commit_posts_p50": int(pd.Series(writer.posts).quantile(0.5)),
        "commit_s_p50": round(float(writes.quantile(0.5)), 3),
        "commit_s_max": round(float(writes.max()), 3),
        "commit_ms_per_post_p50": round(float(per_post.quantile(0.5)) * 1000, 3),
        "commit_lock_wait_s": round(sum(writer.waits), 1),
        # this process, and the processes that parsed or scored (``--workers``, scoring)
        "cpu_s": round(cpu, 1), "cpu_ms_per_post": round(cpu / max(report.loaded, 1) * 1000, 3),
        "workers_cpu_s": round(workers_cpu, 1),
        "all_cpu_ms_per_post": round((cpu + workers_cpu) / max(report.loaded, 1) * 1000, 3),
        "load_avg_start_end": [round(load0, 1), round(os.getloadavg()[0], 1)],
    }


def _table(results: list[dict[str, Any]]) -> str:
    rows = ["| offered rate | checkpoints | posts | posts/s | negative posts in queue | "
            "queue read p50 / max s | arrival → care queue p50 / p90 / p99 / max s |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        offered = "as fast as it goes" if not r["rate"] else f"{r['rate']:,.0f}/s"
        every = r["checkpoint_every"]
        checkpoints = f"every {every:g} s" if every else "the store's own"
        rows.append(f"| {offered} | {checkpoints} | "
                    f"{r['posts']:,} | {r['posts_per_s']:,.0f} | {r['in_queue']:,} | "
                    f"{r['queue_read_p50']} / {r['queue_read_max']} | "
                    f"{r['p50']} / {r['p90']} / {r['p99']} / {r['max']} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--rate", type=float, action="append",
                    help="posts/s offered (repeatable; 0 = as fast as possible) [2000]")
    ap.add_argument("--checkpoint-every", type=float, action="append",
                    help="seconds between checkpoints (repeatable; 0 = the store's own: after a "
                         "COPY's commit, else when the log passes its threshold) [0]")
    ap.add_argument("--serialise", action="store_true",
                    help="each care-queue read waits for the commit under way and holds the "
                         "next one off (the server lets them run together, as this bench does "
                         "by default: the stream writes sentiment with its posts, so the "
                         "LadybugDB lost update of tests/store/test_read_while_writing.py "
                         "cannot happen)")
    ap.add_argument("--full-updates", action="store_true",
                    help="batches tell the kept queue nothing: each update reads every brand "
                         "post (as before the queue was kept from the batches)")
    ap.add_argument("--workers", type=int, default=0,
                    help="processes that parse and score the stream's batches (0: a thread of "
                         "this process, sharing its GIL with the writer) [0]")
    ap.add_argument("--score-here", action="store_true",
                    help="score sentiment on a thread of this process, not in a scoring "
                         "process of its own as `scrm serve` does (SCRM_SCORING_PROCESS)")
    ap.add_argument("--timeline", type=Path,
                    help="write each commit's and queue update's start and end and each "
                         "post's arrival and first sighting (wall clock) to this JSON file")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--fake-source", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--write", action="store_true", help="append the results to BENCHMARKS.md")
    args = ap.parse_args()
    rates = args.rate or [2000.0]
    if args.fake_source:
        fake_source(args.posts, rates[0])
        return
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for every in args.checkpoint_every or [0.0]:
        for rate in rates:
            result = run(args.posts, rate, args.out, every, not args.serialise,
                         args.full_updates, args.workers, args.score_here, args.timeline)
            print(json.dumps(result), flush=True)
            results.append(result)
    table = _table(results)
    print(table)
    if args.write:
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        cmd = "python bench/stream_bench.py --posts {} {} {}".format(
            args.posts, " ".join(f"--rate {r:g}" for r in rates),
            " ".join(f"--checkpoint-every {c:g}" for c in args.checkpoint_every or []))
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n\nMeasured with `{cmd}` ({when}, {platform.processor() or 'cpu'}, "
                     f"{os.cpu_count()} cores shared):\n\n{table}\n")


if __name__ == "__main__":
    main()
