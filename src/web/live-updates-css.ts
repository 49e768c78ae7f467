/**
 * The live stream's styles (live-updates.tsx), part of `/assets/site.css`. Motion only for
 * readers who have not asked their system to reduce it; the red keeps AA contrast with white.
 */
export const LIVE_UPDATES_CSS = `.live-label { margin: 0.5rem 0 0; }
.live-badge { display: inline-flex; align-items: center; gap: 0.35rem; font-family: system-ui, sans-serif; font-size: 0.8rem; font-weight: bold; text-transform: uppercase; letter-spacing: 0.08em; color: #ffffff; background: #b3121f; border-radius: 0.25rem; padding: 0.1rem 0.45rem; }
.live-badge::before { content: ""; width: 0.5rem; height: 0.5rem; border-radius: 50%; background: #ffffff; }
.live-updates h2 { margin-bottom: 0.25rem; }
.live-status:empty { display: none; }
.live-update-list { list-style: none; padding: 0; margin: 0; }
.live-update { border-left: 3px solid var(--rule); padding: 0.25rem 0 0.25rem 0.9rem; margin: 0 0 1.5rem; }
.live-update h3 { margin: 0.25rem 0; font-size: 1.15rem; }
.live-update .meta a { font-weight: bold; text-decoration: none; }
.live-update .meta a:hover, .live-update .meta a:focus-visible { text-decoration: underline; }
.live-update:target, .live-update.is-new { border-left-color: #b3121f; }
@media (prefers-reduced-motion: no-preference) {
  .live-badge::before { animation: live-pulse 2s ease-in-out infinite; }
  .live-update.is-new { animation: live-arrive 1.5s ease-out; }
}
@keyframes live-pulse { 50% { opacity: 0.3; } }
@keyframes live-arrive { from { background: var(--panel); transform: translateY(-0.5rem); opacity: 0; } }
`;
