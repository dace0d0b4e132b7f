"""Events: the log, the watcher's diffs, subscribers, and the care workflow's events reaching
a webhook receiver through a real server on the demo database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from api_testkit import LiveServer

from api.events import EventBus, EventLog, EventWatcher
from api.webhooks import SIGNATURE_HEADER, Dispatcher, Event, StoreWebhooks, verify
from graph.embedded import EmbeddedStore


def test_log_appends_and_reads_whole_lines(tmp_path: Path) -> None:
    log = EventLog.beside(tmp_path / "x.lbdb")
    assert log.read_from(0) == ([], 0)
    first = Event("alert", {"n": 1})
    log.append(first)
    events, offset = log.read_from(0)
    assert events == [first] and offset == log.end()
    with open(log.path, "ab") as fh:
        fh.write(b'{"kind": "alert", "da')  # a line being written: not read yet
    assert log.read_from(offset) == ([], offset)


@dataclass
class _Item:
    conversation_key: str
    post_key: str = "p"
    author_key: str = "a"
    platform: str = "twitter"
    text: str = "bad"
    url: str | None = None
    sentiment: float = -0.5
    priority: float = 0.5
    team: str = "support"
    created_at: datetime | None = None


@dataclass
class _Alert:
    key: str
    kind: str = "volume_spike"
    started_at: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    ended_at: datetime | None = None


def test_watcher_tells_only_what_changed(tmp_path: Path) -> None:
    queue: list[_Item] = [_Item("c1"), _Item("c2")]
    alerts: list[_Alert] = [_Alert("a1")]
    watcher = EventWatcher(care_queue=lambda s: list(queue), alerts=lambda s, t: list(alerts))
    store = EmbeddedStore(tmp_path / "x.lbdb")
    try:
        assert watcher.check(store) == []  # the first check only learns what is there
        queue.append(_Item("c3"))
        alerts.append(_Alert("a2"))
        events = watcher.check(store)
        assert [(e.kind, e.data.get("conversation_id") or e.data.get("key"))
                for e in events] == [("care_item", "c3"), ("alert", "a2")]
        assert watcher.check(store) == []
        # c1 resolved, then back: it entered the queue again
        queue.pop(0)
        assert watcher.check(store) == []
        queue.append(_Item("c1"))
        assert [e.data["conversation_id"] for e in watcher.check(store)] == ["c1"]
        # a server started again remembers what it saw (the state is in the store)
        queue.append(_Item("c4"))
        again = EventWatcher(care_queue=lambda s: list(queue), alerts=lambda s, t: list(alerts))
        assert [e.data["conversation_id"] for e in again.check(store)] == ["c4"]
    finally:
        store.close()


def test_watcher_fills_only_the_new_care_items_and_all_at_once(tmp_path: Path) -> None:
    queue: list[_Item] = [_Item("c1")]
    filled: list[list[str]] = []
    watcher = EventWatcher(care_queue=lambda s: list(queue), alerts=lambda s, t: [],
                           fill=lambda items: filled.append(
                               [i.conversation_key for i in items]))
    store = EmbeddedStore(tmp_path / "x.lbdb")
    try:
        watcher.check(store)  # learns c1: no event, nothing to fill
        assert filled == []
        queue += [_Item("c3"), _Item("c2")]
        assert [e.data["conversation_id"] for e in watcher.check(store)] == ["c2", "c3"]
        assert filled == [["c2", "c3"]]  # one call for the new ones, not one each
        watcher.check(store)  # nothing new: not called
        assert filled == [["c2", "c3"]]
    finally:
        store.close()


def test_subscribers_get_published_events_of_their_kinds(tmp_path: Path) -> None:
    async def scenario() -> list[Event]:
        writer = EventBus(EventLog.beside(tmp_path / "x.lbdb"))
        # another process's bus on the same log (a reader)
        reader = EventBus(EventLog.beside(tmp_path / "x.lbdb"), poll_seconds=0.02)
        got: list[Event] = []

        async def listen() -> None:
            async for event in reader.subscribe(["alert"]):
                got.append(event)
                if len(got) == 2:
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.05)
        writer.publish(Event("alert", {"n": 1}))
        writer.publish(Event("care_item", {"n": 2}))
        writer.publish(Event("alert", {"n": 3}))
        await asyncio.wait_for(task, 5)
        reader.close()
        return got

    got = asyncio.run(scenario())
    assert [e.data["n"] for e in got] == [1, 3]



ASSIGN = """mutation($id: ID!) { assignConversation(conversationId: $id, assignee: "kim") {
  status } }"""
RESOLVE = """mutation($id: ID!) { resolveConversation(conversationId: $id) { status } }"""
QUEUE = "{ careQueue(first: 1) { edges { node { conversationId } } } }"


def test_care_workflow_events_reach_a_webhook(demo_copy: Path, tmp_path: Path,
                                              webhook_receiver: tuple[str, list[Any]]) -> None:
    from api.app import create_app

    url, received = webhook_receiver
    store = EmbeddedStore(demo_copy)
    hooks = StoreWebhooks(store.sibling())
    hooks.subscribe(url, ["assignment", "resolution"], secret="s")
    bus = EventBus(EventLog.beside(demo_copy), Dispatcher(hooks, allow_private=True))
    app = create_app(store=store)
    app.state.events = bus
    try:
        with LiveServer(app) as live:
            key = live.graphql(QUEUE)["data"]["careQueue"]["edges"][0]["node"]["conversationId"]
            assert "errors" not in live.graphql(ASSIGN, {"id": key})
            assert "errors" not in live.graphql(RESOLVE, {"id": key})
        assert bus.dispatcher is not None and bus.dispatcher.drain(10)
        assert [r.outcome for r in hooks.deliveries()] == ["delivered", "delivered"]
    finally:
        bus.close()
        hooks.store.close()
        store.close()
    # two delivery threads: webhooks promise no order (receivers order by created_at)
    kinds = sorted((h["x-scrm-event"], orjson.loads(b)["data"]["conversation_id"])
                   for h, b in received)
    assert kinds == [("assignment", key), ("resolution", key)]
    assert all(verify("s", h[SIGNATURE_HEADER.lower()], b) for h, b in received)
    assert [e.kind for e in EventLog.beside(demo_copy).read_from(0)[0]] == [
        "assignment", "resolution"]


def test_a_subscriber_after_a_quiet_spell_gets_only_what_happens_from_then_on(
        tmp_path: Path) -> None:
    async def scenario() -> list[int]:
        log = EventLog.beside(tmp_path / "x.lbdb")
        bus = EventBus(log, poll_seconds=0.01)

        async def first_of(listener: Any) -> int:
            event = await listener.__anext__()
            await listener.aclose()
            return int(event.data["n"])

        async def listening() -> None:  # the subscriber is registered
            while not bus._subscribers:
                await asyncio.sleep(0)

        got = []
        early = asyncio.create_task(first_of(bus.subscribe(["alert"])))
        await listening()
        log.append(Event("alert", {"n": 1}))
        got.append(await asyncio.wait_for(early, 5))
        follower = bus._task
        assert follower is not None
        await asyncio.wait_for(follower, 5)  # nobody listens: the bus stopped following
        log.append(Event("alert", {"n": 2}))  # published while nobody listened
        late = asyncio.create_task(first_of(bus.subscribe(["alert"])))
        await listening()
        log.append(Event("alert", {"n": 3}))
        got.append(await asyncio.wait_for(late, 5))
        bus.close()
        return got

    # the later subscriber was not handed the event from before it subscribed
    assert asyncio.run(scenario()) == [1, 3]
