/** One row of the table `npm run test:faults` prints. */
export interface FaultRow {
  readonly fault: string;
  readonly pushes: number;
  /** Accepted pushes x followers' inboxes. */
  readonly expected: number;
  /** Distinct (inbox, activity) pairs that arrived. */
  readonly delivered: number;
  /** Inboxes that got a second, different activity for the same story (must be 0). */
  readonly duplicated: number;
  /** Expected pairs that never arrived (must be 0). */
  readonly lost: number;
  /** POSTs of an activity an inbox had already accepted (receivers drop them by id). */
  readonly repeats: number;
  /** From the fault's end to serving (or delivering) again; "-" when not applicable. */
  readonly recovery: string;
}

const rows: FaultRow[] = [];

export function recordFault(row: FaultRow): void {
  rows.push(row);
}

export function faultTable(): string {
  const header = [
    "fault",
    "pushes",
    "deliveries expected",
    "delivered",
    "duplicated",
    "lost",
    "repeats",
    "recovery",
  ];
  const lines = rows.map((r) => [
    r.fault,
    String(r.pushes),
    String(r.expected),
    String(r.delivered),
    String(r.duplicated),
    String(r.lost),
    String(r.repeats),
    r.recovery,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const format = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    format(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...lines.map(format),
  ].join("\n");
}
