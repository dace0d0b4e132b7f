// First contentful paint of workspace pages in Debian's headless Chromium.
// Usage: node page_speed.mjs BASE_URL PATH... ; prints one JSON line {path: {fcp_ms, load_ms}}.
import { chromium } from "playwright-core";

const [base, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
});
const out = {};
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  // signed in as the bench's user (the workspace asks everyone else to sign in)
  if (process.env.SCRM_SESSION) {
    await context.addCookies([{ name: "scrm_session", value: process.env.SCRM_SESSION, url: base }]);
  }
  const warm = await context.newPage();
  await warm.goto(base + paths[0]);  // the static assets in the cache, as for a user at work
  await warm.close();
  for (const path of paths) {
    const page = await context.newPage();
    await page.goto(base + path, { waitUntil: "load" });
    await page.bringToFront();
    out[path] = await page.evaluate(() => new Promise((resolve) => {
      const nav = performance.getEntriesByType("navigation")[0];
      const done = (fcp) => resolve({ fcp_ms: fcp ? Math.round(fcp.startTime) : null,
                                      ttfb_ms: Math.round(nav.responseStart - nav.requestStart),
                                      load_ms: Math.round(nav.loadEventEnd) });
      new PerformanceObserver((list) => {
        const fcp = list.getEntriesByName("first-contentful-paint")[0];
        if (fcp) done(fcp);
      }).observe({ type: "paint", buffered: true });
      setTimeout(() => done(null), 5000);
    }));
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
