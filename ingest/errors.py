"""Errors that stop a whole input (per-record problems are Rejects, not exceptions)."""

from __future__ import annotations

from graph.errors import UserError

__all__ = ["IngestError", "SourceFormatError"]


class IngestError(UserError):
    """An input cannot be ingested at all; the message says what to do."""


class SourceFormatError(IngestError):
    """A whole file or folder is not in the format of the chosen source."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
