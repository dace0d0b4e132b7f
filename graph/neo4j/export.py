"""Export: reading a whole store back out, and writing a run record as given."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd

from graph import views
from graph.model import (
    Account,
    Customer,
    Follow,
    OwnsLink,
    Post,
    PostKind,
    Purchase,
)
from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase, Rows
from graph.neo4j.shared import native, utc
from graph.store import (
    AnalysisRunInfo,
    GraphBatch,
)
from graph.understanding import EXPORT_COLUMNS


class ExportMixin(Neo4jBase):
    """Export: reading a whole store back out, and writing a run record as given."""


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

    def export_post_understanding(self, batch_size: int = 10_000) -> Iterator[pd.DataFrame]:
        """Posts that have a sentiment or were understood (a language): the columns of
        ``graph.understanding.EXPORT_COLUMNS``, in key order."""
        size = self.batch_size
        self.batch_size = batch_size
        try:
            for page in self._pages(q.EXPORT_UNDERSTANDING_PAGE):
                yield pd.DataFrame(page, columns=list(EXPORT_COLUMNS))
        finally:
            self.batch_size = size

    def import_run(self, run: AnalysisRunInfo) -> None:
        """Create or overwrite a run record exactly as given (id, times, status, ...)."""
        self._write(q.MERGE_RUN, {
            "run_id": run.run_id, "started_at": utc(run.started_at),
            "finished_at": utc(run.finished_at) if run.finished_at else None,
            "status": run.status, "params": json.dumps(run.params, sort_keys=True, default=str),
            "stats": json.dumps(run.stats, sort_keys=True, default=str), "error": run.error})


def _tail(key: str | None) -> str | None:
    """The platform id of a ``platform:id`` key."""
    return key.split(":", 1)[1] if key else None


def _customer_batch(page: Rows) -> GraphBatch:
    batch = GraphBatch()
    for r in page:
        view = views.customer_view(r, native)
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
                                        purchased_at=native(p["purchased_at"]))
                               for p in r["purchases"])
    return batch


def _account_batch(page: Rows) -> GraphBatch:
    batch = GraphBatch()
    for r in page:
        batch.accounts.append(Account(
            platform=r["platform"], handle=r["handle"], user_id=r["user_id"],
            display_name=r["display_name"], followers=r["followers"],
            is_brand=bool(r["is_brand"]), location=r["location"], description=r["description"],
            created_at=native(r["created_at"]), following=r["following"],
            listed=r["listed"], client=r["client"]))
        batch.follows.extend(Follow(platform=r["platform"], follower_handle=r["handle"],
                                    followee_handle=h) for h in r["follows"])
    return batch


def _post(r: dict[str, Any]) -> Post:
    return Post(
        platform=r["platform"], post_id=r["post_id"], author_handle=_tail(r["author_key"]) or "",
        created_at=native(r["created_at"]), text=r["text"] or "", kind=PostKind(r["kind"]),
        url=r["url"], parent_id=_tail(r["parent_key"]),
        conversation_id=_tail(r["conversation_key"]), mentions=tuple(r["mentions"] or ()),
        shared_id=_tail(r["shared_key"]), hashtags=tuple(r["hashtags"] or ()), lang=r["lang"],
        likes=r["likes"], reposts=r["reposts"], replies=r["replies"], score=r["score"],
        title=r["title"], accepted=bool(r["accepted"]))
