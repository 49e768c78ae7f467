/**
 * Runs wrk and reads its results. A Lua `done()` hook prints the exact summary (requests, bytes,
 * errors, latency percentiles in microseconds) as one JSON line, so nothing is scraped from the
 * human-readable report (which is kept as `raw` for the JSON results).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "../../harness/children.ts";
import { envNumber } from "../../harness/scenario.ts";

export interface WrkSettings {
  readonly threads: number;
  readonly connections: number;
  /** Seconds per measured run. */
  readonly durationSeconds: number;
  /** Measured runs per target, interleaved with the other targets'. */
  readonly rounds: number;
  readonly warmupSeconds: number;
  readonly timeoutSeconds: number;
}

export type WrkResult = ReturnType<typeof parseWrkOutput>;

/** The wrk load every serving measurement uses (BENCH_THREADS, _CONNECTIONS, _DURATION, _ROUNDS). */
export function wrkSettingsFromEnv(quick: boolean): WrkSettings {
  return {
    // Two client threads: the client must never be the bottleneck (issue 16's finding).
    threads: envNumber("BENCH_THREADS", 2),
    connections: envNumber("BENCH_CONNECTIONS", 64),
    durationSeconds: envNumber("BENCH_DURATION", quick ? 2 : 4),
    rounds: envNumber("BENCH_ROUNDS", quick ? 1 : 3),
    warmupSeconds: quick ? 1 : 2,
    timeoutSeconds: 5,
  };
}

const MARKER = "WRK_JSON ";

const REPORT_LUA = `-- Written by bench/scenarios/serving/wrk.ts: prints the summary as one JSON line.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${MARKER}{"requests":%d,"bytes":%d,"duration_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\\n',
    summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
`;

/** Writes the Lua hook into `dir` and returns its path. */
export async function writeWrkScript(dir: string): Promise<string> {
  const file = path.join(dir, "report.lua");
  await writeFile(file, REPORT_LUA);
  return file;
}

/** wrk's options for `settings` (and a run of `durationSeconds`). */
export function wrkArgs(
  settings: WrkSettings,
  durationSeconds = settings.durationSeconds,
): string[] {
  const { threads, connections, timeoutSeconds } = settings;
  return [
    `-t${threads}`,
    `-c${connections}`,
    `-d${durationSeconds}s`,
    "--timeout",
    `${timeoutSeconds}s`,
    "--latency",
  ];
}

export async function runWrk(options: {
  wrk: string;
  script: string;
  url: string;
  header: string | undefined;
  settings: WrkSettings;
  durationSeconds?: number;
}): Promise<WrkResult> {
  const duration = options.durationSeconds ?? options.settings.durationSeconds;
  const header = options.header ? ["-H", options.header] : [];
  const args = [
    ...wrkArgs(options.settings, duration),
    "-s",
    options.script,
    ...header,
    options.url,
  ];
  return parseWrkOutput(await runCommand(options.wrk, args, { timeoutMs: (duration + 30) * 1000 }));
}

function parseWrkOutput(raw: string) {
  const line = raw.split("\n").find((l) => l.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no summary:\n${raw}`);
  const data = JSON.parse(line.slice(MARKER.length)) as {
    requests: number;
    bytes: number;
    duration_us: number;
    errors: Record<"connect" | "read" | "write" | "status" | "timeout", number>;
    latency_us: Record<"mean" | "p50" | "p90" | "p99" | "p999" | "max", number>;
  };
  const durationSeconds = data.duration_us / 1e6;
  return {
    requests: data.requests,
    bytes: data.bytes,
    durationSeconds,
    requestsPerSecond: data.requests / durationSeconds,
    bytesPerResponse: data.requests > 0 ? data.bytes / data.requests : 0,
    /** connect/read/write/timeout errors, and `status`: responses with a status >= 400. */
    errors: data.errors,
    latencyMs: Object.fromEntries(
      Object.entries(data.latency_us).map(([k, us]) => [k, us / 1000]),
    ) as Record<keyof typeof data.latency_us, number>,
    raw: raw.replace(/^WRK_JSON .*\n?/m, ""),
  };
}
