"""People and permissions: users, their sessions, and the audit log of every change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.audit import ROLES, audit_entry, audit_redactions, redaction_terms
from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import aware
from graph.store import StoreError


def _naive(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


class UsersMixin(EmbeddedBase):
    """People and permissions: users, their sessions, and the audit log of every change."""

    @staticmethod
    def _user(r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "created_at": aware(r["created_at"]), "disabled": bool(r["disabled"])}

    def save_user(self, name: str, *, role: str, password_hash: str | None = None,
                  disabled: bool | None = None) -> dict[str, Any]:
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        if password_hash is None and self.get_user(name) is None:
            raise StoreError(f"a new user ({name}) needs a password")
        rows = self._rows(q.SAVE_USER, {"name": name, "role": role, "hash": password_hash,
                                        "disabled": disabled,
                                        "now": _naive(datetime.now(UTC))})
        return self._user(rows[0])

    def get_user(self, name: str) -> dict[str, Any] | None:
        rows = self._rows(q.GET_USER, {"name": name})
        return self._user(rows[0]) if rows else None

    def users(self) -> list[dict[str, Any]]:
        return [self._user(r) for r in self._rows(q.ALL_USERS)]

    def remove_user(self, name: str) -> bool:
        def work() -> bool:
            self._exec(q.END_USER_SESSIONS, {"user": name})
            rows = self._rows(q.DELETE_USER, {"name": name})
            return bool(rows and rows[0]["n"])

        found: bool = self._in_transaction(work)
        return found

    def create_session(self, key: str, user: str, expires_at: datetime) -> None:
        now = _naive(datetime.now(UTC))
        self._exec(q.DELETE_EXPIRED_SESSIONS, {"now": now})
        self._exec(q.CREATE_SESSION, {"key": key, "user": user, "now": now,
                                      "expires": _naive(expires_at)})

    def session_user(self, key: str, now: datetime) -> dict[str, Any] | None:
        rows = self._rows(q.SESSION_USER, {"key": key, "now": _naive(now)})
        return self._user(rows[0]) if rows else None

    def end_sessions(self, *, key: str | None = None, user: str | None = None) -> int:
        if key is not None:
            rows = self._rows(q.END_SESSION, {"key": key})
        elif user is not None:
            rows = self._rows(q.END_USER_SESSIONS, {"user": user})
        else:
            raise StoreError("end_sessions needs a session key or a user")
        return int(rows[0]["n"]) if rows else 0

    def add_audit(self, actor: str, action: str, summary: str, *,
                  conversation_key: str | None = None,
                  customer_id: str | None = None) -> dict[str, Any]:
        entry = audit_entry(actor, action, summary, conversation_key=conversation_key,
                            customer_id=customer_id)
        self._exec(q.ADD_AUDIT, {**entry, "at": _naive(entry["at"])})
        return entry

    def audit_log(self, *, conversation_key: str | None = None,
                  customer_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        if conversation_key is not None:
            rows = self._rows(q.AUDIT_OF_CONVERSATION, {"k": conversation_key, "n": limit})
        elif customer_id is not None:
            rows = self._rows(q.AUDIT_OF_CUSTOMER, {"c": customer_id, "n": limit})
        else:
            rows = self._rows(q.AUDIT_ALL, {"n": limit})
        return [{**r, "at": aware(r["at"])} for r in rows]

    def redact_audit(self, customer_id: str) -> int:
        names = self._rows(q.AUDIT_CUSTOMER_NAMES, {"c": customer_id})
        if not names:
            return 0
        terms = redaction_terms(names[0])
        rows = self._rows(q.AUDIT_ABOUT, {"c": customer_id,
                                          "terms": [t.lower() for t in terms]})
        changed = audit_redactions(rows, terms, customer_id)
        if changed:
            self._exec(q.REDACT_AUDIT, {"rows": changed})
        return len(changed)
