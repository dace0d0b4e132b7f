"""Abuse: sizes are checked before anything parses a request."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
from api_testkit import LiveServer


def test_a_body_above_the_limit_gets_413(serve: Callable[..., LiveServer]) -> None:
    small = serve(max_body_bytes=10_000)
    big = {"query": "{ latestRun { runId } }", "variables": {"pad": "x" * 20_000}}
    answer = httpx.post(small.url + "/graphql", json=big)
    assert answer.status_code == 413 and answer.json()["errors"][0]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
        for _ in range(30):
            yield b"x" * 1000

    streamed = httpx.post(small.url + "/graphql", content=chunks(),
                          headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_a_huge_query_document_is_refused_without_parsing(
        serve: Callable[..., LiveServer]) -> None:
    server = serve(max_body_bytes=5_000_000, max_query_chars=10_000)
    document = "{ " + " ".join(f"a{i}: latestRun {{ runId }}" for i in range(40_000)) + " }"
    assert len(document) > 1_000_000
    started = time.monotonic()
    answer = httpx.post(server.url + "/graphql", json={"query": document}, timeout=60)
    assert answer.status_code == 413
    assert time.monotonic() - started < 2.0
    get = httpx.get(server.url + "/graphql", params={"query": document[:30_000]})
    assert get.status_code == 413
    # the server answers normally right after
    ok = httpx.post(server.url + "/graphql", json={"query": "{ latestRun { runId } }"})
    assert ok.status_code == 200 and "errors" not in ok.json()


def test_deep_json_is_a_json_400_not_a_500(serve: Callable[..., LiveServer]) -> None:
    server = serve()
    nested = '{"query": "{ latestRun { runId } }", "variables": {"a": ' + "[" * 990 + \
        "]" * 990 + "}}"
    answer = httpx.post(server.url + "/graphql", content=nested,
                        headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert "nests deeper" in answer.json()["errors"][0]["message"]
    hopeless = "[" * 5000
    answer = httpx.post(server.url + "/graphql", content=hopeless,
                        headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.headers["content-type"].startswith(
        "application/json")
