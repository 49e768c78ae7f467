/**
 * The live stream's part of `/assets/site.js` (live-updates.tsx renders what it works on).
 * Without it the page already shows every update; with it, an open page of a live story polls
 * `updates.json` with If-None-Match (mostly bodyless 304s) and merges what changed into the
 * list, without a framework and without loading anything from elsewhere (the CSP's
 * `connect-src 'self'`). It announces new updates on the polite status line, stops when the
 * story is no longer live (or gone), backs off on errors and waits while the tab is hidden.
 */
export const LIVE_UPDATES_JS = `(() => {
  const section = document.querySelector("section[data-live-stream]");
  if (!section || section.dataset.live !== "true" || !window.fetch) return;
  const list = section.querySelector("[data-live-list]");
  const status = section.querySelector("[data-live-status]");
  const empty = section.querySelector("[data-live-empty]");
  const url = section.dataset.liveStream;
  const interval = Math.max(1, Number(section.dataset.pollSeconds) || 15) * 1000;
  const longest = Math.max(interval, 5 * 60 * 1000);
  let etag = section.dataset.etag || "";
  let delay = interval;
  let timer = 0;
  let polling = false;
  let stopped = false;

  function schedule(ms) {
    clearTimeout(timer);
    timer = 0;
    if (!stopped && !polling && !document.hidden) timer = setTimeout(poll, ms);
  }

  async function poll() {
    polling = true;
    try {
      const headers = { accept: "application/json" };
      if (etag) headers["if-none-match"] = etag;
      const response = await fetch(url, { headers, cache: "no-store", credentials: "omit" });
      if (response.status === 404 || response.status === 410) {
        end("This story is no longer available.");
      } else if (response.status === 304) {
        delay = interval;
      } else if (response.ok) {
        const stream = await response.json();
        etag = response.headers.get("etag") || "";
        merge(stream.updates || []);
        if (!stream.live) end("This story is no longer live.");
        delay = interval;
      } else {
        delay = Math.min(delay * 2, longest);
      }
    } catch {
      // Offline or a broken answer: try again later, less often.
      delay = Math.min(delay * 2, longest);
    }
    polling = false;
    schedule(delay);
  }

  function element(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content.firstElementChild;
  }

  /** Puts the list in the stream's order (newest first), touching only what changed. */
  function merge(updates) {
    const wanted = new Set(updates.map((update) => update.anchor));
    for (const item of Array.from(list.children)) if (!wanted.has(item.id)) item.remove();
    const added = [];
    updates.forEach((update, index) => {
      let item = document.getElementById(update.anchor);
      if (item && item.dataset.revision !== String(update.revision)) {
        const revised = element(update.html);
        item.replaceWith(revised);
        item = revised;
      } else if (!item) {
        item = element(update.html);
        item.classList.add("is-new");
        added.push(update);
      }
      const here = list.children[index];
      if (here !== item) list.insertBefore(item, here || null);
    });
    if (empty) empty.hidden = list.children.length > 0;
    if (added.length === 1) {
      status.textContent = "New update" + (added[0].headline ? ": " + added[0].headline : ".");
    } else if (added.length > 1) {
      status.textContent = added.length + " new updates.";
    }
  }

  function end(message) {
    stopped = true;
    clearTimeout(timer);
    section.dataset.live = "false";
    for (const label of document.querySelectorAll("[data-live-label]")) label.remove();
    status.textContent = message;
  }

  // Hidden: schedule() only clears the timer. Visible again: ask at once.
  document.addEventListener("visibilitychange", () => schedule(0));
  schedule(delay);
})();
`;
