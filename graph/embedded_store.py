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
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.batch import (
    ACCOUNT_FIELDS,
    CUSTOMER_FIELDS,
    GIVEN_ACCOUNT_FIELDS,
    account_changed,
    account_row,
    merge_account_values,
    merge_customers,
    plan_links,
    select_timeline,
)
from graph.model import (
    Account,
    OwnsLink,
    account_key,
    redact_handles,
    tombstone,
)
from graph.planning import PostEdge, PostPlan, pending_edge_key, post_fingerprint, split_edges
from graph.runs import (
    INT_SCORE_COLUMNS,
    SCORE_COLUMNS,
    check_ranking,
    check_score_columns,
    encode_json,
    missing_to_none,
    new_run_id,
    run_info,
    runs_to_drop,
    score_frame_columns,
    score_key,
    scored_account,
    scores_from_row,
)
from graph.schema import EMBEDDED_SCHEMA, NODE_LABELS, REL_TYPES
from graph.store import (
    ACCOUNT_PROFILE_COLUMNS,
    CARE_STATUSES,
    AccountScores,
    AccountView,
    AnalysisRunInfo,
    CustomerView,
    GraphBatch,
    Interaction,
    LinkedAccount,
    ScoredAccount,
    StoreBusyError,
    StoreError,
    TimelineFilter,
    WriteResult,
)

__all__ = ["EmbeddedStore"]

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
    try:
        return max(0, int(os.environ.get("SCRM_DB_THREADS", "0")))
    except ValueError:
        return 0


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


class EmbeddedStore:
    """The store port on LadybugDB.

    Args:
        path: Database path (created on first open).
        read_only: Open without taking the write lock (several readers may coexist
            with one writer; they see the state as of their open).
    """

    backend = "embedded"

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
        pool = buffer_pool_mb if buffer_pool_mb is not None else int(
            os.environ.get("SCRM_BUFFER_POOL_MB", "4096"))
        self._pool_mb = pool
        self._db = self._open_database(pool * 1024 * 1024)
        self._conn = ladybug.Connection(self._db)
        self._scoped = threading.local()  # a connection of a batch, per thread
        self._owns_db = True
        self._pool_bytes = pool * 1024 * 1024
        self._shared = False  # a sibling uses this database object: never reopen it
        if not read_only:
            for statement in EMBEDDED_SCHEMA:
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

    # ------------------------------------------------------------------ basics
    def sibling(self) -> EmbeddedStore:
        """Another handle on the same open database, with its own connection, for
        another thread (``scrm serve`` runs ingest and analysis jobs this way)."""
        import ladybug

        other = object.__new__(EmbeddedStore)
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

    def __enter__(self) -> EmbeddedStore:
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
        # LadybugDB resolves the name ``rows`` from this frame's locals.
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

    # ------------------------------------------------------------------ writes
    def write_batch(self, batch: GraphBatch) -> WriteResult:
        large = len(batch) >= _LARGE_BATCH
        with self._batch_connection(release_heap=large):
            result: WriteResult = self._in_transaction(lambda: self._write_batch(batch))
        if large:
            self._reopen()
        return result

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

    def _write_batch(self, batch: GraphBatch) -> WriteResult:
        result = WriteResult()
        self._write_customers(batch, result)
        self._write_accounts(batch, result)
        self._write_posts(batch, result)
        self._write_links(batch.links, result)
        self._write_follows(batch, result)
        self._write_purchases(batch, result)
        return result

    def _write_customers(self, batch: GraphBatch, result: WriteResult) -> None:
        merged = merge_customers(batch)
        if not merged:
            return
        ret = "n.key AS key, " + ", ".join(f"n.{f} AS {f}" for f in _CUSTOMER_FIELDS)
        existing = {r["key"]: r for r in self._existing("Customer", list(merged), ret)}
        new = [r for k, r in merged.items() if k not in existing]
        changed = [r for k, r in merged.items() if k in existing and any(
            f in r and r[f] != existing[k][f] for f in _CUSTOMER_FIELDS)]
        self._copy("Customer", pa.Table.from_pylist(
            [{f: r.get(f) for f in _CUSTOMER_SCHEMA.names} for r in new], schema=_CUSTOMER_SCHEMA))
        if changed:
            sets = _set_clause(_CUSTOMER_FIELDS)
            self._exec(f"UNWIND $rows AS row MATCH (n:Customer {{key: row.key}}) SET {sets}",
                       {"rows": [{f: r.get(f) for f in ("key", *_CUSTOMER_FIELDS)}
                                 for r in changed]})
        result.created["customers"] = len(new)
        result.updated["customers"] = len(changed)

    def _write_accounts(self, batch: GraphBatch, result: WriteResult) -> None:
        merged = merge_account_values(batch)
        if not merged:
            return
        ret = "n.key AS key, " + ", ".join(f"n.{f} AS {f}" for f in GIVEN_ACCOUNT_FIELDS)
        found = self._existing_table("Account", list(merged), ret)
        stored = dict(zip(found["key"].to_pylist(), zip(
            *(found[f].to_pylist() for f in GIVEN_ACCOUNT_FIELDS), strict=True), strict=True))
        new = [k for k in merged if k not in stored]
        changed = [k for k, values in merged.items()
                   if k in stored and account_changed(values, stored[k])]
        parts = [k.split(":", 1) for k in new]
        given = list(zip(*(merged[k] for k in new), strict=True)) or [()] * len(
            GIVEN_ACCOUNT_FIELDS)
        rows = pa.table({"key": new, "platform": [p for p, _ in parts],
                         "handle": [h for _, h in parts],
                         **dict(zip(GIVEN_ACCOUNT_FIELDS, given, strict=True))},
                        schema=_ACCOUNT_SCHEMA)
        brand = _ACCOUNT_SCHEMA.get_field_index("is_brand")
        self._copy("Account", rows.set_column(brand, "is_brand",
                                              pc.fill_null(rows["is_brand"], False)))
        if changed:
            sets = _set_clause(_ACCOUNT_FIELDS)
            update = [account_row(k, merged[k]) for k in changed]
            self._exec(f"UNWIND $rows AS row MATCH (n:Account {{key: row.key}}) SET {sets}",
                       {"rows": [{f: r.get(f) for f in ("key", *_ACCOUNT_FIELDS)}
                                 for r in update]})
        result.created["accounts"] = len(new)
        result.updated["accounts"] = len(changed)

    def _write_posts(self, batch: GraphBatch, result: WriteResult) -> None:
        plan = PostPlan.of(batch.posts, result)
        if not plan.seen:
            return
        found = self._existing_table("Post", plan.keys, "n.key AS key, n.content_hash AS h")
        plan.keep_new(dict(zip(found["key"].to_pylist(), found["h"].to_pylist(), strict=True)),
                      result)
        if not plan.new_keys:
            return
        parents = plan.parents_to_look_up()
        found = self._existing_table("Post", parents, "n.key AS key, n.conversation_key AS c")
        plan.assign_conversations(dict(zip(found["key"].to_pylist(), found["c"].to_pylist(),
                                           strict=True)) if parents else {})
        new, new_keys = plan.posts, plan.new_keys
        n = len(new)
        self._copy("Post", pa.table({
            "key": new_keys, "platform": plan.platforms, "post_id": [p.post_id for p in new],
            "author_key": plan.authors, "text": [p.text for p in new],
            "title": [p.title for p in new], "created_at": _utc_column([p.created_at for p in new]),
            "url": [p.url for p in new], "kind": plan.kinds, "parent_key": plan.parent_keys,
            "conversation_key": plan.conversations, "shared_key": plan.shared_keys,
            "hashtags": [p.hashtags for p in new], "lang": [p.lang for p in new],
            "likes": [p.likes for p in new], "reposts": [p.reposts for p in new],
            "replies": [p.replies for p in new], "score": [p.score for p in new],
            "accepted": [p.accepted for p in new], "content_hash": plan.hashes,
            "sentiment": pa.nulls(n, pa.float64()), "sentiment_model": pa.nulls(n, pa.string()),
        }, schema=_POST_SCHEMA))

        # Conversations the new posts belong to, and provisional ones that now move.
        conversation_platform = plan.conversation_platforms()
        known_conv = set(self._existing_table("Conversation", plan.conversation_keys_to_look_up())[
            "key"].to_pylist())
        new_conv = [k for k in conversation_platform if k not in known_conv]
        self._copy("Conversation", pa.table({
            "key": new_conv, "platform": [conversation_platform[k] for k in new_conv],
            "root_post_key": new_conv}, schema=pa.schema(
            [("key", pa.string()), ("platform", pa.string()), ("root_post_key", pa.string())])))
        result.created["conversations"] = len(new_conv)

        # Edges that start at a new post never exist yet: no check needed.
        self._copy("POSTED", pa.table({"from": plan.authors, "to": new_keys}))
        self._copy("IN_CONVERSATION", pa.table({"from": new_keys, "to": plan.conversations}))
        self._move_conversations(plan.moves(known_conv))
        m_from, m_to = plan.mentions()
        self._copy("MENTIONS", pa.table({"from": m_from, "to": m_to}))
        result.created["mentions"] = len(m_from)

        # Post-to-post edges: written now if the target is stored, else kept pending.
        wanted = plan.post_edges()
        stored_targets = self._existing_table("Post", plan.targets_to_look_up(wanted))[
            "key"].to_pylist()
        ready, waiting = split_edges(wanted, {*new_keys, *stored_targets})

        pending = self._exec("MATCH (e:PendingEdge) RETURN e.key AS key, e.rel AS rel, "
                             "e.from_key AS from_key, e.to_key AS to_key, "
                             "e.share_kind AS kind").get_as_arrow()
        resolved = pending.filter(pc.is_in(pending["to_key"], value_set=pa.array(
            new_keys, pa.string()))) if pending.num_rows else pending
        if resolved.num_rows:
            ready.extend(PostEdge(*e) for e in zip(
                *(resolved[c].to_pylist() for c in ("rel", "from_key", "to_key", "kind")),
                strict=True))
            self._exec("UNWIND $keys AS k MATCH (e:PendingEdge {key: k}) DELETE e",
                       {"keys": resolved["key"].to_pylist()})
        pending_keys = set(pending["key"].to_pylist()) if waiting and pending.num_rows else set()
        replies = [e for e in ready if e.rel == "REPLY_TO"]
        shares = [e for e in ready if e.rel == "SHARES"]
        self._copy("REPLY_TO", pa.table({"from": [e.from_key for e in replies],
                                         "to": [e.to_key for e in replies]}))
        self._copy("SHARES", pa.table({"from": [e.from_key for e in shares],
                                       "to": [e.to_key for e in shares],
                                       "kind": [e.share_kind for e in shares]}))
        wait_rows = []
        for e in waiting:
            key = pending_edge_key(e)
            if key not in pending_keys:
                wait_rows.append({"key": key, "rel": e.rel, "from_key": e.from_key,
                                  "to_key": e.to_key, "share_kind": e.share_kind})
        self._copy("PendingEdge", pa.Table.from_pylist(wait_rows, schema=pa.schema([
            ("key", pa.string()), ("rel", pa.string()), ("from_key", pa.string()),
            ("to_key", pa.string()), ("share_kind", pa.string())])))
        result.created["replies"] = len(replies)
        result.created["shares"] = len(shares)
        result.pending_edges = pending.num_rows - resolved.num_rows + len(wait_rows)

    def _move_conversations(self, moves: dict[str, str]) -> None:
        """Move the posts filed under each provisional conversation to the real one,
        then drop the provisional one (rare: a parent arrived after its replies)."""
        for old, real in moves.items():
            # one conversation at a time, from the conversation's end: an UNWIND over
            # the relationship table would be planned as a scan of every post
            keys = [r["k"] for r in self._rows(
                "MATCH (p:Post)-[:IN_CONVERSATION]->(:Conversation {key: $old}) "
                "RETURN p.key AS k", {"old": old})]
            self._exec("MATCH (:Post)-[r:IN_CONVERSATION]->(:Conversation {key: $old}) DELETE r",
                       {"old": old})
            self._exec("MATCH (c:Conversation {key: $old}) DELETE c", {"old": old})
            if keys:
                self._exec("UNWIND $keys AS k MATCH (p:Post {key: k}) "
                           "SET p.conversation_key = $real", {"keys": keys, "real": real})
                self._copy("IN_CONVERSATION", pa.table({"from": keys, "to": [real] * len(keys)}))

    def _write_links(self, links: Sequence[OwnsLink], result: WriteResult) -> None:
        if not links:
            return
        wanted: dict[tuple[str, str], OwnsLink] = {}
        for link in links:
            wanted[(link.customer_id, link.account_key)] = link
        known_customers = {r["key"] for r in self._existing(
            "Customer", list({c for c, _ in wanted}))}
        existing = {(r["c"], r["a"]): r for r in self._rows(
            "UNWIND $rows AS row "
            "MATCH (c:Customer {key: row.c})-[o:OWNS]->(a:Account {key: row.a}) "
            "RETURN c.key AS c, a.key AS a, o.confidence AS confidence, o.method AS method",
            {"rows": [{"c": c, "a": a} for c, a in wanted]})}
        rejected = {r["key"] for r in self._existing(
            "IdentityDecision", [f"{c}|{a}" for c, a in wanted],
            "n.key AS key, n.decision AS decision") if r["decision"] == "reject"}
        new, changed = plan_links(wanted, known_customers, existing, rejected, result)
        self._copy("OWNS", pa.table({
            "from": [x.customer_id for x in new], "to": [x.account_key for x in new],
            "confidence": pa.array([x.confidence for x in new], pa.float64()),
            "method": pa.array([x.method for x in new], pa.string()),
            "evidence": pa.array([x.evidence for x in new], pa.string())}))
        if changed:
            self._exec(
                "UNWIND $rows AS row MATCH (c:Customer {key: row.c})-[o:OWNS]->(a:Account "
                "{key: row.a}) SET o.confidence = row.confidence, o.method = row.method, "
                "o.evidence = row.evidence",
                {"rows": [{"c": x.customer_id, "a": x.account_key, "confidence": x.confidence,
                           "method": x.method, "evidence": x.evidence} for x in changed]})
        result.created["links"] = result.created.get("links", 0) + len(new)
        result.updated["links"] = result.updated.get("links", 0) + len(changed)

    def _write_follows(self, batch: GraphBatch, result: WriteResult) -> None:
        pairs = list(dict.fromkeys(
            (account_key(f.platform, f.follower_handle), account_key(f.platform, f.followee_handle))
            for f in batch.follows))
        if not pairs:
            return
        existing = {(r["a"], r["b"]) for r in self._rows(
            "UNWIND $rows AS row MATCH (a:Account {key: row.a})-[:FOLLOWS]->(b:Account "
            "{key: row.b}) RETURN a.key AS a, b.key AS b",
            {"rows": [{"a": a, "b": b} for a, b in pairs]})}
        new = [p for p in pairs if p not in existing]
        self._copy("FOLLOWS", pa.table({"from": [a for a, _ in new], "to": [b for _, b in new]}))
        result.created["follows"] = len(new)

    def _write_purchases(self, batch: GraphBatch, result: WriteResult) -> None:
        rows = {f"{p.customer_id}:{p.order_id}": p for p in batch.purchases}
        if not rows:
            return
        known_customers = {r["key"] for r in self._existing(
            "Customer", list({p.customer_id for p in rows.values()}))}
        existing = {r["key"] for r in self._existing("Purchase", list(rows))}
        new = {k: p for k, p in rows.items() if k not in existing}
        for k, p in list(new.items()):
            if p.customer_id not in known_customers:
                result.conflicts.append((k, f"customer {p.customer_id!r} is not in the CRM"))
                del new[k]
        self._copy("Purchase", pa.table({
            "key": list(new), "customer_id": [p.customer_id for p in new.values()],
            "order_id": [p.order_id for p in new.values()],
            "amount": pa.array([p.amount for p in new.values()], pa.float64()),
            "purchased_at": pa.array([p.purchased_at for p in new.values()], pa.date32())}))
        self._copy("PURCHASED", pa.table({"from": [p.customer_id for p in new.values()],
                                          "to": list(new)}))
        result.created["purchases"] = len(new)

    def set_brand(self, account_keys: Sequence[str], settings: dict[str, str]) -> int:
        def work() -> int:
            batch = GraphBatch(accounts=[
                Account(platform=k.split(":", 1)[0], handle=k.split(":", 1)[1], is_brand=True)
                for k in account_keys])
            self._write_accounts(batch, WriteResult())
            self._exec("MATCH (a:Account) WHERE a.is_brand SET a.is_brand = false")
            self._exec("UNWIND $keys AS k MATCH (a:Account {key: k}) SET a.is_brand = true",
                       {"keys": list(account_keys)})
            for name, value in settings.items():
                self._exec("MERGE (s:Setting {key: $k}) SET s.value = $v", {"k": name, "v": value})
            return len(account_keys)
        return self._in_transaction(work)  # type: ignore[no-any-return]

    def get_settings(self) -> dict[str, str]:
        # projection.* belongs to this adapter's projection cache, not to the brand's
        # configuration (it is not migrated, and differs between copies)
        return {r["k"]: r["v"] for r in self._rows(
            "MATCH (s:Setting) RETURN s.key AS k, s.value AS v")
            if not r["k"].startswith("projection.")}

    def file_ingested(self, fingerprint: str) -> bool:
        return bool(self._existing("IngestFile", [fingerprint]))

    def record_file(self, fingerprint: str, path: str, source: str, read: int, loaded: int,
                    rejected: int) -> None:
        self._exec(
            "MERGE (f:IngestFile {key: $k}) SET f.path = $path, f.source = $source, "
            "f.read = $read, f.loaded = $loaded, f.rejected = $rejected, f.ingested_at = $at",
            {"k": fingerprint, "path": path, "source": source, "read": read, "loaded": loaded,
             "rejected": rejected, "at": datetime.now(UTC).replace(tzinfo=None)})

    def link_account(self, link: OwnsLink) -> None:
        def work() -> None:
            self._write_accounts(GraphBatch(links=[link]), WriteResult())
            self._exec("MATCH (c:Customer {key: $c})-[o:OWNS]->(a:Account {key: $a}) DELETE o",
                       {"c": link.customer_id, "a": link.account_key})
            result = WriteResult()
            self._write_links([link], result)
            if result.conflicts:
                raise StoreError(result.conflicts[0][1])
        self._in_transaction(work)

    def unlink_account(self, customer_id: str, account_key: str) -> bool:
        rows = self._rows("MATCH (c:Customer {key: $c})-[o:OWNS]->(a:Account {key: $a}) "
                          "DELETE o RETURN count(*) AS n", {"c": customer_id, "a": account_key})
        _wrote(self.path)
        return bool(rows and rows[0]["n"])

    # --------------------------------------------------------------- identities
    def customer_frame(self) -> pd.DataFrame:
        return self._df("MATCH (c:Customer) RETURN c.key AS customer_id, c.name AS name, "
                        "c.email AS email, c.location AS location, c.company AS company")

    def link_frame(self) -> pd.DataFrame:
        return self._df("MATCH (c:Customer)-[o:OWNS]->(a:Account) RETURN c.key AS customer_id, "
                        "a.key AS account_key, o.method AS method, o.confidence AS confidence")

    def record_decision(self, customer_id: str, account_key: str, decision: str) -> None:
        if decision not in ("link", "reject"):
            raise StoreError(f"unknown identity decision {decision!r}")
        self._exec("MERGE (d:IdentityDecision {key: $k}) SET d.customer_id = $c, "
                   "d.account_key = $a, d.decision = $d, d.decided_at = $at",
                   {"k": f"{customer_id}|{account_key}", "c": customer_id, "a": account_key,
                    "d": decision, "at": datetime.now(UTC).replace(tzinfo=None)})
        self._exec("MATCH (x:IdentityCandidate {key: $k}) DELETE x",
                   {"k": f"{customer_id}|{account_key}"})

    def decision_frame(self) -> pd.DataFrame:
        return self._df("MATCH (d:IdentityDecision) RETURN d.customer_id AS customer_id, "
                        "d.account_key AS account_key, d.decision AS decision")

    def replace_candidates(self, candidates: Sequence[dict[str, Any]]) -> None:
        """Replace the review list with these (customer_id, account_key, confidence,
        evidence list) rows."""
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = {f"{c['customer_id']}|{c['account_key']}": c for c in candidates}
        table = pa.table({
            "key": list(rows), "customer_id": [c["customer_id"] for c in rows.values()],
            "account_key": [c["account_key"] for c in rows.values()],
            "confidence": pa.array([float(c["confidence"]) for c in rows.values()],
                                   pa.float64()),
            "evidence": [json.dumps(list(c["evidence"])) for c in rows.values()],
            "created_at": pa.array([now] * len(rows), pa.timestamp("us"))})

        def work() -> None:
            self._exec("MATCH (x:IdentityCandidate) DELETE x")
            self._copy("IdentityCandidate", table)
        self._in_transaction(work)

    def pending_candidates(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._rows("MATCH (x:IdentityCandidate) RETURN x.customer_id AS customer_id, "
                          "x.account_key AS account_key, x.confidence AS confidence, "
                          "x.evidence AS evidence ORDER BY x.confidence DESC, x.key LIMIT $n",
                          {"n": limit})
        for r in rows:
            r["evidence"] = json.loads(r["evidence"] or "[]")
        return rows

    # -------------------------------------------------------------- projection
    def account_frame(self, *, profile: bool = True) -> pd.DataFrame:
        columns = [c for c in ("key", "platform", "handle", "followers", "is_brand",
                               "display_name", "location", "description")
                   if profile or c not in ACCOUNT_PROFILE_COLUMNS]
        accounts = self._df("MATCH (a:Account) RETURN "
                            + ", ".join(f"a.{c} AS {c}" for c in columns))
        links = self._df(
            "MATCH (c:Customer)-[o:OWNS]->(a:Account) RETURN a.key AS key, c.key AS customer_id, "
            "c.lifetime_value AS lifetime_value, c.nps AS nps, o.confidence AS link_confidence")
        spend = self._df("MATCH (c:Customer)-[:PURCHASED]->(p:Purchase) "
                         "RETURN c.key AS customer_id, sum(p.amount) AS purchases_total")
        if len(links):
            links = links.sort_values("link_confidence", ascending=False).drop_duplicates("key")
            links = links.merge(spend, on="customer_id", how="left") if len(spend) else \
                links.assign(purchases_total=float("nan"))
        else:
            links = pd.DataFrame(columns=["key", "customer_id", "lifetime_value", "nps",
                                          "link_confidence", "purchases_total"])
        frame = accounts.merge(links, on="key", how="left")
        frame["is_brand"] = frame["is_brand"].fillna(False).astype(bool)
        return frame

    def _arrow_df(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """A query result as a DataFrame backed by Arrow (no per-string Python objects)."""
        table = self._exec(query, params).get_as_arrow()
        frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
        return frame

    _INTERACTIONS = (
        ("REPLY_TO", "MATCH (a:Account)-[:POSTED]->(p:Post)-[:REPLY_TO]->(:Post)"
                     "<-[:POSTED]-(b:Account)", "0"),
        ("MENTIONS", "MATCH (a:Account)-[:POSTED]->(p:Post)-[:MENTIONS]->(b:Account)", "1"),
        ("SHARES", "MATCH (a:Account)-[:POSTED]->(p:Post)-[s:SHARES]->(:Post)"
                   "<-[:POSTED]-(b:Account)", "CASE WHEN s.kind = 'quote' THEN 3 ELSE 2 END"),
    )
    _INTERACTION_KINDS = ("reply", "mention", "share", "quote")

    @property
    def _projection_path(self) -> Path:
        return self._cache_path("projection")

    def _projection_state(self) -> dict[str, Any]:
        """What a cached projection must match: the edge counts per type and the
        generation (bumped by any write that re-keys accounts, e.g. forgetting one)."""
        state: dict[str, Any] = {rel: self._rows(
            f"MATCH ()-[r:{rel}]->() RETURN count(*) AS n")[0]["n"]
            for rel, _, _ in self._INTERACTIONS}
        state["generation"] = self._generation()
        return state

    def _generation(self) -> str:
        """The database's projection generation: named on first use, changed by every
        write that re-keys accounts or rewrites old posts (forgetting a customer)."""
        found = self._rows("MATCH (s:Setting {key: 'projection.generation'}) "
                           "RETURN s.value AS v")
        generation = found[0]["v"] if found else None
        if generation is None and not self.read_only:
            # a database's first projection names it, so a cache file left beside a
            # database rebuilt at the same path is never mistaken for its own
            generation = uuid.uuid4().hex
            self._exec("MERGE (s:Setting {key: 'projection.generation'}) SET s.value = $g",
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

    def _interaction_rows(self, after_post: int | None) -> pa.Table:
        """Interactions as account and post offsets, from posts after ``after_post``."""
        if after_post is None:
            table = self._interaction_scan()
            if table is not None:
                return table
        where = "" if after_post is None else "WHERE offset(id(p)) > $mark "
        tables = []
        for _, pattern, code in self._INTERACTIONS:
            tables.append(self._exec(
                f"{pattern} {where}RETURN offset(id(a)) AS src, offset(id(b)) AS dst, "
                f"CAST({code}, 'INT8') AS kind, offset(id(p)) AS post, "
                "p.created_at AS created_at",
                {"mark": after_post} if after_post is not None else None).get_as_arrow())
        return pa.concat_tables(tables).combine_chunks()

    def _interaction_scan(self) -> pa.Table | None:
        """Every interaction, from one scan per relationship table joined by post offset
        in NumPy: the same rows as the ``_INTERACTIONS`` patterns, in a third of the
        time (the engine's two-hop joins walk ten million posts twice) and without the
        engine's join tables in the buffer pool. None when a post has more than one
        author, which only the patterns count right."""
        posted = self._exec(
            "MATCH (a:Account)-[:POSTED]->(p:Post) RETURN offset(id(p)) AS p, offset(id(a)) AS a"
        ).get_as_arrow()
        post = posted.column("p").to_numpy()
        size = int(post.max()) + 1 if len(post) else 0
        author = np.full(size, -1, dtype=np.int64)
        author[post] = posted.column("a").to_numpy()
        if np.count_nonzero(author >= 0) != len(post):
            return None
        del posted, post
        times = self._exec("MATCH (p:Post) RETURN offset(id(p)) AS p, p.created_at AS t"
                           ).get_as_arrow()
        created_type = times.schema.field("t").type
        created = np.zeros(max(size, int(pc.max(times.column("p")).as_py() or 0) + 1),
                           dtype=np.int64)
        created[times.column("p").to_numpy()] = pc.fill_null(
            pc.cast(times.column("t"), pa.int64()), 0).to_numpy()
        del times

        def of(posts: np.ndarray) -> np.ndarray:
            inside = posts < size
            return np.where(inside, author[np.where(inside, posts, 0)], -1)

        parts = []
        for query, kind in (
            ("MATCH (p:Post)-[:REPLY_TO]->(q:Post) RETURN offset(id(p)) AS p, "
             "offset(id(q)) AS q", None),
            ("MATCH (p:Post)-[:MENTIONS]->(b:Account) RETURN offset(id(p)) AS p, "
             "offset(id(b)) AS b", None),
            ("MATCH (p:Post)-[s:SHARES]->(q:Post) RETURN offset(id(p)) AS p, "
             "offset(id(q)) AS q, s.kind = 'quote' AS quote", "share"),
        ):
            rows = self._exec(query).get_as_arrow()
            p = rows.column("p").to_numpy()
            src = of(p)
            dst = rows.column("b").to_numpy() if "b" in rows.column_names else \
                of(rows.column("q").to_numpy())
            if kind == "share":
                quote = pc.fill_null(rows.column("quote"), False).to_numpy(zero_copy_only=False)
                code = np.where(quote, 3, 2).astype(np.int8)
            else:
                code = np.full(len(p), 0 if "q" in rows.column_names else 1, dtype=np.int8)
            del rows
            keep = (src >= 0) & (dst >= 0)
            p = p[keep]
            parts.append(pa.table({
                "src": pa.array(src[keep]), "dst": pa.array(dst[keep]),
                "kind": pa.array(code[keep]), "post": pa.array(p),
                "created_at": pa.array(created[p]).cast(created_type)}))
        return pa.concat_tables(parts).combine_chunks()

    def _cached_interactions(self, state: dict[str, Any]) -> pa.Table:
        """The projection, read incrementally: the rows cached by the last call plus the
        interactions of posts written since. When the cache cannot be trusted (edge
        counts do not add up, e.g. a reply reached an old post; or accounts were
        re-keyed) it is rebuilt from scratch."""
        mark = self._rows("MATCH (p:Post) RETURN max(offset(id(p))) AS m")[0]["m"]
        table: pa.Table | None = None
        found = self._read_cache("projection")
        if found is not None:
            cached, meta = found
            if meta.get("generation") == state["generation"] and meta.get("mark") is not None:
                delta = self._interaction_rows(int(meta["mark"]))
                if cached.num_rows + delta.num_rows == sum(
                        state[rel] for rel, _, _ in self._INTERACTIONS):
                    try:
                        table = pa.concat_tables([cached, delta]).combine_chunks()
                    except pa.ArrowInvalid:
                        table = None  # kept by another version: rebuilt, never trusted
        if table is None:
            table = self._interaction_rows(None)
        if mark is not None:
            self._write_cache("projection", table,
                              {"mark": int(mark), "generation": state["generation"]})
        return table

    def interaction_frame(self, *, sentiment: bool = True) -> pd.DataFrame:
        """src and dst come back as categoricals over the account keys: the engine
        hands over node offsets (integers), never ten million key strings; and the
        rows already read by an earlier call are kept beside the database, so after
        a small ingest only the new posts' interactions are queried. Read on a
        connection of its own, so that nothing of it stays behind in the driver."""
        with self._batch_connection(release_heap=True):
            return self._interaction_frame(sentiment)

    def _interaction_frame(self, with_sentiment: bool) -> pd.DataFrame:
        accounts = self._exec("MATCH (a:Account) RETURN offset(id(a)) AS o, a.key AS key"
                              ).get_as_arrow()
        offsets = accounts.column("o").to_numpy()
        position = np.full(int(offsets.max()) + 1 if len(offsets) else 0, -1, dtype=np.int64)
        position[offsets] = np.arange(len(offsets))
        categories = pd.Index(accounts.column("key").to_pylist(), dtype=object)
        table = self._cached_interactions(self._projection_state())
        sentiment = np.zeros(0)
        if with_sentiment:
            sentiment_rows = self._exec("MATCH (p:Post) RETURN offset(id(p)) AS o, "
                                        "p.sentiment AS s").get_as_arrow()
            post_offsets = sentiment_rows.column("o").to_numpy()
            sentiment = np.full(int(post_offsets.max()) + 1 if len(post_offsets) else 0,
                                np.nan)
            sentiment[post_offsets] = np.asarray(
                sentiment_rows.column("s").to_numpy(zero_copy_only=False), dtype=float)
            del sentiment_rows
        src = table.column("src").to_numpy()
        dst = table.column("dst").to_numpy()
        inside = (src < len(position)) & (dst < len(position))  # an account since removed
        src_codes = np.where(inside, position[np.where(inside, src, 0)], -1)
        dst_codes = np.where(inside, position[np.where(inside, dst, 0)], -1)
        keep = (src_codes >= 0) & (dst_codes >= 0)
        post = table.column("post").to_numpy()[keep]
        columns: dict[str, Any] = {
            "src": pd.Categorical.from_codes(src_codes[keep], categories=categories),
            "dst": pd.Categorical.from_codes(dst_codes[keep], categories=categories),
            "kind": pd.Categorical.from_codes(
                table.column("kind").to_numpy().astype(np.int64)[keep],
                categories=list(self._INTERACTION_KINDS)),
            "created_at": np.asarray(table.column("created_at").cast(pa.timestamp("us"))
                                     .to_numpy(), dtype="datetime64[us]")[keep],
        }
        if with_sentiment:
            columns["sentiment"] = sentiment[post] if len(sentiment) else \
                np.full(len(post), np.nan)
        return pd.DataFrame(columns)

    def unscored_posts(self, batch_size: int = 100_000, *, model: str | None = None
                       ) -> Iterator[pd.DataFrame]:
        where = "p.sentiment IS NULL" if model is None else \
            "(p.sentiment IS NULL OR p.sentiment_model IS NULL OR p.sentiment_model <> $model)"
        frame = self._df(f"MATCH (p:Post) WHERE {where} RETURN p.key AS key, "
                         "p.title AS title, p.text AS text", {"model": model} if model else None)
        for start in range(0, len(frame), batch_size):
            yield frame.iloc[start:start + batch_size].reset_index(drop=True)

    def brand_posts(self, terms: Sequence[str]) -> pd.DataFrame:
        with self._batch_connection(release_heap=True):
            return self._brand_posts(terms)

    def _brand_posts(self, terms: Sequence[str]) -> pd.DataFrame:
        """Brand posts, kept beside the database like the projection: the next call
        looks only at posts written since (and at the few replies to brand posts),
        and takes every kept post's current sentiment. The kept rows are used only
        while the brand accounts, terms and generation are the same and no old post
        got a new reply or mention edge (a late parent: its counts would not add up);
        a brand post newer than the kept rows that starts a thread is looked for among
        all posts."""
        terms = list(dict.fromkeys(t.lower() for t in terms if t))
        brand = sorted(r["k"] for r in self._rows("MATCH (a:Account) WHERE a.is_brand "
                                                  "RETURN a.key AS k"))
        mark = self._rows("MATCH (p:Post) RETURN max(offset(id(p))) AS m")[0]["m"]
        edges = {rel: self._rows(f"MATCH ()-[r:{rel}]->() RETURN count(*) AS n")[0]["n"]
                 for rel in ("REPLY_TO", "MENTIONS")}
        state = {"generation": self._generation(), "brand": brand, "terms": terms}
        since: int | None = None
        kept: pa.Table | None = None
        found = self._read_cache("brandposts")
        if found is not None:
            table, meta = found
            if all(meta.get(k) == v for k, v in state.items()) and meta.get("mark") is not None:
                old = int(meta["mark"])
                if all(int(meta.get(rel, -1)) + self._rows(
                        f"MATCH (p:Post)-[:{rel}]->() WHERE offset(id(p)) > $mark "
                        "RETURN count(*) AS n", {"mark": old})[0]["n"] == n
                        for rel, n in edges.items()):
                    since, kept = old, table
        if kept is not None and not {"post", "sentiment", "author_key"} <= set(kept.column_names):
            since, kept = None, None  # kept by another version: rebuilt
        frame = self._brand_post_rows(terms, since)
        if kept is not None and since is not None:
            frame = pd.concat([self._with_current_sentiment(kept, since), frame],
                              ignore_index=True)
        frame = frame.drop_duplicates("post")
        frame = frame[~frame["author_key"].isin(set(brand))].reset_index(drop=True)
        if mark is not None:
            self._write_cache("brandposts", pa.Table.from_pandas(frame, preserve_index=False),
                              {**state, **edges, "mark": int(mark)})
        return frame.drop(columns="post")

    def _brand_post_rows(self, terms: list[str], since: int | None) -> pd.DataFrame:
        """Posts that address the brand, among those written after ``since`` (all when
        None), plus every reply to a brand post and, for a brand post written after
        ``since``, its whole thread."""
        # Each part brings its posts' parent author along (one OPTIONAL MATCH per row
        # found) rather than looking a million parents up afterwards; the brand's threads
        # are found by the conversation_key property (a scan) rather than through
        # IN_CONVERSATION, which LadybugDB walks from the wrong end.
        cols = ("p.key AS key, p.author_key AS author_key, p.sentiment AS sentiment, "
                "p.created_at AS created_at, p.kind AS kind, q.author_key AS parent_author_key, "
                "offset(id(p)) AS post")  # duplicates are found by this number, not the key
        parent = "OPTIONAL MATCH (p)-[:REPLY_TO]->(q:Post)"
        # the offset test first: the engine then skips the text of older posts
        new = "" if since is None else "offset(id(p)) > $mark AND "
        mark = {} if since is None else {"mark": since}
        parts = [
            self._arrow_df(f"MATCH (p:Post)-[:MENTIONS]->(b:Account) WHERE {new}b.is_brand "
                           f"{parent} RETURN {cols}", mark or None),
            self._arrow_df("MATCH (q:Post)<-[:REPLY_TO]-(p:Post), (q)<-[:POSTED]-(b:Account) "
                           f"WHERE b.is_brand RETURN {cols}"),
        ]
        roots = self._rows("MATCH (b:Account)-[:POSTED]->(r:Post) WHERE b.is_brand "
                           "RETURN r.key AS key, offset(id(r)) AS o")
        old_roots = [r["key"] for r in roots if since is not None and r["o"] <= since]
        new_roots = [r["key"] for r in roots if since is None or r["o"] > since]
        thread = f"list_contains($keys, p.conversation_key) {parent} RETURN {cols}"
        if new_roots:
            parts.append(self._arrow_df(f"MATCH (p:Post) WHERE {thread}", {"keys": new_roots}))
        if old_roots:
            parts.append(self._arrow_df(f"MATCH (p:Post) WHERE offset(id(p)) > $mark AND "
                                        f"{thread}", {"keys": old_roots, **mark}))
        for term in terms:
            parts.append(self._arrow_df(
                f"MATCH (p:Post) WHERE {new}(lower(p.text) CONTAINS $t OR lower(p.title) "
                f"CONTAINS $t) {parent} RETURN {cols}", {"t": term, **mark}))
        found = [p for p in parts if len(p)]
        return pd.concat(found, ignore_index=True) if found else parts[0]

    def _with_current_sentiment(self, kept: pa.Table, upto: int) -> pd.DataFrame:
        """Kept brand posts (all at or below offset ``upto``) with the sentiment their
        posts have now (scored or rescored since they were kept)."""
        rows = self._exec("MATCH (p:Post) WHERE offset(id(p)) <= $mark "
                          "RETURN offset(id(p)) AS o, p.sentiment AS s",
                          {"mark": upto}).get_as_arrow()
        current = np.full(upto + 1, np.nan)
        current[rows.column("o").to_numpy()] = np.asarray(
            rows.column("s").to_numpy(zero_copy_only=False), dtype=float)
        del rows
        post = kept.column("post").to_numpy()
        sentiment = pa.array(current[post], type=kept.schema.field("sentiment").type,
                             from_pandas=True)
        index = kept.schema.get_field_index("sentiment")
        frame: pd.DataFrame = kept.set_column(index, "sentiment", sentiment).to_pandas(
            types_mapper=pd.ArrowDtype)
        return frame

    def post_details(self, keys: Sequence[str]) -> pd.DataFrame:
        frame = self._df(
            "UNWIND $keys AS k MATCH (p:Post {key: k}) RETURN p.key AS key, "
            "p.platform AS platform, p.conversation_key AS conversation_key, p.text AS text, "
            "p.url AS url", {"keys": list(dict.fromkeys(keys))})
        if frame.empty:
            return pd.DataFrame(columns=["key", "platform", "conversation_key", "text", "url"])
        return frame

    def brand_reply_times(self) -> pd.DataFrame:
        frame = self._df("MATCH (b:Account)-[:POSTED]->(p:Post) WHERE b.is_brand "
                         "RETURN p.conversation_key AS conversation_key, "
                         "max(p.created_at) AS last_brand_post_at")
        if frame.empty:
            return pd.DataFrame(columns=["conversation_key", "last_brand_post_at"])
        return frame

    def author_activity(self) -> pd.DataFrame:
        """Grouped in Arrow, not by the engine (its hash aggregate over ten million
        posts by a string key needed more than a 1 GB buffer pool), and kept beside the
        database like the projection: the next call groups only the posts written
        since and adds them in. Old posts never change author, time or accepted flag
        except when a customer is forgotten, which changes the generation; a post
        count that does not add up rebuilds it too."""
        with self._batch_connection(release_heap=True):
            found = self._rows("MATCH (p:Post) RETURN max(offset(id(p))) AS m, "
                               "count(*) AS n")
            mark, posts = found[0]["m"], int(found[0]["n"])
            generation = self._generation()
            grouped: pa.Table | None = None
            cached = self._read_cache("activity")
            if cached is not None:
                table, meta = cached
                if meta.get("generation") == generation and meta.get("mark") is not None:
                    delta = self._activity_rows(int(meta["mark"]))
                    if int(meta.get("posts", -1)) + delta.num_rows == posts:
                        try:
                            grouped = _add_activity(table, _group_activity(delta))
                        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, KeyError):
                            grouped = None  # kept by another version: rebuilt
            if grouped is None:
                grouped = _group_activity(self._activity_rows(None))
            if mark is not None:
                self._write_cache("activity", grouped, {
                    "mark": int(mark), "generation": generation, "posts": posts})
        frame: pd.DataFrame = grouped.to_pandas()
        return frame

    def _activity_rows(self, after_post: int | None) -> pa.Table:
        where = "" if after_post is None else "WHERE offset(id(p)) > $mark "
        rows: pa.Table = self._exec(
            f"MATCH (p:Post) {where}RETURN p.author_key AS author_key, "
            "p.created_at AS last_post_at, p.accepted AS accepted",
            {"mark": after_post} if after_post is not None else None).get_as_arrow()
        return rows

    def write_post_sentiment(self, keys: Sequence[str], values: Sequence[float], model: str
                             ) -> None:
        """Scores scanned from an Arrow table (no dict per post), on a connection of its
        own (the driver would keep the table for as long as a connection lives)."""
        scores = pa.table({"k": pa.array(keys, pa.string()),
                           "s": pa.array(np.asarray(values, dtype=float), pa.float64())})
        with self._batch_connection(release_heap=len(scores) >= _LARGE_BATCH):
            for i in range(0, len(scores), 50_000):
                self._exec("LOAD FROM $scan MATCH (p:Post {key: k}) SET p.sentiment = s, "
                           "p.sentiment_model = $m", {"scan": scores.slice(i, 50_000),
                                                      "m": model})

    # ------------------------------------------------------------ runs, scores
    def start_run(self, params: dict[str, Any]) -> str:
        run_id = new_run_id()
        self._exec("CREATE (r:AnalysisRun {run_id: $id, started_at: $at, status: 'running', "
                   "params: $params, stats: '{}'})",
                   {"id": run_id, "at": datetime.now(UTC).replace(tzinfo=None),
                    "params": encode_json(params)})
        return run_id

    def write_scores(self, run_id: str, scores: pd.DataFrame) -> None:
        frame = score_frame_columns(scores)
        account = pa.array(frame["account_key"].astype(str), pa.string())
        cols: dict[str, Any] = {
            # score_key(run_id, account), column-wise
            "key": pc.binary_join_element_wise(pa.scalar(run_id + "|"), account, ""),
            "run_id": pa.array(np.full(len(frame), run_id, dtype=object), pa.string()),
            "account_key": account,
        }
        for c in SCORE_COLUMNS:
            values = frame[c] if c in frame.columns else pd.Series([None] * len(frame))
            if c in INT_SCORE_COLUMNS:
                cols[c] = pa.array(values.astype("Int64"), pa.int64(), from_pandas=True)
            else:
                cols[c] = pa.array(values.astype("float64"), pa.float64(), from_pandas=True)
        cols["explanation"] = pa.array(frame["explanation"], pa.string())
        table = pa.table(cols)
        del frame, cols
        with self._batch_connection(release_heap=True):
            self._in_transaction(lambda: self._copy("AccountScore", table))

    def finish_run(self, run_id: str, stats: dict[str, Any]) -> None:
        self._exec("MATCH (r:AnalysisRun {run_id: $id}) SET r.status = 'completed', "
                   "r.finished_at = $at, r.stats = $stats",
                   {"id": run_id, "at": datetime.now(UTC).replace(tzinfo=None),
                    "stats": encode_json(stats)})
        old, failed = runs_to_drop(self.runs(limit=1000), run_id)
        for rid in old + failed:
            self._exec("MATCH (s:AccountScore) WHERE s.run_id = $id DELETE s", {"id": rid})
        for rid in old:
            self._exec("MATCH (r:AnalysisRun {run_id: $id}) SET r.status = 'expired'", {"id": rid})

    def fail_run(self, run_id: str, error: str) -> None:
        self._exec("MATCH (s:AccountScore) WHERE s.run_id = $id DELETE s", {"id": run_id})
        self._exec("MATCH (r:AnalysisRun {run_id: $id}) SET r.status = 'failed', r.error = $e, "
                   "r.finished_at = $at",
                   {"id": run_id, "e": error, "at": datetime.now(UTC).replace(tzinfo=None)})

    @staticmethod
    def _run_info(r: dict[str, Any]) -> AnalysisRunInfo:
        return run_info(r, _aware)

    _RUN_RETURN = ("r.run_id AS run_id, r.started_at AS started_at, r.finished_at AS finished_at, "
                   "r.status AS status, r.params AS params, r.stats AS stats, r.error AS error")

    def latest_run(self) -> AnalysisRunInfo | None:
        rows = self._rows("MATCH (r:AnalysisRun) WHERE r.status = 'completed' RETURN "
                          + self._RUN_RETURN + " ORDER BY r.finished_at DESC LIMIT 1")
        return self._run_info(rows[0]) if rows else None

    def runs(self, limit: int = 20) -> list[AnalysisRunInfo]:
        rows = self._rows("MATCH (r:AnalysisRun) RETURN " + self._RUN_RETURN
                          + " ORDER BY r.started_at DESC LIMIT $n", {"n": limit})
        return [self._run_info(r) for r in rows]

    _SCORE_RETURN = ", ".join(f"s.{c} AS {c}" for c in SCORE_COLUMNS) + \
        ", s.run_id AS run_id, s.account_key AS account_key, s.explanation AS explanation"

    def _rank_order(self, run_id: str, kind: str) -> np.ndarray:
        """Account keys of a completed run's ranking, position = rank - 1, read once per
        process (a run's ranks never change): a page is then a slice and a handful of
        primary-key lookups, where a filtered scan of every score row took half a second
        at a million accounts."""
        cache_key = (str(self.path), run_id, kind)
        with _RANK_LOCK:
            order = _RANK_ORDER.get(cache_key)
        if order is not None:
            return order
        table = self._exec(f"MATCH (s:AccountScore) WHERE s.run_id = $run AND "
                           f"s.{kind}_rank IS NOT NULL RETURN s.{kind}_rank AS r, "
                           "s.account_key AS k", {"run": run_id}).get_as_arrow()
        ranks = table.column("r").to_numpy()
        order = np.full(int(ranks.max()) if len(ranks) else 0, None, dtype=object)
        order[ranks - 1] = table.column("k").to_pylist()
        with _RANK_LOCK:
            for stale in [k for k in _RANK_ORDER if k[0] == str(self.path) and k[1] != run_id]:
                del _RANK_ORDER[stale]  # one run's rankings per database at a time
            _RANK_ORDER[cache_key] = order
        return order

    def ranked_accounts(self, kind: str, *, first: int, after_rank: int = 0,
                        run_id: str | None = None) -> list[ScoredAccount]:
        check_ranking(kind)
        if run_id is None:
            run = self.latest_run()
            if run is None:
                return []
            run_id = run.run_id
        order = self._rank_order(run_id, kind)
        page = [k for k in order[after_rank:after_rank + first] if k is not None]
        rows = self._rows(
            f"UNWIND $keys AS k MATCH (s:AccountScore {{key: k}}) RETURN {self._SCORE_RETURN}",
            {"keys": [score_key(run_id, k) for k in page]}) if page else []
        rows.sort(key=lambda r: r[f"{kind}_rank"])
        accounts = self.get_accounts([r["account_key"] for r in rows])
        return [scored_account(kind, r, accounts[r["account_key"]]) for r in rows
                if r["account_key"] in accounts]

    def score_frame(self, run_id: str | None = None, columns: Sequence[str] | None = None
                    ) -> pd.DataFrame:
        """All of one run's scores (latest completed by default), indexed by account key."""
        if run_id is None:
            run = self.latest_run()
            run_id = run.run_id if run else ""
        if columns is None:
            returns = self._SCORE_RETURN
        else:
            check_score_columns(columns)
            returns = ", ".join(["s.account_key AS account_key",
                                 *(f"s.{c} AS {c}" for c in dict.fromkeys(columns))])
        with self._batch_connection(release_heap=True):
            frame = self._df(f"MATCH (s:AccountScore) WHERE s.run_id = $run RETURN {returns}",
                             {"run": run_id})
        return frame.set_index("account_key") if len(frame) else frame

    def account_scores(self, account_key: str, run_id: str | None = None
                       ) -> AccountScores | None:
        if run_id is None:
            run = self.latest_run()
            if run is None:
                return None
            run_id = run.run_id
        rows = self._rows(f"MATCH (s:AccountScore {{key: $k}}) RETURN {self._SCORE_RETURN}",
                          {"k": score_key(run_id, account_key)})
        return scores_from_row(rows[0]) if rows else None

    # ------------------------------------------------------------------- reads
    def counts(self) -> dict[str, int]:
        def count(query: str) -> int:
            try:
                n: int = self._rows(query)[0]["n"]
            except RuntimeError as exc:
                # A database whose first writer was killed before it made the tables,
                # opened read-only (which cannot make them): it holds nothing yet.
                if "does not exist" not in str(exc):
                    raise
                return 0
            return n

        out: dict[str, int] = {}
        for label in ("Customer", "Account", "Post", "Conversation", "Purchase",
                      "IdentityCandidate"):
            out[label] = count(f"MATCH (n:{label}) RETURN count(*) AS n")
        for rel in ("OWNS", "POSTED", "REPLY_TO", "MENTIONS", "SHARES", "FOLLOWS"):
            out[rel] = count(f"MATCH ()-[r:{rel}]->() RETURN count(*) AS n")
        out["PendingEdge"] = count("MATCH (n:PendingEdge) RETURN count(*) AS n")
        return out

    _ACCOUNT_RETURN = ", ".join(f"a.{f} AS {f}" for f in ("key", *_ACCOUNT_FIELDS))

    @staticmethod
    def _account(r: dict[str, Any]) -> AccountView:
        return AccountView(key=r["key"], platform=r["platform"], handle=r["handle"],
                           display_name=r["display_name"], followers=r["followers"],
                           is_brand=bool(r["is_brand"]), user_id=r["user_id"],
                           location=r["location"], description=r["description"])

    def brand_accounts(self) -> list[AccountView]:
        rows = self._rows(f"MATCH (a:Account) WHERE a.is_brand RETURN {self._ACCOUNT_RETURN} "
                          "ORDER BY a.key")
        return [self._account(r) for r in rows]

    def get_account(self, key: str) -> AccountView | None:
        return self.get_accounts([key]).get(key)

    def get_accounts(self, keys: Sequence[str]) -> dict[str, AccountView]:
        if not keys:
            return {}
        rows = self._rows(f"UNWIND $keys AS k MATCH (a:Account {{key: k}}) "
                          f"RETURN {self._ACCOUNT_RETURN}", {"keys": list(dict.fromkeys(keys))})
        return {r["key"]: self._account(r) for r in rows}

    _CUSTOMER_RETURN = "c.key AS key, " + ", ".join(f"c.{f} AS {f}" for f in _CUSTOMER_FIELDS)

    @staticmethod
    def _customer(r: dict[str, Any]) -> CustomerView:
        signup = r["signup_date"]
        if isinstance(signup, datetime):
            signup = signup.date()
        return CustomerView(customer_id=r["key"], name=r["name"], email=r["email"],
                            lifetime_value=r["lifetime_value"], nps=r["nps"],
                            signup_date=signup if isinstance(signup, date) else None,
                            location=r["location"], company=r["company"])

    def get_customer(self, customer_id: str) -> CustomerView | None:
        rows = self._rows(f"MATCH (c:Customer {{key: $k}}) RETURN {self._CUSTOMER_RETURN}",
                          {"k": customer_id})
        return self._customer(rows[0]) if rows else None

    def _owners(self) -> dict[str, str]:
        """Account key -> the customer of its most confident link (ties: the lower
        customer key), for every linked account, read once per process until something
        is written (``_wrote``; read processes reopen, which counts).

        A ranking page asks who owns each of its accounts. Twenty `{key: $k}` look-ups
        through OWNS cost 1.1 ms a page at a million accounts (and `UNWIND $keys` there
        plans a scan: 29 ms); this map answers from memory. It holds the links only
        (10,000 at a million accounts: 40 ms to read, about 100 bytes each)."""
        path = str(self.path)
        with _OWNERS_LOCK:
            writes = _WRITES.get(path, 0)
            cached = _OWNERS.get(path)
        if cached is not None and cached[0] == writes:
            return cached[1]
        table = self._exec("MATCH (c:Customer)-[o:OWNS]->(a:Account) RETURN a.key AS a, "
                           "c.key AS c, o.confidence AS w").get_as_arrow()
        best: dict[str, tuple[float, str]] = {}
        for a, c, w in zip(table.column("a").to_pylist(), table.column("c").to_pylist(),
                           table.column("w").to_pylist(), strict=True):
            score = (-(w or 0.0), c)
            if a not in best or score < best[a]:
                best[a] = score
        owners = {a: c for a, (_, c) in best.items()}
        with _OWNERS_LOCK:
            if _WRITES.get(path, 0) == writes:  # nothing was written while this was read
                _OWNERS[path] = (writes, owners)
        return owners

    def customers_for_accounts(self, keys: Sequence[str]) -> dict[str, CustomerView]:
        owners = self._owners()
        owner_of = {k: owners[k] for k in dict.fromkeys(keys) if k in owners}
        if not owner_of:
            return {}
        rows = self._rows(f"UNWIND $keys AS k MATCH (c:Customer {{key: k}}) "
                          f"RETURN {self._CUSTOMER_RETURN}",
                          {"keys": list(dict.fromkeys(owner_of.values()))})
        customers = {r["key"]: self._customer(r) for r in rows}
        return {k: customers[c] for k, c in owner_of.items() if c in customers}

    def linked_accounts(self, customer_id: str) -> list[LinkedAccount]:
        rows = self._rows(
            "MATCH (c:Customer {key: $k})-[o:OWNS]->(a:Account) RETURN "
            f"{self._ACCOUNT_RETURN}, o.confidence AS confidence, o.method AS method, "
            "o.evidence AS evidence ORDER BY a.platform, a.handle", {"k": customer_id})
        return [LinkedAccount(account=self._account(r), customer_id=customer_id,
                              confidence=r["confidence"], method=r["method"],
                              evidence=r["evidence"] or "") for r in rows]

    def conversation_posts(self, conversation_key: str, limit: int = 1000
                           ) -> list[dict[str, Any]]:
        rows = self._rows(
            "MATCH (p:Post)-[:IN_CONVERSATION]->(:Conversation {key: $k}) RETURN p.key AS key, "
            "p.parent_key AS parent_key, p.author_key AS author_key, p.text AS text, "
            "p.title AS title, p.created_at AS created_at, p.kind AS kind, "
            "p.sentiment AS sentiment, p.url AS url ORDER BY created_at, key LIMIT $n",
            {"k": conversation_key, "n": limit})
        for r in rows:
            r["created_at"] = _aware(r["created_at"])
            r["sentiment"] = missing_to_none(r["sentiment"])
        return rows

    def purchases(self, customer_id: str) -> list[dict[str, Any]]:
        rows = self._rows("MATCH (c:Customer {key: $k})-[:PURCHASED]->(p:Purchase) "
                          "RETURN p.order_id AS order_id, p.amount AS amount, "
                          "p.purchased_at AS purchased_at ORDER BY purchased_at DESC, order_id",
                          {"k": customer_id})
        for r in rows:
            if isinstance(r["purchased_at"], datetime):
                r["purchased_at"] = r["purchased_at"].date()
        return rows

    # One account per query, and no OPTIONAL MATCH or EXISTS subquery: LadybugDB plans
    # `UNWIND $keys ... MATCH (s {key: k})-[...]`, `WHERE true`, an OPTIONAL MATCH or an
    # EXISTS on these paths as scans of whole relationship tables (seconds at 10M posts),
    # and `{key: $k}` with plain property conditions as index lookups (milliseconds). The
    # counterpart of a received interaction is its post's `author_key` (no join back to
    # the author); parent and shared posts' authors are looked up by primary key afterwards.
    #
    # Conditions on `p` or an ORDER BY ... LIMIT turn even these into a semi-masked scan of
    # the Post table and a top-k (1-4 ms each at 10M posts, for a handful of rows). So a
    # direction is read as it is, a few columns of every row (0.1-1.5 ms), and filtered,
    # ordered and cut here; only when it has more than _TIMELINE_CAP rows (a brand
    # account's mentions) does the database do that. The page's texts are read last, by
    # primary key, for the entries shown. (Limits are written into the text: a `LIMIT $n`
    # parameter costs LadybugDB 0.5-1 ms a query.)
    _TIMELINE_MATCH = {
        "authored": "MATCH (s:Account {key: $k})-[:POSTED]->(p:Post) ",
        "reply_received": "MATCH (s:Account {key: $k})-[:POSTED]->(:Post)<-[:REPLY_TO]-(p:Post) ",
        "mention_received": "MATCH (s:Account {key: $k})<-[:MENTIONS]-(p:Post) ",
        "share_received": "MATCH (s:Account {key: $k})-[:POSTED]->(:Post)<-[:SHARES]-(p:Post) ",
    }
    _TIMELINE_COLUMNS = ("p.key AS key, p.created_at AS time, p.platform AS platform, "
                         "p.kind AS kind, p.author_key AS author, p.parent_key AS parent_key, "
                         "p.shared_key AS shared_key")
    _TIMELINE_CAP = 4096
    _TIMELINE_DETAILS = ("UNWIND $keys AS k MATCH (p:Post {key: k}) RETURN p.key AS key, "
                         "p.text AS text, p.sentiment AS sentiment, "
                         "p.conversation_key AS conversation_key, p.url AS url")

    def _post_authors(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        return {r["k"]: r["a"] for r in self._rows(
            "UNWIND $keys AS k MATCH (q:Post {key: k}) RETURN k AS k, q.author_key AS a",
            {"keys": list(dict.fromkeys(keys))})}

    def _timeline_candidates(self, key: str, direction: str, where: str,
                             params: dict[str, Any], passes: Callable[[dict[str, Any]], bool],
                             limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` rows of one direction that pass the filters, newest first."""
        match, cap = self._TIMELINE_MATCH[direction], int(self._TIMELINE_CAP)
        rows = self._rows(f"{match}RETURN {self._TIMELINE_COLUMNS} LIMIT {cap + 1}",
                          {"k": key})
        if len(rows) > cap:
            own = "" if direction == "authored" else " AND p.author_key <> $k"
            return self._rows(f"{match}{where}{own} RETURN {self._TIMELINE_COLUMNS} "
                              f"ORDER BY time DESC, key DESC LIMIT {int(limit)}",
                              {**params, "k": key})
        received = direction != "authored"
        rows = [r for r in rows if passes(r) and (
            not received or (r["author"] is not None and r["author"] != key))]
        rows.sort(key=lambda r: (r["time"], r["key"]), reverse=True)
        return rows[:limit]

    def _timeline_rows(self, key: str, direction: str, where: str, params: dict[str, Any],
                       passes: Callable[[dict[str, Any]], bool], wanted: int
                       ) -> list[dict[str, Any]]:
        """Up to ``wanted`` rows of one direction for one account. A mention that is also
        a reply to or share of their own post is left to that direction (asking for more
        when that thins a full page)."""
        limit = wanted
        while True:
            rows = self._timeline_candidates(key, direction, where, params, passes, limit)
            for r in rows:
                r["subject"] = key
                r["counterpart"] = None if direction == "authored" else r["author"]
            if direction == "authored":
                parents = self._post_authors([r["parent_key"] for r in rows if r["parent_key"]])
                for r in rows:
                    r["counterpart"] = parents.get(r["parent_key"] or "")
                return rows
            if direction != "mention_received":
                return rows
            refs = self._post_authors([x for r in rows for x in (r["parent_key"], r["shared_key"])
                                       if x])
            kept = [r for r in rows if key not in (refs.get(r["parent_key"] or ""),
                                                   refs.get(r["shared_key"] or ""))]
            if len(kept) >= wanted or len(rows) < limit:
                return kept
            limit *= 2

    def timeline(self, account_keys: Sequence[str], *, first: int,
                 before: tuple[datetime, str, str] | None = None,
                 filters: TimelineFilter | None = None) -> list[Interaction]:
        if not account_keys:
            return []
        f = filters or TimelineFilter()
        # the same conditions twice: in Cypher for directions the database orders, and in
        # Python (on naive UTC times, as stored) for those ordered here
        params: dict[str, Any] = {}
        conditions = ["p.created_at IS NOT NULL"]
        at = at_key = since = until = None
        if before is not None:
            conditions.append("(p.created_at < $t OR (p.created_at = $t AND p.key <= $pk))")
            at = params["t"] = _naive_utc(before[0])
            at_key = params["pk"] = before[1]
        platforms = kinds = None
        if f.platforms:
            conditions.append("list_contains($platforms, p.platform)")
            params["platforms"] = [x.lower() for x in f.platforms]
            platforms = set(params["platforms"])
        if f.kinds:
            conditions.append("list_contains($kinds, p.kind)")
            params["kinds"] = [x.lower() for x in f.kinds]
            kinds = set(params["kinds"])
        if f.since is not None:
            conditions.append("p.created_at >= $since")
            since = params["since"] = _naive_utc(f.since)
        if f.until is not None:
            conditions.append("p.created_at < $until")
            until = params["until"] = _naive_utc(f.until)
        where = "WHERE " + " AND ".join(conditions)

        def passes(r: dict[str, Any]) -> bool:
            t = r["time"]
            return t is not None and (
                at is None or t < at or (t == at and r["key"] <= at_key)) and (
                platforms is None or r["platform"] in platforms) and (
                kinds is None or r["kind"] in kinds) and (
                since is None or t >= since) and (until is None or t < until)

        rows: list[dict[str, Any]] = []
        for key in dict.fromkeys(account_keys):
            for direction in self._TIMELINE_MATCH:
                if f.directions and direction not in f.directions:
                    continue
                for r in self._timeline_rows(key, direction, where, params, passes, first + 3):
                    r["direction"] = direction
                    rows.append(r)
        items = select_timeline(rows, first=first, before=before, to_time=_utc_time)
        details = {r["key"]: r for r in self._rows(
            self._TIMELINE_DETAILS, {"keys": list(dict.fromkeys(r["key"] for _, r in items))})
        } if items else {}
        counterparts = self.get_accounts([r["counterpart"] for _, r in items if r["counterpart"]])
        out = []
        for t, r in items:
            d = details.get(r["key"], {})
            out.append(Interaction(
                post_key=r["key"], time=t, platform=r["platform"], kind=r["kind"],
                direction=r["direction"], text=d.get("text") or "",
                sentiment=missing_to_none(d.get("sentiment")), subject_key=r["subject"],
                counterpart=counterparts.get(r["counterpart"] or ""),
                conversation_key=d.get("conversation_key"), url=d.get("url")))
        return out

    # ---------------------------------------------------- windows and metrics
    def active_accounts(self, keys: Sequence[str], since: datetime | None,
                        until: datetime | None) -> set[str]:
        if not keys:
            return set()
        conditions, params = self._window("p", since, until)
        params["keys"] = list(dict.fromkeys(keys))
        rows = self._rows("UNWIND $keys AS k MATCH (a:Account {key: k})-[:POSTED]->(p:Post) "
                          f"WHERE {conditions} RETURN DISTINCT k AS k", params)
        return {r["k"] for r in rows}

    @staticmethod
    def _window(var: str, since: datetime | None, until: datetime | None
                ) -> tuple[str, dict[str, Any]]:
        conditions, params = ["true"], {}
        if since is not None:
            conditions.append(f"{var}.created_at >= $since")
            params["since"] = _naive_utc(since)
        if until is not None:
            conditions.append(f"{var}.created_at < $until")
            params["until"] = _naive_utc(until)
        return " AND ".join(conditions), params

    def post_frame(self, since: datetime | None, until: datetime | None) -> pd.DataFrame:
        conditions, params = self._window("p", since, until)
        frame = self._df(f"MATCH (p:Post) WHERE {conditions} RETURN p.key AS key, "
                         "p.author_key AS author_key, p.platform AS platform, p.kind AS kind, "
                         "p.created_at AS created_at, p.sentiment AS sentiment, "
                         "p.text AS text, p.title AS title", params)
        if frame.empty:
            return pd.DataFrame(columns=["key", "author_key", "platform", "kind", "created_at",
                                         "sentiment", "text", "title"])
        return frame

    def topic_authors(self, term: str) -> pd.DataFrame:
        frame = self._df("MATCH (p:Post) WHERE lower(p.text) CONTAINS $t OR lower(p.title) "
                         "CONTAINS $t RETURN p.author_key AS author_key, count(*) AS posts",
                         {"t": term.lower()})
        if frame.empty:
            return pd.DataFrame(columns=["author_key", "posts"])
        return frame

    def newest_post_at(self) -> datetime | None:
        rows = self._rows("MATCH (p:Post) RETURN max(p.created_at) AS t")
        return _aware(rows[0]["t"]) if rows else None

    def purchase_frame(self) -> pd.DataFrame:
        frame = self._df("MATCH (c:Customer)-[:PURCHASED]->(p:Purchase) RETURN "
                         "c.key AS customer_id, p.amount AS amount, "
                         "p.purchased_at AS purchased_at")
        if frame.empty:
            return pd.DataFrame(columns=["customer_id", "amount", "purchased_at"])
        return frame

    def brand_engagements(self) -> pd.DataFrame:
        parts = [
            self._df("MATCH (b:Account)-[:POSTED]->(p:Post)-[:REPLY_TO]->(:Post)"
                     "<-[:POSTED]-(a:Account) WHERE b.is_brand AND NOT a.is_brand "
                     "RETURN a.key AS account_key, min(p.created_at) AS first_at"),
            self._df("MATCH (b:Account)-[:POSTED]->(p:Post)-[:MENTIONS]->(a:Account) "
                     "WHERE b.is_brand AND NOT a.is_brand "
                     "RETURN a.key AS account_key, min(p.created_at) AS first_at"),
        ]
        frame = pd.concat([f for f in parts if not f.empty], ignore_index=True) \
            if any(not f.empty for f in parts) else pd.DataFrame(
                columns=["account_key", "first_at"])
        return frame.groupby("account_key", as_index=False)["first_at"].min() \
            if not frame.empty else frame

    # ------------------------------------------------------------ care workflow
    @staticmethod
    def _case(r: dict[str, Any]) -> dict[str, Any]:
        return {"conversation_key": r["key"], "status": r["status"], "assignee": r["assignee"],
                "team": r["team"], "updated_at": _aware(r["updated_at"]),
                "resolved_at": _aware(r["resolved_at"])}

    _CASE_RETURN = ("c.key AS key, c.status AS status, c.assignee AS assignee, c.team AS team, "
                    "c.updated_at AS updated_at, c.resolved_at AS resolved_at")

    def care_cases(self, conversation_keys: Sequence[str] | None = None
                   ) -> dict[str, dict[str, Any]]:
        if conversation_keys is None:
            rows = self._rows(f"MATCH (c:CareCase) RETURN {self._CASE_RETURN}")
        else:
            rows = self._rows(f"UNWIND $keys AS k MATCH (c:CareCase {{key: k}}) "
                              f"RETURN {self._CASE_RETURN}",
                              {"keys": list(dict.fromkeys(conversation_keys))})
        return {r["key"]: self._case(r) for r in rows}

    def save_care_case(self, conversation_key: str, *, status: str, assignee: str | None,
                       team: str | None) -> dict[str, Any]:
        if status not in CARE_STATUSES:
            raise StoreError(f"unknown care status {status!r}")
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = self._rows(
            "MERGE (c:CareCase {key: $k}) SET c.status = $status, c.assignee = $assignee, "
            "c.team = $team, c.updated_at = $now, c.resolved_at = CASE WHEN $status = "
            "'resolved' THEN $now ELSE NULL END "
            f"RETURN {self._CASE_RETURN}",
            {"k": conversation_key, "status": status, "assignee": assignee, "team": team,
             "now": now})
        return self._case(rows[0])

    def add_care_note(self, conversation_key: str, author: str, text: str) -> dict[str, Any]:
        now = datetime.now(UTC).replace(tzinfo=None)
        key = f"{conversation_key}|{now.isoformat()}|{uuid.uuid4().hex[:8]}"
        self._exec("CREATE (n:CareNote {key: $key, conversation_key: $c, author: $a, "
                   "text: $t, created_at: $now})",
                   {"key": key, "c": conversation_key, "a": author, "t": text, "now": now})
        return {"key": key, "conversation_key": conversation_key, "author": author,
                "text": text, "created_at": _aware(now)}

    def care_notes(self, conversation_keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {k: [] for k in conversation_keys}
        if not conversation_keys:
            return out
        rows = self._rows("UNWIND $keys AS k MATCH (n:CareNote) WHERE n.conversation_key = k "
                          "RETURN n.key AS key, n.conversation_key AS conversation_key, "
                          "n.author AS author, n.text AS text, n.created_at AS created_at "
                          "ORDER BY created_at, key", {"keys": list(dict.fromkeys(
                              conversation_keys))})
        for r in rows:
            r["created_at"] = _aware(r["created_at"])
            out.setdefault(r["conversation_key"], []).append(r)
        return out

    # ------------------------------------------------------------------ privacy
    def _privacy_salt(self) -> str:
        salt = self.get_settings().get("privacy.salt")
        if not salt:
            salt = secrets.token_hex(16)
            self._exec("MERGE (s:Setting {key: 'privacy.salt'}) SET s.value = $v", {"v": salt})
        return salt

    def forgotten_keys(self) -> set[str]:
        return {r["k"] for r in self._rows("MATCH (f:Forgotten) RETURN f.key AS k")}

    def forget_customer(self, customer_id: str) -> dict[str, int] | None:
        if not self._existing("Customer", [customer_id]):
            return None
        with _RANK_LOCK:  # the forgotten accounts' score rows go away
            for key in [k for k in _RANK_ORDER if k[0] == str(self.path)]:
                del _RANK_ORDER[key]
        counts: dict[str, int] = self._in_transaction(lambda: self._forget(customer_id))
        # The kept brand posts and activity name accounts: no copy of a forgotten key
        # may stay on disk (the projection holds only offsets; its generation is new).
        for name in _KEYED_CACHES:
            self._cache_path(name).unlink(missing_ok=True)
        return counts

    def _forget(self, customer_id: str) -> dict[str, int]:
        salt = self._privacy_salt()
        now = datetime.now(UTC).replace(tzinfo=None)
        counts = {"accounts": 0, "posts": 0, "mentions_redacted": 0, "purchases": 0}
        accounts = self._rows("MATCH (:Customer {key: $c})-[:OWNS]->(a:Account) "
                              "WHERE NOT a.is_brand RETURN a.key AS key, a.platform AS platform, "
                              "a.handle AS handle, a.followers AS followers",
                              {"c": customer_id})
        tombstones = [tombstone("customer", customer_id, salt)]
        for a in accounts:
            old, anon = a["key"], f"forgotten-{uuid.uuid4().hex[:12]}"
            new = f"{a['platform']}:{anon}"
            tombstones.append(tombstone("account", old, salt))
            self._exec("CREATE (:Account {key: $k, platform: $p, handle: $h, followers: $f, "
                       "is_brand: false})",
                       {"k": new, "p": a["platform"], "h": anon, "f": a["followers"]})
            params = {"old": old, "new": new}
            posted = self._rows(
                "MATCH (a:Account {key: $old})-[:POSTED]->(p:Post), (n:Account {key: $new}) "
                "CREATE (n)-[:POSTED]->(p) SET p.author_key = $new, p.text = '', "
                "p.title = NULL, p.url = NULL, p.hashtags = NULL RETURN count(*) AS n", params)
            counts["posts"] += posted[0]["n"] if posted else 0
            mentioning = self._rows(
                "MATCH (p:Post)-[:MENTIONS]->(a:Account {key: $old}), (n:Account {key: $new}) "
                "CREATE (p)-[:MENTIONS]->(n) RETURN p.key AS key, p.text AS text, "
                "p.title AS title, p.author_key AS author, p.created_at AS created_at", params)
            # other people's posts keep their words, not the name; the fingerprint follows
            # so that re-importing them (redacted the same way) is not a conflict
            redacted = []
            for r in mentioning:
                text = redact_handles(r["text"] or "", [a["handle"]])
                title = redact_handles(r["title"], [a["handle"]]) if r["title"] else r["title"]
                if text != (r["text"] or "") or title != r["title"]:
                    redacted.append({"k": r["key"], "t": text, "ti": title, "h": post_fingerprint(
                        r["author"], _utc_time(r["created_at"]), text, title)})
            if redacted:
                self._exec("UNWIND $rows AS row MATCH (p:Post {key: row.k}) SET p.text = row.t, "
                           "p.title = row.ti, p.content_hash = row.h", {"rows": redacted})
            counts["mentions_redacted"] += len(redacted)
            self._exec("MATCH (a:Account {key: $old})-[:FOLLOWS]->(x:Account), "
                       "(n:Account {key: $new}) CREATE (n)-[:FOLLOWS]->(x)", params)
            self._exec("MATCH (x:Account)-[:FOLLOWS]->(a:Account {key: $old}), "
                       "(n:Account {key: $new}) CREATE (x)-[:FOLLOWS]->(n)", params)
            for label in ("AccountScore", "IdentityCandidate", "IdentityDecision"):
                self._exec(f"MATCH (x:{label}) WHERE x.account_key = $old DELETE x", params)
            self._exec("MATCH (a:Account {key: $old}) DETACH DELETE a", params)
            counts["accounts"] += 1
        anon_customer = f"forgotten-{uuid.uuid4().hex[:12]}"
        self._exec("MATCH (c:Customer {key: $c}) CREATE (:Customer {key: $n, "
                   "lifetime_value: c.lifetime_value, nps: c.nps})",
                   {"c": customer_id, "n": anon_customer})
        orders = self._rows("MATCH (:Customer {key: $c})-[:PURCHASED]->(p:Purchase) "
                            "RETURN p.key AS key, p.amount AS amount, "
                            "p.purchased_at AS purchased_at", {"c": customer_id})
        for n, o in enumerate(orders):
            self._exec("MATCH (c:Customer {key: $c}) CREATE (c)-[:PURCHASED]->(:Purchase {key: "
                       "$k, customer_id: $c, order_id: $o, amount: $a, purchased_at: $d})",
                       {"c": anon_customer, "k": f"{anon_customer}:{n}", "o": str(n),
                        "a": o["amount"], "d": o["purchased_at"]})
            self._exec("MATCH (p:Purchase {key: $k}) DETACH DELETE p", {"k": o["key"]})
        counts["purchases"] = len(orders)
        for label in ("IdentityCandidate", "IdentityDecision"):
            self._exec(f"MATCH (x:{label}) WHERE x.customer_id = $c DELETE x", {"c": customer_id})
        self._exec("MATCH (c:Customer {key: $c}) DETACH DELETE c", {"c": customer_id})
        self._exec("MERGE (s:Setting {key: 'projection.generation'}) SET s.value = $g",
                   {"g": uuid.uuid4().hex})  # accounts were re-keyed: rebuild projections
        self._exec("UNWIND $keys AS k MERGE (f:Forgotten {key: k}) "
                   "SET f.kind = 'person', f.forgotten_at = $now",
                   {"keys": tombstones, "now": now})
        return counts


# Reading a whole store back out, for `scrm migrate` (kept in its own module).
from graph import embedded_export as _export  # noqa: E402

_export_batches = _export.export_batches
_export_post_sentiment = _export.export_post_sentiment
_import_run = _export.import_run

EmbeddedStore.export_batches = _export_batches  # type: ignore[attr-defined]
EmbeddedStore.export_post_sentiment = _export_post_sentiment  # type: ignore[attr-defined]
EmbeddedStore.import_run = _import_run  # type: ignore[attr-defined]
