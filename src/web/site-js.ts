import { LIVE_UPDATES_JS } from "./live-updates-js.ts";

/**
 * The reader pages' only script, served from `/assets/site.js` (the CSP allows no inline code).
 * Pages work without it; it only adds the "Copy" buttons, which stay hidden until it runs, and
 * keeps an open live story's updates current (live-updates-js.ts).
 */
export const SITE_JS = `"use strict";
for (const button of document.querySelectorAll("button[data-copy]")) {
  const status = document.getElementById(button.dataset.status || "");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy || "");
      if (status) status.textContent = "Copied " + button.dataset.copy + " to the clipboard.";
    } catch {
      if (status) status.textContent = "Could not copy: select the handle and copy it yourself.";
    }
  });
}
${LIVE_UPDATES_JS}`;
