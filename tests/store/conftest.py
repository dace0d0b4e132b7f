"""The ``store`` fixture: one contract suite, run against every adapter.

``embedded`` always runs (a fresh LadybugDB file per test). ``neo4j`` runs when
``SCRM_NEO4J_URI`` points at a server, whose configured database is wiped first, so
point it at a throw-away database (``docker compose up neo4j``), never at production.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.store import GraphStore

NEO4J_SKIP = ("SCRM_NEO4J_URI not set: the Neo4j contract run needs a server "
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


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    if request.param == "neo4j":
        if not os.environ.get("SCRM_NEO4J_URI"):
            pytest.skip(NEO4J_SKIP)
        opened = _neo4j_store()
    else:
        from graph.embedded import EmbeddedStore

        opened = EmbeddedStore(tmp_path / "contract.lbdb")
    try:
        yield opened
    finally:
        opened.close()
