/** The updates scenario's medians, goals and printed section. */
import { fixed, formatGoals, type Goal, median, tableOf } from "../../harness/report.ts";
import type { FanoutRun, UpdatesResults } from "../updates.ts";

/** An update reaches every follower at least 0.9x as fast as a story (story time / update time). */
const GOAL_RATIO = 0.9;
/** As serving's goal for stories: readers' feeds show the update within this of the push. */
const GOAL_VISIBLE_P99_MS = 1000;
/** Other load above this (cores) during a fan-out makes its figure unreliable. */
const BUSY_CORES = 0.2;

/** Medians of the warm fan-outs of one kind. */
function aggregate(runs: readonly FanoutRun[], kind: FanoutRun["kind"]) {
  const mine = runs.filter((run) => run.kind === kind);
  const of = (pick: (run: FanoutRun) => number) => median(mine.map(pick));
  return {
    kind,
    runs: mine.length,
    publishMs: of((r) => r.publishMs),
    firstDeliveryMs: of((r) => r.firstDeliveryMs),
    allHostsMs: of((r) => r.allHostsMs),
    deliveriesPerSec: of((r) => r.deliveriesPerSec),
    serverCpuMsPerDelivery: of((r) => r.serverCpuMsPerDelivery),
    postgresCpuMsPerDelivery: of((r) => r.postgresCpuMsPerDelivery),
    sqlPerDelivery: of((r) => r.sqlPerDelivery),
    otherCores: of((r) => r.otherCores),
    hosts: Math.min(...mine.map((r) => r.hosts)),
  };
}

export function updatesGoals(results: UpdatesResults): Goal[] {
  const story = aggregate(results.runs, "article");
  const update = aggregate(results.runs, "update");
  const ratio = story.allHostsMs / update.allHostsMs;
  const { rss, json } = results.visibility;
  const visibleP99 = Math.max(rss.p99, json.p99);
  return [
    {
      name: "update fan-out vs story's (story ms / update ms, medians)",
      goal: `>= ${GOAL_RATIO}`,
      measured: `${fixed(ratio, 2)} (${fixed(story.allHostsMs)} / ${fixed(update.allHostsMs)} ms)`,
      pass: ratio >= GOAL_RATIO,
      reliable: Math.max(story.otherCores, update.otherCores) <= BUSY_CORES,
    },
    {
      name: "hosts that got each update",
      goal: `${results.settings.hosts}`,
      measured: String(update.hosts),
      pass: update.hosts === results.settings.hosts,
    },
    {
      name: "update push to visible in RSS and JSON Feed (p99)",
      goal: `<= ${GOAL_VISIBLE_P99_MS} ms`,
      measured: `${fixed(visibleP99, 1)} ms (timed out: ${results.visibility.timedOut})`,
      pass: visibleP99 <= GOAL_VISIBLE_P99_MS && results.visibility.timedOut === 0,
    },
  ];
}

export function formatUpdatesReport(results: UpdatesResults, goals: readonly Goal[]): string {
  const s = results.settings;
  const { rss, json, pollsMedian } = results.visibility;
  const f1 = (n: number) => fixed(n, 1);
  const f2 = (n: number) => fixed(n, 2);
  return [
    `Live updates: Tidings (default settings, PostgreSQL ${results.postgres}).`,
    `  (a) ${s.visiblePushes} updates pushed to one story in world (no followers yet), each polled for in ` +
      "RSS and JSON Feed until it shows, from the push's response.",
    `  (b) ${s.hosts * s.actorsPerHost} followers of world on ${s.hosts} loopback hosts (shared inboxes, instant); ` +
      `after a cold story push, ${s.rounds} rounds of a story's Create and an update's Create (order alternating), ` +
      "each timed from the POST to the last host and measured for CPU until the queue is empty.",
    "",
    "Goals:",
    formatGoals(goals),
    "",
    tableOf(
      [
        ["RSS", rss],
        ["JSON Feed", json],
      ] as const,
      [
        ["update visible in", ([name]) => name],
        ["p50 ms", ([, v]) => f1(v.p50)],
        ["p90 ms", ([, v]) => f1(v.p90)],
        ["p99 ms", ([, v]) => f1(v.p99)],
        ["max ms", ([, v]) => f1(v.max)],
        ["n", ([, v]) => String(v.n)],
      ],
    ),
    `  GETs per update until visible, both formats (median): ${fixed(pollsMedian)}`,
    "",
    tableOf(
      [aggregate(results.runs, "article"), aggregate(results.runs, "update")],
      [
        ["fan-out (medians)", (a) => (a.kind === "article" ? "story Create" : "update Create")],
        ["runs", (a) => String(a.runs)],
        ["POST ms", (a) => f1(a.publishMs)],
        ["first host ms", (a) => fixed(a.firstDeliveryMs)],
        ["all hosts ms", (a) => fixed(a.allHostsMs)],
        ["deliveries/s", (a) => fixed(a.deliveriesPerSec)],
        ["CPU ms/delivery", (a) => f2(a.serverCpuMsPerDelivery)],
        ["PG CPU ms/delivery", (a) => f2(a.postgresCpuMsPerDelivery)],
        ["SQL/delivery", (a) => f2(a.sqlPerDelivery)],
        ["others cores", (a) => f2(a.otherCores)],
      ],
    ),
  ].join("\n");
}
