"""Care workflow (cases and notes per conversation) and privacy (forgetting)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph.embedded import queries as q
from graph.embedded.base import (
    _KEYED_CACHES,
    _RANK_LOCK,
    _RANK_ORDER,
    EmbeddedBase,
    _aware,
    _utc_time,
)
from graph.model import (
    redact_handles,
    tombstone,
)
from graph.planning import post_fingerprint
from graph.store import (
    CARE_STATUSES,
    StoreError,
)


class CareMixin(EmbeddedBase):
    """Care workflow (cases and notes per conversation) and privacy (forgetting)."""

    _CASE_RETURN = ("c.key AS key, c.status AS status, c.assignee AS assignee, c.team AS team, "
                    "c.updated_at AS updated_at, c.resolved_at AS resolved_at")


    @staticmethod
    def _case(r: dict[str, Any]) -> dict[str, Any]:
        return {"conversation_key": r["key"], "status": r["status"], "assignee": r["assignee"],
                "team": r["team"], "updated_at": _aware(r["updated_at"]),
                "resolved_at": _aware(r["resolved_at"])}

    def care_cases(self, conversation_keys: Sequence[str] | None = None
                   ) -> dict[str, dict[str, Any]]:
        if conversation_keys is None:
            rows = self._rows(f"MATCH (c:CareCase) RETURN {self._CASE_RETURN}")
        else:
            rows = self._rows(f"UNWIND $keys AS k MATCH (c:CareCase {{key: k}}) "
                              f"RETURN {self._CASE_RETURN}",
                              {"keys": list(dict.fromkeys(conversation_keys))})
        return {r["key"]: self._case(r) for r in rows}

    def save_care_case(self, conversation_key: str, *, status: str, assignee: str | None,
                       team: str | None) -> dict[str, Any]:
        if status not in CARE_STATUSES:
            raise StoreError(f"unknown care status {status!r}")
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = self._rows(
            "MERGE (c:CareCase {key: $k}) SET c.status = $status, c.assignee = $assignee, "
            "c.team = $team, c.updated_at = $now, c.resolved_at = CASE WHEN $status = "
            "'resolved' THEN $now ELSE NULL END "
            f"RETURN {self._CASE_RETURN}",
            {"k": conversation_key, "status": status, "assignee": assignee, "team": team,
             "now": now})
        return self._case(rows[0])

    def add_care_note(self, conversation_key: str, author: str, text: str) -> dict[str, Any]:
        now = datetime.now(UTC).replace(tzinfo=None)
        key = f"{conversation_key}|{now.isoformat()}|{uuid.uuid4().hex[:8]}"
        self._exec(q.CREATE_CARE_NOTE,
                   {"key": key, "c": conversation_key, "a": author, "t": text, "now": now})
        return {"key": key, "conversation_key": conversation_key, "author": author,
                "text": text, "created_at": _aware(now)}

    def care_notes(self, conversation_keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {k: [] for k in conversation_keys}
        if not conversation_keys:
            return out
        rows = self._rows(q.CARE_NOTES, {"keys": list(dict.fromkeys(
                              conversation_keys))})
        for r in rows:
            r["created_at"] = _aware(r["created_at"])
            out.setdefault(r["conversation_key"], []).append(r)
        return out

    def _privacy_salt(self) -> str:
        salt: str | None = self.get_settings().get("privacy.salt")
        if not salt:
            salt = secrets.token_hex(16)
            self._exec(q.SET_PRIVACY_SALT, {"v": salt})
        return salt

    def forgotten_keys(self) -> set[str]:
        return {r["k"] for r in self._rows(q.FORGOTTEN_KEYS)}

    def forget_customer(self, customer_id: str) -> dict[str, int] | None:
        if not self._existing("Customer", [customer_id]):
            return None
        with _RANK_LOCK:  # the forgotten accounts' score rows go away
            for key in [k for k in _RANK_ORDER if k[0] == str(self.path)]:
                del _RANK_ORDER[key]
        counts: dict[str, int] = self._in_transaction(lambda: self._forget(customer_id))
        # The kept brand posts and activity name accounts: no copy of a forgotten key
        # may stay on disk (the projection holds only offsets; its generation is new).
        for name in _KEYED_CACHES:
            self._cache_path(name).unlink(missing_ok=True)
        return counts

    def _forget(self, customer_id: str) -> dict[str, int]:
        salt = self._privacy_salt()
        now = datetime.now(UTC).replace(tzinfo=None)
        counts = {"accounts": 0, "posts": 0, "mentions_redacted": 0, "purchases": 0}
        accounts = self._rows(q.FORGET_LINKED_ACCOUNTS,
                              {"c": customer_id})
        tombstones = [tombstone("customer", customer_id, salt)]
        for a in accounts:
            old, anon = a["key"], f"forgotten-{uuid.uuid4().hex[:12]}"
            new = f"{a['platform']}:{anon}"
            tombstones.append(tombstone("account", old, salt))
            self._exec(q.CREATE_ANONYMOUS_ACCOUNT,
                       {"k": new, "p": a["platform"], "h": anon, "f": a["followers"]})
            params = {"old": old, "new": new}
            posted = self._rows(
                q.MOVE_AUTHORED_POSTS, params)
            counts["posts"] += posted[0]["n"] if posted else 0
            mentioning = self._rows(
                q.MOVE_MENTIONS, params)
            # other people's posts keep their words, not the name; the fingerprint follows
            # so that re-importing them (redacted the same way) is not a conflict
            redacted = []
            for r in mentioning:
                text = redact_handles(r["text"] or "", [a["handle"]])
                title = redact_handles(r["title"], [a["handle"]]) if r["title"] else r["title"]
                if text != (r["text"] or "") or title != r["title"]:
                    redacted.append({"k": r["key"], "t": text, "ti": title, "h": post_fingerprint(
                        r["author"], _utc_time(r["created_at"]), text, title)})
            if redacted:
                self._exec(q.REDACT_POSTS, {"rows": redacted})
            counts["mentions_redacted"] += len(redacted)
            self._exec(q.MOVE_FOLLOWING, params)
            self._exec(q.MOVE_FOLLOWERS, params)
            for label in ("AccountScore", "IdentityCandidate", "IdentityDecision"):
                self._exec(f"MATCH (x:{label}) WHERE x.account_key = $old DELETE x", params)
            self._exec(q.DELETE_ACCOUNT, params)
            counts["accounts"] += 1
        anon_customer = f"forgotten-{uuid.uuid4().hex[:12]}"
        self._exec(q.CREATE_ANONYMOUS_CUSTOMER,
                   {"c": customer_id, "n": anon_customer})
        orders = self._rows(q.CUSTOMER_ORDERS, {"c": customer_id})
        for n, o in enumerate(orders):
            self._exec(q.CREATE_ANONYMOUS_ORDER,
                       {"c": anon_customer, "k": f"{anon_customer}:{n}", "o": str(n),
                        "a": o["amount"], "d": o["purchased_at"]})
            self._exec(q.DELETE_PURCHASE, {"k": o["key"]})
        counts["purchases"] = len(orders)
        for label in ("IdentityCandidate", "IdentityDecision"):
            self._exec(f"MATCH (x:{label}) WHERE x.customer_id = $c DELETE x", {"c": customer_id})
        self._exec(q.DELETE_CUSTOMER, {"c": customer_id})
        self._exec(q.SET_PROJECTION_GENERATION,
                   {"g": uuid.uuid4().hex})  # accounts were re-keyed: rebuild projections
        self._exec(q.ADD_TOMBSTONES,
                   {"keys": tombstones, "now": now})
        return counts
