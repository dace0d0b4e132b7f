"""StoreRunner: quick calls run on the event loop when the store is free, and never
beside a call on the store thread; other calls, and Neo4j's, stay on the thread."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from api.context import StoreRunner
from graph.embedded import EmbeddedStore


def test_a_quick_call_runs_on_the_event_loop_when_the_store_is_free(
        embedded_store: EmbeddedStore) -> None:
    async def run() -> tuple[str, str, dict[str, int]]:
        runner = StoreRunner(embedded_store)
        try:
            here = threading.current_thread().name
            where = await runner.call(lambda s: threading.current_thread().name, quick=True)
            counts = await runner.call(lambda s: s.counts(), quick=True)
            assert runner.inline_calls == 2
            elsewhere = await runner.call(lambda s: threading.current_thread().name)
            assert runner.inline_calls == 2
            assert elsewhere.startswith("scrm-store")
            return here, where, counts
        finally:
            runner.shutdown()

    here, where, counts = asyncio.run(run())
    assert where == here
    assert counts["Account"] == 0


def test_a_quick_call_waits_for_the_store_thread_instead_of_running_beside_it(
        embedded_store: EmbeddedStore) -> None:
    spans: dict[str, tuple[float, float, str]] = {}

    def timed(name: str, seconds: float) -> Any:
        def work(store: EmbeddedStore) -> dict[str, int]:
            start = time.monotonic()
            out = store.counts()
            time.sleep(seconds)
            spans[name] = (start, time.monotonic(), threading.current_thread().name)
            return out
        return work

    async def run() -> None:
        runner = StoreRunner(embedded_store)
        try:
            slow = asyncio.ensure_future(runner.call(timed("slow", 0.3)))
            await asyncio.sleep(0.05)  # the slow call is on the thread now
            await runner.call(timed("quick", 0.0), quick=True)
            await slow
            assert runner.inline_calls == 0
            await runner.call(timed("after", 0.0), quick=True)  # the thread is free again
            assert runner.inline_calls == 1
        finally:
            runner.shutdown()

    asyncio.run(run())
    assert spans["quick"][2].startswith("scrm-store")
    assert spans["quick"][0] >= spans["slow"][1]  # one after the other, never beside
    assert spans["after"][2] == threading.main_thread().name


class _RemoteStore:
    """Stands in for the Neo4j adapter (no server here): only its backend name matters."""

    backend = "neo4j"


def test_neo4j_calls_stay_off_the_event_loop() -> None:
    async def run() -> str:
        runner = StoreRunner(_RemoteStore())  # type: ignore[arg-type]
        try:
            where: str = await runner.call(lambda s: threading.current_thread().name,
                                           quick=True)
            assert runner.inline_calls == 0
            return where
        finally:
            runner.shutdown()

    assert asyncio.run(run()).startswith("scrm-store")


def test_a_brand_accounts_timeline_stays_off_the_event_loop(
        graph_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A brand account's page can take the database's slow path (its mentions): it runs
    on the store thread; a person's runs on the event loop."""
    from api.context import Context
    from api.schema import schema

    where: list[str] = []
    original = EmbeddedStore.timeline

    def timeline(self: EmbeddedStore, *args: Any, **kwargs: Any) -> Any:
        where.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EmbeddedStore, "timeline", timeline)
    query = """query($handle: String!) { account(platform: "twitter", handle: $handle) {
      isBrand interactions(first: 5) { edges { node { postId } } } } }"""
    store = EmbeddedStore(graph_db[0], read_only=True)

    async def run(handle: str) -> dict[str, Any]:
        runner = StoreRunner(store)
        try:
            result = await schema.execute(query, variable_values={"handle": handle},
                                          context_value=Context(runner))
            assert not result.errors, result.errors
            return result.data or {}
        finally:
            runner.shutdown()

    try:
        brand = asyncio.run(run("acme"))
        person = asyncio.run(run("danaw"))
    finally:
        store.close()
    assert brand["account"]["isBrand"] and brand["account"]["interactions"]["edges"]
    assert not person["account"]["isBrand"] and person["account"]["interactions"]["edges"]
    assert where[0].startswith("scrm-store")
    assert where[1] == threading.main_thread().name
