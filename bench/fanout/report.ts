/** The printed report of the fan-out benchmark. */
import { median as medianOf } from "../stats.ts";
import type { RawRun, Results, TidingsRun } from "./types.ts";

const GOAL_RATIO = 0.5;
const GOAL_PUBLISH_MS = 100;
const GOAL_PEAK_RSS_MIB = 300;

/** Warm figures are medians: one slow push (a GC, a cold connection) does not move them. */
const median = (values: readonly number[]) => (values.length === 0 ? Number.NaN : medianOf(values));

/** Warm pushes of one variant × concurrency × inbox delay, their medians. */
export interface Aggregate {
  readonly variant: string;
  readonly concurrency: number;
  readonly delayMs: number;
  readonly runs: number;
  readonly allHostsMs: number;
  readonly firstDeliveryMs: number;
  readonly deliveriesPerSec: number;
  readonly rawPerSec: number;
  readonly rawElapsedMs: number;
  readonly rawCpuMsPerDelivery: number;
  readonly ratio: number;
  readonly serverCpuMsPerDelivery: number;
  readonly postgresCpuMsPerDelivery: number;
  readonly sqlPerDelivery: number;
  readonly serverCores: number;
  readonly machineBusyCores: number;
  readonly otherCores: number;
  readonly publishMaxMs: number;
  readonly peakRssMiB: number;
}

function rawWarm(raw: readonly RawRun[], concurrency: number, delayMs: number): RawRun[] {
  return raw.filter(
    (r) => r.concurrency === concurrency && r.delayMs === delayMs && r.temperature === "warm",
  );
}

export function aggregate(
  tidings: readonly TidingsRun[],
  raw: readonly RawRun[],
  variant: string,
  concurrency: number,
  delayMs: number,
): Aggregate | undefined {
  const runs = tidings.filter(
    (r) =>
      r.variant === variant &&
      r.concurrency === concurrency &&
      r.delayMs === delayMs &&
      r.temperature === "warm",
  );
  if (runs.length === 0) return undefined;
  const raws = rawWarm(raw, concurrency, delayMs);
  const rawPerSec = median(raws.map((r) => r.deliveriesPerSec));
  const deliveriesPerSec = median(runs.map((r) => r.deliveriesPerSec));
  return {
    variant,
    concurrency,
    delayMs,
    runs: runs.length,
    allHostsMs: median(runs.map((r) => r.allHostsMs)),
    firstDeliveryMs: median(runs.map((r) => r.firstDeliveryMs)),
    deliveriesPerSec,
    rawPerSec,
    rawElapsedMs: median(raws.map((r) => r.elapsedMs)),
    rawCpuMsPerDelivery: median(raws.map((r) => r.senderCpuMsPerDelivery)),
    ratio: deliveriesPerSec / rawPerSec,
    serverCpuMsPerDelivery: median(runs.map((r) => r.serverCpuMsPerDelivery)),
    postgresCpuMsPerDelivery: median(runs.map((r) => r.postgresCpuMsPerDelivery)),
    sqlPerDelivery: median(runs.map((r) => r.sqlPerDelivery)),
    serverCores: median(runs.map((r) => r.serverCores)),
    machineBusyCores: median(runs.map((r) => r.machineBusyCores)),
    otherCores: median([...runs.map((r) => r.otherCores), ...raws.map((r) => r.otherCores)]),
    publishMaxMs: Math.max(...runs.map((r) => r.publishMs)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
}

function aggregates(results: Results): Aggregate[] {
  const keys = new Set(
    results.tidings.map((r) => JSON.stringify([r.variant, r.concurrency, r.delayMs])),
  );
  return [...keys]
    .map((key) => JSON.parse(key) as [string, number, number])
    .map(([v, c, d]) => aggregate(results.tidings, results.raw, v, c, d))
    .filter((a): a is Aggregate => a !== undefined);
}

/** The concurrency whose warm pushes came closest to the raw limit. */
export function bestConcurrency(
  tidings: readonly TidingsRun[],
  raw: readonly RawRun[],
  variant: string,
  delayMs: number,
): number | undefined {
  const concurrencies = [...new Set(tidings.map((r) => r.concurrency))];
  return concurrencies
    .map((c) => aggregate(tidings, raw, variant, c, delayMs))
    .filter((a): a is Aggregate => a !== undefined && Number.isFinite(a.ratio))
    .sort((a, b) => b.ratio - a.ratio)[0]?.concurrency;
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "-");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "-");
const inboxes = (ms: number) => (ms === 0 ? "instant" : `${ms} ms`);

export function printReport(results: Results): void {
  const out: string[] = [];
  const s = results.settings;
  const baseline = results.tidings.filter((r) => r.variant === "baseline");
  const all = aggregates(results);
  out.push(
    "",
    `Fan-out: one story to ${s.hosts * s.actorsPerHost} followers on ${s.hosts} loopback hosts ` +
      `(${s.actorsPerHost} actors each, shared inboxes) = ${s.hosts} deliveries per push.`,
    `${s.cpus} CPUs (${s.cpuModel}), not pinned: Tidings, PostgreSQL ${results.postgres}, the peer ` +
      "farm and the raw sender are separate processes that the kernel schedules on both cores.",
    `Tidings runs as \`npm start\` does (node --max-old-space-size as in package.json --import tsx src/entries/node/server.ts, MALLOC_ARENA_MAX=` +
      `${s.mallocArenaMax || "unset"}), LOG_LEVEL=warn, on PostgreSQL; DELIVERY_CONCURRENCY = c.`,
    `Raw limit: node:crypto draft-cavage RSA-2048 + SHA-256 digest, keep-alive node:http, a ` +
      `${results.rawBodyBytes}-byte body (a Create Tidings sent), same concurrency as the server.`,
    `Warm figures are medians of ${s.warmRepeats} pushes (experiments: ${s.experimentRepeats}) and ` +
      `of as many raw runs. "others": cores busy with processes outside this benchmark during the ` +
      `runs (the machine is shared); "kthreads": kernel threads (ksoftirqd: loopback networking).`,
  );

  out.push("", "Goals (warm; DELIVERY_CONCURRENCY with the best ratio per inbox kind):");
  const goalRows: string[][] = [];
  for (const delayMs of s.delaysMs) {
    const c = bestConcurrency(results.tidings, results.raw, "baseline", delayMs);
    const a =
      c === undefined ? undefined : aggregate(results.tidings, results.raw, "baseline", c, delayMs);
    if (!a) continue;
    goalRows.push([
      `${inboxes(delayMs)} inboxes: deliveries/s >= ${GOAL_RATIO.toFixed(2)}x raw`,
      `${f2(a.ratio)}x (${f0(a.deliveriesPerSec)}/s vs raw ${f0(a.rawPerSec)}/s, c=${a.concurrency})`,
      a.ratio >= GOAL_RATIO ? "PASS" : "MISS",
    ]);
    goalRows.push([
      `  time until every inbox has it`,
      `${f0(a.allHostsMs)} ms (raw loop ${f0(a.rawElapsedMs)} ms)`,
      "",
    ]);
    goalRows.push([
      `  CPU ms per delivery`,
      `Tidings ${f2(a.serverCpuMsPerDelivery)} + PostgreSQL ${f2(a.postgresCpuMsPerDelivery)} ` +
        `(raw ${f2(a.rawCpuMsPerDelivery)})`,
      "",
    ]);
    goalRows.push([`  peak RSS`, `${f0(a.peakRssMiB)} MiB`, ""]);
    const fastest = s.concurrencies
      .map((c) => aggregate(results.tidings, results.raw, "baseline", c, delayMs))
      .filter((x): x is Aggregate => x !== undefined)
      .sort((x, y) => y.deliveriesPerSec - x.deliveriesPerSec)[0];
    if (fastest && fastest.concurrency !== a.concurrency) {
      goalRows.push([
        `  fastest concurrency instead`,
        `c=${fastest.concurrency}: ${f0(fastest.deliveriesPerSec)}/s, ${f0(fastest.allHostsMs)} ms, ` +
          `${f2(fastest.ratio)}x raw ${f0(fastest.rawPerSec)}/s`,
        "",
      ]);
    }
  }
  const publishWarm = Math.max(
    ...baseline.filter((r) => r.temperature === "warm").map((r) => r.publishMs),
  );
  const publishCold = Math.max(
    ...baseline.filter((r) => r.temperature === "cold").map((r) => r.publishMs),
  );
  goalRows.push([
    `publish call <= ${GOAL_PUBLISH_MS} ms (${s.hosts * s.actorsPerHost} recipients)`,
    `max ${f0(publishWarm)} ms warm, ${f0(publishCold)} ms cold`,
    Math.max(publishWarm, publishCold) <= GOAL_PUBLISH_MS ? "PASS" : "MISS",
  ]);
  const peak = Math.max(...baseline.map((r) => r.peakRssMiB));
  goalRows.push([
    `peak RSS <= ${GOAL_PEAK_RSS_MIB} MiB`,
    `max VmHWM ${f0(peak)} MiB (any baseline server)`,
    peak <= GOAL_PEAK_RSS_MIB ? "PASS" : "MISS",
  ]);
  out.push(table(["goal", "measured", "result"], goalRows));

  out.push("", "Warm pushes by variant, concurrency and inboxes (medians):");
  out.push(
    table(
      [
        "variant",
        "c",
        "inboxes",
        "n",
        "publish max ms",
        "first ms",
        "all hosts ms",
        "deliv/s",
        "raw/s",
        "ratio",
        "CPU ms/d",
        "pg ms/d",
        "SQL/d",
        "srv cores",
        "machine",
        "others",
        "peak RSS",
      ],
      all.map((a) => [
        a.variant,
        String(a.concurrency),
        inboxes(a.delayMs),
        String(a.runs),
        f0(a.publishMaxMs),
        f0(a.firstDeliveryMs),
        f0(a.allHostsMs),
        f0(a.deliveriesPerSec),
        f0(a.rawPerSec),
        f2(a.ratio),
        f2(a.serverCpuMsPerDelivery),
        f2(a.postgresCpuMsPerDelivery),
        f1(a.sqlPerDelivery),
        f2(a.serverCores),
        f2(a.machineBusyCores),
        f2(a.otherCores),
        f0(a.peakRssMiB),
      ]),
    ),
  );

  out.push("", "Every push:");
  out.push(
    table(
      [
        "variant",
        "c",
        "inboxes",
        "run",
        "publish ms",
        "first ms",
        "all hosts ms",
        "deliv/s",
        "CPU ms/d",
        "pg ms/d",
        "farm ms/d",
        "SQL/d",
        "key fetches",
        "others",
        "kthreads",
        "heap",
        "RSS",
        "peak RSS",
      ],
      results.tidings.map((r) => [
        r.variant,
        String(r.concurrency),
        inboxes(r.delayMs),
        r.temperature,
        f1(r.publishMs),
        f0(r.firstDeliveryMs),
        f0(r.allHostsMs),
        f0(r.deliveriesPerSec),
        f2(r.serverCpuMsPerDelivery),
        f2(r.postgresCpuMsPerDelivery),
        f2(r.farmCpuMsPerDelivery),
        f1(r.sqlPerDelivery),
        String(r.keyFetches),
        f2(r.otherCores),
        f2(r.kernelCores),
        f0(r.heapTotalMiB),
        f0(r.rssMiB),
        f0(r.peakRssMiB),
      ]),
    ),
  );

  out.push("", "Raw loop:");
  out.push(
    table(
      [
        "c",
        "inboxes",
        "run",
        "ok",
        "elapsed ms",
        "deliv/s",
        "CPU ms/d",
        "farm ms/d",
        "machine",
        "others",
        "kthreads",
      ],
      results.raw.map((r) => [
        String(r.concurrency),
        inboxes(r.delayMs),
        r.temperature,
        `${r.ok}/${r.sent}`,
        f0(r.elapsedMs),
        f0(r.deliveriesPerSec),
        f2(r.senderCpuMsPerDelivery),
        f2(r.farmCpuMsPerDelivery),
        f2(r.machineBusyCores),
        f2(r.otherCores),
        f2(r.kernelCores),
      ]),
    ),
  );

  out.push(
    "",
    "Server memory (MiB; heap figures after a forced full GC at the end, the queue empty):",
  );
  out.push(
    table(
      ["variant", "c", "idle RSS", "end RSS", "peak RSS", "heap live", "heap total", "external"],
      results.serverMemory.map((m) => [
        m.variant,
        String(m.concurrency),
        f0(m.idleRssMiB),
        f0(m.rssMiB),
        f0(m.peakRssMiB),
        f0(m.heapUsedMiB),
        f0(m.heapTotalMiB),
        f0(m.externalMiB),
      ]),
    ),
  );

  const sqlRun = baseline.find((r) => r.temperature === "warm");
  if (sqlRun) {
    out.push(
      "",
      `SQL statements per delivery (baseline, c=${sqlRun.concurrency}, ${inboxes(sqlRun.delayMs)}, warm):`,
    );
    out.push(
      table(
        ["statement", "per delivery"],
        Object.entries(sqlRun.sqlByKind)
          .filter(([, n]) => n >= 0.01)
          .sort((a, b) => b[1] - a[1])
          .map(([kind, n]) => [kind, f2(n)]),
      ),
    );
  }

  for (const { phase, summary } of results.profiles) {
    out.push(
      "",
      `CPU profile of ${phase} (main thread ${f0(summary.busyMs)} ms busy in ${f0(summary.windowMs)} ms):`,
    );
    const rows = (entries: typeof summary.byGroup, limit: number) =>
      entries.slice(0, limit).map((e) => [e.name, f0(e.selfMs), `${f1(e.share * 100)}%`]);
    out.push(table(["self time by package", "ms", "share"], rows(summary.byGroup, 10)));
    out.push(table(["self time by function", "ms", "share"], rows(summary.byFunction, 12)));
    out.push(
      table(["inclusive time (self + callees)", "ms", "share"], rows(summary.inclusive, 25)),
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
}
