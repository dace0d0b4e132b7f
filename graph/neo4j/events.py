"""Events: webhook subscriptions, their delivery log, and what the event watcher told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph import views
from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase, _native, _utc


class EventsMixin(Neo4jBase):
    """Webhook subscriptions and deliveries, and the event watcher's state."""

    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        return [views.subscription_view(r, _native) for r in self._read(q.WEBHOOK_SUBSCRIPTIONS)]

    def save_webhook_subscription(self, subscription: dict[str, Any]) -> None:
        self._write(q.SAVE_WEBHOOK_SUBSCRIPTION,
                    views.subscription_row(subscription, _utc, datetime.now(UTC)))

    def delete_webhook_subscription(self, key: str) -> bool:
        rows = self._write(q.DELETE_WEBHOOK_SUBSCRIPTION, {"key": key})
        return bool(rows and rows[0]["n"])

    def add_webhook_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        self._write(q.ADD_WEBHOOK_DELIVERIES, {"rows": views.delivery_rows(rows, _utc)})

    def webhook_deliveries(self, limit: int = 50, subscription_id: str | None = None
                           ) -> list[dict[str, Any]]:
        rows = self._read(q.WEBHOOK_DELIVERIES, {"limit": int(limit)}) \
            if subscription_id is None else self._read(
                q.WEBHOOK_DELIVERIES_OF, {"limit": int(limit), "sub": subscription_id})
        return [views.delivery_view(r, _native) for r in rows]

    def event_states(self, kind: str) -> set[str] | None:
        if not self._read(q.EVENT_STATES_CHECKED, {"marker": views.checked_marker(kind)}):
            return None
        return {r["item_key"] for r in self._read(q.EVENT_STATES, {"kind": kind})}

    def save_event_states(self, kind: str, added: Sequence[str], removed: Sequence[str]
                          ) -> None:
        now = datetime.now(UTC)
        if added:
            self._write(q.ADD_EVENT_STATES, {"keys": list(added), "kind": kind, "now": now})
        if removed:
            self._write(q.REMOVE_EVENT_STATES, {"keys": list(removed), "kind": kind})
        self._write(q.MARK_EVENT_STATES_CHECKED,
                    {"marker": views.checked_marker(kind), "kind": kind, "now": now})
