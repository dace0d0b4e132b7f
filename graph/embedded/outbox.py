"""The outbox's rows (what :mod:`graph.outbox` decides; this only stores and reads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import aware

_TIMES = ("next_try", "sending_at", "sent_at", "created_at", "updated_at")


def _naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _row(r: dict[str, Any]) -> dict[str, Any]:
    out = {**r, "attempts": int(r["attempts"] or 0)}
    for name in _TIMES:
        out[name] = aware(r[name])
    return out


class OutboxMixin(EmbeddedBase):
    """Outbox items, one per recorded response."""

    def save_outbox_items(self, rows: Sequence[dict[str, Any]]) -> None:
        for r in rows:  # a few at a time; one statement each keeps every column's type
            self._write(q.SAVE_OUTBOX_ITEM, {
                **{k: r.get(k) for k in (
                    "key", "conversation_key", "platform", "target_key", "target_author",
                    "author_key", "state", "idempotency_key", "remote_id", "remote_url",
                    "error")},
                "attempts": int(r.get("attempts") or 0),
                **{name: _naive(r.get(name)) for name in _TIMES}})

    def outbox_items(self, *, keys: Sequence[str] | None = None,
                     states: Sequence[str] | None = None, limit: int = 1000
                     ) -> list[dict[str, Any]]:
        if keys is not None:
            rows = self._rows(q.OUTBOX_ITEMS_BY_KEY, {"keys": list(keys)}) if keys else []
        elif states is not None:
            rows = self._rows(q.OUTBOX_ITEMS_IN_STATES, {"states": list(states),
                                                         "limit": int(limit)})
        else:
            rows = self._rows(q.OUTBOX_ITEMS, {"limit": int(limit)})
        return [_row(r) for r in rows]

    def outbox_items_answering(self, account_keys: Sequence[str]) -> list[dict[str, Any]]:
        authors = list(dict.fromkeys(account_keys))
        if not authors:
            return []
        return [_row(r) for r in self._rows(q.OUTBOX_ITEMS_ANSWERING, {"authors": authors})]

    def blank_post_texts(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        rows = self._write_rows(q.BLANK_POST_TEXTS, {"keys": list(keys)})
        return int(rows[0]["n"]) if rows else 0
