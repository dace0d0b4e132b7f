"""A local fake platform: replays recorded responses on 127.0.0.1, with injected faults.

Routes map a path to a list of responses served in turn (the last one repeats), or to
a function of the query. Faults are responses too: a 429 with ``Retry-After``, a 500,
a delay longer than the client's timeout, a body cut off mid-way.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Canned", "ReplayServer", "recorded", "replay_server"]


@dataclass
class Canned:
    """One response: status, body, headers; ``delay`` seconds first; ``cut`` sends only
    that many bytes of the body and closes the connection."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut: int | None = None


Route = list[Canned] | Callable[[dict[str, str]], Canned]


def recorded(path: Path, *, status: int | None = None, keep_headers: bool = True,
             body: bytes | None = None) -> Canned:
    """A recording from ``../shared/data`` with its rate-limit and Link headers."""
    meta_path = path.with_name(path.name.rsplit(".", 1)[0] + ".headers.json")
    headers: dict[str, str] = {}
    code = 200
    if meta_path.exists() and keep_headers:
        meta = json.loads(meta_path.read_text())
        code = int(meta.get("status", 200))
        for name, value in meta.get("headers", {}).items():
            low = name.lower()
            if "ratelimit" in low or "rate-limit" in low or low in ("link", "retry-after"):
                headers[low] = value if isinstance(value, str) else ", ".join(value)
    return Canned(body if body is not None else path.read_bytes(),
                  status if status is not None else code, headers)


class ReplayServer:
    """Routes, and every request seen (path and query)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.headers: list[dict[str, str]] = []
        self._served: dict[str, int] = {}
        self.url = ""
        self.lock = threading.Lock()

    def add(self, path: str, *responses: Canned) -> None:
        self.routes[path] = list(responses)
        self._served[path] = 0

    def route(self, path: str, fn: Callable[[dict[str, str]], Canned]) -> None:
        self.routes[path] = fn

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def respond(self, path: str, query: dict[str, str]) -> Canned:
        with self.lock:
            self.requests.append((path, query))
            route = self.routes.get(path)
            if route is None:
                return Canned(b'{"error": "not recorded"}', 404)
            if callable(route):
                return route(query)
            n = self._served.get(path, 0)
            self._served[path] = n + 1
            return route[min(n, len(route) - 1)]


def _handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            server.headers.append({k.lower(): v for k, v in self.headers.items()})
            canned = server.respond(parts.path, query)
            if canned.delay:
                time.sleep(canned.delay)
            try:
                self.send_response(canned.status)
                for name, value in canned.headers.items():
                    self.send_header(name, value.replace("{base}", server.url))
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                if canned.cut is not None:
                    self.wfile.write(canned.body[:canned.cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(canned.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


@contextmanager
def replay_server() -> Iterator[ReplayServer]:
    """A :class:`ReplayServer` listening on 127.0.0.1 (a free port) until the block ends."""
    state = ReplayServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def until(check: Callable[[], bool], seconds: float = 60, every: float = 0.2) -> bool:
    """Whether ``check()`` came true within ``seconds`` (asked every ``every`` s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False
