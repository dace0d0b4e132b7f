"""engagementTargets over HTTP: order, cursors, the changed-ranking error, the page cap,
and how many store calls a page costs."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_testkit import N_FANS, CountingStore, LiveServer, build_graph, record_run
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXTransport

from graph.embedded import EmbeddedStore

TARGETS = """
query Targets($kind: TargetKind!, $first: Int!, $after: String) {
  engagementTargets(kind: $kind, first: $first, after: $after) {
    runId
    edges {
      cursor
      node {
        rank score
        account { key platform handle displayName followers isBrand }
        customer { id name email lifetimeValue nps }
        explanation { factor contribution }
        scores { influence reach engagement brandSentiment community bridge
                 advocate influencer detractor }
      }
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def targets(server: LiveServer, kind: str, first: int, after: str | None = None
            ) -> dict[str, Any]:
    return server.graphql(TARGETS, {"kind": kind, "first": first, "after": after})


def keys(page: dict[str, Any]) -> list[str]:
    return [e["node"]["account"]["key"] for e in page["edges"]]


@pytest.mark.parametrize(("kind", "expected"), [
    ("ADVOCATE", ["twitter:danaw", "twitter:carol", "reddit:dana_w", "twitter:fan01"]),
    ("INFLUENCER", ["twitter:carol", "twitter:bob", "twitter:danaw", "reddit:dana_w"]),
    ("DETRACTOR", ["reddit:eve", "twitter:bob", "twitter:fan01", "twitter:fan02"]),
])
def test_ranking_order(server: LiveServer, graph_db: tuple[Path, str], kind: str,
                       expected: list[str]) -> None:
    body = targets(server, kind, 4)
    assert "errors" not in body
    page = body["data"]["engagementTargets"]
    assert page["runId"] == graph_db[1]
    assert keys(page) == expected
    nodes = [e["node"] for e in page["edges"]]
    assert [n["rank"] for n in nodes] == [1, 2, 3, 4]
    assert [n["score"] for n in nodes] == sorted((n["score"] for n in nodes), reverse=True)
    assert all(n["scores"][kind.lower()] == n["score"] for n in nodes)


def test_target_fields(server: LiveServer) -> None:
    top = targets(server, "ADVOCATE", 1)["data"]["engagementTargets"]["edges"][0]["node"]
    assert top["account"] == {"key": "twitter:danaw", "platform": "twitter", "handle": "danaw",
                              "displayName": "Dana W", "followers": 1500, "isBrand": False}
    assert top["customer"] == {"id": "C1", "name": "Dana Whitfield",
                               "email": "dana@example.com", "lifetimeValue": 1234.5, "nps": 9}
    assert top["explanation"] == [{"factor": "brand sentiment", "contribution": 0.3},
                                  {"factor": "customer value", "contribution": 0.2}]
    assert top["scores"]["brandSentiment"] == 0.6
    second = targets(server, "ADVOCATE", 2)["data"]["engagementTargets"]["edges"][1]["node"]
    assert second["account"]["key"] == "twitter:carol" and second["customer"] is None


def test_cursor_pagination(server: LiveServer, graph_db: tuple[Path, str]) -> None:
    first = targets(server, "ADVOCATE", 1)["data"]["engagementTargets"]
    assert keys(first) == ["twitter:danaw"]
    info = first["pageInfo"]
    assert info["hasNextPage"] is True and info["hasPreviousPage"] is False
    assert info["startCursor"] == info["endCursor"] == first["edges"][0]["cursor"]
    assert base64.urlsafe_b64decode(info["endCursor"]).decode() == f"{graph_db[1]}:advocate:1"

    second = targets(server, "ADVOCATE", 2, info["endCursor"])["data"]["engagementTargets"]
    assert keys(second) == ["twitter:carol", "reddit:dana_w"]
    assert second["pageInfo"]["hasPreviousPage"] is True

    # Walk the whole ranking: every ranked account once, in rank order, then no next page.
    seen, after = [], None
    while True:
        page = targets(server, "ADVOCATE", 17, after)["data"]["engagementTargets"]
        seen += [e["node"]["rank"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(range(1, 3 + N_FANS + 1))


def test_cursor_of_another_ranking_is_refused(server: LiveServer) -> None:
    cursor = targets(server, "ADVOCATE", 1)["data"]["engagementTargets"]["pageInfo"]["endCursor"]
    body = targets(server, "DETRACTOR", 1, cursor)
    assert body["data"] is None
    assert "belongs to the advocate ranking" in body["errors"][0]["message"]


@pytest.mark.parametrize("cursor", ["not base64!", "Zm9v", base64.b64encode(b"x:y:z").decode()])
def test_malformed_cursor_is_a_user_error(server: LiveServer, cursor: str) -> None:
    body = targets(server, "ADVOCATE", 1, cursor)
    assert body["errors"][0]["message"].startswith("invalid cursor")


@pytest.mark.parametrize("first", [101, -1])
def test_page_size_cap(server: LiveServer, first: int) -> None:
    body = targets(server, "ADVOCATE", first)
    assert body["data"] is None
    assert body["errors"][0]["message"] == f"'first' must be between 0 and 100 (got {first})"
    assert targets(server, "ADVOCATE", 100)["data"]["engagementTargets"]["edges"]


def test_ranking_changed_after_a_new_run(tmp_path: Path) -> None:
    """A cursor from an older run is refused once a newer run completes, while the
    server is running (as when 'scrm serve' runs an analysis job)."""
    from api.app import create_app

    path = tmp_path / "changing.lbdb"
    first_run = build_graph(path)
    store = EmbeddedStore(path)  # the server is the writer, as under 'scrm serve'
    app = create_app(store=store)
    try:
        with LiveServer(app) as server:
            page = targets(server, "ADVOCATE", 5)["data"]["engagementTargets"]
            assert page["runId"] == first_run
            cursor = page["pageInfo"]["endCursor"]
            assert keys(targets(server, "ADVOCATE", 1, cursor)["data"]["engagementTargets"]) \
                == ["twitter:fan03"]

            writer = store.sibling()  # a write job's own connection
            try:
                second_run = record_run(writer, reverse_fans=True)
            finally:
                writer.close()
            app.state.read_cache.clear()  # as the job runner does after every write job

            body = targets(server, "ADVOCATE", 5, cursor)
            assert body["data"] is None
            assert body["errors"][0]["message"] == (
                "the ranking changed (a new analysis run completed); start again without "
                "'after'")
            fresh = targets(server, "ADVOCATE", 5)["data"]["engagementTargets"]
            assert fresh["runId"] == second_run
            assert keys(fresh)[3] == f"twitter:fan{N_FANS:02d}"
    finally:
        store.close()


def test_with_gql_client(server: LiveServer) -> None:
    """The published schema works with a third-party client that validates queries
    against the server's introspection."""
    transport = HTTPXTransport(url=f"{server.url}/graphql", timeout=30)
    with Client(transport=transport, fetch_schema_from_transport=True) as session:
        result = session.execute(GraphQLRequest(
            TARGETS, variable_values={"kind": "INFLUENCER", "first": 2}))
        page = result["engagementTargets"]
        assert keys(page) == ["twitter:carol", "twitter:bob"]
        result = session.execute(GraphQLRequest(TARGETS, variable_values={
            "kind": "INFLUENCER", "first": 2, "after": page["pageInfo"]["endCursor"]}))
        assert keys(result["engagementTargets"]) == ["twitter:danaw", "reddit:dana_w"]
        assert session.client.schema is not None
        assert session.client.schema.get_type("TargetKind") is not None


def test_a_page_of_50_costs_a_bounded_number_of_store_calls(
        serve: Callable[..., LiveServer]) -> None:
    spies: list[CountingStore] = []

    def spy(store: Any) -> CountingStore:
        spies.append(CountingStore(store))
        return spies[-1]

    server = serve(spy)
    spies[0].reset()
    body = targets(server, "ADVOCATE", 50)
    assert "errors" not in body
    edges = body["data"]["engagementTargets"]["edges"]
    assert len(edges) == 50
    assert sum(1 for e in edges if e["node"]["customer"]) == 49  # all but carol
    calls = spies[0].calls
    assert calls == {"latest_run": 1, "ranked_accounts": 1, "customers_for_accounts": 1}, calls
    assert spies[0].total <= 5

    # Nested account scores and customer come from the same primed loaders.
    spies[0].reset()
    body = server.graphql("""{ engagementTargets(kind: DETRACTOR, first: 50) { edges { node {
        account { key scores { detractor } customer { id } } customer { name } } } } }""")
    assert "errors" not in body
    assert spies[0].total <= 5, spies[0].calls


def test_customers_come_with_the_page_however_they_are_asked_for(
        serve: Callable[..., LiveServer]) -> None:
    """A page asking for customers (directly, through a fragment, or only under the
    account) reads them with the ranking; one that does not, never reads them."""
    spies: list[CountingStore] = []

    def spy(store: Any) -> CountingStore:
        spies.append(CountingStore(store))
        return spies[-1]

    server = serve(spy)
    direct = server.graphql("""{ engagementTargets(kind: ADVOCATE, first: 5) { edges { node {
        account { key } customer { id name } } } } }""")
    expected = [(e["node"]["account"]["key"], e["node"]["customer"])
                for e in direct["data"]["engagementTargets"]["edges"]]
    assert expected[0] == ("twitter:danaw", {"id": "C1", "name": "Dana Whitfield"})
    assert expected[1] == ("twitter:carol", None)
    for query in (
        """fragment T on EngagementTarget { account { key } customer { id name } }
           { engagementTargets(kind: ADVOCATE, first: 5) { edges { node { ...T } } } }""",
        """{ engagementTargets(kind: ADVOCATE, first: 5) { edges { node { account { key }
             ... on EngagementTarget { who: customer { id name } } } } } }""",
        """{ engagementTargets(kind: ADVOCATE, first: 5) { edges { node {
             account { key customer { id name } } } } } }""",
    ):
        spies[0].reset()
        body = server.graphql(query)
        assert "errors" not in body, body
        got = []
        for e in body["data"]["engagementTargets"]["edges"]:
            node = e["node"]
            customer = node.get("customer", node.get("who", node["account"].get("customer")))
            got.append((node["account"]["key"], customer))
        assert got == expected
        assert spies[0].calls.get("customers_for_accounts") == 1, spies[0].calls
    spies[0].reset()
    server.graphql("{ engagementTargets(kind: ADVOCATE, first: 5) { edges { node { rank } } } }")
    assert "customers_for_accounts" not in spies[0].calls


def test_concurrent_requests_share_the_store_safely(server: LiveServer) -> None:
    """Many simultaneous requests: every store call is serialised on the store thread."""
    import asyncio

    async def many() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            return await asyncio.gather(*(
                client.post("/graphql", json={"query": TARGETS, "variables": {
                    "kind": ("ADVOCATE", "INFLUENCER", "DETRACTOR")[i % 3], "first": 30}})
                for i in range(24)))

    responses = asyncio.run(many())
    assert all(r.status_code == 200 and "errors" not in r.json() for r in responses)
    assert {len(r.json()["data"]["engagementTargets"]["edges"]) for r in responses} == {30}
