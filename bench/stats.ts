/** Small statistics and formatting helpers for the report. */

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
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length > 0 ? total / sorted.length : Number.NaN,
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).p50;
}

export const ms = (value: number, digits = 2) =>
  Number.isFinite(value) ? `${value.toFixed(digits)} ms` : "n/a";

export const kib = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;

export const mib = (kibibytes: number) => `${(kibibytes / 1024).toFixed(1)} MiB`;

export const int = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a";

export const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : "n/a");

/** A plain-text table: first row is the header; numbers-looking cells are right-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const numeric = /^[-+]?[\d,.]+(\s?(ms|us|KiB|MiB|x|%|B|cores))?$/;
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return numeric.test(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return "";
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [`  ${line(header)}`, `  ${rule}`, ...body.map((row) => `  ${line(row)}`)].join("\n");
}

export function verdict(pass: boolean): string {
  return pass ? "PASS" : "MISS";
}
