"""Abuse: per-key rate limits (429 with Retry-After), and a request past its timeout
starts no more store work."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from api_testkit import LiveServer
from security_kit import KEYS, READ_KEY, WRITE_KEY, bearer

from graph.config import Settings
from graph.embedded import EmbeddedStore

QUERY = {"query": "{ latestRun { runId } }"}


def test_each_key_has_its_own_rate_limit(serve: Callable[..., LiveServer]) -> None:
    server = serve(api_keys=KEYS, rate_limit_per_minute=6, rate_limit_burst=5)
    with httpx.Client(base_url=server.url) as client:
        codes = [client.post("/graphql", json=QUERY, headers=bearer(READ_KEY)).status_code
                 for _ in range(8)]
        assert codes[:5] == [200] * 5 and 429 in codes[5:]
        limited = client.post("/graphql", json=QUERY, headers=bearer(READ_KEY))
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert "Traceback" not in limited.text
        # another key is not held back by the first one's burst
        assert client.post("/graphql", json=QUERY, headers=bearer(WRITE_KEY)).status_code == 200
    open_server = serve(rate_limit_per_minute=6, rate_limit_burst=3)  # one more every 10 s
    codes = [httpx.post(open_server.url + "/graphql", json=QUERY).status_code
             for _ in range(5)]
    assert codes[:3] == [200] * 3 and codes[-1] == 429


class SlowStore:
    """A real store whose every call takes 0.3 s longer, counting them."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self.calls = 0
        self.backend = "neo4j"  # so every call goes to the store thread (none inline)
        self.location = store.location

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            time.sleep(0.3)
            return target(*args, **kwargs)

        return call


def test_a_request_past_its_timeout_starts_no_more_store_calls(
        graph_db: tuple[Path, str]) -> None:
    from api.app import create_app

    store = EmbeddedStore(graph_db[0], read_only=True)
    slow = SlowStore(store)
    try:
        app = create_app(store=slow, settings=Settings(db=graph_db[0], query_timeout=0.5,
                                                       read_cache_seconds=0))
        with LiveServer(app) as server:
            document = "{ " + " ".join(
                f'c{i}: conversation(id: "twitter:tw1") {{ id }}' for i in range(8)) + " }"
            slow.calls = 0
            answer = httpx.post(server.url + "/graphql", json={"query": document}, timeout=30)
            assert "took longer than 0.5 s" in answer.text
            time.sleep(1.0)  # anything still queued would have run by now
            assert slow.calls <= 3, slow.calls  # not 8
    finally:
        store.close()
