/**
 * WebSub: one publish to a feed with 2,000 subscriptions on 500 loopback hosts (4 callbacks
 * each, every one with a secret), timed until the last subscriber has a correctly signed new
 * document, next to the raw loop in the same run: HMAC + POST of the same bytes with the same
 * headers and concurrency, no database or queue (websub/raw-child.ts). Subscribers answer at
 * once, then after 200 ms. Processes: a throwaway PostgreSQL, the subscriber farm
 * (websub/farm-child.ts), Tidings (one process per concurrency) and the raw sender.
 */
import type pg from "pg";
import { DEFAULT_LIMITS } from "../../src/config.ts";
import { freePort } from "../../test/support/free-port.ts";
import { type Child, startNodeChild } from "../harness/children.ts";
import { HttpClient } from "../harness/http-client.ts";
import { benchPool, startPostgres, statementsPer, waitForEmptyQueue } from "../harness/postgres.ts";
import { memoryOf, startCpuMeter } from "../harness/procfs.ts";
import { fixed, formatGoals, type Goal, median, table, tableOf } from "../harness/report.ts";
import {
  type BenchContext,
  envNumber,
  envNumbers,
  envText,
  type FarmRig,
  type Scenario,
} from "../harness/scenario.ts";
import { postArticle, printedLines, startTidings } from "../harness/tidings.ts";
import type { FarmReady, FarmStats, RawRunRequest, RawRunResult } from "./websub/protocol.ts";

const ADMIN_TOKEN = "websub-bench-admin-token-0123456789";
const GOAL_RATIO = 0.5;
const GOAL_LAST_MS = 3_000;
/** What `npm start` runs: the goals are checked there, the other concurrencies show the scaling. */
const DEFAULT_CONCURRENCY = DEFAULT_LIMITS.websubConcurrency;

/** One configuration: WEBSUB_CONCURRENCY (and the raw loop's) and the subscribers' delay. */
interface Config {
  readonly concurrency: number;
  readonly delayMs: number;
}

type Rig = FarmRig<FarmReady>;

type TidingsRun = Awaited<ReturnType<typeof pushOnce>>;
type Connections = RawRunRequest["connections"];
type RawRun = RawRunResult &
  Config & { readonly connections: Connections; readonly otherCores: number; senderCpuMs: number };

async function quiet(rig: Rig) {
  await rig.context.quiet.wait({ threshold: 0.2, measured: { postgres: rig.postgres.pid } });
}

/** One publish: until every callback has the new document (and the queue is empty). */
async function pushOnce(
  rig: Rig,
  client: HttpClient,
  server: Child,
  config: Config,
  marker: string,
) {
  const expected = rig.ready.callbacks.length;
  await rig.farm.request({ type: "reset", delayMs: config.delayMs, marker, expected });
  await quiet(rig);
  const statements = await rig.postgres.statements();
  const cpu = startCpuMeter({ server: server.pid, postgres: rig.postgres.pid });
  const startedAt = Date.now();
  await postArticle(client, ADMIN_TOKEN, storyInput(marker));
  const returnedAt = Date.now();
  const timeoutMs = 120_000;
  const done = await rig.farm.request<FarmStats>({ type: "waitAll", timeoutMs }, timeoutMs + 5_000);
  await waitForEmptyQueue(rig.db);
  const used = cpu.stop();
  const lastAt = done.lastServedAt ?? Date.now();
  return {
    ...config,
    publishMs: returnedAt - startedAt,
    firstMs: (done.firstAt ?? lastAt) - startedAt,
    /** From the publish call's start: what the raw loop is compared with. */
    allMs: lastAt - startedAt,
    /** From the publish call's return: the "within 3 s" goal. */
    lastAfterReturnMs: lastAt - returnedAt,
    served: done.served,
    posts: done.posts,
    badSignatures: done.badSignatures,
    bodyBytes: done.bodyBytes,
    serverCpuMsPerDelivery: (used.ms.server ?? 0) / expected,
    postgresCpuMsPerDelivery: (used.ms.postgres ?? 0) / expected,
    sqlPerDelivery: statementsPer(statements, await rig.postgres.statements(), expected),
    otherCores: used.other,
    peakRssMiB: memoryOf(server.pid).peakMiB,
  };
}

/** The raw loop once, on the document Tidings serves (and sent) now. */
async function rawOnce(
  rig: Rig,
  origin: string,
  config: Config,
  marker: string,
  connections: Connections,
): Promise<RawRun> {
  // The document of the last push, which holds its marker.
  const response = await fetch(`${origin}/feeds/world.rss`);
  const body = Buffer.from(await response.arrayBuffer());
  await rig.farm.request({
    type: "reset",
    delayMs: config.delayMs,
    marker,
    expected: rig.ready.callbacks.length,
  });
  await quiet(rig);
  const cpu = startCpuMeter({ raw: rig.raw.pid });
  const result = await rig.raw.request<RawRunResult>(
    {
      type: "run",
      callbacks: rig.ready.callbacks,
      concurrency: config.concurrency,
      body: body.toString("base64"),
      contentType: response.headers.get("content-type") ?? "application/rss+xml",
      link: response.headers.get("link") ?? "",
      connections,
    } satisfies RawRunRequest & { type: "run" },
    180_000,
  );
  const used = cpu.stop();
  const served = await rig.farm.request<FarmStats>({ type: "stats" });
  if (served.served !== rig.ready.callbacks.length) {
    throw new Error(`the raw loop served ${served.served}/${rig.ready.callbacks.length}`);
  }
  return {
    ...config,
    ...result,
    connections,
    otherCores: used.other,
    senderCpuMs: (used.ms.raw ?? 0) / result.sent,
  };
}

async function measure(context: BenchContext) {
  const { log, quick } = context;
  const startedAt = Date.now();
  const warmups = envNumber("WEBSUB_BENCH_WARMUPS", quick ? 0 : 2);
  const settings = {
    hosts: envNumber("WEBSUB_BENCH_HOSTS", 500),
    perHost: envNumber("WEBSUB_BENCH_PER_HOST", 4),
    firstAddress: envText("WEBSUB_BENCH_FIRST_ADDRESS", "127.0.96.1"),
    concurrencies: envNumbers(
      "WEBSUB_BENCH_CONCURRENCY",
      quick ? [DEFAULT_CONCURRENCY] : [16, 128, DEFAULT_CONCURRENCY],
    ),
    /**
     * Subscribers that answer after a delay are measured at the default concurrency (or, when
     * WEBSUB_BENCH_CONCURRENCY leaves it out, the highest) only.
     */
    delaysMs: envNumbers("WEBSUB_BENCH_DELAYS", [0, 200]),
    repeats: envNumber("WEBSUB_BENCH_REPEATS", quick ? 1 : 3),
    /**
     * Pushes after the cold one that are not measured: a fresh process's first pushes carry
     * its JIT warm-up (c=128, one run: 783, 505, 451 ms, then 321-357 ms from the fourth on),
     * and a server runs for days. Both sides get them; every push is listed in the report.
     */
    warmups,
    /** Raw runs of each kind not measured: the warm-ups, at least one (it opens the kept connections). */
    rawWarmups: Math.max(1, warmups),
  };
  const postgres = await startPostgres("tidings_websub");
  context.defer(() => postgres.stop());
  const db = benchPool(postgres, context);
  const farm = startNodeChild("subscribers", "bench/scenarios/websub/farm-child.ts", { ipc: true });
  const ready = await farm.request<FarmReady>({
    type: "start",
    hosts: settings.hosts,
    perHost: settings.perHost,
    firstAddress: settings.firstAddress,
  });
  log(`subscribers: ${ready.callbacks.length} callbacks on ${settings.hosts} hosts`);
  const raw = startNodeChild("raw", "bench/scenarios/websub/raw-child.ts", { ipc: true });
  const rig: Rig = { context, postgres, db, farm, raw, ready };
  // One port for every server: the topic URL (PUBLIC_URL) is in the stored subscriptions.
  const port = await freePort();
  const delayedAt = settings.concurrencies.includes(DEFAULT_CONCURRENCY)
    ? DEFAULT_CONCURRENCY
    : Math.max(...settings.concurrencies);
  const configs: Config[] = settings.delaysMs.flatMap((delayMs) =>
    settings.concurrencies
      .filter((concurrency) => delayMs === 0 || concurrency === delayedAt)
      .map((concurrency) => ({ concurrency, delayMs })),
  );

  const tidings: (TidingsRun & { temperature: "cold" | "warm-up" | "warm" })[] = [];
  const rawRuns: RawRun[] = [];
  let story = 0;
  let subscribed = false;
  for (const concurrency of settings.concurrencies) {
    const name = `tidings-c${concurrency}`;
    const server = await startTidings({
      name,
      adminToken: ADMIN_TOKEN,
      databaseUrl: postgres.url,
      port,
      env: { WEBSUB_CONCURRENCY: String(concurrency), FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    });
    const client = new HttpClient(server.origin);
    try {
      if (!subscribed) await insertSubscriptions(db, server.origin, ready);
      subscribed = true;
      await client.request("/healthz");
      for (const config of configs.filter((c) => c.concurrency === concurrency)) {
        // The first push of a configuration opens the connections, the warm-ups warm the JIT;
        // the rest are measured.
        let marker = "";
        for (let i = 0; i <= settings.warmups + settings.repeats; i++) {
          marker = `websub bench #${++story} ${Date.now()}`;
          const run = await pushOnce(rig, client, server.child, config, marker);
          const temperature = i === 0 ? "cold" : i <= settings.warmups ? "warm-up" : "warm";
          tidings.push({ ...run, temperature });
          log(
            `${name}, subscribers ${config.delayMs} ms, ${temperature}: ${run.served} served, ` +
              `last ${run.lastAfterReturnMs} ms after the publish returned (publish ${run.publishMs} ms)`,
          );
        }
        // The baseline opens its connections per run, as a push does; the kept runs show what
        // connections left open from the run before would be worth (the first one opens them).
        for (const connections of ["fresh", "kept"] as const) {
          for (let i = 0; i < settings.rawWarmups + settings.repeats; i++) {
            const run = await rawOnce(rig, server.origin, config, marker, connections);
            if (i < settings.rawWarmups) continue;
            rawRuns.push(run);
            log(
              `raw c=${concurrency}, ${config.delayMs} ms, ${connections} connections: ` +
                `${run.ok}/${run.sent} in ${run.elapsedMs.toFixed(0)} ms`,
            );
          }
        }
      }
    } finally {
      await client.close();
      await server.stop();
      const printed = printedLines(server);
      if (printed.length > 0) log(`${name} printed: ${printed.slice(-3).join(" | ")}`);
    }
  }
  return {
    durationSeconds: (Date.now() - startedAt) / 1000,
    settings,
    postgres: postgres.version,
    tidings,
    raw: rawRuns,
  };
}

type WebSubResults = Awaited<ReturnType<typeof measure>>;

/** Warm medians of one configuration, next to the raw loop's. */
function aggregate(results: WebSubResults, config: Config) {
  const same = (r: Config) => r.concurrency === config.concurrency && r.delayMs === config.delayMs;
  const runs = results.tidings.filter((r) => same(r) && r.temperature === "warm");
  const raws = results.raw.filter((r) => same(r) && r.connections === "fresh");
  const kept = results.raw.filter((r) => same(r) && r.connections === "kept");
  const of = (pick: (r: TidingsRun) => number) => median(runs.map(pick));
  const allMs = of((r) => r.allMs);
  const rawMs = median(raws.map((r) => r.elapsedMs));
  return {
    ...config,
    runs: runs.length,
    publishMs: of((r) => r.publishMs),
    firstMs: of((r) => r.firstMs),
    allMs,
    lastAfterReturnMs: of((r) => r.lastAfterReturnMs),
    rawMs,
    ratio: rawMs / allMs,
    rawKeptMs: median(kept.map((r) => r.elapsedMs)),
    posts: of((r) => r.posts),
    badSignatures: Math.max(0, ...runs.map((r) => r.badSignatures)),
    serverCpuMsPerDelivery: of((r) => r.serverCpuMsPerDelivery),
    postgresCpuMsPerDelivery: of((r) => r.postgresCpuMsPerDelivery),
    rawCpuMsPerDelivery: median(raws.map((r) => r.senderCpuMs)),
    sqlPerDelivery: of((r) => r.sqlPerDelivery),
    otherCores: median([...runs, ...raws].map((r) => r.otherCores)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
}

const f0 = (n: number) => fixed(n, 0);
const f2 = (n: number) => fixed(n, 2);
const answering = (ms: number) => (ms === 0 ? "at once" : `after ${ms} ms`);

function configsOf(results: WebSubResults): Config[] {
  const keys = new Set(results.tidings.map((r) => `${r.concurrency}/${r.delayMs}`));
  return [...keys].map((key) => {
    const [concurrency = 0, delayMs = 0] = key.split("/").map(Number);
    return { concurrency, delayMs };
  });
}

/** Goals at the default concurrency (or all measured ones, when the run left it out). */
function websubGoals(results: WebSubResults): Goal[] {
  const configs = configsOf(results);
  const atDefault = configs.filter((config) => config.concurrency === DEFAULT_CONCURRENCY);
  return (atDefault.length > 0 ? atDefault : configs).flatMap((config): Goal[] => {
    const a = aggregate(results, config);
    const label = `c=${a.concurrency}, subscribers answering ${answering(a.delayMs)}`;
    return [
      {
        name: `${label}: speed vs raw loop`,
        goal: `>= ${GOAL_RATIO.toFixed(2)}x`,
        measured: `${f2(a.ratio)}x (${f0(a.allMs)} ms vs raw ${f0(a.rawMs)} ms)`,
        pass: a.ratio >= GOAL_RATIO,
        reliable: a.otherCores <= 0.2,
      },
      {
        name: `${label}: last subscriber after the push returned`,
        goal: `<= ${GOAL_LAST_MS} ms`,
        measured: `${f0(a.lastAfterReturnMs)} ms`,
        pass: a.lastAfterReturnMs <= GOAL_LAST_MS,
        reliable: a.otherCores <= 0.2,
      },
    ];
  });
}

function formatReport(results: WebSubResults, goals: readonly Goal[]): string {
  const s = results.settings;
  const all = configsOf(results).map((config) => aggregate(results, config));
  const bodyBytes = results.tidings[0]?.bodyBytes ?? 0;
  return [
    `WebSub (${results.durationSeconds.toFixed(0)} s): one publish to ${s.hosts * s.perHost} subscriptions on ` +
      `${s.hosts} loopback hosts (${s.perHost} callbacks each, all with a secret), a ${bodyBytes}-byte RSS document.`,
    `  Tidings as \`npm start\` runs it, on PostgreSQL ${results.postgres}; WEBSUB_CONCURRENCY = c (default ` +
      `${DEFAULT_CONCURRENCY}: the goals; the others show how it scales). Timed from the publish call until the`,
    "  last callback has a correctly signed body holding the new story.",
    "  Raw loop: HMAC-SHA256 + POST of the same bytes and headers over keep-alive node:http, c at a time, on",
    "  connections it opens per run, as a push does (Tidings closes idle ones after 1.5 s; publishes come",
    "  minutes apart). Raw kept: the same on the connections of the run before, kept open (not a goal).",
    `  Medians of ${s.repeats} warm pushes (after one that opens the connections and ${s.warmups} that warm the JIT, ` +
      `listed below) and of as many raw runs of each kind (after ${s.rawWarmups} unmeasured).`,
    "",
    "Goals:",
    formatGoals(goals),
    "",
    tableOf(all, [
      ["c", (a) => String(a.concurrency)],
      ["subscribers", (a) => answering(a.delayMs)],
      ["n", (a) => String(a.runs)],
      ["publish ms", (a) => f0(a.publishMs)],
      ["first ms", (a) => f0(a.firstMs)],
      ["all ms", (a) => f0(a.allMs)],
      ["after return ms", (a) => f0(a.lastAfterReturnMs)],
      ["raw ms", (a) => f0(a.rawMs)],
      ["ratio", (a) => f2(a.ratio)],
      ["raw kept ms", (a) => f0(a.rawKeptMs)],
      ["POSTs", (a) => f0(a.posts)],
      ["bad sig", (a) => f0(a.badSignatures)],
      ["CPU ms/d", (a) => f2(a.serverCpuMsPerDelivery)],
      ["pg ms/d", (a) => f2(a.postgresCpuMsPerDelivery)],
      ["raw CPU ms/d", (a) => f2(a.rawCpuMsPerDelivery)],
      ["SQL/d", (a) => f2(a.sqlPerDelivery)],
      ["others", (a) => f2(a.otherCores)],
      ["peak RSS", (a) => f0(a.peakRssMiB)],
    ]),
    "",
    table([
      ["every push", "c", "subscribers", "all ms", "after return ms"],
      ...results.tidings.map((r) => [
        r.temperature,
        String(r.concurrency),
        answering(r.delayMs),
        f0(r.allMs),
        f0(r.lastAfterReturnMs),
      ]),
    ]),
  ].join("\n");
}

/** Verified subscriptions of world.rss, as the hub stores them, one per farm callback. */
async function insertSubscriptions(db: pg.Pool, origin: string, { callbacks }: FarmReady) {
  await db.query(
    `insert into websub_subscriptions (feed_slug, format, topic, callback, callback_host, secret,
       lease_seconds, expires_at, verified_at)
     select 'world', 'rss', $1, c, h, s, 864000, now() + interval '10 days', now()
     from unnest($2::text[], $3::text[], $4::text[]) as t (c, h, s)`,
    [
      `${origin}/feeds/world.rss`,
      callbacks.map((c) => c.url),
      callbacks.map((c) => c.host),
      callbacks.map((c) => c.secret),
    ],
  );
}

/** A story of about the size of a real one; the marker lets the farm recognise the document. */
function storyInput(marker: string) {
  const paragraph =
    "<p>Negotiators meeting in Geneva agreed on Tuesday to a ceasefire that is to take effect " +
    "at midnight, after three days of talks that both delegations described as difficult.</p>";
  return {
    headline: `Ceasefire agreed (${marker})`,
    standfirst: "Monitors, corridors and a prisoner exchange are part of the deal.",
    bodyHtml: paragraph.repeat(12),
    authors: [{ name: "Bench Reporter" }],
    feeds: ["world"],
  };
}

export default {
  name: "websub",
  summary:
    "one publish to 2,000 WebSub subscriptions on 500 loopback hosts vs a raw HMAC + POST loop",
  timeoutMinutes: 10,
  async run(context) {
    const results = await measure(context);
    const goals = websubGoals(results);
    return { results: { ...results, goals }, report: formatReport(results, goals) };
  },
} satisfies Scenario;
