"""The care workflow (assign, note, respond, resolve, reopen) through a real server on a
writable copy of the analyzed demo database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_testkit import LiveServer

from graph.embedded import EmbeddedStore

QUEUE = """query($status: CareStatus, $assignee: String, $team: String) {
  careQueue(first: 100, status: $status, assignee: $assignee, team: $team) {
    total edges { node { conversationId postId status assignee team waitingSince
                         author { key } notes { author text } } } } }"""
CASE = """query($id: ID!) { careCase(conversationId: $id) {
  conversationId status assignee team resolvedAt notes { author text createdAt }
  conversation { posts { postId kind text author { key isBrand } } } } }"""
ASSIGN = """mutation($id: ID!, $who: String!, $team: String) {
  assignConversation(conversationId: $id, assignee: $who, team: $team) {
    status assignee team updatedAt } }"""
NOTE = """mutation($id: ID!, $who: String!, $text: String!) {
  addNote(conversationId: $id, author: $who, text: $text) { id author text createdAt } }"""
RESPOND = """mutation($id: ID!, $text: String!, $public: Boolean!, $to: ID) {
  recordResponse(conversationId: $id, text: $text, public: $public, replyTo: $to) {
    post { postId parentId kind text author { key isBrand } }
    careCase { status } } }"""
RESOLVE = """mutation($id: ID!, $note: String, $who: String) {
  resolveConversation(conversationId: $id, note: $note, author: $who) {
    status resolvedAt notes { text } } }"""
REOPEN = """mutation($id: ID!) { reopenConversation(conversationId: $id) { status assignee } }"""
TIMELINE = """query($c: ID!) { customer(id: $c) { interactions(first: 5,
  filter: {directions: [REPLY_RECEIVED]}) { edges { node { postId kind isBrandResponse
  counterpart { key } } } } } }"""


@pytest.fixture
def server(demo_copy: Path) -> Iterator[LiveServer]:
    from api.app import create_app

    store = EmbeddedStore(demo_copy)
    with LiveServer(create_app(store=store)) as live:
        yield live
    store.close()


def _queue(server: LiveServer, **variables: Any) -> list[dict[str, Any]]:
    return [e["node"] for e in server.data(QUEUE, **variables)["careQueue"]["edges"]]


def test_assign_note_and_filter(server: LiveServer) -> None:
    items = _queue(server)
    assert items and all(i["status"] == "OPEN" and i["assignee"] is None for i in items)
    first = items[0]["conversationId"]
    assigned = server.data(ASSIGN, id=first, who="ana", team="PR")["assignConversation"]
    assert assigned == {"status": "ASSIGNED", "assignee": "ana", "team": "pr",
                        "updatedAt": assigned["updatedAt"]}
    server.data(NOTE, id=first, who="ana", text="Called him, waiting for the serial number")
    mine = _queue(server, assignee="ana")
    assert [i["conversationId"] for i in mine] == [first]
    assert mine[0]["team"] == "pr" and mine[0]["status"] == "ASSIGNED"
    # the author a client sends is ignored: a server without keys records "anonymous"
    assert mine[0]["notes"] == [{"author": "anonymous",
                                 "text": "Called him, waiting for the serial number"}]
    assert first in {i["conversationId"] for i in _queue(server, team="pr")}
    assert first not in {i["conversationId"] for i in _queue(server, status="OPEN")}
    case = server.data(CASE, id=first)["careCase"]
    assert case["status"] == "ASSIGNED" and len(case["notes"]) == 1
    audit = server.data("query($id: ID!) { careCase(conversationId: $id) { audit { actor "
                "action summary customerId } } }", id=first)["careCase"]["audit"]
    assert [(e["actor"], e["action"], e["summary"]) for e in audit] == [
        ("anonymous", "note", "note: Called him, waiting for the serial number"),
        ("anonymous", "assign", "assigned to ana, team pr")]
    assert case["conversation"]["posts"]


def test_resolve_hides_until_reopened(server: LiveServer) -> None:
    items = _queue(server)
    total = server.data(QUEUE)["careQueue"]["total"]
    target = items[1]["conversationId"]
    resolved = server.data(RESOLVE, id=target, note="Refund issued", who="bo")
    assert resolved["resolveConversation"]["status"] == "RESOLVED"
    assert resolved["resolveConversation"]["notes"] == [{"text": "Refund issued"}]
    after = _queue(server)
    assert target not in {i["conversationId"] for i in after}
    assert server.data(QUEUE)["careQueue"]["total"] == total - 1
    assert server.data(CASE, id=target)["careCase"]["status"] == "RESOLVED"
    assert server.data(REOPEN, id=target)["reopenConversation"] == {"status": "OPEN",
                                                                    "assignee": None}
    assert target in {i["conversationId"] for i in _queue(server)}


def test_a_response_joins_the_history_and_stops_the_wait(server: LiveServer) -> None:
    items = _queue(server)
    item = next(i for i in items if i["conversationId"].startswith("twitter:"))
    conversation, author = item["conversationId"], item["author"]["key"]
    recorded = server.data(RESPOND, id=conversation, text="So sorry! DM us your order number.",
                   public=True, to=item["postId"])["recordResponse"]
    post = recorded["post"]
    assert post["parentId"] == item["postId"]
    assert post["kind"] == "reply" and post["author"]["isBrand"]
    assert post["author"]["key"] == "twitter:brightloop"
    assert conversation not in {i["conversationId"] for i in _queue(server)}
    thread = server.data(CASE, id=conversation)["careCase"]["conversation"]["posts"]
    assert post["postId"] in {p["postId"] for p in thread}
    # the answer is in the customer's timeline as a brand response, when they are a customer
    with_customer = server.graphql("""query($k: String!) { account(platform: "twitter",
        handle: $k) { customer { id } } }""", {"k": author.split(":", 1)[1]})
    customer = with_customer["data"]["account"]["customer"]
    if customer:
        timeline = server.data(TIMELINE, c=customer["id"])["customer"]["interactions"]["edges"]
        newest = timeline[0]["node"]
        assert newest["postId"] == post["postId"] and newest["isBrandResponse"]
    other = next(i for i in items if i["conversationId"] != conversation)
    private = server.data(RESPOND, id=other["conversationId"], text="Sent you a DM",
                  public=False)["recordResponse"]
    assert private["post"]["kind"] == "private_reply"
    assert private["post"]["parentId"] is not None


def test_bad_requests_are_explained(server: LiveServer) -> None:
    missing = server.graphql(ASSIGN, {"id": "twitter:nope", "who": "ana"})
    assert missing["errors"][0]["message"] == "no conversation 'twitter:nope'"
    conversation = _queue(server)[0]["conversationId"]
    empty = server.graphql(NOTE, {"id": conversation, "who": "ana", "text": "   "})
    assert empty["errors"][0]["message"] == "text must not be empty"
    resolved = server.graphql(QUEUE, {"status": "RESOLVED"})
    assert "careCase" in resolved["errors"][0]["message"]
    assert server.data(CASE, id="twitter:nope")["careCase"] is None


def test_read_only_server_refuses_care_changes(demo_template: Path) -> None:
    from api.app import create_app

    store = EmbeddedStore(demo_template, read_only=True)
    try:
        with LiveServer(create_app(store=store)) as live:
            conversation = _queue(live)[0]["conversationId"]
            result = live.graphql(ASSIGN, {"id": conversation, "who": "ana"})
            assert result["errors"][0]["message"].startswith("this server is read-only")
    finally:
        store.close()
