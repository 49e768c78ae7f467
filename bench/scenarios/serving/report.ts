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

/** The busiest other processes over all rounds (the most each used in one round). */
function otherProcesses(serving: readonly ServingResult[]): string {
  const most = new Map<string, number>();
  for (const entry of serving.flatMap((s) => s.rounds.flatMap((r) => r.cpu.topOther.split(", ")))) {
    const [name, cores] = [
      entry.slice(0, entry.lastIndexOf(" ")),
      Number(entry.slice(entry.lastIndexOf(" ") + 1)),
    ];
    if (entry) most.set(name, Math.max(most.get(name) ?? 0, cores));
  }
  const top = [...most].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return (
    top.map(([name, cores]) => `${name} (up to ${cores.toFixed(2)} cores)`).join(", ") ||
    "none above 0.02 cores"
  );
}

export function formatServingReport(results: ServingResults, goals: readonly Goal[]): string {
  const { environment: env, settings, serving, render } = results;
  const maxOf = (pick: (round: ServingResult["rounds"][number]) => number) =>
    Math.max(0, ...serving.flatMap((result) => result.rounds.map(pick))).toFixed(2);
  const vsNginx = (r: ServingResult) => {
    const nginx = serving.find(
      (other) => other.target.server === "nginx" && other.target.coding === r.target.coding,
    );
    return nginx ? ratio(pairedRatio(r, nginx, settings.otherLoadLimit).ratio) : "";
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
  const memoryRows = results.runs.flatMap((run) =>
    (
      [
        ["Tidings after start-up (healthz 200)", run.memory.afterStart],
        [`Tidings after seeding ${settings.seedArticles} + first GETs`, run.memory.afterSeed],
        ["Tidings after wrk load", run.memory.afterServing],
        ["Tidings after all pushes (final)", run.memory.final],
      ] as const
    ).map(([name, m]) => [
      name,
      run.database,
      mib(m?.rssMiB ?? Number.NaN),
      mib(m?.peakMiB ?? Number.NaN),
    ]),
  );
  const out = [
    `Serving (${results.durationSeconds.toFixed(0)} s): PostgreSQL ${env.postgres}; nginx ${env.nginx}; wrk ${env.wrk}`,
    `  feed: ${settings.seedArticles} full-content articles (17 paragraphs each) in "world"; /feeds/world.rss is ` +
      `${kib(results.feed.identity)} plain, ${kib(results.feed.gzip)} gzip, ${kib(results.feed.brotli)} brotli`,
    "",
    "1. Warm feed serving: GET /feeds/world.rss",
    `  load: ${settings.wrkCommand} (after a ${settings.wrk.warmupSeconds}s warm-up run per target)`,
    `  nginx: ${settings.nginx} (one worker, as Node serves from one event loop)`,
    ...Object.entries(results.settling).map(
      ([name, r]) =>
        `  settle: ${name}, busy for ${(r.waitedMs / 1000).toFixed(0)} s (${r.cpuSeconds.toFixed(1)} CPU-s of background ` +
        `work) ${r.settled ? "before going idle" : "and loaded still busy"}; last 1 s: ${r.idleCores.toFixed(2)} cores`,
    ),
    "",
    tableOf(serving, [
      ["target", (r) => r.target.label],
      ["coding", (r) => r.target.coding],
      ["req/s", (r) => int(r.requestsPerSecond)],
      ["min-max req/s", (r) => `${int(r.minRequestsPerSecond)}-${int(r.maxRequestsPerSecond)}`],
      ["vs nginx", vsNginx],
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
    `  other processes seen during the rounds: ${otherProcesses(serving)}`,
    `  across all rounds: steal (CPU withheld by the hypervisor) at most ${maxOf((r) => r.cpu.steal)} cores; ` +
      `interrupt/softirq time (the loopback network stack) up to ${maxOf((r) => r.cpu.irq)} cores.`,
    "",
    `2. Re-render, in-process, ${render.items}-item feed (${render.render.n} iterations after warm-up; ` +
      `p99 is nearest-rank, so over ${render.render.n} samples it is the max)`,
    tableOf(
      [
        ["renderFeedDocuments (RSS + Atom + JSON)", render.render],
        ["encodeDocument, RSS only (+ gzip, brotli, sha256)", render.encodeRss],
        ["full rebuild (render + 3 encodes concurrently)", render.rebuild],
      ] as const,
      [
        ["step", ([name]) => name],
        ["median", ([, s]) => ms(s.p50)],
        ["p99", ([, s]) => ms(s.p99)],
        ["min", ([, s]) => ms(s.min)],
        ["max", ([, s]) => ms(s.max)],
      ],
    ),
    "",
    `  document sizes: ${Object.entries(render.sizes)
      .map(
        ([format, s]) => `${format} ${kib(s.identity)} / ${kib(s.gzip)} gz / ${kib(s.brotli)} br`,
      )
      .join("; ")}`,
    "",
    "3-5. Push, push-to-visible and memory",
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
    table([
      ["process", "database", "VmRSS", "VmHWM (peak)"],
      ...memoryRows,
      ...Object.entries(results.baselineMemory).map(([name, m]) => [
        `baseline ${name}, after wrk load`,
        "-",
        mib(m.rssMiB),
        mib(m.peakMiB),
      ]),
    ]),
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
  const goals = [
    serving("serving plain: Tidings(PostgreSQL)/nginx req/s", 0.6, results.ratios.plain),
    serving("serving gzip: Tidings(PostgreSQL)/nginx gzip_static req/s", 0.5, results.ratios.gzip),
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
  const final = results.runs.find((run) => run.database === "postgres")?.memory.final;
  if (final) {
    const measured = `${mib(final.peakMiB)} (VmRSS ${mib(final.rssMiB)})`;
    goals.push({
      name: "server memory, peak VmHWM (postgres)",
      goal: "<= 256 MiB",
      measured,
      pass: final.peakMiB <= 256,
    });
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
