"""Writes: batches as UNWIND statements in one transaction, brand, ledger, links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph import batch as batching
from graph.model import Account, OwnsLink
from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase, Runner
from graph.neo4j.shared import chunks, native, utc
from graph.planning import PostEdge, PostPlan, pending_edge_key, split_edges
from graph.store import GraphBatch, StoreError, WriteResult


class WritesMixin(Neo4jBase):
    """Writes: batches as UNWIND statements in one transaction, brand, ledger, links."""


    def write_batch(self, batch: GraphBatch) -> WriteResult:
        return self._in_transaction(  # type: ignore[no-any-return]
            lambda run: self._write_batch(run, batch))

    def _write_batch(self, run: Runner, batch: GraphBatch) -> WriteResult:
        result = WriteResult()
        self._write_customers(run, batch, result)
        self._write_accounts(run, batching.merge_accounts(batch), result)
        self._write_posts(run, batch, result)
        self._write_links(run, batch.links, result)
        self._write_follows(run, batch, result)
        self._write_purchases(run, batch, result)
        return result

    def _write_customers(self, run: Runner, batch: GraphBatch, result: WriteResult) -> None:
        merged = batching.merge_customers(batch)
        if not merged:
            return
        existing = {r["key"]: {k: native(v) for k, v in r.items()}
                    for r in self._existing(run, q.EXISTING_CUSTOMERS, list(merged))}
        new, changed = batching.new_and_changed(merged, existing, batching.CUSTOMER_FIELDS)
        self._unwind(run, q.MERGE_CUSTOMERS, [
            {f: r.get(f) for f in ("key", *batching.CUSTOMER_FIELDS)} for r in new + changed])
        result.created["customers"] = len(new)
        result.updated["customers"] = len(changed)

    def _write_accounts(self, run: Runner, merged: dict[str, dict[str, Any]],
                        result: WriteResult) -> None:
        if not merged:
            return
        existing = {r["key"]: r for r in self._existing(run, q.EXISTING_ACCOUNTS, list(merged))}
        for r in merged.values():
            if r.get("created_at") is not None:
                r["created_at"] = utc(r["created_at"])
        existing = {k: {f: native(v) for f, v in r.items()} for k, r in existing.items()}
        new, changed = batching.new_and_changed(merged, existing, batching.ACCOUNT_FIELDS)
        self._unwind(run, q.MERGE_ACCOUNTS, [
            {f: r.get(f) for f in ("key", *batching.ACCOUNT_FIELDS)} for r in new + changed])
        result.created["accounts"] = len(new)
        result.updated["accounts"] = len(changed)

    def _write_posts(self, run: Runner, batch: GraphBatch, result: WriteResult) -> None:
        plan = PostPlan.of(batch.posts, result)
        if not plan.seen:
            return
        plan.keep_new({r["key"]: r["content_hash"]
                       for r in self._existing(run, q.EXISTING_POSTS, plan.keys)}, result)
        if plan.differing:
            plan.settle({r["key"]: r["text"] for r in self._existing(
                run, q.STORED_POST_TEXTS, plan.texts_to_look_up())}, result)
            self._unwind(run, q.REPLACE_POST_TEXTS, [
                {"key": k, "text": t, "content_hash": h, "sentiment": s, "sentiment_model": m}
                for k, t, h, s, m in plan.replacements])
        if not plan.new_keys:
            if batch.give_written:
                result.written.append(plan.written(late=False))
            return
        plan.assign_conversations({
            r["key"]: r["conversation_key"]
            for r in self._existing(run, q.POST_CONVERSATIONS, plan.parents_to_look_up())})
        rows: list[dict[str, Any]] = [{
            "key": key, "platform": p.platform, "post_id": p.post_id,
            "author_key": author, "text": p.text, "title": p.title,
            "created_at": utc(p.created_at), "url": p.url, "kind": kind,
            "parent_key": parent, "conversation_key": conversation, "shared_key": shared,
            "hashtags": list(p.hashtags), "lang": p.lang, "likes": p.likes,
            "reposts": p.reposts, "replies": p.replies, "score": p.score,
            "accepted": p.accepted, "content_hash": h, "sentiment": p.sentiment,
            "sentiment_model": p.sentiment_model,
        } for key, p, author, h, kind, parent, conversation, shared in zip(
            plan.new_keys, plan.posts, plan.authors, plan.hashes, plan.kinds, plan.parent_keys,
            plan.conversations, plan.shared_keys, strict=True)]

        conversations = plan.conversation_platforms()
        known_conv = {r["key"] for r in self._existing(
            run, q.EXISTING_CONVERSATIONS, plan.conversation_keys_to_look_up())}
        self._unwind(run, q.MERGE_POSTS, rows)
        result.created["conversations"] = len([c for c in conversations if c not in known_conv])
        moves = plan.moves(known_conv)
        if moves:
            rows_moved = [{"from_key": k, "to_key": c} for k, c in moves.items()]
            self._unwind(run, q.MOVE_CONVERSATION_POSTS, rows_moved)
            self._unwind(run, q.MOVE_CARE_CASES, rows_moved)
            self._unwind(run, q.MOVE_CARE_NOTES, rows_moved)
            for chunk in chunks(list(moves), self.batch_size):
                run(q.DELETE_CONVERSATIONS, {"keys": list(chunk)})
                run(q.DELETE_CARE_CASES, {"keys": list(chunk)})

        m_from, m_to = plan.mentions()
        self._unwind(run, q.MERGE_MENTIONS, [{"from_key": f, "to_key": t}
                                             for f, t in zip(m_from, m_to, strict=True)])
        result.created["mentions"] = len(m_from)

        # Post-to-post edges: written now if the target is stored, else kept pending.
        wanted = plan.post_edges()
        stored_targets = [r["key"] for r in self._existing(
            run, q.EXISTING_POSTS, plan.targets_to_look_up(wanted))]
        ready, waiting = split_edges(wanted, {*plan.new_keys, *stored_targets})

        pending_before = run(q.PENDING_TOTAL, {})[0]["n"]
        resolved = self._existing(run, q.PENDING_FOR_TARGETS, plan.new_keys)
        ready.extend(PostEdge(e["rel"], e["from_key"], e["to_key"], e["share_kind"])
                     for e in resolved)
        if resolved:
            for chunk in chunks([e["key"] for e in resolved], self.batch_size):
                run(q.DELETE_PENDING, {"keys": list(chunk)})
        replies = [{"from_key": e.from_key, "to_key": e.to_key}
                   for e in ready if e.rel == "REPLY_TO"]
        shares = [{"from_key": e.from_key, "to_key": e.to_key, "share_kind": e.share_kind}
                  for e in ready if e.rel == "SHARES"]
        self._unwind(run, q.MERGE_REPLIES, replies)
        self._unwind(run, q.MERGE_SHARES, shares)

        wait_rows = {pending_edge_key(e): {"key": pending_edge_key(e), "rel": e.rel,
                                           "from_key": e.from_key, "to_key": e.to_key,
                                           "share_kind": e.share_kind}
                     for e in waiting}
        already = {r["key"] for r in self._existing(run, q.EXISTING_PENDING, list(wait_rows))}
        fresh = [r for k, r in wait_rows.items() if k not in already]
        self._unwind(run, q.MERGE_PENDING, fresh)
        result.created["replies"] = len(replies)
        result.created["shares"] = len(shares)
        result.pending_edges = pending_before - len(resolved) + len(fresh)
        if batch.give_written:
            result.written.append(plan.written(late=bool(moves) or bool(resolved)))

    def _write_links(self, run: Runner, links: Sequence[OwnsLink], result: WriteResult) -> None:
        if not links:
            return
        wanted = batching.wanted_links(links)
        known_customers = {r["key"] for r in self._existing(
            run, q.EXISTING_CUSTOMERS, list({c for c, _ in wanted}))}
        existing: dict[tuple[str, str], dict[str, Any]] = {}
        for chunk in chunks([{"customer_id": c, "account_key": a} for c, a in wanted],
                             self.batch_size):
            for r in run(q.EXISTING_LINKS, {"rows": list(chunk)}):
                existing[(r["customer_id"], r["account_key"])] = r
        rejected = {r["key"] for r in self._existing(
            run, q.REJECTED_LINKS, [f"{c}|{a}" for c, a in wanted])}
        new, changed = batching.plan_links(wanted, known_customers, existing, rejected, result)
        self._unwind(run, q.MERGE_LINKS, [
            {"customer_id": x.customer_id, "account_key": x.account_key,
             "confidence": x.confidence, "method": x.method, "evidence": x.evidence}
            for x in new + changed])
        result.created["links"] = result.created.get("links", 0) + len(new)
        result.updated["links"] = result.updated.get("links", 0) + len(changed)

    def _write_follows(self, run: Runner, batch: GraphBatch, result: WriteResult) -> None:
        pairs = batching.follow_pairs(batch)
        if not pairs:
            return
        rows = [{"from_key": a, "to_key": b} for a, b in pairs]
        existing: set[tuple[str, str]] = set()
        for chunk in chunks(rows, self.batch_size):
            existing |= {(r["from_key"], r["to_key"])
                         for r in run(q.EXISTING_FOLLOWS, {"rows": list(chunk)})}
        new = [r for r in rows if (r["from_key"], r["to_key"]) not in existing]
        self._unwind(run, q.MERGE_FOLLOWS, new)
        result.created["follows"] = len(new)

    def _write_purchases(self, run: Runner, batch: GraphBatch, result: WriteResult) -> None:
        purchases = batching.merge_purchases(batch)
        if not purchases:
            return
        known_customers = {r["key"] for r in self._existing(
            run, q.EXISTING_CUSTOMERS, list({p.customer_id for p in purchases.values()}))}
        existing = {r["key"] for r in self._existing(run, q.EXISTING_PURCHASES, list(purchases))}
        new = batching.plan_purchases(purchases, existing, known_customers, result)
        self._unwind(run, q.MERGE_PURCHASES, [
            {"key": k, "customer_id": p.customer_id, "order_id": p.order_id,
             "amount": float(p.amount), "purchased_at": p.purchased_at}
            for k, p in new.items()])
        result.created["purchases"] = len(new)

    def set_brand(self, account_keys: Sequence[str], settings: dict[str, str]) -> int:
        keys = list(account_keys)

        def work(run: Runner) -> int:
            batch = GraphBatch(accounts=[
                Account(platform=k.split(":", 1)[0], handle=k.split(":", 1)[1], is_brand=True)
                for k in keys])
            self._write_accounts(run, batching.merge_accounts(batch), WriteResult())
            run(q.CLEAR_BRANDS, {})
            run(q.MARK_BRANDS, {"keys": keys})
            run(q.MERGE_SETTINGS, {"rows": [{"key": k, "value": v}
                                            for k, v in settings.items()]})
            return len(keys)
        return self._in_transaction(work)  # type: ignore[no-any-return]

    def save_settings(self, settings: dict[str, str]) -> None:
        rows = [{"key": k, "value": v} for k, v in settings.items()]
        self._in_transaction(lambda run: run(q.MERGE_SETTINGS, {"rows": rows}))

    def get_settings(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self._read(q.GET_SETTINGS)}

    def file_ingested(self, fingerprint: str) -> bool:
        return bool(self._read(q.FILE_INGESTED, {"key": fingerprint}))

    def record_file(self, fingerprint: str, path: str, source: str, read: int, loaded: int,
                    rejected: int) -> None:
        self._write(q.RECORD_FILE, {
            "key": fingerprint, "path": path, "source": source, "read": read,
            "loaded": loaded, "rejected": rejected, "ingested_at": datetime.now(UTC)})

    def link_account(self, link: OwnsLink) -> None:
        def work(run: Runner) -> None:
            self._write_accounts(run, batching.merge_accounts(GraphBatch(links=[link])),
                                 WriteResult())
            run(q.DELETE_LINK, {"customer_id": link.customer_id,
                                "account_key": link.account_key})
            result = WriteResult()
            self._write_links(run, [link], result)
            if result.conflicts:
                raise StoreError(result.conflicts[0][1])
        self._in_transaction(work)

    def unlink_account(self, customer_id: str, account_key: str) -> bool:
        rows = self._write(q.DELETE_LINK, {"customer_id": customer_id,
                                           "account_key": account_key})
        return bool(rows and rows[0]["n"])
