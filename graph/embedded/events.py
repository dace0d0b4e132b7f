"""Events: webhook subscriptions, their delivery log, and what the event watcher told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from graph import views
from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import aware, key_scan, naive_utc


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
        return set(self._column(q.EVENT_STATES, {"kind": kind}))

    def save_event_states(self, kind: str, added: Sequence[str], removed: Sequence[str]
                          ) -> None:
        """In one transaction through the log: the states new to the table appended
        from an Arrow scan (a stream adds thousands of care items between two checks;
        a ``MERGE`` per row took 1 ms each), those seen before made active again, the
        removed ones inactive, and the kind marked checked."""
        now = datetime.now(UTC).replace(tzinfo=None)
        items = list(dict.fromkeys(added))
        keys = [views.event_state_key(kind, k) for k in items]

        def save() -> None:
            known = set(self._existing_table("EventState", keys).column("key").to_pylist()) \
                if keys else set()
            new = [(key, item) for key, item in zip(keys, items, strict=True)
                   if key not in known]
            self._copy("EventState", pa.table({
                "key": pa.array([key for key, _ in new], pa.string()),
                "kind": pa.array([kind] * len(new), pa.string()),
                "item_key": pa.array([item for _, item in new], pa.string()),
                "first_seen": pa.array([now] * len(new), pa.timestamp("us")),
                "last_seen": pa.array([now] * len(new), pa.timestamp("us")),
                "active": pa.array([True] * len(new), pa.bool_())}))
            again = [key for key in keys if key in known]
            if again:
                self._exec(q.ACTIVATE_EVENT_STATES, {"scan": key_scan(again), "now": now})
            gone = [views.event_state_key(kind, k) for k in dict.fromkeys(removed)]
            if gone:
                self._exec(q.DEACTIVATE_EVENT_STATES, {"scan": key_scan(gone)})
            self._exec(q.MARK_EVENT_STATES_CHECKED,
                       {"marker": views.checked_marker(kind), "kind": kind, "now": now})

        with self._logged():
            self._in_transaction(save)
