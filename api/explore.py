"""The network explorer: ``/explore`` for community managers, and the static export.

The page draws with vis-network (the library pyvis wraps, served from
``api/static`` so nothing loads from a CDN) and fetches ``/explore/data`` as the
controls change. ``scrm viz`` writes the same picture through pyvis with every
script inlined, so the file opens from disk with no server.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from api.errors import UserError
from api.network import NETWORK_CACHE, NetworkView, build_network
from graph.store import GraphStore

__all__ = ["explorer_fragment", "explorer_html", "render_static_html", "router"]

STATIC = Path(__file__).resolve().parent / "static"
_cache = NETWORK_CACHE
router = APIRouter(tags=["explore"])

SHAPES = {"brand": "star", "customer": "dot", "prospect": "triangle", "community": "hexagon"}


async def _call(request: Request, work: Any) -> Any:
    """Run ``work(store)`` on the app's store thread; a timeout is a 503 with the reason."""
    try:
        return await _runner(request).call(work)
    except UserError as exc:
        raise HTTPException(503, str(exc)) from None


def _runner(request: Request) -> Any:
    return request.app.state.store_runner


_STATIC_DIRS = {STATIC, STATIC / "graphiql", STATIC / "vendor"}


@router.get("/explore/static/{name:path}", include_in_schema=False)
def static_file(name: str) -> FileResponse:
    """A bundled script or style (no data: public like the pages that load them)."""
    path = (STATIC / name).resolve()
    if path.parent not in _STATIC_DIRS or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


def _parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name} must be a date like 2026-09-01") from None


@router.get("/explore/data")
async def explore_data(
    request: Request,
    center: str | None = None,
    depth: int = Query(1, ge=0, le=4),
    community: int | None = None,
    platform: str | None = None,
    min_score: float = Query(0.0, ge=0.0, le=1.0),
    since: str | None = None,
    until: str | None = None,
    top: int | None = Query(None, ge=1, le=100_000),
    limit: int = Query(2000, ge=10, le=5000),
    expand: int | None = None,
) -> dict[str, Any]:
    """The nodes and edges to draw for these controls (JSON)."""
    start, end = _parse_time(since, "since"), _parse_time(until, "until")
    center_key = center.strip().lower().lstrip("@") if center else None
    if center_key and ":" not in center_key:
        center_key = "twitter:" + center_key

    def work(store: GraphStore) -> dict[str, Any]:
        frames = _cache.get(store)
        view = build_network(frames, center=center_key or None, depth=depth,
                             community=community, platform=platform or None,
                             min_score=min_score, since=start, until=end, top=top, limit=limit,
                             expand_community=expand)
        return view.as_dict()

    # on a handle and thread of their own (minutes at a million accounts the first
    # time): the pages' store calls never wait behind the explorer's
    try:
        result: dict[str, Any] = await _runner(request).aside(work, "explore")
    except UserError as exc:
        raise HTTPException(503, str(exc)) from None
    return result


@router.get("/explore/account/{key}")
async def account_card(request: Request, key: str) -> dict[str, Any]:
    """What the info panel shows for one account: scores, customer, latest posts."""
    def work(store: GraphStore) -> dict[str, Any]:
        account = store.get_account(key)
        if account is None:
            raise HTTPException(404, f"no account {key}")
        customer = store.customers_for_accounts([key]).get(key)
        scores = store.account_scores(key)
        posts = store.timeline([key], first=5)
        return {
            "key": key, "handle": account.handle, "platform": account.platform,
            "display_name": account.display_name, "followers": account.followers,
            "is_brand": account.is_brand,
            "customer": {"id": customer.customer_id, "name": customer.name,
                         "lifetime_value": customer.lifetime_value} if customer else None,
            "scores": {"advocate": scores.advocate, "influencer": scores.influencer,
                       "detractor": scores.detractor, "influence": scores.influence,
                       "community": scores.community} if scores else None,
            "why": {kind: [[name, round(value, 4)] for name, value in factors[:6]]
                    for kind, factors in scores.explanations.items()} if scores else {},
            "latest": [{"time": p.time.isoformat(), "direction": p.direction, "text": p.text,
                        "sentiment": p.sentiment,
                        "counterpart": p.counterpart.handle if p.counterpart else None}
                       for p in posts],
        }

    result: dict[str, Any] = await _call(request, work)
    return result


@router.get("/explore", response_class=HTMLResponse)
def explore_page() -> str:
    """The interactive explorer (``api/static/explorer.html``)."""
    return explorer_html()


def explorer_html() -> str:
    """The explorer page, read from the package (kept in memory after the first read)."""
    global _page
    if _page is None:
        _page = (STATIC / "explorer.html").read_text(encoding="utf-8")
    return _page


def explorer_fragment() -> str:
    """The explorer's controls and drawing area, for embedding in another page."""
    page = explorer_html()
    return page[page.index("<!--EXPLORER-->"):page.index("<!--/EXPLORER-->")]


_page: str | None = None


def render_static_html(view: NetworkView, title: str) -> str:
    """A self-contained HTML file (pyvis, scripts inlined) of one network view."""
    from pyvis.network import Network

    # No pyvis ``heading``: its template prints the heading twice; the page gets one <h1>.
    net = Network(height="860px", width="100%", directed=True, cdn_resources="in_line",
                  bgcolor="#ffffff")
    max_influence = max((n.get("influence") or 0.0 for n in view.nodes), default=1.0) or 1.0
    for n in view.nodes:
        lines = [f"{n['platform']}:@{n['handle']}" if n.get("platform") else n["handle"]]
        if n.get("customer_name"):
            lines.append(f"customer {n['customer_id']} {n['customer_name']}")
        elif n.get("kind") == "prospect":
            lines.append("prospect")
        for score in ("advocate", "influencer", "detractor"):
            if n.get(score):
                lines.append(f"{score} {n[score]:.3f}")
        if n.get("members"):
            lines.append(f"{n['members']:,} accounts")
        label = f"community {n['community']}" if n.get("kind") == "community" else n["handle"]
        net.add_node(n["id"], label=label, title="\n".join(lines),
                     shape=SHAPES.get(n.get("kind", "prospect"), "dot"),
                     color=n.get("colour"),
                     size=10 + 40 * ((n.get("influence") or 0.0) / max_influence) ** 0.5,
                     borderWidth=3 if n.get("kind") == "customer" else 1)
    for e in view.edges:
        net.add_edge(e["from"], e["to"], value=e["weight"], color=e["colour"],
                     title=f"{e['weight']} interaction(s), sentiment {e['sentiment']}")
    net.barnes_hut(gravity=-6000, spring_length=140)
    net.toggle_stabilization(True)
    page = _offline(net.generate_html())
    legend = _LEGEND.replace("position:absolute", "position:fixed")
    page = re.sub(r"<title>.*?</title>|<h1>\s*</h1>", "", page, flags=re.S)
    page = page.replace("<head>", f"<head><title>{title}</title>", 1)
    heading = f'<h1 style="font:600 18px sans-serif;margin:8px 12px">{title}</h1>'
    page = re.sub(r"<body[^>]*>", lambda m: m.group(0) + heading, page, count=1)
    return page.replace("</body>", legend + _SETTLE_SCRIPT + "</body>")


# After the layout: physics off (nothing drifts), fit, and label the most influential
# nodes in a font that stays readable at the fitted zoom (the rest show when zoomed in).
_SETTLE_SCRIPT = """
<script>
(function () {
  function settle() {
    network.setOptions({physics: {enabled: false}});
    network.fit();
    var scale = Math.max(network.getScale(), 0.02);
    var all = nodes.get();
    all.sort(function (a, b) { return (b.size || 0) - (a.size || 0); });
    nodes.update(all.map(function (n, i) {
      return {id: n.id, font: {size: i < 30 ? Math.min(14 / scale, 200) : 12,
                               strokeWidth: 3, strokeColor: "#ffffff"}};
    }));
    document.body.dataset.settled = "true";
  }
  network.once("stabilizationIterationsDone", settle);
  if (network.physics && network.physics.stabilized) settle();
})();
</script>"""


_REMOTE = re.compile(r"<link[^>]*https?://[^>]*/>|<script[^>]*src=\"https?://[^>]*>\s*</script>"
                     r"|<!--.*?-->", re.S)


def _offline(page: str) -> str:
    """Drop pyvis's CDN stylesheet/script tags (bootstrap, only used for its optional menus)
    and commented-out references, so the file never reaches the network."""
    return _REMOTE.sub("", page)


_LEGEND = """
<div id="legend" style="position:absolute;right:12px;top:12px;background:#fff;
 border:1px solid #ddd;border-radius:6px;padding:8px 12px;font:12px sans-serif;z-index:5">
 <b>Legend</b><br>
 &#9733; brand &nbsp; &#9679; customer (thick border) &nbsp; &#9650; prospect
 &nbsp; &#11042; community<br>
 node size = influence &nbsp;·&nbsp; colour = community<br>
 edge width = interactions &nbsp;·&nbsp; edge colour:
 <span style="color:#2ca02c">positive</span> /
 <span style="color:#b0b0b0">neutral</span> /
 <span style="color:#d62728">negative</span>
</div>"""



def page_title(view: NetworkView, what: str) -> str:
    return html.escape(f"scrm — {what}: {len(view.nodes)} nodes, {len(view.edges)} edges")
