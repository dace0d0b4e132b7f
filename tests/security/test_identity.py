"""Access: a hand-made link names a well-formed handle of a stored account (GraphQL)."""

from __future__ import annotations

from pathlib import Path

import httpx
from api_testkit import LiveServer, build_graph

from graph.config import Settings
from graph.embedded import EmbeddedStore

LINK = ('mutation($p: String!, $h: String!) { linkAccount(customerId: "C1", platform: $p, '
        'handle: $h) { id } }')


def test_link_account_refuses_empty_malformed_and_phantom_accounts(tmp_path: Path) -> None:
    from api.app import create_app

    db = tmp_path / "graph.lbdb"
    build_graph(db)
    store = EmbeddedStore(db)
    try:
        with LiveServer(create_app(store=store, settings=Settings(db=db))) as server:
            for platform, handle, why in (("", "", "not a platform"),
                                          ("twitter", "", "not a twitter handle"),
                                          ("twitter", "has space", "not a twitter handle"),
                                          ("reddit", "x", "not a reddit handle"),
                                          ("twitter", "nosuchhandle", "no account")):
                answer = httpx.post(server.url + "/graphql", json={
                    "query": LINK, "variables": {"p": platform, "h": handle}}).json()
                assert why in answer["errors"][0]["message"], (platform, handle, answer)
            ok = httpx.post(server.url + "/graphql", json={
                "query": LINK, "variables": {"p": "twitter", "h": "@Bob"}}).json()
            assert ok["data"]["linkAccount"]["id"] == "C1", ok
        assert store.get_account("twitter:nosuchhandle") is None
        assert store.get_account("twitter:") is None and store.get_account(":") is None
    finally:
        store.close()
