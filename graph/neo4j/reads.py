"""Reads for the API: counts, accounts, customers, timelines, windows, metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from graph.batch import (
    select_timeline,
)
from graph.neo4j import queries as q
from graph.runs import (
    missing_to_none,
)
from graph.store import (
    AccountView,
    CustomerView,
    Interaction,
    LinkedAccount,
    TimelineFilter,
)

if TYPE_CHECKING:
    pass

from graph.neo4j.base import Neo4jBase, Rows
from graph.neo4j.shared import chunks, native, timestamps, utc


class ReadsMixin(Neo4jBase):
    """Reads for the API: counts, accounts, customers, timelines, windows, metrics."""


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
        signup = native(r["signup_date"])
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
            r["purchased_at"] = native(r["purchased_at"])
        return rows

    def conversation_posts(self, conversation_key: str, limit: int = 1000
                           ) -> list[dict[str, Any]]:
        rows = self._read(q.CONVERSATION_POSTS, {"key": conversation_key, "limit": limit})
        for r in rows:
            r["created_at"] = native(r["created_at"])
        return rows

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
            "platforms": [x.lower() for x in f.platforms] or None,
            "kinds": [x.lower() for x in f.kinds] or None,
            "since": utc(f.since) if f.since else None,
            "until": utc(f.until) if f.until else None,
            "languages": [x.lower() for x in f.languages] or None,
            "intents": [x.lower() for x in f.intents] or None}
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
        return [Interaction(
            post_key=r["key"], time=t, platform=r["platform"], kind=r["kind"],
            direction=r["direction"], text=r["text"] or "",
            sentiment=missing_to_none(r["sentiment"]), subject_key=r["subject"],
            counterpart=counterparts.get(r["counterpart"] or ""),
            conversation_key=r["conversation_key"], url=r["url"],
            language=r.get("language"), sentiment_label=r.get("sentiment_label"),
            intents=r.get("intents") or "", intent_evidence=r.get("intent_evidence") or "")
            for t, r in items]

    def active_accounts(self, keys: Sequence[str], since: datetime | None,
                        until: datetime | None) -> set[str]:
        window = {"since": utc(since) if since else None,
                  "until": utc(until) if until else None}
        found: set[str] = set()
        for chunk in chunks(list(dict.fromkeys(keys)), self.batch_size):
            found |= {r["k"] for r in self._read(q.ACTIVE_ACCOUNTS,
                                                 {"keys": list(chunk), **window})}
        return found

    def post_frame(self, since: datetime | None, until: datetime | None) -> pd.DataFrame:
        columns = ["key", "author_key", "platform", "kind", "created_at", "sentiment", "text",
                   "title", "sentiment_label", "language", "intents"]
        window = {"since": utc(since) if since else None,
                  "until": utc(until) if until else None}
        frame = pd.DataFrame([r for page in self._pages(q.POST_FRAME_PAGE, window)
                              for r in page], columns=columns)
        frame["created_at"] = timestamps(frame["created_at"].tolist())
        frame["sentiment"] = pd.to_numeric(frame["sentiment"], errors="coerce").astype("float64")
        return frame

    def newest_post_at(self) -> datetime | None:
        rows = self._read(q.NEWEST_POST)
        return native(rows[0]["t"]) if rows and rows[0]["t"] is not None else None

    def topic_authors(self, term: str) -> pd.DataFrame:
        return pd.DataFrame(self._read(q.TOPIC_AUTHORS, {"term": term.lower()}),
                            columns=["author_key", "posts"])

    def purchase_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._read(q.PURCHASE_FRAME),
                             columns=["customer_id", "amount", "purchased_at"])
        frame["purchased_at"] = [native(v) for v in frame["purchased_at"]]
        return frame

    def brand_engagements(self) -> pd.DataFrame:
        rows = self._read(q.BRAND_REPLY_ENGAGEMENTS) + self._read(q.BRAND_MENTION_ENGAGEMENTS)
        frame = pd.DataFrame(rows, columns=["account_key", "first_at"])
        frame["first_at"] = timestamps(frame["first_at"].tolist())
        return frame.groupby("account_key", as_index=False)["first_at"].min() \
            if len(frame) else frame

    def brand_accounts(self) -> list[AccountView]:
        return [self._account(r) for r in self._read(q.BRAND_ACCOUNTS)]
