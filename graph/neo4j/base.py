"""The production store: the store port on a Neo4j server.

Same semantics as the embedded store (the contract suite in
``tests/store/test_contract.py`` runs over both): the same keys, pending edges for
replies and shares whose target is not stored yet, conflicts for a post re-sent with
other content (the same :func:`~graph.planning.content_hash`), manual identity
links winning over automatic ones, the last three completed runs kept.

The driver is injected (``Neo4jStore(driver, database, batch_size)``);
:meth:`Neo4jStore.from_settings` builds one from ``SCRM_NEO4J_*``. Every statement is
a named constant in :mod:`graph.neo4j.queries`. A batch write is one transaction
(``session.execute_write``); created and updated counts are worked out against what
the transaction reads, exactly as the embedded adapter does, so both report the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Self

from neo4j import RoutingControl

from graph.neo4j import queries as q
from graph.neo4j.shared import chunks, native, utc
from graph.store import AccountView, StoreError

if TYPE_CHECKING:
    from graph.config import Settings



Rows = list[dict[str, Any]]
Runner = Callable[[str, dict[str, Any]], Rows]


# The underscore names graph/neo4j/care.py (another engineer's file) still imports;
# new code imports the public names from graph.neo4j.shared.
_native = native
_utc = utc


class Neo4jBase:
    """The driver, its sessions and transactions; the sections of
    :class:`graph.neo4j.Neo4jStore` build on it."""
    """The store port on Neo4j 5.

    Args:
        driver: A ``neo4j.Driver`` (thread-safe; shared by :meth:`sibling` handles).
        database: The database every statement runs in.
        batch_size: Rows per ``UNWIND $rows`` write and per page of a streamed read.
        location: What to show as the store's location (never the password).
        owns_driver: Close the driver on :meth:`close`.
        apply_schema: Create the constraints and indexes (idempotent) on open.
    """

    backend = "neo4j"

    if TYPE_CHECKING:  # sections that use one another's helpers
        @staticmethod
        def _account(r: dict[str, Any]) -> AccountView: ...

    def __init__(self, driver: Any, database: str = "neo4j", batch_size: int = 5_000, *,
                 location: str | None = None, owns_driver: bool = False,
                 apply_schema: bool = True) -> None:
        if batch_size < 1:
            raise StoreError(f"SCRM_NEO4J_BATCH_SIZE must be positive, not {batch_size}")
        self._driver = driver
        self.database = database
        self.batch_size = batch_size
        self.location = location or f"neo4j database {database!r}"
        self._owns_driver = owns_driver
        if apply_schema:
            self.apply_schema()

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Connect with ``SCRM_NEO4J_URI`` / ``_USER`` / ``_PASSWORD`` / ``_DATABASE``."""
        import neo4j
        from neo4j.exceptions import AuthError, ServiceUnavailable

        if not settings.neo4j_uri:
            raise StoreError("SCRM_NEO4J_URI is not set.")
        driver = neo4j.GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()))
        location = f"{settings.neo4j_uri} (database {settings.neo4j_database!r})"
        try:
            driver.verify_connectivity()
            return cls(driver, settings.neo4j_database, settings.neo4j_batch_size,
                       location=location, owns_driver=True)
        except AuthError:
            driver.close()
            raise StoreError(
                f"Neo4j at {settings.neo4j_uri} refused user {settings.neo4j_user!r}: check "
                "SCRM_NEO4J_USER and SCRM_NEO4J_PASSWORD.") from None
        except ServiceUnavailable as exc:
            driver.close()
            raise StoreError(
                f"No Neo4j answers at {settings.neo4j_uri} ({exc}). Start it with "
                "'docker compose up -d neo4j' or unset SCRM_NEO4J_URI to use the embedded "
                "store.") from None
        except BaseException:
            driver.close()
            raise

    def apply_schema(self) -> None:
        for statement in q.SCHEMA_STATEMENTS:
            self._write(statement)

    def sibling(self) -> Self:
        """Another handle on the same driver (drivers are thread-safe)."""
        return type(self)(self._driver, self.database, self.batch_size,
                          location=self.location, apply_schema=False)

    def deferring_checkpoint(self) -> AbstractContextManager[None]:
        """Nothing to defer: a Neo4j server checkpoints beside its writes."""
        return nullcontext()

    def close(self) -> None:
        if self._driver is not None and self._owns_driver:
            self._driver.close()
        self._driver = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, query: str, params: dict[str, Any] | None,
                 routing: RoutingControl) -> Rows:
        if self._driver is None:
            raise StoreError("The store is closed.")
        records, _, _ = self._driver.execute_query(
            query, parameters_=params or {}, database_=self.database, routing_=routing)
        return [dict(r.items()) for r in records]

    def _read(self, query: str, params: dict[str, Any] | None = None) -> Rows:
        return self._execute(query, params, RoutingControl.READ)

    def _write(self, query: str, params: dict[str, Any] | None = None) -> Rows:
        return self._execute(query, params, RoutingControl.WRITE)

    def _in_transaction(self, work: Callable[[Runner], Any]) -> Any:
        """Run ``work(run)`` in one write transaction; ``run(query, params)`` returns rows."""
        if self._driver is None:
            raise StoreError("The store is closed.")

        def unit(tx: Any) -> Any:
            def run(query: str, params: dict[str, Any]) -> Rows:
                return [dict(r.items()) for r in tx.run(query, params)]
            return work(run)

        with self._driver.session(database=self.database) as session:
            return session.execute_write(unit)

    def _pages(self, query: str, params: dict[str, Any] | None = None,
               key: str = "key") -> Iterator[Rows]:
        """Keyset pagination: ``query`` takes ``$after`` and ``$limit`` and orders by key."""
        after = ""
        while True:
            rows = self._read(query, {**(params or {}), "after": after,
                                      "limit": self.batch_size})
            if rows:
                yield rows
            if len(rows) < self.batch_size:
                return
            after = rows[-1][key]

    def _existing(self, run: Runner, query: str, keys: Sequence[str]) -> Rows:
        out: Rows = []
        for chunk in chunks(list(keys), self.batch_size):
            out.extend(run(query, {"keys": list(chunk)}))
        return out

    def _unwind(self, run: Runner, query: str, rows: Sequence[dict[str, Any]],
                **params: Any) -> None:
        for chunk in chunks(rows, self.batch_size):
            run(query, {"rows": list(chunk), **params})
