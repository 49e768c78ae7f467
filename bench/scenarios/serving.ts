/**
 * Serving: feed serving under wrk, Tidings next to nginx serving the very same bytes and next to
 * the bench's bare node:http / minimal Hono / createApp-without-a-database servers (where the
 * serving time goes); push latency, push-to-visible and memory; the in-process re-render.
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
import { measureRender } from "./serving/render.ts";
import { formatServingReport, servingGoals } from "./serving/report.ts";
import { ensureTools } from "./serving/tools.ts";
import { writeWrkScript, wrkArgs } from "./serving/wrk.ts";

/** Other load (in cores) during a wrk run above which the run is repeated once. */
const OTHER_LOAD_LIMIT = 0.2;
const SEED_ARTICLES = 50;
const PUSH_WARMUP = 10;
/** The bench's own servers of the same bytes: label in the serving table, in the memory table. */
const BASELINES = {
  node: ["bare node:http, same bytes", "bare node:http (tsx)"],
  hono: ["minimal Hono + serveDocument", "minimal Hono (tsx)"],
  app: ["Tidings createApp, no DB", "createApp, no database (tsx)"],
} as const;

export type ServingResults = Awaited<ReturnType<typeof measure>>;

async function measure(context: BenchContext) {
  const { quick, log, workDir } = context;
  const startedAt = Date.now();
  const wrk = {
    // Two client threads: the client must never be the bottleneck (issue 16's finding).
    threads: envNumber("BENCH_THREADS", 2),
    connections: envNumber("BENCH_CONNECTIONS", 64),
    durationSeconds: envNumber("BENCH_DURATION", quick ? 2 : 4),
    rounds: envNumber("BENCH_ROUNDS", quick ? 1 : 3),
    warmupSeconds: quick ? 1 : 2,
    timeoutSeconds: 5,
  };
  const tools = await ensureTools(log);
  const settings = {
    wrk,
    wrkCommand: `wrk ${wrkArgs(wrk).join(" ")} [-H 'Accept-Encoding: gzip'] URL`,
    nginx: NGINX_SETTINGS,
    seedArticles: SEED_ARTICLES,
    pushes: quick ? 50 : 300,
    visibilityPushes: quick ? 10 : 50,
    renderIterations: quick ? 15 : 50,
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

  const settling: Record<string, Awaited<ReturnType<typeof waitForProcessIdle>>> = {};
  /** Lets a server finish background work (e.g. after the seeding pushes) before loading it. */
  const settle = async (label: string, server: TidingsServer) => {
    const maxWaitMs = envNumber("BENCH_SETTLE_SECONDS", quick ? 15 : 60) * 1000;
    settling[label] = await waitForProcessIdle(server.child.pid, { maxWaitMs, threshold: 0.05 });
  };
  const start = async (name: string, databaseUrl: string | undefined) => {
    const dataDir = path.join(workDir, `data-${name}`);
    const server = await startTidings({ name, databaseUrl, dataDir, adminToken });
    context.defer(() => server.stop());
    return server;
  };

  // 1. Tidings on PostgreSQL (and on PGlite): seed, settle, capture the bytes they serve.
  const tidings = [];
  for (const database of context.flags.has("--no-pglite")
    ? ["postgres" as const]
    : (["postgres", "pglite"] as const)) {
    const server = await start(
      `tidings-${database}`,
      database === "postgres" ? postgres.url : undefined,
    );
    const afterStart = memoryOf(server.child.pid);
    log(`Tidings (${database}) on ${server.origin}; seeding ${SEED_ARTICLES} articles`);
    await seedArticles(
      { origin: server.origin, adminToken },
      SEED_ARTICLES,
      `${runId} ${database}`,
    );
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

  // 2. The same bytes from nginx and the baseline servers, all under the same wrk load.
  const feedDir = await writeServedFeed(workDir, main.feed);
  const nginx = await startNginx(tools.nginx, workDir);
  const baselines = [];
  for (const kind of ["node", "hono", "app"] as const) {
    const port = await freePort();
    const args = [kind, feedDir, String(port)];
    const env = { ...process.env, NODE_ENV: "production" };
    const child = startNodeChild(`baseline-${kind}`, "bench/scenarios/serving/baseline-server.ts", {
      env,
      args,
    });
    await waitUntilServing(child, `http://127.0.0.1:${port}/feeds/world.rss`, 30_000);
    baselines.push({ kind, child, origin: `http://127.0.0.1:${port}` });
  }
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
      ...baselines.map((b) => ({
        label: BASELINES[b.kind][0],
        server: b.kind,
        origin: b.origin,
        pid: b.child.pid,
        coding,
        feed,
      })),
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
  const afterServing = tidings.map((t) => memoryOf(t.server.child.pid));
  const baselineMemory = Object.fromEntries(
    baselines.map((b) => [BASELINES[b.kind][1], memoryOf(b.child.pid)]),
  );
  for (const child of [nginx.child, ...baselines.map((b) => b.child)]) await child.stop(5_000);

  // 3-5. Pushes, one server at a time, and its memory after them.
  const runs = [];
  for (const [i, { database, server, memory }] of tidings.entries()) {
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
    const final = memoryOf(server.child.pid);
    runs.push({
      database,
      otherLoadBefore,
      push,
      visibility,
      memory: { ...memory, afterServing: afterServing[i], final },
    });
    await server.stop();
  }

  // 2 (printed). The renderer in this process, with no server under load.
  await quiet();
  log(`re-render: ${settings.renderIterations} iterations in-process`);
  const render = await measureRender(SEED_ARTICLES, settings.renderIterations, main.server.origin);

  const overNginx = (coding: "identity" | "gzip") => {
    const find = (server: string) =>
      serving.find((s) => s.target.server === server && s.target.coding === coding);
    const [ours, theirs] = [find("tidings"), find("nginx")];
    return ours && theirs
      ? pairedRatio(ours, theirs, OTHER_LOAD_LIMIT)
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
    ratios: { plain: overNginx("identity"), gzip: overNginx("gzip") },
    render,
    runs,
    baselineMemory,
    /** Background work each Tidings finished before it was loaded (bounded wait). */
    settling,
  };
}

export default {
  name: "serving",
  summary:
    "feed serving vs nginx and bare baselines, push latency, push-to-visible, memory, re-render",
  flags: { "--no-pglite": "skip the PGlite server" },
  timeoutMinutes: 15,
  async run(context) {
    const results = await measure(context);
    const goals = servingGoals(results);
    return { results: { ...results, goals }, report: formatServingReport(results, goals) };
  },
} satisfies Scenario;
