"""The one loader: turns parsed units into store batches, counts, and keeps rejects.

A *unit* is what one input line (or CSV row) gave. Every unit is counted once as
read, and then as loaded or rejected, so ``loaded + rejected == read`` holds for
every file. Rejected units go to a JSON-lines rejects file with the source file,
line number, reason and the raw text, and never stop the good ones.
"""

from __future__ import annotations

import gc
import hashlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from graph.model import (
    Account,
    Customer,
    Follow,
    OwnsLink,
    Post,
    Purchase,
    Record,
    Reject,
    account_key,
    normalize_handle,
    redact_handles,
    tombstone,
)
from graph.store import Conflict, GraphBatch, GraphStore, WrittenPosts
from ingest.errors import IngestError

__all__ = [
    "MAX_TEXT_CHARS",
    "ForgottenFilter",
    "FileReport",
    "RejectsWriter",
    "Unit",
    "file_fingerprint",
    "load_units",
]

# A post longer than this is not a social post; reject it rather than bloat the store.
MAX_TEXT_CHARS = 100_000


@dataclass(slots=True)
class Unit:
    """What one input line or row gave: its records, or one :class:`Reject`.

    ``raw`` is the input text, or empty when ``reread`` can fetch it again (a plain
    file's line: a batch does not hold a copy of the whole file slice it came from).
    """

    line: int
    raw: str
    records: list[Record]
    reread: Callable[[], str] | None = None

    def text(self) -> str:
        """The raw input text of this unit, for the rejects file."""
        return self.reread() if self.reread is not None else self.raw


@dataclass(slots=True)
class FileReport:
    """The outcome of one file: ``loaded + rejected == read``."""

    source_file: str
    source: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    erased: int = 0
    warnings: int = 0
    skipped: bool = False
    created: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # the new posts of each batch as written (``WriteResult.written``), for a writer
    # that tells a reader what it wrote (a stream's: ``CareQueueIndex.writing``)
    written: list[WrittenPosts] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.source_file, "source": self.source, "read": self.read,
            "loaded": self.loaded, "rejected": self.rejected, "warnings": self.warnings,
            "skipped": self.skipped,
            "created": self.created, "seconds": round(self.seconds, 3),
        }


class RejectsWriter:
    """Appends rejects as JSON lines to one file, created on the first reject.

    A warning (a field dropped from a record that was kept) is written the same way
    with ``"warning": true``; ``count`` counts rejected records only.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.first_reason: dict[str, str] = {}  # source file -> its first reject's reason
        self._fh: IO[str] | None = None

    def write(self, reject: Reject) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        entry: dict[str, Any] = {
            "source_file": reject.source_file, "line": reject.line, "field": reject.field,
            "reason": reject.reason, "raw": reject.raw,
        }
        if reject.warning:
            entry["warning"] = True
        self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._fh.flush()
        if not reject.warning:
            self.count += 1
            self.first_reason.setdefault(reject.source_file, reject.reason)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def file_fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity of an input in the ingest ledger."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _oversize(record: Record) -> str | None:
    if isinstance(record, Post) and len(record.text) > MAX_TEXT_CHARS:
        return f"field 'text' is {len(record.text):,} characters; the limit is {MAX_TEXT_CHARS:,}"
    return None


def _same_content(a: Post, b: Post) -> bool:
    return (a.author_key, a.created_at, a.text, a.title) == (
        b.author_key, b.created_at, b.text, b.title)


def best_copies(posts: list[Post]) -> list[Post]:
    """One copy of each post where copies in a batch differ only as copies do.

    The same tweet arrives from several endpoints: with its full text or the
    shortened "compat" text (``truncated``), and inside retweets and quotes
    (``embedded``). The fullest copy a line gave as its own post wins; a truncated or
    embedded copy that disagrees with it is dropped here. Two full copies that
    disagree are both kept, so the store reports the conflict.
    """
    if len({p.post_id for p in posts}) == len(posts):
        return posts  # no id twice, so no key twice: the usual batch, checked cheaply
    groups: dict[str, list[Post]] = {}
    for p in posts:
        groups.setdefault(p.key, []).append(p)
    if len(groups) == len(posts):
        return posts
    out: list[Post] = []
    for copies in groups.values():
        best = min(copies, key=lambda p: (p.truncated, p.embedded))
        out.append(best)
        out.extend(p for p in copies if p is not best and not p.truncated and not p.embedded
                   and not _same_content(p, best))
    return out


def _to_batch(records: Iterable[Record]) -> GraphBatch:
    batch = GraphBatch()
    lists: dict[type, list[Any]] = {Post: batch.posts, Account: batch.accounts,
                                    Customer: batch.customers, OwnsLink: batch.links,
                                    Follow: batch.follows, Purchase: batch.purchases}
    for r in records:
        into = lists.get(type(r))
        if into is not None:  # the record types themselves, sorted without isinstance
            into.append(r)
        elif isinstance(r, Post):
            batch.posts.append(r)
        elif isinstance(r, Account):
            batch.accounts.append(r)
        elif isinstance(r, Customer):
            batch.customers.append(r)
        elif isinstance(r, OwnsLink):
            batch.links.append(r)
        elif isinstance(r, Follow):
            batch.follows.append(r)
        elif isinstance(r, Purchase):
            batch.purchases.append(r)
    batch.posts = best_copies(batch.posts)
    return batch


def _blamed_units(pending: list[Unit], batch: GraphBatch, conflicts: list[Conflict]
                  ) -> dict[int, list[str]]:
    """Which units the store's conflicts reject, by ``id(unit)``, with the reasons.

    The store already let a fuller text replace a shortened one and dropped embedded
    (retweeted or quoted) and shortened copies that disagree with what it holds, so a
    conflict is between full copies: for an ``in_batch`` one, the lines whose own post
    differs from the copy written; for a ``stored`` one, the lines whose own post is
    the copy sent. An order whose customer is not in the CRM rejects its row.
    """
    holders: dict[str, list[tuple[Unit, Post]]] = {}
    orders: dict[str, Unit] = {}
    for unit in pending:
        for r in unit.records:
            if isinstance(r, Post):
                holders.setdefault(r.key, []).append((unit, r))
            elif isinstance(r, Purchase):
                orders.setdefault(f"{r.customer_id}:{r.order_id}", unit)
    sent: dict[str, Post] = {}
    for p in batch.posts:
        sent.setdefault(p.key, p)
    bad: dict[int, list[str]] = {}
    for key, reason, kind in conflicts:
        order = orders.get(key)
        if order is not None:
            bad.setdefault(id(order), []).append(
                f"order {key.split(':', 1)[1]!r}: {reason}; ingest the CRM contacts first "
                "(scrm ingest crm), then this file again with --force")
            continue
        own = [(u, p) for u, p in holders.get(key, []) if not p.embedded and not p.truncated]
        first = sent.get(key)
        if first is None:
            blamed = []
        elif kind == "in_batch":
            blamed = [u for u, p in own if not _same_content(p, first)]
        else:
            blamed = [u for u, p in own if _same_content(p, first)]
        blamed = blamed or [u for u, _ in own]
        for unit in {id(u): u for u in blamed}.values():
            bad.setdefault(id(unit), []).append(
                f"duplicate id with conflicting content: {key}: {reason}")
    return bad


class ForgottenFilter:
    """Drops what belongs to people erased on request (``forgetCustomer``), so a later
    import of the same export does not bring them back: their CRM rows, links,
    orders, accounts and posts; other people's posts keep only the mention removed."""

    def __init__(self, store: GraphStore) -> None:
        self.hashes = store.forgotten_keys()
        self.salt = store.get_settings().get("privacy.salt", "")
        self._accounts: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def _account(self, key: str) -> bool:
        hit = self._accounts.get(key)
        if hit is None:
            hit = self._accounts[key] = tombstone("account", key, self.salt) in self.hashes
        return hit

    def _post(self, post_key: str) -> bool:
        """Another person's post redacted or blanked because it held the erased person's
        words or name: it is stored as it should stay."""
        return tombstone("post", post_key, self.salt) in self.hashes

    def _customer(self, customer_id: str) -> bool:
        return tombstone("customer", customer_id, self.salt) in self.hashes

    def apply(self, records: list[Record]) -> list[Record]:
        kept: list[Record] = []
        for r in records:
            if isinstance(r, Customer | Purchase) and self._customer(r.customer_id):
                continue
            if isinstance(r, OwnsLink) and (self._customer(r.customer_id)
                                            or self._account(r.account_key)):
                continue
            if isinstance(r, Account) and self._account(r.key):
                continue
            if isinstance(r, Follow) and (
                    self._account(account_key(r.platform, r.follower_handle))
                    or self._account(account_key(r.platform, r.followee_handle))):
                continue
            if isinstance(r, Post):
                if self._account(r.author_key) or self._post(r.key):
                    continue
                gone = [m for m in r.mentions if self._account(account_key(r.platform, m))]
                if gone:
                    r = replace(r, text=redact_handles(r.text, gone),
                                title=redact_handles(r.title, gone) if r.title else r.title,
                                mentions=tuple(m for m in r.mentions if m not in gone))
            kept.append(r)
        return kept


def load_units(
    store: GraphStore,
    units: Iterator[Unit],
    *,
    source: str,
    source_file: str,
    rejects: RejectsWriter,
    batch_size: int = 200_000,
    progress: Callable[[FileReport], None] | None = None,
    give_written: bool = False,
) -> FileReport:
    """Write units to the store in batches of about ``batch_size`` records.

    Each batch is one transaction. A unit whose post the store refuses (same id,
    different content) is counted as rejected and written to the rejects file.
    ``give_written``: the report keeps each batch's new posts as written
    (``FileReport.written``).
    """
    report = FileReport(source_file=source_file, source=source)
    forgotten = ForgottenFilter(store)
    started = time.monotonic()
    pending: list[Unit] = []

    def flush() -> None:
        nonlocal pending
        if not pending:
            return
        batch = _to_batch(r for unit in pending for r in unit.records)
        batch.give_written = give_written
        result = store.write_batch(batch)
        bad = _blamed_units(pending, batch, result.conflicts) if result.conflicts else {}
        for unit in pending:
            reasons = bad.get(id(unit))
            if reasons:
                report.rejected += 1
                order = any(isinstance(r, Purchase) for r in unit.records)
                rejects.write(Reject(source_file, unit.line, "; ".join(reasons), unit.text(),
                                     field="customer_id" if order else "id"))
            else:
                report.loaded += 1
        for k, v in result.created.items():
            report.created[k] = report.created.get(k, 0) + v
        report.written.extend(result.written)
        pending = []
        # graph.model memoises every handle's key (up to 2**20 of them, ~1 KB each):
        # across a large file that is every account; a batch only needs its own.
        account_key.cache_clear()
        normalize_handle.cache_clear()
        gc.collect(0)
        if progress is not None:
            report.seconds = time.monotonic() - started
            progress(report)

    with _collector_paused():
        for read, screened_out, batch in _read_ahead(
                _batches(units, source_file, forgotten, batch_size)):
            report.read += read
            for problem in screened_out:
                rejects.write(problem)
                if problem.warning:
                    report.warnings += 1
                else:
                    report.rejected += 1
                    report.erased += problem.raw == _ERASED
            pending = batch
            flush()
    report.seconds = time.monotonic() - started
    return report


Batch = tuple[int, list[Reject], list[Unit]]


def _batches(units: Iterator[Unit], source_file: str, forgotten: ForgottenFilter,
             batch_size: int) -> Iterator[Batch]:
    """Group screened units into batches of about ``batch_size`` records: for each, how
    many units were read, the rejects screening found, and the units to write."""
    read, pending, size = 0, [], 0
    screened_out: list[Reject] = []
    try:
        for unit in units:
            read += 1
            problem = _screen(unit, source_file, forgotten, screened_out)
            if problem is not None:
                screened_out.append(problem)
                continue
            pending.append(unit)
            size += len(unit.records)
            if size >= batch_size:
                yield read, screened_out, pending
                read, pending, size = 0, [], 0
                screened_out = []
    except IngestError:
        # The input broke off (a cut-short download): what was read is loaded first.
        if read:
            yield read, screened_out, pending
        raise
    if read:
        yield read, screened_out, pending


_DONE = object()


def _read_ahead(batches: Iterator[Batch]) -> Iterator[Batch]:
    """Read and parse the next batch on a thread while the caller writes this one.

    The store's write (COPY and the commit's checkpoint) releases the GIL, so reading
    overlaps it. At most one batch waits finished: the reader starts the one after
    only when the caller has taken it, so two batches are in memory at most.
    """
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    taken = threading.Semaphore(0)
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in batches:
                handoff.put(batch)
                taken.acquire()
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the caller, raised there
            handoff.put(exc)
            return
        handoff.put(_DONE)

    reader = threading.Thread(target=read, name="scrm-ingest-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            taken.release()
            yield item
    finally:
        # A reader waiting for the caller stops now; one still reading (standard input
        # may block for ever) is a daemon thread and ends with the process.
        stop.set()
        taken.release()


_ERASED = "[erased]"


def _screen(unit: Unit, source_file: str, forgotten: ForgottenFilter,
            warnings: list[Reject]) -> Reject | None:
    """Screen a unit before it joins a batch: the reject that keeps it out (carrying the
    raw text), or None; its records then have passed the forgotten-person filter.
    Warnings (a field dropped, the record kept) leave the unit for ``warnings``."""
    if any(isinstance(r, Reject) and r.warning for r in unit.records):
        for r in unit.records:
            if isinstance(r, Reject) and r.warning:
                warnings.append(r if r.raw else replace(r, raw=unit.text()))
        unit.records = [r for r in unit.records if not (isinstance(r, Reject) and r.warning)]
        if not unit.records:
            return None
    oversize: str | None = None
    for r in unit.records:
        if isinstance(r, Reject):
            return r if r.raw else Reject(r.source_file, r.line, r.reason, unit.text(),
                                          r.field)
        if oversize is None:
            oversize = _oversize(r)
    if oversize is not None:
        return Reject(source_file, unit.line, oversize, unit.text(), field="text")
    if forgotten:
        unit.records = forgotten.apply(unit.records)
        if not unit.records:
            # nothing of this person is written again, not even to the rejects file
            return Reject(source_file, unit.line, "belongs to a person erased on request "
                          "(forgetCustomer); not imported", _ERASED)
    return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector from running on its own while loading.

    Parsing allocates millions of short-lived dicts and records, none of them in
    cycles, and every automatic pass walked the whole live batch: half of the JSON
    decoding time. ``load_units`` collects the young objects after each batch instead.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
