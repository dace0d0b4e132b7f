"""conversation(id): the thread as a tree, through the real server."""

from __future__ import annotations

from api_testkit import LiveServer

QUERY = """query($id: ID!) { conversation(id: $id) {
  id truncated posts { postId parentId depth kind text sentiment author { handle isBrand } } } }"""


def test_thread_tree_in_depth_first_order(server: LiveServer) -> None:
    data = server.graphql(QUERY, {"id": "twitter:tw1"})["data"]["conversation"]
    order = [(p["postId"], p["depth"]) for p in data["posts"]]
    # tw1 ← tw2 (the brand), tw3 ← tw6: siblings oldest first, each subtree before the next
    assert order == [("twitter:tw1", 0), ("twitter:tw2", 1), ("twitter:tw3", 1),
                     ("twitter:tw6", 2)]
    by_id = {p["postId"]: p for p in data["posts"]}
    assert by_id["twitter:tw2"]["author"]["handle"] == "acme"
    assert by_id["twitter:tw1"]["parentId"] is None
    assert by_id["twitter:tw6"]["parentId"] == "twitter:tw3"
    assert data["truncated"] is False


def test_unknown_conversation_is_null_and_limit_is_checked(server: LiveServer) -> None:
    assert server.graphql(QUERY, {"id": "twitter:nope"})["data"]["conversation"] is None
    bad = server.graphql('{ conversation(id: "twitter:tw1", limit: 0) { id } }')
    assert bad["errors"][0]["message"] == "limit must be between 1 and 5000"
