"""Read latency through `scrm serve --readers N` while a stream is written.

    python bench/readers_stream_bench.py --rate 400 --duration 40 --refresh 0 --refresh 1

Builds the demo database once, then per ``--refresh`` value (``SCRM_READER_REFRESH_SECONDS``;
0 publishes every committed stream batch to the readers, as before the setting existed):
a local fake Mastodon (REST timeline empty, then the hashtag stream: real-shaped statuses
from ``bench/stream_bench.py`` at ``--rate`` a second) followed by a streaming monitor inside
`scrm serve --readers N`; a client asks the care queue's first 20 items through the public
port ``--reads`` times a second (``--query``) and times each answer. Reported: read p50/p90/p99/max,
how often the readers were told to open the database again (the write generation's count)
and how many posts the stream wrote in the window.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from _measure import stop_server, wait_for_health  # noqa: E402
from stream_bench import BRAND, sse_chunks  # noqa: E402

from api.readers import generation_file, read_generation  # noqa: E402

QUERIES = {
    "care": ("{ careQueue(first: 20) { edges { node { conversationId postId priority team "
             "text sentiment waitingHours } } } }"),
    "targets": ("{ engagementTargets(kind: ADVOCATE, first: 20) { edges { node { rank score "
                "account { key handle } } } } }"),
}


def _fake_mastodon(rate: float, stop: threading.Event) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if "/streaming/" not in self.path:
                body = b"[]"  # nothing to catch up on
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for chunk in sse_chunks(rate, stop=stop):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrm(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"scrm {' '.join(args)} failed: {done.stderr.strip()[-500:]}")


def _generation(db: Path) -> int:
    """How many times the writer told the readers to open the database again."""
    return (read_generation(generation_file(db)) or {}).get("n", 0)


def run_one(seed_db: Path, workdir: Path, refresh: float, args: argparse.Namespace
            ) -> dict[str, Any]:
    import httpx

    db = workdir / f"refresh-{refresh:g}.lbdb"
    # the last run's database and everything beside it (its log, caches, monitors): a
    # stale log beside a fresh copy is not a database LadybugDB can open
    for old in [db, *db.parent.glob(db.name + ".*")]:
        shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
    if seed_db.is_dir():
        shutil.copytree(seed_db, db)
    else:
        shutil.copy(seed_db, db)
    stop = threading.Event()
    fake = _fake_mastodon(args.rate, stop)
    env = {**os.environ, "SCRM_DB": str(db), "SCRM_MONITOR_ALLOW_PRIVATE": "true",
           "SCRM_READER_REFRESH_SECONDS": str(refresh), "SCRM_READ_CACHE_SECONDS": "0",
           "SCRM_OUTBOX_IN_SERVE": "false", "SCRM_UNDERSTAND_AFTER_SECONDS": "0"}
    env.pop("SCRM_NEO4J_URI", None)
    _scrm("monitor", "add", "mastodon", "--url", f"http://127.0.0.1:{fake.server_port}",
          "--tag", BRAND, "--stream", "yes", "--stream-seconds", "3600", env=env)
    port = _free_port()
    log = workdir / f"serve-refresh-{refresh:g}.log"
    with log.open("wb") as out:  # a file, not a pipe nobody reads while it serves
        server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port",
                                   str(port), "--readers", str(args.readers)], env=env,
                                  cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, server, log=log)
        time.sleep(args.warmup)
        generation0 = _generation(db)
        latencies: list[float] = []
        errors = 0
        first_error = ""
        with httpx.Client(base_url=url, timeout=60) as client:
            started = time.monotonic()
            n = 0
            while time.monotonic() - started < args.duration:
                due = started + n / args.reads
                if due > time.monotonic():
                    time.sleep(due - time.monotonic())
                t0 = time.perf_counter()
                answer = client.post("/graphql", json={"query": QUERIES[args.query]})
                latencies.append((time.perf_counter() - t0) * 1000)
                if answer.status_code != 200 or "errors" in answer.json():
                    errors += 1
                    first_error = first_error or f"{answer.status_code} {answer.text[:300]}"
                n += 1
            elapsed = time.monotonic() - started
        bumps = _generation(db) - generation0
    finally:
        stop.set()
        stop_server(server)
        fake.shutdown()
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(db, read_only=True)
    try:
        posts = store.counts().get("Post", 0)
    finally:
        store.close()
    latencies.sort()

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)

    return {"refresh_s": refresh, "query": args.query, "readers": args.readers,
            "rate": args.rate,
            "reads": len(latencies), "errors": errors, "p50_ms": pct(0.5),
            "p90_ms": pct(0.9), "p99_ms": pct(0.99), "max_ms": round(latencies[-1], 1),
            "reopens_per_s": round(bumps / elapsed, 2), "posts_in_db": posts,
            "first_error": first_error}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rate", type=float, default=400, help="stream posts a second")
    ap.add_argument("--duration", type=float, default=40, help="seconds of reads")
    ap.add_argument("--warmup", type=float, default=10, help="seconds before reading")
    ap.add_argument("--reads", type=float, default=20, help="reads a second")
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--query", choices=sorted(QUERIES), default="care",
                    help="what the client reads: the care queue's first page or a ranking")
    ap.add_argument("--refresh", type=float, action="append",
                    help="SCRM_READER_REFRESH_SECONDS values to compare (default 0 and 1)")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scrm-readers-stream-"))
    workdir.mkdir(parents=True, exist_ok=True)
    seed = workdir / "demo.lbdb"
    if not seed.exists():
        print(f"building the demo database in {seed}", file=sys.stderr, flush=True)
        _scrm("demo", "--no-serve", "--db", str(seed), env={**os.environ})
    results = []
    for refresh in args.refresh or [0.0, 1.0]:
        print(f"refresh {refresh:g} s: serving with {args.readers} readers, stream at "
              f"{args.rate:g} posts/s, reading {args.reads:g}/s for {args.duration:g} s",
              file=sys.stderr, flush=True)
        result = run_one(seed, workdir, refresh, args)
        print(json.dumps(result), flush=True)
        results.append(result)
    print(f"# {platform.node()} load {os.getloadavg()[0]:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
