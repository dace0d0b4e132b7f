"""The outbox against a local fake of the platforms' write APIs (``write_fakes``, built from
their documented response shapes): a reply is posted exactly once, whatever fails on the
way (500s, a 429 with Retry-After, a timeout after the platform created the post, a
sender killed with SIGKILL mid-request); without credentials it is to send by hand; an
erased person's unsent replies are never sent; credentials reach no log and no store."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.config import get_settings
from graph.model import Account, Customer, OwnsLink, Post, PostKind
from graph.outbox import BY_HAND, ERASED, FAILED, QUEUED, SENDING, SENT, OutboxItem
from graph.store import GraphBatch
from ingest.outbox import retry_item, run_outbox
from tests.connectors.write_fakes import (
    BLUESKY_JWT,
    BLUESKY_PASSWORD,
    DISCOURSE_KEY,
    MASTODON_TOKEN,
    PARENT_URI,
    FakePlatforms,
    fake_platforms,
)

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (MASTODON_TOKEN, BLUESKY_PASSWORD, BLUESKY_JWT, DISCOURSE_KEY)
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _env(fake: FakePlatforms, db: Path) -> dict[str, str]:
    return {"SCRM_DB": str(db),
            "SCRM_MASTODON_URL": fake.url, "SCRM_MASTODON_TOKEN": MASTODON_TOKEN,
            "SCRM_BLUESKY_PDS_URL": fake.url, "SCRM_BLUESKY_IDENTIFIER": "brand.bsky.social",
            "SCRM_BLUESKY_APP_PASSWORD": BLUESKY_PASSWORD,
            "SCRM_DISCOURSE_URL": fake.url, "SCRM_DISCOURSE_API_KEY": DISCOURSE_KEY,
            "SCRM_DISCOURSE_API_USERNAME": "brand",
            # the fake is on 127.0.0.1, which the outbox refuses unless allowed
            "SCRM_OUTBOX_ALLOW_PRIVATE": "true", "SCRM_OUTBOX_TIMEOUT": "1.5",
            "SCRM_OUTBOX_BACKOFF_SECONDS": "0.01", "SCRM_OUTBOX_BACKOFF_CAP_SECONDS": "0.05",
            "SCRM_OUTBOX_ATTEMPTS": "3"}


@pytest.fixture
def fake() -> Iterator[FakePlatforms]:
    with fake_platforms() as f:
        yield f


@pytest.fixture
def env(fake: FakePlatforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
        ) -> Iterator[dict[str, str]]:
    values = _env(fake, tmp_path / "test.lbdb")
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def _targets(host: str) -> dict[str, tuple[str, str]]:
    """platform → (conversation key, post key) of the customer's post to answer."""
    return {"mastodon": (f"mastodon:{host}/100", f"mastodon:{host}/100"),
            "bluesky": (f"bluesky:{PARENT_URI}", f"bluesky:{PARENT_URI}"),
            "discourse": (f"discourse:{host}/t/42/1", f"discourse:{host}/t/42/3")}


def _seed(store: Any, host: str) -> None:
    posts = [
        Post(platform="mastodon", post_id=f"{host}/100", author_handle=f"ana@{host}",
             created_at=T0, text="my order never came"),
        Post(platform="bluesky", post_id=PARENT_URI, author_handle="ana.bsky.social",
             created_at=T0, text="this is broken"),
        Post(platform="discourse", post_id=f"{host}/t/42/1", author_handle=f"bo@{host}",
             created_at=T0, text="Topic", conversation_id=f"{host}/t/42/1"),
        Post(platform="discourse", post_id=f"{host}/t/42/3", author_handle=f"ana@{host}",
             created_at=T0 + timedelta(minutes=1), text="still broken",
             kind=PostKind.REPLY, parent_id=f"{host}/t/42/1",
             conversation_id=f"{host}/t/42/1")]
    accounts = [Account(platform=p.platform, handle=p.author_handle) for p in posts]
    brand = [Account(platform="mastodon", handle=f"brand@{host}"),
             Account(platform="bluesky", handle="brand.bsky.social"),
             Account(platform="discourse", handle=f"brand@{host}")]
    store.write_batch(GraphBatch(
        customers=[Customer(customer_id="c1", name="Ana Example", email="ana@example.com")],
        accounts=accounts + brand, posts=posts,
        links=[OwnsLink(customer_id="c1", platform="mastodon", handle=f"ana@{host}",
                        confidence=1.0, method="manual")]))
    store.set_brand([a.key for a in brand], {})


def _respond(store: Any, fake: FakePlatforms, platform: str, text: str = "Sorry about "
             "that, a replacement is on its way.") -> str:
    from api.care import _record_response

    conversation, target = _targets(fake.host)[platform]
    post, _ = _record_response(store, conversation, text, True, target, None)
    return post.key


def _item(store: Any, key: str) -> OutboxItem:
    return OutboxItem.from_row(store.outbox_items(keys=[key])[0])


def _round(store: Any) -> dict[str, Any]:
    return run_outbox(store, get_settings())


@pytest.fixture
def seeded(embedded_store: Any, fake: FakePlatforms, env: dict[str, str]) -> Any:
    _seed(embedded_store, fake.host)
    return embedded_store


@pytest.mark.parametrize("platform", ["mastodon", "bluesky", "discourse"])
def test_a_reply_is_sent_once_and_its_platform_id_recorded(
        seeded: Any, fake: FakePlatforms, platform: str) -> None:
    key = _respond(seeded, fake, platform)
    assert _item(seeded, key).state == QUEUED
    result = _round(seeded)
    assert result["sent"] == 1 and fake.posted() == 1
    item = _item(seeded, key)
    assert item.state == SENT and item.sent_at is not None and item.attempts == 1
    expected = {"mastodon": f"{fake.host}/200",
                "bluesky": "at://did:plc:brandbrandbrand/app.bsky.feed.post/",
                "discourse": f"{fake.host}/t/42/5"}[platform]
    assert item.remote_id is not None and item.remote_id.startswith(expected)
    assert item.remote_url
    assert _round(seeded)["tried"] == 0 and fake.posted() == 1  # nothing left to do
    if platform == "mastodon":
        assert fake.statuses[0]["in_reply_to_id"] == "100"
        # the customer is mentioned: Mastodon notifies mentioned accounts, not the author
        # of the status a reply answers
        assert fake.statuses[0]["content"] == \
            f"<p>@ana@{fake.host} Sorry about that, a replacement is on its way.</p>"
    if platform == "bluesky":
        record = next(iter(fake.records.values()))["value"]
        assert record["reply"]["parent"] == {"uri": PARENT_URI, "cid": "bafyparent"}
        assert record["reply"]["root"]["cid"] == "bafyroot"  # the thread's root, not parent
    if platform == "discourse":
        assert fake.discourse_posts[0]["reply_to_post_number"] == 3


@pytest.mark.parametrize("platform", ["mastodon", "bluesky", "discourse"])
def test_a_500_then_success_posts_once(seeded: Any, fake: FakePlatforms,
                                       platform: str) -> None:
    key = _respond(seeded, fake, platform)
    fake.plan = ["500"]
    assert _round(seeded)["failed"] == 1
    item = _item(seeded, key)
    assert item.state == FAILED and "HTTP 500" in (item.error or "")
    assert item.next_try is not None and item.next_try > item.sending_at  # type: ignore[operator]
    time.sleep(0.1)  # the backoff (0.01 s doubling, jittered, at most 0.05 s)
    assert _round(seeded)["sent"] == 1
    assert fake.posted() == 1 and fake.writes == 2 and _item(seeded, key).attempts == 2


@pytest.mark.parametrize("platform", ["mastodon", "bluesky", "discourse"])
def test_a_timeout_after_the_platform_posted_does_not_post_twice(
        seeded: Any, fake: FakePlatforms, platform: str) -> None:
    key = _respond(seeded, fake, platform)
    fake.plan = ["late:3"]  # created at once, answered after the 1.5 s timeout
    assert _round(seeded)["failed"] == 1
    assert "in time" in (_item(seeded, key).error or "") and fake.posted() == 1
    time.sleep(0.1)
    assert _round(seeded)["sent"] == 1
    item = _item(seeded, key)
    assert item.state == SENT and fake.posted() == 1
    # found on the platform, not posted again (Mastodon would also have answered the
    # repeated Idempotency-Key with the same status; here the look-up came first)
    assert fake.writes == 1


def _two_replies_and_a_round(store: Any, fake: FakePlatforms, platform: str, plan: str
                             ) -> tuple[OutboxItem, OutboxItem]:
    """Two replies on one platform, a round whose first request answers as ``plan``
    says; the items after it."""
    first = _respond(store, fake, platform)
    second = _respond(store, fake, platform, "And a second answer.")
    fake.plan = [plan]
    _round(store)
    return _item(store, first), _item(store, second)


def test_a_429_waits_for_retry_after_and_holds_back_the_platform(
        seeded: Any, fake: FakePlatforms) -> None:
    item, other = _two_replies_and_a_round(seeded, fake, "mastodon", "429:2")
    assert item.state == FAILED and "rate limited" in (item.error or "")
    assert item.next_try is not None and item.updated_at is not None
    # two seconds from the answer (saved a moment after it came)
    assert timedelta(seconds=1.8) < item.next_try - item.updated_at <= timedelta(seconds=2)
    assert other.state == QUEUED and other.next_try == item.next_try  # not tried meanwhile
    assert fake.writes == 1
    assert _round(seeded)["tried"] == 0 and fake.writes == 1  # still waiting
    time.sleep(max(0.0, (item.next_try - datetime.now(UTC)).total_seconds()) + 0.05)
    assert _round(seeded)["sent"] == 2
    assert fake.posted() == 2 and fake.writes == 3


def test_without_credentials_a_reply_is_to_send_by_hand(
        seeded: Any, fake: FakePlatforms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCRM_BLUESKY_APP_PASSWORD")
    get_settings.cache_clear()
    key = _respond(seeded, fake, "bluesky")
    item = _item(seeded, key)
    assert item.state == BY_HAND and "SCRM_BLUESKY_APP_PASSWORD" in (item.error or "")
    assert _round(seeded)["tried"] == 0 and fake.posted() == 0
    # credentials removed after a reply was queued: by hand too, nothing sent
    queued = _respond(seeded, fake, "mastodon")
    monkeypatch.delenv("SCRM_MASTODON_TOKEN")
    get_settings.cache_clear()
    assert _round(seeded)["by_hand"] == 1 and _item(seeded, queued).state == BY_HAND
    assert fake.posted() == 0
    # set again, a retry sends it
    monkeypatch.setenv("SCRM_MASTODON_TOKEN", MASTODON_TOKEN)
    get_settings.cache_clear()
    retry_item(seeded, queued)
    assert _round(seeded)["sent"] == 1 and fake.posted() == 1


def test_a_refusal_is_by_hand_and_gives_up_only_after_looking(
        seeded: Any, fake: FakePlatforms) -> None:
    key = _respond(seeded, fake, "discourse")
    fake.plan = ["401"]
    _round(seeded)
    item = _item(seeded, key)
    assert item.state == BY_HAND and "refused the credentials" in (item.error or "")
    retried = _respond(seeded, fake, "mastodon")
    fake.plan = ["500", "500", "500"]
    for _ in range(3):
        _round(seeded)
        time.sleep(0.1)
    _round(seeded)  # the 4th round looks for it, finds nothing, gives up (3 attempts)
    gave_up = _item(seeded, retried)
    assert gave_up.state == BY_HAND and "gave up after 3 tries" in (gave_up.error or "")
    assert fake.posted() == 0


def test_an_erased_persons_unsent_replies_are_never_sent(seeded: Any,
                                                         fake: FakePlatforms) -> None:
    from api.jobs import erase

    key = _respond(seeded, fake, "mastodon", "Ana, your parcel 12345 ships today.")
    other = _respond(seeded, fake, "bluesky")  # someone else's: unaffected
    report = erase(seeded, "c1")
    assert report is not None and report.counts["replies_unsent"] == 1
    item = _item(seeded, key)
    assert item.state == ERASED
    assert seeded.post_details([key])["text"].iloc[0] == ""
    assert _round(seeded)["sent"] == 1 and fake.posted() == 1
    assert _item(seeded, other).state == SENT and fake.statuses == []


def test_credentials_never_reach_the_log_or_the_store(
        seeded: Any, fake: FakePlatforms, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    for platform in ("mastodon", "bluesky", "discourse"):
        _respond(seeded, fake, platform)
    fake.plan = ["500", "401", "late:3"]
    for _ in range(3):
        run_outbox(seeded, get_settings(), report=messages.append)
        time.sleep(0.1)
    rows = str(seeded.outbox_items())
    seeded.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for secret in SECRETS:
        assert secret not in caplog.text and secret not in " ".join(messages)
        assert secret not in rows and secret.encode() not in stored
    # they did travel, in headers, to the platform
    assert any(h.get("Authorization") == f"Bearer {MASTODON_TOKEN}" for h in fake.seen_headers)


def _sender(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "outbox", "send", "--once"], cwd=ROOT,
        env={**os.environ, **env, "SCRM_OUTBOX_TIMEOUT": "30"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("platform", ["discourse", "bluesky", "mastodon"])
def test_a_sender_killed_between_sending_and_sent_posts_exactly_once(
        seeded: Any, fake: FakePlatforms, env: dict[str, str], platform: str) -> None:
    from graph.embedded import EmbeddedStore

    key = _respond(seeded, fake, platform)
    seeded.close()
    fake.plan = ["late:30"]  # the platform creates the post and is slow to say so
    sender = _sender(env)
    try:
        deadline = time.monotonic() + 30
        while fake.posted() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.posted() == 1, sender.stderr.read() if sender.poll() is not None else ""
        os.kill(sender.pid, signal.SIGKILL)
    finally:
        sender.wait(10)
    assert sender.returncode == -signal.SIGKILL
    store = EmbeddedStore(Path(env["SCRM_DB"]))
    try:
        assert _item(store, key).state == SENDING  # committed before the request
        result = _round(store)  # the restarted sender settles it by asking the platform
        assert result["sent"] == 1
        item = _item(store, key)
        assert item.state == SENT and item.attempts == 1 and fake.posted() == 1
        assert fake.writes == 1
    finally:
        store.close()


def test_a_platform_on_a_private_address_is_refused_unless_allowed(
        seeded: Any, fake: FakePlatforms, monkeypatch: pytest.MonkeyPatch) -> None:
    key = _respond(seeded, fake, "discourse")
    monkeypatch.setenv("SCRM_OUTBOX_ALLOW_PRIVATE", "false")
    get_settings.cache_clear()
    assert _round(seeded)["by_hand"] == 1 and fake.writes == 0
    item = _item(seeded, key)
    assert "private or loopback" in (item.error or "") and "127.0.0.1" in (item.error or "")
    with pytest.raises(ValueError, match="only failed or by-hand"):
        retry_item(seeded, _respond(seeded, fake, "mastodon"))
    with pytest.raises(LookupError, match="scrm outbox list"):
        retry_item(seeded, "mastodon:scrm-none")


def test_a_refusal_while_looking_before_a_retry_is_by_hand_not_retried_for_ever(
        seeded: Any, fake: FakePlatforms, monkeypatch: pytest.MonkeyPatch) -> None:
    key = _respond(seeded, fake, "bluesky")
    fake.plan = ["500"]
    _round(seeded)
    assert _item(seeded, key).state == FAILED and _item(seeded, key).attempts == 1
    # the app password is revoked meanwhile: the look-up before the retry is refused
    monkeypatch.setenv("SCRM_BLUESKY_APP_PASSWORD", "revoked-password")
    get_settings.cache_clear()
    time.sleep(0.1)
    assert _round(seeded)["by_hand"] == 1
    item = _item(seeded, key)
    assert item.state == BY_HAND and "refused the credentials" in (item.error or "")
    assert "revoked-password" not in (item.error or "")
    assert _round(seeded)["tried"] == 0 and fake.posted() == 0
    # set right again, a retry looks first, then sends it once
    monkeypatch.setenv("SCRM_BLUESKY_APP_PASSWORD", BLUESKY_PASSWORD)
    get_settings.cache_clear()
    retry_item(seeded, key)
    assert _round(seeded)["sent"] == 1 and fake.posted() == 1


def test_a_retry_after_giving_up_tries_again_even_with_one_attempt_allowed(
        seeded: Any, fake: FakePlatforms, monkeypatch: pytest.MonkeyPatch) -> None:
    """``scrm outbox retry`` counts the tries afresh. It kept one (so that the round
    would look for the reply first), and with SCRM_OUTBOX_ATTEMPTS=1 the round then gave
    up again without trying: the operator's retry could never send."""
    monkeypatch.setenv("SCRM_OUTBOX_ATTEMPTS", "1")
    monkeypatch.setenv("SCRM_OUTBOX_BACKOFF_SECONDS", "0.05")
    get_settings.cache_clear()
    key = _respond(seeded, fake, "mastodon")
    fake.plan = ["500"]
    _round(seeded)
    assert _item(seeded, key).state == FAILED
    time.sleep(0.1)
    assert _round(seeded)["by_hand"] == 1  # looked, not there, out of tries
    assert "gave up after 1" in (_item(seeded, key).error or "") and fake.posted() == 0
    retry_item(seeded, key)
    assert _round(seeded)["sent"] == 1 and fake.posted() == 1
    item = _item(seeded, key)
    assert item.state == SENT and item.attempts == 1


def test_a_5xx_with_rate_limit_headers_is_retried_after_the_backoff(
        seeded: Any, fake: FakePlatforms) -> None:
    # a server error: the window's reset (an hour away, hardly used) is no time to wait
    item, other = _two_replies_and_a_round(seeded, fake, "bluesky", "500reset:3600")
    assert item.state == FAILED and "HTTP 500" in (item.error or "")
    assert item.next_try is not None and item.updated_at is not None
    assert item.next_try - item.updated_at <= timedelta(seconds=0.05)  # the backoff cap
    assert other.state == SENT  # the platform was not held back
    time.sleep(0.1)
    assert _round(seeded)["sent"] == 1 and fake.posted() == 2


def test_an_erasure_during_a_round_is_not_undone_by_it(
        seeded: Any, fake: FakePlatforms) -> None:
    from api.jobs import erase

    others = _respond(seeded, fake, "bluesky")  # someone else's, sent first
    anas = _respond(seeded, fake, "mastodon", "Ana, your parcel 12345 ships today.")
    assert _item(seeded, anas).target_author == f"mastodon:ana@{fake.host}"
    erased: list[Any] = []

    def meanwhile(message: str) -> None:  # forgetCustomer, on the API's store thread
        if message.startswith(others) and not erased:
            erased.append(erase(seeded, "c1"))

    run_outbox(seeded, get_settings(), report=meanwhile)
    assert erased and erased[0].counts["replies_unsent"] == 1
    item = _item(seeded, anas)
    assert item.state == ERASED and fake.statuses == []
    assert item.target_author == ""  # whom it answered stays forgotten


def test_an_erasure_while_looking_before_a_retry_is_never_sent(
        seeded: Any, fake: FakePlatforms, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.jobs import erase

    # the erasure runs inside the fake's answer to the look-up: on a loaded machine it
    # took longer than the tests' 1.5 s timeout, and the look-up failed instead
    monkeypatch.setenv("SCRM_OUTBOX_TIMEOUT", "60")
    get_settings.cache_clear()
    key = _respond(seeded, fake, "mastodon", "Ana, your parcel 12345 ships today.")
    fake.plan = ["500"]
    _round(seeded)
    assert _item(seeded, key).state == FAILED
    other = seeded.sibling()  # forgetCustomer runs on another thread, its own handle
    erased: list[Any] = []

    def meanwhile(method: str, path: str) -> None:
        if method == "GET" and path.endswith("/context") and not erased:
            erased.append(erase(other, "c1"))

    fake.on_request = meanwhile
    time.sleep(0.1)
    try:
        _round(seeded)
    finally:
        fake.on_request = None
        other.close()
    assert erased and erased[0].counts["replies_unsent"] == 1
    item = _item(seeded, key)
    assert fake.statuses == [] and fake.writes == 1
    assert item.state == ERASED and item.target_author == ""


def test_an_erasure_while_a_reply_is_sent_keeps_whom_it_answered_forgotten(
        seeded: Any, fake: FakePlatforms) -> None:
    from api.jobs import erase

    key = _respond(seeded, fake, "mastodon", "Ana, your parcel 12345 ships today.")
    other = seeded.sibling()
    erased: list[Any] = []

    def meanwhile(method: str, path: str) -> None:
        if method == "POST" and not erased:
            erased.append(erase(other, "c1"))

    fake.on_request = meanwhile
    try:
        _round(seeded)
    finally:
        fake.on_request = None
        other.close()
    assert erased
    item = _item(seeded, key)
    assert item.state == SENT and fake.posted() == 1  # it did reach the platform
    assert item.target_author == ""


def test_a_discourse_reply_is_found_after_a_busy_topic_moved_on(
        seeded: Any, fake: FakePlatforms) -> None:
    key = _respond(seeded, fake, "discourse")
    fake.plan = ["late:3"]  # created, answered too late
    assert _round(seeded)["failed"] == 1 and len(fake.discourse_posts) == 1
    for n in range(40):  # the topic goes on before the retry
        fake.discourse_posts.append({
            "id": 2000 + n, "topic_id": 42, "post_number": 100 + n, "username": f"u{n}",
            "created_at": datetime.now(UTC).isoformat(), "cooked": "<p>me too</p>",
            "raw": "me too", "reply_to_post_number": None})
    time.sleep(0.1)
    assert _round(seeded)["sent"] == 1
    assert _item(seeded, key).remote_id == f"{fake.host}/t/42/5"  # the first try's post
    assert fake.writes == 1  # found, not posted again
    assert sum(p["username"] == "brand" for p in fake.discourse_posts) == 1


@pytest.mark.parametrize("platform", ["mastodon", "discourse"])
def test_a_reply_in_another_script_is_found_not_posted_twice(
        seeded: Any, fake: FakePlatforms, platform: str) -> None:
    key = _respond(seeded, fake, platform, "Извините, замена уже в пути.")
    fake.plan = ["late:3"]  # created, answered too late
    assert _round(seeded)["failed"] == 1 and fake.posted() == 1
    time.sleep(0.1)
    assert _round(seeded)["sent"] == 1 and _item(seeded, key).state == SENT
    # found by its words, not posted again (Mastodon's Idempotency-Key lasts an hour only)
    assert fake.writes == 1 and fake.posted() == 1


@pytest.mark.parametrize("platform", ["mastodon", "discourse"])
def test_an_earlier_reply_starting_alike_is_not_taken_for_a_retried_one(
        seeded: Any, fake: FakePlatforms, platform: str) -> None:
    opening = "Hi Ana, thank you for reaching out, we are sorry to hear that."
    first = _respond(seeded, fake, platform, f"{opening} Your parcel ships today.")
    assert _round(seeded)["sent"] == 1
    second = _respond(seeded, fake, platform, f"{opening} Your refund is on its way.")
    fake.plan = ["500"]
    assert _round(seeded)["failed"] == 1
    time.sleep(0.1)
    assert _round(seeded)["sent"] == 1
    assert fake.posted() == 2  # the second reply did reach the platform
    assert _item(seeded, second).remote_id != _item(seeded, first).remote_id


def test_a_mastodon_reply_that_names_its_person_is_sent_as_written(
        seeded: Any, fake: FakePlatforms) -> None:
    """Not mentioned twice; and a retry after a timeout finds the status as Mastodon
    shows it (``@ana``, a link, for the ``@ana@host`` sent), so it is not posted again."""
    key = _respond(seeded, fake, "mastodon", "@Ana sorry about that, it is on its way.")
    assert _round(seeded)["sent"] == 1
    assert fake.statuses[0]["content"] == "<p>@Ana sorry about that, it is on its way.</p>"
    key = _respond(seeded, fake, "mastodon", "We are sorry: a replacement is on its way "
                   "to you today, tracked.")
    fake.plan = ["late:3"]  # created at once, answered after the timeout
    assert _round(seeded)["failed"] == 1
    status = fake.statuses[-1]
    assert status["content"].startswith(f"<p>@ana@{fake.host} We are sorry")
    # as a real instance renders the mention
    status["content"] = (f'<p><span class="h-card"><a href="{fake.url}/@ana" '
                         'class="u-url mention">@<span>ana</span></a></span> We are sorry: '
                         "a replacement is on its way to you today, tracked.</p>")
    time.sleep(0.1)
    assert _round(seeded)["sent"] == 1
    assert fake.posted() == 2 and _item(seeded, key).remote_id == f"{fake.host}/201"
