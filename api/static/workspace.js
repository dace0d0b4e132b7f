// scrm workspace: keyboard navigation (inbox j/k/Enter; conversation a/n/r/e focus the
// forms) and the dashboard's Chart.js charts. Pages work without it; htmx (hx-boost)
// swaps the body on navigation, so everything here runs again on "htmx:load".
"use strict";
(() => {
  function inboxKeys(ev) {
    const items = [...document.querySelectorAll("#queue .item")];
    if (!items.length) return;
    let i = items.findIndex((el) => el.classList.contains("selected"));
    if (ev.key === "j" || ev.key === "k") {
      i = ev.key === "j" ? Math.min(items.length - 1, i + 1) : Math.max(0, i - 1);
      items.forEach((el) => el.classList.remove("selected"));
      items[i].classList.add("selected");
      const link = items[i].querySelector("a.open");
      link.focus();
      items[i].scrollIntoView({block: "nearest"});
      ev.preventDefault();
    } else if (ev.key === "Enter" && i >= 0 && document.activeElement === document.body) {
      items[i].querySelector("a.open").click();
      ev.preventDefault();
    }
  }
  const FOCUS = {a: "assignee", n: "note-text", r: "reply-text", e: "closing"};
  function conversationKeys(ev) {
    const id = FOCUS[ev.key];
    const field = id && document.getElementById(id);
    if (field) { field.focus(); ev.preventDefault(); }
  }
  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t instanceof HTMLElement && t.closest("input,textarea,select,[contenteditable]")) return;
    if (ev.key === "/") {  // every page: jump to "find a person"
      const find = document.getElementById("find-person");
      if (find) { find.focus(); ev.preventDefault(); return; }
    }
    const page = document.getElementById("main")?.dataset.page;
    if (page === "inbox") inboxKeys(ev);
    else if (page === "conversation") conversationKeys(ev);
  });

  const charts = [];
  function drawDashboard() {
    const source = document.getElementById("dashboard-data");
    if (!source || typeof Chart === "undefined") return;
    charts.splice(0).forEach((c) => c.destroy());
    const {metrics, care} = JSON.parse(source.textContent);
    const daily = metrics.change.daily;
    const days = daily.map((d) => d.day);
    const opts = {responsive: true, maintainAspectRatio: false, animation: false};
    const add = (id, config) => {
      const el = document.getElementById(id);
      if (el) charts.push(new Chart(el, {...config, options: {...opts, ...(config.options || {})}}));
    };
    add("chart-volume", {type: "bar", data: {labels: days, datasets: [
      {label: "brand mentions", data: daily.map((d) => d.posts), backgroundColor: "#1f5fa8"}]}});
    const voice = metrics.awareness.shareOfVoice;
    add("chart-voice", {type: "doughnut", data: {labels: voice.map((v) => v.name), datasets: [
      {data: voice.map((v) => v.mentions),
       backgroundColor: voice.map((v, i) => v.isBrand ? "#1f5fa8" : ["#e07b39", "#7d4fb2", "#2e9c8a", "#b8860b", "#888"][i % 5])}]}});
    add("chart-sentiment", {type: "line", data: {labels: days, datasets: [
      {label: "mean sentiment", data: daily.map((d) => d.sentiment), borderColor: "#1d6b2c", yAxisID: "y"},
      {label: "negative share", data: daily.map((d) => d.negativeShare), borderColor: "#a61b1b", yAxisID: "y"}]},
      options: {scales: {y: {min: -1, max: 1}}}});
    add("chart-care", {type: "bar", data: {labels: care.map((t) => t.team), datasets: [
      {label: "waiting items", data: care.map((t) => t.waiting), backgroundColor: "#c0392b"},
      {label: "median wait (days)", data: care.map((t) => t.median_hours / 24), backgroundColor: "#f0a04b",
       yAxisID: "days"}]},
      options: {scales: {y: {title: {display: true, text: "items"}},
                         days: {position: "right", grid: {display: false},
                                title: {display: true, text: "days"}}}}});
    const s = metrics.sales;
    add("chart-sales", {type: "bar", data: {labels: ["all customers", "linked to social", "after engagement"],
      datasets: [{label: "revenue", data: [s.totalRevenue, s.linkedRevenue, s.revenueAfterEngagement],
                  backgroundColor: ["#888", "#1f5fa8", "#1d6b2c"]}]},
      options: {indexAxis: "y", plugins: {legend: {display: false}}}});
    const terms = metrics.change.risingTerms.slice(0, 12);
    add("chart-terms", {type: "bar", data: {labels: terms.map((t) => t.term), datasets: [
      {label: "lift", data: terms.map((t) => t.lift), backgroundColor: "#7d4fb2"}]},
      options: {indexAxis: "y", plugins: {legend: {display: false}}}});
    document.body.dataset.charts = String(charts.length);
  }
  function ready() { drawDashboard(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  let pending = 0;
  document.addEventListener("htmx:load", () => {
    clearTimeout(pending);
    pending = setTimeout(ready, 0);
  });
})();
