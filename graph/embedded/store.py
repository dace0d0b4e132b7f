"""The embedded store: LadybugDB on disk, no server, composed from its sections."""

from __future__ import annotations

from graph.embedded.care import CareMixin
from graph.embedded.events import EventsMixin
from graph.embedded.export import ExportMixin
from graph.embedded.identities import IdentitiesMixin
from graph.embedded.outbox import OutboxMixin
from graph.embedded.projection import ProjectionMixin
from graph.embedded.reads import ReadsMixin
from graph.embedded.scores import ScoresMixin
from graph.embedded.users import UsersMixin
from graph.embedded.writes import WritesMixin

__all__ = ["EmbeddedStore"]


class EmbeddedStore(WritesMixin, IdentitiesMixin, ProjectionMixin, ScoresMixin, ReadsMixin,
                    CareMixin, EventsMixin, OutboxMixin, ExportMixin, UsersMixin):
    """The store port on LadybugDB.

    Args:
        path: Database path (created on first open).
        read_only: Open without taking the write lock (several readers may coexist
            with one writer; they see the state as of their open).
        buffer_pool_mb: The database's buffer pool (default ``SCRM_BUFFER_POOL_MB``).
    """
