"""Ingest files end to end: validate paths, parse, load, record in the ledger, report."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graph.store import GraphStore
from ingest.errors import IngestError
from ingest.loader import FileReport, RejectsWriter, file_fingerprint, load_units, now_stamp
from ingest.sources import get_source

__all__ = ["check_paths", "ingest_paths"]


def check_paths(paths: Sequence[str | Path], *, folders: bool = False) -> list[Path | str]:
    """Refuse unreadable inputs before anything is written.

    A folder stands for the files in it, unless ``folders`` (a source whose input
    is a folder, such as a Stack Exchange dump).
    """
    out: list[Path | str] = []
    for raw in paths:
        if str(raw) == "-":
            out.append("-")
            continue
        p = Path(raw)
        if not p.exists():
            raise IngestError(f"{p}: no such file. Check the path and run the command again.")
        if p.is_dir() and folders:
            out.append(p)
            continue
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
            if not files:
                raise IngestError(f"{p}: the folder has no files to ingest.")
            out.extend(files)
            continue
        if not os.access(p, os.R_OK):
            raise IngestError(f"{p}: permission denied. Make the file readable and try again.")
        out.append(p)
    return out


def _fingerprint(path: Path | str) -> str | None:
    if not isinstance(path, Path):
        return None  # standard input: no identity, always read
    if path.is_dir():
        digest = hashlib.sha256()
        for f in sorted(p for p in path.iterdir() if p.is_file()):
            digest.update(f.name.encode() + b"\0" + file_fingerprint(f).encode())
        return digest.hexdigest()
    return file_fingerprint(path)


def ingest_paths(
    store: GraphStore,
    source_name: str,
    paths: Sequence[str | Path],
    *,
    rejects_dir: Path,
    batch_size: int = 200_000,
    force: bool = False,
    progress: Callable[[FileReport], None] | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[list[FileReport], Path]:
    """Ingest every path with one source; return a report per file and the rejects path.

    A file already in the ledger (same bytes) is skipped unless ``force``; loading it
    again would change nothing anyway, since every write is idempotent.
    """
    source = get_source(source_name)
    files = check_paths(paths, folders=source.kind == "folder")
    rejects = RejectsWriter(rejects_dir / f"{source_name}-{now_stamp()}.jsonl")
    reports: list[FileReport] = []
    try:
        for path in files:
            fingerprint = _fingerprint(path)
            if fingerprint and not force and store.file_ingested(fingerprint):
                reports.append(FileReport(source_file=str(path), source=source_name,
                                          skipped=True))
                continue
            units = source.units(path, **(options or {}))
            name = "<stdin>" if str(path) == "-" else str(path)
            report = load_units(store, units, source=source_name, source_file=name,
                                rejects=rejects, batch_size=batch_size, progress=progress)
            if fingerprint:
                store.record_file(fingerprint, str(path), source_name, report.read,
                                  report.loaded, report.rejected)
            reports.append(report)
    finally:
        rejects.close()
    return reports, rejects.path
