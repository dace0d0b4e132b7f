"""Abuse: property-based fuzzing over real HTTP (hypothesis-graphql over the schema, and
hypothesis over raw bodies). Properties: no 5xx answer, no leaked internals (no traceback,
no Python type or file names). Bounded to about 30 s in all."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from api_testkit import LiveServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_kit import KEYS, WRITE_KEY, bearer

hypothesis_graphql = pytest.importorskip(
    "hypothesis_graphql", reason="GraphQL fuzzing needs hypothesis-graphql (dev extra)")
from graphql import StringValueNode  # noqa: E402

LEAKS = re.compile(r"Traceback|File \"|\.py\b|<class |\b[A-Z][A-Za-z]+(Error|Exception)\b"
                   r"|\bNoneType\b|\b(?:dict|list|tuple|str|int)\(")
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SCALARS = {
    "DateTime": st.sampled_from(["2024-03-01T10:00:00Z", "not a time", ""]).map(
        lambda v: StringValueNode(value=v)),
    "Date": st.sampled_from(["2024-03-01", "2024-13-45", ""]).map(
        lambda v: StringValueNode(value=v)),
    "JSON": st.just(StringValueNode(value="{}")),
}


def _check(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text[:500]
    assert not LEAKS.search(answer.text), answer.text[:500]


@pytest.fixture(scope="module")
def target(serve: Callable[..., LiveServer]) -> tuple[LiveServer, httpx.Client]:
    server = serve(api_keys=KEYS)
    return server, httpx.Client(base_url=server.url, headers=bearer(WRITE_KEY), timeout=30)


def _schema_text() -> str:
    from api.schema import schema

    return str(schema)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["POSITIVE", "NEGATIVE"])
def test_generated_operations_never_5xx_or_leak(target: tuple[LiveServer, httpx.Client],
                                                mode: str) -> None:
    from hypothesis_graphql import Mode, from_schema

    _server, client = target
    strategy = from_schema(_schema_text(), custom_scalars=SCALARS, mode=Mode[mode])

    @FUZZ
    @given(document=strategy)
    def run(document: Any) -> None:
        _check(client.post("/graphql", json={"query": document}))

    run()


JSONS = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), JSONS.map(lambda v: __import__("json").dumps(
    v).encode())), path=st.sampled_from(["/graphql", "/jobs", "/health", "/explore"]))
def test_raw_bodies_never_5xx_or_leak(target: tuple[LiveServer, httpx.Client], body: bytes,
                                      path: str) -> None:
    _server, client = target
    _check(client.post(path, content=body, headers={"content-type": "application/json"}))
