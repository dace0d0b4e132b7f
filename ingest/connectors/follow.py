"""Following a stream: items committed in micro-batches within a fraction of a second.

A poll writes what it read once the poll ends; a stream (Mastodon's streaming API,
Jetstream) never ends, so :func:`follow` reads it in a thread of its own and commits
what came every ``flush_seconds`` (or every ``max_batch`` items, whichever is first)
through the same loader as file ingest: the same idempotence, rejects and
forgotten-person filter. Parsing and ``prepare`` (sentiment on arrival) run on a thread
of their own, so the writer commits one batch while the next is made; batches that
wait for the writer are committed together (up to ``max_batch`` items), so a writer
that fell behind catches up with fewer, larger commits. ``on_loaded`` sees each
committed batch's posts, and ``writing`` (the kept care queue's) is told each batch's
posts so that the queue is brought up to date from the batch alone; with a ``pool`` (a
process pool) the parsing and scoring run in another process, leaving this process's
GIL to the writer and the readers. The reader waits when ``max_pending`` items are
queued, so a writer that falls behind slows the stream instead of filling memory.

Streamed items do not move a source's cursor (a stream has no way back and its order
is not id order): the next REST catch-up reads from the last REST cursor.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from graph.model import Post, Record
from graph.store import GraphStore
from ingest.connectors.base import item_unit
from ingest.loader import FileReport, RejectsWriter, Unit, load_units

__all__ = ["FollowReport", "Writing", "follow", "prepared_units", "written"]

log = logging.getLogger(__name__)
_END = object()
#: prepared batches that may wait for the writer
READY_BATCHES = 4


@dataclass(slots=True)
class FollowReport:
    """What following a stream did."""

    read: int = 0
    loaded: int = 0
    rejected: int = 0
    batches: int = 0
    error: str | None = None


#: opened around a write of posts; gives what is told the written posts' keys and how
#: many of them were new (``CareQueueIndex.writing``)
Writing = Callable[[], AbstractContextManager[Callable[[Sequence[str], int], None]]]


def written(store: GraphStore, units: list[Unit], writing: Writing | None, *, source: str,
            source_file: str, rejects: RejectsWriter, batch_size: int) -> FileReport:
    """``load_units`` of ``units``, inside ``writing()`` when given, which is then told
    what was written."""
    with writing() if writing is not None else nullcontext(None) as tell:
        result = load_units(store, iter(units), source=source, source_file=source_file,
                            rejects=rejects, batch_size=batch_size)
        if tell is not None:
            tell([r.key for u in units for r in u.records if isinstance(r, Post)],
                 result.created.get("posts", 0))
    return result


def prepared_units(first: int, items: list[Any], to_records: Callable[[Any], list[Record]],
                   source_file: str, prepare: Callable[[list[Unit]], None] | None
                   ) -> list[Unit]:
    """A batch of stream items as loader units numbered from ``first``, prepared (run on
    :func:`follow`'s preparing thread, or in its ``pool``)."""
    units = [item_unit(n, item, to_records, source_file)
             for n, item in enumerate(items, start=first)]
    if prepare is not None:
        prepare(units)
    return units


def follow(store: GraphStore, items: Iterator[Any], to_records: Callable[[Any], list[Record]],
           *, source: str, source_file: str, rejects: RejectsWriter,
           flush_seconds: float = 0.25, max_batch: int = 5_000, max_pending: int = 50_000,
           prepare: Callable[[list[Unit]], None] | None = None,
           on_loaded: Callable[[GraphStore, list[Post]], None] | None = None,
           writing: Writing | None = None, pool: Executor | None = None,
           stop: Callable[[], bool] = lambda: False) -> FollowReport:
    """Write a stream's items as they come, until it ends or ``stop()``.

    Args:
        store: Where to write (this thread is its one writer).
        items: The stream (blocking iterator); read in a thread of its own.
        to_records: One item as records (ValueError and friends make it a reject).
        flush_seconds: Longest time an item waits to be committed.
        max_batch: Most items in one transaction.
        prepare: Called with each batch's units before they are written (sentiment on
            arrival: the scores are written with the posts).
        on_loaded: Called with each committed batch's posts.
        writing: Opened around each batch's write; what it gives is told the keys of the
            batch's posts and how many of them were new once they are committed
            (:meth:`api.carequeue.CareQueueIndex.writing`: the care queue is then brought
            up to date from the batch).
        pool: Where each batch is parsed and prepared (:func:`prepared_units`) instead of
            on a thread here: a process pool leaves this process's GIL to the writer
            (``to_records`` and ``prepare`` must then pickle, e.g. a ``functools.partial``
            of a module function and :class:`analytics.arrivals.ArrivalSentiment`).

    Returns:
        Counts, and the error that ended the stream, if one did.
    """
    pending: queue.Queue[Any] = queue.Queue(maxsize=max_pending)
    # prepared batches (parsed, scored) waiting for the writer; a few at most, so a
    # writer that falls behind slows the preparing and then the reading
    ready: queue.Queue[Any] = queue.Queue(maxsize=READY_BATCHES)
    report = FollowReport()
    failure: list[str] = []

    def read() -> None:
        try:
            for item in items:
                if stop():
                    break
                pending.put(item)
        except Exception as exc:  # noqa: BLE001 - said in the report, the writer goes on
            failure.append(str(exc) or type(exc).__name__)
        finally:
            pending.put(_END)

    def prepared() -> None:
        """Batches of what came within ``flush_seconds``, parsed and prepared here, off
        the writer's thread: it writes one while the next is made."""
        n = 0
        try:
            ended = False
            while not ended and not stop():
                try:
                    first = pending.get(timeout=0.1)
                except queue.Empty:
                    continue
                if first is _END:
                    break
                batch = [first]
                deadline = time.monotonic() + flush_seconds
                while len(batch) < max_batch:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        item = pending.get(timeout=left)
                    except queue.Empty:
                        break
                    if item is _END:
                        ended = True
                        break
                    batch.append(item)
                if pool is None:
                    units = prepared_units(n + 1, batch, to_records, source_file, prepare)
                else:  # this thread waits without the GIL while another process works
                    units = pool.submit(prepared_units, n + 1, batch, to_records,
                                        source_file, prepare).result()
                n += len(batch)
                ready.put(units)
        except BaseException as exc:  # raised on the writer's thread
            ready.put(exc)
        finally:
            ready.put(_END)

    reader = threading.Thread(target=read, name=f"follow-{source_file}", daemon=True)
    preparer = threading.Thread(target=prepared, name=f"follow-prepare-{source_file}",
                                daemon=True)
    reader.start()
    preparer.start()
    carried: Any = None  # taken from ``ready`` but too many for the last transaction
    ended = False
    while not ended:
        units = carried if carried is not None else ready.get()
        carried = None
        if units is _END:
            break
        if isinstance(units, BaseException):
            raise units
        # what else is ready joins this transaction (up to ``max_batch`` items): a writer
        # that fell behind catches up with fewer, larger commits
        while True:
            try:
                more = ready.get_nowait()
            except queue.Empty:
                break
            if more is _END:
                ended = True
                break
            if isinstance(more, BaseException) or len(units) + len(more) > max_batch:
                carried = more
                break
            units = units + more
        result = written(store, units, writing, source=source, source_file=source_file,
                         rejects=rejects, batch_size=max(len(units) * 8, 1_000))
        report.read += result.read
        report.loaded += result.loaded
        report.rejected += result.rejected
        report.batches += 1
        if on_loaded is not None:
            posts = [r for u in units for r in u.records if isinstance(r, Post)]
            if posts:
                on_loaded(store, posts)
    preparer.join(timeout=5)
    if failure:
        report.error = failure[0]
        log.warning("%s: the stream ended: %s", source_file, report.error)
    return report
