/**
 * Serving: feed serving under wrk, Tidings next to nginx serving the very same bytes and next to
 * the bench's bare node:http / minimal Hono / createApp-without-a-database servers (where the
 * serving time goes); push latency, push-to-visible and memory; the in-process re-render.
 *
 * Environment: BENCH_DURATION (wrk seconds per round, default 4), BENCH_ROUNDS (3),
 * BENCH_CONNECTIONS (50), BENCH_PIN=0 (let the scheduler place wrk and the servers instead of
 * pinning them), BENCH_SETTLE_SECONDS (60), BENCH_VERBATIM=1 (50 identical stories).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../test/support/free-port.ts";
import { type Child, REPO_ROOT, startNodeChild } from "../harness/children.ts";
import { waitUntilServing } from "../harness/http-client.ts";
import { startPostgres } from "../harness/postgres.ts";
import { memoryOf, waitForProcessIdle } from "../harness/procfs.ts";
import { profileClockUs, summarizeProfile } from "../harness/profile.ts";
import { type BenchContext, envNumber, type Scenario } from "../harness/scenario.ts";
import { EXTRA_ENV, startTidings, type TidingsServer } from "../harness/tidings.ts";
import {
  captureServedFeed,
  type LoadSettings,
  measureTargets,
  pairedRatio,
  type ServingTarget,
  writeServedFeed,
} from "./serving/measure.ts";
import { NGINX_SETTINGS, startNginx } from "./serving/nginx.ts";
import { measurePushLatency, measurePushToVisible, seedArticles } from "./serving/push.ts";
import { measureRender } from "./serving/render.ts";
import { formatServingReport, servingGoals } from "./serving/report.ts";
import { ensureTools } from "./serving/tools.ts";
import { writeWrkScript, wrkArgs } from "./serving/wrk.ts";

/** Other load (in cores) during a wrk run above which the run is repeated once. */
const OTHER_LOAD_LIMIT = 0.2;
const SEED_ARTICLES = 50;
const PUSH_WARMUP = 10;
const BASELINES = {
  node: ["bare node:http, same bytes", "bare node:http (tsx)"],
  hono: ["minimal Hono + serveDocument", "minimal Hono (tsx)"],
  app: ["Tidings createApp, no DB", "createApp, no database (tsx)"],
} as const;

export type ServingResults = Awaited<ReturnType<typeof measure>>;

async function measure(context: BenchContext) {
  const { quick, log } = context;
  const startedAt = Date.now();
  const wrk = {
    threads: 1,
    connections: envNumber("BENCH_CONNECTIONS", 50),
    durationSeconds: envNumber("BENCH_DURATION", quick ? 2 : 4),
    rounds: envNumber("BENCH_ROUNDS", quick ? 1 : 3),
    warmupSeconds: quick ? 1 : 2,
    timeoutSeconds: 5,
  };
  const settings = {
    wrk,
    wrkCommand: `wrk ${wrkArgs(wrk).join(" ")} [-H 'Accept-Encoding: gzip'] URL`,
    pinning: "none (BENCH_PIN=0, no taskset, or a single CPU)",
    nginx: NGINX_SETTINGS,
    seedArticles: SEED_ARTICLES,
    pushes: quick ? 50 : 300,
    pushWarmup: PUSH_WARMUP,
    visibilityPushes: quick ? 10 : 50,
    renderIterations: quick ? 15 : 50,
    otherLoadLimit: OTHER_LOAD_LIMIT,
    tidingsEnv: Object.entries(EXTRA_ENV)
      .map(([key, value]) => `${key}=${value}`)
      .join(" "),
  };
  const settleMaxMs = envNumber("BENCH_SETTLE_SECONDS", quick ? 15 : 60) * 1000;
  const adminToken = randomBytes(24).toString("hex");
  const runId = randomBytes(3).toString("hex");

  const tools = await ensureTools(log);
  const cpus = os.availableParallelism();
  const pinning =
    process.env.BENCH_PIN === "0" || !tools.taskset || cpus < 2
      ? undefined
      : { taskset: tools.taskset, server: "0", client: "1", all: `0-${cpus - 1}` };
  if (pinning)
    settings.pinning =
      "server process (all threads) on cpu 0, wrk on cpu 1 (taskset), during each wrk run";
  const script = await writeWrkScript(context.workDir);
  const load: LoadSettings = {
    wrk: tools.wrk,
    script,
    settings: wrk,
    pinning,
    otherLoadLimit: OTHER_LOAD_LIMIT,
    quiet: context.quiet,
  };
  log("starting a throwaway PostgreSQL cluster");
  const postgres = await startPostgres("tidings_bench");
  context.defer(() => postgres.stop());

  const settling: Record<string, Awaited<ReturnType<typeof waitForProcessIdle>>> = {};
  /** Lets a server finish background work (e.g. after the seeding pushes) before loading it. */
  const settle = async (label: string, server: TidingsServer) => {
    const result = await waitForProcessIdle(server.child.pid, {
      maxWaitMs: settleMaxMs,
      threshold: 0.05,
    });
    log(
      `${label}: ${result.settled ? "idle" : "still busy"} after ${(result.waitedMs / 1000).toFixed(0)} s`,
    );
    settling[label] = result;
  };
  const start = async (name: string, databaseUrl: string | undefined, nodeFlags: string[] = []) => {
    const dataDir = path.join(context.workDir, `data-${name}`);
    const server = await startTidings({ name, databaseUrl, dataDir, adminToken, nodeFlags });
    context.defer(() => server.stop());
    return server;
  };

  // Phase 1: Tidings on PostgreSQL (and on PGlite): seed, settle, capture the bytes they serve.
  const pglite = !context.flags.has("--no-pglite");
  const tidings = [];
  for (const database of pglite ? (["postgres", "pglite"] as const) : (["postgres"] as const)) {
    const server = await start(
      `tidings-${database}`,
      database === "postgres" ? postgres.url : undefined,
    );
    const afterStart = memoryOf(server.child.pid);
    log(`Tidings (${database}) on ${server.origin}; seeding ${SEED_ARTICLES} articles`);
    await seedArticles({ server, adminToken }, SEED_ARTICLES, `${runId} ${database}`);
    const feed = await captureServedFeed(server.origin);
    await settle(`Tidings (${database}) after seeding`, server);
    tidings.push({
      database,
      server,
      feed,
      memory: { afterStart, afterSeed: memoryOf(server.child.pid) },
    });
  }
  const [main] = tidings;
  if (!main) throw new Error("no Tidings started");

  // The same bytes from nginx and the baseline servers.
  const feedDir = await writeServedFeed(context.workDir, main.feed);
  const nginx = await startNginx(tools.nginx, context.workDir);
  const baselines: { kind: keyof typeof BASELINES; child: Child; origin: string }[] = [];
  for (const kind of ["node", "hono", "app"] as const) {
    const port = await freePort();
    const child = startNodeChild(`baseline-${kind}`, "bench/scenarios/serving/baseline-server.ts", {
      env: { ...process.env, NODE_ENV: "production" },
      args: [kind, feedDir, String(port)],
    });
    const origin = `http://127.0.0.1:${port}`;
    await waitUntilServing(child, `${origin}/feeds/world.rss`, 30_000);
    baselines.push({ kind, child, origin });
  }

  // Phase 2: every server under the same wrk load, in interleaved rounds.
  const targets: ServingTarget[] = [];
  for (const coding of ["identity", "gzip"] as const) {
    const at = (label: string, server: ServingTarget["server"], child: Child, origin: string) =>
      ({ label, server, pid: child.pid, origin, coding, feed: main.feed }) satisfies ServingTarget;
    targets.push(
      {
        ...at("Tidings (PostgreSQL)", "tidings", main.server.child, main.server.origin),
        database: "postgres",
      },
      at("nginx", "nginx", nginx.child, nginx.origin),
      ...baselines.map((b) => at(BASELINES[b.kind][0], b.kind, b.child, b.origin)),
    );
  }
  for (const { database, server, feed } of tidings.slice(1)) {
    for (const coding of ["identity", "gzip"] as const) {
      const { pid } = server.child;
      targets.push({
        label: "Tidings (PGlite)",
        server: "tidings",
        database,
        origin: server.origin,
        pid,
        coding,
        feed,
      });
    }
  }
  const serving = await measureTargets(load, targets, log);
  const afterServing = tidings.map((t) => memoryOf(t.server.child.pid));
  const baselineMemory = Object.fromEntries(
    baselines.map((b) => [BASELINES[b.kind][1], memoryOf(b.child.pid)]),
  );
  for (const child of [nginx.child, ...baselines.map((b) => b.child)]) await child.stop(5_000);

  // Phase 3: pushes, one server at a time.
  const runs = [];
  for (const [i, { database, server, memory }] of tidings.entries()) {
    const target = { server, adminToken };
    const quiet = await context.quiet.wait({ maxWaitMs: 15_000, threshold: OTHER_LOAD_LIMIT / 2 });
    const pushes = database === "postgres" ? settings.pushes : Math.min(settings.pushes, 100);
    const visible =
      database === "postgres" ? settings.visibilityPushes : Math.min(settings.visibilityPushes, 20);
    log(
      `${database}: ${PUSH_WARMUP} + ${pushes} sequential pushes, then push-to-visible, ${visible} pushes`,
    );
    const push = await measurePushLatency(target, {
      warmup: PUSH_WARMUP,
      count: pushes,
      run: `${runId} ${database}`,
    });
    const visibility = await measurePushToVisible(target, {
      count: visible,
      run: `${runId} ${database}`,
      deadlineMs: 5_000,
    });
    const final = memoryOf(server.child.pid);
    runs.push({
      database,
      otherLoadBefore: quiet.other,
      push,
      visibility,
      memory: { ...memory, afterServing: afterServing[i], final },
    });
    await server.stop();
  }

  // Phase 4: the renderer in this process, with no server under load.
  await context.quiet.wait({ maxWaitMs: 15_000, threshold: OTHER_LOAD_LIMIT / 2 });
  log(`re-render: ${settings.renderIterations} iterations in-process`);
  const render = await measureRender({
    items: SEED_ARTICLES,
    iterations: settings.renderIterations,
    warmup: 5,
    publicUrl: main.server.origin,
  });

  // Phase 5 (--profile): where serving time goes, from a CPU profile under the same load.
  let profile:
    | (Awaited<ReturnType<typeof summarizeProfile>> & { requests: number | undefined })
    | undefined;
  if (context.flags.has("--profile")) {
    const dir = path.join(REPO_ROOT, "bench/results/profile");
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const profiled = await start("tidings-profiled", postgres.url, [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
    ]);
    const feed = await captureServedFeed(profiled.origin);
    await settle("Tidings (profiled) after start-up", profiled);
    const fromUs = profileClockUs();
    log("CPU profile: wrk (gzip) against Tidings started with --cpu-prof");
    const [measured] = await measureTargets(
      { ...load, settings: { ...wrk, rounds: 1 } },
      [
        {
          label: "Tidings (PostgreSQL, profiled)",
          server: "tidings",
          database: "postgres",
          origin: profiled.origin,
          pid: profiled.child.pid,
          coding: "gzip",
          feed,
        },
      ],
      log,
    );
    const toUs = profileClockUs();
    await profiled.stop();
    // The warm-up run is in the window too; count its requests as well (same rate).
    const counted = measured?.rounds[0]?.wrk;
    const requests =
      counted &&
      counted.requests * ((wrk.warmupSeconds + wrk.durationSeconds) / wrk.durationSeconds);
    profile = { ...(await summarizeProfile(dir, { fromUs, toUs }, 15)), requests };
  }

  const ratioOverNginx = (coding: "identity" | "gzip") => {
    const find = (server: string) =>
      serving.find(
        (s) =>
          s.target.server === server &&
          s.target.coding === coding &&
          s.target.database !== "pglite",
      );
    const [tidingsResult, nginxResult] = [find("tidings"), find("nginx")];
    return tidingsResult && nginxResult
      ? pairedRatio(tidingsResult, nginxResult, OTHER_LOAD_LIMIT)
      : { ratio: Number.NaN, pairs: 0, cleanPairs: 0 };
  };
  return {
    durationSeconds: (Date.now() - startedAt) / 1000,
    environment: { postgres: postgres.version, nginx: tools.nginxVersion, wrk: tools.wrkVersion },
    settings,
    feed: {
      identity: main.feed.identity.byteLength,
      gzip: main.feed.gzip.byteLength,
      brotli: main.feed.brotli.byteLength,
    },
    serving,
    /** Tidings (PostgreSQL) over nginx, paired by round. */
    ratios: { plain: ratioOverNginx("identity"), gzip: ratioOverNginx("gzip") },
    render,
    runs,
    baselineMemory,
    /** Background work each Tidings finished before it was loaded (bounded wait). */
    settling,
    profile,
  };
}

export default {
  name: "serving",
  summary:
    "feed serving vs nginx and bare baselines, push latency, push-to-visible, memory, re-render",
  flags: {
    "--profile": "also CPU-profile Tidings under the wrk load",
    "--no-pglite": "skip the PGlite server",
  },
  timeoutMinutes: 15,
  async run(context) {
    const results = await measure(context);
    const goals = servingGoals(results);
    return { results: { ...results, goals }, report: formatServingReport(results, goals) };
  },
} satisfies Scenario;
