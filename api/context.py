"""Per-request GraphQL context: the store, reached one call at a time, and DataLoaders.

The embedded store's connection must not be used from two threads at once, and
its calls block. :class:`StoreRunner` therefore serialises every store call of the
app. Calls a request makes in volume and that a page size bounds (a ranking page,
a timeline page, the DataLoaders' look-ups) are *quick*: on the embedded store they
run right on the event loop whenever nothing else is using the store. Everything
else (networks, metrics, the care queue, a reader's reopen) runs on one dedicated
worker thread, and while it does, quick calls queue behind it there, so the
connection is still never used from two threads at once. Write jobs use their own
connection (:meth:`graph.store.GraphStore.sibling`) on their own thread, and so do the
answers computed aside (:meth:`StoreRunner.memoized_aside`: the dashboard's metrics),
so that seconds of computation never hold up the pages' store calls.

Why not every call on the worker: a call there needs the interpreter lock back
several times per query, and each time it waits up to the interpreter's switch
interval (5 ms) while the event loop runs other requests. Under load a ranking page's
two queries took 4-8 ms that way instead of 1.3 ms, and the worker thread became the
queue (p99 220 ms of waiting at 200 requests/s).

The DataLoaders batch what a page of results needs into one store call per kind
(accounts, customers, scores), so a page of 50 engagement targets costs a fixed
number of store calls rather than one per row.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from api.auth import CONTENT, EVERYTHING
from api.errors import UserError
from graph.outbox import OutboxItem
from graph.store import (
    AccountScores,
    AccountView,
    AnalysisRunInfo,
    CustomerView,
    GraphStore,
    LinkedAccount,
)

__all__ = ["Context", "Info", "Memo", "StoreRunner"]

MEMO_SIZE = 64
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Memo(Generic[T]):
    """A memoized answer, when it was computed, and whether a newer one is being
    computed (a write of what it reads came after it)."""

    answer: T
    computed_at: datetime
    updating: bool


class StoreRunner:
    """Runs store calls one at a time: quick ones on the event loop when the store is
    free, the others on a single worker thread.

    Args:
        store: The store to use, or ``None`` until :meth:`attach` is called (when
            the app opens its own store at start-up).
        timeout: Seconds after which a call on the worker thread answers the client
            with an error (quick calls are bounded by page size caps instead).
    """

    def __init__(self, store: GraphStore | None = None, timeout: float | None = None) -> None:
        self._store = store
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrm-store")
        # calls handed to the worker thread and not finished there yet; only the event
        # loop hands work over, so while it runs a quick call this cannot grow
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.inline_calls = 0  # quick calls answered on the event loop (tests read it)
        # The latest completed run changes only through a write (an analysis job, or a
        # mutation forgetting its accounts); whoever writes calls forget_latest_run().
        self._run_lock = threading.Lock()
        self._run_generation = 0
        self._latest_run: tuple[int, AnalysisRunInfo | None] | None = None
        # what each kind of write has moved (api.auth.EVERYTHING): a memoized answer
        # names the kinds it reads, so a care note keeps the dashboard's metrics
        self._generations: dict[str, int] = dict.fromkeys(EVERYTHING, 0)
        # answers that only a write changes, kept a while (see memoized)
        self._memo: dict[str, tuple[tuple[int, ...], float, Any]] = {}
        self.memo_misses: dict[str, int] = {}  # answers computed, by name before any ':'
        # memoized_aside: answers kept through writes (marked updating) until their
        # successor is computed on a handle and thread of their own
        self._aside_memo: dict[str, tuple[tuple[int, ...], float, Any, datetime]] = {}
        self._aside_tasks: dict[str, asyncio.Future[tuple[tuple[int, ...], Any, datetime]]] = {}
        self._aside_lock = threading.Lock()  # one aside computation on the handle at a time
        self._aside_closed = False
        self._aside_store: GraphStore | None = None
        self._aside_outdated = False  # a read-only handle to open again before next use

    @property
    def store(self) -> GraphStore:
        if self._store is None:
            raise RuntimeError("the API has no store yet (the app has not started)")
        return self._store

    def attach(self, store: GraphStore) -> None:
        self._store = store

    async def run(self, work: Callable[[], T], deadline: float | None = None) -> T:
        """Run ``work`` (which may call the store) on the store thread; not at all when it
        gets its turn there after ``deadline`` (a ``time.monotonic()`` value)."""
        with self._busy_lock:
            self._busy += 1

        def tracked() -> T:
            try:
                if deadline is not None and time.monotonic() > deadline:
                    raise _timed_out(self.timeout)
                return work()
            finally:
                with self._busy_lock:
                    self._busy -= 1
        return await asyncio.get_running_loop().run_in_executor(self._executor, tracked)

    def _runs_inline(self, store: GraphStore) -> bool:
        # Neo4j calls wait on the network: they stay off the event loop
        if store.backend != "embedded":
            return False
        with self._busy_lock:
            return self._busy == 0

    async def call(self, work: Callable[[GraphStore], T], *, quick: bool = False) -> T:
        """Run ``work(store)`` and return its result.

        ``quick`` work (bounded by a page size: a few milliseconds) runs on the event
        loop when the store thread is idle; other work, and quick work while the
        thread is busy, runs on the store thread. A call there that takes longer than
        ``timeout`` seconds gives the client an error instead of a hung request (the
        store finishes the work in the background)."""
        store = self.store
        deadline = _check_deadline(self.timeout)
        if quick and self._runs_inline(store):
            self.inline_calls += 1
            return work(store)
        if not self.timeout:
            return await self.run(lambda: work(store), deadline)
        try:
            return await asyncio.wait_for(self.run(lambda: work(store), deadline),
                                          self.timeout)
        except TimeoutError:
            raise UserError(
                f"this request took longer than {self.timeout:g} s; narrow it down (a smaller "
                "'first', 'limit' or 'depth', or a date window) or try again shortly") from None

    async def latest_run(self) -> AnalysisRunInfo | None:
        """The latest completed analysis run, read from the store once until the next
        :meth:`forget_latest_run`."""
        with self._run_lock:
            generation, cached = self._run_generation, self._latest_run
        if cached is not None and cached[0] == generation:
            return cached[1]
        run = await self.call(lambda s: s.latest_run(), quick=True)
        with self._run_lock:
            if self._run_generation == generation:  # no write finished meanwhile
                self._latest_run = (generation, run)
        return run

    def _generation(self, reads: frozenset[str]) -> tuple[int, ...]:
        return tuple(self._generations[kind] for kind in sorted(reads))

    async def memoized(self, name: str, ttl: float, work: Callable[[GraphStore], T], *,
                       reads: frozenset[str] = EVERYTHING) -> T:
        """``work(store)``'s answer, computed again after a write of what it ``reads``
        (:data:`api.auth.EVERYTHING`; the metrics read only ``content``) or after ``ttl``
        seconds: for reads several pages ask at once that cost more than a page (the
        care queue ranks every complaint to answer a page of it)."""
        with self._run_lock:
            generation, entry = self._generation(reads), self._memo.get(name)
        if entry is not None and entry[0] == generation and time.monotonic() < entry[1]:
            return cast(T, entry[2])
        answer = await self.call(work)
        with self._run_lock:
            family = name.partition(":")[0]  # "metrics", not one per window asked
            self.memo_misses[family] = self.memo_misses.get(family, 0) + 1
            if self._generation(reads) == generation:  # no such write finished meanwhile
                if len(self._memo) >= MEMO_SIZE:  # many different questions: start over
                    self._memo.clear()
                self._memo[name] = (generation, time.monotonic() + ttl, answer)
        return answer

    async def memoized_aside(self, name: str, ttl: float, work: Callable[[GraphStore], T], *,
                             reads: frozenset[str] = EVERYTHING, wait: bool = True
                             ) -> Memo[T]:
        """Like :meth:`memoized`, for answers that take seconds (the dashboard's metrics
        at a million accounts): computed on a handle of their own
        (:meth:`graph.store.GraphStore.sibling`; a read-only store opens the database
        once more) on a thread of their own, one at a time per name, so the other store
        calls never wait for them. After a write of what it ``reads``, a caller that
        does not ``wait`` gets the previous answer at once, marked ``updating``, while
        its successor is computed; one that waits gets the successor (the first answer
        is always waited for)."""
        while True:
            with self._run_lock:
                generation, entry = self._generation(reads), self._aside_memo.get(name)
            if entry is not None and entry[0] == generation and time.monotonic() < entry[1]:
                return Memo(entry[2], entry[3], updating=False)
            task = self._aside_tasks.get(name)
            if task is None:
                task = asyncio.ensure_future(self._compute_aside(name, ttl, work, reads))
                # a failure nobody waited for is logged there, not "never retrieved"
                task.add_done_callback(lambda t: t.cancelled() or t.exception())
                self._aside_tasks[name] = task
            if entry is not None and not wait:
                return Memo(entry[2], entry[3], updating=True)
            done_at, answer, computed_at = await asyncio.shield(task)
            if done_at == self._generation(reads):
                return Memo(answer, computed_at, updating=False)
            # a write came while it was computed: wait for the next one

    async def aside(self, work: Callable[[GraphStore], T], name: str = "call") -> T:
        """``work(store)`` on the aside handle and a thread of its own, as the memoized
        asides are computed, but not kept: for reads that take seconds and differ with
        each question (the explorer's data at a million accounts), so that they never
        hold up the store thread the pages wait for."""
        return await self._on_aside_thread(work, name)

    async def _on_aside_thread(self, work: Callable[[GraphStore], T], name: str) -> T:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()

        def settle(outcome: Callable[[], None]) -> None:
            if not done.done():
                outcome()

        def aside() -> None:
            # a daemon thread, not an executor's: stopping the server never waits minutes
            # for figures nobody will see (an executor's threads are joined at exit)
            _lower_priority()
            try:
                with self._aside_lock:
                    if self._aside_closed:
                        raise RuntimeError("the server is stopping")
                    answer = work(self._aside_handle())
            except BaseException as exc:  # handed to the waiters
                error = exc
                loop.call_soon_threadsafe(settle, lambda: done.set_exception(error))
                return
            loop.call_soon_threadsafe(settle, lambda: done.set_result(answer))

        threading.Thread(target=aside, name=f"scrm-aside-{name}", daemon=True).start()
        return await done

    async def _compute_aside(self, name: str, ttl: float, work: Callable[[GraphStore], T],
                             reads: frozenset[str]) -> tuple[tuple[int, ...], T, datetime]:
        with self._run_lock:
            generation = self._generation(reads)
        try:
            answer = await self._on_aside_thread(work, name)
        except Exception:
            log.exception("computing %s failed", name)
            raise
        finally:
            self._aside_tasks.pop(name, None)
        computed_at = datetime.now(UTC)
        with self._run_lock:
            family = name.partition(":")[0]
            self.memo_misses[family] = self.memo_misses.get(family, 0) + 1
            if len(self._aside_memo) >= MEMO_SIZE and name not in self._aside_memo:
                self._aside_memo.clear()
            # kept under the generation it read: a write meanwhile leaves it updating
            self._aside_memo[name] = (generation, time.monotonic() + ttl, answer, computed_at)
        return generation, answer, computed_at

    def _aside_handle(self) -> GraphStore:
        """The aside thread's own handle on the database (made on first use; a read-only
        one is opened again after the store it follows was)."""
        store = self.store
        handle = self._aside_store
        if handle is None:
            if store.backend == "embedded" and getattr(store, "read_only", False):
                handle = type(store)(store.path, read_only=True)  # type: ignore[call-arg,attr-defined]
            else:
                handle = store.sibling()
            self._aside_store, self._aside_outdated = handle, False
        elif self._aside_outdated:
            self._aside_outdated = False
            refresh = getattr(handle, "refresh", None)
            if refresh is not None:
                refresh()
        return handle

    def forget_latest_run(self, touched: frozenset[str] = EVERYTHING) -> None:
        """Something was written (``touched``: what it may have changed, see
        :data:`api.auth.EVERYTHING`): read the latest run (after a content write) and the
        memoized answers that read what it touched afresh. Safe from any thread."""
        with self._run_lock:
            for kind in touched:
                self._generations[kind] += 1
            if touched:  # a read-only aside handle reads a snapshot: open it again
                self._aside_outdated = True
            if CONTENT in touched:  # an analysis run, or accounts forgotten
                self._run_generation += 1
                self._latest_run = None
            if touched >= EVERYTHING:  # nothing memoized holds any more
                self._memo.clear()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        # an aside computation still running after 5 s keeps its handle: nobody waits for it
        if self._aside_lock.acquire(timeout=5):
            try:
                self._aside_closed = True
                if self._aside_store is not None:
                    self._aside_store.close()
                    self._aside_store = None
            finally:
                self._aside_lock.release()


def _lower_priority() -> None:
    """Run this thread at a lower priority (Linux schedules threads on their own): what is
    computed aside should take the processor when the pages do not need it."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux, or not allowed: the same priority
        pass


def _timed_out(timeout: float | None) -> UserError:
    return UserError(
        f"this request took longer than {timeout or 0:g} s; narrow it down (a smaller "
        "'first', 'limit' or 'depth', or a date window) or try again shortly")


def _check_deadline(timeout: float | None) -> float | None:
    """The current request's deadline (api.guard.DEADLINE); raise when it has passed.

    A request past its deadline starts no further store call: neither here nor when a
    call it queued gets its turn on the store thread. A call already running in the
    database cannot be stopped there; it ends on its own and its answer is dropped."""
    from api.guard import DEADLINE

    deadline = DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise _timed_out(timeout)
    return deadline


class Context(BaseContext):
    """What every resolver of one request shares.

    Attributes:
        store: The store runner; resolvers call ``await context.store.call(lambda s: ...)``.
        accounts: Accounts by key.
        customers: The customer linked to an account, by account key (``None`` if unlinked).
        scores: An account's scores from the latest completed run, by account key.
        linked_accounts: A customer's linked accounts, by customer id.
        deliveries: A recorded response's outbox item, by its post key.
    """

    def __init__(self, store: StoreRunner) -> None:
        super().__init__()
        self.store = store
        # a role, open (no keys) or None (no key check ran): see api.auth.role_of
        self.role: str | None = None
        # under whose name changes are recorded: see api.auth.actor_of
        self.actor: str | None = None
        self._latest_run: asyncio.Task[AnalysisRunInfo | None] | None = None
        self.accounts: DataLoader[str, AccountView | None] = DataLoader(load_fn=self._load_accounts)
        self.customers: DataLoader[str, CustomerView | None] = DataLoader(
            load_fn=self._load_customers)
        self.scores: DataLoader[str, AccountScores | None] = DataLoader(load_fn=self._load_scores)
        self.linked_accounts: DataLoader[str, list[LinkedAccount]] = DataLoader(
            load_fn=self._load_linked_accounts)
        self.deliveries: DataLoader[str, OutboxItem | None] = DataLoader(
            load_fn=self._load_deliveries)

    async def latest_run(self) -> AnalysisRunInfo | None:
        """The latest completed analysis run, read once per request so that every
        field of one response describes the same run."""
        if self._latest_run is None:
            self._latest_run = asyncio.ensure_future(self.store.latest_run())
        return await self._latest_run

    async def _load_accounts(self, keys: list[str]) -> list[AccountView | None]:
        found = await self.store.call(lambda s: s.get_accounts(keys), quick=True)
        return [found.get(k) for k in keys]

    async def _load_customers(self, keys: list[str]) -> list[CustomerView | None]:
        found = await self.store.call(lambda s: s.customers_for_accounts(keys), quick=True)
        return [found.get(k) for k in keys]

    async def _load_scores(self, keys: list[str]) -> list[AccountScores | None]:
        run = await self.latest_run()
        if run is None:
            return [None] * len(keys)
        run_id = run.run_id
        # One read for the batch (a page of the inbox asks for its authors' scores).
        # Rankings prime this loader, so a page of engagement targets never reaches here.
        found = await self.store.call(lambda s: s.scores_for_accounts(keys, run_id),
                                      quick=True)
        return [found.get(k) for k in keys]

    async def _load_deliveries(self, keys: list[str]) -> list[OutboxItem | None]:
        rows = await self.store.call(lambda s: s.outbox_items(keys=keys, limit=len(keys)),
                                     quick=True)
        found = {r["key"]: OutboxItem.from_row(r) for r in rows}
        return [found.get(k) for k in keys]

    async def _load_linked_accounts(self, customer_ids: list[str]) -> list[list[LinkedAccount]]:
        return await self.store.call(lambda s: [s.linked_accounts(c) for c in customer_ids],
                                     quick=True)


Info = strawberry.Info[Context, None]
