"""Stored rows as the port's views, decided once for both adapters.

An adapter reads rows (column name → value) in its own way; what a row *means* — which
view it becomes, what a missing value reads as, which columns a frame has, how a row to
be written is keyed and defaulted — lives here. Where a row holds times, the adapter
passes its own conversion (``to_time``: a stored time as an aware UTC datetime;
``to_stored``: an aware or naive time as the adapter stores it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from graph.runs import missing_to_none
from graph.store import (
    AccountView,
    CustomerView,
    Interaction,
    LinkedAccount,
    StoreError,
    TimelineFilter,
)

__all__ = ["BRAND_AMONG_COLUMNS", "POST_DETAIL_COLUMNS", "ENGAGEMENT_COLUMNS", "POST_FRAME_COLUMNS",
           "PURCHASE_FRAME_COLUMNS", "TOPIC_AUTHOR_COLUMNS", "account_view",
           "brand_posts_among", "candidate_rows", "check_decision", "post_frame_columns",
           "customer_view", "decision_key", "delivery_rows", "delivery_view",
           "checked_marker", "first_engagements", "interaction", "linked_account", "purchase_rows",
           "subscription_row", "subscription_view", "texts_by_conversation", "thread_posts",
           "timeline_lists"]

Row = Mapping[str, Any]
ToTime = Callable[[Any], Any]

# The columns of the frames the port returns (an empty frame has them too).
POST_FRAME_COLUMNS = ("key", "author_key", "platform", "kind", "created_at", "sentiment",
                      "text", "title", "sentiment_label", "language", "intents")


def post_frame_columns(columns: Sequence[str] | None) -> list[str]:
    """The columns a ``post_frame`` call returns: all, or the ones asked for.

    Raises:
        ValueError: A column that is not one of ``POST_FRAME_COLUMNS``.
    """
    if columns is None:
        return list(POST_FRAME_COLUMNS)
    unknown = [c for c in columns if c not in POST_FRAME_COLUMNS]
    if unknown:
        raise ValueError(f"post_frame has no column {', '.join(map(repr, unknown))}")
    return list(dict.fromkeys(columns))
PURCHASE_FRAME_COLUMNS = ("customer_id", "amount", "purchased_at")
TOPIC_AUTHOR_COLUMNS = ("author_key", "posts")
ENGAGEMENT_COLUMNS = ("account_key", "first_at")
# what GraphStore.post_details gives for each post
POST_DETAIL_COLUMNS = ("key", "platform", "conversation_key", "text", "url", "language",
                       "sentiment_label", "intents", "intent_evidence")
# what GraphStore.brand_posts_among gives: the brand-post columns, each post's details
# (so a care-queue update needs no second read of the same posts) and by_brand
BRAND_AMONG_COLUMNS = ("key", "author_key", "sentiment", "created_at", "kind",
                       "conversation_key", "platform", "text", "url", "language",
                       "sentiment_label", "intents", "intent_evidence", "by_brand")


def brand_posts_among(posts: pd.DataFrame, brand: Collection[str], terms: Sequence[str], *,
                      mentioning: Collection[str], replying: Collection[str],
                      brand_started: Collection[str], thread: pd.DataFrame | None
                      ) -> pd.DataFrame:
    """``GraphStore.brand_posts_among`` from what an adapter read about the written
    posts: ``posts`` (:data:`BRAND_AMONG_COLUMNS` but by_brand, and title), the brand
    account keys, which of them mention a brand account or reply to a brand post, the
    conversations (among theirs) a brand post started, and ``thread``: the posts of the
    conversations the brand posts among them started (the same columns, no title)."""
    lowered = [t.lower() for t in dict.fromkeys(terms) if t]
    brand = frozenset(brand)
    by_brand = np.fromiter((a in brand for a in posts["author_key"].tolist()), dtype=bool,
                           count=len(posts))

    def names_a_term(text: Any, title: Any) -> bool:
        said = (str(text).lower() if isinstance(text, str) else "",
                str(title).lower() if isinstance(title, str) else "")
        return any(t in said[0] or t in said[1] for t in lowered)

    # Python sets over the columns' values: pandas' isin over a batch's few hundred keys
    # cost more than the rest of this
    direct = frozenset(mentioning) | frozenset(replying)
    started = frozenset(brand_started)
    addresses = np.fromiter(
        (k in direct or c in started or (bool(lowered) and names_a_term(t, h))
         for k, c, t, h in zip(posts["key"].tolist(), posts["conversation_key"].tolist(),
                               posts["text"].tolist(), posts["title"].tolist(), strict=True)),
        dtype=bool, count=len(posts))
    columns = list(BRAND_AMONG_COLUMNS[:-1])
    parts = [posts.loc[addresses & ~by_brand, columns].assign(by_brand=False)]
    if thread is not None and len(thread):
        parts.append(thread.loc[~thread["author_key"].isin(list(brand)), columns].assign(
            by_brand=False))
    if by_brand.any():
        parts.append(posts.loc[by_brand, columns].assign(by_brand=True))
    found = [p for p in parts if len(p)]
    if not found:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in BRAND_AMONG_COLUMNS})
    if len(found) == 1:  # (a stream's batch: its posts addressing the brand, once each)
        keys = found[0]["key"].tolist()
        if len(set(keys)) == len(keys):
            return found[0].reset_index(drop=True)
    return pd.concat(found, ignore_index=True).drop_duplicates("key").reset_index(drop=True)


# ------------------------------------------------------------------ people and accounts
def account_view(r: Row) -> AccountView:
    """An ``Account`` row (``key`` and :data:`graph.batch.ACCOUNT_FIELDS`)."""
    return AccountView(key=r["key"], platform=r["platform"], handle=r["handle"],
                       display_name=r["display_name"], followers=r["followers"],
                       is_brand=bool(r["is_brand"]), user_id=r["user_id"],
                       location=r["location"], description=r["description"])


def customer_view(r: Row, to_value: ToTime | None = None) -> CustomerView:
    """A ``Customer`` row (``key`` and :data:`graph.batch.CUSTOMER_FIELDS`); the signup
    is a date or nothing (``to_value`` first turns the adapter's temporal value into
    Python's)."""
    signup = to_value(r["signup_date"]) if to_value else r["signup_date"]
    if isinstance(signup, datetime):
        signup = signup.date()
    return CustomerView(customer_id=r["key"], name=r["name"], email=r["email"],
                        lifetime_value=r["lifetime_value"], nps=r["nps"],
                        signup_date=signup if isinstance(signup, date) else None,
                        location=r["location"], company=r["company"])


def linked_account(r: Row, customer_id: str) -> LinkedAccount:
    """An account row with its ``OWNS`` link's ``confidence``, ``method``, ``evidence``."""
    return LinkedAccount(account=account_view(r), customer_id=customer_id,
                         confidence=r["confidence"], method=r["method"],
                         evidence=r["evidence"] or "")


def decision_key(customer_id: str, account_key: str) -> str:
    """The key of an identity decision or candidate: one per customer and account."""
    return f"{customer_id}|{account_key}"


def check_decision(decision: str) -> None:
    """Refuse an identity decision other than ``link`` or ``reject``."""
    if decision not in ("link", "reject"):
        raise StoreError(f"unknown identity decision {decision!r}")


def candidate_rows(candidates: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Identity candidates (customer_id, account_key, confidence, evidence list) as rows
    to store, one per pair (the last wins), the evidence as JSON."""
    rows = {decision_key(c["customer_id"], c["account_key"]): c for c in candidates}
    return [{"key": k, "customer_id": c["customer_id"], "account_key": c["account_key"],
             "confidence": float(c["confidence"]), "evidence": json.dumps(list(c["evidence"]))}
            for k, c in rows.items()]


# --------------------------------------------------------------------------- timelines
def timeline_lists(f: TimelineFilter) -> dict[str, list[str]]:
    """A timeline filter's lists (platforms, kinds, languages, intents) as the stored,
    lower-case values to match; an empty one (no condition) is left out."""
    lists = {"platforms": f.platforms, "kinds": f.kinds, "languages": f.languages,
             "intents": f.intents}
    return {name: [x.lower() for x in values] for name, values in lists.items() if values}


def interaction(t: datetime, r: Row, details: Row,
                counterparts: Mapping[str, AccountView]) -> Interaction:
    """One timeline entry at time ``t`` from its row (``key``, ``platform``, ``kind``,
    ``direction``, ``subject``, ``counterpart``, ``language``, ``intents``) and the
    post's ``details`` (``text``, ``sentiment``, ``conversation_key``, ``url``,
    ``sentiment_label``, ``intent_evidence``; the row itself where it holds them)."""
    return Interaction(
        post_key=r["key"], time=t, platform=r["platform"], kind=r["kind"],
        direction=r["direction"], text=details.get("text") or "",
        sentiment=missing_to_none(details.get("sentiment")), subject_key=r["subject"],
        counterpart=counterparts.get(r["counterpart"] or ""),
        conversation_key=details.get("conversation_key"), url=details.get("url"),
        language=r.get("language"), sentiment_label=details.get("sentiment_label"),
        intents=r.get("intents") or "", intent_evidence=details.get("intent_evidence") or "")


def first_engagements(frame: pd.DataFrame) -> pd.DataFrame:
    """The brand's engagements (``account_key``, ``first_at``; a row per reply or
    mention) as each account's first."""
    if frame.empty:
        return pd.DataFrame(columns=list(ENGAGEMENT_COLUMNS))
    return frame.groupby("account_key", as_index=False)["first_at"].min()


def thread_posts(rows: list[dict[str, Any]], to_time: ToTime) -> list[dict[str, Any]]:
    """A conversation's post rows (changed in place): aware times, no NaN sentiment."""
    for r in rows:
        r["created_at"] = to_time(r["created_at"])
        r["sentiment"] = missing_to_none(r["sentiment"])
    return rows


def purchase_rows(rows: list[dict[str, Any]], to_value: ToTime) -> list[dict[str, Any]]:
    """A customer's purchase rows (changed in place), ``purchased_at`` a date
    (``to_value`` first turns the adapter's temporal value into Python's)."""
    for r in rows:
        when = to_value(r["purchased_at"])
        r["purchased_at"] = when.date() if isinstance(when, datetime) else when
    return rows


# ----------------------------------------------------------------------------- webhooks
def subscription_view(r: Row, to_time: ToTime) -> dict[str, Any]:
    """A ``WebhookSubscription`` row: events as a list, ``enabled`` a bool, no missing
    description."""
    return {**r, "events": json.loads(r["events"] or "[]"), "enabled": bool(r["enabled"]),
            "created_at": to_time(r["created_at"]), "description": r["description"] or ""}


def subscription_row(subscription: Mapping[str, Any], to_stored: ToTime,
                     now: datetime) -> dict[str, Any]:
    """A subscription as stored (created ``now`` unless it says when)."""
    created = subscription.get("created_at")
    return {"key": subscription["key"], "url": subscription["url"],
            "events": json.dumps(list(subscription["events"])),
            "secret": subscription["secret"], "enabled": bool(subscription["enabled"]),
            "created_at": to_stored(now) if created is None else _stored(created, to_stored),
            "description": subscription.get("description") or ""}


def delivery_view(r: Row, to_time: ToTime) -> dict[str, Any]:
    """A ``WebhookDelivery`` row, its numbers as numbers (no status: no answer)."""
    status = r["status"]
    return {**r, "at": to_time(r["at"]), "status": None if status is None else int(status),
            "attempt": int(r["attempt"]), "duration_ms": float(r["duration_ms"] or 0.0)}


def delivery_rows(rows: Sequence[Mapping[str, Any]], to_stored: ToTime) -> list[dict[str, Any]]:
    """Delivery attempts as stored, each keyed by event, subscription, attempt and
    outcome (recording one twice changes nothing)."""
    return [{"key": f"{r['event_id']}|{r['subscription_id']}|{r['attempt']}|{r['outcome']}",
             "subscription_id": r["subscription_id"], "event_id": r["event_id"],
             "kind": r["kind"], "attempt": int(r["attempt"]), "at": _stored(r["at"], to_stored),
             "outcome": r["outcome"], "status": r.get("status"), "error": r.get("error"),
             "duration_ms": float(r.get("duration_ms") or 0.0)} for r in rows]


def texts_by_conversation(rows: Iterable[Row]) -> dict[str, list[str]]:
    """Rows of (``conversation_key``, ``text``) grouped by conversation, in row order."""
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["conversation_key"], []).append(r["text"])
    return out


def event_state_key(kind: str, item_key: str) -> str:
    """The key of the event state of one item of ``kind`` (the Neo4j adapter's Cypher
    joins the same two the same way)."""
    return f"{kind}|{item_key}"


def checked_marker(kind: str) -> str:
    """The key of the event state that says the watcher has checked ``kind`` before (so
    an empty set of current items is known, not just never read)."""
    return event_state_key(kind, "*")


def _stored(value: Any, to_stored: ToTime) -> Any:
    """A time given as a datetime or as ISO text (or none), as the adapter stores it."""
    if value is None:
        return None
    return to_stored(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))
