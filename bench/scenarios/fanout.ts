/**
 * Fan-out: one story to 10,000 followers on 1,000 loopback hosts (shared inboxes), next to the
 * raw limit measured in the same run: the same signed POSTs from a minimal node:crypto +
 * keep-alive node:http loop. Processes: a throwaway PostgreSQL, the peer farm (farm-child.ts),
 * Tidings (one process per configuration) and the raw sender (raw-child.ts), each measured
 * separately from /proc. See bench/README.md for what a run does and its settings.
 */
import path from "node:path";
import pg from "pg";
import { freePort } from "../../test/support/free-port.ts";
import { startNodeChild } from "../harness/children.ts";
import { HttpClient } from "../harness/http-client.ts";
import { startPostgres, statementsPer } from "../harness/postgres.ts";
import { memoryOf, startCpuMeter } from "../harness/procfs.ts";
import { type ProfileSummary, profileClockUs, summarizeProfile } from "../harness/profile.ts";
import { type BenchContext, envNumber, envNumbers, type Scenario } from "../harness/scenario.ts";
import { postArticle, printedLines, startTidings, type TidingsServer } from "../harness/tidings.ts";
import type { FarmReady, FarmSnapshot, RawRunResult } from "./fanout/protocol.ts";
import { bestConcurrency, fanoutGoals, formatFanoutReport } from "./fanout/report.ts";

const ADMIN_TOKEN = "fanout-bench-admin-token-0123456789";
/** The variants compared at the best concurrency, by the DELIVERY_SENDER they run with. */
const SENDERS: Record<string, "direct" | "fedify"> = {
  control: "direct",
  "fedify-sender": "fedify",
};

/**
 * cold: the first push of a fresh server process, with the hosts' key caches emptied (each host
 * fetches the feed's key), or for the raw loop fresh connections and emptied key caches;
 * first: the first push of a fresh server process, the hosts know the key already (a warm-up);
 * warm: a later push (connections and caches as the previous push left them).
 */
export type Temperature = "cold" | "first" | "warm";
/** One push within a server's life: what the inboxes do, and whether their key caches empty. */
interface Step {
  readonly temperature: Temperature;
  readonly delayMs: number;
  readonly clearKeyCaches: boolean;
}

export type FanoutResults = Awaited<ReturnType<typeof measure>>;
export type TidingsRun = Awaited<ReturnType<Awaited<ReturnType<typeof prepare>>["tidingsPush"]>>;
export type RawRun = Awaited<ReturnType<Awaited<ReturnType<typeof prepare>>["rawRun"]>>;

function settingsFor(quick: boolean) {
  const experiments = (process.env.FANOUT_EXPERIMENTS ?? "control,fedify-sender")
    .split(",")
    .map((v) => v.trim());
  for (const variant of experiments.filter(Boolean)) {
    if (!SENDERS[variant])
      throw new Error(`unknown experiment ${variant} (try ${Object.keys(SENDERS).join(", ")})`);
  }
  return {
    hosts: envNumber("FANOUT_HOSTS", 1000),
    actorsPerHost: envNumber("FANOUT_ACTORS_PER_HOST", 10),
    firstAddress: process.env.FANOUT_FIRST_ADDRESS ?? "127.0.64.1",
    concurrencies: envNumbers("FANOUT_CONCURRENCY", quick ? [32] : [32, 64, 128]),
    delaysMs: envNumbers("FANOUT_DELAYS", [0, 100]),
    /** Warm pushes per inbox delay, per baseline server process; the same for the experiments. */
    warmRepeats: envNumber("FANOUT_REPEATS", quick ? 1 : 3),
    experimentRepeats: envNumber("FANOUT_EXPERIMENT_REPEATS", 1),
    experiments: experiments.filter(Boolean),
    cpuProfile: process.env.FANOUT_CPU_PROF !== "0",
    runTimeoutMs: 180_000,
  };
}

/** Starts PostgreSQL, the farm and the raw sender; returns the ways to measure against them. */
async function prepare(context: BenchContext, settings: ReturnType<typeof settingsFor>) {
  const { log } = context;
  const postgres = await startPostgres("tidings_fanout");
  context.defer(() => postgres.stop());
  log(
    `PostgreSQL ${postgres.version}; SQL statements counted by ${(await postgres.statements()) ? "pg_stat_statements" : "nothing (no pg_stat_statements)"}`,
  );
  const db = new pg.Pool({ connectionString: postgres.adminUrl, max: 2 });
  // The pool drops an idle connection the server closed; unhandled, this event would crash.
  db.on("error", (error) => log(`bench pool: ${error.message}`));
  context.defer(() => db.end());
  const farm = startNodeChild("farm", "bench/scenarios/fanout/farm-child.ts", { ipc: true });
  const { hosts, actorsPerHost, firstAddress } = settings;
  const ready = await farm.request<FarmReady>(
    { type: "start", hosts, actorsPerHost, firstAddress },
    180_000,
  );
  log(
    `peer farm: ${hosts} hosts from ${firstAddress}, ${ready.actors.length} actors, started in ${(ready.startupMs / 1000).toFixed(1)} s`,
  );
  const raw = startNodeChild("raw", "bench/scenarios/fanout/raw-child.ts", { ipc: true });
  const sharedInboxes = [...new Set(ready.actors.map((a) => a.sharedInbox ?? a.inbox))];
  let followersInserted = false;
  let storyNumber = 0;
  const quiet = () => context.quiet.wait({ threshold: 0.2, measured: { postgres: postgres.pid } });
  const meter = (pid: number) =>
    startCpuMeter({ process: pid, postgres: postgres.pid, farm: farm.pid });
  const configure = async (step: Step) => {
    await farm.request({ type: "configure", inboxDelayMs: step.delayMs });
    if (step.clearKeyCaches) await farm.request({ type: "clearKeyCaches" });
    await farm.request({ type: "reset" });
  };

  return {
    postgres,
    farm,
    /** The same port for every server: it is in PUBLIC_URL, so in the key id hosts cached. */
    port: await freePort({ belowEphemeral: true }),
    /** Once Tidings has migrated the database: 10,000 followers of `world`, one per farm actor. */
    async ensureFollowers() {
      if (followersInserted) return;
      const { actors } = ready;
      await db.query(
        `insert into followers (feed_slug, actor_id, inbox_url, shared_inbox_url, follow_id, created_at)
         select 'world', a, i, s, null, now() from unnest($1::text[], $2::text[], $3::text[]) as t (a, i, s)`,
        [actors.map((a) => a.id), actors.map((a) => a.inbox), actors.map((a) => a.sharedInbox)],
      );
      followersInserted = true;
      log(`inserted ${actors.length} followers of feed world`);
    },

    /** One push: publish, wait until every host has it and the queue is empty, measure. */
    async tidingsPush(
      server: TidingsServer,
      client: HttpClient,
      variant: string,
      concurrency: number,
      step: Step,
    ) {
      await configure(step);
      await quiet();
      const statements0 = await postgres.statements();
      const cpuMeter = meter(server.child.pid);
      const startedAt = Date.now();
      const t0 = performance.now();
      const id = await postArticle(client, ADMIN_TOKEN, storyInput(++storyNumber));
      const publishMs = performance.now() - t0;
      const activityId = `${server.origin}/ap/feeds/world/articles/${id}/revisions/1/create`;
      const timeoutMs = settings.runTimeoutMs;
      const done = await farm.request<FarmSnapshot>(
        { type: "waitAll", activityId, timeoutMs },
        timeoutMs + 10_000,
      );
      const drainedAt = await waitForEmptyQueue(db);
      const cpu = cpuMeter.stop();
      const { deliveries, duplicates, rejected, firstDeliveryAt, lastDeliveryAt } = done.stats;
      const statements = statementsPer(statements0, await postgres.statements(), deliveries);
      const memory = memoryOf(server.child.pid);
      const allHostsMs = (lastDeliveryAt ?? done.at) - startedAt;
      const perDelivery = (ms = 0) => ms / deliveries;
      return {
        variant,
        concurrency,
        delayMs: step.delayMs,
        temperature: step.temperature,
        /** POST /admin/articles round trip. */
        publishMs,
        /** From the publish call's start to the first / last accepted POST on the farm. */
        firstDeliveryMs: (firstDeliveryAt ?? done.at) - startedAt,
        allHostsMs,
        /** From the publish call's start until the delivery queue was empty. */
        drainedMs: drainedAt - startedAt,
        hosts: done.hostsReceived,
        /** POSTs the farm accepted (duplicates included). */
        deliveries,
        duplicates,
        rejected,
        deliveriesPerSec: deliveries / (allHostsMs / 1000),
        /** CPU from the publish call until the queue was empty: Tidings, PostgreSQL, the farm. */
        serverCpuMsPerDelivery: perDelivery(cpu.ms.process),
        postgresCpuMsPerDelivery: perDelivery(cpu.ms.postgres),
        farmCpuMsPerDelivery: perDelivery(cpu.ms.farm),
        serverCores: cpu.cores.process ?? 0,
        machineBusyCores: cpu.machine,
        /** Cores busy with processes outside this benchmark (someone else's load) over the run. */
        otherCores: cpu.other,
        /** Cores busy in kernel threads (ksoftirqd & co.: partly this benchmark's networking). */
        kernelCores: cpu.kernelThreads,
        /** SQL statements Tidings ran (pg_stat_statements), per delivery, in all and by kind. */
        sqlPerDelivery: statements.total,
        sqlByKind: statements.byKind,
        /** Key fetches by the farm's hosts so far in this server's life. */
        keyFetches: done.keyFetches,
        rssMiB: memory.rssMiB,
        /** VmHWM: the server process's peak RSS since it started. */
        peakRssMiB: memory.peakMiB,
        /** V8 heap (live and garbage) right after the push. */
        heapTotalMiB: (await server.memoryUsage()).heapTotal / 2 ** 20,
      };
    },

    /** The raw sender once: the same POSTs, at the same concurrency. */
    async rawRun(concurrency: number, step: Step, body: string) {
      await configure(step);
      await quiet();
      const cpuMeter = meter(raw.pid);
      const result = await raw.request<RawRunResult>(
        {
          type: "run",
          targets: sharedInboxes,
          concurrency,
          body,
          signer: ready.signer,
          label: `c${concurrency}-d${step.delayMs}-${step.temperature}-${Date.now()}`,
          freshConnections: step.temperature === "cold",
        },
        settings.runTimeoutMs,
      );
      const done = await farm.request<FarmSnapshot>({ type: "snapshot" });
      const cpu = cpuMeter.stop();
      const { statuses, ...counts } = result;
      return {
        concurrency,
        delayMs: step.delayMs,
        temperature: step.temperature,
        ...counts,
        statuses,
        accepted: done.stats.deliveries,
        deliveriesPerSec: result.ok / (result.elapsedMs / 1000),
        senderCpuMsPerDelivery: (cpu.ms.process ?? 0) / result.sent,
        farmCpuMsPerDelivery: (cpu.ms.farm ?? 0) / result.sent,
        machineBusyCores: cpu.machine,
        otherCores: cpu.other,
        kernelCores: cpu.kernelThreads,
        keyFetches: done.keyFetches,
      };
    },
  };
}

async function measure(context: BenchContext) {
  const { log } = context;
  const startedAt = Date.now();
  const settings = settingsFor(context.quick);
  log(
    `${settings.hosts} hosts × ${settings.actorsPerHost} actors, DELIVERY_CONCURRENCY ${settings.concurrencies.join("/")}, ` +
      `inbox delays ${settings.delaysMs.join("/")} ms, ${settings.warmRepeats} warm pushes each`,
  );
  const bench = await prepare(context, settings);
  const tidings: TidingsRun[] = [];
  const raw: RawRun[] = [];
  const serverMemory: ReturnType<typeof memoryRow>[] = [];
  const profiles: { phase: string; summary: ProfileSummary }[] = [];
  let sampleBody: string | null = null;

  /** One Tidings process: `steps` pushes in a row. */
  const tidingsSession = async (
    variant: string,
    concurrency: number,
    steps: readonly Step[],
    profile = false,
  ) => {
    const name = `tidings-${variant}-c${concurrency}`;
    const profileDir = profile ? path.join(context.workDir, `profile-${name}`) : undefined;
    const server = await startTidings({
      name,
      adminToken: ADMIN_TOKEN,
      databaseUrl: bench.postgres.url,
      port: bench.port,
      inspect: true,
      env: {
        DELIVERY_CONCURRENCY: String(concurrency),
        DELIVERY_SENDER: SENDERS[variant] ?? "direct",
        FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
      },
      nodeFlags: profileDir
        ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--cpu-prof-interval=500"]
        : [],
    });
    const idle = memoryOf(server.child.pid);
    const windows: { label: string; fromUs: number; toUs: number }[] = [];
    const client = new HttpClient(server.origin);
    let heap: NodeJS.MemoryUsage | undefined;
    try {
      await bench.ensureFollowers();
      // A first request, so the publish call does not pay for this client's connection set-up.
      await client.request("/healthz");
      for (const step of steps) {
        const fromUs = profileClockUs();
        const run = await bench.tidingsPush(server, client, variant, concurrency, step);
        windows.push({
          label: `${run.temperature}, ${run.delayMs} ms inboxes`,
          fromUs,
          toUs: profileClockUs(),
        });
        tidings.push(run);
        log(describeTidingsRun(run));
        sampleBody ??= (await bench.farm.request<{ body: string | null }>({ type: "sample" })).body;
      }
      heap = await server.memoryUsage(true);
    } finally {
      client.close();
      const end = server.child.exitStatus() === undefined ? memoryOf(server.child.pid) : undefined;
      await server.stop();
      // LOG_LEVEL=warn: anything it printed is worth a look (failed deliveries, retries).
      const printed = printedLines(server);
      if (printed.length > 0)
        log(`${name} printed ${printed.length} lines; the last: ${printed.slice(-3).join(" | ")}`);
      if (end && heap) serverMemory.push(memoryRow(variant, concurrency, idle.rssMiB, end, heap));
    }
    for (const window of profileDir ? windows.slice(0, 2) : []) {
      const summary = await summarizeProfile(profileDir as string, window).catch(
        (error: unknown) => {
          log(`(no CPU profile: ${String(error)})`);
        },
      );
      if (summary) profiles.push({ phase: `${name}, ${window.label}`, summary });
    }
  };
  const rawSession = async (concurrency: number, steps: readonly Step[]) => {
    if (sampleBody === null) throw new Error("no Create was captured to size the raw POSTs");
    for (const step of steps) {
      const run = await bench.rawRun(concurrency, step, sampleBody);
      raw.push(run);
      log(
        `raw c=${run.concurrency} ${run.delayMs} ms inboxes, ${run.temperature}: ${run.ok}/${run.sent} in ` +
          `${run.elapsedMs.toFixed(0)} ms, ${run.deliveriesPerSec.toFixed(0)}/s, ` +
          `${run.senderCpuMsPerDelivery.toFixed(2)} CPU ms/delivery, others ${run.otherCores.toFixed(2)}`,
      );
    }
  };

  const [firstDelay = 0] = settings.delaysMs;
  const warm = (repeats: number): Step[] =>
    settings.delaysMs.flatMap((delayMs) =>
      Array.from({ length: repeats }, () => ({
        temperature: "warm" as const,
        delayMs,
        clearKeyCaches: false,
      })),
    );
  const cold: Step = { temperature: "cold", delayMs: firstDelay, clearKeyCaches: true };
  const baselineSteps = [cold, ...warm(settings.warmRepeats)];

  // Baseline: per concurrency, the raw loop (cold, then warm), then a fresh server: one cold
  // push (every host fetches the feed's key), then warm ones. The first raw runs need the size
  // of a real Create, so one server comes first.
  const [firstConcurrency = 32, ...otherConcurrencies] = settings.concurrencies;
  await tidingsSession("baseline", firstConcurrency, baselineSteps);
  await rawSession(firstConcurrency, baselineSteps);
  for (const concurrency of otherConcurrencies) {
    await rawSession(concurrency, baselineSteps);
    await tidingsSession("baseline", concurrency, baselineSteps);
  }

  // The variants at the concurrency that did best with instant inboxes. The first push of each
  // server is a warm-up (fresh process; the hosts know the key already) and not compared.
  const best = bestConcurrency(tidings, raw, "baseline", firstDelay);
  if (best !== undefined) {
    const first: Step = { temperature: "first", delayMs: firstDelay, clearKeyCaches: false };
    for (const variant of settings.experiments) {
      await tidingsSession(variant, best, [first, ...warm(settings.experimentRepeats)]);
    }
    // Where the time goes: a cold and a warm push again, under --cpu-prof (not in the goals).
    if (settings.cpuProfile) {
      await tidingsSession(
        "profiled",
        best,
        [cold, { ...cold, temperature: "warm", clearKeyCaches: false }],
        true,
      );
    }
  }
  return {
    durationSeconds: (Date.now() - startedAt) / 1000,
    settings,
    postgres: bench.postgres.version,
    rawBodyBytes: raw[0]?.bodyBytes ?? 0,
    tidings,
    raw,
    serverMemory,
    profiles,
  };
}

/** A server's memory: RSS when idle after start, at the end, peak; V8 heap after a full GC at the end. */
function memoryRow(
  variant: string,
  concurrency: number,
  idleRssMiB: number,
  end: { rssMiB: number; peakMiB: number },
  heap: NodeJS.MemoryUsage,
) {
  const mib = (bytes: number) => bytes / 2 ** 20;
  return {
    variant,
    concurrency,
    idleRssMiB,
    rssMiB: end.rssMiB,
    peakRssMiB: end.peakMiB,
    heapUsedMiB: mib(heap.heapUsed),
    heapTotalMiB: mib(heap.heapTotal),
    externalMiB: mib(heap.external),
    arrayBuffersMiB: mib(heap.arrayBuffers),
  };
}

/** Resolves (with the time) once the delivery queue is empty: all work of the push is done. */
async function waitForEmptyQueue(db: pg.Pool): Promise<number> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const { rows } = await db.query<{ n: number }>(
      "select count(*)::int as n from fedify_messages",
    );
    if (rows[0]?.n === 0) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the delivery queue did not drain within 60 s");
}

/** A story of about the size of a real one (≈2.5 KB of HTML). */
function storyInput(n: number) {
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

function describeTidingsRun(r: TidingsRun): string {
  return (
    `tidings ${r.variant} c=${r.concurrency} ${r.delayMs} ms inboxes, ${r.temperature}: ` +
    `publish ${r.publishMs.toFixed(0)} ms, ${r.hosts} hosts in ${r.allHostsMs} ms (first after ${r.firstDeliveryMs} ms), ` +
    `${r.deliveriesPerSec.toFixed(0)}/s, ${r.serverCpuMsPerDelivery.toFixed(2)} CPU ms/delivery ` +
    `(+pg ${r.postgresCpuMsPerDelivery.toFixed(2)}), ${r.sqlPerDelivery.toFixed(1)} SQL/delivery, ` +
    `server ${r.serverCores.toFixed(2)} cores, machine ${r.machineBusyCores.toFixed(2)} ` +
    `(others ${r.otherCores.toFixed(2)}, kthreads ${r.kernelCores.toFixed(2)}), peak RSS ${r.peakRssMiB.toFixed(0)} MiB`
  );
}

export default {
  name: "fanout",
  summary:
    "one story to 10,000 followers on 1,000 loopback hosts vs a raw signing loop; control vs fedify-sender",
  timeoutMinutes: 15,
  async run(context) {
    const results = await measure(context);
    const goals = fanoutGoals(results);
    return { results: { ...results, goals }, report: formatFanoutReport(results, goals) };
  },
} satisfies Scenario;
