"""The HTTP app: /health, GraphiQL, error masking, the depth limit, the committed SDL, and
an app that opens its own store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_testkit import CountingStore, LiveServer

from api.export_schema import SDL_PATH, main, sdl
from api.schema import schema
from graph.config import Settings

LEAKS = ("Traceback", "File \"", "RuntimeError", "secret", "/etc/", "SELECT", "MATCH")


def test_health(server: LiveServer, graph_db: tuple[Path, str]) -> None:
    response = httpx.get(f"{server.url}/health", timeout=30)
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["backend"] == "embedded"
    assert health["latest_run_id"] == graph_db[1]
    assert health["latest_run_finished_at"]
    assert health["counts"]["Customer"] == 61
    assert health["counts"]["Post"] == 12
    assert health["counts"]["OWNS"] == 62


def test_graphiql_page(server: LiveServer) -> None:
    response = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


def test_graphiql_can_be_turned_off(graph_db: tuple[Path, str]) -> None:
    from api.app import create_app
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(graph_db[0], read_only=True)
    try:
        app = create_app(store=store, settings=Settings(public_graphiql=False))
        with LiveServer(app) as server:
            response = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"},
                                 timeout=30)
            assert "graphiql" not in response.text.lower()
            assert server.graphql("{ latestRun { status } }")["data"]["latestRun"]
    finally:
        store.close()


@pytest.fixture(scope="module")
def failing_server(serve: Callable[..., LiveServer]) -> LiveServer:
    """A server whose store fails unexpectedly on some calls."""
    boom = RuntimeError('secret /etc/scrm.lbdb: MATCH (c) failed\nTraceback (most recent call '
                        'last):\n  File "x.py", line 1')
    return serve(lambda store: CountingStore(store, fail={"get_customer": boom, "counts": boom}))


def assert_no_leak(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked into {text!r}"


def test_unexpected_errors_are_masked(failing_server: LiveServer) -> None:
    response = httpx.post(f"{failing_server.url}/graphql", timeout=30, json={
        "query": '{ customer(id: "C1") { name } latestRun { status } }'})
    assert response.status_code == 200
    assert_no_leak(response.text)
    body = response.json()
    assert body["errors"] == [{"message": "internal error",
                               "locations": [{"line": 1, "column": 3}], "path": ["customer"]}]
    assert body["data"] == {"customer": None, "latestRun": {"status": "completed"}}


def test_user_errors_keep_their_message(failing_server: LiveServer) -> None:
    body = failing_server.graphql("{ engagementTargets(kind: ADVOCATE, first: 500) { runId } }")
    assert body["errors"][0]["message"] == "'first' must be between 0 and 100 (got 500)"
    assert_no_leak(str(body))


@pytest.mark.parametrize("query", [
    "{ customer(id: ",  # syntax error
    "{ nosuchfield }",  # validation error
    '{ customer(id: "C1") { password } }',
])
def test_bad_queries_say_what_is_wrong_without_internals(failing_server: LiveServer,
                                                         query: str) -> None:
    response = httpx.post(f"{failing_server.url}/graphql", json={"query": query}, timeout=30)
    body: dict[str, Any] = response.json()
    assert body["errors"] and body["errors"][0]["message"] != "internal error"
    assert_no_leak(response.text)


def test_health_failure_is_masked(failing_server: LiveServer) -> None:
    response = httpx.get(f"{failing_server.url}/health", timeout=30)
    assert response.status_code == 500
    assert_no_leak(response.text)


def test_query_depth_is_limited(server: LiveServer) -> None:
    deep = "{ account(platform: \"twitter\", handle: \"danaw\") { " + \
        "interactions { edges { node { counterpart { " * 3 + "key" + " } } } }" * 3 + " } }"
    body = server.graphql(deep)
    assert body["data"] is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


def test_aliases_and_document_size_are_limited(server: LiveServer) -> None:
    fan_out = "{ " + " ".join(f'a{i}: latestRun {{ runId }}' for i in range(31)) + " }"
    body = server.graphql(fan_out)
    assert body["data"] is None and "aliases" in body["errors"][0]["message"].lower()
    assert "errors" not in server.graphql(
        "{ " + " ".join(f'a{i}: latestRun {{ runId }}' for i in range(5)) + " }")
    huge = "{ " + " ".join("latestRun { runId }" for _ in range(2000)) + " }"
    assert "token" in server.graphql(huge)["errors"][0]["message"].lower()


def test_a_slow_store_call_times_out_with_a_reason(graph_db: tuple[Path, str]) -> None:
    import asyncio
    import time

    from api.context import StoreRunner
    from api.errors import UserError
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(graph_db[0], read_only=True)
    runner = StoreRunner(store, timeout=0.2)
    try:
        with pytest.raises(UserError, match="took longer than 0.2 s"):
            asyncio.run(runner.call(lambda s: time.sleep(1.0)))
        time.sleep(1.0)  # the store finishes the abandoned call, then serves the next
        assert asyncio.run(runner.call(lambda s: s.counts()))["Customer"] > 0
    finally:
        runner.shutdown()
        store.close()


def test_committed_sdl_matches_the_schema() -> None:
    """Every API change shows in review: regenerate with 'python -m api.export_schema'."""
    assert SDL_PATH.read_text(encoding="utf-8") == schema.as_str() + "\n"
    assert sdl() == schema.as_str() + "\n"
    assert main(["--check"]) == 0


def test_app_opens_its_own_store(graph_db: tuple[Path, str]) -> None:
    """create_app() without a store opens the configured one (read-only) at start-up."""
    from api.app import create_app

    app = create_app(settings=Settings(db=graph_db[0]))
    with LiveServer(app) as server:
        assert httpx.get(f"{server.url}/health", timeout=30).json()["latest_run_id"] \
            == graph_db[1]
        body = server.graphql('{ customer(id: "C1") { name } }')
        assert body == {"data": {"customer": {"name": "Dana Whitfield"}}}


def test_repeated_reads_are_cached_and_writes_clear_the_cache(tmp_path: Path) -> None:
    from api_testkit import build_graph

    from api.app import create_app
    from graph.embedded import EmbeddedStore

    path = tmp_path / "graph.lbdb"
    build_graph(path)
    store = EmbeddedStore(path)
    app = create_app(store=store, settings=Settings(read_cache_seconds=30))
    cache = app.state.read_cache
    read = '{ customer(id: "C1") { accounts { key linkMethod } } }'
    try:
        with LiveServer(app) as live:
            first = live.graphql(read)
            assert live.graphql(read) == first and cache.hits == 1
            bad = "{ customer(id: 1) { nope } }"
            live.graphql(bad)
            live.graphql(bad)
            assert cache.hits == 1  # answers with errors are never cached
            linked = live.graphql("""mutation { linkAccount(customerId: "C1",
                platform: "twitter", handle: "carol") { id } }""")
            assert "errors" not in linked, linked
            after = live.graphql(read)  # the mutation cleared it: fresh, with the new link
            keys = {a["key"] for a in after["data"]["customer"]["accounts"]}
            assert "twitter:carol" in keys and after != first and cache.hits == 1
    finally:
        store.close()


def test_latest_run_is_read_once_until_a_write(tmp_path: Path) -> None:
    """The latest run is kept per process; a mutation or a finished write job (an analysis
    here) makes the next request read it afresh, even with the read cache off."""
    import time

    from api_testkit import build_graph

    from api.app import create_app
    from api.jobs import JobRunner
    from graph.embedded import EmbeddedStore

    path = tmp_path / "graph.lbdb"
    first_run = build_graph(path)
    store = EmbeddedStore(path)
    spy: Any = CountingStore(store)
    app = create_app(store=spy, settings=Settings(read_cache_seconds=0))
    app.state.jobs = JobRunner(store, on_change=app.state.read_cache.clear)
    read = "{ latestRun { runId } }"
    try:
        with LiveServer(app) as live:
            for _ in range(3):
                assert live.graphql(read)["data"]["latestRun"]["runId"] == first_run
            assert spy.calls["latest_run"] == 1, spy.calls

            linked = live.graphql("""mutation { linkAccount(customerId: "C1",
                platform: "twitter", handle: "carol") { id } }""")
            assert "errors" not in linked, linked
            assert live.graphql(read)["data"]["latestRun"]["runId"] == first_run
            assert spy.calls["latest_run"] == 2, spy.calls

            job = httpx.post(f"{live.url}/jobs", json={"kind": "analyze"}, timeout=30).json()
            deadline = time.monotonic() + 240
            while job["status"] in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.2)
                job = httpx.get(f"{live.url}/jobs/{job['id']}", timeout=30).json()
            assert job["status"] == "completed", job
            new_run = job["result"]["run_id"]
            assert new_run != first_run
            assert live.graphql(read)["data"]["latestRun"]["runId"] == new_run
            assert live.graphql(read)["data"]["latestRun"]["runId"] == new_run
            assert spy.calls["latest_run"] == 3, spy.calls
    finally:
        store.close()


def test_cached_answers_expire_at_spread_out_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers cached together must not all expire together (a wave of misses)."""
    from types import SimpleNamespace

    from api.cache import ReadCache

    now = [100.0]
    monkeypatch.setattr("api.cache.time", SimpleNamespace(monotonic=lambda: now[0]))
    cache = ReadCache(ttl=2.0)
    for i in range(200):
        cache.put(b"q%d" % i, cache.version, [{"type": "http.response.body", "body": b"x"}])

    def alive() -> int:
        return sum(cache.get(b"q%d" % i) is not None for i in range(200))

    now[0] = 100.99
    assert alive() == 200  # nothing before half the ttl
    now[0] = 101.5
    assert 40 < alive() < 160  # about half expired by three quarters of it
    now[0] = 102.01
    assert alive() == 0  # nothing after the ttl
