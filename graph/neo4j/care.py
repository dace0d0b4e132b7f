"""Care workflow (cases and notes per conversation) and privacy (forgetting)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graph.erasure import PersonalData, redact_text
from graph.model import PostKind, tombstone
from graph.neo4j import queries as q
from graph.planning import post_fingerprint
from graph.store import (
    CARE_STATUSES,
    StoreError,
)
from graph.views import texts_by_conversation

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

    def post_count(self) -> int:
        rows = self._read(q.POST_COUNT)
        return int(rows[0]["n"]) if rows else 0

    def care_notes_containing(self, text: str) -> dict[str, list[str]]:
        return texts_by_conversation(self._read(q.CARE_NOTES_CONTAINING, {"text": text.lower()}))

    def forgotten_keys(self) -> set[str]:
        return {r["key"] for r in self._read(q.FORGOTTEN_KEYS)}

    def personal_data(self, customer_id: str) -> PersonalData | None:
        return self._in_transaction(  # type: ignore[no-any-return]
            lambda run: self._personal_data(run, customer_id))

    @staticmethod
    def _personal_data(run: Runner, customer_id: str) -> PersonalData | None:
        customer = run(q.PERSON_CUSTOMER, {"customer_id": customer_id})
        if not customer:
            return None
        texts: list[str | None] = []
        for r in run(q.PERSON_POSTS, {"customer_id": customer_id}):
            texts += [r["text"], r["title"]]
        return PersonalData.collect(customer[0], run(q.PERSON_ACCOUNTS,
                                                     {"customer_id": customer_id}), texts)

    def compact(self) -> bool:
        # Neo4j deletes what a transaction deleted from its store files; its transaction
        # logs keep it until they rotate (the README says how an operator purges them)
        return False

    def forget_customer(self, customer_id: str) -> dict[str, int] | None:
        # the audit log keeps that changes happened, not what they said about the person
        self.redact_audit(customer_id)  # type: ignore[attr-defined]  # graph.neo4j.users
        return self._in_transaction(  # type: ignore[no-any-return]
            lambda run: self._forget(run, customer_id))

    @staticmethod
    def _redact_others(run: Runner, customer_id: str, person: PersonalData,
                       counts: dict[str, int]) -> list[str]:
        """Blank shares of their posts; take their names, e-mail, handles and words out of
        other posts in their conversations or naming them, and out of care notes."""
        theirs = run(q.PERSON_POSTS, {"customer_id": customer_id})
        their_keys = {t["key"] for t in theirs}
        redacted, linked = [], []
        for r in run(q.POSTS_ABOUT_PERSON, {
                "theirs": [t["key"] for t in theirs],
                "conversations": sorted({t["conversation_key"] for t in theirs}),
                "accounts": [a["key"] for a in run(q.PERSON_ACCOUNTS,
                                                   {"customer_id": customer_id})],
                "terms": [t.lower() for t in person.names]}):
            if r["conversation_key"] in their_keys:
                linked.append(r["key"])
            copy = bool(r["shares"]) and r["kind"] == PostKind.SHARE
            text = "" if copy else (redact_text(r["text"], person) or "")
            title = None if copy else redact_text(r["title"], person)
            if text != (r["text"] or "") or title != r["title"]:
                redacted.append({"key": r["key"], "text": text, "title": title,
                                 "content_hash": post_fingerprint(
                                     r["author"], _utc(_native(r["created_at"])), text, title)})
                counts["copies_blanked" if r["shares"] else "mentions_redacted"] += 1
        if redacted:
            run(q.REDACT_POSTS, {"rows": redacted})
        if linked:
            run(q.CLEAR_POST_URLS, {"keys": linked})
        notes = []
        for n in run(q.ALL_CARE_NOTES, {}):
            note = redact_text(n["text"], person)
            if note != n["text"]:
                notes.append({"key": n["key"], "text": note})
        if notes:
            run(q.REDACT_CARE_NOTES, {"rows": notes})
        counts["notes_redacted"] = len(notes)
        return [r["key"] for r in redacted]

    def _forget(self, run: Runner, customer_id: str) -> dict[str, int] | None:
        """All of it in one transaction, the existence check and the salt included
        (other writers may forget or import at the same time)."""
        if not run(q.GET_CUSTOMER, {"key": customer_id}):
            return None
        now = datetime.now(UTC)
        salt = str(run(q.PRIVACY_SALT, {"salt": secrets.token_hex(16)})[0]["value"])
        counts = {"accounts": 0, "posts": 0, "mentions_redacted": 0, "copies_blanked": 0,
                  "notes_redacted": 0, "purchases": 0}
        person = self._personal_data(run, customer_id)
        changed = self._redact_others(run, customer_id, person, counts) if person else []
        # a later import of those posts is skipped, not refused as a conflict (which
        # would copy the original line, with the person in it, into the rejects file)
        tombstones = [tombstone("customer", customer_id, salt),
                      *(tombstone("post", k, salt) for k in changed)]
        for a in run(q.FORGET_LINKED_ACCOUNTS, {"customer_id": customer_id}):
            anon = f"forgotten-{uuid.uuid4().hex[:12]}"
            new = f"{a['platform']}:{anon}"
            tombstones.append(tombstone("account", a["key"], salt))
            done = run(q.FORGET_ACCOUNT, {"old": a["key"], "new": new, "handle": anon})
            counts["posts"] += int(done[0]["posts"]) if done else 0
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
