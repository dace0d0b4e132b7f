"""How fast the workspace's pages are: server time per page, first contentful paint in
headless Chromium, and Lighthouse's performance and accessibility scores.

Targets (issue #19): server time <= 200 ms and FCP <= 1 s per page; Lighthouse
performance and accessibility >= 90 on Inbox and Dashboard.

It serves DB with ``scrm serve`` on a free port (or measures a running server given with
``--url``), asks each page ``--repeat`` times after one warm-up and reports the median and
the worst; then runs ``tools/browser/page_speed.mjs`` (FCP) and, when installed in
tools/browser, Lighthouse 12.2.3 (desktop preset) on Inbox and Dashboard.

    python bench/workspace_bench.py --db /tmp/demo.lbdb
    python bench/workspace_bench.py --db bench/out/brand-100k.lbdb --pages inbox,dashboard
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import stop_server, wait_for_health  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BROWSER = REPO / "tools" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-not-secret"


def _bench_user(db: Path) -> None:
    """A user to sign in as (every workspace page needs one), saved before serving."""
    sys.path.insert(0, str(REPO))
    from api.passwords import hash_password
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(db)
    try:
        store.save_user(BENCH_USER, role="agent", password_hash=hash_password(BENCH_PASSWORD))
    finally:
        store.close()


def _sign_in(url: str) -> str:
    """The session cookie of the bench's user."""
    import re

    with httpx.Client(base_url=url, timeout=600) as client:
        form = client.get("/signin").text
        csrf = re.search(r'name="csrf" value="([^"]*)"', form)
        if csrf is None:
            raise SystemExit("no sign-in form at " + url)
        client.post("/signin", data={"name": BENCH_USER, "password": BENCH_PASSWORD,
                                     "csrf": csrf.group(1), "next": "/inbox"})
        token = client.cookies.get("scrm_session")
    if not token:
        raise SystemExit("signing in as the bench user failed")
    return str(token)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, and its finished children's
    (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after the name: state is field 3, utime 14, stime 15, cutime 16, cstime 17
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


SERVER_PID: list[int] = []  # the served process, when the bench started it


@contextmanager
def _server(db: Path, readers: int) -> Iterator[str]:
    _bench_user(db)
    port = _free_port()
    cmd = [sys.executable, "-m", "api.cli", "serve", "--db", str(db), "--port", str(port)]
    if readers:
        cmd += ["--readers", str(readers)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    SERVER_PID.append(proc.pid)
    try:
        wait_for_health(url, proc)
        yield url
    finally:
        stop_server(proc, timeout=300)


def _pages(url: str) -> dict[str, str]:
    """Each page's path, with a conversation and a person from the queue's top item."""
    pages = {"inbox": "/inbox", "dashboard": "/dashboard", "people": "/people",
             "settings": "/settings", "network": "/network"}
    top = httpx.post(url + "/graphql", timeout=900, json={"query": (
        "{ careQueue(first: 1) { edges { node { conversationId customer { id } } } } }")}
                     ).json()["data"]["careQueue"]["edges"]
    if top:
        pages["conversation"] = "/conversation/" + top[0]["node"]["conversationId"]
        if top[0]["node"]["customer"]:
            pages["person"] = "/people/customer/" + top[0]["node"]["customer"]["id"]
    return pages


NOTE = 'mutation($c: ID!) { addNote(conversationId: $c, text: "bench") { id } }'
# a new post by the brand: content (the dashboard's metrics read it); it answers the top
# conversation, which then leaves the queue, so each one answers another
REPLY = ('mutation($c: ID!) { recordResponse(conversationId: $c, text: "bench reply", '
         'public: true) { post { postId } } }')
TOP = "{ careQueue(first: 1) { edges { node { conversationId } } } }"


def _write(client: httpx.Client, kind: str, conversation: str) -> None:
    """One write through GraphQL: a care note on ``conversation`` (``care``: the queue's
    memo is dropped, the dashboard's metrics are kept) or a public reply to the queue's top
    item (``content``: both are)."""
    if kind == "content":
        conversation = client.post("/graphql", json={"query": TOP}).json()[
            "data"]["careQueue"]["edges"][0]["node"]["conversationId"]
    answer = client.post("/graphql", json={"query": NOTE if kind == "care" else REPLY,
                                           "variables": {"c": conversation}})
    answer.raise_for_status()
    if answer.json().get("errors"):
        raise SystemExit(f"the bench's {kind} write failed: {answer.json()['errors']}")


def server_times(url: str, pages: dict[str, str], repeat: int, session: str, *,
                 write: str | None = None, conversation: str = "", warm_up: bool = True
                 ) -> dict[str, dict[str, float]]:
    """Median and worst wall time of each page's response (ms), and of the server's own
    time when the page says it (``Server-Timing``): ``repeat`` times after one warm-up,
    or with ``write`` (``care`` or ``content``, see :func:`_write`) each the first
    response after a write, the case a user meets after acting."""
    out = {}
    with httpx.Client(base_url=url, timeout=900, cookies={"scrm_session": session}) as client:
        for name, path in pages.items():
            if warm_up and write is None:
                client.get(path).raise_for_status()
            times, own = [], []
            for _ in range(repeat):
                if write is not None:
                    _write(client, write, conversation)
                started = time.perf_counter()
                answer = client.get(path)
                answer.raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
                took = server_timing(answer.headers.get("server-timing", ""))
                if took is not None:
                    own.append(took)
            out[name] = {"median_ms": round(statistics.median(times), 1),
                         "max_ms": round(max(times), 1)}
            if own:  # the server's own time for the page (its Server-Timing header)
                out[name].update(server_median_ms=round(statistics.median(own), 1),
                                 server_max_ms=round(max(own), 1))
    return out


def server_timing(header: str) -> float | None:
    """The ``app`` duration (ms) of a ``Server-Timing`` header, if it has one."""
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name == "app":
            for param in params.split(";"):
                key, _, value = param.strip().partition("=")
                if key == "dur":
                    return float(value)
    return None


def settle(url: str, limit: float = 1800) -> float:
    """Wait until the dashboard's figures are no longer being computed after the last
    writes (seconds waited): first paint and Lighthouse measure a server at work, not
    one still absorbing the bench's own writes (the figures are read while they update,
    but compete with the pages for the processor)."""
    started = time.monotonic()
    query = "{ metrics(whileUpdating: true) { updating } }"
    while time.monotonic() - started < limit:
        answer = httpx.post(url + "/graphql", json={"query": query}, timeout=limit).json()
        if not answer.get("data", {}).get("metrics", {}).get("updating"):
            break
        time.sleep(5)
    return round(time.monotonic() - started, 1)


def paint_times(url: str, pages: dict[str, str], session: str) -> dict[str, dict[str, Any]]:
    """First contentful paint per page in headless Chromium (tools/browser/page_speed.mjs).
    The network page goes last: its script then asks for the explorer's data, minutes of
    processor at a million accounts (on a thread of its own), which the pages after it
    would otherwise be timed beside."""
    pages = dict(sorted(pages.items(), key=lambda page: page[0] == "network"))
    out = subprocess.run(["node", str(BROWSER / "page_speed.mjs"), url, *pages.values()],
                         capture_output=True, text=True, timeout=900, check=False,
                         env={**os.environ, "SCRM_SESSION": session})
    if out.returncode != 0:  # e.g. a page slower than the browser's 30 s: say so, go on
        return {"error": {"page_speed": (out.stderr.strip().splitlines() or ["failed"])[0]}}
    by_path = json.loads(out.stdout.strip().splitlines()[-1])
    return {name: by_path[path] for name, path in pages.items()}


def lighthouse(url: str, path: str, session: str) -> dict[str, float] | None:
    """Lighthouse performance and accessibility (0-100, desktop preset) of the page as the
    bench's signed-in user sees it (without the cookie it scored the sign-in page), or
    None when it is not installed (npm install --prefix tools/browser lighthouse@12.2.3)."""
    cli = BROWSER / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        return None
    out = subprocess.run(
        ["node", str(cli), url + path, "--output=json", "--quiet", "--preset=desktop",
         "--only-categories=performance,accessibility",
         "--extra-headers=" + json.dumps({"Cookie": f"scrm_session={session}"}),
         "--chrome-flags=--headless --no-sandbox --disable-gpu"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "CHROME_PATH": CHROMIUM})
    if out.returncode != 0:
        raise SystemExit("lighthouse failed: " + out.stderr[-2000:])
    report = json.loads(out.stdout)
    audits = report["audits"]
    return {"performance": round(report["categories"]["performance"]["score"] * 100),
            "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
            "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
            "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
            "tbt_ms": round(audits["total-blocking-time"]["numericValue"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="serve this database for the run")
    ap.add_argument("--url", help="measure a server already running instead")
    ap.add_argument("--session", default="",
                    help="with --url: a signed-in session cookie (with --db the bench makes "
                         "its own user and signs in)")
    ap.add_argument("--readers", type=int, default=0, help="scrm serve --readers N")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    ap.add_argument("--no-lighthouse", action="store_true")
    ap.add_argument("--after-write", type=int, default=0, metavar="N",
                    help="also time each page's first response after a write, N times")
    ap.add_argument("--write", default="care",
                    help="with --after-write: which writes, comma-separated: care (a note), "
                         "content (a public reply: a new post)")
    ap.add_argument("--idle", type=float, default=0, metavar="S",
                    help="with --db: then the server's CPU seconds over S idle seconds "
                         "(after 15 s for the checks that follow the last write)")
    args = ap.parse_args()
    if not args.db and not args.url:
        ap.error("give --db or --url")

    def cpu() -> float:
        return cpu_seconds(SERVER_PID[-1]) if SERVER_PID else 0.0

    def run(url: str) -> dict[str, object]:
        pages = _pages(url)
        if args.pages:
            pages = {k: v for k, v in pages.items() if k in args.pages.split(",")}
        session = args.session or _sign_in(url)
        used = cpu()
        result: dict[str, object] = {"server": server_times(url, pages, args.repeat, session)}
        result["server_cpu_s"] = round(cpu() - used, 1)  # the warm-up's included
        every = _pages(url)
        if args.after_write and "conversation" in every:
            for kind in args.write.split(","):
                used = cpu()
                label = "after_write" if kind == "care" else f"after_{kind}_write"
                result[label] = server_times(
                    url, pages, args.after_write, session, write=kind,
                    conversation=every["conversation"].rsplit("/", 1)[-1])
                result[label + "_cpu_s"] = round(cpu() - used, 1)
        if args.idle and SERVER_PID:
            time.sleep(15)
            used = cpu()
            time.sleep(args.idle)
            result["idle"] = {"seconds": args.idle, "server_cpu_s": round(cpu() - used, 1)}
        result["settled_s"] = settle(url)
        result["paint"] = paint_times(url, pages, session)
        if not args.no_lighthouse:
            result["lighthouse"] = {name: lighthouse(url, pages[name], session)
                                    for name in ("inbox", "dashboard") if name in pages}
        return result

    if args.url:
        result = run(args.url)
    else:
        with _server(args.db, args.readers) as url:
            result = run(url)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
