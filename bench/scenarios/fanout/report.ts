/** The fan-out scenario's medians, goals and printed section. */
import { fixed, formatGoals, type Goal, median, tableOf } from "../../harness/report.ts";
import type { FanoutResults, RawRun, TidingsRun } from "../fanout.ts";

/** Instant and 100 ms inboxes: deliveries per second against the raw loop's. */
const GOAL_RATIO = 0.6;
/** 500 ms inboxes: every host served within this of the push. */
const GOAL_SLOW_ALL_HOSTS_MS = 5000;
const SLOW_DELAY_MS = 500;
const GOAL_PUBLISH_MS = 100;
const GOAL_PEAK_RSS_MIB = 300;

/** Warm pushes of one configuration × inbox delay, their medians, next to the raw loop's. */
function aggregate(
  results: Pick<FanoutResults, "tidings" | "raw">,
  config: string,
  delayMs: number,
) {
  const warmAt = (r: TidingsRun | RawRun) => r.delayMs === delayMs && r.temperature === "warm";
  const runs = results.tidings.filter((r) => r.config === config && warmAt(r));
  if (runs.length === 0) return undefined;
  const raws = results.raw.filter(warmAt);
  const of = (pick: (r: TidingsRun) => number) => median(runs.map(pick));
  const rawPerSec = median(raws.map((r) => r.deliveriesPerSec));
  return {
    config,
    delayMs,
    runs: runs.length,
    allHostsMs: of((r) => r.allHostsMs),
    firstDeliveryMs: of((r) => r.firstDeliveryMs),
    deliveriesPerSec: of((r) => r.deliveriesPerSec),
    rawPerSec,
    rawElapsedMs: median(raws.map((r) => r.elapsedMs)),
    rawCpuMsPerDelivery: median(raws.map((r) => r.senderCpuMsPerDelivery)),
    ratio: of((r) => r.deliveriesPerSec) / rawPerSec,
    serverCpuMsPerDelivery: of((r) => r.serverCpuMsPerDelivery),
    postgresCpuMsPerDelivery: of((r) => r.postgresCpuMsPerDelivery),
    sqlPerDelivery: of((r) => r.sqlPerDelivery),
    serverCores: of((r) => r.serverCores),
    machineBusyCores: of((r) => r.machineBusyCores),
    otherCores: median([...runs, ...raws].map((r) => r.otherCores)),
    publishMaxMs: Math.max(...runs.map((r) => r.publishMs)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
}

type Aggregate = NonNullable<ReturnType<typeof aggregate>>;

const f0 = (n: number) => fixed(n, 0);
const f2 = (n: number) => fixed(n, 2);
const inboxes = (ms: number) => (ms === 0 ? "instant" : `${ms} ms`);

/** Warm, with default settings (the first configuration measured), against the raw loop. */
export function fanoutGoals(results: FanoutResults): Goal[] {
  const s = results.settings;
  const goals: Goal[] = [];
  const [config = "default"] = s.configs;
  for (const delayMs of s.delaysMs) {
    const a = aggregate(results, config, delayMs);
    if (!a) continue;
    const info = (name: string, measured: string): Goal => ({
      name: `  ${name}`,
      goal: "",
      measured,
    });
    const vsRaw = `${f2(a.ratio)}x (${f0(a.deliveriesPerSec)}/s vs raw ${f0(a.rawPerSec)}/s at c=${s.rawConcurrency})`;
    goals.push(
      delayMs >= SLOW_DELAY_MS
        ? {
            name: `${inboxes(delayMs)} inboxes (${config}): every host served`,
            goal: `<= ${GOAL_SLOW_ALL_HOSTS_MS} ms`,
            measured: `${f0(a.allHostsMs)} ms; ${vsRaw}`,
            pass: a.allHostsMs <= GOAL_SLOW_ALL_HOSTS_MS,
            reliable: a.otherCores <= 0.2,
          }
        : {
            name: `${inboxes(delayMs)} inboxes (${config}): deliveries/s vs raw`,
            goal: `>= ${GOAL_RATIO.toFixed(2)}x`,
            measured: vsRaw,
            pass: a.ratio >= GOAL_RATIO,
            reliable: a.otherCores <= 0.2,
          },
      info(
        "time until every inbox has it",
        `${f0(a.allHostsMs)} ms (raw loop ${f0(a.rawElapsedMs)} ms)`,
      ),
      info(
        "CPU ms per delivery",
        `Tidings ${f2(a.serverCpuMsPerDelivery)} + PostgreSQL ${f2(a.postgresCpuMsPerDelivery)} (raw ${f2(a.rawCpuMsPerDelivery)})`,
      ),
      info("SQL statements per delivery", f2(a.sqlPerDelivery)),
      info("peak RSS", `${f0(a.peakRssMiB)} MiB`),
    );
  }
  const baseline = results.tidings;
  const publish = (temperature: string) =>
    Math.max(...baseline.filter((r) => r.temperature === temperature).map((r) => r.publishMs));
  const peak = Math.max(...baseline.map((r) => r.peakRssMiB));
  goals.push(
    {
      name: `publish call (${s.hosts * s.actorsPerHost} recipients)`,
      goal: `<= ${GOAL_PUBLISH_MS} ms`,
      measured: `max ${f0(publish("warm"))} ms warm, ${f0(publish("cold"))} ms cold`,
      pass: Math.max(publish("warm"), publish("cold")) <= GOAL_PUBLISH_MS,
    },
    {
      name: "peak RSS, any server",
      goal: `<= ${GOAL_PEAK_RSS_MIB} MiB`,
      measured: `max VmHWM ${f0(peak)} MiB`,
      pass: peak <= GOAL_PEAK_RSS_MIB,
    },
  );
  return goals;
}

export function formatFanoutReport(results: FanoutResults, goals: readonly Goal[]): string {
  const s = results.settings;
  const all = [...new Set(results.tidings.map((r) => JSON.stringify([r.config, r.delayMs])))]
    .map((key) => JSON.parse(key) as [string, number])
    .map(([c, d]) => aggregate(results, c, d))
    .filter((a): a is Aggregate => a !== undefined);
  const out = [
    `Fan-out (${results.durationSeconds.toFixed(0)} s): one story to ${s.hosts * s.actorsPerHost} followers on ${s.hosts} ` +
      `loopback hosts (${s.actorsPerHost} actors each, shared inboxes) = ${s.hosts} deliveries per push.`,
    `  Not pinned: Tidings, PostgreSQL ${results.postgres}, the peer farm and the raw sender are separate processes ` +
      "that the kernel schedules on all cores.",
    "  Tidings runs as `npm start` runs it (its MALLOC_ARENA_MAX and --max-old-space-size, --import tsx " +
      "src/entries/node/server.ts), LOG_LEVEL=warn, on PostgreSQL, with its default delivery settings " +
      "(DELIVERY_CONCURRENCY 256, DELIVERY_PER_HOST 8, DELIVERY_SIGNING=thread-pool, DELIVERY_SENDER=direct) " +
      "or one of them changed, as the configuration's name says.",
    `  Raw limit: node:crypto draft-cavage RSA-2048 + SHA-256 digest, keep-alive node:http, a ${results.rawBodyBytes}-byte ` +
      `body (a Create Tidings sent), ${s.rawConcurrency} POSTs in flight.`,
    `  Warm figures are medians of ${s.warmRepeats} pushes and of as many raw runs. ` +
      '"others": cores busy with processes outside this benchmark during the runs (the machine is shared).',
    "  SQL/d: statements Tidings' database role ran per delivery, counted by PostgreSQL (pg_stat_statements: every " +
      "statement a session sends, BEGIN and COMMIT included; n/a where the module is missing).",
    "",
    "Goals (warm pushes, default settings):",
    formatGoals(goals),
    "",
    "Warm pushes by configuration and inboxes (medians):",
    tableOf(all, [
      ["config", (a) => a.config],
      ["inboxes", (a) => inboxes(a.delayMs)],
      ["n", (a) => String(a.runs)],
      ["publish max ms", (a) => f0(a.publishMaxMs)],
      ["first ms", (a) => f0(a.firstDeliveryMs)],
      ["all hosts ms", (a) => f0(a.allHostsMs)],
      ["deliv/s", (a) => f0(a.deliveriesPerSec)],
      ["raw/s", (a) => f0(a.rawPerSec)],
      ["ratio", (a) => f2(a.ratio)],
      ["CPU ms/d", (a) => f2(a.serverCpuMsPerDelivery)],
      ["pg ms/d", (a) => f2(a.postgresCpuMsPerDelivery)],
      ["raw CPU ms/d", (a) => f2(a.rawCpuMsPerDelivery)],
      ["SQL/d", (a) => f2(a.sqlPerDelivery)],
      ["srv cores", (a) => f2(a.serverCores)],
      ["machine", (a) => f2(a.machineBusyCores)],
      ["others", (a) => f2(a.otherCores)],
      ["peak RSS", (a) => f0(a.peakRssMiB)],
    ]),
  ];
  return out.join("\n");
}
