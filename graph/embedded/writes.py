"""Writes: batches through COPY of de-duplicated rows, brand, ledger, links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from graph.batch import (
    CUSTOMER_FIELDS,
    GIVEN_ACCOUNT_FIELDS,
    account_changes,
    account_row,
    follow_pairs,
    merge_account_values,
    merge_customers,
    merge_purchases,
    new_and_changed,
    plan_links,
    plan_purchases,
    wanted_links,
)
from graph.embedded import faults
from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.embedded.shared import (
    ACCOUNT_SCHEMA,
    CUSTOMER_SCHEMA,
    LARGE_BATCH,
    LOGGED_BATCH,
    POST_SCHEMA,
    key_scan,
    naive_utc,
    scan_table,
    scan_update,
    utc_column,
    wrote,
)
from graph.model import Account, OwnsLink
from graph.planning import PostEdge, PostPlan, pending_edge_key, split_edges
from graph.store import GraphBatch, StoreError, WriteResult

_OPENED = GIVEN_ACCOUNT_FIELDS.index("created_at")
#: up to how many pending edges a write of posts reads them all in one statement
#: (:meth:`WritesMixin._pending_for`); past it, it asks for those it needs
PENDING_READ_ALL = 20_000


class WritesMixin(EmbeddedBase):
    """Writes: batches through COPY of de-duplicated rows, brand, ledger, links."""


    def write_batch(self, batch: GraphBatch) -> WriteResult:
        large = len(batch) >= LARGE_BATCH
        # a small batch (a stream's, a poll's) goes through the log: its commit is synced
        # without the checkpoint a COPY forces; a large one (a file) is COPYed, and so is
        # any batch when the disk is nearly full (a failed log write aborts the process)
        logged = len(batch) < LOGGED_BATCH and faults.room_for_log(self.path, len(batch))
        with self._batch_connection(release_heap=large), self._logged(logged):
            result: WriteResult = self._in_transaction(lambda: self._write_batch(batch))
        if large:
            self._reopen()
        return result

    def _write_batch(self, batch: GraphBatch) -> WriteResult:
        result = WriteResult()
        self._write_customers(batch, result)
        self._write_accounts(batch, result)
        self._write_posts(batch, result)
        self._write_links(batch.links, result)
        self._write_follows(batch, result)
        self._write_purchases(batch, result)
        return result

    def _write_customers(self, batch: GraphBatch, result: WriteResult) -> None:
        merged = merge_customers(batch)
        if not merged:
            return
        ret = "n.key AS key, " + ", ".join(f"n.{f} AS {f}" for f in CUSTOMER_FIELDS)
        existing = {r["key"]: r for r in self._existing("Customer", list(merged), ret)}
        new, changed = new_and_changed(merged, existing, CUSTOMER_FIELDS)
        self._copy("Customer", pa.Table.from_pylist(
            [{f: r.get(f) for f in CUSTOMER_SCHEMA.names} for r in new], schema=CUSTOMER_SCHEMA))
        if changed:
            self._write(scan_update("Customer", CUSTOMER_FIELDS),
                       {"scan": scan_table(changed, CUSTOMER_SCHEMA, CUSTOMER_FIELDS)})
        result.created["customers"] = len(new)
        result.updated["customers"] = len(changed)

    def _write_accounts(self, batch: GraphBatch, result: WriteResult) -> None:
        # opening times as stored (naive UTC), so an unchanged one compares equal
        merged = {k: v if v[_OPENED] is None else
                  (*v[:_OPENED], naive_utc(v[_OPENED]), *v[_OPENED + 1:])
                  for k, v in merge_account_values(batch).items()}
        if not merged:
            return
        ret = "n.key AS key, " + ", ".join(f"n.{f} AS {f}" for f in GIVEN_ACCOUNT_FIELDS)
        found = self._existing_table("Account", list(merged), ret)
        stored = dict(zip(found["key"].to_pylist(), zip(
            *(found[f].to_pylist() for f in GIVEN_ACCOUNT_FIELDS), strict=True), strict=True))
        new = [k for k in merged if k not in stored]
        # the changed accounts by the fields that changed: each group sets those alone
        changed: dict[tuple[str, ...], list[str]] = {}
        for k, values in merged.items():
            if k in stored and (fields := account_changes(values, stored[k])):
                changed.setdefault(fields, []).append(k)
        parts = [k.split(":", 1) for k in new]
        given = list(zip(*(merged[k] for k in new), strict=True)) or [()] * len(
            GIVEN_ACCOUNT_FIELDS)
        rows = pa.table({"key": new, "platform": [p for p, _ in parts],
                         "handle": [h for _, h in parts],
                         **dict(zip(GIVEN_ACCOUNT_FIELDS, given, strict=True))},
                        schema=ACCOUNT_SCHEMA)
        brand = ACCOUNT_SCHEMA.get_field_index("is_brand")
        self._copy("Account", rows.set_column(brand, "is_brand",
                                              pc.fill_null(rows["is_brand"], False)))
        for fields, keys in changed.items():
            update = [account_row(k, merged[k]) for k in keys]
            self._write(scan_update("Account", fields),
                       {"scan": scan_table(update, ACCOUNT_SCHEMA, fields)})
        result.created["accounts"] = len(new)
        result.updated["accounts"] = sum(len(keys) for keys in changed.values())

    def _write_posts(self, batch: GraphBatch, result: WriteResult) -> None:
        plan = PostPlan.of(batch.posts, result)
        if not plan.seen:
            return
        found = self._existing_table("Post", plan.keys, "n.key AS key, n.content_hash AS h")
        plan.keep_new(dict(zip(found["key"].to_pylist(), found["h"].to_pylist(), strict=True)),
                      result)
        if plan.differing:
            found = self._existing_table("Post", plan.texts_to_look_up(),
                                         "n.key AS key, n.text AS t")
            plan.settle(dict(zip(found["key"].to_pylist(), found["t"].to_pylist(),
                                 strict=True)), result)
            if plan.replacements:
                k, t, h, s, m = zip(*plan.replacements, strict=True)
                self._write(q.REPLACE_POST_TEXTS, {"scan": pa.table({
                    "k": pa.array(k, pa.string()), "t": pa.array(t, pa.string()),
                    "h": pa.array(h, pa.int64()), "s": pa.array(s, pa.float64()),
                    "m": pa.array(m, pa.string())})})
        if not plan.new_keys:
            if batch.give_written:
                result.written.append(plan.written(late=False))
            return
        parents = plan.parents_to_look_up()  # usually none: replies name their thread
        found = self._existing_table("Post", parents, "n.key AS key, n.conversation_key AS c"
                                     ) if parents else None
        plan.assign_conversations({} if found is None else dict(zip(
            found["key"].to_pylist(), found["c"].to_pylist(), strict=True)))
        new, new_keys = plan.posts, plan.new_keys
        self._copy("Post", pa.table({
            "key": new_keys, "platform": plan.platforms, "post_id": [p.post_id for p in new],
            "author_key": plan.authors, "text": [p.text for p in new],
            "title": [p.title for p in new], "created_at": utc_column([p.created_at for p in new]),
            "url": [p.url for p in new], "kind": plan.kinds, "parent_key": plan.parent_keys,
            "conversation_key": plan.conversations, "shared_key": plan.shared_keys,
            "hashtags": [p.hashtags for p in new], "lang": [p.lang for p in new],
            "likes": [p.likes for p in new], "reposts": [p.reposts for p in new],
            "replies": [p.replies for p in new], "score": [p.score for p in new],
            "accepted": [p.accepted for p in new], "content_hash": plan.hashes,
            "sentiment": pa.array([p.sentiment for p in new], pa.float64()),
            "sentiment_model": pa.array([p.sentiment_model for p in new], pa.string()),
        }, schema=POST_SCHEMA))

        # Conversations the new posts belong to, and provisional ones that now move.
        conversation_platform = plan.conversation_platforms()
        known_conv = set(self._existing_table("Conversation", plan.conversation_keys_to_look_up())[
            "key"].to_pylist())
        new_conv = [k for k in conversation_platform if k not in known_conv]
        self._copy("Conversation", pa.table({
            "key": new_conv, "platform": [conversation_platform[k] for k in new_conv],
            "root_post_key": new_conv}, schema=pa.schema(
            [("key", pa.string()), ("platform", pa.string()), ("root_post_key", pa.string())])))
        result.created["conversations"] = len(new_conv)

        # Edges that start at a new post never exist yet: no check needed.
        self._copy("POSTED", pa.table({"from": plan.authors, "to": new_keys}))
        self._copy("IN_CONVERSATION", pa.table({"from": new_keys, "to": plan.conversations}))
        moves = plan.moves(known_conv)
        self._move_conversations(moves)
        m_from, m_to = plan.mentions()
        self._copy("MENTIONS", pa.table({"from": m_from, "to": m_to}))
        result.created["mentions"] = len(m_from)

        # Post-to-post edges: written now if the target is stored, else kept pending.
        wanted = plan.post_edges()
        stored_targets = self._existing_table("Post", plan.targets_to_look_up(wanted))[
            "key"].to_pylist()
        ready, waiting = split_edges(wanted, plan.new_key_set, set(stored_targets))

        before, resolved, pending_keys = self._pending_for(new_keys, waiting)
        if resolved.num_rows:
            ready.extend(PostEdge(*e) for e in zip(
                *(resolved[c].to_pylist() for c in ("rel", "from_key", "to_key", "kind")),
                strict=True))
            self._write(q.DELETE_PENDING,
                       {"keys": resolved["key"].to_pylist()})
        replies = [e for e in ready if e.rel == "REPLY_TO"]
        shares = [e for e in ready if e.rel == "SHARES"]
        self._copy("REPLY_TO", pa.table({"from": [e.from_key for e in replies],
                                         "to": [e.to_key for e in replies]}))
        self._copy("SHARES", pa.table({"from": [e.from_key for e in shares],
                                       "to": [e.to_key for e in shares],
                                       "kind": [e.share_kind for e in shares]}))
        wait_rows = []
        for e in waiting:
            key = pending_edge_key(e)
            if key not in pending_keys:
                wait_rows.append({"key": key, "rel": e.rel, "from_key": e.from_key,
                                  "to_key": e.to_key, "share_kind": e.share_kind})
        self._copy("PendingEdge", pa.Table.from_pylist(wait_rows, schema=pa.schema([
            ("key", pa.string()), ("rel", pa.string()), ("from_key", pa.string()),
            ("to_key", pa.string()), ("share_kind", pa.string())])))
        result.created["replies"] = len(replies)
        result.created["shares"] = len(shares)
        result.pending_edges = before - resolved.num_rows + len(wait_rows)
        self._family.pending_seen = result.pending_edges
        if batch.give_written:
            result.written.append(plan.written(late=bool(moves) or resolved.num_rows > 0))

    def _pending_for(self, new_keys: list[str], waiting: Sequence[PostEdge]
                     ) -> tuple[int, pa.Table, set[str]]:
        """The pending edges before this batch: how many, those the new posts resolve, and
        which of the ``waiting`` edges' keys are pending already. Read whole while the last
        write left few (one statement; the first write after opening reads them whole once,
        and so learns how many); past ``PENDING_READ_ALL`` (a stream of replies to posts
        never seen, which only grows) what is needed is asked for: a count, the edges to the
        new keys, the waiting keys by key, so a batch costs its own posts, not every
        pending edge."""
        if self._family.pending_seen <= PENDING_READ_ALL:
            pending = self._exec(q.PENDING_EDGES).get_as_arrow()
            resolved = pending.filter(pc.is_in(pending["to_key"], value_set=pa.array(
                new_keys, pa.string()))) if pending.num_rows else pending
            known = set(pending["key"].to_pylist()) if waiting and pending.num_rows else set()
            return pending.num_rows, resolved, known
        before = int(self._rows(q.PENDING_TOTAL)[0]["n"])
        resolved = self._arrow(q.PENDING_FOR_TARGETS, {"scan": key_scan(new_keys)})
        keys = list({pending_edge_key(e) for e in waiting})
        known = set(self._existing_table("PendingEdge", keys)["key"].to_pylist()) \
            if keys else set()
        return before, resolved, known

    def _move_conversations(self, moves: dict[str, str]) -> None:
        """Move the posts filed under each provisional conversation to the real one,
        then drop the provisional one (rare: a parent arrived after its replies). A care
        case and notes filed under it move too (the real conversation's case stays)."""
        for old, real in moves.items():
            # one conversation at a time, from the conversation's end: an UNWIND over
            # the relationship table would be planned as a scan of every post
            keys = [r["k"] for r in self._rows(
                q.CONVERSATION_POST_KEYS, {"old": old})]
            self._write(q.DELETE_CONVERSATION_EDGES,
                       {"old": old})
            self._write(q.DELETE_CONVERSATION, {"old": old})
            if keys:
                self._write(q.SET_POST_CONVERSATION, {"keys": keys, "real": real})
                self._copy("IN_CONVERSATION", pa.table({"from": keys, "to": [real] * len(keys)}))
            self._write(q.MOVE_CARE_CASE, {"old": old, "real": real})
            self._write(q.DELETE_CARE_CASE, {"old": old})
            self._write(q.MOVE_CARE_NOTES, {"old": old, "real": real})

    def _write_links(self, links: Sequence[OwnsLink], result: WriteResult) -> None:
        if not links:
            return
        wanted = wanted_links(links)
        known_customers = {r["key"] for r in self._existing(
            "Customer", list({c for c, _ in wanted}))}
        existing = {(r["c"], r["a"]): r for r in self._rows(
            q.EXISTING_LINKS,
            {"rows": [{"c": c, "a": a} for c, a in wanted]})}
        rejected = {r["key"] for r in self._existing(
            "IdentityDecision", [f"{c}|{a}" for c, a in wanted],
            "n.key AS key, n.decision AS decision") if r["decision"] == "reject"}
        new, changed = plan_links(wanted, known_customers, existing, rejected, result)
        self._copy("OWNS", pa.table({
            "from": [x.customer_id for x in new], "to": [x.account_key for x in new],
            "confidence": pa.array([x.confidence for x in new], pa.float64()),
            "method": pa.array([x.method for x in new], pa.string()),
            "evidence": pa.array([x.evidence for x in new], pa.string())}))
        if changed:
            self._write(
                q.UPDATE_LINKS,
                {"rows": [{"c": x.customer_id, "a": x.account_key, "confidence": x.confidence,
                           "method": x.method, "evidence": x.evidence} for x in changed]})
        result.created["links"] = result.created.get("links", 0) + len(new)
        result.updated["links"] = result.updated.get("links", 0) + len(changed)

    def _write_follows(self, batch: GraphBatch, result: WriteResult) -> None:
        pairs = follow_pairs(batch)
        if not pairs:
            return
        existing = {(r["a"], r["b"]) for r in self._rows(
            q.EXISTING_FOLLOWS,
            {"rows": [{"a": a, "b": b} for a, b in pairs]})}
        new = [p for p in pairs if p not in existing]
        self._copy("FOLLOWS", pa.table({"from": [a for a, _ in new], "to": [b for _, b in new]}))
        result.created["follows"] = len(new)

    def _write_purchases(self, batch: GraphBatch, result: WriteResult) -> None:
        rows = merge_purchases(batch)
        if not rows:
            return
        known_customers = {r["key"] for r in self._existing(
            "Customer", list({p.customer_id for p in rows.values()}))}
        existing = {r["key"] for r in self._existing("Purchase", list(rows))}
        new = plan_purchases(rows, existing, known_customers, result)
        self._copy("Purchase", pa.table({
            "key": list(new), "customer_id": [p.customer_id for p in new.values()],
            "order_id": [p.order_id for p in new.values()],
            "amount": pa.array([p.amount for p in new.values()], pa.float64()),
            "purchased_at": pa.array([p.purchased_at for p in new.values()], pa.date32())}))
        self._copy("PURCHASED", pa.table({"from": [p.customer_id for p in new.values()],
                                          "to": list(new)}))
        result.created["purchases"] = len(new)

    def bulk_load(self, table: str, rows: pa.Table) -> None:
        """Append ``rows`` to a node or relationship table exactly as given, in one
        transaction: no merging, no de-duplication, no planning.

        For building synthetic databases fast (``bench/``); the caller guarantees the
        keys are new and the columns are the table's (a duplicate primary key aborts
        the whole process, see ``write_batch`` for the checked path). Relationship
        tables take ``from`` and ``to`` key columns first.

        Args:
            table: A node label or relationship type of ``graph.schema``.
            rows: The rows, one column per property.
        """
        self._in_transaction(lambda: self._copy(table, rows))

    def set_brand(self, account_keys: Sequence[str], settings: dict[str, str]) -> int:
        def work() -> int:
            batch = GraphBatch(accounts=[
                Account(platform=k.split(":", 1)[0], handle=k.split(":", 1)[1], is_brand=True)
                for k in account_keys])
            self._write_accounts(batch, WriteResult())
            self._write(q.CLEAR_BRANDS)
            self._write(q.MARK_BRANDS,
                       {"keys": list(account_keys)})
            for name, value in settings.items():
                self._write(q.MERGE_SETTING, {"k": name, "v": value})
            return len(account_keys)
        return self._in_transaction(work)  # type: ignore[no-any-return]

    def save_settings(self, settings: dict[str, str]) -> None:
        def work() -> None:
            for name, value in settings.items():
                self._write(q.MERGE_SETTING, {"k": name, "v": value})
        self._in_transaction(work)

    def get_settings(self) -> dict[str, str]:
        # projection.* belongs to this adapter's projection cache, not to the brand's
        # configuration (it is not migrated, and differs between copies)
        return {r["k"]: r["v"] for r in self._rows(
            q.GET_SETTINGS)
            if not r["k"].startswith("projection.")}

    def file_ingested(self, fingerprint: str) -> bool:
        return bool(self._existing("IngestFile", [fingerprint]))

    def record_file(self, fingerprint: str, path: str, source: str, read: int, loaded: int,
                    rejected: int) -> None:
        self._write(
            q.RECORD_FILE,
            {"k": fingerprint, "path": path, "source": source, "read": read, "loaded": loaded,
             "rejected": rejected, "at": datetime.now(UTC).replace(tzinfo=None)})

    def link_account(self, link: OwnsLink) -> None:
        def work() -> None:
            self._write_accounts(GraphBatch(links=[link]), WriteResult())
            self._write(q.DELETE_LINK,
                       {"c": link.customer_id, "a": link.account_key})
            result = WriteResult()
            self._write_links([link], result)
            if result.conflicts:
                raise StoreError(result.conflicts[0][1])
        self._in_transaction(work)

    def unlink_account(self, customer_id: str, account_key: str) -> bool:
        rows = self._write_rows(q.DELETE_LINK_COUNTED, {"c": customer_id, "a": account_key})
        wrote(self.path)
        return bool(rows and rows[0]["n"])
