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

__all__ = ["render_static_html", "router"]

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


@router.get("/explore/static/{name}", include_in_schema=False)
def static_file(name: str) -> FileResponse:
    path = STATIC / name
    if path.parent != STATIC or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path)


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

    result: dict[str, Any] = await _call(request, work)
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
            "latest": [{"time": p.time.isoformat(), "direction": p.direction, "text": p.text,
                        "sentiment": p.sentiment,
                        "counterpart": p.counterpart.handle if p.counterpart else None}
                       for p in posts],
        }

    result: dict[str, Any] = await _call(request, work)
    return result


@router.get("/explore", response_class=HTMLResponse)
def explore_page() -> str:
    """The interactive explorer."""
    return _PAGE


def render_static_html(view: NetworkView, title: str) -> str:
    """A self-contained HTML file (pyvis, scripts inlined) of one network view."""
    from pyvis.network import Network

    net = Network(height="860px", width="100%", directed=True, cdn_resources="in_line",
                  bgcolor="#ffffff", heading=title)
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
        net.add_node(n["id"], label=n["handle"], title="\n".join(lines),
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
    return page.replace("</body>", legend + "</body>")


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

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scrm — network explorer</title>
<link rel="stylesheet" href="/explore/static/vis-network.css">
<script src="/explore/static/vis-network.min.js"></script>
<style>
 body{margin:0;font:14px system-ui,sans-serif;color:#222}
 header{padding:8px 12px;background:#f6f7f9;border-bottom:1px solid #ddd}
 header form{display:flex;flex-wrap:wrap;gap:8px;align-items:end}
 label{display:flex;flex-direction:column;font-size:11px;color:#555}
 input,select{font:13px system-ui;padding:3px 5px;width:110px}
 #wrap{position:relative;height:calc(100vh - 64px)}
 #graph{position:absolute;inset:0}
 #tooltip{position:absolute;left:12px;top:12px;max-width:360px;background:#fff;
  border:1px solid #bbb;border-radius:6px;padding:10px;box-shadow:0 2px 8px #0002;
  display:none;z-index:6;font-size:13px}
 #tooltip .post{border-top:1px solid #eee;padding:4px 0;color:#333}
 #status{font-size:12px;color:#555;margin-left:8px}
</style></head><body>
<header><form id="controls">
 <b style="margin-right:8px">scrm explorer</b>
 <label>centre account<input name="center" placeholder="twitter:handle"></label>
 <label>depth<input name="depth" type="number" min="0" max="4" value="1" style="width:50px">
 </label>
 <label>community<input name="community" type="number" min="0" style="width:70px"></label>
 <label>platform<select name="platform"><option value="">all</option>
  <option>twitter</option><option>reddit</option><option>stackexchange</option></select></label>
 <label>min score<input name="min_score" type="number" step="0.05" min="0" max="1" value="0"
  style="width:60px"></label>
 <label>since<input name="since" type="date"></label>
 <label>until<input name="until" type="date"></label>
 <label>max nodes<input name="limit" type="number" value="2000" style="width:70px"></label>
 <button type="submit">Show</button><button type="button" id="reset">Reset</button>
 <span id="status"></span>
</form></header>
<div id="wrap"><div id="graph"></div><div id="tooltip"></div>""" + _LEGEND + """</div>
<script>
const SHAPES = {brand: "star", customer: "dot", prospect: "triangle", community: "hexagon"};
const form = document.getElementById("controls");
const tip = document.getElementById("tooltip");
const statusEl = document.getElementById("status");
let nodes = new vis.DataSet(), edges = new vis.DataSet(), current = null;
const network = new vis.Network(document.getElementById("graph"), {nodes, edges}, {
  physics: {solver: "barnesHut", barnesHut: {gravitationalConstant: -6000,
            springLength: 140}, stabilization: {iterations: 300, fit: true}},
  interaction: {hover: true, tooltipDelay: 120},
  edges: {arrows: {to: {enabled: true, scaleFactor: 0.4}}, smooth: false},
  nodes: {font: {size: 12}}
});
network.on("stabilizationIterationsDone", () => network.setOptions({physics: false}));
window.network = network; window.scrmData = {nodes, edges};
function esc(s) { const d = document.createElement("div"); d.textContent = s ?? ""; return d.innerHTML; }
// With API keys on, open the page as /explore?key=<key>; the key is sent as a header.
const KEY = new URLSearchParams(location.search).get("key");
const HEADERS = KEY ? {"X-API-Key": KEY} : {};
function params(extra) {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (v !== "") p.set(k, v);
  p.delete("key");
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  return p;
}
async function load(extra) {
  statusEl.textContent = "loading…"; tip.style.display = "none";
  const r = await fetch("/explore/data?" + params(extra), {headers: HEADERS});
  if (!r.ok) { statusEl.textContent = "error: " + (await r.text()); return; }
  const view = await r.json(); current = view;
  const maxInf = Math.max(1e-12, ...view.nodes.map(n => n.influence || 0));
  nodes.clear(); edges.clear();
  nodes.add(view.nodes.map(n => ({
    id: n.id, label: n.kind === "community" ? `community ${n.community} (${n.members})` : n.handle,
    shape: SHAPES[n.kind] || "dot", color: {background: n.colour, border: n.kind === "customer" ? "#222" : n.colour},
    borderWidth: n.kind === "customer" ? 3 : 1, size: 8 + 40 * Math.sqrt((n.influence || 0) / maxInf),
    title: n.kind === "community" ? `${n.members} accounts` : `${n.platform}:@${n.handle}`, raw: n})));
  edges.add(view.edges.map((e, i) => ({id: i, from: e.from, to: e.to, color: e.colour,
    width: 1 + Math.log2(e.weight), title: `${e.weight} interaction(s)`})));
  statusEl.textContent = `${view.nodes.length} nodes, ${view.edges.length} edges` +
    (view.aggregated ? ` (${view.total_nodes} accounts shown as communities: click one to open it)` : "");
  document.body.dataset.loaded = "true";
}
async function showTip(n, pos) {
  tip.style.display = "block"; tip.style.left = (pos.x + 14) + "px"; tip.style.top = (pos.y + 14) + "px";
  tip.innerHTML = `<b>${esc(n.platform)}:@${esc(n.handle)}</b> ${n.display_name ? "· " + esc(n.display_name) : ""}<br>
    ${n.customer_id ? "customer " + esc(n.customer_id) + " " + esc(n.customer_name || "") : esc(n.kind)}<br>
    advocate ${n.advocate.toFixed(3)} · influencer ${n.influencer.toFixed(3)} · detractor ${n.detractor.toFixed(3)}<br>
    community ${n.community ?? "–"} · bridge ${n.bridge.toFixed(2)}<br>
    <button id="recentre">Recentre here</button>
    ${n.customer_id ? `<a href="/graphql" title="customer(id: &quot;${esc(n.customer_id)}&quot;)">customer view</a>` : ""}
    <div id="posts">loading posts…</div>`;
  document.getElementById("recentre").onclick = () => { form.center.value = n.id; load(); };
  const r = await fetch("/explore/account/" + encodeURIComponent(n.id), {headers: HEADERS});
  const card = r.ok ? await r.json() : {latest: []};
  document.getElementById("posts").innerHTML = card.latest.map(p =>
    `<div class="post">${esc(p.time.slice(0, 10))} ${esc(p.direction.replace("_", " "))}
     ${p.counterpart ? "· @" + esc(p.counterpart) : ""}: ${esc(p.text.slice(0, 160))}</div>`).join("") || "no posts";
}
network.on("click", e => {
  if (!e.nodes.length) { tip.style.display = "none"; return; }
  const n = nodes.get(e.nodes[0]).raw;
  if (n.kind === "community") { load({expand: n.community}); return; }
  showTip(n, e.pointer.DOM);
});
network.on("doubleClick", e => { if (e.nodes.length) { form.center.value = e.nodes[0]; load(); } });
form.addEventListener("submit", ev => { ev.preventDefault(); load(); });
document.getElementById("reset").onclick = () => { form.reset(); load(); };
const initial = new URLSearchParams(location.search);
for (const [k, v] of initial) if (form[k]) form[k].value = v;
load();
</script></body></html>
"""


def page_title(view: NetworkView, what: str) -> str:
    return html.escape(f"scrm — {what}: {len(view.nodes)} nodes, {len(view.edges)} edges")
