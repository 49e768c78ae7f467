import { LIVE_UPDATES_CSS } from "./live-updates-css.ts";

/**
 * The one stylesheet of the reader pages (and of the styled feeds). Served from
 * `/assets/site.css` so the pages' Content-Security-Policy can forbid inline styles.
 * Colours meet WCAG AA contrast in both schemes; the dark scheme follows the reader's system.
 */
export const SITE_CSS = `:root {
  color-scheme: light dark;
  --bg: #ffffff;
  --fg: #1b1b1b;
  --muted: #4f4f4f;
  --rule: #d6d6d6;
  --accent: #0b57a4;
  --panel: #f3f5f8;
  --del: #fde2e1;
  --ins: #dcf5e3;
  font-family: Georgia, "Times New Roman", serif;
  line-height: 1.6;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121417;
    --fg: #e8e8e8;
    --muted: #b4b4b4;
    --rule: #3a3f45;
    --accent: #8cc4ff;
    --panel: #1d2126;
    --del: #4a1d1f;
    --ins: #173a24;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: 0.5rem; z-index: 1; }
.site-header, .site-footer, main { max-width: 44rem; margin: 0 auto; padding: 0 1rem; }
.site-header { border-bottom: 1px solid var(--rule); padding-top: 0.75rem; padding-bottom: 0.75rem; }
.site-header a { font-weight: bold; text-decoration: none; color: var(--fg); font-size: 1.2rem; }
.site-footer { border-top: 1px solid var(--rule); margin-top: 3rem; padding-top: 1rem; padding-bottom: 2rem; color: var(--muted); font-size: 0.9rem; }
h1 { font-size: clamp(1.6rem, 5vw, 2.3rem); line-height: 1.2; margin: 1.5rem 0 0.75rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.5rem; }
img { max-width: 100%; height: auto; }
figure { margin: 1.5rem 0; }
figcaption, .meta { font-size: 0.9rem; color: var(--muted); font-family: system-ui, sans-serif; }
.standfirst { font-size: 1.2rem; font-weight: bold; }
.content-warning { border-left: 4px solid #b45309; padding: 0.5rem 0.75rem; background: #fff7ed; }
.correction { border-left: 4px solid var(--accent); background: var(--panel); padding: 0.25rem 0.75rem; margin: 1rem 0; font-family: system-ui, sans-serif; }
.correction h2 { margin: 0.5rem 0 0.25rem; font-size: 1rem; }
.correction p { margin: 0.25rem 0 0.5rem; }
.revisions { padding-left: 1.5rem; }
.revisions > li { margin-bottom: 2rem; }
.revisions h2 { font-size: 1.1rem; font-family: system-ui, sans-serif; }
.changes dt { font-family: system-ui, sans-serif; font-weight: bold; font-size: 0.9rem; margin-top: 0.75rem; }
.changes dd { margin: 0.25rem 0 0 0; }
del { background: var(--del); text-decoration: line-through; }
ins { background: var(--ins); text-decoration: underline; }
.sensitive-image > summary { cursor: pointer; padding: 0.5rem 0; }
.byline { font-family: system-ui, sans-serif; }
.tag { display: inline-block; border: 1px solid var(--rule); border-radius: 1rem; padding: 0 0.6rem; margin: 0 0.3rem 0.3rem 0; font-size: 0.85rem; font-family: system-ui, sans-serif; }
.stories { list-style: none; padding: 0; margin: 0; }
.stories li { border-bottom: 1px solid var(--rule); padding: 0.75rem 0; }
.stories a { font-size: 1.1rem; font-weight: bold; text-decoration: none; }
.stories a:hover { text-decoration: underline; }
.stories p { margin: 0.25rem 0 0; }
.feed-card { border-bottom: 1px solid var(--rule); padding: 1rem 0; }
.feed-card h3 { margin: 0 0 0.25rem; font-size: 1.25rem; }
.badge { font-family: system-ui, sans-serif; font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.05em; border: 1px solid var(--muted); border-radius: 0.25rem; padding: 0 0.3rem; color: var(--muted); }
.subscribe { background: var(--panel); border: 1px solid var(--rule); border-radius: 0.5rem; padding: 1rem; margin: 1.5rem 0; font-family: system-ui, sans-serif; font-size: 0.95rem; }
.subscribe h2 { margin-top: 0; font-size: 1.1rem; }
.formats { display: flex; flex-wrap: wrap; gap: 0.5rem; padding: 0; list-style: none; }
.formats a, button, .follow-form button { display: inline-block; border: 1px solid var(--accent); border-radius: 0.3rem; padding: 0.3rem 0.8rem; background: var(--bg); color: var(--accent); font: inherit; cursor: pointer; text-decoration: none; }
.handle { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; }
.handle code { font-size: 1rem; word-break: break-all; }
.follow-form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: flex-end; }
.follow-form label { display: block; width: 100%; }
.follow-form input { flex: 1 1 12rem; font: inherit; padding: 0.3rem 0.5rem; border: 1px solid var(--muted); border-radius: 0.3rem; background: var(--bg); color: var(--fg); }
.counts { display: flex; gap: 1.25rem; list-style: none; padding: 0; font-family: system-ui, sans-serif; }
.replies { list-style: none; padding: 0; }
.replies li { border-left: 3px solid var(--rule); padding: 0.25rem 0 0.25rem 0.75rem; margin-bottom: 1rem; }
.pager { display: flex; justify-content: space-between; margin: 1.5rem 0; font-family: system-ui, sans-serif; }
.notice { border-left: 4px solid var(--accent); padding-left: 0.75rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
${LIVE_UPDATES_CSS}`;
