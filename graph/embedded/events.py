"""Events: webhook subscriptions, their delivery log, and what the event watcher told."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import aware


def _naive(value: Any) -> datetime | None:
    """A time as the naive UTC the embedded store keeps."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _subscription(r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "events": json.loads(r["events"] or "[]"), "enabled": bool(r["enabled"]),
            "created_at": aware(r["created_at"]), "description": r["description"] or ""}


def _delivery(r: dict[str, Any]) -> dict[str, Any]:
    status = r["status"]
    return {**r, "at": aware(r["at"]), "status": None if status is None else int(status),
            "attempt": int(r["attempt"]), "duration_ms": float(r["duration_ms"] or 0.0)}


class EventsMixin(EmbeddedBase):
    """Webhook subscriptions and deliveries, and the event watcher's state."""

    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        return [_subscription(r) for r in self._rows(q.WEBHOOK_SUBSCRIPTIONS)]

    def save_webhook_subscription(self, subscription: dict[str, Any]) -> None:
        self._exec(q.SAVE_WEBHOOK_SUBSCRIPTION, {
            "key": subscription["key"], "url": subscription["url"],
            "events": json.dumps(list(subscription["events"])),
            "secret": subscription["secret"], "enabled": bool(subscription["enabled"]),
            "created_at": _naive(subscription.get("created_at")) or datetime.now(UTC)
            .replace(tzinfo=None), "description": subscription.get("description") or ""})

    def delete_webhook_subscription(self, key: str) -> bool:
        rows = self._rows(q.DELETE_WEBHOOK_SUBSCRIPTION, {"key": key})
        return bool(rows and rows[0]["n"])

    def add_webhook_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        self._exec(q.ADD_WEBHOOK_DELIVERIES, {"rows": [{
            "key": f"{r['event_id']}|{r['subscription_id']}|{r['attempt']}|{r['outcome']}",
            "subscription_id": r["subscription_id"], "event_id": r["event_id"],
            "kind": r["kind"], "attempt": int(r["attempt"]), "at": _naive(r["at"]),
            "outcome": r["outcome"], "status": r.get("status"), "error": r.get("error"),
            "duration_ms": float(r.get("duration_ms") or 0.0)} for r in rows]})

    def webhook_deliveries(self, limit: int = 50, subscription_id: str | None = None
                           ) -> list[dict[str, Any]]:
        if subscription_id is None:
            rows = self._rows(q.WEBHOOK_DELIVERIES, {"limit": int(limit)})
        else:
            rows = self._rows(q.WEBHOOK_DELIVERIES_OF, {"limit": int(limit),
                                                        "sub": subscription_id})
        return [_delivery(r) for r in rows]

    def event_states(self, kind: str) -> set[str] | None:
        if not self._rows(q.EVENT_STATES_CHECKED, {"marker": f"{kind}|*"}):
            return None
        return {r["item_key"] for r in self._rows(q.EVENT_STATES, {"kind": kind})}

    def save_event_states(self, kind: str, added: Sequence[str], removed: Sequence[str]
                          ) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        if added:
            self._exec(q.ADD_EVENT_STATES, {"keys": list(added), "kind": kind, "now": now})
        if removed:
            self._exec(q.REMOVE_EVENT_STATES, {"keys": list(removed), "kind": kind})
        self._exec(q.MARK_EVENT_STATES_CHECKED, {"marker": f"{kind}|*", "kind": kind,
                                                 "now": now})
