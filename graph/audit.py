"""What the people-and-permissions section of the store means, above both adapters.

Users have one of :data:`ROLES`; every change made through the API or the workspace
leaves an audit entry (who, when, what, on which conversation or customer, a short
summary). Erasing a customer keeps each entry (that a change happened, by whom, when)
but not what it said about the person: :func:`redact_summary`.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from graph.store import StoreError

__all__ = [
    "ROLES",
    "SUMMARY_CHARS",
    "WRITE_ROLES",
    "audit_entry",
    "audit_redactions",
    "audit_scope",
    "audit_view",
    "check_user",
    "name_problem",
    "redact_summary",
    "redaction_terms",
    "session_key",
    "sessions_to_end",
    "summarize",
    "user_view",
]

# Most to least powerful. Admins manage users; managers and agents work conversations;
# viewers only look.
ROLES: tuple[str, ...] = ("admin", "manager", "agent", "viewer")
WRITE_ROLES: frozenset[str] = frozenset({"admin", "manager", "agent"})
SUMMARY_CHARS = 200
REDACTED = "[redacted]"
ERASED = "details erased with the customer's data"


def name_problem(name: str) -> str | None:
    """What is wrong with a user name (None: nothing). Names appear in URLs, cookies'
    sessions and the audit log, so they are short and plain."""
    if not name or len(name) > 60 or name != name.strip() or any(
            c in name for c in ":,/\\?#%\n\r\t"):
        return "a user name is 1-60 characters without spaces around it or : , / \\ ? # %"
    return None


def check_user(name: str, role: str, password_hash: str | None,
               known: Callable[[], bool]) -> None:
    """Refuse to save a user with an unknown role, or a new one (``known()`` is false)
    without a password."""
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if password_hash is None and not known():
        raise StoreError(f"a new user ({name}) needs a password")


def user_view(r: Mapping[str, Any], to_time: Callable[[Any], Any]) -> dict[str, Any]:
    """A stored ``User`` row as the port returns it (``to_time``: the adapter's stored
    time as an aware datetime)."""
    return {**r, "created_at": to_time(r["created_at"]), "disabled": bool(r["disabled"])}


def sessions_to_end(key: str | None, user: str | None) -> tuple[str, dict[str, str]]:
    """Which sessions ``end_sessions`` ends: ``("key", ...)`` one session, ``("user",
    ...)`` every session of a user; with the query's parameters."""
    if key is not None:
        return "key", {"key": key}
    if user is not None:
        return "user", {"user": user}
    raise StoreError("end_sessions needs a session key or a user")


def audit_scope(conversation_key: str | None, customer_id: str | None,
                limit: int) -> tuple[str, dict[str, Any]]:
    """Which entries ``audit_log`` reads: a conversation's, else a customer's, else
    all (``"conversation"``, ``"customer"``, ``"all"``); with the query's parameters."""
    if conversation_key is not None:
        return "conversation", {"k": conversation_key, "n": limit}
    if customer_id is not None:
        return "customer", {"c": customer_id, "n": limit}
    return "all", {"n": limit}


def audit_view(r: Mapping[str, Any], to_time: Callable[[Any], Any]) -> dict[str, Any]:
    """A stored audit entry as the port returns it."""
    return {**r, "at": to_time(r["at"])}


def audit_entry(actor: str, action: str, summary: str, *, conversation_key: str | None,
                customer_id: str | None) -> dict[str, Any]:
    """A new audit-log entry as both adapters store it: its key sorts by time (then a
    random tail), ``at`` is aware UTC."""
    at = datetime.now(UTC)
    return {"key": f"{at.isoformat()}|{uuid.uuid4().hex[:8]}", "at": at, "actor": actor,
            "action": action, "conversation_key": conversation_key,
            "customer_id": customer_id, "summary": summary}


def redaction_terms(person: dict[str, Any]) -> list[str]:
    """What names a customer in the log: their name, e-mail and handles (a row with
    ``name``, ``email`` and ``handles``)."""
    return [t for t in (person["name"], person["email"], *person["handles"]) if t]


def audit_redactions(rows: Sequence[dict[str, Any]], terms: Sequence[str],
                     customer_id: str) -> list[dict[str, str]]:
    """The entries (``key``, new ``summary``) whose summary erasing ``customer_id`` changes:
    an entry recorded against them keeps only that a change happened; any other loses
    their ``terms``."""
    changed = []
    for r in rows:
        summary = redact_summary(r["summary"] or "", terms,
                                 about_person=r["customer_id"] == customer_id)
        if summary != r["summary"]:
            changed.append({"key": r["key"], "summary": summary})
    return changed


def session_key(token: str) -> str:
    """What the store keeps of a session token: its SHA-256 (hex). A copy of the database
    therefore lets nobody sign in as anyone."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def summarize(text: str, limit: int = SUMMARY_CHARS) -> str:
    """One line of at most ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def redact_summary(summary: str, terms: Sequence[str], *, about_person: bool) -> str:
    """An audit summary as it may stay after a customer's erasure.

    Args:
        summary: The entry's summary.
        terms: What names the person (name, e-mail, handles), any case.
        about_person: The entry was recorded against that customer: its details go
            entirely, since a note's excerpt may say anything about them.

    Returns:
        The summary to keep.
    """
    if about_person:
        return ERASED
    for term in sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True):
        summary = re.sub(re.escape(term), REDACTED, summary, flags=re.IGNORECASE)
    return summary
