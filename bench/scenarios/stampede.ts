/**
 * The preview stampede (issue 13.8): right after a publish, every server that received the
 * Create fetches the article page for its preview card. 1,000 loopback clients fetch a story's
 * page at once right after it is published, against the same burst at the warm feed
 * `/feeds/world.rss` in the same run; then wrk on the warm page against the warm feed.
 * bench/README.md says what is measured and lists the settings (STAMPEDE_*).
 */
import { randomBytes } from "node:crypto";
import { type Child, startNodeChild } from "../harness/children.ts";
import { HttpClient } from "../harness/http-client.ts";
import { startPostgres } from "../harness/postgres.ts";
import { startCpuMeter, waitForProcessIdle } from "../harness/procfs.ts";
import { median, summarize } from "../harness/report.ts";
import { type BenchContext, envNumber, type Scenario } from "../harness/scenario.ts";
import { postArticle, startTidings } from "../harness/tidings.ts";
import { articlePush } from "./serving/articles.ts";
import { captureServedFeed, FEED_PATH } from "./serving/measure.ts";
import { seedArticles } from "./serving/push.ts";
import { ensureTools } from "./serving/tools.ts";
import { runWrk, writeWrkScript, wrkSettingsFromEnv } from "./serving/wrk.ts";
import type { BurstReply, BurstRequest } from "./stampede/burst-child.ts";
import { formatStampedeReport, stampedeGoals } from "./stampede/report.ts";

const SEED_ARTICLES = 50;
/** Other load (cores) above which a figure is marked unreliable. */
const OTHER_LOAD_LIMIT = 0.2;
/** What a fetching server sends: a browser-like Accept for the page, gzip for both. */
const PAGE_HEADERS = { accept: "text/html", "accept-encoding": "gzip" };
const FEED_HEADERS = { accept: "application/rss+xml", "accept-encoding": "gzip" };

export type StampedeResults = Awaited<ReturnType<typeof measure>>;
export type BurstResult = Awaited<ReturnType<ReturnType<typeof burster>>>;

/** One burst of `clients` GETs split over the client processes, with the server's CPU and SQL. */
function burster(options: {
  readonly origin: string;
  readonly serverPid: number;
  readonly clients: readonly Child[];
  readonly count: number;
  readonly statements: () => Promise<number | undefined>;
}) {
  return async (path: string, headers: Readonly<Record<string, string>>) => {
    const { clients, count } = options;
    const statementsBefore = await options.statements();
    const meter = startCpuMeter({ server: options.serverPid });
    const replies = await Promise.all(
      clients.map((child, i) => {
        const share = Math.floor(count / clients.length) + (i < count % clients.length ? 1 : 0);
        const request: BurstRequest = {
          type: "burst",
          url: `${options.origin}${path}`,
          count: share,
          headers,
        };
        return child.request<BurstReply>(request, 120_000);
      }),
    );
    const cpu = meter.stop();
    const statementsAfter = await options.statements();
    const latencies = replies.flatMap((reply) => reply.latenciesMs);
    const wallMs =
      Math.max(...replies.map((r) => r.endedAt)) - Math.min(...replies.map((r) => r.startedAt));
    const statuses: Record<string, number> = {};
    for (const reply of replies) {
      for (const [status, n] of Object.entries(reply.statuses))
        statuses[status] = (statuses[status] ?? 0) + n;
    }
    const etags = new Set(replies.flatMap((reply) => reply.etags));
    const errors = replies.flatMap((reply) => reply.errors);
    return {
      path,
      requests: latencies.length,
      wallMs,
      requestsPerSecond: latencies.length / (wallMs / 1000),
      latencyMs: summarize(latencies),
      statuses,
      etags: etags.size,
      errors: errors.length,
      firstError: errors[0],
      bodyBytes: replies.reduce((sum, reply) => sum + reply.bodyBytes, 0) / latencies.length,
      /** The server's CPU (all its threads) per request served, microseconds. */
      cpuUsPerRequest: ((cpu.ms.server ?? 0) * 1000) / Math.max(1, latencies.length),
      otherLoad: cpu.other,
      /** What Tidings ran on PostgreSQL during the burst (its background work included). */
      sqlStatements:
        statementsBefore === undefined || statementsAfter === undefined
          ? null
          : statementsAfter - statementsBefore,
      verified: errors.length === 0 && statuses["200"] === count && etags.size === 1,
    };
  };
}

async function measure(context: BenchContext) {
  const { quick, log, workDir } = context;
  const startedAt = Date.now();
  const settings = {
    clients: envNumber("STAMPEDE_CLIENTS", 1000),
    clientProcesses: envNumber("STAMPEDE_CLIENT_PROCESSES", 2),
    rounds: envNumber("STAMPEDE_ROUNDS", quick ? 1 : 3),
    /**
     * Rounds before those, listed but not measured: a fresh process's first publishes and
     * bursts carry its JIT warm-up (one run: the burst after a publish took 515, 430, 194, 177,
     * 130, 110 ms; the same page warm 277, 362, 153, 197, 129, 108 ms), and a server runs for days.
     */
    warmups: envNumber("STAMPEDE_WARMUPS", quick ? 0 : 3),
    keepAlive: false,
    wrk: wrkSettingsFromEnv(quick),
    otherLoadLimit: OTHER_LOAD_LIMIT,
  };
  const tools = await ensureTools(log);
  const script = await writeWrkScript(workDir);
  log("starting a throwaway PostgreSQL cluster");
  const postgres = await startPostgres("tidings_stampede");
  context.defer(() => postgres.stop());
  const adminToken = randomBytes(24).toString("hex");
  const runId = randomBytes(3).toString("hex");
  const server = await startTidings({ name: "tidings", databaseUrl: postgres.url, adminToken });
  context.defer(() => server.stop());
  const { origin } = server;
  log(`Tidings on ${origin}; seeding ${SEED_ARTICLES} articles`);
  await seedArticles({ origin, adminToken }, SEED_ARTICLES, runId);
  await captureServedFeed(origin);
  const idle = await waitForProcessIdle(server.child.pid, {
    maxWaitMs: (quick ? 15 : 60) * 1000,
    threshold: 0.05,
  });
  if (!idle.settled) log("Tidings still busy after seeding; measuring anyway");

  const clients = Array.from({ length: settings.clientProcesses }, (_, i) =>
    startNodeChild(`burst-clients-${i + 1}`, "bench/scenarios/stampede/burst-child.ts", {
      env: { ...process.env, NODE_ENV: "production" },
      ipc: true,
    }),
  );
  for (const child of clients) context.defer(() => child.stop(5_000));
  const burst = burster({
    origin,
    serverPid: server.child.pid,
    clients,
    count: settings.clients,
    statements: () => postgres.statements(),
  });
  const pusher = new HttpClient(origin);
  context.defer(() => pusher.close());
  const quiet = () => context.quiet.wait({ maxWaitMs: 15_000, threshold: OTHER_LOAD_LIMIT / 2 });

  // Warms both paths and the clients (JIT, sockets); not counted.
  log("warm-up bursts");
  const warmId = await postArticle(pusher, adminToken, articlePush(`${runId} warm-up`));
  await burst(FEED_PATH, FEED_HEADERS);
  await burst(`/articles/${warmId}`, PAGE_HEADERS);

  // 1. Interleaved rounds: the warm feed, then a publish and at once its page.
  const rounds = [];
  let lastArticle = warmId;
  for (let round = 1 - settings.warmups; round <= settings.rounds; round++) {
    await quiet();
    const label =
      round < 1
        ? `warm-up ${round + settings.warmups}/${settings.warmups}`
        : `round ${round}/${settings.rounds}`;
    log(`${label}: ${settings.clients} clients at the feed, then a page`);
    const feed = await burst(FEED_PATH, FEED_HEADERS);
    const articleId = await postArticle(
      pusher,
      adminToken,
      articlePush(`${runId} stampede ${round}`),
    );
    const page = await burst(`/articles/${articleId}`, PAGE_HEADERS);
    // The same page once more, now warm: what the burst costs without the publish's own work.
    const warmPage = await burst(`/articles/${articleId}`, PAGE_HEADERS);
    lastArticle = articleId;
    rounds.push({
      round,
      warmUp: round < 1,
      feed,
      page,
      warmPage,
      ratio: page.requestsPerSecond / feed.requestsPerSecond,
    });
  }

  // 2. Sustained: wrk (keep-alive, gzip) on the warm page against the warm feed, interleaved.
  const wrkTargets = [
    { name: "feed", path: FEED_PATH, accept: FEED_HEADERS.accept },
    { name: "page", path: `/articles/${lastArticle}`, accept: PAGE_HEADERS.accept },
  ] as const;
  const sustained: Record<
    string,
    { rps: number[]; p99: number[]; cpuUs: number[]; other: number[] }
  > = {
    feed: { rps: [], p99: [], cpuUs: [], other: [] },
    page: { rps: [], p99: [], cpuUs: [], other: [] },
  };
  const wrkRun = (target: (typeof wrkTargets)[number], durationSeconds?: number) =>
    runWrk({
      wrk: tools.wrk,
      script,
      url: `${origin}${target.path}`,
      header: "Accept-Encoding: gzip",
      settings: settings.wrk,
      durationSeconds,
    });
  for (const target of wrkTargets) await wrkRun(target, settings.wrk.warmupSeconds);
  for (let round = 1; round <= settings.wrk.rounds; round++) {
    await quiet();
    log(`wrk round ${round}/${settings.wrk.rounds}: warm feed, warm page`);
    for (const target of wrkTargets) {
      const meter = startCpuMeter({ server: server.child.pid });
      const result = await wrkRun(target);
      const cpu = meter.stop();
      const errors = Object.values(result.errors).reduce((sum, n) => sum + n, 0);
      if (errors > 0) throw new Error(`wrk ${target.path}: ${JSON.stringify(result.errors)}`);
      const figures = sustained[target.name];
      figures?.rps.push(result.requestsPerSecond);
      figures?.p99.push(result.latencyMs.p99);
      figures?.cpuUs.push(((cpu.ms.server ?? 0) * 1000) / result.requests);
      figures?.other.push(cpu.other);
    }
  }
  const summary = (name: string) => {
    const figures = sustained[name] ?? { rps: [], p99: [], cpuUs: [], other: [] };
    return {
      requestsPerSecond: median(figures.rps),
      p99Ms: median(figures.p99),
      cpuUsPerRequest: median(figures.cpuUs),
      maxOtherLoad: Math.max(...figures.other),
    };
  };
  const measured = rounds.filter((r) => !r.warmUp);
  const feedWrk = summary("feed");
  const pageWrk = summary("page");

  return {
    durationSeconds: (Date.now() - startedAt) / 1000,
    environment: { postgres: postgres.version, wrk: tools.wrkVersion },
    settings,
    /** Every round, the warm-ups (round <= 0) first. */
    rounds,
    /** Page over feed req/s in the bursts, median over the measured rounds. */
    burstRatio: median(measured.map((r) => r.ratio)),
    burstP99Ratio: median(measured.map((r) => r.page.latencyMs.p99 / r.feed.latencyMs.p99)),
    sustained: {
      feed: feedWrk,
      page: pageWrk,
      ratio: pageWrk.requestsPerSecond / feedWrk.requestsPerSecond,
    },
  };
}

export default {
  name: "stampede",
  summary: "1,000 clients at a story's page right after its publish, vs the warm feed",
  timeoutMinutes: 10,
  async run(context) {
    const results = await measure(context);
    const goals = stampedeGoals(results);
    return { results: { ...results, goals }, report: formatStampedeReport(results, goals) };
  },
} satisfies Scenario;
