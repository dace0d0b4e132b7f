"""What LadybugDB's storage failures mean, in words a person can act on.

A full disk reaches scrm in three shapes, and none of them says so plainly:

* a write to the database, its shadow file or its log fails (``IO exception: Cannot
  write to file ... No space left on device``, or ``numBytesWritten`` short of what was
  asked with ``Error: Success`` when the file system filled in the middle of a page);
* ``Transaction committed successfully, but the post-commit checkpoint failed. The
  committed data is durable and will be recovered on restart``: not true for a
  transaction that ran a ``COPY`` (every scrm batch does). LadybugDB writes COPY data
  only at the checkpoint that it forces after the commit, never into the log; when that
  checkpoint fails it is rolled back and the batch is gone. The process still sees the
  batch in memory, so this database object must not be trusted again
  (:func:`mark_unsaved`);
* a log whose last record was cut short by the failed write: the next open says
  ``Checksum verification failed, the WAL file is corrupted`` (or ``Reading past the end
  of the file ... .wal``) and refuses the database; it is opened again replaying the
  log up to that record (the cut record belongs to a transaction that never committed).

See "Disk full" in DEVELOPERS.md for the experiments behind this.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

from graph.store import StoreError

__all__ = [
    "StoreUnsavedError",
    "check_saved",
    "disk_full",
    "disk_full_error",
    "engine_failures",
    "is_unsaved_commit",
    "log_torn",
    "mark_unsaved",
    "nearly_full",
    "room_for_log",
    "storage_error",
]

# LadybugDB's own words (ladybug 0.22); tests/security/test_disk_full.py runs them for real.
_UNSAVED_COMMIT = "post-commit checkpoint failed"
_WRITE_FAILED = "Cannot write to file"
_NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device"
_QUOTA = os.strerror(errno.EDQUOT)  # "Disk quota exceeded"
# Less than this free beside the database after a failed write: the disk is full (a
# short write on a full file system reports errno 0, "Error: Success").
_NEARLY_FULL_BYTES = 4 * 1024 * 1024
_MARK = "_scrm_unsaved"  # attribute set on a LadybugDB Database object by mark_unsaved


class StoreUnsavedError(StoreError):
    """A write could not be saved, and this process's view of the database may hold it:
    the database must be opened afresh before anything else is written."""


def free_bytes(path: Path) -> int | None:
    """Bytes free to this process on the file system holding ``path`` (None: unknown)."""
    folder = path if path.is_dir() else path.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def nearly_full(path: Path) -> bool:
    """Whether the file system holding ``path`` has (almost) no room left."""
    free = free_bytes(path)
    return free is not None and free < _NEARLY_FULL_BYTES


# room a write through the log needs: a margin, and per record of the batch (a post
# with its edges took ~1.6 KB of log in the streaming benchmark)
_LOG_MARGIN_BYTES = 16 * 1024 * 1024
_LOG_BYTES_PER_RECORD = 4096


def room_for_log(path: Path, records: int) -> bool:
    """Whether the file system holding ``path`` has room to log ``records`` records.

    LadybugDB 0.22 aborts the whole process when a write to its log fails half-way
    (``terminate called after throwing ... IOException``: found by
    ``tests/security/test_disk_full.py``), while a ``COPY`` on a full disk fails
    cleanly; so a batch is written through the log only with room to spare.
    """
    free = free_bytes(path)
    return free is None or free >= _LOG_MARGIN_BYTES + records * _LOG_BYTES_PER_RECORD


def disk_full(text: str, path: Path) -> bool:
    """Whether an engine or OS error ``text`` about the database at ``path`` means its
    file system is full."""
    if _NO_SPACE in text or _QUOTA in text:
        return True
    return _WRITE_FAILED in text and nearly_full(path)


def disk_full_error(path: Path, doing: str) -> StoreError:
    """The one line for a full disk while ``doing`` something to the database at ``path``."""
    return StoreError(
        f"No space left on the disk holding {path}: {doing}. Everything committed before "
        "is kept; free some space and run the command again (a re-run completes it).")


def log_torn(text: str) -> bool:
    """Whether an open failed because the log's last record was cut short: its checksum
    fails, or the log ends where a record said more would follow."""
    return "the WAL file is corrupted" in text or (
        "Reading past the end of the file" in text and ".wal" in text)


def is_unsaved_commit(text: str) -> bool:
    """Whether ``text`` is LadybugDB's "committed ... durable" message after a failed
    checkpoint, which scrm treats as a batch that was not saved."""
    return _UNSAVED_COMMIT in text


_ENGINE_FAILURES: list[int] = [0]


def engine_failures() -> int:
    """How many storage failures reached this process: after one, LadybugDB objects still
    alive may throw from their destructors (flushing a log on a full disk) and abort the
    process, so ``api.cli.main`` ends it without running them."""
    return _ENGINE_FAILURES[0]


def storage_error(exc: BaseException, path: Path) -> StoreError | None:
    """The product's error for an engine failure while writing, or None when it is not
    one scrm knows how to explain."""
    text = str(exc)
    if is_unsaved_commit(text) or disk_full(text, path):
        _ENGINE_FAILURES[0] += 1
    if is_unsaved_commit(text):
        reason = text.rsplit("recovered on restart:", 1)[-1].strip()
        if disk_full(text, path) or nearly_full(path):  # e.g. reading a page never written
            return disk_full_error(path, "the batch being written was not saved")
        return StoreUnsavedError(
            f"The database {path} could not save the batch being written ({reason}). "
            "Everything committed before is kept; run the command again (a re-run "
            "completes it).")
    if disk_full(text, path):
        return disk_full_error(path, "the write in progress was not saved")
    return None


def mark_unsaved(db: Any, exc: BaseException, path: Path) -> None:
    """Remember on the LadybugDB database object that a write failed after the engine
    published it in memory (``exc``): what this object shows may not be on disk."""
    full = disk_full(str(exc), path) or nearly_full(path)
    reason = "the disk was full" if full else "its checkpoint failed"
    try:
        setattr(db, _MARK, reason)
    except AttributeError:  # a native object without a __dict__: nothing to remember on
        pass


def check_saved(db: Any, path: Path) -> None:
    """Refuse to write through a database object marked by :func:`mark_unsaved`: its
    view of the database includes writes that were lost, so a write deduplicated against
    it would skip them for good."""
    reason = getattr(db, _MARK, None)
    if reason:
        raise StoreUnsavedError(
            f"An earlier write to {path} was not saved ({reason}), and this process still "
            "shows it: restart it ('scrm serve') before writing more; what was committed "
            "before is kept, and a re-run then completes the rest.")
