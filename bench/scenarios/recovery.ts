/**
 * Recovery: kill -9 in the middle of a fan-out, then start again. One story to 10,000 followers
 * on 1,000 loopback hosts whose inboxes answer after 500 ms (so the fan-out lasts seconds); once
 * about a third of the hosts have it, Tidings is killed with SIGKILL and started again at once
 * on the same PostgreSQL. Measured: how long after the new process serves the last host has the
 * story, and that nothing was lost or posted twice (one activity id, every host once). The dead
 * process's leases are taken over by lock (src/fedify-kysely/message-queue.ts), not after
 * DELIVERY_LEASE_MS (60 s), which is what a restart waited before.
 */
import type pg from "pg";
import { freePort } from "../../test/support/free-port.ts";
import { startNodeChild } from "../harness/children.ts";
import { HttpClient } from "../harness/http-client.ts";
import { benchPool, startPostgres, waitForEmptyQueue } from "../harness/postgres.ts";
import { fixed, formatGoals, type Goal, median, tableOf } from "../harness/report.ts";
import { type BenchContext, envNumber, envText, type Scenario } from "../harness/scenario.ts";
import { postArticle, startTidings, type TidingsServer } from "../harness/tidings.ts";
import type { FarmReady, FarmSnapshot } from "./fanout/protocol.ts";
import { insertFollowers, storyInput } from "./fanout.ts";

const ADMIN_TOKEN = "recovery-bench-admin-token-0123456789";
const GOAL_AFTER_RESTART_MS = 5000;

type RecoveryRun = Awaited<ReturnType<typeof killAndRestart>>;

interface Rig {
  readonly context: BenchContext;
  readonly databaseUrl: string;
  readonly db: pg.Pool;
  readonly farm: ReturnType<typeof startNodeChild>;
  readonly port: number;
  readonly hosts: number;
  readonly killAtFraction: number;
}

const start = (rig: Rig, name: string) =>
  startTidings({
    name,
    adminToken: ADMIN_TOKEN,
    databaseUrl: rig.databaseUrl,
    port: rig.port,
    env: { FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
  });

/** SIGKILL, then resolves once the process is gone (no shutdown hook of its runs). */
async function kill9(server: TidingsServer): Promise<void> {
  server.child.process.kill("SIGKILL");
  for (const until = Date.now() + 10_000; Date.now() < until; ) {
    if (server.child.exitStatus() !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("the killed server did not exit");
}

async function killAndRestart(rig: Rig, n: number) {
  const { farm } = rig;
  await farm.request({ type: "reset" });
  await rig.context.quiet.wait({ threshold: 0.2 });
  const first = await start(rig, `tidings-${n}`);
  const firstClient = new HttpClient(first.origin);
  const publishedAt = Date.now();
  const id = await postArticle(firstClient, ADMIN_TOKEN, storyInput(n));
  await firstClient.close();
  const activityId = `${first.origin}/ap/feeds/world/articles/${id}/revisions/1/create`;
  // Wait for the share of hosts to have it, then kill.
  let atKill: FarmSnapshot | undefined;
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    const snap = await farm.request<FarmSnapshot>({ type: "snapshot", activityId });
    if (snap.hostsReceived >= rig.hosts * rig.killAtFraction) {
      atKill = snap;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (!atKill) throw new Error("the fan-out did not reach the kill point within 60 s");
  await kill9(first);
  const killedAt = Date.now();
  const received = (await farm.request<FarmSnapshot>({ type: "snapshot", activityId }))
    .hostsReceived;
  const restartAt = Date.now();
  const second = await start(rig, `tidings-${n}-restarted`);
  const servingAt = Date.now();
  try {
    const done = await farm.request<FarmSnapshot>(
      { type: "waitAll", activityId, timeoutMs: 120_000 },
      130_000,
    );
    await waitForEmptyQueue(rig.db);
    const { stats } = done;
    const last = stats.lastDeliveryAt ?? done.at;
    return {
      hostsAtKill: received,
      killedAfterMs: killedAt - publishedAt,
      startMs: servingAt - restartAt,
      lastAfterRestartMs: last - restartAt,
      lastAfterServingMs: last - servingAt,
      hostsReceived: done.hostsReceived,
      lost: rig.hosts - done.hostsReceived,
      activityIds: stats.activityIds,
      /** Hosts that accepted the activity more than once (receivers drop the repeat). */
      duplicates: stats.duplicates,
      unique: stats.unique,
    };
  } finally {
    await second.stop();
  }
}

async function measure(context: BenchContext) {
  const { log, quick } = context;
  const settings = {
    hosts: envNumber("RECOVERY_HOSTS", 1000),
    actorsPerHost: envNumber("RECOVERY_ACTORS_PER_HOST", 10),
    inboxDelayMs: envNumber("RECOVERY_INBOX_DELAY_MS", 500),
    killAtFraction: envNumber("RECOVERY_KILL_AT", 0.3),
    repeats: envNumber("RECOVERY_REPEATS", quick ? 1 : 3),
  };
  const postgres = await startPostgres("tidings_recovery");
  context.defer(() => postgres.stop());
  const db = benchPool(postgres, context);
  const farm = startNodeChild("farm", "bench/scenarios/fanout/farm-child.ts", { ipc: true });
  const ready = await farm.request<FarmReady>({
    type: "start",
    hosts: settings.hosts,
    actorsPerHost: settings.actorsPerHost,
    firstAddress: envText("RECOVERY_FIRST_ADDRESS", "127.0.64.1"),
  });
  await farm.request({ type: "configure", inboxDelayMs: settings.inboxDelayMs });
  const rig: Rig = {
    context,
    databaseUrl: postgres.url,
    db,
    farm,
    port: await freePort(),
    hosts: settings.hosts,
    killAtFraction: settings.killAtFraction,
  };
  // A first server migrates the database; then the followers go in.
  const migrating = await start(rig, "tidings-migrate");
  await migrating.stop();
  await insertFollowers(db, ready);
  const runs: RecoveryRun[] = [];
  for (let n = 1; n <= settings.repeats; n++) {
    const run = await killAndRestart(rig, n);
    runs.push(run);
    log(
      `run ${n}: killed with ${run.hostsAtKill}/${settings.hosts} hosts served; restarted in ` +
        `${run.startMs} ms; last host ${run.lastAfterRestartMs} ms after the restart; lost ${run.lost}, ` +
        `activity ids ${run.activityIds}`,
    );
  }
  return { settings, postgres: postgres.version, runs };
}

function goalsOf(results: Awaited<ReturnType<typeof measure>>): Goal[] {
  const { runs } = results;
  const after = median(runs.map((r) => r.lastAfterRestartMs));
  const lost = Math.max(...runs.map((r) => r.lost));
  const ids = Math.max(...runs.map((r) => r.activityIds));
  return [
    {
      name: "last host served after the restart (median)",
      goal: `<= ${GOAL_AFTER_RESTART_MS} ms`,
      measured: `${fixed(after, 0)} ms (of which the new process's start ${fixed(median(runs.map((r) => r.startMs)), 0)} ms)`,
      pass: after <= GOAL_AFTER_RESTART_MS,
    },
    { name: "hosts lost, any run", goal: "0", measured: String(lost), pass: lost === 0 },
    { name: "activity ids per object, any run", goal: "1", measured: String(ids), pass: ids === 1 },
  ];
}

export default {
  name: "recovery",
  summary: "kill -9 mid fan-out (1,000 hosts, 500 ms inboxes), restart: time to the last host",
  timeoutMinutes: 15,
  async run(context) {
    const results = await measure(context);
    const goals = goalsOf(results);
    const s = results.settings;
    const report = [
      `Recovery: one story to ${s.hosts * s.actorsPerHost} followers on ${s.hosts} loopback hosts, inboxes answering ` +
        `after ${s.inboxDelayMs} ms; Tidings (default settings, PostgreSQL ${results.postgres}) killed with SIGKILL once ` +
        `${Math.round(s.killAtFraction * 100)}% of the hosts had it, then started again at once. ${s.repeats} runs.`,
      "  Duplicates: hosts that got the same activity id twice (a POST in flight at the kill, sent again); the " +
        "receiver drops the repeat, no second post.",
      "",
      "Goals:",
      formatGoals(goals),
      "",
      tableOf(results.runs, [
        ["hosts at kill", (r) => String(r.hostsAtKill)],
        ["killed after ms", (r) => fixed(r.killedAfterMs, 0)],
        ["start ms", (r) => fixed(r.startMs, 0)],
        ["last after restart ms", (r) => fixed(r.lastAfterRestartMs, 0)],
        ["hosts", (r) => String(r.hostsReceived)],
        ["lost", (r) => String(r.lost)],
        ["activity ids", (r) => String(r.activityIds)],
        ["duplicates", (r) => String(r.duplicates)],
      ]),
    ].join("\n");
    return { results: { ...results, goals }, report };
  },
} satisfies Scenario;
