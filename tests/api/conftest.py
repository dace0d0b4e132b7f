"""Fixtures for the API tests: the test graph (see :mod:`api_testkit`) and live servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_testkit import LiveServer, build_graph

from graph.embedded import EmbeddedStore
from graph.store import GraphStore


@pytest.fixture(scope="module")
def graph_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The test database (built once per module) and its run id."""
    path = tmp_path_factory.mktemp("api") / "graph.lbdb"
    return path, build_graph(path)


@pytest.fixture(scope="module")
def serve(graph_db: tuple[Path, str]) -> Iterator[Callable[..., LiveServer]]:
    """Start servers on read-only handles of the test database; wrap the store with
    ``wrap`` (e.g. a :class:`CountingStore`) when given."""
    from api.app import create_app

    opened: list[tuple[LiveServer, EmbeddedStore]] = []

    def start(wrap: Callable[[GraphStore], Any] | None = None) -> LiveServer:
        store = EmbeddedStore(graph_db[0], read_only=True)
        server = LiveServer(create_app(store=wrap(store) if wrap else store))
        opened.append((server.__enter__(), store))
        return server

    yield start
    for server, store in opened:
        server.__exit__(None, None, None)
        store.close()


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """The shared server on the test database."""
    return serve()

