"""Store-independent preparation of writes and reads, shared by both adapters.

Whatever decides *what* a batch means (which accounts it names, how records with
the same key merge, which timeline entries a page shows) lives here once, so the
embedded and Neo4j adapters differ only in how they talk to their database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from graph.model import OwnsLink, account_key
from graph.store import GraphBatch, WriteResult

__all__ = ["ACCOUNT_FIELDS", "CUSTOMER_FIELDS", "merge_accounts", "merge_customers",
           "parse_explanation", "plan_links", "select_timeline"]

ACCOUNT_FIELDS = ("platform", "handle", "user_id", "display_name", "followers", "is_brand",
                  "location", "description")
CUSTOMER_FIELDS = ("name", "email", "lifetime_value", "nps", "signup_date", "location",
                   "company")


def merge_customers(batch: GraphBatch) -> dict[str, dict[str, Any]]:
    """Customer rows by id; a later record's known fields override an earlier one's."""
    merged: dict[str, dict[str, Any]] = {}
    for c in batch.customers:
        row = merged.setdefault(c.customer_id, {"key": c.customer_id})
        for f in CUSTOMER_FIELDS:
            v = getattr(c, f)
            if v is not None:
                row[f] = v
    return merged


def merge_accounts(batch: GraphBatch) -> dict[str, dict[str, Any]]:
    """Every account the batch names, merged: given ones win over stubs (an author, a
    mentioned handle, a link or follow target known only by its handle)."""
    merged: dict[str, dict[str, Any]] = {}

    def stub(platform: str, handle: str) -> None:
        key = account_key(platform, handle)
        if key not in merged:
            merged[key] = {"key": key, "platform": platform.lower(),
                           "handle": key.split(":", 1)[1]}

    for a in batch.accounts:
        row = merged.setdefault(a.key, {"key": a.key})
        for f in ACCOUNT_FIELDS:
            v = getattr(a, f)
            if f == "handle":
                v = a.key.split(":", 1)[1]
            elif f == "platform":
                v = a.platform.lower()
            elif f == "is_brand" and not v:
                continue  # only set_brand marks (or an explicit True)
            if v is not None:
                row[f] = v
    for p in batch.posts:
        stub(p.platform, p.author_handle)
        for m in p.mentions:
            stub(p.platform, m)
    for link in batch.links:
        stub(link.platform, link.handle)
    for follow in batch.follows:
        stub(follow.platform, follow.follower_handle)
        stub(follow.platform, follow.followee_handle)
    return merged


def select_timeline(rows: Sequence[dict[str, Any]], *, first: int,
                    before: tuple[datetime, str, str] | None,
                    to_time: Callable[[Any], datetime]) -> list[tuple[datetime, dict[str, Any]]]:
    """One timeline page from the per-direction query rows (each with ``subject``,
    ``key``, ``direction`` and ``time``), newest first, strictly after the cursor.

    A reply or a retweet names the account it answers; it is shown once, as that,
    not again as a mention.
    """
    answered = {(r["subject"], r["key"]) for r in rows
                if r["direction"] in ("reply_received", "share_received")}
    seen: set[tuple[str, str]] = set()
    items: list[tuple[datetime, dict[str, Any]]] = []
    for r in rows:
        if r["direction"] == "mention_received" and (r["subject"], r["key"]) in answered:
            continue
        ident = (r["key"], r["direction"])
        if ident in seen:
            continue
        seen.add(ident)
        items.append((to_time(r["time"]), r))
    items.sort(key=lambda x: (x[0], x[1]["key"], x[1]["direction"]), reverse=True)
    if before is not None:
        cut = (to_time(before[0]), before[1], before[2])
        items = [x for x in items if (x[0], x[1]["key"], x[1]["direction"]) < cut]
    return items[:first]


def plan_links(wanted: dict[tuple[str, str], OwnsLink], known_customers: set[str],
               existing: dict[tuple[str, str], dict[str, Any]], rejected: set[str],
               result: WriteResult) -> tuple[list[OwnsLink], list[OwnsLink]]:
    """Which identity links to create and which to update.

    A person's decisions win: a pair they rejected (``"customer|account"`` in
    ``rejected``) is never linked automatically again, and a manual link is never
    downgraded by an automatic one. A link to a customer the CRM does not have is a
    conflict, reported in ``result``.
    """
    new: list[OwnsLink] = []
    changed: list[OwnsLink] = []
    for pair, link in wanted.items():
        if link.method != "manual" and f"{pair[0]}|{pair[1]}" in rejected:
            continue
        if pair[0] not in known_customers:
            result.conflicts.append((pair[1], f"customer {pair[0]!r} is not in the CRM"))
            continue
        old = existing.get(pair)
        if old is None:
            new.append(link)
        elif old["method"] == "manual" and link.method != "manual":
            continue
        elif (old["confidence"], old["method"]) != (link.confidence, link.method):
            changed.append(link)
    return new, changed


def parse_explanation(text: str | None) -> dict[str, list[tuple[str, float]]]:
    """A stored explanation (JSON ``{kind: [[factor, contribution], ...]}``) with each
    kind's factors largest first and the ones that add nothing left out."""
    out: dict[str, list[tuple[str, float]]] = {}
    for kind, pairs in json.loads(text or "{}").items():
        parts = [(str(name), float(value)) for name, value in pairs if float(value) != 0.0]
        parts.sort(key=lambda p: -abs(p[1]))
        out[kind] = parts
    return out
