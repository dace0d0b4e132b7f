"""linkAccount / unlinkAccount through a real server on a writable store."""

from __future__ import annotations

from pathlib import Path

from api_testkit import LiveServer, build_graph

from graph.embedded import EmbeddedStore

LINK = """mutation($c: ID!, $p: String!, $h: String!) {
  linkAccount(customerId: $c, platform: $p, handle: $h) { id accounts { key linkMethod } } }"""
UNLINK = """mutation($c: ID!, $p: String!, $h: String!) {
  unlinkAccount(customerId: $c, platform: $p, handle: $h) }"""


def test_link_and_unlink_persist_as_decisions(tmp_path: Path) -> None:
    from api.app import create_app

    path = tmp_path / "graph.lbdb"
    build_graph(path)
    store = EmbeddedStore(path)
    with LiveServer(create_app(store=store)) as server:
        linked = server.graphql(LINK, {"c": "C1", "p": "twitter", "h": "@Carol"})
        assert "errors" not in linked, linked
        methods = {a["key"]: a["linkMethod"] for a in linked["data"]["linkAccount"]["accounts"]}
        assert methods["twitter:carol"] == "manual"
        unlinked = server.graphql(UNLINK, {"c": "C1", "p": "twitter", "h": "carol"})
        assert unlinked["data"]["unlinkAccount"] is True
        missing = server.graphql(LINK, {"c": "NOPE", "p": "twitter", "h": "carol"})
        assert missing["errors"][0]["message"] == "no customer NOPE"
    decisions = store.decision_frame()
    store.close()
    assert decisions.set_index("account_key").loc["twitter:carol", "decision"] == "reject"


def test_a_read_only_server_says_so(server: LiveServer) -> None:
    result = server.graphql(LINK, {"c": "C1", "p": "twitter", "h": "carol"})
    assert result["errors"][0]["message"].startswith("this server is read-only")
