// scrm network explorer. Draws /explore/data with vis-network, lays it out once
// (stabilise, fit, then physics off so nothing drifts), labels only the largest nodes
// until the reader zooms in, opens a community with its most influential members first,
// finds a person, and explains an account's scores in the side panel.
"use strict";
(() => {
  const SHAPES = {brand: "star", customer: "dot", prospect: "triangle", community: "hexagon"};
  const LABELLED = 30;        // nodes labelled at the fitted zoom (largest first)
  const ZOOM_LABELS = 1.1;    // from this scale on, every node is labelled
  const COMMUNITY_TOP = 150;  // an opened community shows this many members first
  const form = document.getElementById("controls");
  const tip = document.getElementById("tooltip");
  const statusEl = document.getElementById("status");
  const more = document.getElementById("more");
  const find = document.getElementById("find");
  const people = document.getElementById("people");
  const nodes = new vis.DataSet(), edges = new vis.DataSet();
  const network = new vis.Network(document.getElementById("graph"), {nodes, edges}, {
    layout: {improvedLayout: false},
    physics: {solver: "barnesHut", barnesHut: {gravitationalConstant: -6000, springLength: 140,
              avoidOverlap: 0.2}, minVelocity: 1, timestep: 0.5,
              stabilization: {enabled: true, iterations: 400, updateInterval: 50, fit: true}},
    interaction: {hover: true, tooltipDelay: 120, keyboard: {enabled: true, bindToWindow: false}},
    edges: {arrows: {to: {enabled: true, scaleFactor: 0.4}}, smooth: false},
    nodes: {font: {size: 14, strokeWidth: 3, strokeColor: "#ffffff"}},
  });
  let allLabels = false;
  window.network = network; window.scrmData = {nodes, edges};

  function esc(s) { const d = document.createElement("div"); d.textContent = s ?? ""; return d.innerHTML; }
  // With API keys on, open the page as /explore?key=<key>; the key is sent as a header.
  // (In the workspace the key travels as its cookie instead.)
  const KEY = new URLSearchParams(location.search).get("key");
  const HEADERS = KEY ? {"X-API-Key": KEY} : {};
  const BASE = document.body.dataset.base || "";

  function settle() {
    // Physics only lays the drawing out; once it is done the picture stays where it is.
    network.setOptions({physics: {enabled: false}});
    network.fit({animation: false});
    document.body.dataset.settled = "true";
  }
  network.on("stabilizationIterationsDone", settle);

  function labelOf(raw) {
    return raw.kind === "community" ? `community ${raw.community} (${raw.members.toLocaleString()})`
      : raw.handle;
  }
  function showLabels(all) {
    if (all === allLabels) return;
    allLabels = all;
    nodes.update(nodes.get().map(n => ({id: n.id, label: (all || n.big) ? labelOf(n.raw) : undefined})));
  }
  network.on("zoom", () => showLabels(network.getScale() >= ZOOM_LABELS));

  function params(extra) {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v !== "" && k !== "find") p.set(k, v);
    p.delete("key");
    for (const [k, v] of Object.entries(extra || {})) if (k !== "members") p.set(k, v);
    return p;
  }

  async function load(extra) {
    statusEl.textContent = "loading…"; tip.style.display = "none"; more.style.display = "none";
    document.body.dataset.loaded = "false"; document.body.dataset.settled = "false";
    const r = await fetch(BASE + "/explore/data?" + params(extra), {headers: HEADERS});
    if (!r.ok) { statusEl.textContent = "error: " + (await r.text()); return; }
    const view = await r.json();
    const weight = n => n.kind === "community" ? n.members : (n.influence || 0);
    const maxW = Math.max(1e-12, ...view.nodes.map(weight));
    const order = [...view.nodes].sort((a, b) => weight(b) - weight(a));
    const big = new Set(order.slice(0, LABELLED).map(n => n.id));
    allLabels = false;
    nodes.clear(); edges.clear();
    network.setOptions({physics: {enabled: true}});
    nodes.add(view.nodes.map(n => ({
      id: n.id, big: big.has(n.id), label: big.has(n.id) ? labelOf(n) : undefined,
      shape: SHAPES[n.kind] || "dot",
      color: {background: n.colour, border: n.kind === "customer" ? "#222" : n.colour},
      borderWidth: n.kind === "customer" ? 3 : 1, size: 8 + 40 * Math.sqrt(weight(n) / maxW),
      font: {size: big.has(n.id) ? 16 + 14 * Math.sqrt(weight(n) / maxW) : 12},
      title: n.kind === "community" ? `${n.members} accounts` : `${n.platform}:@${n.handle}`, raw: n})));
    edges.add(view.edges.map((e, i) => ({id: i, from: e.from, to: e.to, color: e.colour,
      width: 1 + Math.log2(e.weight), title: `${e.weight} interaction(s)`})));
    people.innerHTML = view.nodes.filter(n => n.kind !== "community").slice(0, 500)
      .map(n => `<option value="${esc(n.id)}">${esc(n.display_name || n.customer_name || "")}</option>`).join("");
    statusEl.textContent = `${view.nodes.length} nodes, ${view.edges.length} edges` +
      (view.aggregated ? ` (${view.total_nodes} accounts shown as communities: click one to open it)` : "");
    if (extra && extra.top && extra.community !== undefined && extra.members > extra.top) {
      more.textContent = `Showing the ${extra.top} most influential of ${extra.members.toLocaleString()} members: show all`;
      more.onclick = () => load({community: extra.community, limit: Math.min(5000, extra.members),
                                 top: Math.min(5000, extra.members)});
      more.style.display = "block";
    }
    document.body.dataset.loaded = "true";
    if (view.nodes.length) network.stabilize(view.nodes.length > 1000 ? 250 : 400);
    else settle();
  }

  function why(card) {
    const parts = [];
    for (const [kind, factors] of Object.entries(card.why || {})) {
      if (!factors.length) continue;
      parts.push(`<div><b>${esc(kind)}</b> because<ul class="why">` + factors.slice(0, 4).map(
        ([name, value]) => `<li>${esc(name.replaceAll("_", " "))}: ${value >= 0 ? "+" : ""}${value.toFixed(3)}</li>`
      ).join("") + "</ul></div>");
    }
    return parts.join("") || "<p>no explanation stored for this account</p>";
  }

  async function showTip(n) {
    tip.style.display = "block";
    const person = n.customer_id
      ? `<a href="/people/customer/${encodeURIComponent(n.customer_id)}">customer ${esc(n.customer_id)} ${esc(n.customer_name || "")}</a>`
      : n.customer_id ? `customer ${esc(n.customer_id)} ${esc(n.customer_name || "")}` : esc(n.kind);
    tip.innerHTML = `<h2 style="font-size:15px;margin:0 0 4px">${esc(n.platform)}:@${esc(n.handle)}</h2>
      ${n.display_name ? esc(n.display_name) + "<br>" : ""}${person}<br>
      advocate ${n.advocate.toFixed(3)} · influencer ${n.influencer.toFixed(3)} · detractor ${n.detractor.toFixed(3)}<br>
      community ${n.community ?? "–"} · bridge ${n.bridge.toFixed(2)}<br>
      <button type="button" id="recentre">Recentre here</button>
      <h3 style="font-size:13px;margin:8px 0 2px">Why these scores</h3><div id="why">loading…</div>
      <h3 style="font-size:13px;margin:8px 0 2px">Latest posts</h3><div id="posts">loading posts…</div>`;
    document.getElementById("recentre").onclick = () => { form.center.value = n.id; load(); };
    const r = await fetch(BASE + "/explore/account/" + encodeURIComponent(n.id), {headers: HEADERS});
    const card = r.ok ? await r.json() : {latest: [], why: {}};
    document.getElementById("why").innerHTML = why(card);
    document.getElementById("posts").innerHTML = card.latest.map(p =>
      `<div class="post">${esc(p.time.slice(0, 10))} ${esc(p.direction.replace("_", " "))}
       ${p.counterpart ? "· @" + esc(p.counterpart) : ""}: ${esc(p.text.slice(0, 160))}</div>`).join("") || "no posts";
  }

  function openCommunity(raw) {
    const extra = {community: raw.community, limit: Math.min(5000, Math.max(raw.members, 10))};
    if (raw.members > COMMUNITY_TOP) {
      Object.assign(extra, {top: COMMUNITY_TOP, members: raw.members, limit: COMMUNITY_TOP});
    }
    form.community.value = raw.community;
    load(extra);
  }

  // Finds a person among the drawn nodes (handle, display or customer name, id); when not
  // drawn, recentres the picture on that account.
  function search(text) {
    const q = text.trim().toLowerCase().replace(/^@/, "");
    if (!q) return;
    const hit = nodes.get().find(n => n.raw.kind !== "community" && [n.id, n.raw.handle,
      n.raw.display_name, n.raw.customer_name, n.raw.customer_id]
      .some(v => v && String(v).toLowerCase() === q)) ||
      nodes.get().find(n => n.raw.kind !== "community" && [n.raw.handle, n.raw.display_name,
        n.raw.customer_name].some(v => v && String(v).toLowerCase().includes(q)));
    if (hit) {
      network.selectNodes([hit.id]);
      network.focus(hit.id, {scale: 1.5, animation: false});
      showLabels(true);
      showTip(hit.raw);
    } else {
      form.center.value = q; load();
    }
  }

  network.on("click", e => {
    if (!e.nodes.length) { tip.style.display = "none"; return; }
    const n = nodes.get(e.nodes[0]).raw;
    if (n.kind === "community") { openCommunity(n); return; }
    showTip(n);
  });
  network.on("doubleClick", e => { if (e.nodes.length) { form.center.value = e.nodes[0]; load(); } });
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    if (document.activeElement === find && find.value) search(find.value); else load();
  });
  find.addEventListener("change", () => search(find.value));
  document.getElementById("reset").onclick = () => { form.reset(); load(); };
  const initial = new URLSearchParams(location.search);
  for (const [k, v] of initial) if (form[k]) form[k].value = v;
  window.scrmExplorer = {load, search, openCommunity};
  load();
})();
