/** The benchmark's results (written as JSON) and their printed form. */

import type { CpuUsage } from "./cpu.ts";
import type { MemoryStatus } from "./proc.ts";
import type { ProfileSummary } from "./profile.ts";
import type { VisibilityResult } from "./push.ts";
import type { RenderResult } from "./render.ts";
import { type PairedRatio, pairedRatio, type ServingResult } from "./serving.ts";
import { int, kib, mib, ms, ratio, type Summary, table, verdict } from "./stats.ts";
import type { WrkSettings } from "./wrk.ts";

export interface DatabaseRun {
  readonly database: "postgres" | "pglite";
  /** Other load on the machine (cores) just before the push measurements started. */
  readonly otherLoadBefore: number;
  readonly push: Summary;
  readonly visibility: VisibilityResult;
  readonly memory: {
    readonly afterStart: MemoryStatus;
    readonly afterSeed: MemoryStatus;
    readonly afterServing: MemoryStatus;
    readonly final: MemoryStatus;
  };
}

export interface Goal {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly pass: boolean;
  /** False when the figure was taken while other processes used the CPU. */
  readonly reliable?: boolean;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly environment: {
    readonly node: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryGiB: number;
    readonly postgres: string;
    readonly nginx: string;
    readonly wrk: string;
  };
  readonly settings: {
    readonly wrk: WrkSettings;
    readonly wrkCommand: string;
    readonly pinning: string;
    readonly nginx: string;
    readonly seedArticles: number;
    readonly pushes: number;
    readonly pushWarmup: number;
    readonly visibilityPushes: number;
    readonly renderIterations: number;
    readonly otherLoadLimit: number;
    readonly priority: string;
    readonly tidingsEnv: string;
  };
  readonly feed: { readonly identity: number; readonly gzip: number; readonly brotli: number };
  readonly serving: readonly ServingResult[];
  /** Tidings (PostgreSQL) over nginx, paired by round. */
  readonly ratios: { readonly plain: PairedRatio; readonly gzip: PairedRatio };
  readonly render: RenderResult;
  readonly runs: readonly DatabaseRun[];
  /** Background work each Tidings finished before it was loaded (bounded wait). */
  readonly settling: Record<
    string,
    { waitedMs: number; cpuSeconds: number; settled: boolean; idleCores: number }
  >;
  /** The bench's own minimal servers, for scale: the same runtime and loader, nothing else. */
  readonly baselineMemory: Readonly<Record<string, MemoryStatus>>;
  readonly profile?: ProfileSummary | undefined;
  readonly goals: readonly Goal[];
}

/** The busiest other processes over all rounds (the most each used in one round). */
function otherProcesses(serving: readonly ServingResult[]): string {
  const most = new Map<string, number>();
  for (const round of serving.flatMap((result) => result.rounds)) {
    for (const entry of round.cpu.topOther.split(", ").filter(Boolean)) {
      const at = entry.lastIndexOf(" ");
      const name = entry.slice(0, at);
      most.set(name, Math.max(most.get(name) ?? 0, Number(entry.slice(at + 1))));
    }
  }
  return [...most]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, cores]) => `${name} (up to ${cores.toFixed(2)} cores)`)
    .join(", ");
}

function maxOf(serving: readonly ServingResult[], pick: (cpu: CpuUsage) => number): number {
  return Math.max(0, ...serving.flatMap((result) => result.rounds.map((round) => pick(round.cpu))));
}

export function formatReport(results: BenchResults): string {
  const out: string[] = [];
  const { environment: env, settings } = results;
  out.push(
    `Tidings benchmark, ${results.startedAt} (${results.durationSeconds.toFixed(0)} s)`,
    `  node ${env.node}; PostgreSQL ${env.postgres}; nginx ${env.nginx}; wrk ${env.wrk}`,
    `  ${env.cpus} CPUs (${env.cpuModel}), ${env.memoryGiB.toFixed(0)} GiB RAM`,
    `  feed: ${settings.seedArticles} full-content articles (17 paragraphs each) in "world"; ` +
      `/feeds/world.rss is ${kib(results.feed.identity)} plain, ${kib(results.feed.gzip)} gzip, ` +
      `${kib(results.feed.brotli)} brotli`,
    "",
  );

  out.push(
    "1. Warm feed serving: GET /feeds/world.rss",
    `  load: ${settings.wrkCommand} (after a ${settings.wrk.warmupSeconds}s warm-up run per target)`,
    `  pinning: ${settings.pinning}`,
    `  nginx: ${settings.nginx}`,
    `  nginx worker_processes 1 matches Node's single event loop.`,
    ...Object.entries(results.settling).map(
      ([name, r]) =>
        `  settle: ${name}, the server kept busy for ${(r.waitedMs / 1000).toFixed(0)} s ` +
        `(${r.cpuSeconds.toFixed(1)} CPU-s of background work) ` +
        `${r.settled ? "before going idle" : "and was loaded still busy"}; ` +
        `last 1 s: ${r.idleCores.toFixed(2)} cores`,
    ),
    "",
  );
  const rows: string[][] = [
    [
      "target",
      "coding",
      "req/s",
      "min-max req/s",
      "vs nginx",
      "p50",
      "p99",
      "CPU/req",
      "resp bytes",
      "clean",
      "other load",
      "check",
    ],
  ];
  for (const result of results.serving) {
    const { target } = result;
    const nginx = results.serving.find(
      (other) => other.target.server === "nginx" && other.target.coding === target.coding,
    );
    rows.push([
      target.label,
      target.coding,
      int(result.requestsPerSecond),
      `${int(result.minRequestsPerSecond)}-${int(result.maxRequestsPerSecond)}`,
      nginx ? ratio(pairedRatio(result, nginx, settings.otherLoadLimit).ratio) : "",
      ms(result.latencyMs.p50),
      ms(result.latencyMs.p99),
      `${result.cpuUsPerRequest.toFixed(0)} us`,
      int(result.bytesPerResponse),
      `${result.cleanRounds}/${result.rounds.length}`,
      `${result.maxOtherLoad.toFixed(2)} cores`,
      result.verified
        ? `ok: 200, ${int(result.check.bodyBytes)} B body`
        : `FAILED: ${result.rounds
            .filter((round) => !round.verified)
            .map(
              (round) =>
                `${JSON.stringify(round.wrk.errors)}, delta ${int(round.bytesPerResponseDelta)} B`,
            )
            .join("; ")}`,
    ]);
  }
  out.push(table(rows), "");
  out.push(
    `  req/s, p50 and p99 are medians over ${settings.wrk.rounds} interleaved round(s) of ` +
      `${settings.wrk.durationSeconds}s per target, counting only the clean rounds (other load <= ` +
      `${settings.otherLoadLimit} cores) when there are any; min-max is the spread of req/s over those.`,
    "  CPU/req = the server's CPU time (all threads; nginx master + worker) per request served, " +
      "from /proc: the cost of a request, less sensitive to other load than req/s.",
    "  resp bytes = wrk's bytes read / requests = body + headers. Every target was first checked " +
      "with one request (200, identical bytes, right Content-Encoding), and every round with wrk's " +
      "counts (no errors, no status >= 400, bytes per response = that size).",
    `  other load = the most CPU (in cores) used by processes other than the server and wrk ` +
      `during a counted round; a round above ${settings.otherLoadLimit} cores was repeated once after waiting for quiet.`,
    `  priority: ${settings.priority}`,
    `  extra environment for Tidings: ${settings.tidingsEnv || "none (set BENCH_TIDINGS_ENV='K=V ...' to add some)"}`,
    `  other processes seen during the rounds: ${otherProcesses(results.serving) || "none above 0.02 cores"}`,
    `  across all rounds: steal (CPU withheld by the hypervisor) at most ${maxOf(results.serving, (c) => c.steal).toFixed(2)} cores; ` +
      `interrupt/softirq time (the loopback network stack, charged to no process) up to ${maxOf(results.serving, (c) => c.irq).toFixed(2)} cores.`,
    "",
  );

  const render = results.render;
  out.push(
    `2. Re-render, in-process, ${render.items}-item feed (${render.render.n} iterations after warm-up; ` +
      `p99 is nearest-rank, so over ${render.render.n} samples it is the max)`,
  );
  const renderRows: string[][] = [["step", "median", "p99", "min", "max"]];
  const add = (name: string, summary: Summary) =>
    renderRows.push([name, ms(summary.p50), ms(summary.p99), ms(summary.min), ms(summary.max)]);
  add("renderFeedDocuments (RSS + Atom + JSON)", render.render);
  add("encodeDocument, RSS only (+ gzip, brotli, sha256)", render.encodeRss);
  add("full rebuild (render + 3 encodes concurrently)", render.rebuild);
  add("what-if: rebuild with gzip 9 + brotli 5", render.whatIf.brotli5);
  add("what-if: rebuild with gzip 9, brotli later", render.whatIf.noBrotli);
  out.push(table(renderRows), "");
  const sizes = Object.entries(render.sizes)
    .map(([format, s]) => `${format} ${kib(s.identity)} / ${kib(s.gzip)} gz / ${kib(s.brotli)} br`)
    .join("; ");
  out.push(`  document sizes: ${sizes}`, "");
  const compressionRows: string[][] = [["encoding step, one RSS document", "median", "output", ""]];
  for (const step of render.compression) {
    compressionRows.push([
      step.step,
      ms(step.medianMs),
      kib(step.bytes),
      step.current ? "encodeDocument uses this" : "",
    ]);
  }
  out.push(table(compressionRows), "");

  out.push("3-5. Push, push-to-visible and memory");
  const runRows: string[][] = [["measure", "database", "n", "median", "p99", "max"]];
  for (const run of results.runs) {
    const summaryRow = (name: string, summary: Summary) =>
      runRows.push([
        name,
        run.database,
        String(summary.n),
        ms(summary.p50),
        ms(summary.p99),
        ms(summary.max),
      ]);
    summaryRow("POST /admin/articles latency", run.push);
    summaryRow("push -> visible in world.rss", run.visibility.rss);
    summaryRow("push -> visible in world.json", run.visibility.json);
  }
  out.push(table(runRows), "");
  for (const run of results.runs) {
    out.push(
      `  ${run.database}: other load before the pushes ${run.otherLoadBefore.toFixed(2)} cores; ` +
        `median ${run.visibility.pollsMedian} GETs per push until visible (both formats)`,
    );
    if (run.visibility.timedOut > 0) {
      out.push(`  ${run.database}: ${run.visibility.timedOut} polls timed out`);
    }
  }
  const memoryRows: string[][] = [["process", "database", "VmRSS", "VmHWM (peak)"]];
  for (const run of results.runs) {
    const m = run.memory;
    memoryRows.push([
      "Tidings after start-up (healthz 200)",
      run.database,
      mib(m.afterStart.vmRssKiB),
      mib(m.afterStart.vmHwmKiB),
    ]);
    memoryRows.push([
      "Tidings after seeding 50 + first GETs",
      run.database,
      mib(m.afterSeed.vmRssKiB),
      mib(m.afterSeed.vmHwmKiB),
    ]);
    memoryRows.push([
      "Tidings after wrk load",
      run.database,
      mib(m.afterServing.vmRssKiB),
      mib(m.afterServing.vmHwmKiB),
    ]);
    memoryRows.push([
      "Tidings after all pushes (final)",
      run.database,
      mib(m.final.vmRssKiB),
      mib(m.final.vmHwmKiB),
    ]);
  }
  for (const [name, memory] of Object.entries(results.baselineMemory)) {
    memoryRows.push([
      `baseline ${name}, after wrk load`,
      "-",
      mib(memory.vmRssKiB),
      mib(memory.vmHwmKiB),
    ]);
  }
  out.push(table(memoryRows), "");

  if (results.profile) {
    const profile = results.profile;
    const perRequest = (entry: { usPerRequest: number | undefined }) =>
      entry.usPerRequest === undefined ? "" : entry.usPerRequest.toFixed(1);
    const total =
      profile.requests !== undefined
        ? `, ${((profile.busyMs * 1000) / profile.requests).toFixed(1)} us of CPU per request`
        : "";
    out.push(
      `Where the time goes: CPU profile of Tidings (PostgreSQL) under wrk, gzip ` +
        `(${(profile.busyMs / 1000).toFixed(1)} s busy of ${(profile.totalMs / 1000).toFixed(1)} s sampled` +
        `${profile.windowed ? ", wrk runs only" : ", whole process lifetime incl. start-up"}${total})`,
    );
    const groupRows: string[][] = [["self time by package", "share of busy", "us/request"]];
    for (const entry of profile.byGroup) {
      groupRows.push([entry.name, `${(entry.share * 100).toFixed(1)}%`, perRequest(entry)]);
    }
    out.push(table(groupRows), "");
    const fnRows: string[][] = [["self time by function", "share of busy", "us/request"]];
    for (const entry of profile.byFunction) {
      fnRows.push([
        entry.name.slice(0, 90),
        `${(entry.share * 100).toFixed(1)}%`,
        perRequest(entry),
      ]);
    }
    out.push(table(fnRows), `  profile: ${profile.file}`, "");
  }

  out.push("Goals");
  const goalRows: string[][] = [["goal", "target", "measured", "verdict"]];
  for (const goal of results.goals) {
    goalRows.push([
      goal.name,
      goal.goal,
      goal.measured,
      `${verdict(goal.pass)}${goal.reliable === false ? " (*)" : ""}`,
    ]);
  }
  out.push(table(goalRows));
  if (results.goals.some((goal) => goal.reliable === false)) {
    out.push(
      "  (*) measured while other processes used the CPU (see other load): re-run on a quiet machine.",
    );
  }
  return out.join("\n");
}

function describeRatio(paired: PairedRatio): string {
  return `${ratio(paired.ratio)} (median of ${paired.cleanPairs > 0 ? `${paired.cleanPairs} clean` : `${paired.pairs} (none clean)`} paired rounds)`;
}

export function buildGoals(results: Omit<BenchResults, "goals">): Goal[] {
  const goals: Goal[] = [
    {
      name: "serving plain: Tidings(PostgreSQL)/nginx req/s",
      goal: ">= 0.60x",
      measured: describeRatio(results.ratios.plain),
      pass: results.ratios.plain.ratio >= 0.6,
      reliable: results.ratios.plain.cleanPairs > 0,
    },
    {
      name: "serving gzip: Tidings(PostgreSQL)/nginx gzip_static req/s",
      goal: ">= 0.50x",
      measured: describeRatio(results.ratios.gzip),
      pass: results.ratios.gzip.ratio >= 0.5,
      reliable: results.ratios.gzip.cleanPairs > 0,
    },
  ];
  for (const run of results.runs) {
    goals.push({
      name: `push -> visible in RSS, median (${run.database})`,
      goal: "<= 100 ms",
      measured: `${ms(run.visibility.rss.p50)} (p99 ${ms(run.visibility.rss.p99)})`,
      pass: run.visibility.rss.p50 <= 100 && run.visibility.timedOut === 0,
    });
    goals.push({
      name: `push -> visible in JSON Feed, median (${run.database})`,
      goal: "<= 100 ms",
      measured: `${ms(run.visibility.json.p50)} (p99 ${ms(run.visibility.json.p99)})`,
      pass: run.visibility.json.p50 <= 100 && run.visibility.timedOut === 0,
    });
    if (run.database === "postgres") {
      goals.push({
        name: "server memory, peak VmHWM (postgres)",
        goal: "<= 256 MiB",
        measured: `${mib(run.memory.final.vmHwmKiB)} (VmRSS ${mib(run.memory.final.vmRssKiB)})`,
        pass: run.memory.final.vmHwmKiB <= 256 * 1024,
      });
    }
  }
  const unverified = results.serving.filter((s) => !s.verified).length;
  goals.push({
    name: "every load run verified (200, right size, no errors)",
    goal: "all",
    measured: `${results.serving.length - unverified}/${results.serving.length}`,
    pass: unverified === 0,
  });
  return goals;
}
