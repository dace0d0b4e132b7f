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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.batch import (
    ACCOUNT_FIELDS,
    CUSTOMER_FIELDS,
)
from graph.embedded import queries as q
from graph.schema import EMBEDDED_MIGRATIONS, EMBEDDED_SCHEMA, NODE_LABELS, REL_TYPES
from graph.store import AccountView, StoreBusyError, StoreError

_LOCK_PID = re.compile(r"Lock is held by PID (\d+)")

_ACCOUNT_FIELDS = ACCOUNT_FIELDS
_CUSTOMER_FIELDS = CUSTOMER_FIELDS
_FIELD_TYPES = {"followers": "INT64", "is_brand": "BOOLEAN", "lifetime_value": "DOUBLE",
                "nps": "INT64", "signup_date": "DATE"}


def _set_clause(fields: Sequence[str]) -> str:
    """``n.f = coalesce(row.f, n.f)`` for each field, typed: UNWIND infers STRING for a
    column that is null in every row."""
    parts = []
    for f in fields:
        value = f"CAST(row.{f} AS {_FIELD_TYPES[f]})" if f in _FIELD_TYPES else f"row.{f}"
        parts.append(f"n.{f} = coalesce({value}, n.{f})")
    return ", ".join(parts)

_ACCOUNT_SCHEMA = pa.schema([
    ("key", pa.string()), ("platform", pa.string()), ("handle", pa.string()),
    ("user_id", pa.string()), ("display_name", pa.string()), ("followers", pa.int64()),
    ("is_brand", pa.bool_()), ("location", pa.string()), ("description", pa.string()),
])
_CUSTOMER_SCHEMA = pa.schema([
    ("key", pa.string()), ("name", pa.string()), ("email", pa.string()),
    ("lifetime_value", pa.float64()), ("nps", pa.int64()), ("signup_date", pa.date32()),
    ("location", pa.string()), ("company", pa.string()),
])
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_POST_SCHEMA = pa.schema([
    ("key", pa.string()), ("platform", pa.string()), ("post_id", pa.string()),
    ("author_key", pa.string()), ("text", pa.string()), ("title", pa.string()),
    ("created_at", pa.timestamp("us")), ("url", pa.string()), ("kind", pa.string()),
    ("parent_key", pa.string()), ("conversation_key", pa.string()),
    ("shared_key", pa.string()), ("hashtags", pa.list_(pa.string())), ("lang", pa.string()),
    ("likes", pa.int64()), ("reposts", pa.int64()), ("replies", pa.int64()),
    ("score", pa.int64()), ("accepted", pa.bool_()), ("content_hash", pa.int64()),
    ("sentiment", pa.float64()), ("sentiment_model", pa.string()),
])


def _naive_utc(ts: datetime) -> datetime:
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts


def _utc_column(values: Sequence[datetime | None]) -> pa.Array:
    """Times as naive UTC microseconds (what ``_naive_utc`` gives, one column at a time):
    Arrow converts aware values to UTC and takes naive ones as UTC already."""
    return pa.array(values, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))


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
_KEYED_CACHES = ("activity", "brandposts")  # files beside the database that hold keys
_LARGE_BATCH = 10_000  # records; after such a batch freed memory is returned to the OS


def _aware(ts: Any) -> datetime | None:
    if ts is None or (isinstance(ts, float) and pd.isna(ts)):
        return None
    if isinstance(ts, pd.Timestamp):
        if pd.isna(ts):
            return None
        ts = ts.to_pydatetime()
    if isinstance(ts, datetime):
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts
    return None


def _utc_time(value: Any) -> datetime:
    out = _aware(value)
    if out is None:
        raise StoreError("a timeline row without a time")
    return out


def _group_activity(posts: pa.Table) -> pa.Table:
    """Per author: posts, last_post_at, accepted_answers (rows: author_key,
    last_post_at, accepted of each post)."""
    accepted = pc.cast(pc.fill_null(posts.column("accepted"), False), pa.int64())
    grouped = posts.set_column(2, "accepted", accepted).group_by(
        "author_key", use_threads=False).aggregate(
        [([], "count_all"), ("last_post_at", "max"), ("accepted", "sum")])
    return pa.table({
        "author_key": grouped.column("author_key"),
        "posts": pc.cast(grouped.column("count_all"), pa.int64()),
        "last_post_at": grouped.column("last_post_at_max"),
        "accepted_answers": pc.cast(grouped.column("accepted_sum"), pa.int64()),
    })


def _add_activity(before: pa.Table, since: pa.Table) -> pa.Table:
    """Activity of all posts from that of the earlier ones and of the posts since."""
    if since.num_rows == 0:
        return before
    both = pa.concat_tables([before, since.cast(before.schema)])
    grouped = both.group_by("author_key", use_threads=False).aggregate(
        [("posts", "sum"), ("last_post_at", "max"), ("accepted_answers", "sum")])
    return pa.table({
        "author_key": grouped.column("author_key"),
        "posts": grouped.column("posts_sum"),
        "last_post_at": grouped.column("last_post_at_max"),
        "accepted_answers": grouped.column("accepted_answers_sum"),
    })


# Rankings of completed runs, by (database path, run id, kind): see ``_rank_order``.
_RANK_ORDER: dict[tuple[str, str, str], np.ndarray] = {}
_RANK_LOCK = threading.Lock()

# Who owns which account, by database path: the write count it was read at, and account
# key -> customer key of the most confident link. See ``EmbeddedStore._owners``.
_OWNERS: dict[str, tuple[int, dict[str, str]]] = {}
_WRITES: dict[str, int] = {}  # finished write transactions (and reopens), by database path
_OWNERS_LOCK = threading.Lock()


def _wrote(path: Path) -> None:
    """Something this process wrote (or a reopen) may have changed links: forget them."""
    with _OWNERS_LOCK:
        _WRITES[str(path)] = _WRITES.get(str(path), 0) + 1
        _OWNERS.pop(str(path), None)



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
        if not read_only:
            for statement in (*EMBEDDED_SCHEMA, *EMBEDDED_MIGRATIONS):
                self._conn.execute(statement)

    def _open_database(self, pool_bytes: int) -> Any:
        """Open the LadybugDB database at ``self.path``; a lock held by another process
        is a :class:`StoreBusyError` naming it, any other failure a :class:`StoreError`."""
        import ladybug

        read_only = self.read_only
        deadline = time.monotonic() + _CHECKPOINT_WAIT_SECONDS
        try:
            while True:
                try:
                    return ladybug.Database(str(self.path), read_only=read_only,
                                            buffer_pool_size=pool_bytes,
                                            max_num_threads=_query_threads())
                except RuntimeError as exc:
                    if not (read_only and "recovery is pending" in str(exc)):
                        raise
                # A read-only open fails while the log holds a checkpoint that has not
                # finished: a writer (``scrm serve`` running an ingest) is checkpointing
                # right now, or one was killed in the middle. A read-write open tells
                # which: it succeeds only if no writer is alive, and then replays the log.
                try:
                    ladybug.Database(str(self.path), buffer_pool_size=pool_bytes).close()
                except RuntimeError as exc:
                    if not _LOCK_PID.search(str(exc)) or time.monotonic() > deadline:
                        raise
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
        conn = getattr(self._scoped, "conn", None) or self._conn
        try:
            return conn.execute(query, params or {})
        except RuntimeError as exc:
            if "buffer pool is full" in str(exc):
                pool = getattr(self, "_pool_mb", 4096)
                raise StoreError(
                    f"The embedded database ran out of memory for one query (its buffer pool "
                    f"is {pool} MB). Set SCRM_BUFFER_POOL_MB (SCRM_ANALYZE_BUFFER_POOL_MB for "
                    f"'scrm analyze') higher, e.g. {int(pool) * 2}, and run the command "
                    "again.") from None
            raise

    def _rows(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result = self._exec(query, params)
        columns = result.get_column_names()
        rows = []
        while result.has_next():
            rows.append(dict(zip(columns, result.get_next(), strict=True)))
        return rows

    def _df(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        df: pd.DataFrame = self._exec(query, params).get_as_df()
        return df

    def _copy(self, table: str, rows: pa.Table) -> None:
        """COPY an arrow table into a node or relationship table (allow-listed)."""
        if table not in NODE_LABELS and table not in REL_TYPES:
            raise StoreError(f"Unknown table {table!r}")
        if rows.num_rows == 0:
            return
        # LadybugDB resolves the name ``rows`` from this frame's locals. A node table
        # names its columns: it may have more than the batch (columns added at open).
        if table in NODE_LABELS:
            names = rows.column_names
            if not all(_IDENTIFIER.fullmatch(n) for n in names):
                raise StoreError(f"Unknown column in {names!r}")
            self._exec(f"COPY {table}({', '.join(names)}) FROM rows")
        else:
            self._exec(f"COPY {table} FROM rows")

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
        scan = pa.table({"k": pa.array(keys, pa.string())})
        table: pa.Table = self._exec(
            f"LOAD FROM $scan MATCH (n:{label} {{key: k}}) RETURN {returns}",
            {"scan": scan}).get_as_arrow()
        return table

    def _in_transaction(self, work: Any) -> Any:
        self._exec("BEGIN TRANSACTION")
        try:
            out = work()
        except BaseException:
            try:
                self._exec("ROLLBACK")
            except RuntimeError:
                pass  # LadybugDB already rolled back the transaction that failed
            raise
        finally:
            _wrote(self.path)  # before and after the commit: a read between sees either
        self._exec("COMMIT")
        _wrote(self.path)
        return out

    def refresh(self) -> None:
        """Open a read-only store again, so it sees what was written since it opened (a
        read-only handle reads the snapshot of its open). ``scrm serve --readers`` calls
        it when the writer says something changed."""
        import ladybug

        if not self.read_only or self._db is None:
            return
        new_db = self._open_database(self._pool_bytes)  # the old one serves until then
        old_conn, old_db = self._conn, self._db
        self._db, self._conn = new_db, ladybug.Connection(new_db)
        old_conn.close()
        old_db.close()
        _wrote(self.path)
        with _RANK_LOCK:
            for key in [k for k in _RANK_ORDER if k[0] == str(self.path)]:
                del _RANK_ORDER[key]

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
        table = self._exec(query, params).get_as_arrow()
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
            self._exec(q.SET_PROJECTION_GENERATION,
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
        with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(
                sink, table.schema.with_metadata({"scrm": json.dumps(meta)})) as writer:
            writer.write_table(table)
        tmp.replace(path)
