"""Streaming benchmark: `scrm serve`'s own writer follows a local fake Mastodon stream;
throughput and time from arrival to the care queue.

    python bench/stream_bench.py --posts 100000 --rate 2000 [--timeline FILE] [--write]

A child process serves Mastodon's API on 127.0.0.1: the hashtag timeline (REST, empty:
the catch-up before the stream) and the streaming API (``/api/v1/streaming/hashtag``,
server-sent events): real-shaped statuses (the recorded public stream in
``../shared/data/mastodon`` as templates; texts from the labelled customer complaints
data set, each mentioning the brand account), ``created_at`` stamped with the moment the
event is written to the socket, at ``--rate`` posts a second (0: as fast as it can).

This process is the server without its HTTP listener, wired by the function ``scrm
serve`` wires itself with (:func:`api.cli.serve.writer_work`): the app
(:func:`api.app.create_app`), its job runner (:class:`api.jobs.JobRunner`, the one
writer) and its live work
(:class:`api.live.LiveWork`: the events checks, the outbox and monitor rounds, and the
streaming monitors, :class:`api.streams.ServeStreams`) with the server's settings, a
Mastodon monitor with ``--stream yes`` on the fake source. So the stream is read, parsed
and scored (in the scoring process) and written as the server does it, beside whatever
else the server's job thread runs meanwhile. Another thread reads the care queue the
way GraphQL's ``careQueue`` does (:func:`api.care.queue_state`: the kept queue brought
up to date after each write of content, which the read cache's content version tells)
and notes when each negative post first appears in it.

Reported: posts/s from the first event to the last commit, and the p50/p90/p99/max time
from a post's ``created_at`` to the end of the care-queue read that first showed it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
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


def _status(template: dict[str, Any], n: int, text: str,
            profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """Status ``n`` (by user ``n % 20,000``) shaped as ``template``, saying ``text``; the
    author's profile (note, opening date, ...) and app from ``profile``, the same template
    for each of a user's statuses, as a person's profile is the same in all of them (only
    the follower count moves)."""
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
    status["account"] = {**(profile or template)["account"], "id": str(n % 20_000),
                         "username": user,
                         "acct": user, "display_name": f"User {n % 20_000}",
                         "followers_count": (n * 7919) % 5000}
    if profile is not None:  # and the app they post from
        status["application"] = profile.get("application")
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
            status = _status(statuses[n % len(statuses)], n, texts[n % len(texts)],
                             statuses[n % 20_000 % len(statuses)])
            chunk.append(b"event: update\ndata: " + json.dumps(status).encode() + b"\n\n")
        yield b"".join(chunk)
        sent += len(chunk)


def fake_source(posts: int, rate: float) -> None:
    """Serve Mastodon's hashtag timeline (empty) and one SSE stream of ``posts`` statuses
    at ``rate``/s, then keep that stream open with heartbeats until it is closed."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    streamed = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            path = urlsplit(self.path).path
            if path.startswith("/api/v1/timelines/tag/"):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")
                return
            if path != "/api/v1/streaming/hashtag":
                self.send_error(404)
                return
            first = not streamed.is_set()
            streamed.set()
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                if first:
                    for chunk in sse_chunks(rate, posts):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                while True:  # open, quiet: as a live stream between posts
                    self.wfile.write(b":thump\n\n")
                    self.wfile.flush()
                    time.sleep(1.0)
            except OSError:
                return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


# ------------------------------------------------------------------ the server
def _server(db: Path, source_url: str) -> tuple[Any, Any, Any, Any]:
    """The store, app, job runner and live work of a writing ``scrm serve`` on ``db``
    (:func:`api.cli.serve.writer_work`, as ``scrm serve`` makes them, without the HTTP
    listener and without read processes), with a streaming Mastodon monitor on the fake
    source."""
    from api.app import create_app
    from api.cli.serve import open_writer, settle_heap, writer_work
    from graph.config import get_settings
    from ingest.connectors.state import MonitorFile

    os.environ.update(SCRM_DB=str(db), SCRM_MONITOR_ALLOW_PRIVATE="true")
    get_settings.cache_clear()
    settings = get_settings()
    store = open_writer(settings)
    host = source_url.split("//", 1)[1]
    store.set_brand([f"mastodon:{BRAND}@{host}"], {"brand.name": "BrightLoop"})
    MonitorFile.beside(db).add("mastodon", {"tag": BRAND, "stream": "yes"}, source_url,
                               interval=300.0)
    app = create_app(store=store, settings=settings)
    live = writer_work(app, store, settings, app.state.read_cache.clear)
    settle_heap()  # as run_server does before it starts the live work
    return store, app, app.state.jobs, live


def _timed_jobs(jobs: Any, spans: list[tuple[str, float, float, int]]) -> None:
    """Note each job the server's own handlers run: kind, wall clock start and end, and
    the posts a stream job loaded."""
    import api.jobs

    def timing(handler: Any) -> Any:
        def timed(store: Any, payload: Any, report: Any) -> Any:
            begun = time.time()
            result = handler(store, payload, report)
            spans.append((str(payload.get("kind")), begun, time.time(),
                          int((result or {}).get("loaded") or 0)))
            return result
        return timed

    for kind, handler in list(jobs.handlers.items()):
        jobs.handlers[kind] = timing(handler)
    # the kinds the server has no handler of its own for (outbox, understand, ...)
    api.jobs.execute = timing(api.jobs.execute)  # type: ignore[assignment]


def run(posts: int, rate: float, workdir: Path, timeline: Path | None = None
        ) -> dict[str, Any]:
    import pandas as pd

    from api.carequeue import CareQueueIndex, care_index

    db = workdir / "stream-bench.lbdb"
    for old in workdir.glob("stream-bench.lbdb*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    source = subprocess.Popen([sys.executable, __file__, "--fake-source", "--posts",
                               str(posts), "--rate", str(rate)], stdout=subprocess.PIPE,
                              text=True)
    assert source.stdout is not None
    url = f"http://127.0.0.1:{int(source.stdout.readline())}"
    store, app, jobs, live = _server(db, url)
    spans: list[tuple[str, float, float, int]] = []
    _timed_jobs(jobs, spans)
    firsts: list[float] = []  # when each batch's first part (care first) was committed
    follower = live.streams.follower
    told = follower.committed

    def noted() -> None:
        firsts.append(time.time())
        if told is not None:
            told()

    follower.committed = noted
    cache = app.state.read_cache
    seen: dict[str, float] = {}  # each negative post's key: arrival to first sighting
    arrived: dict[str, float] = {}  # its created_at (wall clock)
    updates: list[float] = []  # each care-queue update's wall time
    cpus: list[float] = []  # and the CPU its thread spent on it
    update_spans: list[tuple[float, float]] = []
    done = threading.Event()

    def observe() -> None:
        index = care_index(store)
        known = -1  # the content version the queue was last brought up to date at
        while True:
            finished = done.is_set()
            version = cache.content_version
            if version == known and not finished:
                time.sleep(0.01)  # a client asking again; answered from the kept queue
                continue
            known = version
            started, cpu0, begun = time.monotonic(), time.thread_time(), time.time()
            index.refresh(store)  # what careQueue does after a write of content
            keys, created = index.waiting_posts()
            now = time.time()
            updates.append(time.monotonic() - started)
            cpus.append(time.thread_time() - cpu0)
            update_spans.append((begun, now))
            for i in [i for i, key in enumerate(keys) if key not in seen]:
                seen[keys[i]] = now - float(created[i])
                arrived[keys[i]] = float(created[i])
            if finished:
                return

    watcher = threading.Thread(target=observe, daemon=True)
    cpu0, load0 = time.process_time(), os.getloadavg()[0]
    watcher.start()
    live.start()
    deadline = time.monotonic() + 60 + (posts / rate * 3 if rate > 0 else posts / 500)
    ended = threading.Event()

    def watchdog() -> None:
        # the loop below cannot see its deadline if a read never returns (a deadlock in
        # the engine hung a run once, BENCHMARKS.md): end the process, saying how to look
        if not ended.wait(max(0.0, deadline - time.monotonic()) + 120):
            print(f"the bench is stuck: no end 120 s past its deadline; `py-spy dump "
                  f"--native --pid {os.getpid()}` shows where", file=sys.stderr, flush=True)
            source.kill()
            os._exit(3)

    threading.Thread(target=watchdog, name="bench-watchdog", daemon=True).start()
    try:
        while store.post_count() < posts:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {store.post_count():,} of {posts:,} posts were "
                                 "written in time")
            time.sleep(0.25)
    finally:
        # the writer stops first: its last batch is told to the queue before the last read
        live.stop()
        jobs.stop()
        done.set()
        watcher.join()
        source.terminate()
        source.wait(timeout=30)
        ended.set()
    cpu = time.process_time() - cpu0
    final = care_index(store)
    rebuilds = final.rebuilds
    final.refresh(store)
    afresh = CareQueueIndex()  # the kept queue must equal one read afresh
    afresh.refresh(store)
    kept_keys, afresh_keys = set(final.waiting_posts()[0]), set(afresh.waiting_posts()[0])
    if kept_keys != afresh_keys:
        print(f"the kept queue differs from one read afresh: {len(afresh_keys - kept_keys)} "
              f"posts missing, {len(kept_keys - afresh_keys)} too many, e.g. "
              f"{sorted(afresh_keys ^ kept_keys)[:5]}", file=sys.stderr, flush=True)
    unscored = int(store.post_frame(None, None)["sentiment"].isna().sum())
    store.close()
    stream = [(a, b, n) for kind, a, b, n in spans if kind == "stream" and n]
    others = [(kind, b - a) for kind, a, b, _ in spans if kind != "stream"]
    lat = pd.Series(list(seen.values()), dtype=float)
    seconds = stream[-1][1] - min(arrived.values())
    if timeline is not None:  # for looking at what held the slowest posts up
        timeline.write_text(json.dumps({
            "commits": [[a, b, n] for a, b, n in stream], "first_parts": firsts,
            "jobs": [[kind, a, b] for kind, a, b, _ in spans if kind != "stream"],
            "updates": update_spans,
            "posts": [[arrived[k], arrived[k] + v] for k, v in seen.items()]}))
    job_s = pd.Series([b - a for a, b, _ in stream], dtype=float)
    return {
        "posts": sum(n for _, _, n in stream), "seconds": round(seconds, 2),
        "posts_per_s": round(posts / seconds, 1), "rate": rate, "unscored": unscored,
        "in_queue": final.size, "in_queue_afresh": afresh.size, "observed": len(lat),
        "p50": round(float(lat.quantile(0.5)), 3), "p90": round(float(lat.quantile(0.9)), 3),
        "p99": round(float(lat.quantile(0.99)), 3), "max": round(float(lat.max()), 3),
        "queue_update_p50": round(float(pd.Series(updates).quantile(0.5)), 3),
        "queue_update_max": round(max(updates), 3),
        "queue_update_cpu_p50": round(float(pd.Series(cpus).quantile(0.5)), 3),
        # the kept queue made afresh (the first read, and whenever what weighs every
        # entry changed: the brand, settings, an analysis) and brought up to date
        "queue_rebuilds_updates": [rebuilds, final.updates],
        # of the updates, those from the batches told, and of those, the ones from the
        # posts as written (no read of the store)
        "queue_updates_told_in_hand": [final.batch_updates,
                                       final.hand_updates],
        "stream_jobs": len(stream),
        "stream_job_posts_p50": int(pd.Series([n for _, _, n in stream]).quantile(0.5)),
        "stream_job_s_p50": round(float(job_s.quantile(0.5)), 3),
        "stream_job_s_max": round(float(job_s.max()), 3),
        # what else the job thread ran meanwhile: how many, and the longest
        "other_jobs": {k: [sum(1 for x, _ in others if x == k),
                           round(max(v for x, v in others if x == k), 3)]
                       for k in sorted({x for x, _ in others})},
        "cpu_s": round(cpu, 1), "cpu_ms_per_post": round(cpu / max(posts, 1) * 1000, 3),
        "load_avg_start_end": [round(load0, 1), round(os.getloadavg()[0], 1)],
    }


def _table(results: list[dict[str, Any]]) -> str:
    rows = ["| offered rate | posts | posts/s | negative posts in queue | "
            "stream jobs: p50 posts, p50 / max s | queue update p50 / max s | "
            "arrival → care queue p50 / p90 / p99 / max s |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        offered = "as fast as it goes" if not r["rate"] else f"{r['rate']:,.0f}/s"
        rows.append(f"| {offered} | {r['posts']:,} | {r['posts_per_s']:,.0f} | "
                    f"{r['in_queue']:,} | {r['stream_job_posts_p50']:,}, "
                    f"{r['stream_job_s_p50']} / {r['stream_job_s_max']} | "
                    f"{r['queue_update_p50']} / {r['queue_update_max']} | "
                    f"{r['p50']} / {r['p90']} / {r['p99']} / {r['max']} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--rate", type=float, action="append",
                    help="posts/s offered (repeatable; 0 = as fast as possible) [2000]")
    ap.add_argument("--timeline", type=Path,
                    help="write each stream job's and queue update's start and end, when "
                         "each job's first part was committed, the other jobs', and each "
                         "negative post's arrival and first sighting (wall clock) to this "
                         "JSON file")
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
    for rate in rates:
        result = run(args.posts, rate, args.out.resolve(), args.timeline)
        print(json.dumps(result), flush=True)
        results.append(result)
    table = _table(results)
    print(table)
    if args.write:
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        cmd = "python bench/stream_bench.py --posts {} {}".format(
            args.posts, " ".join(f"--rate {r:g}" for r in rates))
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n\nMeasured with `{cmd}` ({when}, {platform.processor() or 'cpu'}, "
                     f"{os.cpu_count()} cores shared):\n\n{table}\n")


if __name__ == "__main__":
    main()
