"""Abuse: the cost limit counts what a query will do, and refuses it before it runs."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from api_testkit import LiveServer

FAN = ("a{i}: engagementTargets(kind: ADVOCATE, first: 100) {{ edges {{ node {{ account {{ "
       "interactions(first: 100) {{ edges {{ node {{ text postId time }} }} }} }} }} }} }}")


def test_alias_fan_out_of_timelines_is_refused_before_it_runs(
        serve: Callable[..., LiveServer]) -> None:
    server = serve()
    document = "{ " + " ".join(FAN.format(i=i) for i in range(30)) + " }"
    started = time.monotonic()
    answer = httpx.post(server.url + "/graphql", json={"query": document}, timeout=60)
    assert time.monotonic() - started < 2.0
    body = answer.json()
    assert body.get("data") is None
    assert "would cost about" in body["errors"][0]["message"]
    assert len(answer.content) < 2_000
    network = ("network(limit: 2000) { nodes { id handle platform displayName } "
               "edges { source target weight } }")
    for expensive in ("{ q: careQueue(first: 100) { edges { node { conversationId notes "
                      "{ text } } } } " + " ".join(f"n{i}: {network}" for i in range(5)) + " }",
                      "query($n: Int!) { " + " ".join(
                          f"x{i}: engagementTargets(kind: ADVOCATE, first: $n) {{ edges {{ node "
                          f"{{ account {{ interactions(first: $n) {{ edges {{ node {{ text }} "
                          f"}} }} }} }} }} }}" for i in range(3)) + " }"):
        refused = httpx.post(server.url + "/graphql", json={
            "query": expensive, "variables": {"n": 100}}).json()
        assert "would cost about" in refused["errors"][0]["message"], refused
    one = httpx.post(server.url + "/graphql", json={"query": "{ " + FAN.format(i=0) + " }"})
    assert "errors" not in one.json(), one.text
