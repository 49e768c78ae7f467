/**
 * The desk's stylesheet, after the site's (its colours and dark scheme, site-css.ts): a wider
 * page, the navigation, forms, tables and charts. Works from 320px up; colours meet WCAG AA in
 * both schemes.
 */
export const DESK_CSS = `.desk { font-family: system-ui, sans-serif; }
.desk-header { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.5rem; padding: 0.75rem 1rem; border-bottom: 1px solid var(--rule); }
.desk-brand { font-weight: bold; }
.desk-header nav ul { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; margin: 0; padding: 0; }
.desk-header nav a[aria-current="page"] { font-weight: bold; text-decoration-thickness: 3px; }
.sign-out { margin-left: auto; display: flex; align-items: center; gap: 0.5rem; }
.desk-main { max-width: 64rem; }
.desk h1 { font-family: Georgia, "Times New Roman", serif; }
.notice { border-left: 4px solid var(--accent); background: var(--panel); padding: 0.5rem 0.75rem; }
.desk-form { display: grid; gap: 1rem; max-width: 40rem; margin: 1rem 0 2rem; }
.field { display: grid; gap: 0.25rem; border: 0; padding: 0; margin: 0; }
.field label, .field legend { font-weight: bold; }
.field input, .field textarea, .field select { font: inherit; padding: 0.4rem 0.5rem; border: 1px solid var(--muted); border-radius: 0.3rem; background: var(--bg); color: var(--fg); width: 100%; }
.field input[type="checkbox"] { width: auto; }
.field .check { font-weight: normal; display: block; }
.field [aria-invalid="true"], fieldset[aria-invalid="true"] { border-color: #b3261e; border-width: 2px; }
.hint { color: var(--muted); font-size: 0.9rem; }
.field-error { color: #b3261e; font-weight: bold; font-size: 0.95rem; }
.error-summary { border: 2px solid #b3261e; border-radius: 0.3rem; padding: 0.5rem 1rem; margin: 1rem 0; }
.error-summary h2 { margin-top: 0.25rem; font-size: 1.1rem; }
.error-summary a { color: inherit; }
@media (prefers-color-scheme: dark) {
  .field-error, .error-summary { color: #ffb4ab; border-color: #ffb4ab; }
  .field [aria-invalid="true"], fieldset[aria-invalid="true"] { border-color: #ffb4ab; }
}
.desk-form button, .actions button, .actions .button, .sign-out button, .danger button { justify-self: start; display: inline-block; border: 1px solid var(--accent); border-radius: 0.3rem; padding: 0.4rem 0.9rem; background: var(--accent); color: var(--bg); font: inherit; font-weight: bold; cursor: pointer; text-decoration: none; }
.sign-out button { background: var(--bg); color: var(--accent); font-weight: normal; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.actions form { margin: 0; }
.danger { margin: 1.5rem 0; }
.danger summary { cursor: pointer; }
.table-wrap { overflow-x: auto; }
.desk-table { border-collapse: collapse; width: 100%; }
.desk-table th, .desk-table td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
.desk-table .failing { color: #b3261e; font-weight: bold; }
.desk-list { padding-left: 1.25rem; }
.desk-list li { margin-bottom: 0.5rem; }
.feed-grid { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 1rem; }
.feed-tile { border: 1px solid var(--rule); border-radius: 0.5rem; padding: 0.75rem; }
.feed-tile h3 { margin: 0 0 0.25rem; font-size: 1.05rem; }
.day-chart { margin: 0.5rem 0; }
.day-chart svg { width: 100%; height: auto; max-height: 8rem; display: block; }
.day-chart .axis { stroke: var(--rule); stroke-width: 1; }
.day-chart .series { fill: none; stroke-width: 2; }
.day-chart .s1 { stroke: var(--accent); color: var(--accent); }
.day-chart .s2 { stroke: #b45309; color: #b45309; }
.day-chart .s3 { stroke: #2e7d32; color: #2e7d32; }
@media (prefers-color-scheme: dark) {
  .day-chart .s2 { stroke: #fbbf24; color: #fbbf24; }
  .day-chart .s3 { stroke: #86efac; color: #86efac; }
}
.legend { display: inline-flex; flex-wrap: wrap; gap: 0.75rem; margin-left: 0.5rem; }
.legend .key::before { content: ""; display: inline-block; width: 0.8rem; height: 0.2rem; margin-right: 0.25rem; vertical-align: middle; background: currentColor; }
.chart-data summary { cursor: pointer; font-size: 0.9rem; }
.chart-data table { border-collapse: collapse; font-size: 0.9rem; }
.chart-data th, .chart-data td { padding: 0.1rem 0.5rem; text-align: right; }
.delivery progress { width: 100%; height: 1rem; }
@media (max-width: 30rem) {
  .sign-out { margin-left: 0; }
  .desk-table th, .desk-table td { padding: 0.3rem; }
}
`;
