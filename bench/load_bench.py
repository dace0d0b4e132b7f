"""API load benchmark: wrk against ``scrm serve`` on the analytics benchmark's database.

    python bench/load_bench.py --db bench/out/analyze-bench.lbdb --duration 60

Starts ``scrm serve`` on the database (built and analyzed by ``bench/analyze_bench.py``),
picks a CRM customer with linked accounts, then drives two GraphQL requests with wrk
(Debian package ``wrk``), each for ``--duration`` seconds after a short warm-up:

* a 20-item ``engagementTargets`` page (account, customer, explanation);
* a 50-item ``customer`` timeline (``interactions(first: 50)`` with counterparts).

wrk runs closed-loop (``--connections`` requests in flight at a time), so the reported
rate is the most the server sustained with that many clients; the target is at least
200 requests/s with p99 under 100 ms and no errors. Prints a markdown table.
``--no-cache`` turns the server's read cache off, to measure every request answered
from the store.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib import request

TARGETS = """query { engagementTargets(kind: ADVOCATE, first: 20) {
  edges { cursor node { rank score account { key handle platform followers }
                        customer { id name } explanation { factor contribution } } }
  pageInfo { hasNextPage endCursor } } }"""

TIMELINE = """query($id: ID!) { customer(id: $id) { id name
  interactions(first: 50) { edges { cursor node { postId time platform kind direction text
    sentiment counterpart { key handle } conversationId isBrandResponse } }
    pageInfo { hasNextPage endCursor } } } }"""


def _post(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = request.Request(url + "/graphql", data=body,
                          headers={"Content-Type": "application/json"})
    with request.urlopen(req, timeout=120) as response:
        result: dict[str, Any] = json.loads(response.read())
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lua(path: Path, query: str, variables: dict[str, Any] | None) -> Path:
    body = json.dumps({"query": query, "variables": variables or {}})
    path.write_text('wrk.method = "POST"\n'
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    f"wrk.body = {json.dumps(body)}\n")
    return path


def _seconds(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def _wrk(url: str, script: Path, duration: int, connections: int, threads: int
         ) -> dict[str, Any]:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
                          "--latency", "-s", str(script), url + "/graphql"],
                         capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    stats = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "p50": _seconds(latency["50"]), "p90": _seconds(latency["90"]),
        "p99": _seconds(latency["99"]), "max": _seconds(stats.group(3)) if stats else 0.0,
        "errors": (sum(int(x) for x in errors.groups()) if errors else 0)
        + (int(non_2xx.group(1)) if non_2xx else 0),
        "raw": out,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("bench/out/analyze-bench.lbdb"))
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-cache", action="store_true",
                    help="turn the server's read cache off (SCRM_READ_CACHE_SECONDS=0)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if not args.db.exists():
        raise SystemExit(f"no database at {args.db}: run bench/analyze_bench.py first")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SCRM_DB": str(args.db), "SCRM_PORT": str(port)}
    if args.no_cache:
        env["SCRM_READ_CACHE_SECONDS"] = "0"
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                request.urlopen(url + "/health", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("scrm serve did not start")
        pick = _post(url, """{ engagementTargets(kind: INFLUENCER, first: 1,
            audience: CUSTOMERS) { edges { node { customer { id } } } } }""")
        customer = pick["data"]["engagementTargets"]["edges"][0]["node"]["customer"]["id"]
        cases = [("`engagementTargets(kind: ADVOCATE, first: 20)`", TARGETS, None),
                 (f"`customer(id: \"{customer}\")` timeline, `interactions(first: 50)`",
                  TIMELINE, {"id": customer})]
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for n, (name, query, variables) in enumerate(cases):
                sample = _post(url, query, variables)
                if "errors" in sample:
                    raise SystemExit(f"{name} answered with errors: {sample['errors']}")
                script = _lua(Path(tmp) / f"q{n}.lua", query, variables)
                _wrk(url, script, 5, args.connections, args.threads)  # warm-up
                result = _wrk(url, script, args.duration, args.connections, args.threads)
                print(result["raw"], flush=True)
                rows.append((name, result))
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"Command: `python bench/load_bench.py --db {args.db} --duration {args.duration} "
          f"--connections {args.connections} --threads {args.threads}"
          f"{' --no-cache' if args.no_cache else ''}` "
          f"(wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency)\n")
    print("| request | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | target met |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, r in rows:
        met = r["rps"] >= 200 and r["p99"] < 0.100 and r["errors"] == 0
        print(f"| {name} | {r['rps']:,.0f} | {r['p50'] * 1e3:.1f} | {r['p90'] * 1e3:.1f} | "
              f"{r['p99'] * 1e3:.1f} | {r['max'] * 1e3:.1f} | {r['errors']} | "
              f"{'yes' if met else 'no'} |")


if __name__ == "__main__":
    main()
