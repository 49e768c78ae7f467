/** The serving scenario's goals and its section of the report (bench/README.md explains it). */
import {
  fixed,
  formatGoals,
  type Goal,
  int,
  kib,
  mib,
  ms,
  ratio,
  type Summary,
  table,
  tableOf,
} from "../../harness/report.ts";
import type { ServingResults } from "../serving.ts";
import { type PairedRatio, pairedRatio, type ServingResult } from "./measure.ts";

export function formatServingReport(results: ServingResults, goals: readonly Goal[]): string {
  const { environment: env, settings, serving } = results;
  /** This target's req/s over `server`'s (same coding), paired by round. */
  const versus = (server: string) => (r: ServingResult) => {
    const base = serving.find(
      (other) => other.target.server === server && other.target.coding === r.target.coding,
    );
    return base ? ratio(pairedRatio(r, base, settings.otherLoadLimit).ratio) : "";
  };
  const failures = (r: ServingResult) =>
    r.rounds
      .filter((round) => !round.verified)
      .map(
        (round) =>
          `${JSON.stringify(round.wrk.errors)}, delta ${int(round.bytesPerResponseDelta)} B`,
      );
  const summaryRows = (rows: readonly (readonly [string, string, Summary])[]) =>
    rows.map(([name, database, s]) => [
      name,
      database,
      String(s.n),
      ms(s.p50),
      ms(s.p99),
      ms(s.max),
    ]);
  const out = [
    `Serving (${results.durationSeconds.toFixed(0)} s): PostgreSQL ${env.postgres}; nginx ${env.nginx}; wrk ${env.wrk}`,
    `  feed: ${settings.seedArticles} full-content articles (17 paragraphs each) in "world"; /feeds/world.rss is ` +
      `${kib(results.feed.identity)} plain, ${kib(results.feed.gzip)} gzip, ${kib(results.feed.brotli)} brotli`,
    "",
    "1. Warm feed serving: GET /feeds/world.rss",
    `  load: ${settings.wrkCommand} (after a ${settings.wrk.warmupSeconds}s warm-up run per target)`,
    `  nginx: ${settings.nginx} (one worker, as Node serves from one event loop)`,
    "",
    tableOf(serving, [
      ["target", (r) => r.target.label],
      ["coding", (r) => r.target.coding],
      ["req/s", (r) => int(r.requestsPerSecond)],
      ["min-max req/s", (r) => `${int(r.minRequestsPerSecond)}-${int(r.maxRequestsPerSecond)}`],
      ["vs nginx", versus("nginx")],
      ["vs bare node", versus("node")],
      ["p50", (r) => ms(r.latencyMs.p50)],
      ["p99", (r) => ms(r.latencyMs.p99)],
      ["CPU/req", (r) => `${fixed(r.cpuUsPerRequest)} us`],
      ["resp bytes", (r) => int(r.bytesPerResponse)],
      ["clean", (r) => `${r.cleanRounds}/${r.rounds.length}`],
      ["other load", (r) => `${r.maxOtherLoad.toFixed(2)} cores`],
      [
        "check",
        (r) =>
          r.verified ? `ok: 200, ${int(r.bodyBytes)} B body` : `FAILED: ${failures(r).join("; ")}`,
      ],
    ]),
    "",
    `  medians over ${settings.wrk.rounds} interleaved round(s) of ${settings.wrk.durationSeconds}s per target, of the ` +
      `clean rounds (other load <= ${settings.otherLoadLimit} cores) when there are any; CPU/req from /proc.`,
    `  extra environment for Tidings: ${settings.tidingsEnv || "none (BENCH_TIDINGS_ENV='K=V ...' adds some)"}`,
    "",
    "2-3. Push, push-to-visible and peak memory",
    table([
      ["measure", "database", "n", "median", "p99", "max"],
      ...results.runs.flatMap((run) =>
        summaryRows([
          ["POST /admin/articles latency", run.database, run.push],
          ["push -> visible in world.rss", run.database, run.visibility.rss],
          ["push -> visible in world.json", run.database, run.visibility.json],
        ]),
      ),
    ]),
    "",
    ...results.runs.map(
      (run) =>
        `  ${run.database}: other load before the pushes ${run.otherLoadBefore.toFixed(2)} cores; median ` +
        `${run.visibility.pollsMedian} GETs per push until visible (both formats); ${run.visibility.timedOut} polls timed out`,
    ),
    ...results.runs.map(
      (run) =>
        `  ${run.database}: after all pushes VmRSS ${mib(run.memory.rssMiB)}, peak (VmHWM) ${mib(run.memory.peakMiB)}; ` +
        `start to serving ${fixed(run.startMs)} ms` +
        (run.firstStart
          ? ` on the existing data directory (the first start, which creates it: ${fixed(run.firstStart.ms)} ms, peak ${mib(run.firstStart.peakMiB)})`
          : ""),
    ),
    "",
  ];
  out.push("Goals", formatGoals(goals));
  return out.join("\n");
}

const describeRatio = ({ ratio: value, cleanPairs, pairs }: PairedRatio) =>
  `${ratio(value)} (median of ${cleanPairs > 0 ? `${cleanPairs} clean` : `${pairs} (none clean)`} paired rounds)`;

export function servingGoals(results: ServingResults): Goal[] {
  const serving = (name: string, goal: number, paired: PairedRatio): Goal => ({
    name,
    goal: `>= ${goal.toFixed(2)}x`,
    measured: describeRatio(paired),
    pass: paired.ratio >= goal,
    reliable: paired.cleanPairs > 0,
  });
  /** Next to a ratio, what each side's CPU paid per request: the server's own cost. */
  const withCpu = (goal: Goal, cpu: { tidings?: number; other?: number }, other: string): Goal => ({
    ...goal,
    measured: `${goal.measured}; CPU/req ${fixed(cpu.tidings ?? Number.NaN)} us vs ${other} ${fixed(cpu.other ?? Number.NaN)} us`,
  });
  const goals = [
    serving("serving plain: Tidings(PostgreSQL)/nginx req/s", 0.6, results.ratios.plain),
    serving("serving gzip: Tidings(PostgreSQL)/nginx gzip_static req/s", 0.5, results.ratios.gzip),
    withCpu(
      serving(
        "serving plain: Tidings(PostgreSQL)/bare node:http req/s",
        0.9,
        results.overNode.plain,
      ),
      results.overNode.plain.cpuUsPerRequest,
      "bare",
    ),
    withCpu(
      serving("serving gzip: Tidings(PostgreSQL)/bare node:http req/s", 0.9, results.overNode.gzip),
      results.overNode.gzip.cpuUsPerRequest,
      "bare",
    ),
  ];
  for (const run of results.runs) {
    for (const [format, s] of [
      ["RSS", run.visibility.rss],
      ["JSON Feed", run.visibility.json],
    ] as const) {
      const measured = `${ms(s.p50)} (p99 ${ms(s.p99)})`;
      const pass = s.p50 <= 100 && run.visibility.timedOut === 0;
      goals.push({
        name: `push -> visible in ${format}, median (${run.database})`,
        goal: "<= 100 ms",
        measured,
        pass,
      });
    }
  }
  const final = results.runs.find((run) => run.database === "postgres")?.memory;
  if (final) {
    const measured = `${mib(final.peakMiB)} (VmRSS ${mib(final.rssMiB)})`;
    goals.push({
      name: "server memory, peak VmHWM (postgres)",
      goal: "<= 256 MiB",
      measured,
      pass: final.peakMiB <= 256,
    });
  }
  const embedded = results.runs.find((run) => run.database === "pglite");
  if (embedded) {
    goals.push(
      {
        name: "server memory, peak VmHWM (pglite, existing data directory)",
        goal: "<= 300 MiB",
        measured: `${mib(embedded.memory.peakMiB)} (VmRSS ${mib(embedded.memory.rssMiB)})`,
        pass: embedded.memory.peakMiB <= 300,
      },
      {
        name: "start-up on an existing data directory (pglite)",
        goal: "<= 3000 ms",
        measured: `${fixed(embedded.startMs)} ms`,
        pass: embedded.startMs <= 3000,
      },
    );
  }
  const verified = results.serving.filter((s) => s.verified).length;
  const all = `${verified}/${results.serving.length}`;
  goals.push({
    name: "every load run verified (200, right size, no errors)",
    goal: "all",
    measured: all,
    pass: verified === results.serving.length,
  });
  return goals;
}
