"""The production store: the store port on a Neo4j server.

Same semantics as the embedded store (the contract suite in
``tests/store/test_contract.py`` runs over both): the same keys, pending edges for
replies and shares whose target is not stored yet, conflicts for a post re-sent with
other content (the same :func:`~graph.planning.content_hash`), manual identity
links winning over automatic ones, the last three completed runs kept.

The driver is injected (``Neo4jStore(driver, database, batch_size)``);
:meth:`Neo4jStore.from_settings` builds one from ``SCRM_NEO4J_*``. Every statement is
a named constant in :mod:`graph.neo4j_queries`. A batch write is one transaction
(``session.execute_write``); created and updated counts are worked out against what
the transaction reads, exactly as the embedded adapter does, so both report the same.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from neo4j import RoutingControl

from graph import neo4j_queries as q
from graph.batch import (
    ACCOUNT_FIELDS,
    CUSTOMER_FIELDS,
    merge_accounts,
    merge_customers,
    plan_links,
    select_timeline,
)
from graph.model import (
    Account,
    Customer,
    Follow,
    OwnsLink,
    Post,
    PostKind,
    Purchase,
    account_key,
    redact_handles,
    tombstone,
)
from graph.planning import PostEdge, PostPlan, pending_edge_key, post_fingerprint, split_edges
from graph.runs import (
    INT_SCORE_COLUMNS,
    SCORE_COLUMNS,
    check_ranking,
    check_score_columns,
    encode_json,
    missing_to_none,
    new_run_id,
    run_info,
    runs_to_drop,
    score_frame_columns,
    score_key,
    scored_account,
    scores_from_row,
)
from graph.store import (
    ACCOUNT_PROFILE_COLUMNS,
    CARE_STATUSES,
    AccountScores,
    AccountView,
    AnalysisRunInfo,
    CustomerView,
    GraphBatch,
    Interaction,
    LinkedAccount,
    ScoredAccount,
    StoreError,
    TimelineFilter,
    WriteResult,
)

if TYPE_CHECKING:
    from graph.config import Settings

__all__ = ["Neo4jStore"]

_ACCOUNT_FIELDS = ACCOUNT_FIELDS
_CUSTOMER_FIELDS = CUSTOMER_FIELDS

Rows = list[dict[str, Any]]
Runner = Callable[[str, dict[str, Any]], Rows]


# ------------------------------------------------------------------ value conversion
def _utc(ts: datetime) -> datetime:
    """An aware UTC datetime (the driver sends it as a Neo4j DateTime); naive means UTC,
    as in the embedded store."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _native(value: Any) -> Any:
    """Neo4j temporal values as Python ones (aware datetimes in UTC)."""
    to_native = getattr(value, "to_native", None)
    if to_native is None:
        return value
    out = to_native()
    if isinstance(out, datetime):
        return _utc(out)
    return out


def _timestamps(values: Sequence[Any]) -> pd.Series:
    """Neo4j DateTimes as naive-UTC ``datetime64[us]``, the embedded store's dtype."""
    py = [_native(v) for v in values]
    series = pd.to_datetime(pd.Series(py, dtype="object"), utc=True)
    return series.dt.tz_localize(None).astype("datetime64[us]")


def _chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class Neo4jStore:
    """The store port on Neo4j 5.

    Args:
        driver: A ``neo4j.Driver`` (thread-safe; shared by :meth:`sibling` handles).
        database: The database every statement runs in.
        batch_size: Rows per ``UNWIND $rows`` write and per page of a streamed read.
        location: What to show as the store's location (never the password).
        owns_driver: Close the driver on :meth:`close`.
        apply_schema: Create the constraints and indexes (idempotent) on open.
    """

    backend = "neo4j"

    def __init__(self, driver: Any, database: str = "neo4j", batch_size: int = 5_000, *,
                 location: str | None = None, owns_driver: bool = False,
                 apply_schema: bool = True) -> None:
        if batch_size < 1:
            raise StoreError(f"SCRM_NEO4J_BATCH_SIZE must be positive, not {batch_size}")
        self._driver = driver
        self.database = database
        self.batch_size = batch_size
        self.location = location or f"neo4j database {database!r}"
        self._owns_driver = owns_driver
        if apply_schema:
            self.apply_schema()

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jStore:
        """Connect with ``SCRM_NEO4J_URI`` / ``_USER`` / ``_PASSWORD`` / ``_DATABASE``."""
        import neo4j
        from neo4j.exceptions import AuthError, ServiceUnavailable

        if not settings.neo4j_uri:
            raise StoreError("SCRM_NEO4J_URI is not set.")
        driver = neo4j.GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()))
        location = f"{settings.neo4j_uri} (database {settings.neo4j_database!r})"
        try:
            driver.verify_connectivity()
            return cls(driver, settings.neo4j_database, settings.neo4j_batch_size,
                       location=location, owns_driver=True)
        except AuthError:
            driver.close()
            raise StoreError(
                f"Neo4j at {settings.neo4j_uri} refused user {settings.neo4j_user!r}: check "
                "SCRM_NEO4J_USER and SCRM_NEO4J_PASSWORD.") from None
        except ServiceUnavailable as exc:
            driver.close()
            raise StoreError(
                f"No Neo4j answers at {settings.neo4j_uri} ({exc}). Start it with "
                "'docker compose up -d neo4j' or unset SCRM_NEO4J_URI to use the embedded "
                "store.") from None
        except BaseException:
            driver.close()
            raise

    # ------------------------------------------------------------------ basics
    def apply_schema(self) -> None:
        for statement in q.SCHEMA_STATEMENTS:
            self._write(statement)

    def sibling(self) -> Neo4jStore:
        """Another handle on the same driver (drivers are thread-safe)."""
        return Neo4jStore(self._driver, self.database, self.batch_size,
                          location=self.location, apply_schema=False)

    def close(self) -> None:
        if self._driver is not None and self._owns_driver:
            self._driver.close()
        self._driver = None

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, query: str, params: dict[str, Any] | None,
                 routing: RoutingControl) -> Rows:
        if self._driver is None:
            raise StoreError("The store is closed.")
        records, _, _ = self._driver.execute_query(
            query, parameters_=params or {}, database_=self.database, routing_=routing)
        return [dict(r.items()) for r in records]

    def _read(self, query: str, params: dict[str, Any] | None = None) -> Rows:
        return self._execute(query, params, RoutingControl.READ)

    def _write(self, query: str, params: dict[str, Any] | None = None) -> Rows:
        return self._execute(query, params, RoutingControl.WRITE)

    def _in_transaction(self, work: Callable[[Runner], Any]) -> Any:
        """Run ``work(run)`` in one write transaction; ``run(query, params)`` returns rows."""
        if self._driver is None:
            raise StoreError("The store is closed.")

        def unit(tx: Any) -> Any:
            def run(query: str, params: dict[str, Any]) -> Rows:
                return [dict(r.items()) for r in tx.run(query, params)]
            return work(run)

        with self._driver.session(database=self.database) as session:
            return session.execute_write(unit)

    def _pages(self, query: str, params: dict[str, Any] | None = None,
               key: str = "key") -> Iterator[Rows]:
        """Keyset pagination: ``query`` takes ``$after`` and ``$limit`` and orders by key."""
        after = ""
        while True:
            rows = self._read(query, {**(params or {}), "after": after,
                                      "limit": self.batch_size})
            if rows:
                yield rows
            if len(rows) < self.batch_size:
                return
            after = rows[-1][key]

    # ------------------------------------------------------------------ writes
    def write_batch(self, batch: GraphBatch) -> WriteResult:
        return self._in_transaction(  # type: ignore[no-any-return]
            lambda run: self._write_batch(run, batch))

    def _write_batch(self, run: Runner, batch: GraphBatch) -> WriteResult:
        result = WriteResult()
        self._write_customers(run, batch, result)
        self._write_accounts(run, merge_accounts(batch), result)
        self._write_posts(run, batch, result)
        self._write_links(run, batch.links, result)
        self._write_follows(run, batch, result)
        self._write_purchases(run, batch, result)
        return result

    def _existing(self, run: Runner, query: str, keys: Sequence[str]) -> Rows:
        out: Rows = []
        for chunk in _chunks(list(keys), self.batch_size):
            out.extend(run(query, {"keys": list(chunk)}))
        return out

    def _unwind(self, run: Runner, query: str, rows: Sequence[dict[str, Any]],
                **params: Any) -> None:
        for chunk in _chunks(rows, self.batch_size):
            run(query, {"rows": list(chunk), **params})

    def _write_customers(self, run: Runner, batch: GraphBatch, result: WriteResult) -> None:
        merged = merge_customers(batch)
        if not merged:
            return
        existing = {r["key"]: {k: _native(v) for k, v in r.items()}
                    for r in self._existing(run, q.EXISTING_CUSTOMERS, list(merged))}
        new = [r for k, r in merged.items() if k not in existing]
        changed = [r for k, r in merged.items() if k in existing and any(
            f in r and r[f] != existing[k][f] for f in _CUSTOMER_FIELDS)]
        self._unwind(run, q.MERGE_CUSTOMERS, [
            {f: r.get(f) for f in ("key", *_CUSTOMER_FIELDS)} for r in new + changed])
        result.created["customers"] = len(new)
        result.updated["customers"] = len(changed)

    def _write_accounts(self, run: Runner, merged: dict[str, dict[str, Any]],
                        result: WriteResult) -> None:
        if not merged:
            return
        existing = {r["key"]: r for r in self._existing(run, q.EXISTING_ACCOUNTS, list(merged))}
        new = [r for k, r in merged.items() if k not in existing]
        changed = [r for k, r in merged.items() if k in existing and any(
            f in r and r[f] != existing[k][f] for f in _ACCOUNT_FIELDS)]
        self._unwind(run, q.MERGE_ACCOUNTS, [
            {f: r.get(f) for f in ("key", *_ACCOUNT_FIELDS)} for r in new + changed])
        result.created["accounts"] = len(new)
        result.updated["accounts"] = len(changed)

    def _write_posts(self, run: Runner, batch: GraphBatch, result: WriteResult) -> None:
        plan = PostPlan.of(batch.posts, result)
        if not plan.seen:
            return
        plan.keep_new({r["key"]: r["content_hash"]
                       for r in self._existing(run, q.EXISTING_POSTS, plan.keys)}, result)
        if not plan.new_keys:
            return
        plan.assign_conversations({
            r["key"]: r["conversation_key"]
            for r in self._existing(run, q.POST_CONVERSATIONS, plan.parents_to_look_up())})
        rows: list[dict[str, Any]] = [{
            "key": key, "platform": p.platform, "post_id": p.post_id,
            "author_key": author, "text": p.text, "title": p.title,
            "created_at": _utc(p.created_at), "url": p.url, "kind": kind,
            "parent_key": parent, "conversation_key": conversation, "shared_key": shared,
            "hashtags": list(p.hashtags), "lang": p.lang, "likes": p.likes,
            "reposts": p.reposts, "replies": p.replies, "score": p.score,
            "accepted": p.accepted, "content_hash": h,
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
            self._unwind(run, q.MOVE_CONVERSATION_POSTS,
                         [{"from_key": k, "to_key": c} for k, c in moves.items()])
            for chunk in _chunks(list(moves), self.batch_size):
                run(q.DELETE_CONVERSATIONS, {"keys": list(chunk)})

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
            for chunk in _chunks([e["key"] for e in resolved], self.batch_size):
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

    def _write_links(self, run: Runner, links: Sequence[OwnsLink], result: WriteResult) -> None:
        if not links:
            return
        wanted: dict[tuple[str, str], OwnsLink] = {}
        for link in links:
            wanted[(link.customer_id, link.account_key)] = link
        known_customers = {r["key"] for r in self._existing(
            run, q.EXISTING_CUSTOMERS, list({c for c, _ in wanted}))}
        existing: dict[tuple[str, str], dict[str, Any]] = {}
        for chunk in _chunks([{"customer_id": c, "account_key": a} for c, a in wanted],
                             self.batch_size):
            for r in run(q.EXISTING_LINKS, {"rows": list(chunk)}):
                existing[(r["customer_id"], r["account_key"])] = r
        rejected = {r["key"] for r in self._existing(
            run, q.REJECTED_LINKS, [f"{c}|{a}" for c, a in wanted])}
        new, changed = plan_links(wanted, known_customers, existing, rejected, result)
        self._unwind(run, q.MERGE_LINKS, [
            {"customer_id": x.customer_id, "account_key": x.account_key,
             "confidence": x.confidence, "method": x.method, "evidence": x.evidence}
            for x in new + changed])
        result.created["links"] = result.created.get("links", 0) + len(new)
        result.updated["links"] = result.updated.get("links", 0) + len(changed)

    def _write_follows(self, run: Runner, batch: GraphBatch, result: WriteResult) -> None:
        pairs = list(dict.fromkeys(
            (account_key(f.platform, f.follower_handle), account_key(f.platform, f.followee_handle))
            for f in batch.follows))
        if not pairs:
            return
        rows = [{"from_key": a, "to_key": b} for a, b in pairs]
        existing: set[tuple[str, str]] = set()
        for chunk in _chunks(rows, self.batch_size):
            existing |= {(r["from_key"], r["to_key"])
                         for r in run(q.EXISTING_FOLLOWS, {"rows": list(chunk)})}
        new = [r for r in rows if (r["from_key"], r["to_key"]) not in existing]
        self._unwind(run, q.MERGE_FOLLOWS, new)
        result.created["follows"] = len(new)

    def _write_purchases(self, run: Runner, batch: GraphBatch, result: WriteResult) -> None:
        purchases = {f"{p.customer_id}:{p.order_id}": p for p in batch.purchases}
        if not purchases:
            return
        known_customers = {r["key"] for r in self._existing(
            run, q.EXISTING_CUSTOMERS, list({p.customer_id for p in purchases.values()}))}
        existing = {r["key"] for r in self._existing(run, q.EXISTING_PURCHASES, list(purchases))}
        new = {k: p for k, p in purchases.items() if k not in existing}
        for k, p in list(new.items()):
            if p.customer_id not in known_customers:
                result.conflicts.append((k, f"customer {p.customer_id!r} is not in the CRM"))
                del new[k]
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
            self._write_accounts(run, merge_accounts(batch), WriteResult())
            run(q.CLEAR_BRANDS, {})
            run(q.MARK_BRANDS, {"keys": keys})
            run(q.MERGE_SETTINGS, {"rows": [{"key": k, "value": v}
                                            for k, v in settings.items()]})
            return len(keys)
        return self._in_transaction(work)  # type: ignore[no-any-return]

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
            self._write_accounts(run, merge_accounts(GraphBatch(links=[link])),
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

    # --------------------------------------------------------------- identities
    def customer_frame(self) -> pd.DataFrame:
        rows = [r for page in self._pages(q.CUSTOMER_FRAME_PAGE) for r in page]
        return pd.DataFrame(rows, columns=["customer_id", "name", "email", "location",
                                           "company"])

    def link_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self._read(q.LINK_FRAME),
                            columns=["customer_id", "account_key", "method", "confidence"])

    def record_decision(self, customer_id: str, account_key: str, decision: str) -> None:
        if decision not in ("link", "reject"):
            raise StoreError(f"unknown identity decision {decision!r}")
        self._write(q.RECORD_DECISION, {"key": f"{customer_id}|{account_key}",
                                        "customer_id": customer_id,
                                        "account_key": account_key, "decision": decision})

    def decision_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self._read(q.DECISION_FRAME),
                            columns=["customer_id", "account_key", "decision"])

    def replace_candidates(self, candidates: Sequence[dict[str, Any]]) -> None:
        rows = list({f"{c['customer_id']}|{c['account_key']}": {
            "key": f"{c['customer_id']}|{c['account_key']}", "customer_id": c["customer_id"],
            "account_key": c["account_key"], "confidence": float(c["confidence"]),
            "evidence": json.dumps(list(c["evidence"]))} for c in candidates}.values())

        def work(run: Runner) -> None:
            run(q.DELETE_CANDIDATES, {})
            self._unwind(run, q.CREATE_CANDIDATES, rows)
        self._in_transaction(work)

    def pending_candidates(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._read(q.PENDING_CANDIDATES, {"limit": limit})
        for r in rows:
            r["evidence"] = json.loads(r["evidence"] or "[]")
        return rows

    # -------------------------------------------------------------- projection
    def account_frame(self, *, profile: bool = True) -> pd.DataFrame:
        columns = ["key", "platform", "handle", "followers", "is_brand", "display_name",
                   "location", "description", "customer_id", "lifetime_value", "nps",
                   "link_confidence"]
        rows = [r for page in self._pages(q.ACCOUNT_FRAME_PAGE) for r in page]
        frame = pd.DataFrame(rows, columns=columns)
        spend: dict[str, float] = {}
        for page in self._pages(q.PURCHASE_PAGE):
            for r in page:
                spend[r["customer_id"]] = spend.get(r["customer_id"], 0.0) + float(r["amount"])
        for col in ("followers", "lifetime_value", "nps", "link_confidence"):
            # float64, as the embedded store gives: these columns have gaps
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        frame["purchases_total"] = frame["customer_id"].map(spend).astype("float64")
        frame["is_brand"] = frame["is_brand"].fillna(False).astype(bool)
        return frame if profile else frame.drop(columns=list(ACCOUNT_PROFILE_COLUMNS))

    def interaction_frame(self, *, sentiment: bool = True) -> pd.DataFrame:
        columns = ["src", "dst", "kind", "created_at", "sentiment"]
        rows: Rows = []
        for page in self._pages(q.POST_KEY_PAGE):
            keys = [r["key"] for r in page]
            for query in (q.REPLY_INTERACTIONS, q.MENTION_INTERACTIONS, q.SHARE_INTERACTIONS):
                rows.extend(self._read(query, {"keys": keys}))
        frame = pd.DataFrame(rows, columns=columns)
        # The embedded store lists replies, then mentions, then shares.
        order = {"reply": 0, "mention": 1, "share": 2, "quote": 2}
        frame = frame.iloc[frame["kind"].map(order).argsort(kind="stable")].reset_index(drop=True)
        frame["created_at"] = _timestamps(frame["created_at"].tolist())
        if not sentiment:
            return frame.drop(columns="sentiment")
        frame["sentiment"] = pd.to_numeric(frame["sentiment"], errors="coerce").astype("float64")
        return frame

    def unscored_posts(self, batch_size: int = 100_000, *, model: str | None = None
                       ) -> Iterator[pd.DataFrame]:
        query = q.UNSCORED_POST_PAGE if model is None else q.UNSCORED_BY_MODEL_POST_PAGE
        params = {} if model is None else {"model": model}
        # Keyset pages stay correct while the caller scores the posts it was given.
        buffer: Rows = []
        for page in self._pages(query, params):
            buffer.extend(page)
            while len(buffer) >= batch_size:
                yield pd.DataFrame(buffer[:batch_size], columns=["key", "title", "text"])
                buffer = buffer[batch_size:]
        if buffer:
            yield pd.DataFrame(buffer, columns=["key", "title", "text"])

    def brand_posts(self, terms: Sequence[str]) -> pd.DataFrame:
        columns = ["key", "author_key", "sentiment", "created_at", "kind"]
        rows = (self._read(q.BRAND_MENTION_POSTS) + self._read(q.BRAND_REPLY_POSTS)
                + self._read(q.BRAND_CONVERSATION_POSTS))
        for term in dict.fromkeys(t.lower() for t in terms if t):
            rows.extend(self._read(q.TERM_POSTS, {"term": term}))
        frame = pd.DataFrame(rows, columns=columns).drop_duplicates("key")
        brand = {r["key"] for r in self._read(q.BRAND_ACCOUNT_KEYS)}
        frame = frame[~frame["author_key"].isin(brand)]
        frame["created_at"] = _timestamps(frame["created_at"].tolist())
        frame["sentiment"] = pd.to_numeric(frame["sentiment"], errors="coerce").astype("float64")
        reply_keys = frame.loc[frame["kind"].isin(["reply", "comment"]), "key"].tolist()
        parents = pd.DataFrame(
            [r for chunk in _chunks(reply_keys, self.batch_size)
             for r in self._read(q.PARENT_AUTHORS, {"keys": list(chunk)})],
            columns=["key", "parent_author_key"])
        frame = frame.merge(parents, on="key", how="left") if len(parents) else \
            frame.assign(parent_author_key=None)
        return frame.reset_index(drop=True)

    def post_details(self, keys: Sequence[str]) -> pd.DataFrame:
        rows: Rows = []
        for chunk in _chunks(list(dict.fromkeys(keys)), self.batch_size):
            rows.extend(self._read(q.POST_DETAILS, {"keys": list(chunk)}))
        return pd.DataFrame(rows, columns=["key", "platform", "conversation_key", "text", "url"])

    def brand_reply_times(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._read(q.BRAND_REPLY_TIMES),
                             columns=["conversation_key", "last_brand_post_at"])
        frame["last_brand_post_at"] = _timestamps(frame["last_brand_post_at"].tolist())
        return frame

    def author_activity(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._read(q.AUTHOR_ACTIVITY),
                             columns=["author_key", "posts", "last_post_at", "accepted_answers"])
        frame["posts"] = frame["posts"].astype("int64")
        frame["accepted_answers"] = pd.to_numeric(frame["accepted_answers"]).fillna(0).astype(
            "int64")
        frame["last_post_at"] = _timestamps(frame["last_post_at"].tolist())
        return frame

    def write_post_sentiment(self, keys: Sequence[str], values: Sequence[float], model: str
                             ) -> None:
        rows = [{"key": k, "sentiment": float(v)} for k, v in zip(keys, values, strict=True)]
        for chunk in _chunks(rows, self.batch_size):
            self._write(q.SET_POST_SENTIMENT, {"rows": list(chunk), "model": model})

    # ------------------------------------------------------------ runs, scores
    def start_run(self, params: dict[str, Any]) -> str:
        run_id = new_run_id()
        self._write(q.CREATE_RUN, {"run_id": run_id, "started_at": datetime.now(UTC),
                                   "params": encode_json(params)})
        return run_id

    def write_scores(self, run_id: str, scores: pd.DataFrame) -> None:
        frame = score_frame_columns(scores)
        keys = frame["account_key"].astype(str).tolist()
        columns: dict[str, list[Any]] = {}
        for c in SCORE_COLUMNS:
            values = frame[c].tolist() if c in frame.columns else [None] * len(frame)
            convert: Callable[[Any], Any] = int if c in INT_SCORE_COLUMNS else float
            columns[c] = [None if missing_to_none(v) is None else convert(v) for v in values]
        explanations = frame["explanation"].astype(str).tolist()
        rows = [{"key": score_key(run_id, k), "run_id": run_id, "account_key": k,
                 **{c: columns[c][i] for c in SCORE_COLUMNS}, "explanation": explanations[i]}
                for i, k in enumerate(keys)]
        self._in_transaction(lambda run: self._unwind(run, q.MERGE_SCORES, rows))

    def finish_run(self, run_id: str, stats: dict[str, Any]) -> None:
        self._write(q.COMPLETE_RUN, {"run_id": run_id, "finished_at": datetime.now(UTC),
                                     "stats": encode_json(stats)})
        old, failed = runs_to_drop(self.runs(limit=1000), run_id)
        for rid in old + failed:
            self._write(q.DELETE_RUN_SCORES, {"run_id": rid})
        for rid in old:
            self._write(q.EXPIRE_RUN, {"run_id": rid})

    def fail_run(self, run_id: str, error: str) -> None:
        self._write(q.DELETE_RUN_SCORES, {"run_id": run_id})
        self._write(q.FAIL_RUN, {"run_id": run_id, "error": error,
                                 "finished_at": datetime.now(UTC)})

    @staticmethod
    def _run_info(r: dict[str, Any]) -> AnalysisRunInfo:
        return run_info(r, _native)

    def latest_run(self) -> AnalysisRunInfo | None:
        rows = self._read(q.LATEST_RUN)
        return self._run_info(rows[0]) if rows else None

    def runs(self, limit: int = 20) -> list[AnalysisRunInfo]:
        return [self._run_info(r) for r in self._read(q.RUNS, {"limit": limit})]

    def _run_or_latest(self, run_id: str | None) -> str | None:
        if run_id is not None:
            return run_id
        run = self.latest_run()
        return run.run_id if run else None

    def ranked_accounts(self, kind: str, *, first: int, after_rank: int = 0,
                        run_id: str | None = None) -> list[ScoredAccount]:
        check_ranking(kind)
        run_id = self._run_or_latest(run_id)
        if run_id is None:
            return []
        rows = self._read(q.RANKED_ACCOUNTS[kind], {"run_id": run_id, "after": after_rank,
                                                    "upto": after_rank + first})
        return [scored_account(kind, r, self._account(r)) for r in rows]

    def score_frame(self, run_id: str | None = None, columns: Sequence[str] | None = None
                    ) -> pd.DataFrame:
        """All of one run's scores (latest completed by default), indexed by account key."""
        every = [*SCORE_COLUMNS, "run_id", "account_key", "explanation"]
        if columns is not None:
            check_score_columns(columns)
        run_id = self._run_or_latest(run_id) or ""
        frame = pd.DataFrame(self._read(q.SCORE_FRAME, {"run_id": run_id}), columns=every)
        for c in SCORE_COLUMNS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
        if columns is not None:
            frame = frame[["account_key", *dict.fromkeys(columns)]]
        return frame.set_index("account_key") if len(frame) else frame

    def account_scores(self, account_key: str, run_id: str | None = None
                       ) -> AccountScores | None:
        run_id = self._run_or_latest(run_id)
        if run_id is None:
            return None
        rows = self._read(q.ACCOUNT_SCORE, {"key": score_key(run_id, account_key)})
        return scores_from_row(rows[0]) if rows else None

    # ------------------------------------------------------------------- reads
    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in self._read(q.COUNTS)[0].items()}

    @staticmethod
    def _account(r: dict[str, Any]) -> AccountView:
        return AccountView(key=r["key"], platform=r["platform"], handle=r["handle"],
                           display_name=r["display_name"], followers=r["followers"],
                           is_brand=bool(r["is_brand"]), user_id=r["user_id"],
                           location=r["location"], description=r["description"])

    def get_account(self, key: str) -> AccountView | None:
        return self.get_accounts([key]).get(key)

    def get_accounts(self, keys: Sequence[str]) -> dict[str, AccountView]:
        if not keys:
            return {}
        rows = self._read(q.GET_ACCOUNTS, {"keys": list(dict.fromkeys(keys))})
        return {r["key"]: self._account(r) for r in rows}

    @staticmethod
    def _customer(r: dict[str, Any]) -> CustomerView:
        signup = _native(r["signup_date"])
        if isinstance(signup, datetime):
            signup = signup.date()
        return CustomerView(customer_id=r["key"], name=r["name"], email=r["email"],
                            lifetime_value=r["lifetime_value"], nps=r["nps"],
                            signup_date=signup if isinstance(signup, date) else None,
                            location=r["location"], company=r["company"])

    def get_customer(self, customer_id: str) -> CustomerView | None:
        rows = self._read(q.GET_CUSTOMER, {"key": customer_id})
        return self._customer(rows[0]) if rows else None

    def customers_for_accounts(self, keys: Sequence[str]) -> dict[str, CustomerView]:
        if not keys:
            return {}
        rows = self._read(q.CUSTOMERS_FOR_ACCOUNTS, {"keys": list(dict.fromkeys(keys))})
        return {r["account_key"]: self._customer(r) for r in rows}  # highest confidence wins

    def linked_accounts(self, customer_id: str) -> list[LinkedAccount]:
        rows = self._read(q.LINKED_ACCOUNTS, {"key": customer_id})
        return [LinkedAccount(account=self._account(r), customer_id=customer_id,
                              confidence=r["confidence"], method=r["method"],
                              evidence=r["evidence"] or "") for r in rows]

    def purchases(self, customer_id: str) -> list[dict[str, Any]]:
        rows = self._read(q.PURCHASES, {"key": customer_id})
        for r in rows:
            r["purchased_at"] = _native(r["purchased_at"])
        return rows

    def conversation_posts(self, conversation_key: str, limit: int = 1000
                           ) -> list[dict[str, Any]]:
        rows = self._read(q.CONVERSATION_POSTS, {"key": conversation_key, "limit": limit})
        for r in rows:
            r["created_at"] = _native(r["created_at"])
        return rows

    def timeline(self, account_keys: Sequence[str], *, first: int,
                 before: tuple[datetime, str, str] | None = None,
                 filters: TimelineFilter | None = None) -> list[Interaction]:
        if not account_keys:
            return []
        f = filters or TimelineFilter()
        params: dict[str, Any] = {
            "keys": list(dict.fromkeys(account_keys)), "limit": first + 3,
            "before_time": _utc(before[0]) if before else None,
            "before_key": before[1] if before else None,
            "platforms": [x.lower() for x in f.platforms] or None,
            "kinds": [x.lower() for x in f.kinds] or None,
            "since": _utc(f.since) if f.since else None,
            "until": _utc(f.until) if f.until else None}
        rows: Rows = []
        for direction, query in q.TIMELINE.items():
            if f.directions and direction not in f.directions:
                continue
            for r in self._read(query, params):
                r["direction"] = direction
                rows.append(r)
        items = select_timeline(rows, first=first, before=before,
                                to_time=lambda v: _utc(_native(v)))
        counterparts = self.get_accounts([r["counterpart"] for _, r in items if r["counterpart"]])
        return [Interaction(
            post_key=r["key"], time=t, platform=r["platform"], kind=r["kind"],
            direction=r["direction"], text=r["text"] or "",
            sentiment=missing_to_none(r["sentiment"]), subject_key=r["subject"],
            counterpart=counterparts.get(r["counterpart"] or ""),
            conversation_key=r["conversation_key"], url=r["url"]) for t, r in items]

    # ---------------------------------------------------- windows and metrics
    def active_accounts(self, keys: Sequence[str], since: datetime | None,
                        until: datetime | None) -> set[str]:
        window = {"since": _utc(since) if since else None,
                  "until": _utc(until) if until else None}
        found: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(keys)), self.batch_size):
            found |= {r["k"] for r in self._read(q.ACTIVE_ACCOUNTS,
                                                 {"keys": list(chunk), **window})}
        return found

    def post_frame(self, since: datetime | None, until: datetime | None) -> pd.DataFrame:
        columns = ["key", "author_key", "platform", "kind", "created_at", "sentiment", "text",
                   "title"]
        window = {"since": _utc(since) if since else None,
                  "until": _utc(until) if until else None}
        frame = pd.DataFrame([r for page in self._pages(q.POST_FRAME_PAGE, window)
                              for r in page], columns=columns)
        frame["created_at"] = _timestamps(frame["created_at"].tolist())
        frame["sentiment"] = pd.to_numeric(frame["sentiment"], errors="coerce").astype("float64")
        return frame

    def newest_post_at(self) -> datetime | None:
        rows = self._read(q.NEWEST_POST)
        return _native(rows[0]["t"]) if rows and rows[0]["t"] is not None else None

    def topic_authors(self, term: str) -> pd.DataFrame:
        return pd.DataFrame(self._read(q.TOPIC_AUTHORS, {"term": term.lower()}),
                            columns=["author_key", "posts"])

    def purchase_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._read(q.PURCHASE_FRAME),
                             columns=["customer_id", "amount", "purchased_at"])
        frame["purchased_at"] = [_native(v) for v in frame["purchased_at"]]
        return frame

    def brand_engagements(self) -> pd.DataFrame:
        rows = self._read(q.BRAND_REPLY_ENGAGEMENTS) + self._read(q.BRAND_MENTION_ENGAGEMENTS)
        frame = pd.DataFrame(rows, columns=["account_key", "first_at"])
        frame["first_at"] = _timestamps(frame["first_at"].tolist())
        return frame.groupby("account_key", as_index=False)["first_at"].min() \
            if len(frame) else frame

    def brand_accounts(self) -> list[AccountView]:
        return [self._account(r) for r in self._read(q.BRAND_ACCOUNTS)]

    # ------------------------------------------------------------ care workflow
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

    # ------------------------------------------------------------------ privacy
    def forgotten_keys(self) -> set[str]:
        return {r["key"] for r in self._read(q.FORGOTTEN_KEYS)}

    def forget_customer(self, customer_id: str) -> dict[str, int] | None:
        return self._in_transaction(  # type: ignore[no-any-return]
            lambda run: self._forget(run, customer_id))

    def _forget(self, run: Runner, customer_id: str) -> dict[str, int] | None:
        """All of it in one transaction, the existence check and the salt included
        (other writers may forget or import at the same time)."""
        if not run(q.GET_CUSTOMER, {"key": customer_id}):
            return None
        now = datetime.now(UTC)
        salt = str(run(q.PRIVACY_SALT, {"salt": secrets.token_hex(16)})[0]["value"])
        counts = {"accounts": 0, "posts": 0, "mentions_redacted": 0, "purchases": 0}
        tombstones = [tombstone("customer", customer_id, salt)]
        for a in run(q.FORGET_LINKED_ACCOUNTS, {"customer_id": customer_id}):
            anon = f"forgotten-{uuid.uuid4().hex[:12]}"
            new = f"{a['platform']}:{anon}"
            tombstones.append(tombstone("account", a["key"], salt))
            done = run(q.FORGET_ACCOUNT, {"old": a["key"], "new": new, "handle": anon})
            counts["posts"] += int(done[0]["posts"]) if done else 0
            redacted = []
            for r in run(q.MENTIONING_POSTS, {"new": new}):
                text = redact_handles(r["text"] or "", [a["handle"]])
                title = redact_handles(r["title"], [a["handle"]]) if r["title"] else r["title"]
                if text != (r["text"] or "") or title != r["title"]:
                    redacted.append({"key": r["key"], "text": text, "title": title,
                                     "content_hash": post_fingerprint(
                                         r["author"], _utc(_native(r["created_at"])), text,
                                         title)})
            if redacted:
                run(q.REDACT_POSTS, {"rows": redacted})
            counts["mentions_redacted"] += len(redacted)
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

    # ------------------------------------------------------- export (migration)
    def export_batches(self, batch_size: int = 10_000) -> Iterator[GraphBatch]:
        """Every stored record as model records, for copying into another store.

        Customers come first, each page with their identity links and purchases; then
        accounts with the follows they make; then posts with their mentions and their
        parent, conversation and shared ids. Pages follow key order.
        """
        size = self.batch_size
        self.batch_size = batch_size
        try:
            for page in self._pages(q.EXPORT_CUSTOMER_PAGE):
                yield _customer_batch(page)
            for page in self._pages(q.EXPORT_ACCOUNT_PAGE):
                yield _account_batch(page)
            for page in self._pages(q.EXPORT_POST_PAGE):
                yield GraphBatch(posts=[_post(r) for r in page])
        finally:
            self.batch_size = size

    def export_post_sentiment(self, batch_size: int = 10_000) -> Iterator[pd.DataFrame]:
        """Posts that have a sentiment: key, sentiment, sentiment_model, in key order."""
        size = self.batch_size
        self.batch_size = batch_size
        try:
            for page in self._pages(q.EXPORT_SENTIMENT_PAGE):
                yield pd.DataFrame(page, columns=["key", "sentiment", "sentiment_model"])
        finally:
            self.batch_size = size

    def import_run(self, run: AnalysisRunInfo) -> None:
        """Create or overwrite a run record exactly as given (id, times, status, ...)."""
        self._write(q.MERGE_RUN, {
            "run_id": run.run_id, "started_at": _utc(run.started_at),
            "finished_at": _utc(run.finished_at) if run.finished_at else None,
            "status": run.status, "params": json.dumps(run.params, sort_keys=True, default=str),
            "stats": json.dumps(run.stats, sort_keys=True, default=str), "error": run.error})


def _tail(key: str | None) -> str | None:
    """The platform id of a ``platform:id`` key."""
    return key.split(":", 1)[1] if key else None


def _customer_batch(page: Rows) -> GraphBatch:
    batch = GraphBatch()
    for r in page:
        view = Neo4jStore._customer(r)
        batch.customers.append(Customer(
            customer_id=view.customer_id, name=view.name, email=view.email,
            lifetime_value=view.lifetime_value, nps=view.nps, signup_date=view.signup_date,
            location=view.location, company=view.company))
        batch.links.extend(OwnsLink(customer_id=view.customer_id, platform=link["platform"],
                                    handle=link["handle"], confidence=link["confidence"],
                                    method=link["method"], evidence=link["evidence"] or "")
                           for link in r["links"])
        batch.purchases.extend(Purchase(customer_id=view.customer_id, order_id=p["order_id"],
                                        amount=p["amount"],
                                        purchased_at=_native(p["purchased_at"]))
                               for p in r["purchases"])
    return batch


def _account_batch(page: Rows) -> GraphBatch:
    batch = GraphBatch()
    for r in page:
        batch.accounts.append(Account(
            platform=r["platform"], handle=r["handle"], user_id=r["user_id"],
            display_name=r["display_name"], followers=r["followers"],
            is_brand=bool(r["is_brand"]), location=r["location"], description=r["description"]))
        batch.follows.extend(Follow(platform=r["platform"], follower_handle=r["handle"],
                                    followee_handle=h) for h in r["follows"])
    return batch


def _post(r: dict[str, Any]) -> Post:
    return Post(
        platform=r["platform"], post_id=r["post_id"], author_handle=_tail(r["author_key"]) or "",
        created_at=_native(r["created_at"]), text=r["text"] or "", kind=PostKind(r["kind"]),
        url=r["url"], parent_id=_tail(r["parent_key"]),
        conversation_id=_tail(r["conversation_key"]), mentions=tuple(r["mentions"] or ()),
        shared_id=_tail(r["shared_key"]), hashtags=tuple(r["hashtags"] or ()), lang=r["lang"],
        likes=r["likes"], reposts=r["reposts"], replies=r["replies"], score=r["score"],
        title=r["title"], accepted=bool(r["accepted"]))
