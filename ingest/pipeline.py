"""Ingest files end to end: validate paths, parse, load, record in the ledger, report."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graph.config import get_settings
from graph.store import GraphStore
from ingest.errors import IngestError, NothingLoadedError, TruncatedInputError
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


def _fingerprint(path: Path | str, source_name: str) -> str | None:
    """The ingest ledger's identity of an input read as one source: its bytes and the
    source, so a file ingested by mistake as one source can be ingested as another."""
    if not isinstance(path, Path):
        return None  # standard input: no identity, always read
    digest = hashlib.sha256(b"scrm-ingest\0" + source_name.encode() + b"\0")
    if path.is_dir():
        for f in sorted(p for p in path.iterdir() if p.is_file()):
            digest.update(f.name.encode() + b"\0" + file_fingerprint(f).encode())
    else:
        digest.update(file_fingerprint(path).encode())
    return digest.hexdigest()


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
    max_line_bytes: int | None = None,
) -> tuple[list[FileReport], Path]:
    """Ingest every path with one source; return a report per file and the rejects path.

    A file already in the ledger (same bytes, same source) is skipped unless ``force``;
    loading it again would change nothing anyway, since every write is idempotent. A
    file enters the ledger only when something of it was loaded, and not when it broke
    off: an empty file, or one whose every record was rejected, is read again next time.

    Raises:
        TruncatedInputError: a compressed file ended early (after the other files, and
            with what was read before the break loaded).
        NothingLoadedError: a file with records gave nothing to load (after the others).
        SourceFormatError: a file is not text (nothing of it is read).
    """
    source = get_source(source_name)
    files = check_paths(paths, folders=source.kind == "folder")
    limit = max_line_bytes if max_line_bytes is not None else get_settings().max_line_bytes
    rejects = RejectsWriter(rejects_dir / f"{source_name}-{now_stamp()}.jsonl")
    reports: list[FileReport] = []
    broken: list[TruncatedInputError] = []
    try:
        for path in files:
            fingerprint = _fingerprint(path, source_name)
            if fingerprint and not force and store.file_ingested(fingerprint):
                reports.append(FileReport(source_file=str(path), source=source_name,
                                          skipped=True))
                continue
            extra = {"max_line_bytes": limit} if source.kind == "jsonl" else {}
            units = source.units(path, **extra, **(options or {}))
            name = "<stdin>" if str(path) == "-" else str(path)
            try:
                report = load_units(store, units, source=source_name, source_file=name,
                                    rejects=rejects, batch_size=batch_size,
                                    progress=progress)
            except TruncatedInputError as exc:
                broken.append(exc)
                continue
            if fingerprint and report.loaded:
                store.record_file(fingerprint, str(path), source_name, report.read,
                                  report.loaded, report.rejected)
            reports.append(report)
    finally:
        rejects.close()
    if len(broken) == 1:
        raise broken[0]
    if broken:
        raise IngestError("; ".join(str(b) for b in broken))
    empty = [r for r in reports if r.read and not r.loaded and r.rejected > r.erased]
    if empty:
        first = rejects.first_reason.get(empty[0].source_file, "")
        raise NothingLoadedError(
            f"{empty[0].source_file}: nothing loaded, all {empty[0].read:,} record(s) "
            f"rejected (first reason: {first}); reasons are in {rejects.path}"
            + (f"; {len(empty) - 1} more file(s) loaded nothing" if len(empty) > 1 else ""),
            reports, rejects.path)
    return reports, rejects.path
