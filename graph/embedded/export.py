"""Export: reading a whole store back out, and writing a run record as given.

``graph.migrate`` needs ``export_batches``, ``export_post_understanding`` and ``import_run``
from both adapters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from graph.embedded import queries as q
from graph.embedded.base import EmbeddedBase
from graph.model import Account, Customer, Follow, OwnsLink, Post, PostKind, Purchase
from graph.store import AnalysisRunInfo, GraphBatch
from graph.understanding import EXPORT_COLUMNS


def _aware(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _naive(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def _tail(key: str | None) -> str | None:
    return key.split(":", 1)[1] if key else None


def _pages(store: EmbeddedBase, query: str, batch_size: int,
           params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
    """Keyset pages: ``query`` takes ``$after`` / ``$limit`` and returns ``key`` in order."""
    after = ""
    while True:
        rows = store._rows(query, {**(params or {}), "after": after, "limit": batch_size})
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        after = rows[-1]["key"]


class ExportMixin(EmbeddedBase):
    """Reading a whole store back out (for ``graph.migrate``)."""

    _CUSTOMER_RETURN: str
    _ACCOUNT_RETURN: str

    def export_batches(self, batch_size: int = 10_000) -> Iterator[GraphBatch]:
        """Every stored record as model records: customers (with their links and
        purchases), then accounts (with the follows they make), then posts (with their
        mentions); pages in key order."""
        for page in _pages(self, "MATCH (c:Customer) WHERE c.key > $after RETURN "
                           + self._CUSTOMER_RETURN + " ORDER BY c.key LIMIT $limit", batch_size):
            keys = [r["key"] for r in page]
            batch = GraphBatch(customers=[Customer(
                customer_id=r["key"], name=r["name"], email=r["email"],
                lifetime_value=r["lifetime_value"], nps=r["nps"], signup_date=r["signup_date"],
                location=r["location"], company=r["company"]) for r in page])
            batch.links = [OwnsLink(
                customer_id=r["c"], platform=r["platform"], handle=r["handle"],
                confidence=r["confidence"], method=r["method"], evidence=r["evidence"] or "")
                for r in self._rows(
                    q.EXPORT_CUSTOMER_LINKS,
                    {"keys": keys})]
            batch.purchases = [Purchase(
                customer_id=r["c"], order_id=r["order_id"], amount=r["amount"],
                purchased_at=r["purchased_at"])
                for r in self._rows(
                    q.EXPORT_CUSTOMER_PURCHASES, {"keys": keys})]
            yield batch
        for page in _pages(self, "MATCH (a:Account) WHERE a.key > $after RETURN "
                           + self._ACCOUNT_RETURN + " ORDER BY a.key LIMIT $limit", batch_size):
            batch = GraphBatch(accounts=[Account(
                platform=r["platform"], handle=r["handle"], user_id=r["user_id"],
                display_name=r["display_name"], followers=r["followers"],
                is_brand=bool(r["is_brand"]), location=r["location"], description=r["description"],
                created_at=_aware(r["created_at"]),
                following=r["following"], listed=r["listed"], client=r["client"])
                for r in page])
            batch.follows = [Follow(platform=r["platform"], follower_handle=r["a"],
                                    followee_handle=r["b"])
                             for r in self._rows(
                                 q.EXPORT_ACCOUNT_FOLLOWS, {"keys": [r["key"] for r in page]})]
            yield batch
        for page in _pages(self, "MATCH (p:Post) WHERE p.key > $after RETURN p.key AS key, "
                           "p.platform AS platform, p.post_id AS post_id, p.author_key AS "
                           "author_key, p.text AS text, p.title AS title, p.created_at AS "
                           "created_at, p.url AS url, p.kind AS kind, p.parent_key AS parent_key, "
                           "p.conversation_key AS conversation_key, p.shared_key AS shared_key, "
                           "p.hashtags AS hashtags, p.lang AS lang, p.likes AS likes, p.reposts "
                           "AS reposts, p.replies AS replies, p.score AS score, p.accepted AS "
                           "accepted ORDER BY p.key LIMIT $limit", batch_size):
            mentions: dict[str, list[str]] = {}
            for r in self._rows(q.EXPORT_POST_MENTIONS,
                                {"keys": [r["key"] for r in page]}):
                mentions.setdefault(r["p"], []).append(r["handle"])
            yield GraphBatch(posts=[Post(
                platform=r["platform"], post_id=r["post_id"],
                author_handle=_tail(r["author_key"]) or "",
                created_at=_aware(r["created_at"]) or datetime.fromtimestamp(0, UTC),
                text=r["text"] or "", kind=PostKind(r["kind"]), url=r["url"],
                parent_id=_tail(r["parent_key"]), conversation_id=_tail(r["conversation_key"]),
                mentions=tuple(sorted(mentions.get(r["key"], []))),
                shared_id=_tail(r["shared_key"]), hashtags=tuple(r["hashtags"] or ()),
                lang=r["lang"], likes=r["likes"], reposts=r["reposts"], replies=r["replies"],
                score=r["score"], title=r["title"], accepted=bool(r["accepted"]))
                for r in page])


    def export_post_understanding(self, batch_size: int = 10_000
                                  ) -> Iterator[pd.DataFrame]:
        """Posts that have a sentiment or were understood (a language): the columns of
        ``graph.understanding.EXPORT_COLUMNS``, in key order."""
        fields = ", ".join(f"p.{c} AS {c}" for c in EXPORT_COLUMNS)
        for page in _pages(self, "MATCH (p:Post) WHERE p.key > $after AND (p.sentiment IS NOT "
                           f"NULL OR p.language IS NOT NULL) RETURN {fields} ORDER BY p.key "
                           "LIMIT $limit", batch_size):
            yield pd.DataFrame(page, columns=list(EXPORT_COLUMNS))

    def import_run(self, run: AnalysisRunInfo) -> None:
        """Create or overwrite a run record exactly as given (id, times, status, ...)."""
        self._write(
            q.IMPORT_RUN,
            {"id": run.run_id, "started": _naive(run.started_at),
             "finished": _naive(run.finished_at), "status": run.status,
             "params": json.dumps(run.params, sort_keys=True, default=str),
             "stats": json.dumps(run.stats, sort_keys=True, default=str), "error": run.error})
