"""Connectors: live sources polled by ``scrm monitor``, registered in one table.

A connector is one module exposing ``CONNECTOR`` (:class:`~ingest.connectors.base.Connector`)
and one row in :data:`CONNECTORS`; ``scrm monitor add KIND`` and its options are
generated from this table.
"""

from __future__ import annotations

import importlib
from functools import cache

from ingest.connectors.base import Connector

__all__ = ["CONNECTORS", "get_connector"]

#: kind → module holding its ``CONNECTOR``
CONNECTORS: dict[str, str] = {
    "bluesky": "ingest.connectors.bluesky",
    "jetstream": "ingest.connectors.jetstream",
    "mastodon": "ingest.connectors.mastodon",
    "discourse": "ingest.connectors.discourse",
    "rss": "ingest.connectors.rss",
    "reddit": "ingest.connectors.reddit",
    "twitter": "ingest.connectors.twitter",
    "stackexchange": "ingest.connectors.stackexchange",
}


@cache
def get_connector(kind: str) -> Connector:
    """The registry entry of ``kind``; ValueError naming the known kinds otherwise."""
    module = CONNECTORS.get(kind)
    if module is None:
        raise ValueError(f"unknown source kind {kind!r}; known: {', '.join(sorted(CONNECTORS))}")
    connector: Connector = importlib.import_module(module).CONNECTOR
    return connector
