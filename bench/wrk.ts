/**
 * Runs wrk and reads its results. A Lua `done()` hook prints the exact summary (requests, bytes,
 * errors, latency percentiles in microseconds) as one JSON line, so nothing is scraped from the
 * human-readable report (which is kept as `raw` for the JSON results).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "./proc.ts";

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

export interface WrkResult {
  readonly requests: number;
  readonly bytes: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly bytesPerResponse: number;
  readonly errors: {
    readonly connect: number;
    readonly read: number;
    readonly write: number;
    /** Responses with status >= 400 (wrk's own definition). */
    readonly status: number;
    readonly timeout: number;
  };
  /** Latency in milliseconds. */
  readonly latencyMs: {
    readonly mean: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
  };
  readonly raw: string;
}

const MARKER = "WRK_JSON ";

const REPORT_LUA = `-- Written by bench/wrk.ts: prints the summary as one JSON line.
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

export function wrkCommandLine(settings: WrkSettings, header: string | undefined): string {
  const h = header ? ` -H '${header}'` : "";
  return `wrk -t${settings.threads} -c${settings.connections} -d${settings.durationSeconds}s --timeout ${settings.timeoutSeconds}s --latency${h}`;
}

export async function runWrk(options: {
  wrk: string;
  script: string;
  url: string;
  header?: string | undefined;
  settings: WrkSettings;
  durationSeconds?: number;
  /** `taskset` path and CPU list to pin wrk to, if pinning. */
  pin?: { taskset: string; cpus: string } | undefined;
}): Promise<WrkResult> {
  const { settings } = options;
  const duration = options.durationSeconds ?? settings.durationSeconds;
  const args = [
    `-t${settings.threads}`,
    `-c${settings.connections}`,
    `-d${duration}s`,
    "--timeout",
    `${settings.timeoutSeconds}s`,
    "--latency",
    "-s",
    options.script,
    ...(options.header ? ["-H", options.header] : []),
    options.url,
  ];
  const [command, commandArgs] = options.pin
    ? [options.pin.taskset, ["-c", options.pin.cpus, options.wrk, ...args]]
    : [options.wrk, args];
  const raw = await runCommand(command, commandArgs, { timeoutMs: (duration + 30) * 1000 });
  return parseWrkOutput(raw);
}

export function parseWrkOutput(raw: string): WrkResult {
  const line = raw.split("\n").find((l) => l.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no summary:\n${raw}`);
  const data = JSON.parse(line.slice(MARKER.length)) as {
    requests: number;
    bytes: number;
    duration_us: number;
    errors: WrkResult["errors"];
    latency_us: Record<"mean" | "p50" | "p90" | "p99" | "p999" | "max", number>;
  };
  const durationSeconds = data.duration_us / 1e6;
  const ms = (us: number) => us / 1000;
  return {
    requests: data.requests,
    bytes: data.bytes,
    durationSeconds,
    requestsPerSecond: data.requests / durationSeconds,
    bytesPerResponse: data.requests > 0 ? data.bytes / data.requests : 0,
    errors: data.errors,
    latencyMs: {
      mean: ms(data.latency_us.mean),
      p50: ms(data.latency_us.p50),
      p90: ms(data.latency_us.p90),
      p99: ms(data.latency_us.p99),
      p999: ms(data.latency_us.p999),
      max: ms(data.latency_us.max),
    },
    raw: raw
      .split("\n")
      .filter((l) => !l.startsWith(MARKER))
      .join("\n"),
  };
}
