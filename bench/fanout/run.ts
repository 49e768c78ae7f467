/**
 * `npm run bench:fanout`: one story to 10,000 followers on 1,000 loopback hosts (shared inboxes),
 * next to the raw limit measured in the same run. See bench/fanout/README.md.
 *
 * Processes: this orchestrator, a throwaway PostgreSQL cluster, the peer farm (farm-child.ts),
 * Tidings (src/entries/node/server.ts, one process per configuration) and the raw sender (raw-child.ts). Each
 * is measured separately from /proc; all of them stop when this process ends, however it ends.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startCluster } from "../../test/support/postgres-cluster.ts";
import {
  clusterCpuMs,
  kernelThreadsCpuMs,
  machineBusyMs,
  memoryMiB,
  processCpuMs,
} from "../procfs.ts";
import { REPO_ROOT, startNodeChild, stopAll } from "./children.ts";
import { summarizeProfile } from "./profile.ts";
import type { FarmReady, FarmSnapshot, RawRunResult } from "./protocol.ts";
import { bestConcurrency, printReport } from "./report.ts";
import { pickPort, pushStory, type QueryCounts, startTidings, type Tidings } from "./tidings.ts";
import type { Phase, RawRun, Results, Settings, Temperature, TidingsRun } from "./types.ts";

const env = process.env;
const numbers = (value: string | undefined, fallback: number[]) =>
  value ? value.split(",").map((v) => Number(v.trim())) : fallback;

const settings: Settings = {
  hosts: Number(env.FANOUT_HOSTS ?? 1000),
  actorsPerHost: Number(env.FANOUT_ACTORS_PER_HOST ?? 10),
  firstAddress: env.FANOUT_FIRST_ADDRESS ?? "127.0.64.1",
  concurrencies: numbers(env.FANOUT_CONCURRENCY, [32, 64, 128]),
  delaysMs: numbers(env.FANOUT_DELAYS, [0, 100]),
  warmRepeats: Number(env.FANOUT_REPEATS ?? 3),
  experimentRepeats: Number(env.FANOUT_EXPERIMENT_REPEATS ?? 1),
  experiments: (env.FANOUT_EXPERIMENTS ?? "control,fedify-sender")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean),
  cpuProfile: env.FANOUT_CPU_PROF !== "0",
  profileVariant: env.FANOUT_PROFILE_VARIANT ?? "baseline",
  // As `npm start` runs the server (package.json); empty: glibc's default arenas.
  mallocArenaMax: env.FANOUT_MALLOC_ARENA_MAX ?? "2",
  runTimeoutMs: 180_000,
  cpus: os.availableParallelism(),
  cpuModel: os.cpus()[0]?.model ?? "?",
  node: process.version,
};
/** Everything must be over by then; a stuck run fails instead of hanging. */
const DEADLINE_MS = Number(env.FANOUT_DEADLINE_SECONDS ?? 900) * 1000;
const RESULTS_FILE = path.join(REPO_ROOT, "bench/results/fanout.json");
const WORK_DIR = path.join(os.tmpdir(), `tidings-fanout-${process.pid}`);

/** Environment of the FANOUT_PATCH_* experiments (bench/fanout/instrument.ts). */
function variantEnv(variant: string): Record<string, string> {
  if (variant.startsWith("profiled:")) return variantEnv(variant.slice("profiled:".length));
  const extra: Record<string, string> = {};
  for (const part of variant.split("+")) {
    if (part === "baseline" || part === "control" || part === "profiled") continue;
    if (part === "no-ordering-key") extra.FANOUT_PATCH_NO_ORDERING_KEY = "1";
    else if (part === "no-circuit-breaker") extra.FANOUT_PATCH_NO_CIRCUIT_BREAKER = "1";
    else if (part === "fedify-sender") extra.DELIVERY_SENDER = "fedify";
    else if (/^pool-\d+$/.test(part)) extra.FANOUT_PATCH_POOL_SIZE = part.slice(5);
    else {
      throw new Error(
        `unknown experiment ${part} (try fedify-sender, no-ordering-key, no-circuit-breaker, pool-N)`,
      );
    }
  }
  return extra;
}

/** One push within a server's life: what the inboxes do, and whether their key caches empty. */
interface Step {
  readonly temperature: Temperature;
  readonly delayMs: number;
  readonly clearKeyCaches: boolean;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const cleanups: Array<() => Promise<void>> = [];

async function main(): Promise<void> {
  const started = Date.now();
  await rm(WORK_DIR, { recursive: true, force: true });
  await mkdir(WORK_DIR, { recursive: true });
  cleanups.push(() => rm(WORK_DIR, { recursive: true, force: true }));
  log(
    `fanout bench: ${settings.hosts} hosts × ${settings.actorsPerHost} actors, ` +
      `DELIVERY_CONCURRENCY ${settings.concurrencies.join("/")}, inbox delays ` +
      `${settings.delaysMs.join("/")} ms, ${settings.warmRepeats} warm pushes each, ` +
      `MALLOC_ARENA_MAX=${settings.mallocArenaMax || "(unset)"}, ` +
      `${settings.cpus} CPUs (${settings.cpuModel}), node ${settings.node}`,
  );

  const cluster = await startCluster();
  cleanups.push(() => cluster.stop());
  const admin = new pg.Client({ connectionString: cluster.url });
  // A dropped connection rejects the statement; unhandled, its 'error' event would crash.
  admin.on("error", () => {});
  await admin.connect();
  await admin.query("create database tidings_fanout");
  await admin.end();
  const dbUrl = new URL(cluster.url);
  dbUrl.pathname = "/tidings_fanout";
  const databaseUrl = dbUrl.toString();
  const postmasterPid = Number(
    (await readFile(path.join(cluster.dir, "data/postmaster.pid"), "utf8")).split("\n", 1)[0],
  );
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // The pool drops an idle connection the server closed; unhandled, this event would crash.
  db.on("error", (error) => log(`  bench pool: ${error.message}`));
  cleanups.unshift(() => db.end());
  log(`  PostgreSQL ${cluster.version} on port ${cluster.port}`);

  const farm = startNodeChild("farm", "bench/fanout/farm-child.ts");
  const farmReady = await farm.request<FarmReady>(
    {
      type: "start",
      hosts: settings.hosts,
      actorsPerHost: settings.actorsPerHost,
      firstAddress: settings.firstAddress,
    },
    180_000,
  );
  log(
    `  peer farm: ${settings.hosts} hosts from ${settings.firstAddress}, ` +
      `${farmReady.actors.length} actors, started in ${(farmReady.startupMs / 1000).toFixed(1)} s`,
  );
  const raw = startNodeChild("raw", "bench/fanout/raw-child.ts");
  const tidingsPort = await pickPort();
  const sharedInboxes = [...new Set(farmReady.actors.map((a) => a.sharedInbox ?? a.inbox))];

  const tidingsRuns: TidingsRun[] = [];
  const rawRuns: RawRun[] = [];
  const profiles: Results["profiles"][number][] = [];
  const serverMemory: Results["serverMemory"][number][] = [];
  let followersInserted = false;
  let sampleBody: string | null = null;
  let storyNumber = 0;

  /** CPU readings; `pid` is the process under test (the Tidings server or the raw sender). */
  const snapshot = (pid: number): Snapshot => {
    const machine = machineBusyMs();
    const process_ = processCpuMs(pid);
    const postgres = clusterCpuMs(postmasterPid);
    const farmMs = processCpuMs(farm.pid);
    const rawMs = pid === raw.pid ? 0 : processCpuMs(raw.pid);
    return {
      at: Date.now(),
      process: process_,
      postgres,
      farm: farmMs,
      mine: process_ + postgres + farmMs + rawMs + processCpuMs(process.pid),
      kernelThreads: kernelThreadsCpuMs(),
      machine: machine.all,
      machineProcesses: machine.processes,
    };
  };
  /**
   * Cores busy with processes that are not part of this benchmark (nor kernel threads), between
   * two snapshots: someone else's load on the shared machine.
   */
  const otherCores = (a: Snapshot, b: Snapshot) =>
    Math.max(
      0,
      b.machineProcesses -
        a.machineProcesses -
        (b.mine - a.mine) -
        (b.kernelThreads - a.kernelThreads),
    ) /
    (b.at - a.at);
  const kernelCores = (a: Snapshot, b: Snapshot) =>
    (b.kernelThreads - a.kernelThreads) / (b.at - a.at);

  /**
   * Waits (within a budget for the whole run) until the rest of the machine is quiet, so that a
   * run does not share the two cores with someone else's load; the load is reported either way.
   */
  let quietBudgetMs = Number(env.FANOUT_QUIET_BUDGET_SECONDS ?? 60) * 1000;
  const waitForQuiet = async (pid: number): Promise<void> => {
    const started = Date.now();
    let other = 0;
    do {
      const a = snapshot(pid);
      await new Promise((resolve) => setTimeout(resolve, 500));
      other = otherCores(a, snapshot(pid));
    } while (other > 0.2 && Date.now() - started < quietBudgetMs);
    const waited = Date.now() - started;
    quietBudgetMs = Math.max(0, quietBudgetMs - Math.max(0, waited - 500));
    if (waited > 1_000) {
      log(
        `  (waited ${(waited / 1000).toFixed(1)} s for other load to drop: ${other.toFixed(2)} cores)`,
      );
    }
  };

  /** One Tidings process: `steps` pushes in a row. */
  async function tidingsSession(
    variant: string,
    concurrency: number,
    steps: readonly Step[],
    profile: boolean,
  ): Promise<void> {
    const name = `tidings-${variant}-c${concurrency}`;
    const profileDir = profile ? path.join(WORK_DIR, `profile-${name}`) : undefined;
    const server = await startTidings({
      name,
      databaseUrl,
      deliveryConcurrency: concurrency,
      port: tidingsPort,
      extraEnv: {
        ...(settings.mallocArenaMax ? { MALLOC_ARENA_MAX: settings.mallocArenaMax } : {}),
        ...variantEnv(variant),
      },
      statsFile: path.join(WORK_DIR, `${name}.json`),
      ...(profileDir ? { cpuProfileDir: profileDir } : {}),
    });
    const idle = memoryMiB(server.child.pid);
    const windows: Array<{ label: string; fromUs: number; toUs: number }> = [];
    let last: QueryCounts | undefined;
    try {
      if (!followersInserted) {
        await insertFollowers(db, farmReady);
        followersInserted = true;
      }
      // A first request, so the publish call does not pay for this client's connection setup.
      await fetch(`${server.origin}/healthz`).then((r) => r.text());
      for (const step of steps) {
        await farm.request({ type: "configure", inboxDelayMs: step.delayMs });
        if (step.clearKeyCaches) await farm.request({ type: "clearKeyCaches" });
        const fromUs = Number(process.hrtime.bigint() / 1000n);
        const run = await tidingsPush(
          server,
          { variant, concurrency, delayMs: step.delayMs },
          step,
        );
        windows.push({
          label: `${run.temperature}, ${run.delayMs} ms inboxes`,
          fromUs,
          toUs: Number(process.hrtime.bigint() / 1000n),
        });
        tidingsRuns.push(run);
        log(`  ${describeTidingsRun(run)}`);
        sampleBody ??= (await farm.request<{ body: string | null }>({ type: "sample" })).body;
      }
      last = await server.queryCounts(true);
    } finally {
      const end = server.child.exited() ? undefined : memoryMiB(server.child.pid);
      await server.stop();
      // LOG_LEVEL=warn: anything it printed is worth a look (failed deliveries, retries).
      const printed = server.child.output().trim().split("\n").filter(Boolean);
      if (printed.length > 0) {
        log(
          `  ${name} printed ${printed.length} lines; the last: ${printed.slice(-3).join(" | ")}`,
        );
      }
      if (end && last) {
        serverMemory.push({
          variant,
          concurrency,
          idleRssMiB: idle.rss,
          rssMiB: end.rss,
          peakRssMiB: end.peak,
          heapUsedMiB: (last.memory.heapUsed ?? 0) / 2 ** 20,
          heapTotalMiB: (last.memory.heapTotal ?? 0) / 2 ** 20,
          externalMiB: (last.memory.external ?? 0) / 2 ** 20,
          arrayBuffersMiB: (last.memory.arrayBuffers ?? 0) / 2 ** 20,
        });
      }
    }
    for (const window of windows.slice(0, 2)) {
      if (!profileDir) break;
      const summary = await summarizeProfile(profileDir, window).catch((error: unknown) => {
        log(`  (no CPU profile: ${String(error)})`);
        return undefined;
      });
      if (summary) profiles.push({ phase: `${name}, ${window.label}`, summary });
    }
  }

  async function tidingsPush(server: Tidings, phase: Phase, step: Step): Promise<TidingsRun> {
    await farm.request({ type: "reset" });
    await waitForQuiet(server.child.pid);
    const queries0 = await server.queryCounts();
    const before = snapshot(server.child.pid);
    const push = await pushStory(server.origin, ++storyNumber);
    const done = await farm.request<FarmSnapshot>(
      { type: "waitAll", activityId: push.activityId, timeoutMs: settings.runTimeoutMs },
      settings.runTimeoutMs + 10_000,
    );
    const drainedAt = await waitForEmptyQueue(db);
    const after = snapshot(server.child.pid);
    const queries1 = await server.queryCounts();
    const memory = memoryMiB(server.child.pid);
    const { stats } = done;
    const allHostsMs = (stats.lastDeliveryAt ?? done.at) - push.startedAt;
    const deliveries = stats.deliveries;
    const elapsed = after.at - before.at;
    return {
      ...phase,
      temperature: step.temperature,
      publishMs: push.publishMs,
      firstDeliveryMs: (stats.firstDeliveryAt ?? done.at) - push.startedAt,
      allHostsMs,
      drainedMs: drainedAt - push.startedAt,
      hosts: done.hostsReceived,
      deliveries,
      duplicates: stats.duplicates,
      rejected: stats.rejected,
      deliveriesPerSec: deliveries / (allHostsMs / 1000),
      serverCpuMs: after.process - before.process,
      serverCpuMsPerDelivery: (after.process - before.process) / deliveries,
      postgresCpuMsPerDelivery: (after.postgres - before.postgres) / deliveries,
      farmCpuMsPerDelivery: (after.farm - before.farm) / deliveries,
      serverCores: (after.process - before.process) / elapsed,
      machineBusyCores: (after.machine - before.machine) / elapsed,
      otherCores: otherCores(before, after),
      kernelCores: kernelCores(before, after),
      sqlPerDelivery: (queries1.total - queries0.total) / deliveries,
      sqlByKind: perDelivery(queries0, queries1, deliveries),
      keyFetches: done.keyFetches,
      rssMiB: memory.rss,
      peakRssMiB: memory.peak,
      heapTotalMiB: (queries1.memory.heapTotal ?? 0) / 2 ** 20,
    };
  }

  /** The raw sender at one concurrency: `steps` runs in a row. */
  async function rawSession(concurrency: number, steps: readonly Step[]): Promise<void> {
    if (sampleBody === null) throw new Error("no Create was captured to size the raw POSTs");
    for (const step of steps) {
      await farm.request({ type: "configure", inboxDelayMs: step.delayMs });
      if (step.clearKeyCaches) await farm.request({ type: "clearKeyCaches" });
      await farm.request({ type: "reset" });
      await waitForQuiet(raw.pid);
      const before = snapshot(raw.pid);
      const result = await raw.request<RawRunResult>(
        {
          type: "run",
          targets: sharedInboxes,
          concurrency,
          body: sampleBody,
          signer: farmReady.signer,
          label: `c${concurrency}-d${step.delayMs}-${step.temperature}-${Date.now()}`,
          freshConnections: step.temperature === "cold",
        },
        settings.runTimeoutMs,
      );
      const done = await farm.request<FarmSnapshot>({ type: "snapshot" });
      const after = snapshot(raw.pid);
      const run: RawRun = {
        concurrency,
        delayMs: step.delayMs,
        temperature: step.temperature,
        elapsedMs: result.elapsedMs,
        sent: result.sent,
        ok: result.ok,
        failed: result.failed,
        statuses: result.statuses,
        accepted: done.stats.deliveries,
        deliveriesPerSec: result.ok / (result.elapsedMs / 1000),
        senderCpuMsPerDelivery: (after.process - before.process) / result.sent,
        farmCpuMsPerDelivery: (after.farm - before.farm) / result.sent,
        machineBusyCores: (after.machine - before.machine) / (after.at - before.at),
        otherCores: otherCores(before, after),
        kernelCores: kernelCores(before, after),
        bodyBytes: result.bodyBytes,
        keyFetches: done.keyFetches,
      };
      rawRuns.push(run);
      log(`  ${describeRawRun(run)}`);
    }
  }

  const [firstDelay = 0] = settings.delaysMs;
  const warm = (repeats: number): Step[] =>
    settings.delaysMs.flatMap((delayMs) =>
      Array.from({ length: repeats }, () => ({
        temperature: "warm" as const,
        delayMs,
        clearKeyCaches: false,
      })),
    );
  const warmSteps = warm(settings.warmRepeats);
  const coldStep: Step = { temperature: "cold", delayMs: firstDelay, clearKeyCaches: true };

  // Baseline: per concurrency, the raw loop (cold, then warm), then a fresh server: one cold
  // push (every host fetches the feed's key), then warm ones. The first raw runs need the size
  // of a real Create, so one push comes first.
  const [firstConcurrency = 32] = settings.concurrencies;
  await tidingsSession("baseline", firstConcurrency, [coldStep, ...warmSteps], false);
  await rawSession(firstConcurrency, [coldStep, ...warmSteps]);
  for (const concurrency of settings.concurrencies.slice(1)) {
    await rawSession(concurrency, [coldStep, ...warmSteps]);
    await tidingsSession("baseline", concurrency, [coldStep, ...warmSteps], false);
  }

  // Experiments at the concurrency that did best with instant inboxes. The first push of each
  // server is a warm-up (fresh process; the hosts know the key already) and not compared.
  const best = bestConcurrency(tidingsRuns, rawRuns, "baseline", firstDelay);
  if (best !== undefined) {
    const firstStep: Step = { temperature: "first", delayMs: firstDelay, clearKeyCaches: false };
    for (const variant of settings.experiments) {
      await tidingsSession(variant, best, [firstStep, ...warm(settings.experimentRepeats)], false);
    }
    // Where the time goes: a cold and a warm push again, under --cpu-prof (not in the goals).
    if (settings.cpuProfile) {
      const warm: Step = { temperature: "warm", delayMs: firstDelay, clearKeyCaches: false };
      const variant =
        settings.profileVariant === "baseline" ? "profiled" : `profiled:${settings.profileVariant}`;
      await tidingsSession(variant, best, [coldStep, warm], true);
    }
  }

  const results: Results = {
    generatedAt: new Date().toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    settings,
    postgres: cluster.version,
    rawBodyBytes: rawRuns[0]?.bodyBytes ?? 0,
    tidings: tidingsRuns,
    raw: rawRuns,
    serverMemory,
    profiles,
  };
  await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  printReport(results);
  log(
    `\nwrote ${path.relative(REPO_ROOT, RESULTS_FILE)} (${results.durationSeconds.toFixed(0)} s)`,
  );
}

interface Snapshot {
  readonly at: number;
  /** CPU ms of the process under test (Tidings or the raw sender). */
  readonly process: number;
  readonly postgres: number;
  readonly farm: number;
  /** All processes of this benchmark, this one included. */
  readonly mine: number;
  readonly kernelThreads: number;
  /** The machine's busy time, with and without interrupt and softirq time. */
  readonly machine: number;
  readonly machineProcesses: number;
}

function perDelivery(a: QueryCounts, b: QueryCounts, deliveries: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, count] of Object.entries(b.counts)) {
    const delta = count - (a.counts[kind] ?? 0);
    if (delta > 0) out[kind] = delta / deliveries;
  }
  return out;
}

async function insertFollowers(db: pg.Pool, farm: FarmReady): Promise<void> {
  const actors = farm.actors;
  await db.query(
    `insert into followers (feed_slug, actor_id, inbox_url, shared_inbox_url, follow_id, created_at)
     select 'world', a, i, s, null, now()
     from unnest($1::text[], $2::text[], $3::text[]) as t (a, i, s)`,
    [actors.map((a) => a.id), actors.map((a) => a.inbox), actors.map((a) => a.sharedInbox)],
  );
  log(`  inserted ${actors.length} followers of feed world`);
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

function describeTidingsRun(r: TidingsRun): string {
  return (
    `tidings ${r.variant} c=${r.concurrency} ${r.delayMs} ms inboxes, ${r.temperature}: ` +
    `publish ${r.publishMs.toFixed(0)} ms, ${r.hosts} hosts in ${r.allHostsMs} ms ` +
    `(first after ${r.firstDeliveryMs} ms), ${r.deliveriesPerSec.toFixed(0)}/s, ` +
    `${r.serverCpuMsPerDelivery.toFixed(2)} CPU ms/delivery (+pg ${r.postgresCpuMsPerDelivery.toFixed(2)}), ` +
    `${r.sqlPerDelivery.toFixed(1)} SQL/delivery, server ${r.serverCores.toFixed(2)} cores, ` +
    `machine ${r.machineBusyCores.toFixed(2)} (others ${r.otherCores.toFixed(2)}, kthreads ${r.kernelCores.toFixed(2)}), ` +
    `peak RSS ${r.peakRssMiB.toFixed(0)} MiB`
  );
}

function describeRawRun(r: RawRun): string {
  return (
    `raw c=${r.concurrency} ${r.delayMs} ms inboxes, ${r.temperature}: ${r.ok}/${r.sent} in ` +
    `${r.elapsedMs.toFixed(0)} ms, ${r.deliveriesPerSec.toFixed(0)}/s, ` +
    `${r.senderCpuMsPerDelivery.toFixed(2)} CPU ms/delivery, machine ${r.machineBusyCores.toFixed(2)} ` +
    `(others ${r.otherCores.toFixed(2)})`
  );
}

let shuttingDown: Promise<void> | undefined;

function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    await stopAll();
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
  })();
  return shuttingDown;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`fanout bench: ${signal}, stopping`);
    void shutdown().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  log(`fanout bench: still running after ${DEADLINE_MS / 1000} s; giving up`);
  void shutdown().finally(() => process.exit(1));
}, DEADLINE_MS);
deadline.unref();

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  log(`fanout bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
} finally {
  await shutdown();
}
