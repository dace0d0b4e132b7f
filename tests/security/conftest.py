"""Fixtures for the security tests: the API test graph, served for real with chosen settings.

Every test here attacks a running server over HTTP or WebSocket, or the real CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
for helper in (HERE.parent / "api", HERE.parent / "cli"):
    if str(helper) not in sys.path:
        sys.path.insert(0, str(helper))

from api_testkit import LiveServer, build_graph  # noqa: E402

from graph.config import Settings  # noqa: E402
from graph.embedded_store import EmbeddedStore  # noqa: E402

READ_KEY, WRITE_KEY = "reader-key-123", "writer-key-456"
KEYS = f"{READ_KEY}:read,{WRITE_KEY}:write"


@pytest.fixture(scope="module")
def graph_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The API test database (built once per module) and its run id."""
    path = tmp_path_factory.mktemp("security") / "graph.lbdb"
    return path, build_graph(path)


@pytest.fixture(scope="module")
def serve(graph_db: tuple[Path, str]) -> Iterator[Callable[..., LiveServer]]:
    """Start a real uvicorn server on the test database with settings overrides
    (``serve(api_keys=KEYS, public_graphiql=False)``); writable when ``write=True``."""
    from api.app import create_app

    opened: list[tuple[LiveServer, EmbeddedStore]] = []

    def start(write: bool = False, **overrides: Any) -> LiveServer:
        store = EmbeddedStore(graph_db[0], read_only=not write)
        settings = Settings(db=graph_db[0], **overrides)
        server = LiveServer(create_app(store=store, settings=settings))
        opened.append((server.__enter__(), store))
        return server

    yield start
    for server, store in opened:
        server.__exit__(None, None, None)
        store.close()


@pytest.fixture(scope="module")
def keyed(serve: Callable[..., LiveServer]) -> LiveServer:
    """A read-only server with keys on and GraphiQL public (the default)."""
    return serve(api_keys=KEYS)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def start_scrm_serve(db: Path, *args: str, env: dict[str, str] | None = None,
                     ) -> tuple[Any, str]:
    """A real ``scrm serve`` on a free port with extra environment: its process and URL."""
    import socket
    import subprocess
    import time

    import httpx
    from serving import scrm_env

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                               *args], env={**scrm_env(db), **(env or {})},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/health", timeout=1).raise_for_status()
            return server, url
        except httpx.HTTPError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise AssertionError(f"scrm serve did not start: {server.communicate()[0][-2000:]}")


def stop(server: Any) -> None:
    """End a server started by :func:`start_scrm_serve` (its readers follow it)."""
    import signal

    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except Exception:
        server.kill()
        server.wait(timeout=30)
