/**
 * `npm run bench`: measures Tidings end to end on this machine and compares feed serving with
 * nginx (and with bare node:http / minimal Hono, to show where serving time goes).
 *
 *   npm run bench                  full run (a few minutes)
 *   npm run bench -- --quick       short runs, for trying the bench itself
 *   npm run bench -- --profile     also CPU-profile Tidings under the wrk load
 *   npm run bench -- --no-pglite   skip the embedded-PGlite run
 *
 * Environment: BENCH_DURATION (wrk seconds per round, default 4), BENCH_ROUNDS (3),
 * BENCH_CONNECTIONS (50), BENCH_PIN=0 (let the scheduler place wrk and the servers instead of
 * pinning them), BENCH_NICE=0 (normal priority), BENCH_QUIET_BUDGET_SECONDS (60),
 * BENCH_SETTLE_SECONDS (60), BENCH_VERBATIM=1 (50 identical stories), BENCH_TIDINGS_ENV
 * ("K=V ..." extra environment for Tidings, e.g. MALLOC_ARENA_MAX=2).
 *
 * Prints a table on stdout (progress goes to stderr) and writes bench/results/latest.json.
 * Every child process (PostgreSQL, Tidings, nginx, baselines, wrk) is stopped at the end, on
 * error, on Ctrl-C, and by a watchdog if the run ever takes longer than BENCH_TIMEOUT_MINUTES.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BaselineKind, startBaseline } from "./baselines.ts";
import { waitForProcessIdle, waitForQuiet } from "./cpu.ts";
import { NGINX_SETTINGS, startNginx } from "./nginx.ts";
import { type BenchPostgres, startPostgres } from "./postgres.ts";
import { describeChildren, readMemoryStatus, stopAllChildren } from "./proc.ts";
import { summarizeProfileDir } from "./profile.ts";
import { measurePushLatency, measurePushToVisible, seedArticles } from "./push.ts";
import { measureRender } from "./render.ts";
import { type BenchResults, buildGoals, type DatabaseRun, formatReport } from "./report.ts";
import { extraEnvironment, REPO_ROOT, startTidings, type TidingsServer } from "./server.ts";
import {
  captureServedFeed,
  measureTargets,
  type PairedRatio,
  pairedRatio,
  type ServedFeed,
  type ServingContext,
  type ServingTarget,
  writeServedFeed,
} from "./serving.ts";
import { ensureTools } from "./tools.ts";
import { type WrkSettings, writeWrkScript, wrkCommandLine } from "./wrk.ts";

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has("--quick");
const PROFILE = argv.has("--profile");
const PGLITE = !argv.has("--no-pglite");

const envNumber = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const WRK: WrkSettings = {
  threads: 1,
  connections: envNumber("BENCH_CONNECTIONS", 50),
  durationSeconds: envNumber("BENCH_DURATION", QUICK ? 2 : 4),
  rounds: envNumber("BENCH_ROUNDS", QUICK ? 1 : 3),
  warmupSeconds: QUICK ? 1 : 2,
  timeoutSeconds: 5,
};
/** Other load (in cores) during a wrk run above which the run is repeated once. */
const OTHER_LOAD_LIMIT = 0.2;
const SEED_ARTICLES = 50;
const PUSHES = QUICK ? 50 : 300;
const PUSH_WARMUP = 10;
const VISIBILITY_PUSHES = QUICK ? 10 : 50;
const RENDER_ITERATIONS = QUICK ? 15 : 50;
/** How long a server may take to finish background work before it is loaded anyway. */
const SETTLE_MAX_MS = envNumber("BENCH_SETTLE_SECONDS", QUICK ? 15 : 60) * 1000;
const RUN_TIMEOUT_MS = envNumber("BENCH_TIMEOUT_MINUTES", 15) * 60_000;

const log = (line: string) => console.error(`[bench] ${line}`);

type Cleanup = () => Promise<void>;
const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | undefined;

/** Stops everything started so far, newest first; safe to call more than once. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
    }
    await stopAllChildren();
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping everything`);
    cleanUp().finally(() => process.exit(130));
  });
}

function pinningPlan(taskset: string | undefined): ServingContext["pinning"] {
  const cpus = os.availableParallelism();
  if (process.env.BENCH_PIN === "0" || !taskset || cpus < 2) return undefined;
  return { taskset, server: "0", client: "1", all: `0-${cpus - 1}` };
}

/**
 * The machine may be shared (someone's test run): give this process, and so every process it
 * starts (servers under test, wrk, PostgreSQL), a higher scheduling priority. All targets get
 * the same, so the comparison stays fair. BENCH_NICE=0 turns it off.
 */
function raisePriority(): string {
  const nice = Number(process.env.BENCH_NICE ?? -10);
  if (nice === 0) return "normal (BENCH_NICE=0)";
  try {
    os.setPriority(nice);
    return `nice ${nice} for the bench and everything it starts (servers, wrk, PostgreSQL), over other users of the machine`;
  } catch {
    return "normal (could not raise the priority; not root?)";
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const priority = raisePriority();
  const tools = await ensureTools(log);
  const tmp = await mkdtemp(path.join(os.tmpdir(), "tidings-bench-"));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const script = await writeWrkScript(tmp);
  const adminToken = randomBytes(24).toString("hex");
  const run = randomBytes(3).toString("hex");
  const pinning = pinningPlan(tools.taskset);

  log("starting a throwaway PostgreSQL cluster");
  const postgres: BenchPostgres = await startPostgres();
  cleanups.push(() => postgres.stop());

  // Phase 1: Tidings on PostgreSQL (and on PGlite): seed, warm, capture the bytes they serve.
  const tidings = await startServer("tidings-postgres", postgres.url, path.join(tmp, "data-pg"));
  const memory = { afterStart: await readMemoryStatus(tidings.child.pid) };
  log(`Tidings (PostgreSQL) on ${tidings.origin}; seeding ${SEED_ARTICLES} articles`);
  await seedArticles({ origin: tidings.origin, adminToken }, SEED_ARTICLES, `${run} pg`);
  const feed = await captureServedFeed(tidings.origin);
  const settling: BenchResults["settling"] = {};
  settling["Tidings (PostgreSQL) after seeding"] = await settle(tidings);
  const afterSeed = await readMemoryStatus(tidings.child.pid);

  let pglite: { server: TidingsServer; feed: ServedFeed; memory: typeof memory } | undefined;
  if (PGLITE) {
    const server = await startServer("tidings-pglite", undefined, path.join(tmp, "data-pglite"));
    const afterStart = await readMemoryStatus(server.child.pid);
    log(`Tidings (PGlite) on ${server.origin}; seeding ${SEED_ARTICLES} articles`);
    await seedArticles({ origin: server.origin, adminToken }, SEED_ARTICLES, `${run} lite`);
    pglite = { server, feed: await captureServedFeed(server.origin), memory: { afterStart } };
    settling["Tidings (PGlite) after seeding"] = await settle(server);
  }
  const pgliteSeed = pglite ? await readMemoryStatus(pglite.server.child.pid) : undefined;

  // The same bytes from nginx and the baseline servers.
  const feedDir = await writeServedFeed(tmp, feed);
  const nginx = await startNginx({ nginx: tools.nginx, dir: tmp });
  cleanups.push(() => nginx.stop());
  const baselines = {} as Record<BaselineKind, Awaited<ReturnType<typeof startBaseline>>>;
  for (const kind of ["node", "hono", "app"] as const) {
    baselines[kind] = await startBaseline(kind, feedDir);
    cleanups.push(() => baselines[kind].stop());
  }

  // Phase 2: every server under the same wrk load, in interleaved rounds.
  const context: ServingContext = {
    wrk: tools.wrk,
    script,
    settings: WRK,
    pinning,
    otherLoadLimit: OTHER_LOAD_LIMIT,
  };
  const targets: ServingTarget[] = [];
  for (const coding of ["identity", "gzip"] as const) {
    const target = (label: string, server: ServingTarget["server"], pid: number, origin: string) =>
      ({ label, server, pid, origin, coding, feed }) satisfies ServingTarget;
    targets.push(
      {
        ...target("Tidings (PostgreSQL)", "tidings", tidings.child.pid, tidings.origin),
        database: "postgres",
      },
      target("nginx", "nginx", nginx.child.pid, nginx.origin),
      target("bare node:http, same bytes", "node", baselines.node.child.pid, baselines.node.origin),
      target(
        "minimal Hono + serveDocument",
        "hono",
        baselines.hono.child.pid,
        baselines.hono.origin,
      ),
      target("Tidings createApp, no DB", "app", baselines.app.child.pid, baselines.app.origin),
    );
  }
  if (pglite) {
    const { server, feed: pgliteFeed } = pglite;
    for (const coding of ["identity", "gzip"] as const) {
      targets.push({
        label: "Tidings (PGlite)",
        server: "tidings",
        database: "pglite",
        origin: server.origin,
        pid: server.child.pid,
        coding,
        feed: pgliteFeed,
      });
    }
  }
  const serving = await measureTargets(context, targets, log);
  const afterServing = await readMemoryStatus(tidings.child.pid);
  const pgliteServing = pglite ? await readMemoryStatus(pglite.server.child.pid) : undefined;
  const baselineMemory = {
    "bare node:http (tsx)": await readMemoryStatus(baselines.node.child.pid),
    "minimal Hono (tsx)": await readMemoryStatus(baselines.hono.child.pid),
    "createApp, no database (tsx)": await readMemoryStatus(baselines.app.child.pid),
  };
  await nginx.stop();
  for (const baseline of Object.values(baselines)) await baseline.stop();

  // Phase 3: pushes, one server at a time.
  const runs: DatabaseRun[] = [];
  runs.push(
    await pushPhase("postgres", tidings, `${run} pg`, { ...memory, afterSeed, afterServing }),
  );
  await tidings.stop();
  if (pglite && pgliteSeed && pgliteServing) {
    runs.push(
      await pushPhase("pglite", pglite.server, `${run} lite`, {
        ...pglite.memory,
        afterSeed: pgliteSeed,
        afterServing: pgliteServing,
      }),
    );
    await pglite.server.stop();
  }

  // Phase 4: the renderer in this process, with no server under load.
  await waitForQuiet({ maxWaitMs: 15_000, threshold: OTHER_LOAD_LIMIT / 2 });
  log(`re-render: ${RENDER_ITERATIONS} iterations in-process`);
  const render = await measureRender({
    items: SEED_ARTICLES,
    iterations: RENDER_ITERATIONS,
    warmup: 5,
    publicUrl: tidings.origin,
  });

  // Phase 5 (optional): where serving time goes, from a CPU profile under the same load.
  let profile: BenchResults["profile"];
  if (PROFILE) {
    const profileDir = path.join(REPO_ROOT, "bench/results/profile");
    await rm(profileDir, { recursive: true, force: true });
    await mkdir(profileDir, { recursive: true });
    const profiled = await startServer("tidings-profile", postgres.url, path.join(tmp, "data-pg"), [
      "--cpu-prof",
      `--cpu-prof-dir=${profileDir}`,
    ]);
    const profiledFeed = await captureServedFeed(profiled.origin);
    settling["Tidings (profiled) after start-up"] = await settle(profiled);
    const from = process.hrtime.bigint() / 1000n;
    log("CPU profile: wrk (gzip) against Tidings started with --cpu-prof");
    const [profiledRun] = await measureTargets(
      { ...context, settings: { ...WRK, rounds: 1 } },
      [
        {
          label: "Tidings (PostgreSQL, profiled)",
          server: "tidings",
          database: "postgres",
          origin: profiled.origin,
          pid: profiled.child.pid,
          coding: "gzip",
          feed: profiledFeed,
        },
      ],
      log,
    );
    const to = process.hrtime.bigint() / 1000n;
    await profiled.stop();
    // The warm-up run is in the window too; count its requests as well (same rate).
    const measured = profiledRun?.rounds[0]?.wrk;
    const requests = measured
      ? measured.requests * ((WRK.warmupSeconds + WRK.durationSeconds) / WRK.durationSeconds)
      : undefined;
    profile = await summarizeProfileDir(
      profileDir,
      { fromUs: Number(from), toUs: Number(to) },
      requests,
    );
  }

  const find = (server: string, coding: string, database?: string) =>
    serving.find(
      (s) =>
        s.target.server === server &&
        s.target.coding === coding &&
        (database === undefined || s.target.database === database),
    );
  const tidingsVsNginx = (coding: "identity" | "gzip"): PairedRatio => {
    const tidingsResult = find("tidings", coding, "postgres");
    const nginxResult = find("nginx", coding);
    return tidingsResult && nginxResult
      ? pairedRatio(tidingsResult, nginxResult, OTHER_LOAD_LIMIT)
      : { ratio: Number.NaN, pairs: 0, cleanPairs: 0 };
  };
  const partial: Omit<BenchResults, "goals"> = {
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    environment: {
      node: process.version,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model.trim() ?? "?",
      memoryGiB: os.totalmem() / 2 ** 30,
      postgres: postgres.version,
      nginx: tools.nginxVersion,
      wrk: tools.wrkVersion,
    },
    settings: {
      wrk: WRK,
      wrkCommand: `${wrkCommandLine(WRK, undefined)} [-H 'Accept-Encoding: gzip'] URL`,
      pinning: pinning
        ? `server process (all threads) on cpu ${pinning.server}, wrk on cpu ${pinning.client} (taskset), during each wrk run`
        : "none (BENCH_PIN=0, no taskset, or a single CPU)",
      nginx: NGINX_SETTINGS,
      seedArticles: SEED_ARTICLES,
      pushes: PUSHES,
      pushWarmup: PUSH_WARMUP,
      visibilityPushes: VISIBILITY_PUSHES,
      renderIterations: RENDER_ITERATIONS,
      otherLoadLimit: OTHER_LOAD_LIMIT,
      priority,
      tidingsEnv: Object.entries(extraEnvironment())
        .map(([key, value]) => `${key}=${value}`)
        .join(" "),
    },
    feed: {
      identity: feed.identity.byteLength,
      gzip: feed.gzip.byteLength,
      brotli: feed.brotli.byteLength,
    },
    serving,
    ratios: { plain: tidingsVsNginx("identity"), gzip: tidingsVsNginx("gzip") },
    render,
    runs,
    baselineMemory,
    settling,
    profile,
  };
  const results: BenchResults = { ...partial, goals: buildGoals(partial) };

  const resultsDir = path.join(REPO_ROOT, "bench/results");
  await mkdir(resultsDir, { recursive: true });
  const file = path.join(resultsDir, "latest.json");
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatReport(results));
  console.log(`\nJSON results: ${path.relative(process.cwd(), file)}`);

  /** Lets the server finish background work (e.g. after the seeding pushes) before loading it. */
  async function settle(server: TidingsServer) {
    const result = await waitForProcessIdle(server.child.pid, {
      maxWaitMs: SETTLE_MAX_MS,
      threshold: 0.05,
    });
    log(
      `${server.child.name}: ${result.settled ? "idle" : "still busy"} after ` +
        `${(result.waitedMs / 1000).toFixed(0)} s (${result.cpuSeconds.toFixed(1)} CPU-s meanwhile)`,
    );
    return result;
  }

  async function startServer(
    name: string,
    databaseUrl: string | undefined,
    dataDir: string,
    nodeFlags: readonly string[] = [],
  ): Promise<TidingsServer> {
    const server = await startTidings({ name, databaseUrl, dataDir, adminToken, nodeFlags });
    cleanups.push(() => server.stop());
    return server;
  }

  async function pushPhase(
    database: DatabaseRun["database"],
    server: TidingsServer,
    label: string,
    memory: Omit<DatabaseRun["memory"], "final">,
  ): Promise<DatabaseRun> {
    const target = { origin: server.origin, adminToken };
    const pushes = database === "postgres" ? PUSHES : Math.min(PUSHES, 100);
    const visible = database === "postgres" ? VISIBILITY_PUSHES : Math.min(VISIBILITY_PUSHES, 20);
    const quiet = await waitForQuiet({ maxWaitMs: 15_000, threshold: OTHER_LOAD_LIMIT / 2 });
    log(`${database}: ${PUSH_WARMUP} + ${pushes} sequential pushes`);
    const push = await measurePushLatency(target, {
      warmup: PUSH_WARMUP,
      count: pushes,
      run: label,
    });
    log(`${database}: push-to-visible, ${visible} pushes`);
    const visibility = await measurePushToVisible(target, {
      count: visible,
      run: label,
      deadlineMs: 5_000,
    });
    const final = await readMemoryStatus(server.child.pid);
    return {
      database,
      otherLoadBefore: quiet.other,
      push,
      visibility,
      memory: { ...memory, final },
    };
  }
}

const watchdog = setTimeout(() => {
  log(`the run took longer than ${RUN_TIMEOUT_MS / 60_000} minutes: stopping everything`);
  cleanUp().finally(() => process.exit(1));
}, RUN_TIMEOUT_MS);
watchdog.unref();

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  log(`child processes:\n${describeChildren()}`);
} finally {
  await cleanUp();
  clearTimeout(watchdog);
}
