"""Care workflow (cases and notes per conversation) and privacy (forgetting)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graph.model import (
    redact_handles,
    tombstone,
)
from graph.neo4j import queries as q
from graph.planning import post_fingerprint
from graph.store import (
    CARE_STATUSES,
    StoreError,
)

if TYPE_CHECKING:
    pass

from graph.neo4j.base import (
    Neo4jBase,
    Runner,
    _native,
    _utc,
)


class CareMixin(Neo4jBase):
    """Care workflow (cases and notes per conversation) and privacy (forgetting)."""


    @staticmethod
    def _case(r: dict[str, Any]) -> dict[str, Any]:
        return {"conversation_key": r["key"], "status": r["status"], "assignee": r["assignee"],
                "team": r["team"], "updated_at": _native(r["updated_at"]),
                "resolved_at": _native(r["resolved_at"])}

    def care_cases(self, conversation_keys: Sequence[str] | None = None
                   ) -> dict[str, dict[str, Any]]:
        rows = self._read(q.ALL_CARE_CASES) if conversation_keys is None else self._read(
            q.CARE_CASES, {"keys": list(dict.fromkeys(conversation_keys))})
        return {r["key"]: self._case(r) for r in rows}

    def save_care_case(self, conversation_key: str, *, status: str, assignee: str | None,
                       team: str | None) -> dict[str, Any]:
        if status not in CARE_STATUSES:
            raise StoreError(f"unknown care status {status!r}")
        rows = self._write(q.SAVE_CARE_CASE, {
            "key": conversation_key, "status": status, "assignee": assignee, "team": team,
            "now": datetime.now(UTC)})
        return self._case(rows[0])

    def add_care_note(self, conversation_key: str, author: str, text: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        stamp = now.replace(tzinfo=None).isoformat()  # as the embedded store's keys
        key = f"{conversation_key}|{stamp}|{uuid.uuid4().hex[:8]}"
        self._write(q.ADD_CARE_NOTE, {"key": key, "conversation_key": conversation_key,
                                      "author": author, "text": text, "now": now})
        return {"key": key, "conversation_key": conversation_key, "author": author,
                "text": text, "created_at": now}

    def care_notes(self, conversation_keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {k: [] for k in conversation_keys}
        if not conversation_keys:
            return out
        for r in self._read(q.CARE_NOTES, {"keys": list(dict.fromkeys(conversation_keys))}):
            r["created_at"] = _native(r["created_at"])
            out.setdefault(r["conversation_key"], []).append(r)
        return out

    def forgotten_keys(self) -> set[str]:
        return {r["key"] for r in self._read(q.FORGOTTEN_KEYS)}

    def forget_customer(self, customer_id: str) -> dict[str, int] | None:
        return self._in_transaction(  # type: ignore[no-any-return]
            lambda run: self._forget(run, customer_id))

    def _forget(self, run: Runner, customer_id: str) -> dict[str, int] | None:
        """All of it in one transaction, the existence check and the salt included
        (other writers may forget or import at the same time)."""
        if not run(q.GET_CUSTOMER, {"key": customer_id}):
            return None
        now = datetime.now(UTC)
        salt = str(run(q.PRIVACY_SALT, {"salt": secrets.token_hex(16)})[0]["value"])
        counts = {"accounts": 0, "posts": 0, "mentions_redacted": 0, "purchases": 0}
        tombstones = [tombstone("customer", customer_id, salt)]
        for a in run(q.FORGET_LINKED_ACCOUNTS, {"customer_id": customer_id}):
            anon = f"forgotten-{uuid.uuid4().hex[:12]}"
            new = f"{a['platform']}:{anon}"
            tombstones.append(tombstone("account", a["key"], salt))
            done = run(q.FORGET_ACCOUNT, {"old": a["key"], "new": new, "handle": anon})
            counts["posts"] += int(done[0]["posts"]) if done else 0
            redacted = []
            for r in run(q.MENTIONING_POSTS, {"new": new}):
                text = redact_handles(r["text"] or "", [a["handle"]])
                title = redact_handles(r["title"], [a["handle"]]) if r["title"] else r["title"]
                if text != (r["text"] or "") or title != r["title"]:
                    redacted.append({"key": r["key"], "text": text, "title": title,
                                     "content_hash": post_fingerprint(
                                         r["author"], _utc(_native(r["created_at"])), text,
                                         title)})
            if redacted:
                run(q.REDACT_POSTS, {"rows": redacted})
            counts["mentions_redacted"] += len(redacted)
            run(q.DELETE_ACCOUNT_RECORDS, {"old": a["key"]})
            counts["accounts"] += 1
        anonymous = f"forgotten-{uuid.uuid4().hex[:12]}"
        run(q.CREATE_ANONYMOUS_CUSTOMER, {"customer_id": customer_id, "anonymous": anonymous})
        orders = run(q.CUSTOMER_ORDERS, {"customer_id": customer_id})
        if orders:
            run(q.MOVE_ORDERS, {"customer_id": customer_id, "anonymous": anonymous, "rows": [
                {"key": o["key"], "order_id": str(n)} for n, o in enumerate(orders)]})
        counts["purchases"] = len(orders)
        run(q.DELETE_CUSTOMER, {"customer_id": customer_id})
        run(q.ADD_TOMBSTONES, {"keys": tombstones, "now": now})
        return counts
