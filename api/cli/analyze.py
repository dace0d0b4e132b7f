"""``scrm analyze`` and ``scrm top``: compute the scores, read the rankings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import DbOption, console, fail, open_for, run_write_job
from graph.schema import SCORE_KINDS
from graph.store import GraphStore

__all__ = ["print_top", "register", "top_rows"]

_KIND_NAMES = {"advocates": "advocate", "influencers": "influencer", "detractors": "detractor"}


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
    app.command("top")(top)


def analyze(
    db: DbOption = None,
    half_life_days: Annotated[float, typer.Option(envvar="SCRM_HALF_LIFE_DAYS",
                                                  help="Interaction half-life in days.")] = 90.0,
    decay_floor: Annotated[float, typer.Option(
        envvar="SCRM_DECAY_FLOOR", min=0.0, max=1.0,
        help="The least an old interaction's decay falls to (an older era is outranked, "
        "never erased).")] = 0.05,
    reply_weight: Annotated[float, typer.Option(envvar="SCRM_REPLY_WEIGHT")] = 1.0,
    mention_weight: Annotated[float, typer.Option(envvar="SCRM_MENTION_WEIGHT")] = 0.5,
    share_weight: Annotated[float, typer.Option(envvar="SCRM_SHARE_WEIGHT")] = 1.0,
    quote_weight: Annotated[float, typer.Option(envvar="SCRM_QUOTE_WEIGHT")] = 1.0,
    seed: Annotated[int, typer.Option(help="Community detection seed.")] = 0,
    rescore_sentiment: Annotated[bool, typer.Option(
        "--rescore-sentiment", help="Score every post's sentiment again.")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="Start from scratch: no warm start, communities detected afresh.")
    ] = False,
    community_refresh: Annotated[float, typer.Option(
        envvar="SCRM_COMMUNITY_REFRESH", min=0.0,
        help="Keep the previous communities until interactions grew by this fraction.")
    ] = 0.05,
) -> None:
    """Compute influence, sentiment, communities and the three rankings (a new run)."""
    params = {"half_life_days": half_life_days, "decay_floor": decay_floor,
              "reply_weight": reply_weight,
              "mention_weight": mention_weight, "share_weight": share_weight,
              "quote_weight": quote_weight, "seed": seed, "rescore_sentiment": rescore_sentiment,
              "warm_start": not full, "community_refresh": community_refresh}
    result = run_write_job(db, {"kind": "analyze", "params": params}, "analyze")
    stats = result["stats"]
    kept = "; carried over from the last run, --full to detect afresh" \
        if stats.get("communities_from", "detected") != "detected" else ""
    console.print(
        f"run [b]{result['run_id']}[/]: {stats['accounts']:,} accounts, "
        f"{stats['interactions']:,} interactions, {stats['brand_posts']:,} posts addressing "
        f"the brand ({stats['posts_scored']:,} posts newly scored by {stats['sentiment_model']}), "
        f"{stats['communities']:,} communities (modularity {stats['modularity']:.3f}{kept}); "
        f"scores by {stats['scoring']}; {stats['seconds']:.1f}s", highlight=False)


def top_rows(store: GraphStore, kind: str, limit: int) -> list[dict[str, Any]]:
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
    kind: Annotated[str, typer.Argument(help="advocates | influencers | detractors | lookalikes")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Show a ranking with the reasons behind each score."""
    if kind in ("lookalike", "lookalikes"):
        from api.cli import lookalikes

        with open_for(db, read_only=_exists(db)) as store:
            return lookalikes.show(store, limit, as_json)
    store_kind = _KIND_NAMES.get(kind, kind.rstrip("s") if kind.rstrip("s") in SCORE_KINDS
                                 else None)
    if store_kind is None:
        fail(f"unknown ranking {kind!r}; choose advocates, influencers or detractors", code=2)
    with open_for(db, read_only=_exists(db)) as store:
        if store.latest_run() is None:
            fail("no analysis has run yet: run 'scrm analyze' first")
        rows = top_rows(store, store_kind, limit)
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print_top(rows, store_kind)


def _exists(db: Path | None) -> bool:
    from api.cli.common import settings_for

    settings = settings_for(db)
    return settings.backend == "embedded" and settings.db.exists()
