"""People and permissions: users, their sessions, and the audit log of every change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph import audit
from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase, Runner, _native, _utc


class UsersMixin(Neo4jBase):
    """People and permissions: users, their sessions, and the audit log of every change."""

    _AUDIT = {"conversation": q.AUDIT_OF_CONVERSATION, "customer": q.AUDIT_OF_CUSTOMER,
              "all": q.AUDIT_ALL}

    @staticmethod
    def _user(r: dict[str, Any]) -> dict[str, Any]:
        return audit.user_view(r, _native)

    def save_user(self, name: str, *, role: str, password_hash: str | None = None,
                  disabled: bool | None = None) -> dict[str, Any]:
        audit.check_user(name, role, password_hash, lambda: self.get_user(name) is not None)
        rows = self._write(q.SAVE_USER, {"name": name, "role": role, "hash": password_hash,
                                         "disabled": disabled, "now": datetime.now(UTC)})
        return self._user(rows[0])

    def get_user(self, name: str) -> dict[str, Any] | None:
        rows = self._read(q.GET_USER, {"name": name})
        return self._user(rows[0]) if rows else None

    def users(self) -> list[dict[str, Any]]:
        return [self._user(r) for r in self._read(q.ALL_USERS)]

    def remove_user(self, name: str) -> bool:
        rows = self._write(q.DELETE_USER, {"name": name})
        return bool(rows and rows[0]["n"])

    def create_session(self, key: str, user: str, expires_at: datetime) -> None:
        self._write(q.CREATE_SESSION, {"key": key, "user": user, "now": datetime.now(UTC),
                                       "expires": _utc(expires_at)})

    def session_user(self, key: str, now: datetime) -> dict[str, Any] | None:
        rows = self._read(q.SESSION_USER, {"key": key, "now": _utc(now)})
        return self._user(rows[0]) if rows else None

    def end_sessions(self, *, key: str | None = None, user: str | None = None) -> int:
        scope, params = audit.sessions_to_end(key, user)
        rows = self._write(q.END_SESSION if scope == "key" else q.END_USER_SESSIONS, params)
        return int(rows[0]["n"]) if rows else 0

    def add_audit(self, actor: str, action: str, summary: str, *,
                  conversation_key: str | None = None,
                  customer_id: str | None = None) -> dict[str, Any]:
        entry = audit.audit_entry(actor, action, summary,
                                  conversation_key=conversation_key, customer_id=customer_id)
        self._write(q.ADD_AUDIT, {**entry, "at": entry["at"]})
        return entry

    def audit_log(self, *, conversation_key: str | None = None,
                  customer_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        scope, params = audit.audit_scope(conversation_key, customer_id, limit)
        return [audit.audit_view(r, _native) for r in self._read(self._AUDIT[scope], params)]

    def redact_audit(self, customer_id: str) -> int:
        changed: int = self._in_transaction(lambda run: self._redact_audit(run, customer_id))
        return changed

    @staticmethod
    def _redact_audit(run: Runner, customer_id: str) -> int:
        names = run(q.AUDIT_CUSTOMER_NAMES, {"c": customer_id})
        if not names:
            return 0
        terms = audit.redaction_terms(names[0])
        rows = run(q.AUDIT_ABOUT, {"c": customer_id, "terms": [t.lower() for t in terms]})
        changed = audit.audit_redactions(rows, terms, customer_id)
        if changed:
            run(q.REDACT_AUDIT, {"rows": changed})
        return len(changed)
