// Works the care queue in Debian's headless Chromium the way an agent would: signs in, works
// the top item with the mouse, then another with the keyboard alone (sign-in included);
// signs in as a viewer, who cannot act; runs axe-core on every page; takes screenshots.
// Usage: node workspace_check.mjs BASE_URL SCREENSHOT_DIR
// Environment: AGENT_NAME, AGENT_PASSWORD, VIEWER_NAME, VIEWER_PASSWORD, ADMIN_NAME,
// ADMIN_PASSWORD.
// Prints one JSON line: what each step saw, axe's serious/critical violations per page.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const [base, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
});
const result = { steps: {}, axe: {}, external: [] };
const NOTE = "Refund issued for the double charge; checked with billing.";
const REPLY = "Sorry for the double charge, Gus: we have refunded it. DM us if anything else is off.";

async function axe(page, name) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => ["serious", "critical"].includes(v.impact))
      .map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")})`);
  });
  result.axe[name] = found;
}

async function settled(page) {
  await page.waitForLoadState("load");
  await page.waitForFunction(() => !document.querySelector(".htmx-request"), null, { timeout: 20000 });
}

try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!["127.0.0.1", "localhost"].includes(u.hostname) && u.protocol !== "data:") result.external.push(u.href);
  });
  page.on("pageerror", (e) => { (result.page_errors ||= []).push(String(e)); });

  // --- signing in: the workspace opens on the sign-in page, then on the inbox
  await page.goto(base + "/");
  await page.waitForSelector("form.signin");
  result.steps.signin_url = new URL(page.url()).pathname;
  await axe(page, "signin");
  await page.fill("#signin-name", process.env.AGENT_NAME);
  await page.fill("#signin-password", "not the password");
  await page.click("form.signin button[type=submit]");
  await page.waitForSelector("form.signin .error, .error[role=alert]");
  result.steps.signin_refused = await page.$eval("[role=alert]", (el) => el.innerText);
  await page.fill("#signin-password", process.env.AGENT_PASSWORD);
  await page.click("form.signin button[type=submit]");

  // --- the inbox, most urgent first
  await page.waitForSelector("#queue .item");
  result.steps.signed_in_as = await page.$eval("#signed-in", (el) => el.innerText);
  result.steps.inbox_url = new URL(page.url()).pathname;
  result.steps.top = await page.$eval("#queue .item", (el) => el.innerText);
  await page.screenshot({ path: `${shots}/workspace-inbox.png` });
  await axe(page, "inbox");

  // --- filter to Twitter with the form, open the top item: @grumpygus
  await page.selectOption("select[name=platform]", "twitter");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/platform=twitter/);
  await settled(page);
  result.steps.top_twitter = await page.$eval("#queue .item .who", (el) => el.innerText);
  const conversation = await page.$eval("#queue .item", (el) => el.dataset.conversation);
  result.steps.conversation = conversation;
  await page.click("#queue .item a.open");
  await page.waitForSelector("aside .profile");
  await settled(page);
  result.steps.profile = await page.$eval("aside .profile", (el) => el.innerText);
  result.steps.purchases = await page.$$eval("aside table.purchases tbody tr", (rows) => rows.length);
  result.steps.reasons = await page.$$eval("aside .reasons .reason", (els) => els.length);
  result.steps.thread_posts = await page.$$eval("#thread .post", (els) => els.length);
  result.steps.thread_sentiment = await page.$$eval("#thread .post .sent", (els) => els.length);
  await page.screenshot({ path: `${shots}/workspace-conversation.png`, fullPage: false });
  await axe(page, "conversation");

  const act = async (fill, submit, flash) => {
    await fill();
    await page.click(submit);
    await page.waitForFunction((text) => document.querySelector(".flash")?.innerText.includes(text),
                               flash, { timeout: 20000 });
    await settled(page);
  };
  await act(() => page.fill("#note-text", NOTE), "form.note button[type=submit]", "Note added");
  await act(() => page.fill("#assignee", "alice"), "form[action$=assign] button", "Assigned to alice");
  result.steps.audit_on_page = await page.$eval("#audit", (el) => el.innerText);
  await act(() => page.fill("#reply-text", REPLY), "form.reply button[type=submit]", "Public reply recorded");
  result.steps.status_before_resolve = await page.$eval("#case-status", (el) => el.innerText);
  await act(() => page.fill("#closing", "Refunded."), "form[action$=resolve] button", "Resolved");
  result.steps.status_after = await page.$eval("#case-status", (el) => el.innerText);
  result.steps.notes_after = await page.$eval("#notes", (el) => el.innerText);
  result.steps.thread_after = await page.$eval("#thread", (el) => el.innerText);

  // --- the same flow with the keyboard alone (signing in too), on the top item of the queue
  const keysContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const keys = await keysContext.newPage();
  keys.on("pageerror", (e) => { (result.page_errors ||= []).push(String(e)); });
  await keys.goto(base + "/inbox");
  await keys.waitForSelector("form.signin");
  await keys.keyboard.type(process.env.AGENT_NAME);  // the name field has the focus
  await keys.keyboard.press("Tab");
  await keys.keyboard.type(process.env.AGENT_PASSWORD);
  await keys.keyboard.press("Enter");
  await keys.waitForSelector("#queue .item");
  await settled(keys);  // the page's keys are bound once its scripts ran (a loaded CI machine)
  await keys.keyboard.press("j");
  await keys.waitForSelector("#queue .item.selected");
  const picked = await keys.$eval("#queue .item.selected", (el) => el.dataset.conversation);
  result.steps.keyboard_conversation = picked;
  await keys.keyboard.press("Enter");
  await keys.waitForSelector("aside .profile");
  await settled(keys);
  const typeAndSubmit = async (shortcut, text, flash, clear) => {
    await keys.keyboard.press("Escape");
    await keys.evaluate(() => document.activeElement && document.activeElement.blur());
    await keys.keyboard.press(shortcut);
    if (clear) await keys.keyboard.press("Control+A");
    await keys.keyboard.type(text);
    if (shortcut === "n" || shortcut === "r") {
      await keys.keyboard.press("Tab");            // to the next control
      if (shortcut === "r") {                     // radio group, then the button
        await keys.keyboard.press("Tab");
      }
      await keys.keyboard.press("Enter");
    } else {
      await keys.keyboard.press("Enter");          // submits the one-line form
    }
    await keys.waitForFunction((t) => document.querySelector(".flash")?.innerText.includes(t),
                               flash, { timeout: 20000 });
    await settled(keys);
  };
  await typeAndSubmit("n", "keyboard note", "Note added");
  await typeAndSubmit("a", "bob", "Assigned to bob", true);
  await typeAndSubmit("r", "keyboard reply", "reply recorded");
  await typeAndSubmit("e", "done by keyboard", "Resolved");
  result.steps.keyboard_status = await keys.$eval("#case-status", (el) => el.innerText);
  await keys.evaluate(() => document.activeElement && document.activeElement.blur());
  await keys.keyboard.press("/");                  // find a person from any page
  await keys.keyboard.type("@grumpygus");
  await keys.keyboard.press("Enter");
  await keys.waitForURL(/\/people\/(account|customer)\//, { timeout: 20000 });
  await keys.waitForSelector(".profile h2");
  result.steps.found = await keys.$eval(".profile h2", (el) => el.innerText);

  // --- a viewer may look but not act
  const viewerContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const viewer = await viewerContext.newPage();
  await viewer.goto(base + "/signin?next=" + encodeURIComponent("/conversation/" + conversation));
  await viewer.fill("#signin-name", process.env.VIEWER_NAME);
  await viewer.fill("#signin-password", process.env.VIEWER_PASSWORD);
  await viewer.click("form.signin button[type=submit]");
  await viewer.waitForSelector("aside .profile");
  result.steps.viewer_forms = await viewer.$$eval("form[action^='/conversation/']", (els) => els.length);
  result.steps.viewer_hint = await viewer.$eval(".case .hint", (el) => el.innerText);
  result.steps.viewer_post = await viewer.evaluate(async (id) => {
    const csrf = document.querySelector("input[name=csrf]").value;  // the sign-out form's
    const answer = await fetch(`/conversation/${id}/note`, { method: "POST",
      body: new URLSearchParams({ text: "a viewer's note", csrf }), redirect: "manual" });
    return answer.status;
  }, conversation);
  await viewerContext.close();

  // --- an admin's Users page
  const adminContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const admin = await adminContext.newPage();
  await admin.goto(base + "/signin?next=%2Fusers");
  await admin.fill("#signin-name", process.env.ADMIN_NAME);
  await admin.fill("#signin-password", process.env.ADMIN_PASSWORD);
  await admin.click("form.signin button[type=submit]");
  await admin.waitForSelector("table.users");
  result.steps.users = await admin.$$eval("table.users tbody tr td:first-child", (els) => els.map((e) => e.innerText));
  await axe(admin, "users");
  await adminContext.close();

  // --- the other pages
  for (const [name, path, wait] of [["people", "/people?kind=detractor", "table.people tbody tr"],
                                     ["person", "/people/customer/C00002", ".profile"],
                                     ["dashboard", "/dashboard?days=90", "body[data-charts]"],
                                     ["network", "/network", "body[data-settled=true]"]]) {
    await page.goto(base + path);
    await page.waitForSelector(wait, { timeout: 60000 });
    if (name === "dashboard") {
      result.steps.charts = await page.evaluate(() => Number(document.body.dataset.charts));
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${shots}/workspace-dashboard.png`, fullPage: true });
    }
    if (name === "people") result.steps.people_first = await page.$eval("table.people tbody tr", (el) => el.innerText);
    if (name === "network") result.steps.network_nodes = await page.evaluate(() => window.scrmData.nodes.length);
    await axe(page, name);
  }
  result.ok = true;
} catch (err) {
  result.ok = false;
  result.error = String(err);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
