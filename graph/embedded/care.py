"""Care workflow (cases and notes per conversation) and privacy (forgetting)."""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import KEYED_CACHES, RANK_LOCK, RANK_ORDER, aware, utc_time, wrote
from graph.erasure import PersonalData, redact_text
from graph.model import PostKind, tombstone
from graph.planning import post_fingerprint
from graph.store import (
    CARE_STATUSES,
    StoreError,
)
from graph.views import texts_by_conversation


class CareMixin(EmbeddedBase):
    """Care workflow (cases and notes per conversation) and privacy (forgetting)."""

    _CASE_RETURN = ("c.key AS key, c.status AS status, c.assignee AS assignee, c.team AS team, "
                    "c.updated_at AS updated_at, c.resolved_at AS resolved_at")


    @staticmethod
    def _case(r: dict[str, Any]) -> dict[str, Any]:
        return {"conversation_key": r["key"], "status": r["status"], "assignee": r["assignee"],
                "team": r["team"], "updated_at": aware(r["updated_at"]),
                "resolved_at": aware(r["resolved_at"])}

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
        rows = self._write_rows(
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
        self._write(q.CREATE_CARE_NOTE,
                   {"key": key, "c": conversation_key, "a": author, "t": text, "now": now})
        return {"key": key, "conversation_key": conversation_key, "author": author,
                "text": text, "created_at": aware(now)}

    def care_notes(self, conversation_keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {k: [] for k in conversation_keys}
        if not conversation_keys:
            return out
        rows = self._rows(q.CARE_NOTES, {"keys": list(dict.fromkeys(
                              conversation_keys))})
        for r in rows:
            r["created_at"] = aware(r["created_at"])
            out.setdefault(r["conversation_key"], []).append(r)
        return out

    def _privacy_salt(self) -> str:
        salt: str | None = self.get_settings().get("privacy.salt")
        if not salt:
            self._write(q.SET_PRIVACY_SALT, {"v": secrets.token_hex(16)})
            salt = self.get_settings()["privacy.salt"]  # written once: whoever was first
        return salt

    def post_count(self) -> int:
        rows = self._rows(q.POST_COUNT)
        return int(rows[0]["n"]) if rows else 0

    def care_notes_containing(self, text: str) -> dict[str, list[str]]:
        return texts_by_conversation(self._rows(q.CARE_NOTES_CONTAINING, {"t": text.lower()}))

    def forgotten_keys(self) -> set[str]:
        return {r["k"] for r in self._rows(q.FORGOTTEN_KEYS)}

    def personal_data(self, customer_id: str) -> PersonalData | None:
        customer = self._rows(q.PERSON_CUSTOMER, {"c": customer_id})
        if not customer:
            return None
        accounts = self._rows(q.PERSON_ACCOUNTS, {"c": customer_id})
        texts: list[str | None] = []
        for a in accounts:
            for r in self._rows(q.ACCOUNT_POSTS, {"a": a["key"]}):
                texts += [r["text"], r["title"]]
        return PersonalData.collect(customer[0], accounts, texts)

    def forget_customer(self, customer_id: str) -> dict[str, int] | None:
        person = self.personal_data(customer_id)
        if person is None:
            return None
        with RANK_LOCK:  # the forgotten accounts' score rows go away
            for key in [k for k in RANK_ORDER if k[0] == str(self.path)]:
                del RANK_ORDER[key]
        # the audit log keeps that changes happened, not what they said about the person
        self.redact_audit(customer_id)  # type: ignore[attr-defined]  # graph.embedded.users
        counts: dict[str, int] = self._in_transaction(
            lambda: self._forget(customer_id, person))
        # The kept brand posts and activity name accounts: no copy of a forgotten key
        # may stay on disk (the projection holds only offsets; its generation is new).
        for name in KEYED_CACHES:
            self._cache_path(name).unlink(missing_ok=True)
        return counts

    def _redact_others(self, accounts: list[dict[str, Any]], person: PersonalData,
                       counts: dict[str, int]) -> list[str]:
        """Blank shares of their posts; take their names, e-mail, handles and words out of
        other posts in their conversations or naming them (brand responses too) and out
        of care notes. Fingerprints follow, so a re-import redacted alike is no conflict."""
        theirs: set[str] = set()
        conversations: set[str] = set()
        for a in accounts:
            for r in self._rows(q.ACCOUNT_POSTS, {"a": a["key"]}):
                theirs.add(r["key"])
                conversations.add(r["conversation_key"] or r["key"])
        shares: set[str] = set()
        for k in sorted(theirs):
            shares.update(r["key"] for r in self._rows(q.SHARES_OF_POST, {"k": k}))
        candidates = set(shares)
        for a in accounts:
            candidates.update(r["key"] for r in self._rows(q.MENTIONS_OF_ACCOUNT,
                                                           {"a": a["key"]}))
        for c in sorted(conversations):
            candidates.update(r["key"] for r in self._rows(q.POSTS_IN_CONVERSATION, {"k": c}))
        for term in person.names:
            candidates.update(r["key"] for r in self._rows(q.POSTS_NAMING, {"t": term.lower()}))
        candidates -= theirs
        rows = self._rows(q.POSTS_BY_KEY, {"keys": sorted(candidates)}) if candidates else []
        redacted = []
        for r in rows:
            copy = r["key"] in shares and r["kind"] == PostKind.SHARE
            text = "" if copy else (redact_text(r["text"], person) or "")
            title = None if copy else redact_text(r["title"], person)
            if text != (r["text"] or "") or title != r["title"]:
                redacted.append({"k": r["key"], "t": text, "ti": title, "h": post_fingerprint(
                    r["author"], utc_time(r["created_at"]), text, title)})
                counts["copies_blanked" if r["key"] in shares else "mentions_redacted"] += 1
        if redacted:
            self._write(q.REDACT_POSTS, {"rows": redacted})
        # a thread they started: its posts' links carry their title (reddit permalinks)
        linked = [r["key"] for c in sorted(conversations & theirs)
                  for r in self._rows(q.POSTS_IN_CONVERSATION, {"k": c})
                  if r["key"] not in theirs]
        if linked:
            self._write(q.CLEAR_POST_URLS, {"keys": linked})
        notes = []
        for n in self._rows(q.ALL_CARE_NOTES):
            note = redact_text(n["text"], person)
            if note != n["text"]:
                notes.append({"k": n["key"], "t": note})
        if notes:
            self._write(q.REDACT_CARE_NOTES, {"rows": notes})
        counts["notes_redacted"] = len(notes)
        return [r["k"] for r in redacted]

    def _forget(self, customer_id: str, person: PersonalData) -> dict[str, int]:
        salt = self._privacy_salt()
        now = datetime.now(UTC).replace(tzinfo=None)
        counts = {"accounts": 0, "posts": 0, "mentions_redacted": 0, "copies_blanked": 0,
                  "notes_redacted": 0, "purchases": 0}
        accounts = self._rows(q.FORGET_LINKED_ACCOUNTS,
                              {"c": customer_id})
        changed = self._redact_others(accounts, person, counts)
        # a later import of those posts is skipped, not refused as a conflict (which
        # would copy the original line, with the person in it, into the rejects file)
        tombstones = [tombstone("customer", customer_id, salt),
                      *(tombstone("post", k, salt) for k in changed)]
        for a in accounts:
            old, anon = a["key"], f"forgotten-{uuid.uuid4().hex[:12]}"
            new = f"{a['platform']}:{anon}"
            tombstones.append(tombstone("account", old, salt))
            self._write(q.CREATE_ANONYMOUS_ACCOUNT,
                       {"k": new, "p": a["platform"], "h": anon})
            params = {"old": old, "new": new}
            posted = self._write_rows(
                q.MOVE_AUTHORED_POSTS, params)
            counts["posts"] += posted[0]["n"] if posted else 0
            self._write(q.MOVE_MENTIONS, params)  # their texts were redacted above
            self._write(q.MOVE_FOLLOWING, params)
            self._write(q.MOVE_FOLLOWERS, params)
            for label in ("AccountScore", "IdentityCandidate", "IdentityDecision"):
                self._write(f"MATCH (x:{label}) WHERE x.account_key = $old DELETE x", params)
            self._write(q.DELETE_ACCOUNT, params)
            counts["accounts"] += 1
        anon_customer = f"forgotten-{uuid.uuid4().hex[:12]}"
        self._write(q.CREATE_ANONYMOUS_CUSTOMER,
                   {"c": customer_id, "n": anon_customer})
        orders = self._rows(q.CUSTOMER_ORDERS, {"c": customer_id})
        for n, o in enumerate(orders):
            self._write(q.CREATE_ANONYMOUS_ORDER,
                       {"c": anon_customer, "k": f"{anon_customer}:{n}", "o": str(n),
                        "a": o["amount"], "d": o["purchased_at"]})
            self._write(q.DELETE_PURCHASE, {"k": o["key"]})
        counts["purchases"] = len(orders)
        for label in ("IdentityCandidate", "IdentityDecision"):
            self._write(f"MATCH (x:{label}) WHERE x.customer_id = $c DELETE x", {"c": customer_id})
        self._write(q.DELETE_CUSTOMER, {"c": customer_id})
        self._write(q.SET_PROJECTION_GENERATION,
                   {"g": uuid.uuid4().hex})  # accounts were re-keyed: rebuild projections
        self._write(q.ADD_TOMBSTONES,
                   {"keys": tombstones, "now": now})
        return counts

    def compact(self) -> bool:
        """Rewrite the database file so deleted values are gone from disk.

        LadybugDB leaves deleted and overwritten values in freed pages (and the log)
        until they happen to be reused. This exports the live database (``EXPORT
        DATABASE``: only what is stored now), imports it into a fresh file beside it,
        and, with every handle of this process on the database waiting, closes the
        database, renames the fresh file over it, drops a leftover log and reopens.
        Read-only handles in other processes see the new file when they next open it
        (``scrm serve --readers`` reopens on the write generation).
        """
        import ladybug

        if self.read_only or self._db is None:
            raise StoreError("compacting needs the database open for writing")
        if "'" in str(self.path):
            raise StoreError(f"cannot compact {self.path}: its path holds a quote")
        work = self.path.parent / f"{self.path.name}.compact-{os.getpid()}"
        fresh = work / "fresh.lbdb"
        with self._family.write_lock, self._family.gate.alone():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            try:
                # node offsets change in the fresh file: kept projections must not be reused
                self._write(q.SET_PROJECTION_GENERATION, {"g": uuid.uuid4().hex})
                self._write("CHECKPOINT")
                self._exec(q.EXPORT_DATABASE.format(path=work / "export"))
                new_db = ladybug.Database(str(fresh), buffer_pool_size=self._pool_bytes)
                try:
                    conn = ladybug.Connection(new_db)
                    conn.execute(q.IMPORT_DATABASE.format(path=work / "export"))
                    conn.close()
                finally:
                    new_db.close()
                handles = [h for h in self._family.handles if h._db is not None]
                for h in handles:
                    h._conn.close()
                    h._conn = None  # type: ignore[assignment]
                self._db.close()
                wal = self.path.with_name(self.path.name + ".wal")
                os.replace(fresh, self.path)
                wal.unlink(missing_ok=True)  # the old file's log, if any, is not the new one's
                fresh_wal = fresh.with_name(fresh.name + ".wal")
                if fresh_wal.exists():
                    os.replace(fresh_wal, wal)
                db = self._open_database(self._pool_bytes)
                for h in handles:
                    h._db = db
                    h._conn = ladybug.Connection(db)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        wrote(self.path)
        with RANK_LOCK:
            for key in [k for k in RANK_ORDER if k[0] == str(self.path)]:
                del RANK_ORDER[key]
        return True
