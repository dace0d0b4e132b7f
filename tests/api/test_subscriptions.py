"""GraphQL subscriptions over graphql-transport-ws: new care items and alerts reach a
client of a read-only server (as a read process would be) from the writer's event log,
behind the same API-key check as every request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from api_testkit import LiveServer, build_graph

from api.events import EventBus, EventLog
from api.webhooks import Event
from graph.config import Settings
from graph.embedded import EmbeddedStore

pytest.importorskip("websockets", reason="the subscription tests need websockets")

KEY = "read-key-for-subscriptions"
CARE = "subscription { careItems { conversationId postId team priority waitingSince } }"
ALERTS = "subscription { alerts { id kind subject observed expected message } }"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    from api.app import create_app

    db = tmp_path_factory.mktemp("subs") / "graph.lbdb"
    build_graph(db)
    store = EmbeddedStore(db, read_only=True)
    settings = Settings(db=db, api_keys=f"{KEY}:read")
    with LiveServer(create_app(store=store, settings=settings)) as live:
        yield live, db
    store.close()


def _subscribe(url: str, headers: dict[str, str], document: str, publish: Any,
               wanted: int) -> list[dict[str, Any]]:
    from websockets.sync.client import connect

    got: list[dict[str, Any]] = []
    with connect(url.replace("http://", "ws://") + "/graphql",
                 subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                 additional_headers=headers, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
        time.sleep(0.5)  # the subscription is following the log
        threading.Thread(target=publish, daemon=True).start()
        while len(got) < wanted:
            message = json.loads(ws.recv(timeout=10))
            assert message["type"] == "next", message
            got.append(message["payload"])
    return got


def test_a_subscription_needs_a_key(keyed: tuple[LiveServer, Path]) -> None:
    from websockets.exceptions import InvalidStatus

    live, _ = keyed
    with pytest.raises(InvalidStatus):
        _subscribe(live.url, {}, CARE, lambda: None, 1)
    with pytest.raises(InvalidStatus):
        _subscribe(live.url, {"Authorization": "Bearer wrong"}, CARE, lambda: None, 1)
    with pytest.raises(InvalidStatus) as odd:  # refused before the handshake, not an error
        _subscribe(live.url, {"X-API-Key": "r\xe9ad"}, CARE, lambda: None, 1)
    assert odd.value.response.status_code == 403


def test_care_items_and_alerts_reach_subscribers(keyed: tuple[LiveServer, Path]) -> None:
    live, db = keyed
    writer = EventBus(EventLog.beside(db))  # the writer process's bus, on the same log
    item = {"conversation_id": "twitter:tw1", "post_id": "twitter:tw9",
            "author_key": "twitter:bob", "platform": "twitter", "text": "still broken",
            "url": None, "sentiment": -0.6, "priority": 0.42, "team": "support",
            "waiting_since": "2026-10-14T16:30:00+00:00"}

    def publish_items() -> None:
        writer.publish(Event("alert", {"ignored": True}))  # another kind: not sent here
        writer.publish(Event("care_item", item))
        writer.publish(Event("care_item", {**item, "conversation_id": "twitter:tw7"}))

    got = _subscribe(live.url, {"X-API-Key": KEY}, CARE, publish_items, 2)
    assert [p["data"]["careItems"]["conversationId"] for p in got] == [
        "twitter:tw1", "twitter:tw7"]
    assert got[0]["data"]["careItems"]["waitingSince"] == "2026-10-14T16:30:00+00:00"
    alert = {"key": "volume_spike|brand|2026-10-14T16:00:00+00:00", "kind": "volume_spike",
             "subject": "brand", "started_at": "2026-10-14T16:00:00+00:00",
             "ended_at": "2026-10-14T17:00:00+00:00", "observed": 62.0, "expected": 5.9,
             "p_value": 1e-30, "message": "brand: 62 posts in an hour against 5.9 expected",
             "post_key": None, "account_key": None}
    got = _subscribe(live.url, {"Authorization": f"Bearer {KEY}"}, ALERTS,
                     lambda: writer.publish(Event("alert", alert)), 1)
    assert got[0]["data"]["alerts"] == {
        "id": alert["key"], "kind": "VOLUME_SPIKE", "subject": "brand", "observed": 62.0,
        "expected": 5.9, "message": alert["message"]}


def test_an_unscored_care_item_reaches_subscribers(keyed: tuple[LiveServer, Path]) -> None:
    from analytics.care import CareItem
    from api.events import _care_item

    live, db = keyed
    writer = EventBus(EventLog.beside(db))
    unscored = CareItem(conversation_key="twitter:tw3", post_key="twitter:tw3",
                        author_key="twitter:bob", platform="twitter", text="hello?", url=None,
                        sentiment=float("nan"), waiting_hours=1.0, priority=0.3, team="support")

    def publish_items() -> None:  # as the events check tells them: NaN is JSON null
        writer.publish(Event("care_item", _care_item(unscored)))
        writer.publish(Event("care_item", _care_item(replace(unscored, sentiment=-0.5,
                                                             conversation_key="twitter:tw4"))))

    got = _subscribe(live.url, {"X-API-Key": KEY},
                     "subscription { careItems { conversationId sentiment } }",
                     publish_items, 2)
    assert [p["data"]["careItems"] for p in got] == [
        {"conversationId": "twitter:tw3", "sentiment": None},
        {"conversationId": "twitter:tw4", "sentiment": -0.5}]
