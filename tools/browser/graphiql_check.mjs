// Opens GraphiQL in Debian's headless Chromium with every non-localhost request blocked,
// and reports whether the editor rendered and a query ran.
// Usage: node graphiql_check.mjs URL SCREENSHOT.png
import { chromium } from "playwright-core";

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
});
const result = { url, blocked: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
  await page.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (["127.0.0.1", "localhost"].includes(u.hostname) || u.protocol === "data:") return route.continue();
    result.blocked.push(u.href);
    return route.abort();
  });
  const answer = page.waitForResponse((r) => r.url().includes("/graphql") && r.request().method() === "POST",
                                      { timeout: 30000 });
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector(".graphiql-container .graphiql-query-editor", { timeout: 30000 });
  result.loading_left = await page.evaluate(() => document.body.innerText.includes("Loading..."));
  result.schema_loaded = (await answer).status() === 200;  // the IDE fetched the schema
  await page.screenshot({ path: shot });
  result.ok = true;
} catch (err) {
  result.ok = false;
  result.error = String(err);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
