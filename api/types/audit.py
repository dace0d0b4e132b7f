"""The audit log: who changed what, when, on which conversation or customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.errors import UserError

__all__ = ["MAX_AUDIT_ENTRIES", "AuditEntry", "check_audit_size"]

MAX_AUDIT_ENTRIES = 500


@strawberry.type(description="One change, as the audit log keeps it. After a customer's "
                              "erasure the entry stays, without what it said about them.")
class AuditEntry:
    id: str
    at: datetime
    actor: str = strawberry.field(description="The signed-in user, or the API key's name, "
                                              "who made the change.")
    action: str = strawberry.field(description="assign, note, reply, resolve, reopen, link, "
                                               "unlink or forget.")
    conversation_id: str | None
    customer_id: str | None
    summary: str

    @classmethod
    def from_domain(cls, r: dict[str, Any]) -> AuditEntry:
        """From a store row (:meth:`graph.store.GraphStore.audit_log`)."""
        return cls(id=r["key"], at=r["at"], actor=r["actor"], action=r["action"],
                   conversation_id=r["conversation_key"], customer_id=r["customer_id"],
                   summary=r["summary"] or "")


def check_audit_size(first: int) -> int:
    """``first`` if it is a page size the audit log answers."""
    if not 1 <= first <= MAX_AUDIT_ENTRIES:
        raise UserError(f"first must be between 1 and {MAX_AUDIT_ENTRIES}")
    return first
