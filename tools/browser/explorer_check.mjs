// Opens a page in Debian's headless Chromium, waits for the vis-network drawing, reports
// what was drawn, clicks a node and checks its tooltip, and saves a screenshot.
// Usage: node explorer_check.mjs URL SCREENSHOT.png [--static | --no-click]
import { chromium } from "playwright-core";

const [url, shot, mode] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});
const result = { url };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const external = [];
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith("http://127.0.0.1") && !u.startsWith("file:") && !u.startsWith("data:")) external.push(u);
  });
  await page.goto(url);
  if (mode === "--static") {
    await page.waitForFunction(() => typeof network !== "undefined" && network.body, null, { timeout: 60000 });
    await page.waitForTimeout(1500);
    Object.assign(result, await page.evaluate(() => ({
      nodes: network.body.data.nodes.length, edges: network.body.data.edges.length,
      drawn: Object.keys(network.getPositions()).length })));
  } else {
    await page.waitForFunction(() => document.body.dataset.settled === "true", null, { timeout: 60000 });
    await page.waitForTimeout(1000);
    Object.assign(result, await page.evaluate(() => ({
      nodes: window.scrmData.nodes.length, edges: window.scrmData.edges.length,
      drawn: Object.keys(window.network.getPositions()).length,
      status: document.getElementById("status").textContent })));
  }
  if (mode !== "--static" && mode !== "--no-click") {
    // nothing moves any more (a last fit or resize): a node is clicked where it stays
    for (let i = 0; i < 20; i++) {
      const a = await page.evaluate(() => JSON.stringify(window.network.getPositions()) +
        JSON.stringify(window.network.getViewPosition()) + window.network.getScale());
      await page.waitForTimeout(250);
      const b = await page.evaluate(() => JSON.stringify(window.network.getPositions()) +
        JSON.stringify(window.network.getViewPosition()) + window.network.getScale());
      if (a === b) break;
    }
    // click the most influential node and read the tooltip
    const target = await page.evaluate((largest) => {
      const all = window.scrmData.nodes.get();
      const size = (x) => largest ? (x.raw.members || 0) : (x.raw.influence || 0);
      all.sort((a, b) => size(b) - size(a));
      const n = all.find((x) => x.raw.kind !== "community") || all[0];
      const pos = window.network.getPositions([n.id])[n.id];
      const dom = window.network.canvasToDOM(pos);
      const rect = document.getElementById("graph").getBoundingClientRect();
      // what vis-network will pick at that point (a neighbour may be drawn on top)
      const hit = window.scrmData.nodes.get(window.network.getNodeAt(dom) ?? n.id);
      return { id: hit.id, handle: hit.raw.handle, kind: hit.raw.kind,
               x: dom.x + rect.left, y: dom.y + rect.top };
    }, mode === "--largest");
    // a plain node click shows its tooltip; a community click opens that community
    const { kind } = await page.evaluate(() => {
      const all = window.scrmData.nodes.get();
      return { kind: all.every((n) => n.raw.kind === "community") ? "community" : "account" };
    });
    await page.mouse.click(target.x, target.y);
    result.clicked = target.handle;
    if (kind === "community") {
      await page.waitForFunction(() => window.scrmData.nodes.get().length > 0 &&
        window.scrmData.nodes.get().every((n) => n.raw.kind !== "community"), null, { timeout: 30000 });
      result.expanded_nodes = await page.evaluate(() => window.scrmData.nodes.length);
      await page.waitForFunction(() => document.body.dataset.settled === "true", null, { timeout: 60000 });
      result.more = await page.evaluate(() => {
        const more = document.getElementById("more");
        return more.style.display === "block" ? more.textContent : null;
      });
      if (result.more) {  // a large community: its most influential members, then all
        await page.click("#more");
        await page.waitForFunction((n) => document.body.dataset.settled === "true" &&
          window.scrmData.nodes.length > n, result.expanded_nodes, { timeout: 60000 });
        result.all_nodes = await page.evaluate(() => window.scrmData.nodes.length);
      }
    } else {
      await page.waitForFunction(() => {
        const t = document.getElementById("tooltip");
        return t.style.display === "block" && !t.textContent.includes("loading posts");
      }, null, { timeout: 15000 });
      result.tooltip = await page.evaluate(() => document.getElementById("tooltip").innerText);
    }
  }
  // how many nodes lie inside the drawing area, and whether anything still moves
  const inView = () => page.evaluate(() => {
    const pos = network.getPositions();
    const box = network.body.container.getBoundingClientRect();
    let n = 0;
    for (const p of Object.values(pos)) {
      const d = network.canvasToDOM(p);
      if (d.x >= 0 && d.y >= 0 && d.x <= box.width && d.y <= box.height) n += 1;
    }
    return { n, first: JSON.stringify(Object.values(pos)[0] || null) };
  });
  if (mode === "--static") await page.waitForFunction(() => document.body.dataset.settled === "true", null, { timeout: 60000 });
  const before = await inView();
  await page.waitForTimeout(1500);
  const after = await inView();
  result.in_view = after.n;
  result.still = before.first === after.first;
  if (mode === "--static") {
    result.title_count = await page.evaluate(() => [...document.querySelectorAll("h1")].length);
    result.big_labels = await page.evaluate(() => {
      const s = network.getScale();
      return network.body.data.nodes.get().filter((n) => n.label && n.font && n.font.size * s >= 10).length;
    });
  }
  result.external_requests = external;
  await page.screenshot({ path: shot });
  result.ok = true;
} catch (err) {
  result.ok = false;
  result.error = String(err);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
