"""The outbox's rows (what :mod:`graph.outbox` decides; this only stores and reads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase, _native, _utc

_TIMES = ("next_try", "sending_at", "sent_at", "created_at", "updated_at")


def _aware(value: Any) -> datetime | None:
    out = _native(value)
    return _utc(out) if isinstance(out, datetime) else None


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "attempts": int(r["attempts"] or 0),
            **{name: _aware(r[name]) for name in _TIMES}}


class OutboxMixin(Neo4jBase):
    """Outbox items, one per recorded response."""

    def save_outbox_items(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        self._write(q.SAVE_OUTBOX_ITEMS, {"rows": [{
            **{k: r.get(k) for k in (
                "key", "conversation_key", "platform", "target_key", "target_author",
                "author_key", "state", "idempotency_key", "remote_id", "remote_url", "error")},
            "attempts": int(r.get("attempts") or 0),
            **{name: _utc(r[name]) if r.get(name) is not None else None for name in _TIMES}}
            for r in rows]})

    def outbox_items(self, *, keys: Sequence[str] | None = None,
                     states: Sequence[str] | None = None, limit: int = 1000
                     ) -> list[dict[str, Any]]:
        if keys is not None:
            rows = self._read(q.OUTBOX_ITEMS_BY_KEY, {"keys": list(keys)}) if keys else []
        elif states is not None:
            rows = self._read(q.OUTBOX_ITEMS_IN_STATES, {"states": list(states),
                                                         "limit": int(limit)})
        else:
            rows = self._read(q.OUTBOX_ITEMS, {"limit": int(limit)})
        return [_row(r) for r in rows]

    def outbox_items_answering(self, account_keys: Sequence[str]) -> list[dict[str, Any]]:
        authors = list(dict.fromkeys(account_keys))
        if not authors:
            return []
        return [_row(r) for r in self._read(q.OUTBOX_ITEMS_ANSWERING, {"authors": authors})]

    def blank_post_texts(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        rows = self._write(q.BLANK_POST_TEXTS, {"keys": list(keys)})
        return int(rows[0]["n"]) if rows else 0
