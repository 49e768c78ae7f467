/**
 * Fan-out: one story to 10,000 followers on 1,000 loopback hosts (shared inboxes), next to the
 * raw limit measured in the same run: the same signed POSTs from a minimal node:crypto +
 * keep-alive node:http loop. Processes: a throwaway PostgreSQL, the peer farm (farm-child.ts),
 * Tidings (one process per configuration) and the raw sender (raw-child.ts), each measured
 * separately from /proc. bench/README.md says what a run does and lists its settings.
 */
import type pg from "pg";
import { freePort } from "../../test/support/free-port.ts";
import { startNodeChild } from "../harness/children.ts";
import { HttpClient } from "../harness/http-client.ts";
import { benchPool, startPostgres, statementsPer, waitForEmptyQueue } from "../harness/postgres.ts";
import { memoryOf, startCpuMeter } from "../harness/procfs.ts";
import {
  type BenchContext,
  envNumber,
  envNumbers,
  envText,
  type FarmRig,
  type Scenario,
} from "../harness/scenario.ts";
import { postArticle, printedLines, startTidings, type TidingsServer } from "../harness/tidings.ts";
import type { FarmReady, FarmSnapshot, RawRunResult } from "./fanout/protocol.ts";
import { fanoutGoals, formatFanoutReport } from "./fanout/report.ts";

const ADMIN_TOKEN = "fanout-bench-admin-token-0123456789";
/**
 * BENCH_SQL_TOP=N: after each push, log the N statements Tidings ran most (cumulative since the
 * cluster started): what "SQL per delivery" is made of.
 */
const SQL_TOP = envNumber("BENCH_SQL_TOP", 0);

/**
 * Tidings' settings per configuration measured (FANOUT_CONFIGS): `default` is what a fresh
 * install runs (DELIVERY_CONCURRENCY, DELIVERY_PER_HOST and DELIVERY_SIGNING unset); the others
 * change one thing, so the report shows what it is worth.
 */
const CONFIGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  default: {},
  "event-loop-signing": { DELIVERY_SIGNING: "event-loop" },
  "concurrency-32": { DELIVERY_CONCURRENCY: "32" },
};
/**
 * One push within a server's life. cold: the first push of a fresh server, the hosts' key caches
 * emptied (each host fetches the feed's key), or for the raw loop fresh connections and emptied
 * key caches; warm: a later push (connections and caches as the previous push left them).
 */
export interface Step {
  readonly temperature: "cold" | "warm";
  readonly delayMs: number;
  readonly clearKeyCaches: boolean;
}

export type FanoutResults = Awaited<ReturnType<typeof measure>>;
export type TidingsRun = Awaited<ReturnType<typeof pushOnce>> & { config: string };
export type RawRun = Awaited<ReturnType<typeof rawOnce>>;

interface Rig extends FarmRig<FarmReady> {
  readonly runTimeoutMs: number;
}

/** What one measured fan-out needs: the farm, the database, the budget (no raw sender). */
export type FanoutTarget = Pick<Rig, "context" | "postgres" | "db" | "farm" | "runTimeoutMs">;

/** Sets the inboxes up for `step` and waits for other load to pass. */
async function prepareStep(rig: FanoutTarget, step: Step) {
  await rig.farm.request({ type: "configure", inboxDelayMs: step.delayMs });
  if (step.clearKeyCaches) await rig.farm.request({ type: "clearKeyCaches" });
  await rig.farm.request({ type: "reset" });
  await rig.context.quiet.wait({ threshold: 0.2, measured: { postgres: rig.postgres.pid } });
  return (pid: number) =>
    startCpuMeter({ process: pid, postgres: rig.postgres.pid, farm: rig.farm.pid });
}

/** One push: publish, wait until every host has it and the queue is empty; CPU, SQL, memory. */
function pushOnce(rig: Rig, server: TidingsServer, client: HttpClient, step: Step, n: number) {
  return fanOutOnce(rig, server, step, async () => {
    const id = await postArticle(client, ADMIN_TOKEN, storyInput(n));
    return `${server.origin}/ap/feeds/world/articles/${id}/revisions/1/create`;
  });
}

/**
 * One measured fan-out: `publish` makes Tidings send something (it returns the id of the
 * activity every host is to get); then waits until every host has it and the queue is empty.
 * CPU, SQL statements and memory over that time.
 */
export async function fanOutOnce(
  rig: FanoutTarget,
  server: TidingsServer,
  step: Step,
  publish: () => Promise<string>,
) {
  const meter = await prepareStep(rig, step);
  const statements = await rig.postgres.statements();
  const cpuMeter = meter(server.child.pid);
  const startedAt = Date.now();
  const t0 = performance.now();
  const activityId = await publish();
  const publishMs = performance.now() - t0;
  const timeoutMs = rig.runTimeoutMs;
  const waitAll = { type: "waitAll", activityId, timeoutMs };
  const done = await rig.farm.request<FarmSnapshot>(waitAll, timeoutMs + 10_000);
  const drainedAt = await waitForEmptyQueue(rig.db);
  const cpu = cpuMeter.stop();
  const { deliveries, duplicates, rejected, firstDeliveryAt, lastDeliveryAt } = done.stats;
  const sql = statementsPer(statements, await rig.postgres.statements(), deliveries);
  for (const { calls, query } of SQL_TOP > 0 ? await rig.postgres.topStatements(SQL_TOP) : []) {
    rig.context.log(
      `  sql ${String(calls).padStart(7)}  ${query.replace(/\s+/g, " ").slice(0, 160)}`,
    );
  }
  const allHostsMs = (lastDeliveryAt ?? done.at) - startedAt;
  return {
    temperature: step.temperature,
    delayMs: step.delayMs,
    publishMs,
    firstDeliveryMs: (firstDeliveryAt ?? done.at) - startedAt,
    allHostsMs,
    drainedMs: drainedAt - startedAt,
    hosts: done.hostsReceived,
    deliveries,
    duplicates,
    rejected,
    deliveriesPerSec: deliveries / (allHostsMs / 1000),
    serverCpuMsPerDelivery: (cpu.ms.process ?? 0) / deliveries,
    postgresCpuMsPerDelivery: (cpu.ms.postgres ?? 0) / deliveries,
    serverCores: cpu.cores.process ?? 0,
    machineBusyCores: cpu.machine,
    otherCores: cpu.other,
    sqlPerDelivery: sql,
    keyFetches: done.keyFetches,
    peakRssMiB: memoryOf(server.child.pid).peakMiB,
  };
}

/** The raw sender once: the same POSTs to every shared inbox, at the same concurrency. */
async function rawOnce(rig: Rig, concurrency: number, step: Step, body: string) {
  const meter = await prepareStep(rig, step);
  const cpuMeter = meter(rig.raw.pid);
  const result = await rig.raw.request<RawRunResult>(
    {
      type: "run",
      targets: [...new Set(rig.ready.actors.map((a) => a.sharedInbox ?? a.inbox))],
      concurrency,
      body,
      signer: rig.ready.signer,
      label: `c${concurrency}-d${step.delayMs}-${step.temperature}-${Date.now()}`,
      freshConnections: step.temperature === "cold",
    },
    rig.runTimeoutMs,
  );
  const done = await rig.farm.request<FarmSnapshot>({ type: "snapshot" });
  const cpu = cpuMeter.stop();
  return {
    concurrency,
    delayMs: step.delayMs,
    temperature: step.temperature,
    ...result,
    accepted: done.stats.deliveries,
    deliveriesPerSec: result.ok / (result.elapsedMs / 1000),
    senderCpuMsPerDelivery: (cpu.ms.process ?? 0) / result.sent,
    otherCores: cpu.other,
  };
}

/** The fan-out's settings from the environment (FANOUT_*), for `npm run bench -- fanout`. */
function fanoutSettings(quick: boolean) {
  return {
    hosts: envNumber("FANOUT_HOSTS", 1000),
    actorsPerHost: envNumber("FANOUT_ACTORS_PER_HOST", 10),
    firstAddress: envText("FANOUT_FIRST_ADDRESS", "127.0.64.1"),
    /** Tidings' configurations: its defaults, and each named variation of them. */
    configs: envText("FANOUT_CONFIGS", quick ? "default" : "default,event-loop-signing")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name in CONFIGS),
    /** The raw loop's POSTs in flight. */
    rawConcurrency: envNumber("FANOUT_RAW_CONCURRENCY", 128),
    delaysMs: envNumbers("FANOUT_DELAYS", quick ? [0, 500] : [0, 100, 500]),
    warmRepeats: envNumber("FANOUT_REPEATS", quick ? 1 : 3),
  };
}
export type FanoutSettings = ReturnType<typeof fanoutSettings>;

/** Measures one fan-out set-up; `settings` other than the fan-out's own for other scenarios. */
export async function measure(
  context: BenchContext,
  settings: FanoutSettings = fanoutSettings(context.quick),
) {
  const { log } = context;
  const startedAt = Date.now();

  const postgres = await startPostgres("tidings_fanout");
  context.defer(() => postgres.stop());
  const counting = (await postgres.statements())
    ? "pg_stat_statements"
    : "nothing (no pg_stat_statements)";
  log(`PostgreSQL ${postgres.version}; SQL statements counted by ${counting}`);
  const db = benchPool(postgres, context);
  const { farm, ready } = await startFarm(log, settings);
  const raw = startNodeChild("raw", "bench/scenarios/fanout/raw-child.ts", { ipc: true });
  const rig: Rig = { context, postgres, db, farm, raw, ready, runTimeoutMs: 180_000 };
  // The same port for every server: it is in PUBLIC_URL, so in the key id the hosts cached.
  const port = await freePort();

  const tidings: TidingsRun[] = [];
  const rawRuns: RawRun[] = [];
  let sampleBody: string | null = null;
  let story = 0;

  /** One Tidings process: `steps` pushes in a row. */
  const tidingsSession = async (config: string, steps: Step[]) => {
    const name = `tidings-${config}`;
    const server = await startTidings({
      name,
      adminToken: ADMIN_TOKEN,
      databaseUrl: postgres.url,
      port,
      env: { ...CONFIGS[config], FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    });
    const client = new HttpClient(server.origin);
    try {
      if (story === 0) await insertFollowers(db, ready);
      // A first request, so the publish call does not pay for this client's connection set-up.
      await client.request("/healthz");
      for (const step of steps) {
        const run = { config, ...(await pushOnce(rig, server, client, step, ++story)) };
        tidings.push(run);
        log(
          `${name}, ${run.delayMs} ms inboxes, ${run.temperature}: ${run.hosts} hosts in ${run.allHostsMs} ms, ` +
            `${run.serverCpuMsPerDelivery.toFixed(2)} CPU ms/delivery, others ${run.otherCores.toFixed(2)}`,
        );
        sampleBody ??= (await farm.request<{ body: string | null }>({ type: "sample" })).body;
      }
    } finally {
      await client.close();
      await server.stop();
      const printed = printedLines(server);
      if (printed.length > 0)
        log(`${name} printed ${printed.length} lines, the last: ${printed.slice(-3).join(" | ")}`);
    }
  };
  const rawSession = async (concurrency: number, steps: Step[]) => {
    if (sampleBody === null) throw new Error("no Create was captured to size the raw POSTs");
    for (const step of steps) {
      const run = await rawOnce(rig, concurrency, step, sampleBody);
      rawRuns.push(run);
      log(
        `raw c=${concurrency}, ${run.delayMs} ms inboxes, ${run.temperature}: ${run.ok}/${run.sent} in ${run.elapsedMs.toFixed(0)} ms`,
      );
    }
  };

  const [firstDelay = 0] = settings.delaysMs;
  const warm = (repeats: number) =>
    settings.delaysMs.flatMap((delayMs) =>
      Array.from(
        { length: repeats },
        (): Step => ({ temperature: "warm", delayMs, clearKeyCaches: false }),
      ),
    );
  const cold: Step = { temperature: "cold", delayMs: firstDelay, clearKeyCaches: true };
  // Per configuration a fresh server: one cold push (every host fetches the feed's key), then
  // warm ones per inbox delay; the raw loop at its concurrency likewise. The raw runs need the
  // size of a real Create, so one server comes first.
  const [firstConfig = "default", ...otherConfigs] = settings.configs;
  await tidingsSession(firstConfig, [cold, ...warm(settings.warmRepeats)]);
  await rawSession(settings.rawConcurrency, [cold, ...warm(settings.warmRepeats)]);
  for (const config of otherConfigs) {
    await tidingsSession(config, [cold, ...warm(settings.warmRepeats)]);
  }
  return {
    durationSeconds: (Date.now() - startedAt) / 1000,
    settings,
    postgres: postgres.version,
    rawBodyBytes: rawRuns[0]?.bodyBytes ?? 0,
    tidings,
    raw: rawRuns,
  };
}

/** The peer farm (fanout/farm-child.ts): `hosts` loopback hosts of `actorsPerHost` actors. */
export async function startFarm(
  log: (line: string) => void,
  where: { hosts: number; actorsPerHost: number; firstAddress: string },
) {
  const farm = startNodeChild("farm", "bench/scenarios/fanout/farm-child.ts", { ipc: true });
  const { hosts, actorsPerHost, firstAddress } = where;
  const ready = await farm.request<FarmReady>({
    type: "start",
    hosts,
    actorsPerHost,
    firstAddress,
  });
  log(`peer farm: ${hosts} hosts from ${firstAddress}, ${ready.actors.length} actors`);
  return { farm, ready };
}

/** Once Tidings has migrated the database: 10,000 followers of `world`, one per farm actor. */
export async function insertFollowers(db: pg.Pool, { actors }: FarmReady): Promise<void> {
  await db.query(
    `insert into followers (feed_slug, actor_id, inbox_url, shared_inbox_url, follow_id, created_at)
     select 'world', a, i, s, null, now() from unnest($1::text[], $2::text[], $3::text[]) as t (a, i, s)`,
    [actors.map((a) => a.id), actors.map((a) => a.inbox), actors.map((a) => a.sharedInbox)],
  );
}

/** A story of about the size of a real one (≈2.5 KB of HTML). */
export function storyInput(n: number) {
  const paragraph =
    "<p>Negotiators meeting in Geneva agreed on Tuesday to a ceasefire that is to take effect " +
    "at midnight, after three days of talks that both delegations described as difficult. The " +
    "agreement covers the northern provinces and provides for monitors, humanitarian corridors " +
    "and an exchange of prisoners within two weeks.</p>";
  return {
    headline: `Ceasefire agreed after three days of talks (fan-out bench #${n})`,
    standfirst: "Monitors, corridors and a prisoner exchange are part of the deal.",
    bodyHtml: paragraph.repeat(7),
    authors: [{ name: "Bench Reporter" }],
    tags: ["diplomacy", "ceasefire"],
    feeds: ["world"],
  };
}

export default {
  name: "fanout",
  summary: "one story to 10,000 followers on 1,000 loopback hosts vs a raw signing loop",
  timeoutMinutes: 15,
  async run(context) {
    const results = await measure(context);
    const goals = fanoutGoals(results);
    return { results: { ...results, goals }, report: formatFanoutReport(results, goals) };
  },
} satisfies Scenario;
