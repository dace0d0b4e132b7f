"""The Neo4j adapter, one module per section of the store port (as ``graph.embedded``).

``base`` holds the driver, sessions and transactions; ``writes``, ``identities``,
``projection``, ``scores``, ``reads``, ``care`` and ``export`` are the sections,
composed into :class:`Neo4jStore` in ``store``; every statement is a named constant
in ``queries``. Reach it through ``graph.open_store()`` unless you need this adapter.
"""

from __future__ import annotations

from graph.neo4j.store import Neo4jStore

__all__ = ["Neo4jStore"]
