"""engagementTargets(kind: LOOKALIKE) through a real server on the analyzed demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_testkit import LiveServer

from graph.embedded import EmbeddedStore

LOOKALIKES = """query($first: Int!, $after: String, $platform: String) {
  engagementTargets(kind: LOOKALIKE, first: $first, after: $after, platform: $platform) {
    edges { cursor node { kind rank score account { key } explanation { factor contribution }
                          customer { id } } }
    pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture(scope="module")
def server(demo_template: Path) -> Iterator[LiveServer]:
    from api.app import create_app

    store = EmbeddedStore(demo_template, read_only=True)
    app = create_app(store=store)
    with LiveServer(app) as live:
        live.runner = app.state.store_runner  # type: ignore[attr-defined]
        yield live
    store.close()


def test_lookalike_prospects_page_with_reasons(server: LiveServer) -> None:
    first = server.graphql(LOOKALIKES, {"first": 5})
    assert "errors" not in first, first
    page = first["data"]["engagementTargets"]
    nodes = [e["node"] for e in page["edges"]]
    assert [n["rank"] for n in nodes] == [1, 2, 3, 4, 5]
    assert all(n["kind"] == "LOOKALIKE" and n["customer"] is None for n in nodes)
    assert nodes[0]["explanation"] and page["pageInfo"]["hasNextPage"]
    after = server.graphql(LOOKALIKES, {"first": 5, "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["rank"] for e in after["data"]["engagementTargets"]["edges"]] == [
        6, 7, 8, 9, 10]
    refused = server.graphql(LOOKALIKES, {"first": 5, "platform": "twitter"})
    assert "filters do not apply" in refused["errors"][0]["message"]


def test_the_ranking_is_computed_once_until_content_is_written(server: LiveServer) -> None:
    runner = server.runner  # type: ignore[attr-defined]
    seen = runner.memo_misses.get("lookalikes", 0)
    ranks = []
    for first in (3, 4):  # different pages (not the read cache): one computation
        page = server.graphql(LOOKALIKES, {"first": first})["data"]["engagementTargets"]
        ranks.append([e["node"]["rank"] for e in page["edges"]])
    assert ranks == [[1, 2, 3], [1, 2, 3, 4]]
    assert runner.memo_misses["lookalikes"] <= seen + 1
    runner.forget_latest_run(frozenset({"care"}))  # a note or an assignment: kept
    server.graphql(LOOKALIKES, {"first": 6})
    kept = runner.memo_misses["lookalikes"]
    assert kept <= seen + 1
    runner.forget_latest_run(frozenset({"content"}))  # posts, links, a run: computed again
    again = server.graphql(LOOKALIKES, {"first": 7})["data"]["engagementTargets"]
    assert [e["node"]["rank"] for e in again["edges"]] == list(range(1, 8))
    assert runner.memo_misses["lookalikes"] == kept + 1
