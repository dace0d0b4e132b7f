"""Helpers the embedded store's sections share: Arrow schemas of the tables written by
COPY, time conversions, the activity tables' arithmetic, and the per-process caches
(rankings, account owners) with their locks.

One module, public names: each section (``writes``, ``reads``, ``scores``, ...) imports
what it needs from here, never an underscore name from another section.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.store import StoreError

__all__ = ["ACCOUNT_SCHEMA", "CUSTOMER_SCHEMA", "KEYED_CACHES", "LARGE_BATCH", "LOGGED_BATCH",
           "OWNERS", "OWNERS_LOCK", "POST_SCHEMA", "RANK_LOCK", "RANK_ORDER", "WRITES",
           "add_activity", "aware", "group_activity", "key_scan", "naive_utc", "scan_table",
           "scan_update", "utc_column", "utc_time", "wrote"]


def scan_update(label: str, fields: Sequence[str]) -> str:
    """An update of ``label`` nodes from an Arrow table ``$scan`` whose columns are
    ``key`` and ``fields`` (typed by the table: no CAST), each kept where it is null:
    ``n.f = coalesce(scan.f, n.f)``. A scanned table, not a list parameter: converting
    thousands of Python dicts into a query value cost more than the update (a stream's
    batch of 4,500 changed accounts took 2 s bound as ``UNWIND $rows``)."""
    sets = ", ".join(f"n.{f} = coalesce(v_{f}, n.{f})" for f in fields)
    return f"LOAD FROM $scan MATCH (n:{label} {{key: v_key}}) SET {sets}"


def key_scan(keys: Sequence[str]) -> pa.Table:
    """Keys as a one-column ``$scan`` (``k``) that a statement matches nodes by."""
    return pa.table({"k": pa.array(keys, pa.string())})


def scan_table(rows: Sequence[dict[str, Any]], schema: pa.Schema, fields: Sequence[str]
               ) -> pa.Table:
    """``rows`` as the ``$scan`` of :func:`scan_update`: ``key`` and ``fields`` typed by
    ``schema``, columns named ``v_<field>`` (no clash with the query's own names)."""
    names = ("key", *fields)
    return pa.table({f"v_{f}": pa.array([r.get(f) for r in rows], schema.field(f).type)
                     for f in names})


ACCOUNT_SCHEMA = pa.schema([
    ("key", pa.string()), ("platform", pa.string()), ("handle", pa.string()),
    ("user_id", pa.string()), ("display_name", pa.string()), ("followers", pa.int64()),
    ("is_brand", pa.bool_()), ("location", pa.string()), ("description", pa.string()),
    ("created_at", pa.timestamp("us")), ("following", pa.int64()), ("listed", pa.int64()),
    ("client", pa.string()),
])
CUSTOMER_SCHEMA = pa.schema([
    ("key", pa.string()), ("name", pa.string()), ("email", pa.string()),
    ("lifetime_value", pa.float64()), ("nps", pa.int64()), ("signup_date", pa.date32()),
    ("location", pa.string()), ("company", pa.string()),
])
POST_SCHEMA = pa.schema([
    ("key", pa.string()), ("platform", pa.string()), ("post_id", pa.string()),
    ("author_key", pa.string()), ("text", pa.string()), ("title", pa.string()),
    ("created_at", pa.timestamp("us")), ("url", pa.string()), ("kind", pa.string()),
    ("parent_key", pa.string()), ("conversation_key", pa.string()),
    ("shared_key", pa.string()), ("hashtags", pa.list_(pa.string())), ("lang", pa.string()),
    ("likes", pa.int64()), ("reposts", pa.int64()), ("replies", pa.int64()),
    ("score", pa.int64()), ("accepted", pa.bool_()), ("content_hash", pa.int64()),
    ("sentiment", pa.float64()), ("sentiment_model", pa.string()),
])


def naive_utc(ts: datetime) -> datetime:
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts


def utc_column(values: Sequence[datetime | None]) -> pa.Array:
    """Times as naive UTC microseconds (what ``naive_utc`` gives, one column at a time):
    Arrow converts aware values to UTC and takes naive ones as UTC already."""
    return pa.array(values, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))


KEYED_CACHES = ("activity", "brandposts")  # files beside the database that hold keys
LARGE_BATCH = 10_000  # records; after such a batch freed memory is returned to the OS
# records; a smaller batch is written through the log (CREATE), a larger one by COPY,
# whose commit the engine follows with a checkpoint (see ``EmbeddedBase._insert``)
LOGGED_BATCH = 20_000


def aware(ts: Any) -> datetime | None:
    if ts is None or (isinstance(ts, float) and pd.isna(ts)):
        return None
    if isinstance(ts, pd.Timestamp):
        if pd.isna(ts):
            return None
        ts = ts.to_pydatetime()
    if isinstance(ts, datetime):
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts
    return None


def utc_time(value: Any) -> datetime:
    out = aware(value)
    if out is None:
        raise StoreError("a timeline row without a time")
    return out


def group_activity(posts: pa.Table) -> pa.Table:
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


def add_activity(before: pa.Table, since: pa.Table) -> pa.Table:
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
RANK_ORDER: dict[tuple[str, str, str], np.ndarray] = {}
RANK_LOCK = threading.Lock()

# Who owns which account, by database path: the write count it was read at, and account
# key -> customer key of the most confident link. See ``EmbeddedStore._owners``.
OWNERS: dict[str, tuple[int, dict[str, str]]] = {}
WRITES: dict[str, int] = {}  # finished write transactions (and reopens), by database path
OWNERS_LOCK = threading.Lock()


def wrote(path: Path) -> None:
    """Something this process wrote (or a reopen) may have changed links: forget them."""
    with OWNERS_LOCK:
        WRITES[str(path)] = WRITES.get(str(path), 0) + 1
        OWNERS.pop(str(path), None)
