"""Fixtures for the API tests: the test graph (see :mod:`api_testkit`) and live servers
(:mod:`live_server_kit`, shared with the security tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from live_server_kit import LiveServer, api_graph, live_servers


@pytest.fixture(scope="module")
def graph_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The test database (built once per module) and its run id."""
    return api_graph(tmp_path_factory, "api")


@pytest.fixture(scope="module")
def serve(graph_db: tuple[Path, str]) -> Iterator[Callable[..., LiveServer]]:
    """Start servers on read-only handles of the test database; wrap the store with
    ``wrap`` (e.g. a :class:`CountingStore`) when given: ``serve(wrap)``."""
    with live_servers(graph_db[0]) as start:
        yield start


@pytest.fixture(scope="module")
def server(serve: Callable[..., LiveServer]) -> LiveServer:
    """The shared server on the test database."""
    return serve()
