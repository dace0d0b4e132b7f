"""Abuse benchmark: a normal client's latency beside an abusive one, against ``scrm serve``.

    python bench/abuse_bench.py --duration 30            # on a fresh demo database
    python bench/abuse_bench.py --db <copy.lbdb> --duration 30

Starts ``scrm serve`` (keys on: a read key for the normal client, another for the abuser;
rate limits on, every other limit at its default) on a free localhost port. A normal client
asks, one request at a time at ``--rate`` requests a second, for a 20-item advocate page or
a customer's 50-item timeline (with its key). First alone for ``--baseline`` seconds, then
for ``--duration`` seconds beside an abuser in another process that loops, with
``--abusers`` threads, over:

* huge documents (1 MB of GraphQL, and a 5 MB body),
* JSON nested 990 levels,
* 30-alias fan-outs of 100 × 100 timelines,
* keyless mutations, and read-key mutations,
* bursts of small queries with its own key (until the rate limit answers 429).

It prints the normal client's p50/p99/max and errors in each phase, and what the abuser got
back, as Markdown. The target: the normal client's p99 under 100 ms with no errors.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

NORMAL_KEY, ABUSER_KEY, WRITE_KEY = "bench-normal", "bench-abuser", "bench-writer"
TARGETS = """{ engagementTargets(kind: ADVOCATE, first: 20) { edges { node { rank score
  account { key handle } customer { id name } } } } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) { id name interactions(first: 50) {
  edges { node { postId time kind text counterpart { key } } } } } }"""
FAN = ("a{i}: engagementTargets(kind: ADVOCATE, first: 100) {{ edges {{ node {{ account {{ "
       "interactions(first: 100) {{ edges {{ node {{ text postId time }} }} }} }} }} }} }}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _demo_db(folder: Path) -> Path:
    """A fresh analyzed demo database (``scrm demo``)."""
    db = folder / "demo.lbdb"
    env = {**os.environ, "SCRM_DB": str(db)}
    env.pop("SCRM_NEO4J_URI", None)
    subprocess.run([sys.executable, "-m", "api.cli", "demo", "--db", str(db), "--no-serve"],
                   env=env,
                   check=True, capture_output=True, timeout=600)
    return db


def _start(db: Path, port: int, log: Path, rate: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCRM_DB": str(db),
           "SCRM_API_KEYS": f"{NORMAL_KEY}:read,{ABUSER_KEY}:read,{WRITE_KEY}:write",
           "SCRM_RATE_LIMIT_PER_MINUTE": str(rate), "SCRM_RATE_LIMIT_BURST": "50"}
    env.pop("SCRM_NEO4J_URI", None)
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                              env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/health", timeout=1).raise_for_status()
            return server
        except httpx.HTTPError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"scrm serve did not start; see {log}")


def _customers(url: str) -> list[str]:
    answer = httpx.post(url + "/graphql", headers={"X-API-Key": NORMAL_KEY}, json={
        "query": "{ engagementTargets(kind: ADVOCATE, first: 50, audience: CUSTOMERS) "
                 "{ edges { node { customer { id } } } } }"}, timeout=30).json()
    ids = [e["node"]["customer"]["id"] for e in answer["data"]["engagementTargets"]["edges"]
           if e["node"].get("customer")]
    return ids or ["C00001"]


def _normal(url: str, seconds: float, rate: float, customers: list[str]
            ) -> tuple[list[float], Counter[str]]:
    """One request at a time on a fixed schedule; latency from each request's send."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    headers = {"X-API-Key": NORMAL_KEY}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        end = time.monotonic() + seconds
        n = 0
        next_at = time.monotonic()
        while time.monotonic() < end:
            body: dict[str, Any] = ({"query": TARGETS} if n % 2 == 0 else
                                    {"query": TIMELINE,
                                     "variables": {"id": customers[n % len(customers)]}})
            started = time.perf_counter()
            try:
                answer = client.post("/graphql", json=body)
                took = time.perf_counter() - started
                if answer.status_code != 200 or "errors" in answer.json():
                    errors[f"{answer.status_code}"] += 1
                latencies.append(took)
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
            n += 1
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.monotonic()))
    return latencies, errors


def _abuse(url: str, seconds: float, threads: int, out: Any) -> None:
    """The abuser (run in its own process): loops over the attacks; sends back counts."""
    huge = "{ " + " ".join(f"a{i}: latestRun {{ runId }}" for i in range(40_000)) + " }"
    attacks: list[tuple[str, dict[str, Any]]] = [
        ("huge document (1 MB)", {"json": {"query": huge}}),
        ("huge body (5 MB)", {"content": b"x" * 5_000_000,
                              "headers": {"content-type": "application/json"}}),
        ("JSON nested 990 levels", {"content": ('{"query": "{ latestRun { runId } }", '
                                                '"variables": {"a": ' + "[" * 990 + "]" * 990
                                                + "}}").encode(),
                                    "headers": {"content-type": "application/json"}}),
        ("30-alias timeline fan-out", {"json": {"query": "{ " + " ".join(
            FAN.format(i=i) for i in range(30)) + " }"}}),
        ("keyless mutation", {"json": {"query": 'mutation { assignConversation(conversationId:'
                                                ' "x", assignee: "y") { status } }'},
                              "keyless": True}),
        ("read-key mutation", {"json": {"query": 'mutation { assignConversation(conversationId:'
                                                 ' "x", assignee: "y") { status } }'}}),
    ]
    burst: tuple[str, dict[str, Any]] = (
        "burst of small queries", {"json": {"query": "{ latestRun { runId } }"}})
    attacks += [burst] * 20
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def loop(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            i = offset
            while time.monotonic() < end:
                name, spec = attacks[i % len(attacks)]
                i += 1
                spec = dict(spec)
                headers = dict(spec.pop("headers", {}))
                if not spec.pop("keyless", False):
                    headers["X-API-Key"] = ABUSER_KEY
                try:
                    answer = client.post("/graphql", headers=headers, **spec)
                    status = str(answer.status_code)
                    if answer.status_code == 200 and b'"errors"' in answer.content:
                        status += " with errors (refused)"
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    counts[f"{name} → {status}"] += 1

    workers = [threading.Thread(target=loop, args=(k * 7,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put(dict(counts))


def _summary(label: str, latencies: list[float], errors: Counter[str]) -> str:
    if not latencies:
        return f"| {label} | 0 | – | – | – | {sum(errors.values())} |"
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"| {label} | {len(ordered)} | {statistics.median(ordered) * 1000:.1f} | "
            f"{p99 * 1000:.1f} | {ordered[-1] * 1000:.1f} | "
            f"{sum(errors.values())}{' ' + str(dict(errors)) if errors else ''} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a database to copy (default: a fresh demo)")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--baseline", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="normal requests a second")
    parser.add_argument("--abusers", type=int, default=4, help="abuser threads")
    parser.add_argument("--rate-limit", type=int, default=3000,
                        help="SCRM_RATE_LIMIT_PER_MINUTE of the server")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scrm-abuse-") as tmp_name:
        tmp = Path(tmp_name)
        if args.db:
            db = tmp / "bench.lbdb"
            for f in args.db.parent.iterdir():
                if f.name.startswith(args.db.name):
                    shutil.copy(f, tmp / f.name.replace(args.db.name, db.name, 1))
        else:
            db = _demo_db(tmp)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = _start(db, port, tmp / "serve.log", args.rate_limit)
        try:
            customers = _customers(url)
            _normal(url, 2.0, args.rate, customers)  # warm-up
            alone = _normal(url, args.baseline, args.rate, customers)
            queue: Any = multiprocessing.get_context("spawn").Queue()
            abuser = multiprocessing.get_context("spawn").Process(
                target=_abuse, args=(url, args.duration, args.abusers, queue))
            abuser.start()
            time.sleep(0.5)
            beside = _normal(url, args.duration - 0.5, args.rate, customers)
            abuse_counts: dict[str, int] = queue.get(timeout=120)
            abuser.join(timeout=60)
            alive = server.poll() is None
        finally:
            server.terminate()
            server.wait(timeout=60)
    print("| normal client | requests | p50 ms | p99 ms | max ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    print(_summary("alone", *alone))
    print(_summary("beside the abuser", *beside))
    print()
    print("| abuser request → answer | count |")
    print("|---|---:|")
    for name, count in sorted(abuse_counts.items()):
        print(f"| {name} | {count:,} |")
    print(f"\nserver still up at the end: {alive}")
    print(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}}))


if __name__ == "__main__":
    main()
