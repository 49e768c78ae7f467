/** The fan-out scenario's medians, goals and printed section. */
import { fixed, formatGoals, type Goal, median, tableOf } from "../../harness/report.ts";
import type { FanoutResults, RawRun, TidingsRun } from "../fanout.ts";

const GOAL_RATIO = 0.5;
const GOAL_PUBLISH_MS = 100;
const GOAL_PEAK_RSS_MIB = 300;

/** Warm pushes of one concurrency × inbox delay, their medians, next to the raw loop's. */
function aggregate(
  results: Pick<FanoutResults, "tidings" | "raw">,
  concurrency: number,
  delayMs: number,
) {
  const same = (r: TidingsRun | RawRun) =>
    r.concurrency === concurrency && r.delayMs === delayMs && r.temperature === "warm";
  const runs = results.tidings.filter(same);
  if (runs.length === 0) return undefined;
  const raws = results.raw.filter(same);
  const of = (pick: (r: TidingsRun) => number) => median(runs.map(pick));
  const rawPerSec = median(raws.map((r) => r.deliveriesPerSec));
  return {
    concurrency,
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

function aggregatesFor(results: Pick<FanoutResults, "tidings" | "raw">, delayMs: number) {
  return [...new Set(results.tidings.map((r) => r.concurrency))]
    .map((c) => aggregate(results, c, delayMs))
    .filter((a): a is Aggregate => a !== undefined && Number.isFinite(a.ratio));
}

const f0 = (n: number) => fixed(n, 0);
const f1 = (n: number) => fixed(n, 1);
const f2 = (n: number) => fixed(n, 2);
const inboxes = (ms: number) => (ms === 0 ? "instant" : `${ms} ms`);

/** Warm; at the DELIVERY_CONCURRENCY with the best ratio per inbox kind. */
export function fanoutGoals(results: FanoutResults): Goal[] {
  const s = results.settings;
  const goals: Goal[] = [];
  for (const delayMs of s.delaysMs) {
    const candidates = aggregatesFor(results, delayMs);
    const a = [...candidates].sort((x, y) => y.ratio - x.ratio)[0];
    if (!a) continue;
    const info = (name: string, measured: string): Goal => ({
      name: `  ${name}`,
      goal: "",
      measured,
    });
    goals.push(
      {
        name: `${inboxes(delayMs)} inboxes: deliveries/s vs raw (c=${a.concurrency})`,
        goal: `>= ${GOAL_RATIO.toFixed(2)}x`,
        measured: `${f2(a.ratio)}x (${f0(a.deliveriesPerSec)}/s vs raw ${f0(a.rawPerSec)}/s)`,
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
    const fastest = [...candidates].sort((x, y) => y.deliveriesPerSec - x.deliveriesPerSec)[0];
    if (fastest && fastest.concurrency !== a.concurrency) {
      goals.push(
        info(
          "fastest concurrency instead",
          `c=${fastest.concurrency}: ${f0(fastest.deliveriesPerSec)}/s, ${f0(fastest.allHostsMs)} ms, ` +
            `${f2(fastest.ratio)}x raw ${f0(fastest.rawPerSec)}/s`,
        ),
      );
    }
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
  const all = [...new Set(results.tidings.map((r) => JSON.stringify([r.concurrency, r.delayMs])))]
    .map((key) => JSON.parse(key) as [number, number])
    .map(([c, d]) => aggregate(results, c, d))
    .filter((a): a is Aggregate => a !== undefined);
  const out = [
    `Fan-out (${results.durationSeconds.toFixed(0)} s): one story to ${s.hosts * s.actorsPerHost} followers on ${s.hosts} ` +
      `loopback hosts (${s.actorsPerHost} actors each, shared inboxes) = ${s.hosts} deliveries per push.`,
    `  Not pinned: Tidings, PostgreSQL ${results.postgres}, the peer farm and the raw sender are separate processes ` +
      "that the kernel schedules on all cores.",
    "  Tidings runs as `npm start` runs it (its MALLOC_ARENA_MAX and --max-old-space-size, --import tsx " +
      "src/entries/node/server.ts), LOG_LEVEL=warn, on PostgreSQL; DELIVERY_CONCURRENCY = c, DELIVERY_SENDER=direct " +
      "(the default; docs/adr/0002-direct-delivery.md compares Fedify's own sender).",
    `  Raw limit: node:crypto draft-cavage RSA-2048 + SHA-256 digest, keep-alive node:http, a ${results.rawBodyBytes}-byte ` +
      "body (a Create Tidings sent), same concurrency as the server.",
    `  Warm figures are medians of ${s.warmRepeats} pushes and of as many raw runs. ` +
      '"others": cores busy with processes outside this benchmark during the runs (the machine is shared); ' +
      '"kthreads": kernel threads (ksoftirqd: loopback networking).',
    "  SQL/d: statements Tidings' database role ran per delivery, counted by PostgreSQL (pg_stat_statements: every " +
      "statement a session sends, BEGIN and COMMIT included; n/a where the module is missing).",
    "",
    "Goals (warm; DELIVERY_CONCURRENCY with the best ratio per inbox kind):",
    formatGoals(goals),
    "",
    "Warm pushes by concurrency and inboxes (medians):",
    tableOf(all, [
      ["c", (a) => String(a.concurrency)],
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
      ["SQL/d", (a) => f2(a.sqlPerDelivery)],
      ["srv cores", (a) => f2(a.serverCores)],
      ["machine", (a) => f2(a.machineBusyCores)],
      ["others", (a) => f2(a.otherCores)],
      ["peak RSS", (a) => f0(a.peakRssMiB)],
    ]),
    "",
    "Every push:",
    tableOf(results.tidings, [
      ["c", (r) => String(r.concurrency)],
      ["inboxes", (r) => inboxes(r.delayMs)],
      ["run", (r) => r.temperature],
      ["publish ms", (r) => f1(r.publishMs)],
      ["first ms", (r) => f0(r.firstDeliveryMs)],
      ["all hosts ms", (r) => f0(r.allHostsMs)],
      ["deliv/s", (r) => f0(r.deliveriesPerSec)],
      ["CPU ms/d", (r) => f2(r.serverCpuMsPerDelivery)],
      ["pg ms/d", (r) => f2(r.postgresCpuMsPerDelivery)],
      ["farm ms/d", (r) => f2(r.farmCpuMsPerDelivery)],
      ["SQL/d", (r) => f2(r.sqlPerDelivery)],
      ["key fetches", (r) => String(r.keyFetches)],
      ["others", (r) => f2(r.otherCores)],
      ["kthreads", (r) => f2(r.kernelCores)],
      ["heap", (r) => f0(r.heapTotalMiB)],
      ["RSS", (r) => f0(r.rssMiB)],
      ["peak RSS", (r) => f0(r.peakRssMiB)],
    ]),
    "",
    "Raw loop:",
    tableOf(results.raw, [
      ["c", (r) => String(r.concurrency)],
      ["inboxes", (r) => inboxes(r.delayMs)],
      ["run", (r) => r.temperature],
      ["ok", (r) => `${r.ok}/${r.sent}`],
      ["elapsed ms", (r) => f0(r.elapsedMs)],
      ["deliv/s", (r) => f0(r.deliveriesPerSec)],
      ["CPU ms/d", (r) => f2(r.senderCpuMsPerDelivery)],
      ["farm ms/d", (r) => f2(r.farmCpuMsPerDelivery)],
      ["machine", (r) => f2(r.machineBusyCores)],
      ["others", (r) => f2(r.otherCores)],
      ["kthreads", (r) => f2(r.kernelCores)],
    ]),
    "",
    "Server memory (MiB; heap figures after a forced full GC at the end, the queue empty, read over V8's inspector):",
    tableOf(results.serverMemory, [
      ["c", (m) => String(m.concurrency)],
      ["idle RSS", (m) => f0(m.idleRssMiB)],
      ["end RSS", (m) => f0(m.rssMiB)],
      ["peak RSS", (m) => f0(m.peakRssMiB)],
      ["heap live", (m) => f0(m.heapUsedMiB)],
      ["heap total", (m) => f0(m.heapTotalMiB)],
      ["external", (m) => f0(m.externalMiB)],
    ]),
  ];
  const sqlRun = results.tidings.find((r) => r.temperature === "warm");
  if (sqlRun) {
    out.push(
      "",
      `SQL statements per delivery (c=${sqlRun.concurrency}, ${inboxes(sqlRun.delayMs)}, warm):`,
      tableOf(
        Object.entries(sqlRun.sqlByKind).sort((a, b) => b[1] - a[1]),
        [
          ["statement", ([kind]) => kind],
          ["per delivery", ([, n]) => f2(n)],
        ],
      ),
    );
  }
  return out.join("\n");
}
