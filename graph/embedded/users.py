"""People and permissions: users, their sessions, and the audit log of every change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph import audit
from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import aware


def _naive(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


class UsersMixin(EmbeddedBase):
    """People and permissions: users, their sessions, and the audit log of every change."""

    _AUDIT = {"conversation": q.AUDIT_OF_CONVERSATION, "customer": q.AUDIT_OF_CUSTOMER,
              "all": q.AUDIT_ALL}

    @staticmethod
    def _user(r: dict[str, Any]) -> dict[str, Any]:
        return audit.user_view(r, aware)

    def save_user(self, name: str, *, role: str, password_hash: str | None = None,
                  disabled: bool | None = None) -> dict[str, Any]:
        audit.check_user(name, role, password_hash, lambda: self.get_user(name) is not None)
        rows = self._write_rows(q.SAVE_USER, {"name": name, "role": role, "hash": password_hash,
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
            self._write(q.END_USER_SESSIONS, {"user": name})
            rows = self._write_rows(q.DELETE_USER, {"name": name})
            return bool(rows and rows[0]["n"])

        found: bool = self._in_transaction(work)
        return found

    def create_session(self, key: str, user: str, expires_at: datetime) -> None:
        now = _naive(datetime.now(UTC))
        self._write(q.DELETE_EXPIRED_SESSIONS, {"now": now})
        self._write(q.CREATE_SESSION, {"key": key, "user": user, "now": now,
                                      "expires": _naive(expires_at)})

    def session_user(self, key: str, now: datetime) -> dict[str, Any] | None:
        rows = self._rows(q.SESSION_USER, {"key": key, "now": _naive(now)})
        return self._user(rows[0]) if rows else None

    def end_sessions(self, *, key: str | None = None, user: str | None = None) -> int:
        scope, params = audit.sessions_to_end(key, user)
        rows = self._rows(q.END_SESSION if scope == "key" else q.END_USER_SESSIONS, params)
        return int(rows[0]["n"]) if rows else 0

    def add_audit(self, actor: str, action: str, summary: str, *,
                  conversation_key: str | None = None,
                  customer_id: str | None = None) -> dict[str, Any]:
        entry = audit.audit_entry(actor, action, summary,
                                  conversation_key=conversation_key, customer_id=customer_id)
        self._write(q.ADD_AUDIT, {**entry, "at": _naive(entry["at"])})
        return entry

    def audit_log(self, *, conversation_key: str | None = None,
                  customer_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        scope, params = audit.audit_scope(conversation_key, customer_id, limit)
        return [audit.audit_view(r, aware) for r in self._rows(self._AUDIT[scope], params)]

    def redact_audit(self, customer_id: str) -> int:
        names = self._rows(q.AUDIT_CUSTOMER_NAMES, {"c": customer_id})
        if not names:
            return 0
        terms = audit.redaction_terms(names[0])
        rows = self._rows(q.AUDIT_ABOUT, {"c": customer_id,
                                          "terms": [t.lower() for t in terms]})
        changed = audit.audit_redactions(rows, terms, customer_id)
        if changed:
            self._write(q.REDACT_AUDIT, {"rows": changed})
        return len(changed)
