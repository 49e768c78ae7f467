import { expect } from "vitest";

export interface Scrape {
  /** Sum of the samples named `name` whose labels include `labels` (0 when none). */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
  /** The `# TYPE` of a metric family. */
  type(name: string): string | undefined;
  readonly text: string;
}

/** Reads Prometheus' text exposition format (the subset prom-client writes). */
export function parseScrape(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) types.set(type[1], type[2]);
    if (line === "" || line.startsWith("#")) continue;
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(sample, `a sample line: ${line}`).not.toBeNull();
    if (!sample?.[1] || sample[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const pair of (sample[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (pair[1] !== undefined && pair[2] !== undefined) labels[pair[1]] = pair[2];
    }
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return {
    text,
    type: (name) => types.get(name),
    value: (name, labels = {}) =>
      samples
        .filter(
          (s) =>
            s.name === name &&
            Object.entries(labels).every(([key, want]) => s.labels[key] === want),
        )
        .reduce((sum, s) => sum + s.value, 0),
  };
}
