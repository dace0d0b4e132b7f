"""Fixtures for the security tests: the API test graph, served for real with chosen settings.

Every test here attacks a running server over HTTP or WebSocket, or the real CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
for helper in (HERE.parent / "api", HERE.parent / "cli"):
    if str(helper) not in sys.path:
        sys.path.insert(0, str(helper))

from live_server_kit import LiveServer, api_graph, live_servers  # noqa: E402
from security_kit import KEYS  # noqa: E402

from graph.config import Settings  # noqa: E402


@pytest.fixture(scope="module")
def graph_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The API test database (built once per module) and its run id."""
    return api_graph(tmp_path_factory, "security")


@pytest.fixture(scope="module")
def serve(graph_db: tuple[Path, str]) -> Iterator[Callable[..., LiveServer]]:
    """Start a real uvicorn server on the test database with settings overrides
    (``serve(api_keys=KEYS, public_graphiql=False)``); writable when ``write=True``."""
    with live_servers(graph_db[0]) as start:
        yield lambda write=False, **overrides: start(
            write=write, settings=Settings(db=graph_db[0], **overrides))


@pytest.fixture(scope="module")
def keyed(serve: Callable[..., LiveServer]) -> LiveServer:
    """A read-only server with keys on and GraphiQL public (the default)."""
    return serve(api_keys=KEYS)
