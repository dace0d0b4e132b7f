"""Errors that stop a whole input (per-record problems are Rejects, not exceptions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph.errors import UserError

__all__ = ["IngestError", "NothingLoadedError", "SourceFormatError", "TruncatedInputError"]


class IngestError(UserError):
    """An input cannot be ingested at all; the message says what to do."""


class SourceFormatError(IngestError):
    """A whole file or folder is not in the format of the chosen source."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class TruncatedInputError(SourceFormatError):
    """A compressed file ends early; what was read before the break is loaded."""


class NothingLoadedError(IngestError):
    """Files with records gave nothing to load: every record was rejected.

    ``reports`` and ``rejects`` are what the ingest returns otherwise, so a caller can
    still show the summary; the command exits non-zero.
    """

    def __init__(self, message: str, reports: list[Any], rejects: Path) -> None:
        super().__init__(message)
        self.reports = reports
        self.rejects = rejects
