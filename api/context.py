"""Per-request GraphQL context: the store, reached through one thread, and DataLoaders.

The embedded store's connection must not be used from two threads at once, and
its calls block. :class:`StoreRunner` therefore runs every store call of the app
on one dedicated thread: calls are serialised (never concurrent), and the event
loop keeps serving other requests while one waits. Write jobs use their own
connection (:meth:`graph.store.GraphStore.sibling`) on their own thread.

The DataLoaders batch what a page of results needs into one store call per kind
(accounts, customers, scores), so a page of 50 engagement targets costs a fixed
number of store calls rather than one per row.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from api.errors import UserError
from graph.store import (
    AccountScores,
    AccountView,
    AnalysisRunInfo,
    CustomerView,
    GraphStore,
    LinkedAccount,
)

__all__ = ["Context", "Info", "StoreRunner"]

T = TypeVar("T")


class StoreRunner:
    """Runs store calls one at a time on a single worker thread.

    Args:
        store: The store to use, or ``None`` until :meth:`attach` is called (when
            the app opens its own store at start-up).
    """

    def __init__(self, store: GraphStore | None = None, timeout: float | None = None) -> None:
        self._store = store
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrm-store")
        # The latest completed run changes only through a write (an analysis job, or a
        # mutation forgetting its accounts); whoever writes calls forget_latest_run().
        self._run_lock = threading.Lock()
        self._run_generation = 0
        self._latest_run: tuple[int, AnalysisRunInfo | None] | None = None

    @property
    def store(self) -> GraphStore:
        if self._store is None:
            raise RuntimeError("the API has no store yet (the app has not started)")
        return self._store

    def attach(self, store: GraphStore) -> None:
        self._store = store

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` (which may call the store) on the store thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def call(self, work: Callable[[GraphStore], T]) -> T:
        """Run ``work(store)`` on the store thread and return its result.

        A call that takes longer than ``timeout`` seconds gives the client an error
        instead of a hung request (the store finishes the work in the background)."""
        store = self.store
        if not self.timeout:
            return await self.run(lambda: work(store))
        try:
            return await asyncio.wait_for(self.run(lambda: work(store)), self.timeout)
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
        run = await self.call(lambda s: s.latest_run())
        with self._run_lock:
            if self._run_generation == generation:  # no write finished meanwhile
                self._latest_run = (generation, run)
        return run

    def forget_latest_run(self) -> None:
        """Something was written: read the latest run afresh. Safe from any thread."""
        with self._run_lock:
            self._run_generation += 1
            self._latest_run = None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


class Context(BaseContext):
    """What every resolver of one request shares.

    Attributes:
        store: The store runner; resolvers call ``await context.store.call(lambda s: ...)``.
        accounts: Accounts by key.
        customers: The customer linked to an account, by account key (``None`` if unlinked).
        scores: An account's scores from the latest completed run, by account key.
        linked_accounts: A customer's linked accounts, by customer id.
    """

    def __init__(self, store: StoreRunner) -> None:
        super().__init__()
        self.store = store
        self._latest_run: asyncio.Task[AnalysisRunInfo | None] | None = None
        self.accounts: DataLoader[str, AccountView | None] = DataLoader(load_fn=self._load_accounts)
        self.customers: DataLoader[str, CustomerView | None] = DataLoader(
            load_fn=self._load_customers)
        self.scores: DataLoader[str, AccountScores | None] = DataLoader(load_fn=self._load_scores)
        self.linked_accounts: DataLoader[str, list[LinkedAccount]] = DataLoader(
            load_fn=self._load_linked_accounts)

    async def latest_run(self) -> AnalysisRunInfo | None:
        """The latest completed analysis run, read once per request so that every
        field of one response describes the same run."""
        if self._latest_run is None:
            self._latest_run = asyncio.ensure_future(self.store.latest_run())
        return await self._latest_run

    async def _load_accounts(self, keys: list[str]) -> list[AccountView | None]:
        found = await self.store.call(lambda s: s.get_accounts(keys))
        return [found.get(k) for k in keys]

    async def _load_customers(self, keys: list[str]) -> list[CustomerView | None]:
        found = await self.store.call(lambda s: s.customers_for_accounts(keys))
        return [found.get(k) for k in keys]

    async def _load_scores(self, keys: list[str]) -> list[AccountScores | None]:
        run = await self.latest_run()
        if run is None:
            return [None] * len(keys)
        run_id = run.run_id
        # The port reads scores one account at a time; the batch still costs a single
        # trip to the store thread. Rankings prime this loader, so a page of
        # engagement targets never reaches here.
        return await self.store.call(lambda s: [s.account_scores(k, run_id) for k in keys])

    async def _load_linked_accounts(self, customer_ids: list[str]) -> list[list[LinkedAccount]]:
        return await self.store.call(lambda s: [s.linked_accounts(c) for c in customer_ids])


Info = strawberry.Info[Context, None]
