"""Access: no query runs without a key when keys are on, on any transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from api_testkit import LiveServer
from security_kit import READ_KEY, WRITE_KEY, bearer

QUERY = "{ customer(id: \"C1\") { name } }"


def test_graphiql_page_is_public_but_a_get_query_with_html_accept_needs_a_key(
        keyed: LiveServer) -> None:
    html = {"Accept": "text/html"}
    page = httpx.get(keyed.url + "/graphql", headers=html)
    assert page.status_code == 200 and "<html" in page.text.lower()
    attack = httpx.get(keyed.url + "/graphql", params={"query": QUERY}, headers=html)
    assert attack.status_code == 401
    assert "Dana" not in attack.text
    keyed_get = httpx.get(keyed.url + "/graphql", params={"query": QUERY},
                          headers=bearer(READ_KEY))
    assert keyed_get.status_code == 200 and "Dana" in keyed_get.text


def test_health_tells_only_up_without_a_key(serve: Callable[..., LiveServer],
                                            keyed: LiveServer) -> None:
    assert httpx.get(keyed.url + "/health").json() == {"status": "ok"}
    full = httpx.get(keyed.url + "/health", headers=bearer(READ_KEY)).json()
    assert "counts" in full and full["latest_run_id"]
    private = serve(public_graphiql=False)
    assert httpx.get(private.url + "/health").json() == {"status": "ok"}


def test_unknown_host_is_refused(serve: Callable[..., LiveServer], keyed: LiveServer) -> None:
    rebinding = httpx.get(keyed.url + "/health", headers={"Host": "attacker.example"})
    assert rebinding.status_code == 400 and "SCRM_ALLOWED_HOSTS" in rebinding.text
    assert httpx.get(keyed.url + "/health", headers={"Host": "localhost:1"}).status_code == 200
    listed = serve(allowed_hosts="scrm.internal")
    assert httpx.get(listed.url + "/health",
                     headers={"Host": "scrm.internal:8000"}).status_code == 200
    assert httpx.get(listed.url + "/health").status_code == 200  # loopback names always
    assert httpx.get(listed.url + "/health",
                     headers={"Host": "attacker.example"}).status_code == 400


def _ws_exchange(url: str, headers: dict[str, str], document: str) -> dict[str, Any]:
    from websockets.sync.client import connect

    ws_url = url.replace("http://", "ws://") + "/graphql"
    with connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                 additional_headers=headers, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
        answer: dict[str, Any] = json.loads(ws.recv(timeout=10))
        return answer


MUTATION = ('mutation { linkAccount(customerId: "C1", platform: "twitter", '
            'handle: "bob") { id } }')


def test_websocket_needs_a_key_and_a_write_key_to_mutate(keyed: LiveServer) -> None:
    pytest.importorskip("websockets", reason="the WebSocket transport test needs websockets")
    from websockets.exceptions import InvalidStatus

    for document in (QUERY, MUTATION):
        with pytest.raises(InvalidStatus):
            _ws_exchange(keyed.url, {}, document)
        with pytest.raises(InvalidStatus):
            _ws_exchange(keyed.url, {"Authorization": "Bearer wrong"}, document)
    answer = _ws_exchange(keyed.url, bearer(READ_KEY), QUERY)
    assert answer["type"] == "next" and "Dana" in json.dumps(answer)
    refused = _ws_exchange(keyed.url, bearer(READ_KEY), MUTATION)
    assert "linkAccount" not in json.dumps(refused.get("payload", {}).get("data") or {})
    assert "write key" in json.dumps(refused)
    written = _ws_exchange(keyed.url, bearer(WRITE_KEY), MUTATION)
    assert "read-only" in json.dumps(written)  # let through the key check; the store refuses

