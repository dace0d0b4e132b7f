"""The ``store`` fixture: one contract suite, run against every adapter.

``embedded`` always runs (a fresh LadybugDB file per test). ``neo4j`` runs the Neo4j
adapter: against a server when ``SCRM_NEO4J_URI`` points at one (its configured
database is wiped first, so point it at a throw-away database: ``docker compose up
neo4j``, never production); without one, through :class:`neo4j_twin_driver.TwinDriver`,
which records every statement the adapter sends (linted by ``test_cypher_lint.py``)
and runs it on a LadybugDB twin, so the same cases judge the same adapter code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from graph.store import GraphStore

if TYPE_CHECKING:
    pass

NEO4J_SKIP = ("SCRM_NEO4J_URI not set: this case needs a Neo4j server "
              "(docker compose up neo4j)")


def _neo4j_store() -> GraphStore:
    from graph.config import Settings
    from graph.neo4j import Neo4jStore
    from graph.neo4j import queries as neo4j_queries

    settings = Settings()
    store = Neo4jStore.from_settings(settings)
    with store._driver.session(database=settings.neo4j_database) as session:
        session.run(neo4j_queries.WIPE_DATABASE).consume()  # batched: needs auto-commit
    return store


def _neo4j_twin_store(path: Path) -> GraphStore:
    from neo4j_twin_driver import TwinDriver

    from graph.embedded import EmbeddedStore
    from graph.neo4j import Neo4jStore

    twin = EmbeddedStore(path)
    store = Neo4jStore(TwinDriver(twin), "scrm", batch_size=1000)
    store.twin = twin  # type: ignore[attr-defined]  # closed with the store (below)
    return store


def on_server() -> bool:
    """Whether the ``neo4j`` cases run against a real server."""
    return bool(os.environ.get("SCRM_NEO4J_URI"))


# ``-m "not neo4j"`` leaves out the cases that need a server; the twin runs everywhere.
@pytest.fixture(params=["embedded", pytest.param(
    "neo4j", marks=[pytest.mark.neo4j] if os.environ.get("SCRM_NEO4J_URI") else [])])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    if request.param == "neo4j":
        opened = _neo4j_store() if on_server() else _neo4j_twin_store(tmp_path / "twin.lbdb")
    else:
        from graph.embedded import EmbeddedStore

        opened = EmbeddedStore(tmp_path / "contract.lbdb")
    try:
        yield opened
    finally:
        opened.close()
        twin = getattr(opened, "twin", None)
        if twin is not None:
            twin.close()
