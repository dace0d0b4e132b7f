"""Delivery state over GraphQL, and its events, from a real `scrm serve` (the one writer)
over HTTP, on the embedded store: a response the platform refuses becomes
``response_failed`` and one it takes ``response_sent``, told to a GraphQL subscriber
(graphql-transport-ws) and a signed webhook; the conversation, the person's timeline,
the care case and ``deliveries`` show each reply's state, to a viewer key as to an agent;
no key, no answer. The platforms are the local fake of their write APIs
(``write_fakes``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from api.events import EventWatcher
from api.webhooks import StoreWebhooks, verify
from graph.embedded import EmbeddedStore
from tests.cli.serving import start_serve
from tests.connectors.test_outbox_send import _env, _seed, _targets
from tests.connectors.write_fakes import fake_platforms

# settings put in the environment here must not outlive a test in the cached object
pytestmark = pytest.mark.usefixtures("fresh_settings")
AGENT, VIEWER, SECRET = "agent-key-for-deliveries", "viewer-key-for-deliveries", "hook-secret"
RESPOND = """mutation($id: ID!, $to: ID) { recordResponse(conversationId: $id,
  text: "So sorry, a new one ships today.", replyTo: $to) {
  post { postId delivery { state reason } } } }"""
SUBSCRIBE = """subscription { responseDeliveries { eventId kind delivery {
  responseId conversationId platform state platformId url reason attempts } } }"""
FIELDS = "state platformId url reason nextTry attempts sentAt"
DELIVERY = f"delivery {{ {FIELDS} }}"
THREAD = f"""query($id: ID!) {{ conversation(id: $id) {{ posts {{ postId {DELIVERY} }} }}
  careCase(conversationId: $id) {{ deliveries(first: 5) {{ total
    edges {{ cursor node {{ responseId {FIELDS} }} }} pageInfo {{ hasNextPage }} }} }} }}"""
TIMELINE = f"""{{ customer(id: "c1") {{ interactions(first: 10) {{ edges {{ node {{
  postId direction {DELIVERY} }} }} }} }} }}"""
ALL = """query($states: [DeliveryState!]) { deliveries(states: $states, first: 1) { total
  edges { cursor node { responseId state platform } } pageInfo { hasNextPage } } }"""
PAGE_TWO = """query($after: String) { deliveries(first: 1, after: $after) {
  edges { node { responseId } } pageInfo { hasNextPage hasPreviousPage } } }"""




def _gql(url: str, key: str | None, query: str, **variables: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(url + "/graphql", json={"query": query, "variables": variables},
                      headers=headers, timeout=30)


def _data(reply: httpx.Response) -> dict[str, Any]:
    body = reply.json()
    assert reply.status_code == 200 and "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _subscribe(ws: Any) -> None:
    """Start ``responseDeliveries`` on a graphql-transport-ws connection."""
    ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
    ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))


def _next(ws: Any, timeout: float = 60) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=timeout))
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["responseDeliveries"]
    return event


def test_delivery_state_and_events_over_graphql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                webhook_receiver: tuple[str, list[Any]]) -> None:
    db = tmp_path / "deliveries.lbdb"
    hook_url, received = webhook_receiver
    with fake_platforms() as fake:
        for name, value in {**_env(fake, db), "SCRM_EVENTS_SECONDS": "0.3",
                            "SCRM_MONITOR_IN_SERVE": "false", "SCRM_WEBHOOK_ALLOW_PRIVATE": "true",
                            "SCRM_API_KEYS": f"desk:{AGENT}:agent,wall:{VIEWER}:viewer",
                            "SCRM_API_KEY": AGENT}.items():
            monkeypatch.setenv(name, value)
        store = EmbeddedStore(db)
        _seed(store, fake.host)
        StoreWebhooks(store).subscribe(hook_url, ["response_sent", "response_failed"],
                                       secret=SECRET)
        # the watcher's first check only learns what is there: take it now, so the server's
        # checks tell everything that settles while it runs
        EventWatcher(lambda s: [], lambda s, now: []).check(store)
        store.close()
        serve, url, _ = start_serve(db)
        try:
            assert _gql(url, None, ALL).status_code == 401  # no key, no answer
            mastodon, mastodon_target = _targets(fake.host)["mastodon"]
            bluesky, bluesky_target = _targets(fake.host)["bluesky"]
            with connect(url.replace("http://", "ws://") + "/graphql",
                         subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                         additional_headers={"Authorization": f"Bearer {VIEWER}"},
                         open_timeout=10) as ws:
                _subscribe(ws)
                # the platform refuses the credentials: given up on after one try
                fake.plan = ["401"]
                refused = _data(_gql(url, AGENT, RESPOND, id=mastodon, to=mastodon_target)
                                )["recordResponse"]["post"]
                assert refused["delivery"] == {"state": "QUEUED", "reason": None}
                failed = _next(ws)
                # the next one goes through
                sent_key = _data(_gql(url, AGENT, RESPOND, id=bluesky, to=bluesky_target)
                                 )["recordResponse"]["post"]["postId"]
                sent = _next(ws)
            assert failed["kind"] == "response_failed"
            assert failed["delivery"]["responseId"] == refused["postId"]
            assert failed["delivery"]["state"] == "BY_HAND"
            assert failed["delivery"]["attempts"] == 1
            assert "refused the credentials (HTTP 401)" in failed["delivery"]["reason"]
            assert sent["kind"] == "response_sent"
            assert sent["delivery"]["responseId"] == sent_key
            assert sent["delivery"]["state"] == "SENT" and sent["delivery"]["reason"] is None
            record = next(iter(fake.records.values()))
            assert sent["delivery"]["platformId"] == record["uri"]
            assert fake.posted() == 1

            # the conversation and its care case, read with a viewer key
            thread = _data(_gql(url, VIEWER, THREAD, id=bluesky))
            posts = {p["postId"]: p["delivery"] for p in thread["conversation"]["posts"]}
            assert posts[bluesky_target] is None  # the customer's own post
            assert posts[sent_key]["state"] == "SENT"
            assert posts[sent_key]["platformId"] == record["uri"]
            assert posts[sent_key]["sentAt"] is not None and posts[sent_key]["attempts"] == 1
            case = thread["careCase"]["deliveries"]
            assert case["total"] == 1 and not case["pageInfo"]["hasNextPage"]
            assert case["edges"][0]["node"]["responseId"] == sent_key
            assert case["edges"][0]["node"] == {"responseId": sent_key, **posts[sent_key]}

            # the customer's timeline shows the refused reply to send by hand
            timeline = _data(_gql(url, VIEWER, TIMELINE))["customer"]["interactions"]["edges"]
            nodes = {e["node"]["postId"]: e["node"] for e in timeline}
            assert nodes[refused["postId"]]["delivery"]["state"] == "BY_HAND"
            assert nodes[mastodon_target]["delivery"] is None

            # every delivery, by state, a page at a time
            by_hand = _data(_gql(url, VIEWER, ALL, states=["BY_HAND"]))["deliveries"]
            assert by_hand["total"] == 1
            assert by_hand["edges"][0]["node"] == {"responseId": refused["postId"],
                                                   "state": "BY_HAND", "platform": "mastodon"}
            first = _data(_gql(url, VIEWER, ALL))["deliveries"]
            assert first["total"] == 2 and first["pageInfo"]["hasNextPage"]
            assert first["edges"][0]["node"]["responseId"] == sent_key  # newest first
            second = _data(_gql(url, VIEWER, PAGE_TWO, after=first["edges"][0]["cursor"]))
            assert [e["node"]["responseId"] for e in second["deliveries"]["edges"]] == \
                [refused["postId"]]
            assert second["deliveries"]["pageInfo"] == {"hasNextPage": False,
                                                        "hasPreviousPage": True}
            bad = _gql(url, VIEWER, PAGE_TWO, after="not-a-cursor").json()
            assert "invalid cursor" in bad["errors"][0]["message"]
            # a viewer reads deliveries but records nothing
            refused_write = _gql(url, VIEWER, RESPOND, id=bluesky, to=bluesky_target)
            assert refused_write.status_code == 403, refused_write.text
            deadline = time.monotonic() + 30
            while len(received) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)  # the writer's dispatcher delivers them
        except BaseException as failed:  # the server's own account of it, in the report
            serve.terminate()
            failed.add_note("scrm serve said:\n" + serve.communicate(timeout=30)[0][-6000:])
            raise
        finally:
            if serve.poll() is None:
                serve.terminate()
                serve.communicate(timeout=30)
        # the webhook got both, signed
        kinds = sorted(json.loads(body)["kind"] for _, body in received)
        assert kinds == ["response_failed", "response_sent"], kinds
        for headers, body in received:
            assert verify(SECRET, headers["x-scrm-signature"], body)
            assert headers["x-scrm-event"] == json.loads(body)["kind"]
