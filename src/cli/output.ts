import type { FeedJson } from "./api-client.ts";

interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Where a command writes: results on stdout, warnings, errors and progress on stderr. */
export class Output {
  constructor(
    readonly stdout: Stream = process.stdout,
    readonly stderr: Stream = process.stderr,
  ) {}

  line(text = ""): void {
    this.stdout.write(`${text}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`warning: ${text}\n`);
  }

  error(message: string, details: readonly string[] = []): void {
    this.stderr.write(`error: ${message}\n${details.map((d) => `  ${d}\n`).join("")}`);
  }

  /** A bar redrawn in place on a terminal; a line per tenth of the way otherwise (logs, CI). */
  progress(label: string, total: number): Progress {
    return this.stderr.isTTY
      ? new BarProgress(this.stderr, label, total)
      : new LineProgress(this.stderr, label, total);
  }
}

export interface Progress {
  update(done: number, note: string): void;
  finish(): void;
}

class BarProgress implements Progress {
  private lastDraw = 0;
  private done = 0;
  private note = "";

  constructor(
    private readonly stream: Stream,
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, note: string): void {
    this.done = done;
    this.note = note;
    const now = Date.now();
    if (done < this.total && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    this.draw();
  }

  finish(): void {
    this.draw();
    this.stream.write("\n");
  }

  private draw(): void {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const count = `${this.done}/${this.total}`;
    const columns = this.stream.columns || 80; // 0 on a pty with no size set
    // The bar takes what the label, count and note leave of the line (10 to 30 cells).
    const room = columns - 1 - `${this.label}   ${count} ${this.note}`.length;
    const width = Math.max(10, Math.min(30, room));
    const filled = Math.round(fraction * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    const text = `${this.label} ${bar} ${count} ${this.note}`;
    this.stream.write(`\r${text.slice(0, columns - 1)}\x1b[K`);
  }
}

class LineProgress implements Progress {
  private reported = 0;

  constructor(
    private readonly stream: Stream,
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, note: string): void {
    const step = Math.max(1, Math.ceil(this.total / 10));
    if (done === this.total || done - this.reported >= step) {
      this.reported = done;
      this.stream.write(`${this.label} ${done}/${this.total} ${note}\n`);
    }
  }

  finish(): void {}
}

/** The lines that tell an editor where a feed is published. */
export function feedLines(feed: FeedJson): string[] {
  const closed = feed.status === "closed" ? " (closed)" : "";
  return [
    `feed ${feed.slug}${closed}: ${feed.title}`,
    `  fediverse  ${feed.handle}`,
    `  page       ${feed.urls.page}`,
    `  rss        ${feed.urls.rss}`,
    `  atom       ${feed.urls.atom}`,
    `  json       ${feed.urls.json}`,
  ];
}

/** Left-aligned columns for listings. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
