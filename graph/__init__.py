"""The graph model, the store port and its adapters."""

from __future__ import annotations

from pathlib import Path

from graph.config import Settings, get_settings
from graph.store import GraphStore, StoreBusyError, StoreError

__all__ = ["GraphStore", "StoreBusyError", "StoreError", "open_store"]


def open_store(
    settings: Settings | None = None, *, db: Path | None = None, read_only: bool = False,
    buffer_pool_mb: int | None = None,
) -> GraphStore:
    """Open the configured store: Neo4j when ``SCRM_NEO4J_URI`` is set, else embedded
    (with a buffer pool of ``buffer_pool_mb``, default ``SCRM_BUFFER_POOL_MB``)."""
    settings = settings or get_settings()
    if settings.neo4j_uri:
        from graph.neo4j import Neo4jStore

        return Neo4jStore.from_settings(settings)
    from graph.embedded import EmbeddedStore

    return EmbeddedStore(db or settings.db, read_only=read_only, buffer_pool_mb=buffer_pool_mb)
