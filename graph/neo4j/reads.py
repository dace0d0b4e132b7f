"""Reads for the API: counts, accounts, customers, timelines, windows, metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from graph import views
from graph.batch import (
    select_timeline,
)
from graph.neo4j import queries as q
from graph.neo4j.base import Neo4jBase, Rows
from graph.neo4j.shared import chunks, native, timestamps, utc
from graph.store import AccountView, CustomerView, Interaction, LinkedAccount, TimelineFilter


class ReadsMixin(Neo4jBase):
    """Reads for the API: counts, accounts, customers, timelines, windows, metrics."""


    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in self._read(q.COUNTS)[0].items()}

    def get_account(self, key: str) -> AccountView | None:
        return self.get_accounts([key]).get(key)

    def get_accounts(self, keys: Sequence[str]) -> dict[str, AccountView]:
        if not keys:
            return {}
        rows = self._read(q.GET_ACCOUNTS, {"keys": list(dict.fromkeys(keys))})
        return {r["key"]: views.account_view(r) for r in rows}

    def get_customer(self, customer_id: str) -> CustomerView | None:
        rows = self._read(q.GET_CUSTOMER, {"key": customer_id})
        return views.customer_view(rows[0], native) if rows else None

    def customers_for_accounts(self, keys: Sequence[str]) -> dict[str, CustomerView]:
        if not keys:
            return {}
        rows = self._read(q.CUSTOMERS_FOR_ACCOUNTS, {"keys": list(dict.fromkeys(keys))})
        # highest confidence wins
        return {r["account_key"]: views.customer_view(r, native) for r in rows}

    def linked_accounts(self, customer_id: str) -> list[LinkedAccount]:
        rows = self._read(q.LINKED_ACCOUNTS, {"key": customer_id})
        return [views.linked_account(r, customer_id) for r in rows]

    def purchases(self, customer_id: str) -> list[dict[str, Any]]:
        return views.purchase_rows(self._read(q.PURCHASES, {"key": customer_id}), native)

    def conversation_posts(self, conversation_key: str, limit: int = 1000
                           ) -> list[dict[str, Any]]:
        rows = self._read(q.CONVERSATION_POSTS, {"key": conversation_key, "limit": limit})
        return views.thread_posts(rows, native)

    def timeline(self, account_keys: Sequence[str], *, first: int,
                 before: tuple[datetime, str, str] | None = None,
                 filters: TimelineFilter | None = None) -> list[Interaction]:
        if not account_keys:
            return []
        f = filters or TimelineFilter()
        params: dict[str, Any] = {
            "keys": list(dict.fromkeys(account_keys)), "limit": first + 3,
            "before_time": utc(before[0]) if before else None,
            "before_key": before[1] if before else None,
            "platforms": None, "kinds": None, "languages": None, "intents": None,
            **views.timeline_lists(f),
            "since": utc(f.since) if f.since else None,
            "until": utc(f.until) if f.until else None}
        rows: Rows = []
        for direction, query in q.TIMELINE.items():
            if f.directions and direction not in f.directions:
                continue
            for r in self._read(query, params):
                r["direction"] = direction
                rows.append(r)
        items = select_timeline(rows, first=first, before=before,
                                to_time=lambda v: utc(native(v)))
        counterparts = self.get_accounts([r["counterpart"] for _, r in items if r["counterpart"]])
        return [views.interaction(t, r, r, counterparts) for t, r in items]

    def active_accounts(self, keys: Sequence[str], since: datetime | None,
                        until: datetime | None) -> set[str]:
        window = {"since": utc(since) if since else None,
                  "until": utc(until) if until else None}
        found: set[str] = set()
        for chunk in chunks(list(dict.fromkeys(keys)), self.batch_size):
            found |= {r["k"] for r in self._read(q.ACTIVE_ACCOUNTS,
                                                 {"keys": list(chunk), **window})}
        return found

    def post_frame(self, since: datetime | None, until: datetime | None, *,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
        names = views.post_frame_columns(columns)
        window = {"since": utc(since) if since else None,
                  "until": utc(until) if until else None}
        frame = pd.DataFrame([r for page in self._pages(q.POST_FRAME_PAGE, window)
                              for r in page], columns=list(views.POST_FRAME_COLUMNS))
        frame["created_at"] = timestamps(frame["created_at"].tolist())
        frame["sentiment"] = pd.to_numeric(frame["sentiment"], errors="coerce").astype("float64")
        return frame[names]

    def newest_post_at(self) -> datetime | None:
        rows = self._read(q.NEWEST_POST)
        return native(rows[0]["t"]) if rows and rows[0]["t"] is not None else None

    def topic_authors(self, term: str) -> pd.DataFrame:
        return pd.DataFrame(self._read(q.TOPIC_AUTHORS, {"term": term.lower()}),
                            columns=list(views.TOPIC_AUTHOR_COLUMNS))

    def purchase_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._read(q.PURCHASE_FRAME),
                             columns=list(views.PURCHASE_FRAME_COLUMNS))
        frame["purchased_at"] = [native(v) for v in frame["purchased_at"]]
        return frame

    def brand_engagements(self) -> pd.DataFrame:
        rows = self._read(q.BRAND_REPLY_ENGAGEMENTS) + self._read(q.BRAND_MENTION_ENGAGEMENTS)
        frame = pd.DataFrame(rows, columns=list(views.ENGAGEMENT_COLUMNS))
        frame["first_at"] = timestamps(frame["first_at"].tolist())
        return views.first_engagements(frame) if len(frame) else frame

    def brand_accounts(self) -> list[AccountView]:
        return [views.account_view(r) for r in self._read(q.BRAND_ACCOUNTS)]
