"""The plain-field fast path (api.execution) answers exactly what graphql-core answers:
the same data and the same errors at the same paths, on the real schema and store."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.context import Context, StoreRunner
from api.execution import PlainFieldsExecution
from api.schema import schema
from graph.embedded import EmbeddedStore

ACCOUNT = "fragment A on Account { key platform handle displayName followers isBrand __typename }"

DIRECTIVES = """query($full: Boolean!) { engagementTargets(kind: INFLUENCER, first: 5) {
  edges { node { rank account { key handle @include(if: $full) followers @skip(if: $full) } } }
} }"""

QUERIES: list[tuple[str, dict[str, Any]]] = [
    (ACCOUNT + """
     query($first: Int!) { top: engagementTargets(kind: ADVOCATE, first: $first) {
       runId edges { cursor node { kind rank score explanation { factor contribution }
         account { ...A scores { runId influence reach advocate advocateRank community } }
         customer { id name email lifetimeValue nps signupDate company } } }
       pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
       detractors: engagementTargets(kind: DETRACTOR, first: 3) {
         edges { node { rank account { handle } } } } }""", {"first": 50}),
    (ACCOUNT + """
     query($id: ID!) { customer(id: $id) { id name email lifetimeValue nps signupDate location
       purchases { orderId amount purchasedAt }
       accounts { key linkConfidence linkMethod linkEvidence account { ...A } }
       interactions(first: 20) { edges { cursor node { postId time platform kind direction
         text sentiment subjectKey conversationId url isBrandResponse
         counterpart { ...A } } } pageInfo { hasNextPage endCursor } } } }""", {"id": "C1"}),
    ("""query { conversation(id: "twitter:tw1") { id truncated posts { postId parentId depth
         time kind text title sentiment url author { key handle } } } }""", {}),
    ("""query { network(depth: 2, limit: 50) { totalNodes truncated runId
         nodes { id handle platform displayName kind community influence advocate
                 influencer detractor bridge followers customerId isCenter }
         edges { source target weight sentiment } }
       communities { runId modularity total communities { id size internalInteractions
         externalInteractions meanBrandSentiment topMembers { key } bridges { key } } }
       latestRun { runId startedAt finishedAt status params stats error } }""", {}),
    # directives: the selection depends on the variables, so nothing is shared between them
    (DIRECTIVES, {"full": True}),
    (DIRECTIVES, {"full": False}),
]


def _execute(store: EmbeddedStore, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        runner = StoreRunner(store)
        try:
            result = await schema.execute(query, variable_values=variables,
                                          context_value=Context(runner))
        finally:
            runner.shutdown()
        assert not result.errors, result.errors
        return result.data or {}
    return asyncio.run(run())


@pytest.mark.parametrize("number", range(len(QUERIES)))
def test_the_fast_path_answers_what_graphql_core_answers(
        graph_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, number: int) -> None:
    query, variables = QUERIES[number]
    store = EmbeddedStore(graph_db[0], read_only=True)
    try:
        assert schema.execution_context_class is PlainFieldsExecution
        fast = _execute(store, query, variables)
        fast_again = _execute(store, query, variables)  # plans shared with the first
        with monkeypatch.context() as patch:
            patch.setattr(schema, "execution_context_class",
                          StrawberryGraphQLCoreExecutionContext)
            reference = _execute(store, query, variables)
    finally:
        store.close()
    assert fast == reference
    assert fast_again == reference
    assert any(v for v in reference.values()), "the query should answer something"


def test_directives_follow_each_request_variables(graph_db: tuple[Path, str]) -> None:
    store = EmbeddedStore(graph_db[0], read_only=True)
    try:
        with_handle = _execute(store, *QUERIES[4])
        without = _execute(store, *QUERIES[5])
    finally:
        store.close()
    first = with_handle["engagementTargets"]["edges"][0]["node"]["account"]
    assert set(first) == {"key", "handle"}
    assert set(without["engagementTargets"]["edges"][0]["node"]["account"]) == {
        "key", "followers"}


# ---------------------------------------------------------- errors, on a tiny schema
@strawberry.type
class Item:
    name: str
    tags: list[str]
    count: int
    note: str | None = None


@strawberry.type
class Box:
    items: list[Item]
    first: Item


BAD_ITEMS: list[Any] = [
    Item(name="fine", tags=["a"], count=1),
    Item(name=None, tags=["b"], count=2),  # type: ignore[arg-type]  # null for String!
    Item(name="odd", tags=["c", None], count=3),  # type: ignore[list-item]
    Item(name="float", tags=[], count=2.5),  # type: ignore[arg-type]  # not an Int
]


@strawberry.type
class TinyQuery:
    @strawberry.field
    def box(self) -> Box:
        return Box(items=BAD_ITEMS, first=BAD_ITEMS[1])

    @strawberry.field
    def good(self) -> list[Item]:
        return [Item(name=f"n{i}", tags=["x", "y"], count=i) for i in range(50)]


def _tiny(execution: type[Any], query: str) -> tuple[Any, list[tuple[str, Any]]]:
    tiny = strawberry.Schema(query=TinyQuery, execution_context_class=execution)
    result = tiny.execute_sync(query)
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


@pytest.mark.parametrize("query", [
    "{ box { items { name tags count note } } }",
    "{ box { first { name } } }",
    "{ box { items { count } first { count tags } } }",
])
def test_bad_values_get_graphql_cores_errors_at_the_same_paths(query: str) -> None:
    fast = _tiny(PlainFieldsExecution, query)
    reference = _tiny(StrawberryGraphQLCoreExecutionContext, query)
    assert fast == reference
    assert reference[1], "each of these queries meets a bad value"


def test_plain_fields_skip_the_per_field_machinery(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = PlainFieldsExecution.execute_field

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PlainFieldsExecution, "execute_field", counted)
    data, errors = _tiny(PlainFieldsExecution, "{ good { name tags count __typename } }")
    assert not errors
    assert len(data["good"]) == 50 and data["good"][7] == {
        "name": "n7", "tags": ["x", "y"], "count": 7, "__typename": "Item"}
    assert calls["n"] == 1  # the resolver field only; graphql-core's path makes 201
