"""``scrm top``: a ranking with the reasons behind each score."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import DbOption, console, err, fail, open_reader
from graph.errors import NotFoundError
from graph.schema import SCORE_KINDS
from graph.store import GraphStore

__all__ = ["empty_reason", "print_top", "top", "top_rows"]

_KIND_NAMES = {"advocates": "advocate", "influencers": "influencer", "detractors": "detractor"}


def top_rows(store: GraphStore, kind: str, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` accounts of a ranking, with their customer and explanation."""
    ranked = store.ranked_accounts(kind, first=limit)
    customers = store.customers_for_accounts([r.account.key for r in ranked])
    rows = []
    for r in ranked:
        customer = customers.get(r.account.key)
        rows.append({
            "rank": r.rank, "score": round(r.score, 6), "platform": r.account.platform,
            "handle": r.account.handle, "display_name": r.account.display_name,
            "followers": r.account.followers,
            "customer_id": customer.customer_id if customer else None,
            "customer_name": customer.name if customer else None,
            "explanation": [{"factor": f, "contribution": round(c, 6)} for f, c in r.explanation],
        })
    return rows


def empty_reason(store: GraphStore, kind: str) -> str:
    """Why a ranking of the latest run is empty, and what to do about it."""
    from analytics.job import NO_BRAND  # the analysis stack loads only when needed

    brand_named = bool(store.get_settings().get("brand.name")) or bool(store.brand_accounts())
    if kind in ("advocate", "detractor") and not brand_named:
        return NO_BRAND
    return "no account has a score in this ranking yet"


def print_top(rows: list[dict[str, Any]], kind: str) -> None:
    table = Table(title=f"Top {kind}s")
    for col in ("#", "score", "account", "customer", "why (largest contributions)"):
        table.add_column(col)
    for r in rows:
        who = f"{r['customer_id']} {r['customer_name'] or ''}".strip() if r["customer_id"] \
            else "[dim]prospect[/]"
        why = ", ".join(f"{e['factor']} {e['contribution']:+.3f}" for e in r["explanation"][:3])
        table.add_row(str(r["rank"]), f"{r['score']:.3f}", f"{r['platform']}:@{r['handle']}",
                      who, why)
    console.print(table)


def top(
    kind: Annotated[str, typer.Argument(metavar="KIND",
                                        help="advocates | influencers | detractors")],
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1, max=10_000,
                                       help="How many accounts to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Show a ranking with the reasons behind each score."""
    store_kind = _KIND_NAMES.get(kind, kind.rstrip("s") if kind.rstrip("s") in SCORE_KINDS
                                 else None)
    if store_kind is None:
        fail(f"unknown ranking {kind!r}; choose advocates, influencers or detractors", code=2)
    with open_reader(db) as store:
        if store.latest_run() is None:
            raise NotFoundError("no analysis has run yet: run 'scrm analyze' first")
        rows = top_rows(store, store_kind, limit)
        reason = empty_reason(store, store_kind) if not rows else ""
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print_top(rows, store_kind)
    if reason:
        err.print(f"no {store_kind}s: {reason}", highlight=False, soft_wrap=True, markup=False)
