"""Webhooks against a real HTTP receiver on 127.0.0.1: signed, retried, given up, logged."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
import pytest

from api.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    Dispatcher,
    Event,
    StoreWebhooks,
    WebhookError,
    check_url,
    deliver,
    sign,
    verify,
)


@dataclass
class Receiver:
    """A local receiver answering the scripted statuses in turn (then 200)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    retry_after: str | None = None


@pytest.fixture
def hooks(tmp_path: Path) -> Iterator[StoreWebhooks]:
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "hooks.lbdb")
    yield StoreWebhooks(store)
    store.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if state.retry_after and status == 429:
                self.send_header("Retry-After", state.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def test_signature_known_answer_and_verification() -> None:
    # printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret
    header = sign("s3cret", b'{"a":1}', 1700000000)
    assert header == ("t=1700000000,v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4c"
                      "c6e098940")
    assert verify("s3cret", header, b'{"a":1}', now=1700000100)
    assert not verify("other", header, b'{"a":1}', now=1700000100)
    assert not verify("s3cret", header, b'{"a":2}', now=1700000100)
    assert not verify("s3cret", header, b'{"a":1}', now=1700000000 + 301)  # replayed late
    assert not verify("s3cret", "garbage", b'{"a":1}', now=1700000000)
    # a forged header with non-ASCII bytes (as a server decodes them: latin-1) is refused,
    # not an exception in the receiver
    assert not verify("s3cret", "t=1700000000,v1=\xe9" + "0" * 63, b'{"a":1}',
                      now=1700000000)


def test_private_addresses_refused_unless_allowed(hooks: StoreWebhooks) -> None:
    with pytest.raises(WebhookError, match="SCRM_WEBHOOK_ALLOW_PRIVATE"):
        check_url("http://127.0.0.1:9/hook", allow_private=False)
    with pytest.raises(WebhookError, match="private or loopback"):
        check_url("http://10.1.2.3/hook", allow_private=False)
    with pytest.raises(WebhookError, match="not an http"):
        check_url("file:///etc/passwd", allow_private=True)
    check_url("http://127.0.0.1:9/hook", allow_private=True)


def test_a_malformed_url_is_refused_in_one_line(hooks: StoreWebhooks) -> None:
    for url in ("http://[::1/hook", "http://127.0.0.1:abc/hook", "http://a..b/hook"):
        for allow in (True, False):
            with pytest.raises(WebhookError, match="not a valid http"):
                check_url(url, allow_private=allow)
    # one kept from before is refused at delivery, and the log says so
    sub = hooks.subscribe("http://127.0.0.1:abc/hook", ["alert"])
    with httpx.Client(timeout=5) as client:
        assert not deliver(sub, Event("alert", {}), client=client, record=hooks.record,
                           allow_private=True, sleep=lambda s: None)
    assert [(r.outcome, r.attempt) for r in hooks.deliveries()] == [("refused", 1)]


def test_delivered_signed_with_headers(receiver: Receiver, hooks: StoreWebhooks) -> None:
    store = hooks
    sub = store.subscribe(receiver.url, ["alert"], secret="topsecret")
    event = Event("alert", {"key": "volume_spike|brand|x", "observed": 150})
    with httpx.Client(timeout=5) as client:
        assert deliver(sub, event, client=client, record=store.record, allow_private=True)
    headers, body = receiver.received[0]
    assert headers[EVENT_HEADER.lower()] == "alert"
    assert headers[DELIVERY_HEADER.lower()] == event.id
    assert verify("topsecret", headers[SIGNATURE_HEADER.lower()], body)
    assert orjson.loads(body) == {"id": event.id, "kind": "alert",
                                  "created_at": event.created_at,
                                  "data": {"key": "volume_spike|brand|x", "observed": 150}}
    [row] = store.deliveries()
    assert (row.outcome, row.status, row.attempt, row.event_id) == \
        ("delivered", 200, 1, event.id)


def test_retried_on_500_then_delivered(receiver: Receiver, hooks: StoreWebhooks) -> None:
    store = hooks
    sub = store.subscribe(receiver.url, ["care_item"])
    receiver.statuses = [500, 503]
    waits: list[float] = []
    with httpx.Client(timeout=5) as client:
        assert deliver(sub, Event("care_item", {}), client=client, record=store.record,
                       allow_private=True, base=2.0, sleep=waits.append,
                       rng=random.Random(1))
    assert len(receiver.received) == 3
    # exponential backoff with jitter: [1, 2] s, then [2, 4] s
    assert 1.0 <= waits[0] <= 2.0 and 2.0 <= waits[1] <= 4.0
    # the same delivery id and body on every try
    assert len({h[DELIVERY_HEADER.lower()] for h, _ in receiver.received}) == 1
    assert len({b for _, b in receiver.received}) == 1
    assert [(r.attempt, r.outcome, r.status) for r in store.deliveries()][::-1] == [
        (1, "retry", 500), (2, "retry", 503), (3, "delivered", 200)]


def test_gives_up_after_n_tries(receiver: Receiver, hooks: StoreWebhooks) -> None:
    store = hooks
    sub = store.subscribe(receiver.url, ["alert"])
    receiver.statuses = [500] * 10
    with httpx.Client(timeout=5) as client:
        assert not deliver(sub, Event("alert", {}), client=client, record=store.record,
                           allow_private=True, attempts=4, sleep=lambda s: None)
    assert len(receiver.received) == 4
    log = store.deliveries()
    assert [r.outcome for r in log][::-1] == ["retry", "retry", "retry", "failed"]
    assert log[0].error == "HTTP 500; gave up"


def test_a_client_error_is_not_retried(receiver: Receiver, hooks: StoreWebhooks) -> None:
    store = hooks
    sub = store.subscribe(receiver.url, ["alert"])
    receiver.statuses = [400]
    with httpx.Client(timeout=5) as client:
        assert not deliver(sub, Event("alert", {}), client=client, record=store.record,
                           allow_private=True, sleep=lambda s: None)
    assert len(receiver.received) == 1
    assert store.deliveries()[0].outcome == "failed"


def test_unreachable_receiver_is_retried(hooks: StoreWebhooks) -> None:
    store = hooks
    sub = store.subscribe("http://127.0.0.1:9/hook", ["alert"])  # discard port: refused
    with httpx.Client(timeout=2) as client:
        assert not deliver(sub, Event("alert", {}), client=client, record=store.record,
                           allow_private=True, attempts=2, sleep=lambda s: None)
    assert [r.outcome for r in store.deliveries()] == ["failed", "retry"]
    assert "could not connect" in (store.deliveries()[0].error or "")


def test_refused_at_delivery_without_permission(receiver: Receiver, hooks: StoreWebhooks) -> None:
    store = hooks
    sub = store.subscribe(receiver.url, ["alert"])
    with httpx.Client(timeout=5) as client:
        assert not deliver(sub, Event("alert", {}), client=client, record=store.record)
    assert receiver.received == []
    assert store.deliveries()[0].outcome == "refused"


def test_dispatcher_delivers_in_the_background(receiver: Receiver, hooks: StoreWebhooks) -> None:
    store = hooks
    wanted = store.subscribe(receiver.url, ["alert", "resolution"], secret="k")
    store.subscribe(receiver.url, ["assignment"])  # not this kind
    receiver.statuses = [500, 429]
    receiver.retry_after = "0"
    dispatcher = Dispatcher(store, allow_private=True, base=0.02, cap=0.1)
    try:
        assert dispatcher.publish(Event("alert", {"n": 1})) == 1
        assert dispatcher.drain(10)
    finally:
        dispatcher.close()
    assert len(receiver.received) == 3
    assert all(verify("k", h[SIGNATURE_HEADER.lower()], b) for h, b in receiver.received)
    rows = store.deliveries(subscription_id=wanted.id)
    assert [(r.outcome, r.status) for r in rows][::-1] == [
        ("retry", 500), ("retry", 429), ("delivered", 200)]


def test_gone_disables_the_subscription(receiver: Receiver, hooks: StoreWebhooks) -> None:
    store = hooks
    sub = store.subscribe(receiver.url, ["alert"])
    receiver.statuses = [410]
    dispatcher = Dispatcher(store, allow_private=True)
    try:
        dispatcher.publish(Event("alert", {}))
        assert dispatcher.drain(10)
        assert dispatcher.publish(Event("alert", {})) == 0
    finally:
        dispatcher.close()
    assert [s.enabled for s in store.subscriptions() if s.id == sub.id] == [False]


def test_url_credentials_stay_out_of_the_logs(receiver: Receiver, hooks: StoreWebhooks,
                                             caplog: pytest.LogCaptureFixture) -> None:
    url = receiver.url.replace("http://", "http://hook:pa55word@")
    sub = hooks.subscribe(url, ["alert"])
    receiver.statuses = [410]
    dispatcher = Dispatcher(hooks, allow_private=True)
    try:
        with caplog.at_level(logging.WARNING, logger="api.webhooks"):
            dispatcher.publish(Event("alert", {}))
            assert dispatcher.drain(10)
    finally:
        dispatcher.close()
    assert receiver.received[0][0]["authorization"].startswith("Basic ")  # still sent
    assert "410 Gone" in caplog.text and "pa55word" not in caplog.text
    # refused at delivery: the delivery log says where, not with which password
    with httpx.Client(timeout=5) as client:
        assert not deliver(sub, Event("alert", {}), client=client, record=hooks.record)
    row = hooks.deliveries()[0]
    assert row.outcome == "refused" and "127.0.0.1" in (row.error or "")
    assert "pa55word" not in (row.error or "")
    with pytest.raises(WebhookError) as refused:
        check_url(url, allow_private=False)
    assert "pa55word" not in str(refused.value)


def test_subscriptions_in_the_store(hooks: StoreWebhooks) -> None:
    with pytest.raises(WebhookError, match="unknown event 'nope'"):
        hooks.subscribe("https://example.com/h", ["nope"])
    sub = hooks.subscribe("https://example.com/h", ["alert", "alert", "care_item"])
    assert sub.events == ["alert", "care_item"] and len(sub.secret) >= 32
    assert [(s.id, s.secret) for s in StoreWebhooks(hooks.store).subscriptions()] == [
        (sub.id, sub.secret)]
    assert hooks.set_enabled(sub.id, False) and not hooks.subscriptions()[0].enabled
    assert hooks.unsubscribe(sub.id) and not hooks.unsubscribe(sub.id)
