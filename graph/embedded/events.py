"""Events: webhook subscriptions, their delivery log, and what the event watcher told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph import views
from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import aware, naive_utc


class EventsMixin(EmbeddedBase):
    """Webhook subscriptions and deliveries, and the event watcher's state."""

    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        return [views.subscription_view(r, aware) for r in self._rows(q.WEBHOOK_SUBSCRIPTIONS)]

    def save_webhook_subscription(self, subscription: dict[str, Any]) -> None:
        self._write(q.SAVE_WEBHOOK_SUBSCRIPTION,
                   views.subscription_row(subscription, naive_utc, datetime.now(UTC)))

    def delete_webhook_subscription(self, key: str) -> bool:
        rows = self._write_rows(q.DELETE_WEBHOOK_SUBSCRIPTION, {"key": key})
        return bool(rows and rows[0]["n"])

    def add_webhook_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        self._write(q.ADD_WEBHOOK_DELIVERIES, {"rows": views.delivery_rows(rows, naive_utc)})

    def webhook_deliveries(self, limit: int = 50, subscription_id: str | None = None
                           ) -> list[dict[str, Any]]:
        if subscription_id is None:
            rows = self._rows(q.WEBHOOK_DELIVERIES, {"limit": int(limit)})
        else:
            rows = self._rows(q.WEBHOOK_DELIVERIES_OF, {"limit": int(limit),
                                                        "sub": subscription_id})
        return [views.delivery_view(r, aware) for r in rows]

    def event_states(self, kind: str) -> set[str] | None:
        if not self._rows(q.EVENT_STATES_CHECKED, {"marker": views.checked_marker(kind)}):
            return None
        return {r["item_key"] for r in self._rows(q.EVENT_STATES, {"kind": kind})}

    def save_event_states(self, kind: str, added: Sequence[str], removed: Sequence[str]
                          ) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        if added:
            self._write(q.ADD_EVENT_STATES, {"keys": list(added), "kind": kind, "now": now})
        if removed:
            self._write(q.REMOVE_EVENT_STATES, {"keys": list(removed), "kind": kind})
        self._write(q.MARK_EVENT_STATES_CHECKED,
                   {"marker": views.checked_marker(kind), "kind": kind, "now": now})
