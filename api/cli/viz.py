"""``scrm viz``: the network as a self-contained HTML file that opens with no server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import DbOption, console, fail, open_reader

__all__ = ["viz"]


def viz(
    output: Annotated[Path, typer.Option("-o", "--output", metavar="FILE",
                                         help="HTML file to write.")],
    center: Annotated[str | None, typer.Option(
        metavar="PLATFORM:HANDLE", help="Centre account, platform:handle.")] = None,
    depth: Annotated[int, typer.Option(
        metavar="N", min=0, max=4, help="Steps from the centre account.")] = 1,
    community: Annotated[int | None, typer.Option(
        metavar="ID", help="Only this community.")] = None,
    top: Annotated[int | None, typer.Option(
        metavar="N", help="Only the N most influential.")] = None,
    platform: Annotated[str | None, typer.Option(
        metavar="PLATFORM", help="Only accounts of this platform.")] = None,
    min_score: Annotated[float, typer.Option(
        metavar="SCORE", min=0.0, max=1.0, help="Only accounts with at least this influence.")
    ] = 0.0,
    limit: Annotated[int, typer.Option(
        metavar="N", help="Above this many accounts, draw communities.")] = 2000,
    db: DbOption = None,
) -> None:
    """Export the network (node size = influence, colour = community, shape = brand /
    customer / prospect, edge colour = sentiment) to one HTML file."""
    from api.explore import page_title, render_static_html
    from api.network import NetworkFrames, build_network
    from graph.erasure import record_export

    with open_reader(db) as store:
        if store.latest_run() is None:
            fail("no analysis has run yet: run 'scrm analyze' first")
        frames = NetworkFrames.load(store)
        location = store.location if store.backend == "embedded" else None
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
    if location is not None:  # an erasure deletes the file if it names the person
        record_export(location, output)
    console.print(f"wrote {output} ({len(view.nodes):,} nodes, {len(view.edges):,} edges"
                  f"{', communities' if view.aggregated else ''})", highlight=False)
