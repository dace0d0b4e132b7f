"""The events check tells each settled outbox item once, from the real embedded store:
``response_sent``, ``response_failed`` (by hand after a try; a reply by hand from the
start was never tried and is not an event), and again after ``scrm outbox retry``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from api.events import EventWatcher
from graph.embedded import EmbeddedStore
from graph.outbox import BY_HAND, QUEUED, SENT, OutboxItem, idempotency_key

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _item(n: int, state: str, attempts: int = 0, **more: object) -> OutboxItem:
    key = f"mastodon:scrm-{n}"
    return OutboxItem(key=key, conversation_key="mastodon:h/1", platform="mastodon",
                      target_key="mastodon:h/1", target_author="mastodon:ana@h",
                      author_key="mastodon:brand@h", state=state, attempts=attempts,
                      idempotency_key=idempotency_key(key), created_at=T0, updated_at=T0,
                      **more)  # type: ignore[arg-type]


def test_settled_deliveries_are_told_once(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "events.lbdb")
    watcher = EventWatcher(lambda s: [], lambda s, now: [])

    def check() -> list[tuple[str, str, str]]:
        return [(e.kind, e.data["post_id"], e.data["state"]) for e in watcher.check(store)]

    def save(*items: OutboxItem) -> None:
        store.save_outbox_items([i.row() for i in items])

    try:
        save(_item(0, SENT, 1, remote_id="99"))
        assert check() == []  # the first check only learns what is there
        save(_item(1, QUEUED), _item(2, BY_HAND, 0, error="no credentials"))
        assert check() == []  # queued, and by hand without a try
        save(_item(1, SENT, 1, remote_id="100", remote_url="https://h/@brand/100",
                   sent_at=T0),
             _item(3, BY_HAND, 3, error="gave up after 3 tries: HTTP 500"))
        events = watcher.check(store)
        assert sorted((e.kind, e.data["post_id"]) for e in events) == [
            ("response_failed", "mastodon:scrm-3"), ("response_sent", "mastodon:scrm-1")]
        sent = next(e for e in events if e.kind == "response_sent")
        assert sent.data["platform_id"] == "100"
        assert sent.data["url"] == "https://h/@brand/100"
        assert sent.data["conversation_id"] == "mastodon:h/1"
        assert check() == []  # told once
        save(_item(3, QUEUED, 1))  # scrm outbox retry
        assert check() == []
        save(_item(3, SENT, 2, remote_id="101"))
        assert check() == [("response_sent", "mastodon:scrm-3", "sent")]
    finally:
        store.close()
