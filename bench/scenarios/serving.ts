/**
 * Serving: feed serving under wrk, Tidings next to nginx serving the very same bytes (the outside
 * anchor) and next to a bare node:http server of the same bytes (Node's own limit); push latency,
 * push-to-visible and peak memory.
 * bench/README.md says what is measured and lists the settings (BENCH_*).
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { freePort } from "../../test/support/free-port.ts";
import { startNodeChild } from "../harness/children.ts";
import { waitUntilServing } from "../harness/http-client.ts";
import { startPostgres } from "../harness/postgres.ts";
import { memoryOf, waitForProcessIdle } from "../harness/procfs.ts";
import { type BenchContext, envNumber, type Scenario } from "../harness/scenario.ts";
import { EXTRA_ENV, startTidings, type TidingsServer } from "../harness/tidings.ts";
import {
  captureServedFeed,
  measureTargets,
  pairedRatio,
  type ServingTarget,
  writeServedFeed,
} from "./serving/measure.ts";
import { NGINX_SETTINGS, startNginx } from "./serving/nginx.ts";
import { measurePushLatency, measurePushToVisible, seedArticles } from "./serving/push.ts";
import { formatServingReport, servingGoals } from "./serving/report.ts";
import { ensureTools } from "./serving/tools.ts";
import { writeWrkScript, wrkArgs, wrkSettingsFromEnv } from "./serving/wrk.ts";

/** Other load (in cores) during a wrk run above which the run is repeated once. */
const OTHER_LOAD_LIMIT = 0.2;
const SEED_ARTICLES = 50;
const PUSH_WARMUP = 10;

export type ServingResults = Awaited<ReturnType<typeof measure>>;

async function measure(context: BenchContext) {
  const { quick, log, workDir } = context;
  const startedAt = Date.now();
  const wrk = wrkSettingsFromEnv(quick);
  const tools = await ensureTools(log);
  const settings = {
    wrk,
    wrkCommand: `wrk ${wrkArgs(wrk).join(" ")} [-H 'Accept-Encoding: gzip'] URL`,
    nginx: NGINX_SETTINGS,
    seedArticles: SEED_ARTICLES,
    pushes: quick ? 50 : 300,
    visibilityPushes: quick ? 10 : 50,
    otherLoadLimit: OTHER_LOAD_LIMIT,
    tidingsEnv: Object.entries(EXTRA_ENV)
      .map((pair) => pair.join("="))
      .join(" "),
  };
  const script = await writeWrkScript(workDir);
  const load = {
    wrk: tools.wrk,
    script,
    settings: wrk,
    otherLoadLimit: OTHER_LOAD_LIMIT,
    quiet: context.quiet,
  };
  const quiet = () => context.quiet.wait({ maxWaitMs: 15_000, threshold: OTHER_LOAD_LIMIT / 2 });
  log("starting a throwaway PostgreSQL cluster");
  const postgres = await startPostgres("tidings_bench");
  context.defer(() => postgres.stop());
  const adminToken = randomBytes(24).toString("hex");
  const runId = randomBytes(3).toString("hex");

  /** Lets a server finish background work (e.g. after the seeding pushes) before loading it. */
  const settle = async (server: TidingsServer) => {
    const maxWaitMs = envNumber("BENCH_SETTLE_SECONDS", quick ? 15 : 60) * 1000;
    const idle = await waitForProcessIdle(server.child.pid, { maxWaitMs, threshold: 0.05 });
    if (!idle.settled)
      log(`${server.child.name} still busy after ${maxWaitMs / 1000} s; loading it anyway`);
  };
  /**
   * On PGlite the data directory is created by a first start (initdb runs in the process's WASM
   * memory, once per install), which is timed and stopped; the server measured is the second
   * start, on the existing directory, as every later `npm start` is.
   */
  const start = async (name: string, databaseUrl: string | undefined) => {
    const dataDir = path.join(workDir, `data-${name}`);
    let firstStart: { ms: number; peakMiB: number } | undefined;
    if (!databaseUrl) {
      const t0 = performance.now();
      const creating = await startTidings({ name: `${name}-first`, dataDir, adminToken });
      firstStart = { ms: performance.now() - t0, peakMiB: memoryOf(creating.child.pid).peakMiB };
      await creating.stop();
    }
    const t0 = performance.now();
    const server = await startTidings({ name, databaseUrl, dataDir, adminToken });
    const startMs = performance.now() - t0;
    context.defer(() => server.stop());
    return { server, startMs, firstStart };
  };

  // 1. Tidings on PostgreSQL (and on PGlite): seed, settle, capture the bytes they serve.
  const tidings = [];
  for (const database of context.flags.has("--no-pglite")
    ? ["postgres" as const]
    : (["postgres", "pglite"] as const)) {
    const { server, startMs, firstStart } = await start(
      `tidings-${database}`,
      database === "postgres" ? postgres.url : undefined,
    );
    log(`Tidings (${database}) on ${server.origin}; seeding ${SEED_ARTICLES} articles`);
    await seedArticles(
      { origin: server.origin, adminToken },
      SEED_ARTICLES,
      `${runId} ${database}`,
    );
    const feed = await captureServedFeed(server.origin);
    await settle(server);
    tidings.push({ database, server, feed, startMs, firstStart });
  }
  const [main] = tidings;
  if (!main) throw new Error("no Tidings started");

  // 2. The same bytes from nginx and from a bare node:http server, under the same wrk load.
  const feedDir = await writeServedFeed(workDir, main.feed);
  const nginx = await startNginx(tools.nginx, workDir);
  const port = await freePort();
  const bare = startNodeChild("bare-node", "bench/scenarios/serving/baseline-server.ts", {
    env: { ...process.env, NODE_ENV: "production" },
    args: [feedDir, String(port)],
  });
  const bareOrigin = `http://127.0.0.1:${port}`;
  await waitUntilServing(bare, `${bareOrigin}/feeds/world.rss`, 30_000);
  const targets: ServingTarget[] = [];
  for (const coding of ["identity", "gzip"] as const) {
    const { server, feed } = main;
    targets.push(
      {
        label: "Tidings (PostgreSQL)",
        server: "tidings",
        database: "postgres",
        origin: server.origin,
        pid: server.child.pid,
        coding,
        feed,
      },
      { label: "nginx", server: "nginx", origin: nginx.origin, pid: nginx.child.pid, coding, feed },
      {
        label: "bare node:http, same bytes",
        server: "node",
        origin: bareOrigin,
        pid: bare.pid,
        coding,
        feed,
      },
    );
  }
  for (const { database, server, feed } of tidings.slice(1)) {
    for (const coding of ["identity", "gzip"] as const) {
      targets.push({
        label: "Tidings (PGlite)",
        server: "tidings",
        database,
        origin: server.origin,
        pid: server.child.pid,
        coding,
        feed,
      });
    }
  }
  const serving = await measureTargets(load, targets, log);
  for (const child of [nginx.child, bare]) await child.stop(5_000);

  // 3-4. Pushes, one server at a time, and its peak memory after them.
  const runs = [];
  for (const { database, server, startMs, firstStart } of tidings) {
    const target = { origin: server.origin, adminToken };
    const otherLoadBefore = (await quiet()).other;
    const pushes = database === "postgres" ? settings.pushes : Math.min(settings.pushes, 100);
    const visible =
      database === "postgres" ? settings.visibilityPushes : Math.min(settings.visibilityPushes, 20);
    log(
      `${database}: ${PUSH_WARMUP} + ${pushes} sequential pushes, then ${visible} pushes until visible`,
    );
    const push = await measurePushLatency(target, PUSH_WARMUP, pushes, `${runId} ${database}`);
    const visibility = await measurePushToVisible(target, visible, `${runId} ${database}`, 5_000);
    const memory = memoryOf(server.child.pid);
    runs.push({ database, otherLoadBefore, push, visibility, memory, startMs, firstStart });
    await server.stop();
  }

  /** Tidings (PostgreSQL) over another server of the same bytes, paired by round. */
  const over = (server: "nginx" | "node", coding: "identity" | "gzip") => {
    const find = (name: string) =>
      serving.find((s) => s.target.server === name && s.target.coding === coding);
    const [ours, theirs] = [find("tidings"), find(server)];
    const paired =
      ours && theirs
        ? pairedRatio(ours, theirs, OTHER_LOAD_LIMIT)
        : { ratio: Number.NaN, pairs: 0, cleanPairs: 0 };
    const cpuUsPerRequest = { tidings: ours?.cpuUsPerRequest, other: theirs?.cpuUsPerRequest };
    return { ...paired, cpuUsPerRequest };
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
    /** Tidings (PostgreSQL) over nginx (the outside anchor) and over bare node:http (Node's limit). */
    ratios: { plain: over("nginx", "identity"), gzip: over("nginx", "gzip") },
    overNode: { plain: over("node", "identity"), gzip: over("node", "gzip") },
    runs,
  };
}

export default {
  name: "serving",
  summary: "feed serving vs nginx and bare node:http, push latency, push-to-visible, memory",
  flags: { "--no-pglite": "skip the PGlite server" },
  timeoutMinutes: 15,
  async run(context) {
    const results = await measure(context);
    const goals = servingGoals(results);
    return { results: { ...results, goals }, report: formatServingReport(results, goals) };
  },
} satisfies Scenario;
