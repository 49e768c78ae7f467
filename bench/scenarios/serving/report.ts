/** The serving scenario's goals and its printed section. */
import type { CpuUsage } from "../../harness/procfs.ts";
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
  tableOf,
} from "../../harness/report.ts";
import type { ServingResults } from "../serving.ts";
import { type PairedRatio, pairedRatio, type ServingResult } from "./measure.ts";

/** The busiest other processes over all rounds (the most each used in one round). */
function otherProcesses(serving: readonly ServingResult[]): string {
  const most = new Map<string, number>();
  for (const round of serving.flatMap((result) => result.rounds)) {
    for (const entry of round.cpu.topOther.split(", ").filter(Boolean)) {
      const at = entry.lastIndexOf(" ");
      most.set(
        entry.slice(0, at),
        Math.max(most.get(entry.slice(0, at)) ?? 0, Number(entry.slice(at + 1))),
      );
    }
  }
  return [...most]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, cores]) => `${name} (up to ${cores.toFixed(2)} cores)`)
    .join(", ");
}

const maxOf = (serving: readonly ServingResult[], pick: (cpu: CpuUsage) => number) =>
  Math.max(
    0,
    ...serving.flatMap((result) => result.rounds.map((round) => pick(round.cpu))),
  ).toFixed(2);

export function formatServingReport(results: ServingResults, goals: readonly Goal[]): string {
  const { environment: env, settings, serving, render } = results;
  const out = [
    `Serving (${results.durationSeconds.toFixed(0)} s): PostgreSQL ${env.postgres}; nginx ${env.nginx}; wrk ${env.wrk}`,
    `  feed: ${settings.seedArticles} full-content articles (17 paragraphs each) in "world"; ` +
      `/feeds/world.rss is ${kib(results.feed.identity)} plain, ${kib(results.feed.gzip)} gzip, ${kib(results.feed.brotli)} brotli`,
    "",
    "1. Warm feed serving: GET /feeds/world.rss",
    `  load: ${settings.wrkCommand} (after a ${settings.wrk.warmupSeconds}s warm-up run per target)`,
    `  pinning: ${settings.pinning}`,
    `  nginx: ${settings.nginx}`,
    "  nginx worker_processes 1 matches Node's single event loop.",
    ...Object.entries(results.settling).map(
      ([name, r]) =>
        `  settle: ${name}, the server kept busy for ${(r.waitedMs / 1000).toFixed(0)} s (${r.cpuSeconds.toFixed(1)} CPU-s ` +
        `of background work) ${r.settled ? "before going idle" : "and was loaded still busy"}; last 1 s: ${r.idleCores.toFixed(2)} cores`,
    ),
    "",
  ];
  const nginxFor = (result: ServingResult) =>
    serving.find(
      (other) => other.target.server === "nginx" && other.target.coding === result.target.coding,
    );
  const check = (result: ServingResult) =>
    result.verified
      ? `ok: 200, ${int(result.check.bodyBytes)} B body`
      : `FAILED: ${result.rounds
          .filter((round) => !round.verified)
          .map(
            (round) =>
              `${JSON.stringify(round.wrk.errors)}, delta ${int(round.bytesPerResponseDelta)} B`,
          )
          .join("; ")}`;
  out.push(
    tableOf(serving, [
      ["target", (r) => r.target.label],
      ["coding", (r) => r.target.coding],
      ["req/s", (r) => int(r.requestsPerSecond)],
      ["min-max req/s", (r) => `${int(r.minRequestsPerSecond)}-${int(r.maxRequestsPerSecond)}`],
      [
        "vs nginx",
        (r) => {
          const nginx = nginxFor(r);
          return nginx ? ratio(pairedRatio(r, nginx, settings.otherLoadLimit).ratio) : "";
        },
      ],
      ["p50", (r) => ms(r.latencyMs.p50)],
      ["p99", (r) => ms(r.latencyMs.p99)],
      ["CPU/req", (r) => `${fixed(r.cpuUsPerRequest)} us`],
      ["resp bytes", (r) => int(r.bytesPerResponse)],
      ["clean", (r) => `${r.cleanRounds}/${r.rounds.length}`],
      ["other load", (r) => `${r.maxOtherLoad.toFixed(2)} cores`],
      ["check", check],
    ]),
    "",
    `  req/s, p50 and p99 are medians over ${settings.wrk.rounds} interleaved round(s) of ${settings.wrk.durationSeconds}s ` +
      `per target, counting only the clean rounds (other load <= ${settings.otherLoadLimit} cores) when there are any; ` +
      "min-max is the spread of req/s over those.",
    "  CPU/req = the server's CPU time (all threads; nginx master + worker) per request served, from /proc: the cost " +
      "of a request, less sensitive to other load than req/s.",
    "  resp bytes = wrk's bytes read / requests = body + headers. Every target was first checked with one request " +
      "(200, identical bytes, right Content-Encoding), and every round with wrk's counts (no errors, no status >= 400, " +
      "bytes per response = that size).",
    "  other load = the most CPU (in cores) used during a counted round by processes that are not the bench's own " +
      `(nor kernel threads); a round above ${settings.otherLoadLimit} cores was repeated once after waiting for quiet.`,
    `  extra environment for Tidings: ${settings.tidingsEnv || "none (set BENCH_TIDINGS_ENV='K=V ...' to add some)"}`,
    `  other processes seen during the rounds: ${otherProcesses(serving) || "none above 0.02 cores"}`,
    `  across all rounds: steal (CPU withheld by the hypervisor) at most ${maxOf(serving, (c) => c.steal)} cores; ` +
      `interrupt/softirq time (the loopback network stack, charged to no process) up to ${maxOf(serving, (c) => c.irq)} cores.`,
    "",
    `2. Re-render, in-process, ${render.items}-item feed (${render.render.n} iterations after warm-up; ` +
      `p99 is nearest-rank, so over ${render.render.n} samples it is the max)`,
  );
  const steps: [string, Summary][] = [
    ["renderFeedDocuments (RSS + Atom + JSON)", render.render],
    ["encodeDocument, RSS only (+ gzip, brotli, sha256)", render.encodeRss],
    ["full rebuild (render + 3 encodes concurrently)", render.rebuild],
    ["what-if: rebuild with gzip 9 + brotli 5", render.whatIf.brotli5],
    ["what-if: rebuild with gzip 9, brotli later", render.whatIf.noBrotli],
  ];
  out.push(
    tableOf(steps, [
      ["step", ([name]) => name],
      ["median", ([, s]) => ms(s.p50)],
      ["p99", ([, s]) => ms(s.p99)],
      ["min", ([, s]) => ms(s.min)],
      ["max", ([, s]) => ms(s.max)],
    ]),
    "",
    `  document sizes: ${Object.entries(render.sizes)
      .map(
        ([format, s]) => `${format} ${kib(s.identity)} / ${kib(s.gzip)} gz / ${kib(s.brotli)} br`,
      )
      .join("; ")}`,
    "",
    tableOf(render.compression, [
      ["encoding step, one RSS document", (step) => step.step],
      ["median", (step) => ms(step.medianMs)],
      ["output", (step) => kib(step.bytes)],
      ["", (step) => (step.current ? "encodeDocument uses this" : "")],
    ]),
    "",
    "3-5. Push, push-to-visible and memory",
  );
  const measures = results.runs.flatMap((run) =>
    (
      [
        ["POST /admin/articles latency", run.push],
        ["push -> visible in world.rss", run.visibility.rss],
        ["push -> visible in world.json", run.visibility.json],
      ] as const
    ).map(([name, summary]) => ({ name, database: run.database, summary })),
  );
  out.push(
    tableOf(measures, [
      ["measure", (m) => m.name],
      ["database", (m) => m.database],
      ["n", (m) => String(m.summary.n)],
      ["median", (m) => ms(m.summary.p50)],
      ["p99", (m) => ms(m.summary.p99)],
      ["max", (m) => ms(m.summary.max)],
    ]),
    "",
    ...results.runs.map(
      (run) =>
        `  ${run.database}: other load before the pushes ${run.otherLoadBefore.toFixed(2)} cores; median ` +
        `${run.visibility.pollsMedian} GETs per push until visible (both formats)` +
        (run.visibility.timedOut > 0 ? `; ${run.visibility.timedOut} polls timed out` : ""),
    ),
  );
  const memory = [
    ...results.runs.flatMap((run) =>
      (
        [
          ["Tidings after start-up (healthz 200)", run.memory.afterStart],
          [
            `Tidings after seeding ${results.settings.seedArticles} + first GETs`,
            run.memory.afterSeed,
          ],
          ["Tidings after wrk load", run.memory.afterServing],
          ["Tidings after all pushes (final)", run.memory.final],
        ] as const
      ).map(([name, m]) => ({ name, database: run.database, m })),
    ),
    ...Object.entries(results.baselineMemory).map(([name, m]) => ({
      name: `baseline ${name}, after wrk load`,
      database: "-",
      m,
    })),
  ];
  out.push(
    tableOf(memory, [
      ["process", (row) => row.name],
      ["database", (row) => row.database],
      ["VmRSS", (row) => mib(row.m?.rssMiB ?? Number.NaN)],
      ["VmHWM (peak)", (row) => mib(row.m?.peakMiB ?? Number.NaN)],
    ]),
    "",
  );

  const { profile } = results;
  if (profile) {
    const perRequest = (entry: { selfMs: number }) =>
      profile.requests ? ((entry.selfMs * 1000) / profile.requests).toFixed(1) : "";
    const total = profile.requests
      ? `, ${((profile.busyMs * 1000) / profile.requests).toFixed(1)} us of CPU per request`
      : "";
    const window = profile.windowed ? ", wrk runs only" : ", whole process lifetime incl. start-up";
    out.push(
      `Where the time goes: CPU profile of Tidings (PostgreSQL) under wrk, gzip (${(profile.busyMs / 1000).toFixed(1)} s busy ` +
        `of ${(profile.totalMs / 1000).toFixed(1)} s sampled${window}${total})`,
    );
    for (const [title, entries] of [
      ["self time by package", profile.byGroup],
      ["self time by function", profile.byFunction],
    ] as const) {
      out.push(
        tableOf(entries, [
          [title, (entry) => entry.name.slice(0, 90)],
          ["share of busy", (entry) => `${(entry.share * 100).toFixed(1)}%`],
          ["us/request", perRequest],
        ]),
        "",
      );
    }
    out.push(`  profile: ${profile.file}`, "");
  }
  out.push("Goals", formatGoals(goals));
  return out.join("\n");
}

const describeRatio = (paired: PairedRatio) =>
  `${ratio(paired.ratio)} (median of ${paired.cleanPairs > 0 ? `${paired.cleanPairs} clean` : `${paired.pairs} (none clean)`} paired rounds)`;

export function servingGoals(results: ServingResults): Goal[] {
  const { plain, gzip } = results.ratios;
  const goals: Goal[] = [
    {
      name: "serving plain: Tidings(PostgreSQL)/nginx req/s",
      goal: ">= 0.60x",
      measured: describeRatio(plain),
      pass: plain.ratio >= 0.6,
      reliable: plain.cleanPairs > 0,
    },
    {
      name: "serving gzip: Tidings(PostgreSQL)/nginx gzip_static req/s",
      goal: ">= 0.50x",
      measured: describeRatio(gzip),
      pass: gzip.ratio >= 0.5,
      reliable: gzip.cleanPairs > 0,
    },
  ];
  for (const run of results.runs) {
    for (const [format, summary] of [
      ["RSS", run.visibility.rss],
      ["JSON Feed", run.visibility.json],
    ] as const) {
      goals.push({
        name: `push -> visible in ${format}, median (${run.database})`,
        goal: "<= 100 ms",
        measured: `${ms(summary.p50)} (p99 ${ms(summary.p99)})`,
        pass: summary.p50 <= 100 && run.visibility.timedOut === 0,
      });
    }
    if (run.database === "postgres") {
      goals.push({
        name: "server memory, peak VmHWM (postgres)",
        goal: "<= 256 MiB",
        measured: `${mib(run.memory.final.peakMiB)} (VmRSS ${mib(run.memory.final.rssMiB)})`,
        pass: run.memory.final.peakMiB <= 256,
      });
    }
  }
  const verified = results.serving.filter((s) => s.verified).length;
  goals.push({
    name: "every load run verified (200, right size, no errors)",
    goal: "all",
    measured: `${verified}/${results.serving.length}`,
    pass: verified === results.serving.length,
  });
  return goals;
}
