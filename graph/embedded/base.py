"""The embedded store: LadybugDB on disk, no server.

Writes go through ``COPY <table> FROM <arrow table>`` of batches that are
de-duplicated first, both within the batch and against what is stored
(LadybugDB aborts the whole process when a COPY meets a duplicate primary key,
and row-by-row ``MERGE`` of relationships costs ~17 ms a row). Every batch is
one transaction, so a killed ingest leaves the database as it was before that
batch. Key look-ups use ``UNWIND $keys AS k MATCH (n {key: k})``: a large
``IN $list`` predicate is quadratic here (50,000 keys took 92 s against 0.4 s).

Only one process may open a database file for writing; :class:`StoreBusyError`
says which and what to do instead.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import pandas as pd
import pyarrow as pa

from graph.embedded import faults
from graph.embedded import queries as q
from graph.embedded.shared import (
    RANK_LOCK,
    RANK_ORDER,
    key_scan,
    wrote,
)
from graph.schema import (
    EMBEDDED_MIGRATIONS,
    EMBEDDED_SCHEMA,
    NODE_LABELS,
    REL_ENDS,
    REL_TYPES,
)
from graph.store import AccountView, StoreBusyError, StoreError

# LadybugDB's refusal of a second write transaction while one is open (it does not wait)
_ONE_WRITER = "Only one write transaction at a time"
WRITE_WAIT_SECONDS = 60.0  # how long a write waits for a sibling's before giving up

_LOCK_PID = re.compile(r"Lock is held by PID (\d+)")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# a statement that scans a Python object: ``COPY t FROM rows``, ``LOAD FROM $scan``
_SCANS = re.compile(r"\bFROM\s+\$?[A-Za-z_]", re.IGNORECASE)


def _forget_scans(conn: Any) -> None:
    """Drop the prepared statements LadybugDB 0.22 keeps for a scanned Python object.

    The driver caches every prepared statement by its parameters' types, and a scanned
    Arrow table or frame is "typed" by a new generation number per object, so each
    ``COPY``/``LOAD FROM`` adds an entry, with the object bound in it, that is never
    used again and is freed only when the connection closes: a stream's writer
    connection grew by every batch it wrote (``tests/store/test_embedded_connection.py``). The
    statement has run to the end when ``execute`` returns (its result is materialised),
    so nothing needs the entry after it.
    """
    cache = getattr(conn, "_pybind_implicit_prepared_cache", None)
    lock = getattr(conn, "_prepared_cache_lock", None)
    if not cache or lock is None:
        return
    with lock:
        for key in [k for k in cache if any(sig[:1] == ("pointer",) for _, sig in k[1])]:
            del cache[key]


#: a log size no commit reaches: the threshold within :meth:`EmbeddedBase.deferring_checkpoint`
_NO_CHECKPOINT = 1 << 62


def _checkpoint_bytes() -> int:
    from graph.config import get_settings

    return int(get_settings().checkpoint_mb) << 20


_STATEMENT_LOCKS = threading.Lock()


def _statement_lock(conn: Any) -> threading.Lock:
    """The lock held around every statement a connection runs, so that threads sharing a
    handle take turns in Python, with the GIL let go, not inside the engine. LadybugDB
    0.22 prepares a statement holding the GIL while it waits for the connection, and runs
    a statement without parameters beside that: one holding the connection waits for
    the engine's task scheduler, whose worker, copying a ``LOAD FROM $scan`` of another
    connection's query, waits for the GIL. ``bench/stream_bench.py`` hung that way once
    (its main thread's ``post_count`` and the care queue's reads on one handle, the
    stream's writes on another); ``tests/store/test_embedded_connection.py`` hung within
    30 s of the same mix before this lock."""
    lock: threading.Lock | None = getattr(conn, "_scrm_statement_lock", None)
    if lock is None:
        with _STATEMENT_LOCKS:
            lock = getattr(conn, "_scrm_statement_lock", None)
            if lock is None:
                lock = conn._scrm_statement_lock = threading.Lock()
    return lock


def _set_checkpoint_threshold(db: Any) -> None:
    """How much log the engine lets a writer's commits add before one of them
    checkpoints (``SCRM_CHECKPOINT_MB``; a database-wide setting, not kept in the file).

    A checkpoint rewrites the string columns of every node group the log touched, so a
    stream that appends posts pays a fixed part that grows with the last node group (up
    to ~131,000 posts): 0.7-1.2 s at 100,000 posts every 6,000 posts with the engine's
    16 MB. Fewer, larger checkpoints hold the writer up less often; what a larger log
    costs is memory until the checkpoint and a longer replay after a crash or when a
    reader opens the database (BENCHMARKS.md, "The stream path made cheaper, and fewer
    checkpoints")."""
    import ladybug

    conn = ladybug.Connection(db)
    try:
        conn.execute(q.CHECKPOINT_THRESHOLD.format(bytes=_checkpoint_bytes()))
    finally:
        conn.close()


def _heap_trimmer() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, which returns freed heap pages to the OS; None elsewhere."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return lambda: trim(0)


_TRIM_HEAP = _heap_trimmer()


def _query_threads() -> int:
    """Threads each query may use (``SCRM_DB_THREADS``; 0: one per core). ``scrm serve
    --readers`` runs its read processes with 1: they answer many small queries at once,
    and more threads than cores across processes only make them wait for each other."""
    from graph.config import get_settings

    return max(0, get_settings().db_threads)


# How long a read-only open waits for another process's checkpoint to finish.
_CHECKPOINT_WAIT_SECONDS = 60.0


class _Gate:
    """Who uses one open database in this process: any number of threads at once, or
    one alone while it replaces the database file (``compact``, after an erasure).

    Reentrant per thread; a thread that alone holds it shared may take it alone. A
    waiting replacement keeps new users out, so it never waits forever.
    """

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._users: dict[int, int] = {}
        self._alone: int | None = None
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cv:
            if not self._users.get(me) and self._alone != me:
                while self._alone is not None or self._waiting:
                    self._cv.wait()
            self._users[me] = self._users.get(me, 0) + 1
        try:
            yield
        finally:
            with self._cv:
                self._users[me] -= 1
                if not self._users[me]:
                    del self._users[me]
                    self._cv.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cv:
            self._waiting += 1
            try:
                while self._alone is not None or any(t != me for t in self._users):
                    self._cv.wait()
            finally:
                self._waiting -= 1
            self._alone = me
        try:
            yield
        finally:
            with self._cv:
                self._alone = None
                self._cv.notify_all()


class _Family:
    """The handles of one open database object (a store and its ``sibling``s) and the
    gate they pass: replacing the database file reopens it for all of them."""

    def __init__(self) -> None:
        self.gate = _Gate()
        self.handles: weakref.WeakSet[EmbeddedBase] = weakref.WeakSet()
        # One writer at a time among the handles: LadybugDB refuses a second write
        # transaction rather than waiting, and concurrent writes through two connections
        # of one database have left a transaction open. Taken before the gate, always.
        self.write_lock = threading.RLock()
        # how many edges waited for their target after the last write of posts (decides
        # how the next write reads them: WritesMixin._pending_for)
        self.pending_seen = 0


class EmbeddedBase:
    """Opening, locking and talking to LadybugDB; the sections of
    :class:`graph.embedded.EmbeddedStore` build on it.

    Args:
        path: Database path (created on first open).
        read_only: Open without taking the write lock (several readers may coexist
            with one writer; they see the state as of their open).
    """

    backend = "embedded"

    if TYPE_CHECKING:  # sections that use one another's public operations
        def get_accounts(self, keys: Sequence[str]) -> dict[str, AccountView]: ...
        def get_settings(self) -> dict[str, str]: ...

    def __init__(self, path: Path | str, *, read_only: bool = False,
                 buffer_pool_mb: int | None = None) -> None:
        import ladybug

        self.path = Path(path)
        self.location = str(self.path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(
                f"No database at {self.path}. Create one with 'scrm ingest' or 'scrm demo' first."
            )
        if buffer_pool_mb is None:
            from graph.config import get_settings

            buffer_pool_mb = get_settings().buffer_pool_mb
        pool = buffer_pool_mb
        self._pool_mb = pool
        self._db = self._open_database(pool * 1024 * 1024)
        self._conn = ladybug.Connection(self._db)
        self._scoped = threading.local()  # a connection of a batch, per thread
        self._owns_db = True
        self._pool_bytes = pool * 1024 * 1024
        self._shared = False  # a sibling uses this database object: never reopen it
        self._family = _Family()
        self._family.handles.add(self)
        if not read_only:
            for statement in (*EMBEDDED_SCHEMA, *EMBEDDED_MIGRATIONS):
                self._write(statement)

    def _open_database(self, pool_bytes: int) -> Any:
        """Open the LadybugDB database at ``self.path``; a lock held by another process
        is a :class:`StoreBusyError` naming it, a full disk says so, any other failure is
        a :class:`StoreError`. Never waits longer than ``_CHECKPOINT_WAIT_SECONDS``."""
        import ladybug

        read_only = self.read_only
        deadline = time.monotonic() + _CHECKPOINT_WAIT_SECONDS
        strict = True  # replay the whole log; False after it was found cut short
        recovered = False
        try:
            while True:
                try:
                    db = ladybug.Database(str(self.path), read_only=read_only,
                                          buffer_pool_size=pool_bytes,
                                          max_num_threads=_query_threads(),
                                          throw_on_wal_replay_failure=strict)
                    if not read_only:
                        _set_checkpoint_threshold(db)
                    return db
                except RuntimeError as exc:
                    if strict and faults.log_torn(str(exc)):
                        # the last log record was cut short by a failed write (a full
                        # disk, a crash): replay up to it, as a log's reader does
                        strict = False
                        continue
                    if not read_only:
                        raise
                    failure = exc
                # A read-only open takes no lock, so it fails while another process's
                # writer (``scrm serve`` running an ingest) checkpoints or appends under
                # it: "recovery is pending", the log emptied or cut mid-record, pages
                # rewritten ("invalid local node offset"). Or a writer was killed in the
                # middle of a checkpoint. A read-write open tells which: it fails on the
                # lock while a writer is alive (wait for it, then read the whole log
                # again), and otherwise succeeds and replays what the dead one left.
                if recovered:
                    if "recovery is pending" not in str(failure):
                        raise failure
                    # recovered, and yet recovery is still pending: it could not finish
                    # (it needs disk space); trying again only spins
                    if faults.nearly_full(self.path):
                        raise faults.disk_full_error(
                            self.path, "opening it needs room to recover its last writes")
                    raise StoreError(f"Cannot open the database {self.path}: its recovery "
                                     "did not finish; run the command again.")
                try:
                    ladybug.Database(str(self.path), buffer_pool_size=pool_bytes,
                                     throw_on_wal_replay_failure=strict).close()
                    recovered = True
                except RuntimeError as exc:
                    if strict and faults.log_torn(str(exc)):
                        strict = False
                        continue
                    if not _LOCK_PID.search(str(exc)) or time.monotonic() > deadline:
                        raise
                    strict = True  # the log was cut by the live writer's append, not lost
                    time.sleep(0.05)  # the live writer's checkpoint ends in a moment
        except RuntimeError as exc:
            match = _LOCK_PID.search(str(exc))
            if match:
                raise StoreBusyError(
                    f"The database {self.path} is open for writing by another scrm process "
                    f"(pid {match.group(1)}). While 'scrm serve' runs, scrm commands hand their "
                    "work to it; this is another process, so wait for it to finish (or stop "
                    "it) and run this command again."
                ) from None
            if faults.disk_full(str(exc), self.path):
                raise faults.disk_full_error(
                    self.path, "opening it needs room to recover its last writes") from None
            raise StoreError(f"Cannot open the database {self.path}: {exc}") from None

    def sibling(self) -> Self:
        """Another handle on the same open database, with its own connection, for
        another thread (``scrm serve`` runs ingest and analysis jobs this way)."""
        import ladybug

        other = object.__new__(type(self))
        other.path, other.location, other.read_only = self.path, self.location, self.read_only
        other._pool_mb = self._pool_mb
        other._db = self._db
        other._conn = ladybug.Connection(self._db)
        other._scoped = threading.local()
        other._owns_db = False
        other._pool_bytes = self._pool_bytes
        other._shared = self._shared = True
        other._family = self._family
        self._family.handles.add(other)
        return other

    def close(self) -> None:
        conn, db = getattr(self, "_conn", None), getattr(self, "_db", None)
        if conn is not None:
            conn.close()
            self._conn = None  # type: ignore[assignment]
        if db is not None:
            if self._owns_db:
                db.close()
            self._db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exec(self, query: str, params: dict[str, Any] | None = None) -> Any:
        if self._conn is None:
            raise StoreError("The store is closed.")
        waited_until: float | None = None
        while True:
            try:
                with self._family.gate.shared():
                    conn = getattr(self._scoped, "conn", None) or self._conn
                    with _statement_lock(conn):
                        result = conn.execute(query, params or {})
                    if _SCANS.search(query):
                        _forget_scans(conn)
                    return result
            except RuntimeError as exc:
                # A sibling's write transaction is open (the server's jobs write through a
                # sibling while GraphQL mutations write through the store): LadybugDB
                # refuses a second one instead of waiting, before it changes anything, so
                # wait for the first to end and start again.
                if _ONE_WRITER not in str(exc):
                    self._raise_storage_error(exc)
                    raise
                now = time.monotonic()
                waited_until = waited_until or now + WRITE_WAIT_SECONDS
                if now >= waited_until:
                    raise StoreError(
                        f"another write to this database took longer than "
                        f"{WRITE_WAIT_SECONDS:.0f} s; try again when it is done") from None
                time.sleep(0.005)

    def _writing(self) -> Any:
        """Held around every write (a transaction, a COPY, a statement that writes in
        autocommit): the family's write lock, one writer at a time among a database's
        handles (taken before the gate; reentrant). Writers say so; reads never wait
        for it."""
        return self._family.write_lock

    @contextmanager
    def deferring_checkpoint(self) -> Iterator[None]:
        """Within it, no commit checkpoints (see :meth:`GraphStore.deferring_checkpoint`):
        the engine's threshold is set past any log, then back to ``SCRM_CHECKPOINT_MB``,
        so the first commit after it checkpoints if the log has passed that. The write
        lock is held throughout: another handle's commit meanwhile is not left its
        checkpoint either."""
        if self.read_only:
            yield
            return
        with self._writing():
            self._exec(q.CHECKPOINT_THRESHOLD.format(bytes=_NO_CHECKPOINT))
            try:
                yield
            finally:
                self._exec(q.CHECKPOINT_THRESHOLD.format(bytes=_checkpoint_bytes()))

    def _write(self, query: str, params: dict[str, Any] | None = None) -> Any:
        """Run a statement that writes (in its own transaction unless one is open)."""
        with self._writing():
            return self._exec(query, params)

    def _write_rows(self, query: str, params: dict[str, Any] | None = None
                    ) -> list[dict[str, Any]]:
        """:meth:`_write` for a statement whose result rows are wanted."""
        with self._writing():
            return self._rows(query, params)

    def _raise_storage_error(self, exc: RuntimeError) -> None:
        """Raise the product's error for an engine error that has one (disk, memory);
        return for any other (the caller raises it as it is)."""
        failed = faults.storage_error(exc, self.path)
        if failed is not None:
            if faults.is_unsaved_commit(str(exc)):
                faults.mark_unsaved(self._db, exc, self.path)
            raise failed from None
        if "buffer pool is full" in str(exc):
            pool = getattr(self, "_pool_mb", 4096)
            raise StoreError(
                f"The embedded database ran out of memory for one query (its buffer pool "
                f"is {pool} MB). Set SCRM_BUFFER_POOL_MB (SCRM_ANALYZE_BUFFER_POOL_MB for "
                f"'scrm analyze') higher, e.g. {int(pool) * 2}, and run the command "
                "again.") from None

    def _rows(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._family.gate.shared():
            result = self._exec(query, params)
            columns = result.get_column_names()
            rows = []
            while result.has_next():
                rows.append(dict(zip(columns, result.get_next(), strict=True)))
        return rows

    def _df(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        with self._family.gate.shared():
            df: pd.DataFrame = self._exec(query, params).get_as_df()
        return df

    def _arrow(self, query: str, params: dict[str, Any] | None = None) -> pa.Table:
        """A query result as an Arrow table, read while no one replaces the database."""
        with self._family.gate.shared():
            table: pa.Table = self._exec(query, params).get_as_arrow()
        return table

    def _column(self, query: str, params: dict[str, Any] | None = None) -> list[Any]:
        """A query's one column as Python values, through Arrow: for thousands of rows
        (an events check's 23,000 states: 29 ms, against 86 ms as row dicts)."""
        values: list[Any] = self._arrow(query, params).column(0).to_pylist()
        return values

    def _copy(self, table: str, rows: pa.Table) -> None:
        """Append an arrow table to a node or relationship table (allow-listed): by
        ``COPY``, or inside :meth:`_logged` by ``CREATE`` statements (:meth:`_insert`)."""
        if table not in NODE_LABELS and table not in REL_TYPES:
            raise StoreError(f"Unknown table {table!r}")
        if rows.num_rows == 0:
            return
        names = rows.column_names
        if table in NODE_LABELS and not all(_IDENTIFIER.fullmatch(n) for n in names):
            raise StoreError(f"Unknown column in {names!r}")
        with self._writing():
            if getattr(self._scoped, "logged", False):
                self._insert(table, rows)
            elif table in NODE_LABELS:
                # LadybugDB resolves the name ``rows`` from this frame's locals. A node
                # table names its columns: it may have more than the batch (columns
                # added at open).
                self._exec(f"COPY {table}({', '.join(names)}) FROM rows")
            else:
                self._exec(f"COPY {table} FROM rows")

    def _insert(self, table: str, rows: pa.Table) -> None:
        """Append rows with ``CREATE`` from an Arrow scan, so that they go to the log.

        A transaction that ran a ``COPY`` writes its rows only at the checkpoint the
        engine forces after its commit (see :mod:`graph.embedded.faults`), and that
        checkpoint grows with the database (it rewrote the relationship tables' pages
        that the batch touched: 0.3 s at 4,500 posts, 1.5-2 s at 100,000). ``CREATE``
        rows are logged and synced at the commit (durable without a checkpoint; the
        engine checkpoints when the log passes its threshold). Relationship rows give
        ``from`` and ``to`` keys first; each end is matched by its own ``MATCH`` (one
        pattern with both ends was planned as a cross product). Columns with no type
        (every value null) are left out: null is what an unnamed property holds.
        """
        keep = [i for i, f in enumerate(rows.schema) if not pa.types.is_null(f.type)]
        names = [rows.column_names[i] for i in keep]
        scan = rows.select(keep).rename_columns([f"v_{i}" for i in range(len(names))])
        if table in NODE_LABELS:
            props = ", ".join(f"{n}: v_{i}" for i, n in enumerate(names))
            query = f"LOAD FROM $scan CREATE (:{table} {{{props}}})"
        else:
            start, end = REL_ENDS[table]
            props = ", ".join(f"{n}: v_{i}" for i, n in enumerate(names) if i >= 2)
            if props and not all(_IDENTIFIER.fullmatch(n) for n in names[2:]):
                raise StoreError(f"Unknown column in {names!r}")
            query = (f"LOAD FROM $scan MATCH (a:{start} {{key: v_0}}) "
                     f"MATCH (b:{end} {{key: v_1}}) "
                     f"CREATE (a)-[:{table}{f' {{{props}}}' if props else ''}]->(b)")
        self._exec(query, {"scan": scan})

    @contextmanager
    def _logged(self, logged: bool = True) -> Iterator[None]:
        """Within it, this thread's :meth:`_copy` writes through the log (:meth:`_insert`):
        for small batches, whose commit then needs no checkpoint."""
        before = getattr(self._scoped, "logged", False)
        self._scoped.logged = logged
        try:
            yield
        finally:
            self._scoped.logged = before

    def _existing(self, label: str, keys: Sequence[str], returns: str = "n.key AS key"
                  ) -> list[dict[str, Any]]:
        if not keys:
            return []
        rows: list[dict[str, Any]] = self._existing_table(label, keys, returns).to_pylist()
        return rows

    def _existing_table(self, label: str, keys: Sequence[str] | pa.Array,
                        returns: str = "n.key AS key") -> pa.Table:
        """The stored nodes among ``keys``, as an Arrow table of ``returns``.

        The keys are scanned from an Arrow column (``LOAD FROM``), not bound as a list
        parameter: converting 100,000 Python strings into a query value and reading
        the answer row by row cost more than the look-up itself.
        """
        if label not in NODE_LABELS:
            raise StoreError(f"Unknown label {label!r}")
        return self._arrow(f"LOAD FROM $scan MATCH (n:{label} {{key: k}}) RETURN {returns}",
                           {"scan": key_scan(keys)})

    def _in_transaction(self, work: Any) -> Any:
        """Run ``work`` in one write transaction; it has returned only once the engine
        saved it (see :mod:`graph.embedded.faults` for when the engine's word is not
        enough)."""
        with self._writing(), self._family.gate.shared():
            return self._transaction(work)

    def _transaction(self, work: Any) -> Any:
        with self._writing():
            return self._transaction_body(work)

    def _transaction_body(self, work: Any) -> Any:
        faults.check_saved(self._db, self.path)
        self._exec("BEGIN TRANSACTION")
        try:
            out = work()
        except BaseException:
            try:
                self._exec("ROLLBACK")
            except (RuntimeError, StoreError):
                pass  # LadybugDB already rolled back the transaction that failed
            raise
        finally:
            wrote(self.path)  # before and after the commit: a read between sees either
        self._exec("COMMIT")
        wrote(self.path)
        return out

    def refresh(self) -> None:
        """Open a read-only store again, so it sees what was written since it opened (a
        read-only handle reads the snapshot of its open). ``scrm serve --readers`` calls
        it when the writer says something changed."""
        self.adopt_snapshot(self.open_snapshot())

    def open_snapshot(self) -> Any:
        """The database opened read-only once more, beside the handle in use (which goes
        on answering meanwhile, from any thread): the first half of :meth:`refresh`, for
        a caller that opens on a thread of its own. None for a store that writes."""
        if not self.read_only or self._db is None:
            return None
        return self._open_database(self._pool_bytes)

    def adopt_snapshot(self, new_db: Any) -> None:
        """Swap in what :meth:`open_snapshot` opened, on the thread that runs this store's
        calls, and forget what was read from the old one."""
        import ladybug

        if new_db is None:
            return
        if self._db is None:  # closed meanwhile
            new_db.close()
            return
        old_conn, old_db = self._conn, self._db
        self._db, self._conn = new_db, ladybug.Connection(new_db)
        old_conn.close()
        old_db.close()
        wrote(self.path)
        with RANK_LOCK:
            for key in [k for k in RANK_ORDER if k[0] == str(self.path)]:
                del RANK_ORDER[key]

    def _reopen(self) -> None:
        """Close and reopen the database this store alone uses.

        LadybugDB keeps state that grows with what this process has written (about
        85 MB per 100,000 posts in the ingest benchmark) until the database is closed;
        reopening it after a large batch takes 0.03-0.2 s and returns that memory
        (1M posts: 1.93 → 1.66 GB peak). Not done where another handle shares the
        database object (``sibling``: the server's jobs), nor for a read-only store.
        """
        import ladybug

        if (self._shared or not self._owns_db or self.read_only or self._db is None
                or getattr(self._scoped, "conn", None) is not None):  # inside a batch
            return
        self._conn.close()
        self._db.close()
        self._conn = self._db = None  # type: ignore[assignment]
        self._db = self._open_database(self._pool_bytes)
        self._conn = ladybug.Connection(self._db)

    @contextmanager
    def _batch_connection(self, *, release_heap: bool) -> Iterator[None]:
        """Run one batch, or one large read, on a connection of its own.

        The driver keeps every prepared statement, with the values bound to it (a
        batch's Arrow tables and key lists), for as long as its connection lives: a
        million-post ingest on one connection grew to 4 GB. Closing a connection per
        batch lets them go; after a large batch the heap they used is handed back to
        the OS too (glibc keeps freed pages otherwise). The connection is this
        thread's only (another thread using the store keeps the shared one), and a
        batch inside a batch runs on the outer one.
        """
        import ladybug

        if self._conn is None:
            raise StoreError("The store is closed.")
        if getattr(self._scoped, "conn", None) is not None:
            yield
            return
        with self._family.gate.shared():
            conn = ladybug.Connection(self._db)
            self._scoped.conn = conn
            try:
                yield
            finally:
                self._scoped.conn = None
                conn.close()
        if release_heap and _TRIM_HEAP is not None:
            _TRIM_HEAP()

    def _arrow_df(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """A query result as a DataFrame backed by Arrow (no per-string Python objects)."""
        table = self._arrow(query, params)
        frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
        return frame

    def _generation(self) -> str:
        """The database's projection generation: named on first use, changed by every
        write that re-keys accounts or rewrites old posts (forgetting a customer)."""
        found = self._rows(q.PROJECTION_GENERATION)
        generation = found[0]["v"] if found else None
        if generation is None and not self.read_only:
            # a database's first projection names it, so a cache file left beside a
            # database rebuilt at the same path is never mistaken for its own
            generation = uuid.uuid4().hex
            self._write(q.SET_PROJECTION_GENERATION,
                       {"g": generation})
        return str(generation or "none")

    def _cache_path(self, name: str) -> Path:
        return self.path.parent / f"{self.path.name}.{name}.arrow"

    def _read_cache(self, name: str) -> tuple[pa.Table, dict[str, Any]] | None:
        """A table kept beside the database by :meth:`_write_cache`, with its metadata;
        None when there is none or it is damaged (then it is rebuilt, never trusted)."""
        import pyarrow.ipc as ipc

        path = self._cache_path(name)
        if not path.exists():
            return None
        try:
            with pa.memory_map(str(path)) as source:
                table = ipc.open_file(source).read_all()
            meta = json.loads((table.schema.metadata or {}).get(b"scrm", b"{}"))
        except (OSError, pa.ArrowInvalid, ValueError):
            return None
        return table.replace_schema_metadata(None), meta

    def _write_cache(self, name: str, table: pa.Table, meta: dict[str, Any]) -> None:
        """Keep ``table`` beside the database (written whole, then renamed into place)."""
        import pyarrow.ipc as ipc

        if self.read_only:
            return
        path = self._cache_path(name)
        # one temporary file per writer: two threads never write into the same one
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(
                    sink, table.schema.with_metadata({"scrm": json.dumps(meta)})) as writer:
                writer.write_table(table)
            tmp.replace(path)
        except OSError as exc:  # pyarrow's are OSErrors too: never leave half a file
            tmp.unlink(missing_ok=True)
            if faults.disk_full(str(exc), self.path) or faults.nearly_full(self.path):
                raise faults.disk_full_error(
                    self.path, f"its cache {path.name} could not be written") from None
            raise
