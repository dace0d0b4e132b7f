"""Store-independent preparation of writes and reads, shared by both adapters.

Whatever decides *what* a batch means (which accounts it names, how records with
the same key merge, which timeline entries a page shows) lives here once, so the
embedded and Neo4j adapters differ only in how they talk to their database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

import orjson
import pandas as pd

from graph.model import OwnsLink, Purchase, account_key
from graph.store import Conflict, GraphBatch, WriteResult

__all__ = ["ACCOUNT_FIELDS", "CUSTOMER_FIELDS", "GIVEN_ACCOUNT_FIELDS", "account_changes",
           "account_row", "follow_pairs", "merge_account_values", "merge_accounts",
           "merge_customers", "merge_purchases", "new_and_changed", "parse_explanation",
           "plan_links", "plan_purchases", "PROFILE_COLUMNS", "profile_frame", "select_timeline",
           "wanted_links"]

ACCOUNT_FIELDS = ("platform", "handle", "user_id", "display_name", "followers", "is_brand",
                  "location", "description", "created_at", "following", "listed", "client")
CUSTOMER_FIELDS = ("name", "email", "lifetime_value", "nps", "signup_date", "location",
                   "company")
# What an account record gives besides its key (platform and handle make the key).
GIVEN_ACCOUNT_FIELDS = tuple(f for f in ACCOUNT_FIELDS if f not in ("platform", "handle"))
_given_values = attrgetter(*GIVEN_ACCOUNT_FIELDS)
_BRAND = GIVEN_ACCOUNT_FIELDS.index("is_brand")
_NOTHING_GIVEN: tuple[Any, ...] = (None,) * len(GIVEN_ACCOUNT_FIELDS)


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


def new_and_changed(merged: dict[str, dict[str, Any]], existing: dict[str, dict[str, Any]],
                    fields: Sequence[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The merged rows whose key is not stored yet, and the stored ones the batch gives
    another value of one of ``fields`` (``existing``: the stored rows by key)."""
    new = [r for k, r in merged.items() if k not in existing]
    changed = [r for k, r in merged.items() if k in existing and any(
        f in r and r[f] != existing[k][f] for f in fields)]
    return new, changed


def follow_pairs(batch: GraphBatch) -> list[tuple[str, str]]:
    """The batch's follows as (follower, followee) account keys, each pair once."""
    return list(dict.fromkeys(
        (account_key(f.platform, f.follower_handle), account_key(f.platform, f.followee_handle))
        for f in batch.follows))


def merge_purchases(batch: GraphBatch) -> dict[str, Purchase]:
    """The batch's purchases by key (``customer:order``; a later record wins)."""
    return {f"{p.customer_id}:{p.order_id}": p for p in batch.purchases}


def plan_purchases(purchases: dict[str, Purchase], existing: set[str],
                   known_customers: set[str], result: WriteResult) -> dict[str, Purchase]:
    """The purchases to create: not stored yet, of a customer the CRM has (a purchase
    of another is a conflict, reported in ``result``)."""
    new = {k: p for k, p in purchases.items() if k not in existing}
    for k, p in list(new.items()):
        if p.customer_id not in known_customers:
            result.conflicts.append(Conflict(
                k, f"customer {p.customer_id!r} is not in the CRM", "customer"))
            del new[k]
    return new


def wanted_links(links: Sequence[OwnsLink]) -> dict[tuple[str, str], OwnsLink]:
    """Identity links by (customer, account); a later one for the same pair wins."""
    return {(link.customer_id, link.account_key): link for link in links}


def merge_account_values(batch: GraphBatch) -> dict[str, tuple[Any, ...]]:
    """Every account the batch names, merged, as ``GIVEN_ACCOUNT_FIELDS`` values by key.

    A later record's known fields override an earlier one's; ``None`` (and a false
    ``is_brand``: only ``set_brand`` marks a brand) is "not given", so a stub (an
    author, a mentioned handle, a link or follow target known only by its handle)
    gives nothing. Platform and handle are the key's own parts.
    """
    merged: dict[str, tuple[Any, ...]] = {}
    for a in batch.accounts:
        key = account_key(a.platform, a.handle)  # a.key
        values = _given_values(a)
        old = merged.get(key)
        if old is None or old == values:  # every page of an export repeats its users
            merged[key] = values
        else:
            merged[key] = tuple(o if v is None or (i == _BRAND and not v) else v
                                for i, (v, o) in enumerate(zip(values, old, strict=True)))

    def stub(platform: str, handle: str) -> None:
        key = account_key(platform, handle)
        if key not in merged:
            merged[key] = _NOTHING_GIVEN

    nothing = _NOTHING_GIVEN
    for p in batch.posts:  # stub() inlined: every post names its author
        platform = p.platform
        merged.setdefault(account_key(platform, p.author_handle), nothing)
        for m in p.mentions:
            merged.setdefault(account_key(platform, m), nothing)
    for link in batch.links:
        stub(link.platform, link.handle)
    for follow in batch.follows:
        stub(follow.platform, follow.follower_handle)
        stub(follow.platform, follow.followee_handle)
    return merged


def account_row(key: str, values: tuple[Any, ...]) -> dict[str, Any]:
    """One merged account as a row: its key, platform, handle and the fields given."""
    platform, handle = key.split(":", 1)
    row: dict[str, Any] = {"key": key, "platform": platform, "handle": handle}
    for f, v in zip(GIVEN_ACCOUNT_FIELDS, values, strict=True):
        if v is not None and (v or f != "is_brand"):
            row[f] = v
    return row


def account_changes(values: tuple[Any, ...], stored: tuple[Any, ...]) -> tuple[str, ...]:
    """The fields that merged account ``values`` give and that differ from ``stored``
    (both in ``GIVEN_ACCOUNT_FIELDS`` order): none when nothing changed. An update sets
    these alone: a stream's authors mostly differ in their follower counts, and setting
    every field again (their texts too) took five times as long and filled the log."""
    if values == stored:
        return ()
    return tuple(f for f, v, old in zip(GIVEN_ACCOUNT_FIELDS, values, stored, strict=True)
                 if v is not None and (v or f != "is_brand") and v != old)


def merge_accounts(batch: GraphBatch) -> dict[str, dict[str, Any]]:
    """Every account the batch names, merged (see :func:`merge_account_values`), as rows
    holding the fields given."""
    return {key: account_row(key, values) for key, values in merge_account_values(batch).items()}


PROFILE_COLUMNS = ("key", "followers", "created_at", "following", "listed", "client")


def profile_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Account profiles as ``GraphStore.account_profiles`` gives them, whichever store
    read them: counts as float64 (NaN unknown), opening times as naive-UTC
    ``datetime64[us]``."""
    out = frame.reindex(columns=list(PROFILE_COLUMNS))
    for col in ("followers", "following", "listed"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    opened = pd.to_datetime(out["created_at"], utc=True, errors="coerce")
    out["created_at"] = opened.dt.tz_localize(None).astype("datetime64[us]")
    out["client"] = out["client"].astype(object).where(out["client"].notna(), None)
    return out.reset_index(drop=True)


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
            result.conflicts.append(Conflict(pair[1], f"customer {pair[0]!r} is not in the CRM",
                                              "customer"))
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
    for kind, pairs in orjson.loads(text or "{}").items():
        parts = [(str(name), float(value)) for name, value in pairs if float(value) != 0.0]
        parts.sort(key=lambda p: -abs(p[1]))
        out[kind] = parts
    return out
