/** Statistics of samples, number formats, plain-text tables and goal verdicts for the report. */

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}

/** Quote medians: one slow sample (a GC, a cold connection) does not move them. */
export const median = (values: readonly number[]) => summarize(values).p50;

const finite = (value: number, format: (value: number) => string) =>
  Number.isFinite(value) ? format(value) : "n/a";
export const fixed = (value: number, digits = 0) => finite(value, (v) => v.toFixed(digits));
export const ms = (value: number, digits = 2) => finite(value, (v) => `${v.toFixed(digits)} ms`);
export const int = (value: number) => finite(value, (v) => Math.round(v).toLocaleString("en-US"));
export const ratio = (value: number) => finite(value, (v) => `${v.toFixed(2)}x`);
export const mib = (value: number) => finite(value, (v) => `${v.toFixed(1)} MiB`);
export const kib = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;

/** A plain-text table: the first row is the header; number-looking cells are right-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const numeric = /^[-+]?[\d,.]+(\s?(ms|us|KiB|MiB|x|%|B|cores))?$/;
  const line = (row: readonly string[]) =>
    `  ${row
      .map((cell, i) =>
        numeric.test(cell) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join("  ")}`.trimEnd();
  const [header = [], ...body] = rows;
  return [
    line(header),
    `  ${widths.map((width) => "-".repeat(width)).join("  ")}`,
    ...body.map(line),
  ].join("\n");
}

/** A table of `items` with one column per [header, cell of an item]. */
export function tableOf<T>(
  items: readonly T[],
  columns: readonly (readonly [string, (item: T) => string])[],
): string {
  return table([
    columns.map(([header]) => header),
    ...items.map((item) => columns.map(([, cell]) => cell(item))),
  ]);
}

export interface Goal {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  /** Undefined for a line that explains the goal above it. */
  readonly pass?: boolean;
  /** False when the figure was taken while other processes used the CPU. */
  readonly reliable?: boolean;
}

export function formatGoals(goals: readonly Goal[]): string {
  const verdict = (goal: Goal) =>
    goal.pass === undefined
      ? ""
      : `${goal.pass ? "PASS" : "MISS"}${goal.reliable === false ? " (*)" : ""}`;
  const rows = tableOf(goals, [
    ["goal", (goal) => goal.name],
    ["target", (goal) => goal.goal],
    ["measured", (goal) => goal.measured],
    ["verdict", verdict],
  ]);
  const unreliable = goals.some((goal) => goal.reliable === false);
  const note =
    "  (*) measured while other processes used the CPU (see other load): re-run on a quiet machine.";
  return unreliable ? `${rows}\n${note}` : rows;
}
