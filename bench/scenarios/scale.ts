/**
 * Scale: one story to 100,000 followers on 10,000 loopback hosts (10 actors each, shared
 * inboxes, spread over 127.0.0.0/8), with Tidings' default settings on PostgreSQL: the fan-out
 * scenario's measurement (bench/scenarios/fanout.ts) at ten times the hosts, with instant
 * inboxes, next to the raw loop at 128 in flight. Goals: the publish call returns within
 * 100 ms, every server gets the Create exactly once, at most 0.2 SQL statements per delivery,
 * peak resident memory of Tidings at most 300 MiB.
 */
import { fixed, formatGoals, type Goal, median, tableOf } from "../harness/report.ts";
import { envNumber, type Scenario } from "../harness/scenario.ts";
import { type FanoutResults, measure } from "./fanout.ts";

const GOAL_PUBLISH_MS = 100;
const GOAL_SQL_PER_DELIVERY = 0.2;
const GOAL_PEAK_RSS_MIB = 300;

function goalsOf(results: FanoutResults): Goal[] {
  const hosts = results.settings.hosts;
  const runs = results.tidings;
  const warm = runs.filter((r) => r.temperature === "warm");
  const publish = Math.max(...runs.map((r) => r.publishMs));
  const exactlyOnce = runs.every((r) => r.hosts === hosts && r.duplicates === 0);
  const sql = median(warm.map((r) => r.sqlPerDelivery));
  const peak = Math.max(...runs.map((r) => r.peakRssMiB));
  const rawPerSec = median(results.raw.map((r) => r.deliveriesPerSec));
  const perSec = median(warm.map((r) => r.deliveriesPerSec));
  return [
    {
      name: "publish call",
      goal: `<= ${GOAL_PUBLISH_MS} ms`,
      measured: `max ${fixed(publish, 0)} ms`,
      pass: publish <= GOAL_PUBLISH_MS,
    },
    {
      name: "every server gets the Create exactly once",
      goal: `${hosts} hosts, 0 duplicates`,
      measured: runs.map((r) => `${r.hosts}/${r.duplicates}`).join(", "),
      pass: exactlyOnce,
    },
    {
      name: "SQL statements per delivery (warm median)",
      goal: `<= ${GOAL_SQL_PER_DELIVERY}`,
      measured: fixed(sql, 3),
      pass: sql <= GOAL_SQL_PER_DELIVERY,
    },
    {
      name: "peak RSS of Tidings",
      goal: `<= ${GOAL_PEAK_RSS_MIB} MiB`,
      measured: `${fixed(peak, 0)} MiB`,
      pass: peak <= GOAL_PEAK_RSS_MIB,
    },
    {
      name: "deliveries/s vs raw loop (warm medians)",
      goal: "",
      measured: `${fixed(perSec / rawPerSec, 2)}x (${fixed(perSec, 0)}/s vs ${fixed(rawPerSec, 0)}/s at c=${results.settings.rawConcurrency})`,
    },
  ];
}

export default {
  name: "scale",
  summary: "one story to 100,000 followers on 10,000 loopback hosts (default settings)",
  timeoutMinutes: 25,
  async run(context) {
    const repeats = envNumber("SCALE_REPEATS", context.quick ? 1 : 3);
    const results = await measure(context, {
      hosts: envNumber("SCALE_HOSTS", 10_000),
      actorsPerHost: 10,
      firstAddress: "127.1.0.1",
      configs: ["default"],
      rawConcurrency: 128,
      delaysMs: [0],
      warmRepeats: repeats,
    });
    const goals = goalsOf(results);
    const s = results.settings;
    const report = [
      `Scale (${results.durationSeconds.toFixed(0)} s): one story to ${s.hosts * s.actorsPerHost} followers on ${s.hosts} ` +
        `loopback hosts from ${s.firstAddress} (shared inboxes), instant inboxes, Tidings with default settings on ` +
        `PostgreSQL ${results.postgres}; a cold push (every host fetches the key), then ${repeats} warm.`,
      "",
      "Goals:",
      formatGoals(goals),
      "",
      tableOf(results.tidings, [
        ["push", (r) => r.temperature],
        ["publish ms", (r) => fixed(r.publishMs, 0)],
        ["first ms", (r) => fixed(r.firstDeliveryMs, 0)],
        ["all hosts ms", (r) => fixed(r.allHostsMs, 0)],
        ["hosts", (r) => String(r.hosts)],
        ["dupl.", (r) => String(r.duplicates)],
        ["deliv/s", (r) => fixed(r.deliveriesPerSec, 0)],
        ["CPU ms/d", (r) => fixed(r.serverCpuMsPerDelivery, 2)],
        ["pg ms/d", (r) => fixed(r.postgresCpuMsPerDelivery, 2)],
        ["SQL/d", (r) => fixed(r.sqlPerDelivery, 3)],
        ["peak RSS", (r) => fixed(r.peakRssMiB, 0)],
      ]),
    ].join("\n");
    return { results: { ...results, goals }, report };
  },
} satisfies Scenario;
