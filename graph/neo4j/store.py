"""The Neo4j store, composed from its sections (mirroring ``graph.embedded``)."""

from __future__ import annotations

from graph.neo4j.care import CareMixin
from graph.neo4j.events import EventsMixin
from graph.neo4j.export import ExportMixin
from graph.neo4j.identities import IdentitiesMixin
from graph.neo4j.outbox import OutboxMixin
from graph.neo4j.projection import ProjectionMixin
from graph.neo4j.reads import ReadsMixin
from graph.neo4j.scores import ScoresMixin
from graph.neo4j.users import UsersMixin
from graph.neo4j.writes import WritesMixin

__all__ = ["Neo4jStore"]


class Neo4jStore(WritesMixin, IdentitiesMixin, ProjectionMixin, ScoresMixin, ReadsMixin,
                 CareMixin, EventsMixin, OutboxMixin, ExportMixin, UsersMixin):
    """The store port on a Neo4j server.

    Args:
        driver: A ``neo4j.Driver`` (or anything answering like one).
        database: The Neo4j database name.
        batch_size: Rows per ``UNWIND`` statement.
    """
