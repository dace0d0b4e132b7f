// scrm workspace, working together: saved replies inserted into the reply box, "copy
// text" on responses to send by hand, @mention suggestions in internal notes, and the
// inbox's live updates (server-sent events from /inbox/events). Listeners are delegated
// from the document, so htmx's body swaps need nothing re-run.
"use strict";
(() => {
  document.addEventListener("change", (ev) => {
    const pick = ev.target;
    if (!(pick instanceof HTMLSelectElement) || pick.id !== "saved-reply" || !pick.value) return;
    const box = document.getElementById(pick.dataset.target);
    const start = box.selectionStart ?? box.value.length;
    box.value = box.value.slice(0, start) + pick.value + box.value.slice(box.selectionEnd ?? start);
    pick.value = "";
    box.focus();
  });

  document.addEventListener("click", async (ev) => {
    const button = ev.target instanceof Element && ev.target.closest("button.copy");
    if (button) {
      const body = document.getElementById(button.dataset.copy);
      // a browser may never settle the clipboard promise (a permission prompt nobody
      // answers): wait at most 1.5 s, then select the text for Ctrl+C instead
      const write = navigator.clipboard
        ? navigator.clipboard.writeText(body.innerText).then(() => true, () => false)
        : Promise.resolve(false);
      const copied = await Promise.race([write, new Promise((r) => setTimeout(() => r(false), 1500))]);
      if (!copied) {
        const range = document.createRange();
        range.selectNodeContents(body);
        getSelection().removeAllRanges(); getSelection().addRange(range);
      }
      button.textContent = copied ? "Copied" : "Selected: press Ctrl+C";
      return;
    }
    const option = ev.target instanceof Element && ev.target.closest("#mention-list [role=option]");
    if (option) choose(option);
  });

  // --- @mentions: a listbox of matching teammates under the note box
  const word = (box) => /(^|[^\w@])@([\w.-]*)$/.exec(box.value.slice(0, box.selectionStart));
  function choose(option) {
    const box = document.getElementById("note-text");
    const m = word(box);
    if (!m) return;
    const at = box.selectionStart - m[2].length;
    box.value = box.value.slice(0, at) + option.dataset.name + " " + box.value.slice(box.selectionStart);
    box.selectionStart = box.selectionEnd = at + option.dataset.name.length + 1;
    close(); box.focus();
  }
  function close() {
    const list = document.getElementById("mention-list");
    if (list) { list.hidden = true; list.replaceChildren(); }
    document.getElementById("note-text")?.removeAttribute("aria-activedescendant");
  }
  document.addEventListener("input", (ev) => {
    const box = ev.target;
    if (!(box instanceof HTMLTextAreaElement) || box.id !== "note-text") return;
    const m = word(box);
    const list = document.getElementById("mention-list");
    if (!m) { close(); return; }
    const names = JSON.parse(box.dataset.teammates || "[]")
      .filter((n) => n.toLowerCase().startsWith(m[2].toLowerCase())).slice(0, 8);
    list.replaceChildren(...names.map((n, i) => {
      const li = document.createElement("li");
      li.id = `mention-${i}`; li.setAttribute("role", "option"); li.dataset.name = n;
      li.textContent = "@" + n;
      return li;
    }));
    list.hidden = !names.length;
  });
  document.addEventListener("keydown", (ev) => {
    const box = ev.target;
    const list = document.getElementById("mention-list");
    if (!(box instanceof HTMLTextAreaElement) || box.id !== "note-text" || !list || list.hidden) return;
    const options = [...list.children];
    let i = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      i = ev.key === "ArrowDown" ? (i + 1) % options.length : (i - 1 + options.length) % options.length;
      options.forEach((o, j) => o.setAttribute("aria-selected", String(j === i)));
      box.setAttribute("aria-activedescendant", options[i].id);
      ev.preventDefault();
    } else if ((ev.key === "Enter" || ev.key === "Tab") && i >= 0) {
      choose(options[i]); ev.preventDefault();
    } else if (ev.key === "Escape") { close(); }
  });

  // --- the inbox follows the queue live: on an event, redraw the list in place
  let source = null;
  let redraw = 0;
  function follow() {
    const queue = document.getElementById("queue");
    if (!queue) { source?.close(); source = null; return; }
    // the stream follows the view this page shows (its filters), all of it
    const url = "/inbox/events" + location.search;
    if (source && source.url.endsWith(url)) return;
    source?.close();
    if (typeof EventSource === "undefined") return;
    source = new EventSource(url);
    const changed = (ev) => {
      const {total} = JSON.parse(ev.data);
      clearTimeout(redraw);
      redraw = setTimeout(async () => {  // several events in a burst: one redraw
        const answer = await fetch(location.href, {headers: {"HX-Request": "true"}});
        if (!answer.ok) return;
        const page = new DOMParser().parseFromString(await answer.text(), "text/html");
        const fresh = page.getElementById("queue");
        const here = document.getElementById("queue");
        if (!fresh || !here) return;
        const selected = here.querySelector(".item.selected")?.dataset.conversation;
        here.replaceWith(fresh);
        if (selected) fresh.querySelector(`[data-conversation="${CSS.escape(selected)}"]`)?.classList.add("selected");
        const count = page.querySelector("h1 .count");
        if (count) document.querySelector("h1 .count")?.replaceWith(count);
        const live = document.getElementById("fresh");
        if (live) live.textContent = `The queue changed (${ev.type.replace("-", " ")}): ${total} waiting.`;
        document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || 0) + 1);
      }, 150);
    };
    for (const kind of ["care-item", "assignment", "response", "resolution", "queue"]) {
      source.addEventListener(kind, changed);
    }
    source.addEventListener("hello", () => { document.body.dataset.live = "on"; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", follow);
  else follow();
  document.addEventListener("htmx:load", follow);
})();
