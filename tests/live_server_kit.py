"""Real servers on the API test graph, for the fixtures of tests/api and tests/security.

Imported by name (``from live_server_kit import ...``): pytest puts ``tests/`` on the
import path for the top-level conftest, as it puts each test folder there for its own
files. The graph and :class:`LiveServer` come from ``tests/api/api_testkit.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

_API_TESTS = str(Path(__file__).resolve().parent / "api")
if _API_TESTS not in sys.path:
    sys.path.insert(0, _API_TESTS)

from api_testkit import LiveServer, build_graph  # noqa: E402

from graph.config import Settings  # noqa: E402
from graph.embedded import EmbeddedStore  # noqa: E402
from graph.store import GraphStore  # noqa: E402

__all__ = ["LiveServer", "api_graph", "live_servers"]


def api_graph(factory: pytest.TempPathFactory, folder: str) -> tuple[Path, str]:
    """The API test database, built in a fresh folder named after ``folder``, and the
    id of its analysis run."""
    path = factory.mktemp(folder) / "graph.lbdb"
    return path, build_graph(path)


@contextmanager
def live_servers(path: Path) -> Iterator[Callable[..., LiveServer]]:
    """A function that starts real uvicorn servers on the database at ``path``; on exit
    every server it started is stopped and every store handle closed.

    ``start(wrap=None, write=False, settings=None)``: a new handle, read-only unless
    ``write``; the app serves ``wrap(store)`` when given (e.g. a ``CountingStore``) and
    reads ``settings`` when given (else the ``SCRM_*`` environment).
    """
    from api.app import create_app

    opened: list[tuple[LiveServer, EmbeddedStore]] = []

    def start(wrap: Callable[[GraphStore], Any] | None = None, *, write: bool = False,
              settings: Settings | None = None) -> LiveServer:
        store = EmbeddedStore(path, read_only=not write)
        server = LiveServer(create_app(store=wrap(store) if wrap else store, settings=settings))
        opened.append((server.__enter__(), store))
        return server

    try:
        yield start
    finally:
        for server, store in opened:
            server.__exit__(None, None, None)
            store.close()
