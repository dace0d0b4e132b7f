"""``scrm analyze``: compute influence, sentiment, communities and the rankings."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import DbOption, console, err, pick, run_write_job, setting, settings_for

__all__ = ["analyze"]


def analyze(
    db: DbOption = None,
    half_life_days: Annotated[float | None, setting(
        "half_life_days", "Interaction half-life in days.", metavar="DAYS", min=0.0)] = None,
    decay_floor: Annotated[float | None, setting(
        "decay_floor", "The least an old interaction's decay falls to (an older era is "
        "outranked, never erased).", metavar="FRACTION", min=0.0, max=1.0)] = None,
    reply_weight: Annotated[float | None, setting(
        "reply_weight", "Weight of a reply.", metavar="W", min=0.0)] = None,
    mention_weight: Annotated[float | None, setting(
        "mention_weight", "Weight of a mention.", metavar="W", min=0.0)] = None,
    share_weight: Annotated[float | None, setting(
        "share_weight", "Weight of a share.", metavar="W", min=0.0)] = None,
    quote_weight: Annotated[float | None, setting(
        "quote_weight", "Weight of a quote.", metavar="W", min=0.0)] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="Community detection seed.")] = 0,
    rescore_sentiment: Annotated[bool, typer.Option(
        "--rescore-sentiment", help="Score every post's sentiment again.")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="Start from scratch: no warm start, communities detected afresh.")
    ] = False,
    community_refresh: Annotated[float | None, setting(
        "community_refresh",
        "Keep the previous communities until interactions grew by this fraction.",
        metavar="FRACTION", min=0.0)] = None,
) -> None:
    """Compute influence, sentiment, communities and the three rankings (a new run)."""
    settings = settings_for(db)
    params = {"half_life_days": pick(half_life_days, settings.half_life_days),
              "decay_floor": pick(decay_floor, settings.decay_floor),
              "understand_per_run": settings.understand_per_run,
              "reply_weight": pick(reply_weight, settings.reply_weight),
              "mention_weight": pick(mention_weight, settings.mention_weight),
              "share_weight": pick(share_weight, settings.share_weight),
              "quote_weight": pick(quote_weight, settings.quote_weight),
              "seed": seed, "rescore_sentiment": rescore_sentiment, "warm_start": not full,
              "community_refresh": pick(community_refresh, settings.community_refresh)}
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
    for note in stats.get("notes", []):
        err.print(f"note: {note}", highlight=False, soft_wrap=True, markup=False)
