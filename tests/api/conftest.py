"""Fixtures for the API tests: the test graph (see :mod:`api_testkit`) and live servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_testkit import LiveServer, build_graph

from graph.embedded_store import EmbeddedStore
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


SAMPLES = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "demo"


def build_demo(path: Path) -> None:
    """The analyzed demo database (brand, CRM, orders, Twitter, Reddit) at ``path``."""
    import json

    from analytics.job import run_analysis
    from ingest.pipeline import ingest_paths

    brand = json.loads((SAMPLES / "brand.json").read_text())
    with EmbeddedStore(path) as store:
        store.set_brand(brand["accounts"], {
            "brand.name": brand["name"], "brand.terms": json.dumps(brand["terms"]),
            "brand.competitors": json.dumps(brand["competitors"])})
        for source, name in (("crm", "crm.csv"), ("orders", "orders.csv"),
                             ("twitter", "twitter.jsonl"), ("reddit", "reddit.jsonl")):
            ingest_paths(store, source, [SAMPLES / name], rejects_dir=path.parent)
        run_analysis(store)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An analyzed demo database, built once; copy it (``demo_copy``) before writing."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.lbdb"
    build_demo(path)
    return path


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the analyzed demo database."""
    import shutil

    target = tmp_path / "demo.lbdb"
    for f in demo_template.parent.iterdir():
        if f.name.startswith(demo_template.name):
            shutil.copy(f, tmp_path / f.name)
    return target
