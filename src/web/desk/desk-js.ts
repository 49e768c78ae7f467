/**
 * The desk's only script, served from `/desk/assets/desk.js` (the CSP allows no inline code).
 * Every page works without it. It moves focus to a form's error summary, and keeps a delivery
 * panel (`[data-delivery]`) current while its publish runs: it polls the panel's JSON with
 * If-None-Match (bodyless 304s while nothing changes, less often the longer nothing does) until
 * the story's current revision is recorded with nothing pending, and says so on a status line.
 */
export const DESK_JS = `"use strict";
(() => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  for (const panel of document.querySelectorAll("[data-delivery]")) watch(panel);

  function watch(panel) {
    const url = panel.dataset.delivery;
    let etag = panel.dataset.etag || "";
    let delay = 1000;
    async function poll() {
      if (panel.dataset.settled === "true") return;
      if (document.hidden) {
        setTimeout(poll, delay);
        return;
      }
      try {
        const headers = { accept: "application/json" };
        if (etag) headers["if-none-match"] = etag;
        const response = await fetch(url, { headers, cache: "no-store", credentials: "same-origin" });
        if (response.status === 200) {
          etag = response.headers.get("etag") || "";
          show(panel, await response.json());
          delay = 1000;
        } else {
          delay = Math.min(delay * (response.status === 304 ? 1.5 : 2), 30000);
        }
      } catch {
        delay = Math.min(delay * 2, 30000);
      }
      setTimeout(poll, delay);
    }
    setTimeout(poll, delay);
  }

  function show(panel, summary) {
    for (const key of ["delivered", "failed", "pending", "total"]) {
      const field = panel.querySelector("[data-count=" + key + "]");
      if (field) field.textContent = String(summary[key]);
    }
    const bar = panel.querySelector("progress");
    if (bar) {
      bar.max = Math.max(1, summary.total);
      bar.value = summary.delivered + summary.failed;
    }
    if (summary.servers) showServers(summary.servers);
    const settled = summary.current && summary.pending === 0;
    panel.dataset.settled = String(settled);
    const status = panel.querySelector("[data-delivery-status]");
    if (status && settled && summary.total > 0) {
      status.textContent = "Delivery finished: " + summary.delivered + " of " + summary.total + " servers.";
    }
  }
  /** The per-server table (story page only): each row's cells, by host, as text. */
  function showServers(servers) {
    const body = document.querySelector("[data-delivery-servers]");
    if (!body) return;
    for (const server of servers) {
      let row = Array.from(body.rows).find((r) => r.dataset.host === server.host);
      if (!row) {
        row = body.insertRow();
        row.dataset.host = server.host;
        const head = document.createElement("th");
        head.scope = "row";
        head.textContent = server.host;
        row.append(head);
        for (let i = 0; i < 4; i++) row.insertCell();
      }
      const cells = row.cells;
      cells[1].textContent = server.state;
      cells[1].className = server.state === "failed" ? "failing" : "";
      cells[2].textContent = server.inboxes;
      cells[3].textContent = server.lastAnswer;
      cells[4].textContent = server.attempts;
    }
    const table = document.querySelector("[data-delivery-table]");
    if (table && servers.length > 0) table.hidden = false;
  }
})();
`;
