"""``scrm viz``: the network as a self-contained HTML file that opens with no server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.analyze import _exists
from api.cli.common import DbOption, console, fail, open_for

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("viz")(viz)


def viz(
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")],
    center: Annotated[str | None, typer.Option(help="Centre account, platform:handle.")] = None,
    depth: Annotated[int, typer.Option(min=0, max=4)] = 1,
    community: Annotated[int | None, typer.Option(help="Only this community.")] = None,
    top: Annotated[int | None, typer.Option(help="Only the N most influential.")] = None,
    platform: Annotated[str | None, typer.Option()] = None,
    min_score: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.0,
    limit: Annotated[int, typer.Option(help="Above this, draw communities.")] = 2000,
    db: DbOption = None,
) -> None:
    """Export the network (node size = influence, colour = community, shape = brand /
    customer / prospect, edge colour = sentiment) to one HTML file."""
    from api.explore import page_title, render_static_html
    from api.network import NetworkFrames, build_network

    with open_for(db, read_only=_exists(db)) as store:
        if store.latest_run() is None:
            fail("no analysis has run yet: run 'scrm analyze' first")
        frames = NetworkFrames.load(store)
    key = center.lower().lstrip("@") if center else None
    if key and ":" not in key:
        key = "twitter:" + key
    view = build_network(frames, center=key, depth=depth, community=community, top=top,
                         platform=platform, min_score=min_score, limit=limit)
    if not view.nodes:
        fail("nothing to draw for that selection" + (f" (no account {key})" if key else ""))
    what = f"around {key}" if key else f"community {community}" if community is not None \
        else "network"
    output.write_text(render_static_html(view, page_title(view, what)), encoding="utf-8")
    console.print(f"wrote {output} ({len(view.nodes):,} nodes, {len(view.edges):,} edges"
                  f"{', communities' if view.aggregated else ''})", highlight=False)
