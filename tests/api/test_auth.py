"""API keys with roles, through a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_testkit import LiveServer

from api.auth import ApiKey, is_mutation, parse_keys
from graph.config import Settings
from graph.embedded import EmbeddedStore

QUERY = {"query": "{ latestRun { runId } }"}
MUTATION = {"query": "mutation { forget(id: \"x\") }"}


@pytest.fixture(scope="module")
def secured(graph_db: tuple[Path, str]) -> Iterator[str]:
    from api.app import create_app

    store = EmbeddedStore(graph_db[0], read_only=True)
    settings = Settings(api_keys="reader-key:read,writer-key:write", public_graphiql=True)
    with LiveServer(create_app(store=store, settings=settings)) as server:
        yield server.url
    store.close()


def test_no_key_is_refused_but_health_and_ui_pages_are_public(secured: str) -> None:
    refused = httpx.post(secured + "/graphql", json=QUERY)
    assert refused.status_code == 401 and "API key" in refused.json()["error"]
    assert httpx.post(secured + "/graphql", json=QUERY,
                      headers={"X-API-Key": "wrong"}).status_code == 401
    assert httpx.get(secured + "/health").status_code == 200
    page = httpx.get(secured + "/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert httpx.get(secured + "/explore").status_code == 200
    assert httpx.get(secured + "/explore/data").status_code == 401


def test_a_key_with_non_ascii_bytes_is_refused_not_an_error(secured: str) -> None:
    refused = httpx.post(secured + "/graphql", json=QUERY, headers={"X-API-Key": b"r\xe9ader"})
    assert refused.status_code == 401 and "API key" in refused.json()["error"]
    bearer = httpx.post(secured + "/graphql", json=QUERY,
                        headers={"Authorization": b"Bearer \xc3\xa9"})
    assert bearer.status_code == 401


def test_read_key_reads_and_cannot_write(secured: str) -> None:
    ok = httpx.post(secured + "/graphql", json=QUERY,
                    headers={"Authorization": "Bearer reader-key"})
    assert ok.status_code == 200 and "errors" not in ok.json()
    denied = httpx.post(secured + "/graphql", json=MUTATION, headers={"X-API-Key": "reader-key"})
    assert denied.status_code == 403
    job = httpx.post(secured + "/jobs", json={"kind": "analyze"},
                     headers={"X-API-Key": "reader-key"})
    assert job.status_code == 403


def test_write_key_passes_to_the_api(secured: str) -> None:
    mutation = httpx.post(secured + "/graphql", json=MUTATION,
                          headers={"X-API-Key": "writer-key"})
    assert mutation.status_code in (200, 400)  # reaches GraphQL (no such mutation here)
    job = httpx.post(secured + "/jobs", json={"kind": "analyze"},
                     headers={"X-API-Key": "writer-key"})
    assert job.status_code == 503  # this test server holds no writer: said plainly


def test_key_spec_and_mutation_detection() -> None:
    assert parse_keys("a:read, b:write,c") == {"a": ApiKey("key-1", "viewer"),
                                               "b": ApiKey("key-2", "agent"),
                                               "c": ApiKey("key-3", "viewer")}
    assert parse_keys("crm-sync:k1:manager,ops:k2:admin") == {
        "k1": ApiKey("crm-sync", "manager"), "k2": ApiKey("ops", "admin")}
    for wrong in ("a:admin", "n:k:owner", "n::agent", "a:b:c:d"):
        with pytest.raises(ValueError, match="name:key:role"):
            parse_keys(wrong)
    assert is_mutation(b'{"query": "mutation M { x }"}')
    assert not is_mutation(b'{"query": "query { mutation: latestRun { runId } }"}')
    assert not is_mutation(b"not json")
