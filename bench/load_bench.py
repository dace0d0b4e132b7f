"""API load benchmark: wrk against ``scrm serve`` on the analytics benchmark's database.

    python bench/load_bench.py --db bench/out/analyze-bench.lbdb --duration 60

Starts ``scrm serve`` on the database (built by ``bench/build_brand_network.py`` and
analyzed by ``bench/analyze_bench.py``) on a free port, waits for ``/health``, picks its
inputs through the API, then drives two GraphQL requests with wrk (Debian package
``wrk``), each for ``--duration`` seconds after a short warm-up:

* a 20-item ``engagementTargets(kind: ADVOCATE)`` page (account, customer, explanation);
* a 50-item customer timeline (``customer(id) { interactions(first: 50) }``, counterparts).

Load: by default wrk sends ``--rate`` (200) requests a second on a fixed schedule (a
LuaJIT ``delay()`` hook; latency is timed from each request's send), with up to
``--connections`` requests in flight; if the server falls behind, the achieved rate
shows it. ``--rate 0`` is wrk's plain closed loop: the most the server sustains with
``--connections`` clients.

Inputs: each value of ``--inputs`` is a run. ``1`` sends the same request every time
(what clients refreshing one ranking or one customer page produce; the server's 2 s
read cache answers most of them); ``N`` rotates N different requests (N ranking pages,
N customers whose timeline fills a 50-item page), so the cache rarely helps and the
store and the GraphQL layer answer nearly every request. ``--no-cache`` turns the
read cache off altogether.

Before the runs the bench waits until the server is idle (6 s in a row under 5 % of
a core; ``--no-settle`` measures at once): its first events check after starting builds
the care queue and the alerts once, seconds of CPU that are no request's cost; the wait
and the CPU it saw are printed. Every input is asked once before the runs and must
answer without ``errors``; during the runs a Lua ``response()`` hook counts non-200
answers and answers with an ``errors`` key, which count as errors beside wrk's socket
errors and timeouts. Prints
wrk's output, then a markdown table for BENCHMARKS.md with the server's CPU time per
request (from /proc). The target: the rate sustained (>= 99 % of it), p99 under 100 ms
and no errors.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib import request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import stop_server  # noqa: E402

TARGETS = """query($after: String) { engagementTargets(kind: ADVOCATE, first: 20, after: $after) {
  edges { cursor node { rank score account { key handle platform followers }
                        customer { id name } explanation { factor contribution } } }
  pageInfo { hasNextPage endCursor } } }"""

TIMELINE = """query($id: ID!) { customer(id: $id) { id name
  interactions(first: 50) { edges { cursor node { postId time platform kind direction text
    sentiment counterpart { key handle } conversationId isBrandResponse } }
    pageInfo { hasNextPage endCursor } } } }"""

TARGET_P99 = 0.100

# wrk's Lua side: a fixed send schedule per wrk thread (delay()), a rotation over the
# request bodies in BODIES (one JSON document a line) and counters of bad answers.
LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } loadbench_timespec;
int clock_gettime(int clk_id, loadbench_timespec *tp);
]]
local ts = ffi.new("loadbench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local BODIES = "@BODIES@"
local INTERVAL_MS = @INTERVAL_MS@  -- between sends of one wrk thread; 0: closed loop

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  requests_ = {}
  for line in io.lines(BODIES) do
    if #line > 0 then table.insert(requests_, wrk.format(nil, nil, nil, line)) end
  end
  idx = (tid * 7919) % #requests_  -- threads start at different inputs
  graphql_errors, bad_status, sent, start = 0, 0, 0, nil
end

function request()
  idx = idx % #requests_ + 1
  return requests_[idx]
end

if INTERVAL_MS > 0 then
  function delay()
    local now = now_ms()
    if start == nil then start = now end
    local due = start + sent * INTERVAL_MS
    sent = sent + 1
    if due <= now then return 0 end
    return due - now
  end
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local gql, bad = 0, 0
  for _, t in ipairs(threads) do
    gql = gql + t:get("graphql_errors")
    bad = bad + t:get("bad_status")
  end
  local e = summary.errors
  io.write(string.format(
    'LOADBENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "status": %d, "bad_status": %d, "graphql_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write,
    e.timeout, e.status, bad, gql))
end
"""


@dataclass
class Result:
    name: str
    inputs: int
    rps: float
    p50: float
    p90: float
    p99: float
    max: float
    socket_errors: int
    bad_status: int
    graphql_errors: int
    server_cpu_ms: float  # server CPU time per request
    wrk_command: str
    raw: str

    @property
    def errors(self) -> int:
        return self.socket_errors + self.bad_status + self.graphql_errors

    def met(self, rate: float) -> bool:
        return (self.rps >= (0.99 * rate if rate else 200.0) and self.p99 < TARGET_P99
                and self.errors == 0)


def _post(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = request.Request(url + "/graphql", data=body,
                          headers={"Content-Type": "application/json"})
    with request.urlopen(req, timeout=300) as response:
        result: dict[str, Any] = json.loads(response.read())
    if "errors" in result:
        raise SystemExit(f"the API answered with errors: {result['errors']}\nquery: {query}\n"
                         f"variables: {variables}")
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children (the read processes
    of ``scrm serve --readers``), from Linux /proc."""
    total, parents = 0.0, {pid}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) in parents or int(fields[1]) in parents:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _settle(pid: int, quiet: float = 0.05, streak: int = 6, most: float = 300.0
            ) -> tuple[float, float]:
    """Wait until the server is idle (under ``quiet`` CPU seconds a second for ``streak``
    seconds in a row: longer than the events loop's 5 s before its first check), at most
    ``most`` seconds: what it does once after starting (the first events check builds
    the care queue and the alerts) is not the cost of a request. Returns (seconds waited,
    CPU seconds it used meanwhile)."""
    started, first = time.monotonic(), _cpu_seconds(pid)
    last, calm = first, 0
    while time.monotonic() - started < most and calm < streak:
        time.sleep(1.0)
        now = _cpu_seconds(pid)
        calm = calm + 1 if now - last < quiet else 0
        last = now
    return time.monotonic() - started, _cpu_seconds(pid) - first


def _start_server(db: Path, port: int, cache_seconds: float | None, log: Path,
                  readers: int = 0) -> subprocess.Popen[bytes]:
    scrm = Path(sys.executable).with_name("scrm")
    command = [str(scrm)] if scrm.exists() else [sys.executable, "-m", "api.cli"]
    env = {**os.environ, "SCRM_DB": str(db), "SCRM_PORT": str(port)}
    env.pop("SCRM_NEO4J_URI", None)
    if cache_seconds is not None:
        env["SCRM_READ_CACHE_SECONDS"] = f"{cache_seconds:g}"
    with log.open("wb") as out:
        server = subprocess.Popen([*command, "serve", "--db", str(db), "--port", str(port),
                                   "--readers", str(readers)],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"scrm serve exited with {server.returncode}:\n"
                             + log.read_text(errors="replace")[-3000:])
        try:
            with request.urlopen(url + "/health", timeout=60) as response:
                health = json.loads(response.read())
            if health.get("status") == "ok":
                if not health.get("latest_run_id"):
                    raise SystemExit(f"{db} has no completed analysis run: run "
                                     "bench/analyze_bench.py first")
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("scrm serve did not answer /health within 10 minutes")


def _target_inputs(url: str, count: int) -> list[dict[str, Any]]:
    """``count`` different pages of the advocate ranking (page 1 first)."""
    variables: list[dict[str, Any]] = [{"after": None}]
    after = None
    while len(variables) < count:
        page = _post(url, """query($after: String) { engagementTargets(kind: ADVOCATE,
            first: 100, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }""",
                     {"after": after})["data"]["engagementTargets"]
        cursors = [e["cursor"] for e in page["edges"]]
        # a page after the 20th, 40th, ... entry of this chunk
        variables += [{"after": c} for c in cursors[19::20]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"] or after is None:
            break
    return variables[:count]


def _customer_inputs(url: str, count: int) -> list[dict[str, Any]]:
    """Up to ``count`` customers whose timeline fills a 50-item page, most influential
    first; looks at no more than ``4 * count + 200`` customers (each timeline is asked
    once here, which also checks that it answers without errors)."""
    chosen: list[dict[str, Any]] = []
    seen: set[str] = set()
    budget = 4 * count + 200
    for kind in ("INFLUENCER", "ADVOCATE", "DETRACTOR"):
        after = None
        while len(chosen) < count and len(seen) < budget:
            page = _post(url, """query($kind: TargetKind!, $after: String) {
                engagementTargets(kind: $kind, first: 100, after: $after, audience: CUSTOMERS) {
                  edges { node { customer { id } } } pageInfo { hasNextPage endCursor } } }""",
                         {"kind": kind, "after": after})["data"]["engagementTargets"]
            ids = [e["node"]["customer"]["id"] for e in page["edges"] if e["node"]["customer"]]
            for customer in ids:
                if customer in seen or len(chosen) >= count or len(seen) >= budget:
                    continue
                seen.add(customer)
                answer = _post(url, TIMELINE, {"id": customer})["data"]["customer"]
                if len(answer["interactions"]["edges"]) == 50:
                    chosen.append({"id": customer})
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"] or after is None:
                break
    if not chosen:
        raise SystemExit("no customer has a 50-item timeline in this database")
    return chosen


def _bodies(path: Path, query: str, variables: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps({"query": query, "variables": v}) + "\n"
                            for v in variables))
    return path


def _lua(path: Path, bodies: Path, interval_ms: float) -> Path:
    path.write_text(LUA.replace("@BODIES@", str(bodies))
                    .replace("@INTERVAL_MS@", repr(interval_ms)))
    return path


def _wrk(url: str, script: Path, duration: int, args: argparse.Namespace
         ) -> tuple[str, dict[str, Any], str]:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s",
               f"--timeout={args.timeout}s", "--latency", "-s", str(script), url + "/graphql"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    line = next((x for x in done.stdout.splitlines() if x.startswith("LOADBENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{done.stdout}{done.stderr}")
    return done.stdout, json.loads(line.removeprefix("LOADBENCH ")), shlex.join(command)


def _run(url: str, pid: int, name: str, lua: Path, inputs: int, args: argparse.Namespace
         ) -> Result:
    if args.warmup:
        _wrk(url, lua, args.warmup, args)
    cpu = _cpu_seconds(pid)
    raw, s, command = _wrk(url, lua, args.duration, args)
    cpu = _cpu_seconds(pid) - cpu
    seconds = s["duration_us"] / 1e6
    return Result(
        name=name, inputs=inputs, rps=s["requests"] / seconds, p50=s["p50_us"] / 1e6,
        p90=s["p90_us"] / 1e6, p99=s["p99_us"] / 1e6, max=s["max_us"] / 1e6,
        socket_errors=s["connect"] + s["read"] + s["write"] + s["timeout"],
        bad_status=s["bad_status"], graphql_errors=s["graphql_errors"],
        server_cpu_ms=cpu / max(s["requests"], 1) * 1e3, wrk_command=command, raw=raw)


def _table(results: list[Result], args: argparse.Namespace) -> str:
    load = f"{args.rate:g}/s fixed rate" if args.rate else "closed loop"
    lines = [
        "| request | inputs | load | requests/s | p50 ms | p90 ms | p99 ms | max ms | "
        "errors | server CPU ms/req | target met |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        errors = str(r.errors) if not r.errors else (
            f"{r.errors} (socket {r.socket_errors}, non-200 {r.bad_status}, "
            f"GraphQL {r.graphql_errors})")
        lines.append(
            f"| {r.name} | {r.inputs:,} | {load} | {r.rps:,.1f} | {r.p50 * 1e3:.1f} | "
            f"{r.p90 * 1e3:.1f} | {r.p99 * 1e3:.1f} | {r.max * 1e3:.1f} | {errors} | "
            f"{r.server_cpu_ms:.2f} | {'yes' if r.met(args.rate) else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("bench/out/analyze-bench.lbdb"))
    ap.add_argument("--duration", type=int, default=60, help="seconds per run (default 60)")
    ap.add_argument("--warmup", type=int, default=5, help="seconds of load before each run")
    ap.add_argument("--rate", type=float, default=200.0,
                    help="requests a second on a fixed schedule; 0: closed loop (default 200)")
    ap.add_argument("--connections", type=int, default=32,
                    help="wrk connections, the most requests in flight (default 32)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    ap.add_argument("--timeout", type=int, default=2,
                    help="seconds after which wrk counts a request as a timeout error")
    ap.add_argument("--inputs", type=int, nargs="+", default=[1, 1000],
                    help="a run per value: how many different requests to rotate "
                         "(1: the same request every time; default: 1 1000)")
    ap.add_argument("--only", choices=["targets", "timeline"],
                    help="run one of the two requests only")
    ap.add_argument("--readers", type=int, default=0,
                    help="read-only API processes beside the writer (scrm serve --readers)")
    ap.add_argument("--no-cache", action="store_true",
                    help="turn the server's read cache off (SCRM_READ_CACHE_SECONDS=0)")
    ap.add_argument("--no-settle", action="store_true",
                    help="measure at once, not after the server's start-up work is done "
                         "(the first events check: care queue and alerts)")
    ap.add_argument("--cache-seconds", type=float,
                    help="the server's read cache lifetime (SCRM_READ_CACHE_SECONDS; "
                         "default: the server's own, 2 s)")
    args = ap.parse_args()
    if args.no_cache:
        args.cache_seconds = 0.0
    elif args.cache_seconds is None and os.environ.get("SCRM_READ_CACHE_SECONDS"):
        args.cache_seconds = float(os.environ["SCRM_READ_CACHE_SECONDS"])
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian/Ubuntu)")
    if not args.db.exists():
        raise SystemExit(f"no database at {args.db}: run bench/build_brand_network.py and "
                         "bench/analyze_bench.py first")
    if args.connections < args.threads:
        raise SystemExit("--connections must be at least --threads")
    db = args.db.resolve()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    interval_ms = 1000.0 * args.threads / args.rate if args.rate else 0.0
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="scrm-load-") as tmp_name:
        tmp = Path(tmp_name)
        print(f"starting scrm serve --db {db} on port {port}", file=sys.stderr, flush=True)
        server = _start_server(db, port, args.cache_seconds, tmp / "serve.log", args.readers)
        try:
            most = max(args.inputs)
            cases = []
            if args.only in (None, "targets"):
                print("picking ranking pages", file=sys.stderr, flush=True)
                pages = _target_inputs(url, most)
                cases.append(("`engagementTargets(kind: ADVOCATE, first: 20)` with account, "
                              "customer, explanation", "targets", TARGETS, pages, False))
            if args.only in (None, "timeline"):
                print("picking customers with full timelines", file=sys.stderr, flush=True)
                customers = _customer_inputs(url, most)
                cases.append(("`customer(id)` → `interactions(first: 50)` with counterparts",
                              "timeline", TIMELINE, customers, True))
            if not args.no_settle:
                waited, used = _settle(server.pid)
                print(f"server settled after {waited:.0f} s ({used:.1f} s of CPU meanwhile)",
                      file=sys.stderr, flush=True)
            for name, slug, query, variables, checked in cases:
                for inputs in args.inputs:
                    chosen = variables[:inputs]
                    for v in ([] if checked else chosen):  # every input answers, no errors
                        _post(url, query, v)
                    bodies = _bodies(tmp / f"{slug}-{inputs}.jsonl", query, chosen)
                    lua = _lua(tmp / f"{slug}-{inputs}.lua", bodies, interval_ms)
                    print(f"{slug}: {len(chosen)} input(s), {args.warmup}s warm-up + "
                          f"{args.duration}s", file=sys.stderr, flush=True)
                    result = _run(url, server.pid, name, lua, len(chosen), args)
                    print(result.wrk_command)
                    print(result.raw, flush=True)
                    results.append(result)
        finally:
            stop_server(server)
    command = shlex.join(["python", "bench/load_bench.py", *sys.argv[1:]])
    cache = "off" if args.cache_seconds == 0 else (
        "2 s (default)" if args.cache_seconds is None else f"{args.cache_seconds:g} s")
    print(f"\nCommand: `{command}` (wrk {wrk_version()}, "
          f"`wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency` with a "
          f"Lua script; {args.warmup} s warm-up; server read cache {cache})\n")
    print(_table(results, args))


def wrk_version() -> str:
    text = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return text.split()[1] if text.startswith("wrk ") else "?"


if __name__ == "__main__":
    main()
